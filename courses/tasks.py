"""The catalog's Celery tasks: thin, each calls one service."""

from celery import shared_task
from django.conf import settings

from courses import live, media


@shared_task(
    acks_late=True,
    time_limit=settings.MEDIA_TRANSCODE_TIME_LIMIT + 120,
    soft_time_limit=settings.MEDIA_TRANSCODE_TIME_LIMIT + 60,
)
def media_transcode_task(asset_id: int) -> str | None:
    """Transcode an uploaded video into HLS (queue ``media``); safe to run twice."""
    asset = media.media_transcode(asset_id=asset_id)
    return asset.status if asset else None


@shared_task
def live_sessions_abandoned_end_task() -> list[int]:
    """End the live sessions whose stream vanished (every minute, beat)."""
    return [session.pk for session in live.live_sessions_abandoned_end()]
