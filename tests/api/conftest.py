"""Clients and people for the API tests: a learner with some data, another learner, an
instructor, and anonymous visitors."""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from commerce.services import (
    course_enroll_free,
    lesson_progress_record,
    live_reservation_create,
    order_create,
    order_pay,
)
from recommendations.services.events import event_record
from recommendations.services.profiles import interests_declare
from tests.commerce.factories import ADDRESS
from tests.factories import (
    CourseFactory,
    InstructorFactory,
    LessonFactory,
    LiveShelfItemFactory,
    ProductFactory,
    ShortVideoFactory,
    TagFactory,
    UserFactory,
)


@pytest.fixture(autouse=True)
def fresh_cache():
    """Throttle counters and recommender lists live in the cache: start every test empty."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def generous_throttles(settings):
    """Rates high enough never to interfere; the throttling tests lower them."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            "anon": "10000/minute",
            "user": "10000/minute",
            "events": "10000/minute",
            "auth": "10000/minute",
        },
    }


def client_for(user=None) -> APIClient:
    """A client authenticated as ``user`` with a JWT access token (anonymous for None)."""
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return client


@dataclass
class People:
    owner: object
    other: object
    instructor: object


@pytest.fixture
def people(db) -> People:
    return People(
        owner=UserFactory(username="owner"),
        other=UserFactory(username="other"),
        instructor=InstructorFactory().user,
    )


@pytest.fixture
def anon() -> APIClient:
    return APIClient()


def learner_with_data(username: str = "learner"):
    """A learner with a bit of everything: an enrollment, a paid and a pending order, lesson
    progress, a live reservation, interest tags and events; and the catalog around them."""
    tag = TagFactory()
    learner = UserFactory(username=username)
    free = CourseFactory(price=Decimal("0.00"), tags=[tag])
    paid = CourseFactory(tags=[tag])
    lesson = LessonFactory(chapter__course=free)
    LessonFactory(chapter__course=paid, is_free_preview=True)
    shelf = LiveShelfItemFactory(
        flash_price=Decimal("9.90"),
        flash_starts_at=timezone.now() - timedelta(minutes=5),
        flash_ends_at=timezone.now() + timedelta(minutes=55),
        live_session__scheduled_start=timezone.now() - timedelta(minutes=30),
    )
    product = ProductFactory(tags=[tag])
    ShortVideoFactory(course=paid, instructor=paid.instructor, tags=[tag])
    course_enroll_free(user=learner, course=free)
    lesson_progress_record(user=learner, lesson=lesson, position_seconds=120)
    live_reservation_create(user=learner, live_session=shelf.live_session)
    paid_order = order_create(user=learner, items=[(paid, 1)], idempotency_key="first")
    order_pay(order_id=paid_order.pk, user=learner)
    order_create(user=learner, items=[(product, 2)], idempotency_key="second", new_address=ADDRESS)
    interests_declare(user=learner, tags=[tag])
    event_record(user=learner, event_type="view", object_type="product", object_id=product.pk)
    return learner
