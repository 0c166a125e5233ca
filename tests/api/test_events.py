"""The feedback batch endpoint: each event stored, reported as a duplicate or rejected on its
own; batches over 500 refused as a whole; anonymous visitors need a visitor id."""

import uuid

import pytest
from django.utils import timezone

from recommendations.models import Event
from tests.api.conftest import client_for
from tests.factories import CourseFactory, UserFactory

pytestmark = pytest.mark.django_db

EVENTS = "/api/v1/events/"


def click(course_id: int, event_id: str | None = None) -> dict:
    return {
        "client_event_id": event_id or str(uuid.uuid4()),
        "type": "click",
        "object_type": "course",
        "object_id": course_id,
        "client_ts": timezone.now().isoformat(),
    }


def test_a_batch_reports_stored_duplicate_and_rejected_events_by_index():
    course, learner = CourseFactory(), UserFactory()
    repeated = str(uuid.uuid4())
    batch = [
        click(course.pk, repeated),
        click(course.pk, repeated),
        {**click(course.pk), "type": "teleport"},
        {**click(course.pk), "type": ["not", "a", "name"]},
        click(course.pk),
    ]
    response = client_for(learner).post(EVENTS, {"client": "ios", "events": batch})
    assert response.status_code == 200
    body = response.json()
    assert body["stored"] == [0, 4]
    assert body["duplicates"] == [1]
    assert [(r["index"], r["field"]) for r in body["rejected"]] == [(2, "type"), (3, "type")]
    assert Event.objects.filter(user=learner).count() == 2


def test_sending_the_same_batch_again_stores_nothing_twice():
    course, learner = CourseFactory(), UserFactory()
    batch = {"client": "android", "events": [click(course.pk)]}
    client = client_for(learner)
    client.post(EVENTS, batch)
    again = client.post(EVENTS, batch).json()
    assert (again["stored"], again["duplicates"]) == ([], [0])
    assert Event.objects.count() == 1


def test_a_batch_over_500_events_is_refused_naming_the_events_field():
    course = CourseFactory()
    batch = {"client": "web", "events": [click(course.pk) for _ in range(501)]}
    response = client_for(UserFactory()).post(EVENTS, batch)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["events"]
    assert not Event.objects.exists()


def test_anonymous_visitors_send_events_with_their_visitor_id(anon):
    course = CourseFactory()
    response = anon.post(
        EVENTS, {"client": "web", "visitor_id": "v-123", "events": [click(course.pk)]}
    )
    assert response.json()["stored"] == [0]
    assert Event.objects.get().visitor_id == "v-123"


def test_anonymous_batches_without_a_visitor_id_are_400(anon):
    response = anon.post(EVENTS, {"client": "web", "events": [click(CourseFactory().pk)]})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["visitor_id"]


def test_the_server_client_type_is_not_for_clients():
    response = client_for(UserFactory()).post(EVENTS, {"client": "server", "events": []})
    assert list(response.json()["errors"]) == ["client"]


@pytest.mark.parametrize("not_an_event", ["x", 7, None, [], ["click"], True])
def test_an_event_that_is_not_an_object_is_rejected_alone(not_an_event):
    course, learner = CourseFactory(), UserFactory()
    batch = [click(course.pk), not_an_event, click(course.pk)]
    response = client_for(learner).post(EVENTS, {"client": "ios", "events": batch})
    assert response.status_code == 200
    body = response.json()
    assert body["stored"] == [0, 2]
    assert body["rejected"] == [
        {"index": 1, "field": "non_field_errors", "reason": "Each event must be an object."}
    ]
    assert Event.objects.filter(user=learner).count() == 2


def test_clients_cannot_report_purchases_enrollments_or_reservations():
    course, learner = CourseFactory(), UserFactory()
    batch = [click(course.pk), {**click(course.pk), "type": "purchase"}]
    batch.append({**click(course.pk), "type": "enroll"})
    response = client_for(learner).post(EVENTS, {"client": "android", "events": batch})
    body = response.json()
    assert body["stored"] == [0]
    assert [(r["index"], r["field"]) for r in body["rejected"]] == [(1, "type"), (2, "type")]
    assert "recorded by the server" in body["rejected"][0]["reason"]
    assert list(Event.objects.values_list("event_type", flat=True)) == ["click"]
