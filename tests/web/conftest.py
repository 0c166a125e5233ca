"""Fixtures of the page tests: a clean cache per test (the home page caches its sections), a
signed-in learner, and a small catalog."""

import contextlib
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.utils import timezone

from config.cache import CACHE_ERRORS
from tests.factories import (
    ChapterFactory,
    CourseFactory,
    LessonFactory,
    LiveSessionFactory,
    LiveShelfItemFactory,
    ProductFactory,
    ShortVideoFactory,
    TagFactory,
    UserFactory,
)


@pytest.fixture(autouse=True)
def clean_cache():
    cache.clear()
    yield
    with contextlib.suppress(CACHE_ERRORS):  # a test may point the cache at a dead server
        cache.clear()


@pytest.fixture
def learner(db):
    return UserFactory(username="xiaoming")


@pytest.fixture
def signed_in(client, learner):
    client.force_login(learner)
    return client


def make_course(**kwargs):
    """A published course with one chapter, a free preview lesson and a paid lesson."""
    course = CourseFactory(**kwargs)
    chapter = ChapterFactory(course=course, title="第一章 入门", position=1)
    LessonFactory(chapter=chapter, title="免费试看：课程导读", position=1, is_free_preview=True)
    LessonFactory(chapter=chapter, title="正式课：核心方法", position=2)
    return course


def make_catalog(n: int, *, tags=None):
    """``n`` courses (each with lessons), products, short videos and live sessions."""
    tags = tags or [TagFactory(), TagFactory()]
    courses = [make_course(tags=tags) for _ in range(n)]
    now = timezone.now()
    for i in range(n):
        product = ProductFactory(tags=tags, list_price=Decimal("99.00"))
        ShortVideoFactory(instructor=courses[i].instructor, course=courses[i]).products.add(product)
        live = LiveSessionFactory(
            tags=tags,
            status="live" if i % 2 else "scheduled",
            scheduled_start=now - timedelta(minutes=10) if i % 2 else now + timedelta(hours=i + 1),
            scheduled_end=now + timedelta(hours=i + 3),
        )
        LiveShelfItemFactory(live_session=live, is_pinned=True)
        LiveShelfItemFactory(live_session=live)
    return courses
