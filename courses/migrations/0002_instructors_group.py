"""The "Instructors" group: staff who manage their own catalog rows in the admin.

The admin scopes every row to its owner; these model permissions decide which admin pages an
instructor reaches at all. The group name is spelled out here (not imported) so this migration
keeps meaning what it meant when it was written.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Instructors"
CONTENT = ("add", "change", "delete", "view")
PERMISSIONS = {
    "course": CONTENT,
    "chapter": CONTENT,
    "lesson": CONTENT,
    "livesession": CONTENT,
    "liveshelfitem": CONTENT,
    "shortvideo": CONTENT,
    "product": CONTENT,
    "instructor": ("view", "change"),
    "category": ("view",),
    "tag": ("view", "add"),
}
CODENAMES = [f"{action}_{model}" for model, actions in PERMISSIONS.items() for action in actions]


def _permissions(apps):
    Permission = apps.get_model("auth", "Permission")
    return Permission.objects.filter(content_type__app_label="courses", codename__in=CODENAMES)


def create_group(apps, schema_editor):
    # On a fresh database post_migrate creates the permissions only after this runs, and
    # create_permissions skips an app without a models module, which historical apps lack.
    app_config = apps.get_app_config("courses")
    app_config.models_module = True
    try:
        create_permissions(app_config, apps=apps, verbosity=0)
    finally:
        app_config.models_module = None

    permissions = list(_permissions(apps))
    if len(permissions) != len(CODENAMES):
        missing = set(CODENAMES) - {p.codename for p in permissions}
        raise RuntimeError(f"Permissions missing for the {GROUP} group: {sorted(missing)}")
    Group = apps.get_model("auth", "Group")
    group, _ = Group.objects.get_or_create(name=GROUP)
    group.permissions.add(*permissions)


def remove_group(apps, schema_editor):
    """Take the permissions back; the group itself goes only if nobody is in it."""
    Group = apps.get_model("auth", "Group")
    group = Group.objects.filter(name=GROUP).first()
    if group is None:
        return
    group.permissions.remove(*_permissions(apps))
    if not group.user_set.exists():
        group.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("courses", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_group, remove_group)]
