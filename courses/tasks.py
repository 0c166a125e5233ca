"""Periodic commerce tasks. Each is a thin, idempotent call of a service in ``courses.commerce``.

``BEAT_SCHEDULE`` holds their Celery beat entries, for ``CELERY_BEAT_SCHEDULE`` in the settings.
Each entry expires before the next run is due, so a backlog after an outage runs once, not once
per missed minute.
"""

from celery import shared_task

from courses import commerce


@shared_task
def live_reminders_send_due() -> int:
    """E-mail the reminders of live sessions starting soon (each reservation once)."""
    return commerce.live_reminders_send_due()


@shared_task
def orders_cancel_expired() -> int:
    """Close pending orders whose payment window has passed."""
    return commerce.orders_cancel_expired()


BEAT_SCHEDULE = {
    "courses-live-reminders": {
        "task": "courses.tasks.live_reminders_send_due",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "courses-orders-cancel-expired": {
        "task": "courses.tasks.orders_cancel_expired",
        "schedule": 300.0,
        "options": {"expires": 290},
    },
}
