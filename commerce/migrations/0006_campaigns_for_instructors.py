"""Instructors run their own campaigns in the admin: time-limited discounts (``courses``),
coupons and course bundles (``commerce``)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Instructors"
ACTIONS = ("add", "change", "delete", "view")
CODENAMES = {
    "courses": [f"{action}_discount" for action in ACTIONS],
    "commerce": [f"{action}_{model}" for model in ("coupon", "bundle") for action in ACTIONS],
}


def _permissions(apps):
    Permission = apps.get_model("auth", "Permission")
    for app_label, codenames in CODENAMES.items():
        yield from Permission.objects.filter(
            content_type__app_label=app_label, codename__in=codenames
        )


def grant(apps, schema_editor):
    for app_label in CODENAMES:
        app_config = apps.get_app_config(app_label)
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
        ("courses", "0016_time_limited_discounts"),
        ("commerce", "0005_coupons_and_bundles"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
