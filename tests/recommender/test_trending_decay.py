"""Trending lists decay by the hour for live sessions, by the day for courses."""

from datetime import timedelta

import pytest
from django.utils import timezone

from recommendations.models import Event
from recommendations.services.events import event_record
from recommendations.services.trending import trending_compute
from tests.factories import CourseFactory, LiveSessionFactory, UserFactory

pytestmark = pytest.mark.django_db


def _events(object_type, obj, n, hours_ago):
    for _ in range(n):
        event = event_record(
            user=UserFactory(), event_type="click", object_type=object_type, object_id=obj.pk
        )
        Event.objects.filter(pk=event.pk).update(
            server_ts=timezone.now() - timedelta(hours=hours_ago)
        )


def test_a_live_session_hot_an_hour_ago_beats_one_that_was_hotter_yesterday():
    yesterday, now = LiveSessionFactory(), LiveSessionFactory()
    _events("live", yesterday, 6, hours_ago=24)  # 6 x 2^-8: under 0.03
    _events("live", now, 2, hours_ago=1)  # 2 x 2^-(1/3): about 1.6
    assert trending_compute(item_type="live") == [now.pk, yesterday.pk]


def test_a_course_keeps_yesterdays_attention():
    yesterday, now = CourseFactory(), CourseFactory()
    _events("course", yesterday, 6, hours_ago=24)  # 6 x 2^-(1/3): about 4.8
    _events("course", now, 2, hours_ago=1)
    assert trending_compute(item_type="course") == [yesterday.pk, now.pk]
