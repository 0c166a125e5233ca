"""The Celery application. Workers start with ``celery -A config.celery_app worker``."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("zhibo")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
