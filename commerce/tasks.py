"""Periodic commerce tasks. Each is a thin, idempotent call of a service in ``commerce.services``.

Their beat entries are in ``CELERY_BEAT_SCHEDULE`` in the settings; each expires before the next
run is due, so a backlog after an outage runs once, not once per missed minute.
"""

from celery import shared_task

from commerce import services


@shared_task
def live_reminders_send_due() -> int:
    """E-mail the reminders of live sessions starting soon (each reservation once)."""
    return services.live_reminders_send_due()


@shared_task
def orders_cancel_expired() -> int:
    """Close pending orders whose payment window has passed."""
    return services.orders_cancel_expired()
