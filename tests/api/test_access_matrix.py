"""Who may read or change a learner's rows: every object endpoint × (the owner, another
learner, the instructor whose course or live session it is, an anonymous visitor).

Another learner and the instructor get 404, exactly as for an id that does not exist, so ids
reveal nothing; an instructor's token widens nothing. Lists show each caller only their own rows.
"""

from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.utils import timezone

from commerce.models import DeliveryAddress, LessonProgress, LiveReservation, Order
from commerce.services import (
    address_create,
    course_enroll_free,
    lesson_progress_record,
    live_reservation_create,
    order_create,
)
from recommendations.models import Event
from recommendations.services.profiles import interests_declare
from tests.api.conftest import client_for
from tests.commerce.factories import ADDRESS
from tests.factories import (
    CourseFactory,
    InstructorFactory,
    LessonFactory,
    LiveSessionFactory,
    TagFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

ACTORS = ["owner", "other", "instructor", "anonymous"]


@dataclass
class OwnedRows:
    owner: object
    other: object
    instructor: object
    order: Order
    reservation: LiveReservation
    lesson: object
    tag: object
    address: DeliveryAddress


@pytest.fixture
def rows() -> OwnedRows:
    instructor = InstructorFactory()
    owner, other = UserFactory(username="owner"), UserFactory(username="other")
    course = CourseFactory(instructor=instructor)
    free = CourseFactory(instructor=instructor, price=Decimal("0.00"))
    lesson = LessonFactory(chapter__course=free)
    live = LiveSessionFactory(instructor=instructor)
    tag = TagFactory()
    course_enroll_free(user=owner, course=free)
    lesson_progress_record(user=owner, lesson=lesson, position_seconds=60)
    interests_declare(user=owner, tags=[tag])
    return OwnedRows(
        owner=owner,
        other=other,
        instructor=instructor.user,
        order=order_create(user=owner, items=[(course, 1)], idempotency_key="mine"),
        reservation=live_reservation_create(user=owner, live_session=live),
        lesson=lesson,
        tag=tag,
        address=address_create(user=owner, **ADDRESS),
    )


def client_of(rows: OwnedRows, actor: str):
    return client_for(None if actor == "anonymous" else getattr(rows, actor))


# (name, method, path, body, expected status per actor)
OBJECT_ENDPOINTS = [
    ("read order", "get", "/api/v1/orders/{order}/", None, (200, 404, 404, 401)),
    ("pay order", "post", "/api/v1/orders/{order}/pay/", None, (200, 404, 404, 401)),
    ("cancel order", "post", "/api/v1/orders/{order}/cancel/", None, (200, 404, 404, 401)),
    (
        "cancel reservation",
        "delete",
        "/api/v1/reservations/{reservation}/",
        None,
        (204, 404, 404, 401),
    ),
    (
        "record progress",
        "post",
        "/api/v1/progress/",
        {"lesson": "{lesson}", "position_seconds": 300},
        (200, 403, 403, 401),
    ),
    ("delete interest", "delete", "/api/v1/me/interests/{tag}/", None, (204, 404, 404, 401)),
    ("read address", "get", "/api/v1/me/addresses/{address}/", None, (200, 404, 404, 401)),
    (
        "change address",
        "patch",
        "/api/v1/me/addresses/{address}/",
        {"recipient": "李四"},
        (200, 404, 404, 401),
    ),
    (
        "replace address",
        "put",
        "/api/v1/me/addresses/{address}/",
        {**ADDRESS, "recipient": "李四"},
        (200, 404, 404, 401),
    ),
    ("delete address", "delete", "/api/v1/me/addresses/{address}/", None, (204, 404, 404, 401)),
]


def _fill(template, rows: OwnedRows):
    values = {
        "order": rows.order.pk,
        "reservation": rows.reservation.pk,
        "lesson": rows.lesson.pk,
        "tag": rows.tag.pk,
        "address": rows.address.pk,
    }
    if isinstance(template, dict):
        return {k: _fill(v, rows) for k, v in template.items()}
    if isinstance(template, str) and template.startswith("{") and template.endswith("}"):
        return values[template[1:-1]]
    return template.format(**values) if isinstance(template, str) else template


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize(
    ("method", "path", "body", "expected"),
    [pytest.param(*case[1:], id=case[0]) for case in OBJECT_ENDPOINTS],
)
def test_object_endpoint_answers_by_who_asks(rows, actor, method, path, body, expected):
    client = client_of(rows, actor)
    response = getattr(client, method)(_fill(path, rows), _fill(body, rows))
    assert response.status_code == expected[ACTORS.index(actor)], response.content


@pytest.mark.parametrize("actor", ["other", "instructor"])
def test_others_cannot_change_the_owners_rows(rows, actor):
    client = client_of(rows, actor)
    client.post(f"/api/v1/orders/{rows.order.pk}/cancel/")
    client.delete(f"/api/v1/reservations/{rows.reservation.pk}/")
    client.post("/api/v1/progress/", {"lesson": rows.lesson.pk, "position_seconds": 599})
    client.patch(f"/api/v1/me/addresses/{rows.address.pk}/", {"recipient": "李四"})
    client.delete(f"/api/v1/me/addresses/{rows.address.pk}/")
    rows.order.refresh_from_db()
    rows.reservation.refresh_from_db()
    assert rows.order.status == Order.Status.PENDING
    assert rows.reservation.cancelled_at is None
    assert LessonProgress.objects.get(user=rows.owner).position_seconds == 60
    assert not LessonProgress.objects.filter(user__in=[rows.other, rows.instructor]).exists()
    assert DeliveryAddress.objects.get(pk=rows.address.pk).recipient == ADDRESS["recipient"]


LISTS = [
    "/api/v1/orders/",
    "/api/v1/enrollments/",
    "/api/v1/reservations/",
    "/api/v1/continue-learning/",
    "/api/v1/me/interests/",
    "/api/v1/me/addresses/",
]


def _rows_in(body) -> list:
    return body["results"] if isinstance(body, dict) else body


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize(("actor", "expected"), [("owner", 1), ("other", 0), ("instructor", 0)])
def test_lists_show_only_the_callers_own_rows(rows, path, actor, expected):
    response = client_of(rows, actor).get(path)
    assert response.status_code == 200
    assert len(_rows_in(response.json())) == expected


@pytest.mark.parametrize("path", [*LISTS, "/api/v1/me/", "/api/v1/me/export/"])
def test_anonymous_visitors_get_401_for_personal_lists(rows, path):
    assert client_of(rows, "anonymous").get(path).status_code == 401


@pytest.mark.parametrize("actor", ["owner", "other", "instructor"])
def test_me_and_the_export_are_always_the_callers_own(rows, actor):
    client = client_of(rows, actor)
    username = getattr(rows, actor).username
    assert client.get("/api/v1/me/").json()["username"] == username
    assert client.get("/api/v1/me/export/").json()["account"]["username"] == username
    client.patch("/api/v1/me/", {"first_name": actor})
    rows.owner.refresh_from_db()
    assert rows.owner.first_name == ("owner" if actor == "owner" else "")


def test_events_are_recorded_for_the_caller_only_whatever_the_body_says(rows):
    event = {
        "client_event_id": "8c1f4e0a-2b3d-4c5e-8f9a-0b1c2d3e4f5a",
        "type": "view",
        "object_type": "lesson",
        "object_id": rows.lesson.pk,
        "client_ts": timezone.now().isoformat(),
        "user": rows.owner.pk,
    }
    batch = {"client": "ios", "visitor_id": "owner-device", "events": [event]}
    assert client_of(rows, "other").post("/api/v1/events/", batch).json()["stored"] == [0]
    stored = Event.objects.get(client_event_id=event["client_event_id"])
    assert (stored.user, stored.visitor_id) == (rows.other, "")
