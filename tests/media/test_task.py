"""The transcoding task: on its own queue, acknowledged late, with a time limit that the broker's
redelivery waits for."""

from django.conf import settings

from courses.tasks import media_transcode_task


def test_the_task_runs_on_the_media_queue_late_acked_and_time_limited():
    assert settings.CELERY_TASK_ROUTES[media_transcode_task.name] == {"queue": "media"}
    assert media_transcode_task.acks_late
    assert media_transcode_task.time_limit > settings.MEDIA_TRANSCODE_TIME_LIMIT
    # A message is redelivered only after the longest transcode could have finished.
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    assert visibility > media_transcode_task.time_limit
