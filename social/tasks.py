"""Periodic social tasks, each a thin, idempotent call of a service in ``social.services``; their
beat entries are in ``CELERY_BEAT_SCHEDULE`` in the settings."""

from celery import shared_task

from social import services


@shared_task
def follower_reminders_send_due() -> int:
    """E-mail followers whose instructor's live session starts soon (each once)."""
    return services.follower_reminders_send_due()
