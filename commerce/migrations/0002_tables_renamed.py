"""Commerce's tables take the names of their app (``courses_order`` becomes ``commerce_order``,
and so on), with every row; the content types follow, so permissions and admin history that
point at these models keep pointing at them."""

from django.db import migrations

MODELS = ["order", "orderline", "enrollment", "lessonprogress", "livereservation"]


def content_types_to_commerce(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    taken = set(
        ContentType.objects.filter(app_label="commerce", model__in=MODELS).values_list(
            "model", flat=True
        )
    )
    ContentType.objects.filter(app_label="courses", model__in=set(MODELS) - taken).update(
        app_label="commerce"
    )


def content_types_to_courses(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="commerce", model__in=MODELS).update(app_label="courses")


class Migration(migrations.Migration):
    dependencies = [
        ("commerce", "0001_initial"),
        ("courses", "0004_commerce_moves_out"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        *[migrations.AlterModelTable(name=model, table=None) for model in MODELS],
        migrations.RunPython(content_types_to_commerce, content_types_to_courses),
    ]
