"""The home, course and live pages run the same number of queries whatever the catalog size.

Each test measures a page on a small catalog, grows the catalog five-fold, and measures again:
the counts must be equal, and under a ceiling (``django_assert_max_num_queries``).
"""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from commerce.services import lesson_progress_record
from courses.models import Course, LiveSession
from recommendations.services.profiles import interests_declare
from tests.commerce.factories import EnrollmentFactory
from tests.factories import TagFactory
from tests.web.conftest import make_catalog

pytestmark = pytest.mark.django_db

# Cold: every section computed, including the learner's short-video and live rails (a few
# queries each, whatever the catalog's size).
HOME_COLD_MAX = 49  # with the offers section, the follower-first live rail, the picked rails
# and the learner's reserved live sessions (for their cards)
HOME_WARM_MAX = 8
COURSE_MAX = 36
LIVE_MAX = 24


def queries(client, url, ceiling, assert_max) -> int:
    cache.clear()
    with assert_max(ceiling), CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_home_query_count_does_not_grow_with_the_catalog(
    signed_in, learner, django_assert_max_num_queries
):
    tag = TagFactory()
    courses = make_catalog(8, tags=[tag])
    interests_declare(user=learner, tags=[tag])
    for course in courses[:3]:
        EnrollmentFactory(user=learner, course=course)
        lesson_progress_record(user=learner, lesson=course.lessons.last(), position_seconds=60)
    home = reverse("web:home")
    small = queries(signed_in, home, HOME_COLD_MAX, django_assert_max_num_queries)
    make_catalog(40, tags=[tag])
    # Never more; it may be fewer, when a fuller catalog fills a section before trending is read.
    assert queries(signed_in, home, HOME_COLD_MAX, django_assert_max_num_queries) <= small
    with django_assert_max_num_queries(HOME_WARM_MAX):  # warm: sections come from the cache
        signed_in.get(home)


def test_course_page_query_count_does_not_grow_with_the_catalog(
    signed_in, django_assert_max_num_queries
):
    tag = TagFactory()
    make_catalog(8, tags=[tag])
    url = reverse("web:course", args=[Course.objects.order_by("pk").first().slug])
    small = queries(signed_in, url, COURSE_MAX, django_assert_max_num_queries)
    make_catalog(40, tags=[tag])
    assert queries(signed_in, url, COURSE_MAX, django_assert_max_num_queries) == small


def test_live_page_query_count_does_not_grow_with_the_catalog(
    signed_in, django_assert_max_num_queries
):
    make_catalog(8)
    url = reverse("web:live", args=[LiveSession.objects.order_by("pk").first().slug])
    small = queries(signed_in, url, LIVE_MAX, django_assert_max_num_queries)
    make_catalog(40)
    assert queries(signed_in, url, LIVE_MAX, django_assert_max_num_queries) == small
