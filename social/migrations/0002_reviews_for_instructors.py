"""Instructors read the reviews of their own courses in the admin and answer them there (view
and change; deleting is moderation, for staff)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Instructors"
CODENAMES = ["view_review", "change_review"]


def _permissions(apps):
    Permission = apps.get_model("auth", "Permission")
    return Permission.objects.filter(content_type__app_label="social", codename__in=CODENAMES)


def grant(apps, schema_editor):
    app_config = apps.get_app_config("social")
    app_config.models_module = True
    try:
        create_permissions(app_config, apps=apps, verbosity=0)
    finally:
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    group, _ = Group.objects.get_or_create(name=GROUP)
    group.permissions.add(*_permissions(apps))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    group = Group.objects.filter(name=GROUP).first()
    if group is not None:
        group.permissions.remove(*_permissions(apps))


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("courses", "0011_media_assets_for_instructors"),
        ("social", "0001_reviews"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
