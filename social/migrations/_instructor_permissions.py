"""What social's data migrations share: give the Instructors group some of social's model
permissions (created first: they do not exist until the migrations' models do), or take them
back."""

from django.contrib.auth.management import create_permissions

GROUP = "Instructors"


def _permissions(apps, codenames):
    Permission = apps.get_model("auth", "Permission")
    return Permission.objects.filter(content_type__app_label="social", codename__in=codenames)


def grant(apps, codenames) -> None:
    app_config = apps.get_app_config("social")
    app_config.models_module = True
    try:
        create_permissions(app_config, apps=apps, verbosity=0)
    finally:
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    group, _ = Group.objects.get_or_create(name=GROUP)
    group.permissions.add(*_permissions(apps, codenames))


def revoke(apps, codenames) -> None:
    Group = apps.get_model("auth", "Group")
    group = Group.objects.filter(name=GROUP).first()
    if group is not None:
        group.permissions.remove(*_permissions(apps, codenames))
