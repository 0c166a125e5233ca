"""Instructors read the comments on their own short videos in the admin and remove them (view
and change; the removal hides a comment, through the service)."""

from django.db import migrations

from social.migrations import _instructor_permissions as permissions

CODENAMES = ["view_videocomment", "change_videocomment"]


def grant(apps, schema_editor):
    permissions.grant(apps, CODENAMES)


def revoke(apps, schema_editor):
    permissions.revoke(apps, CODENAMES)


class Migration(migrations.Migration):
    dependencies = [("social", "0003_video_likes_comments_shares")]

    operations = [migrations.RunPython(grant, revoke)]
