"""The periodic rollup (Celery beat, ``ANALYTICS_ROLLUP_SECONDS``): a thin call of the service."""

from celery import shared_task

from analytics.rollups import rollup_run


@shared_task(acks_late=True)
def rollup() -> dict:
    """Roll up the events and orders that arrived since the last run (idempotent)."""
    result = rollup_run()
    return {"days": len(result.days), "live_sessions": len(result.live_sessions)}
