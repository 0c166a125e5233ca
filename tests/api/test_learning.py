"""Enrollments, lesson progress, continue-learning and live reservations through the API."""

from decimal import Decimal

import pytest

from commerce.models import LiveReservation
from courses.models import LiveSession
from tests.api.conftest import client_for
from tests.commerce.factories import EnrollmentFactory
from tests.factories import CourseFactory, LessonFactory, LiveSessionFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def learner():
    return UserFactory()


def test_enrolling_in_a_free_course(learner):
    free = CourseFactory(price=Decimal("0.00"))
    client = client_for(learner)
    response = client.post("/api/v1/enrollments/", {"course": free.pk})
    assert response.status_code == 201
    assert response.json()["course"]["id"] == free.pk
    assert [e["course"]["id"] for e in client.get("/api/v1/enrollments/").json()["results"]] == [
        free.pk
    ]


def test_a_paid_course_must_be_bought_not_enrolled_in(learner):
    response = client_for(learner).post("/api/v1/enrollments/", {"course": CourseFactory().pk})
    assert response.status_code == 400
    assert "non_field_errors" in response.json()["errors"]


def test_recording_progress_and_continuing_where_the_learner_left_off(learner):
    lesson = LessonFactory(duration_seconds=600)
    EnrollmentFactory(user=learner, course=lesson.course)
    client = client_for(learner)
    recorded = client.post("/api/v1/progress/", {"lesson": lesson.pk, "position_seconds": 570})
    assert recorded.status_code == 200
    assert recorded.json()["percent_watched"] == 95
    assert recorded.json()["completed_at"] is not None
    entry = client.get("/api/v1/continue-learning/").json()[0]
    assert entry["course"]["id"] == lesson.course_id
    assert entry["last_lesson"]["id"] == lesson.pk
    assert (entry["lessons_completed"], entry["lessons_total"]) == (1, 1)


def test_progress_is_measured_against_the_lessons_own_duration(learner):
    lesson = LessonFactory(duration_seconds=912)
    EnrollmentFactory(user=learner, course=lesson.course)
    response = client_for(learner).post(
        "/api/v1/progress/", {"lesson": lesson.pk, "position_seconds": 1, "duration_seconds": 1}
    )
    assert response.status_code == 200
    assert (response.json()["percent_watched"], response.json()["completed_at"]) == (0, None)


def test_progress_on_a_lesson_of_a_course_not_enrolled_in_is_403(learner):
    lesson = LessonFactory()
    response = client_for(learner).post(
        "/api/v1/progress/", {"lesson": lesson.pk, "position_seconds": 10}
    )
    assert response.status_code == 403


def test_free_previews_record_progress_without_enrollment(learner):
    lesson = LessonFactory(is_free_preview=True)
    response = client_for(learner).post(
        "/api/v1/progress/", {"lesson": lesson.pk, "position_seconds": 10}
    )
    assert response.status_code == 200


def test_reserving_listing_and_cancelling_a_live_session(learner):
    live = LiveSessionFactory()
    client = client_for(learner)
    created = client.post("/api/v1/reservations/", {"live_session": live.pk})
    assert created.status_code == 201
    listed = client.get("/api/v1/reservations/").json()["results"]
    assert [r["live_session"]["id"] for r in listed] == [live.pk]
    assert client.delete(f"/api/v1/reservations/{created.json()['id']}/").status_code == 204
    assert client.get("/api/v1/reservations/").json()["results"] == []
    assert LiveReservation.objects.get().cancelled_at is not None


def test_an_ended_live_session_cannot_be_reserved(learner):
    live = LiveSessionFactory(status=LiveSession.Status.ENDED)
    response = client_for(learner).post("/api/v1/reservations/", {"live_session": live.pk})
    assert response.status_code == 400
