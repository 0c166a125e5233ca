"""Instructors read the reviews of their own courses in the admin and answer them there (view
and change; deleting is moderation, for staff)."""

from django.db import migrations

from social.migrations import _instructor_permissions as permissions

CODENAMES = ["view_review", "change_review"]


def grant(apps, schema_editor):
    permissions.grant(apps, CODENAMES)


def revoke(apps, schema_editor):
    permissions.revoke(apps, CODENAMES)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("courses", "0011_media_assets_for_instructors"),
        ("social", "0001_reviews"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
