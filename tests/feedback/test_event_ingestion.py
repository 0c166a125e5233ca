"""Feedback ingestion: every valid event stored once, every bad one rejected with a reason."""

import threading
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from recommendations.models import Event
from recommendations.services.events import (
    BatchTooLarge,
    event_ingest_batch,
    event_record,
    events_merge_visitor,
)
from tests.factories import (
    CourseFactory,
    LessonFactory,
    LiveSessionFactory,
    ProductFactory,
    ShortVideoFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def make_event(**overrides):
    event = {
        "client_event_id": str(uuid.uuid4()),
        "type": "click",
        "object_type": "course",
        "object_id": overrides.pop("object_id", None),
        "client_ts": timezone.now().isoformat(),
        "page": "home:recommended",
    }
    event.update(overrides)
    return event


@pytest.fixture
def learner():
    return UserFactory()


@pytest.fixture
def course():
    return CourseFactory()


def test_a_valid_batch_is_stored_with_its_context(learner, course):
    request_id = uuid.uuid4()
    batch = [
        make_event(object_id=course.pk, request_id=str(request_id)),
        make_event(type="rating", object_id=course.pk, value=4),
        make_event(type="search", object_type=None, query="  python 入门 "),
    ]
    result = event_ingest_batch(events=batch, client="ios", user=learner)
    assert result.stored == [0, 1, 2]
    assert result.rejected == [] and result.duplicates == []
    click, rating, search = Event.objects.order_by("id")
    assert (click.user, click.client, click.page, click.request_id) == (
        learner,
        "ios",
        "home:recommended",
        request_id,
    )
    assert rating.value == 4.0
    assert (search.query, search.object_id) == ("python 入门", None)
    assert click.server_ts >= click.client_ts


def test_the_same_batch_twice_changes_nothing(learner, course):
    batch = [make_event(object_id=course.pk) for _ in range(3)]
    first = event_ingest_batch(events=batch, client="web", user=learner)
    second = event_ingest_batch(events=batch, client="web", user=learner)
    assert first.stored == [0, 1, 2]
    assert second.stored == [] and second.duplicates == [0, 1, 2]
    assert Event.objects.count() == 3


def test_an_event_repeated_inside_one_batch_is_stored_once(learner, course):
    event = make_event(object_id=course.pk)
    result = event_ingest_batch(events=[event, dict(event)], client="web", user=learner)
    assert (result.stored, result.duplicates) == ([0], [1])
    assert Event.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "field", "reason"),
    [
        ({"type": "teleport"}, "type", "Unknown event type"),
        ({"type": ["click"]}, "type", "Unknown event type"),
        ({"object_type": {"a": 1}}, "object_type", "Unknown object type"),
        ({"type": None}, "type", "required"),
        ({"client_event_id": None}, "client_event_id", "required"),
        ({"client_event_id": "not-a-uuid"}, "client_event_id", "UUID"),
        ({"object_type": "planet"}, "object_type", "Unknown object type"),
        ({"object_type": None}, "object_type", "required"),
        ({"object_id": None}, "object_id", "required"),
        ({"object_id": "7"}, "object_id", "positive integer"),
        ({"object_id": 987654}, "object_id", "No course with id 987654"),
        ({"client_ts": None}, "client_ts", "required"),
        ({"client_ts": "yesterday"}, "client_ts", "ISO 8601"),
        ({"client_ts": "2026-01-01T10:00:00"}, "client_ts", "time zone"),
        ({"type": "rating", "value": 6}, "value", "between 1 and 5"),
        ({"type": "rating", "value": 0}, "value", "between 1 and 5"),
        ({"type": "rating", "value": "5"}, "value", "number"),
        ({"type": "rating"}, "value", "1 to 5"),
        ({"type": "watch", "value": 0.5}, "object_type", "cannot be about a course"),
        ({"type": "watch", "object_type": "product"}, "object_type", "cannot be about a product"),
        ({"type": "search", "query": ""}, "query", "needs a query"),
        ({"request_id": "nope"}, "request_id", "UUID"),
    ],
)
def test_an_invalid_event_is_rejected_with_its_index_field_and_reason(
    learner, course, overrides, field, reason
):
    bad = make_event(object_id=course.pk)
    bad.update(overrides)
    batch = [make_event(object_id=course.pk), bad, make_event(object_id=course.pk)]
    result = event_ingest_batch(events=batch, client="android", user=learner)
    assert result.stored == [0, 2]
    [rejection] = result.rejected
    assert (rejection.index, rejection.field) == (1, field)
    assert reason in rejection.reason
    assert Event.objects.count() == 2


@pytest.mark.parametrize("not_an_event", ["x", 7, None, ["click"]])
def test_an_event_that_is_not_an_object_is_rejected_with_its_index(learner, course, not_an_event):
    batch = [make_event(object_id=course.pk), not_an_event, make_event(object_id=course.pk)]
    result = event_ingest_batch(events=batch, client="web", user=learner)
    assert result.stored == [0, 2]
    assert [(r.index, r.field) for r in result.rejected] == [(1, "non_field_errors")]


@pytest.mark.parametrize("query", [5, ["python"], "x" * 300])
def test_only_a_search_keeps_a_query(learner, course, query):
    result = event_ingest_batch(
        events=[make_event(object_id=course.pk, query=query)], client="web", user=learner
    )
    assert result.stored == [0]
    assert Event.objects.get().query == ""


@pytest.mark.parametrize(
    ("event_type", "object_type"),
    [("purchase", "course"), ("purchase", "product"), ("enroll", "course"), ("reserve", "live")],
)
def test_commerce_events_are_the_servers_to_record_and_refused_from_clients(
    learner, event_type, object_type
):
    item = {"course": CourseFactory, "product": ProductFactory, "live": LiveSessionFactory}[
        object_type
    ]()
    batch = [
        make_event(object_id=item.pk, object_type=object_type),
        make_event(type=event_type, object_type=object_type, object_id=item.pk),
    ]
    result = event_ingest_batch(events=batch, client="ios", user=learner)
    assert result.stored == [0]
    [rejection] = result.rejected
    assert (rejection.index, rejection.field) == (1, "type")
    assert (
        rejection.reason == f"A {event_type} is recorded by the server when it happens, not sent."
    )
    assert not Event.objects.filter(event_type=event_type).exists()


def test_timestamps_more_than_five_minutes_ahead_are_rejected(learner, course):
    now = timezone.now()
    batch = [
        make_event(object_id=course.pk, client_ts=(now + timedelta(minutes=4)).isoformat()),
        make_event(object_id=course.pk, client_ts=(now + timedelta(minutes=6)).isoformat()),
    ]
    result = event_ingest_batch(events=batch, client="web", user=learner)
    assert result.stored == [0]
    assert [(r.index, r.field) for r in result.rejected] == [(1, "client_ts")]
    assert "future" in result.rejected[0].reason


def test_watch_progress_is_recorded_for_lessons_and_lives(learner):
    lesson, live = LessonFactory(), LiveSessionFactory()
    batch = [
        make_event(
            type="watch", object_type="lesson", object_id=lesson.pk, value=0.5, position_seconds=300
        ),
        make_event(type="watch", object_type="live", object_id=live.pk, value=1.0),
    ]
    batch.append(make_event(type="watch", object_type="lesson", object_id=lesson.pk, value=1.5))
    result = event_ingest_batch(events=batch, client="web", user=learner)
    assert result.stored == [0, 1]
    assert [(r.index, r.field, r.reason) for r in result.rejected] == [
        (2, "value", "Must be between 0 and 1.")
    ]
    assert Event.objects.get(object_type="lesson").position_seconds == 300


def watch(item, object_type: str, value: float, position: int | None = None) -> dict:
    return make_event(
        type="watch",
        object_type=object_type,
        object_id=item.pk,
        value=value,
        position_seconds=position,
    )


def test_a_watch_is_clamped_to_what_the_objects_real_duration_allows(learner):
    lesson = LessonFactory(duration_seconds=912)
    video = ShortVideoFactory(duration_seconds=60)
    start = timezone.now() - timedelta(hours=2)
    live = LiveSessionFactory(scheduled_start=start, scheduled_end=start + timedelta(hours=1))
    batch = [
        watch(lesson, "lesson", 1.0, position=1),  # "all of it", one second in
        watch(lesson, "lesson", 0.5, position=456),  # plausible: kept as sent
        watch(video, "video", 1.0, position=600),  # past the end of a one-minute video
        watch(live, "live", 1.0, position=1800),  # half of the hour it was scheduled for
    ]
    result = event_ingest_batch(events=batch, client="web", user=learner)
    assert result.stored == [0, 1, 2, 3] and result.rejected == []
    stored = Event.objects.order_by("id").values_list("position_seconds", "value")
    assert [(position, pytest.approx(value)) for position, value in stored] == [
        (1, pytest.approx(1 / 912)),
        (456, 0.5),
        (60, 1.0),
        (1800, 0.5),
    ]


def test_a_watch_without_a_position_or_of_a_lesson_of_unknown_length_is_taken_as_sent(learner):
    known, unknown = LessonFactory(duration_seconds=912), LessonFactory(duration_seconds=0)
    batch = [watch(known, "lesson", 0.8), watch(unknown, "lesson", 0.8, position=5)]
    assert event_ingest_batch(events=batch, client="web", user=learner).stored == [0, 1]
    assert list(Event.objects.order_by("id").values_list("value", flat=True)) == [0.8, 0.8]


def test_a_batch_of_more_than_500_is_refused_whole(learner, course):
    with pytest.raises(BatchTooLarge, match="at most 500"):
        event_ingest_batch(
            events=[make_event(object_id=course.pk)] * 501, client="web", user=learner
        )
    assert not Event.objects.exists()


def test_a_batch_of_exactly_500_is_accepted(learner, course):
    batch = [make_event(object_id=course.pk) for _ in range(500)]
    assert len(event_ingest_batch(events=batch, client="web", user=learner).stored) == 500


def test_the_server_client_type_cannot_be_claimed_by_a_batch(learner, course):
    with pytest.raises(ValueError, match="Unknown client"):
        event_ingest_batch(events=[make_event(object_id=course.pk)], client="server", user=learner)


def test_anonymous_events_need_a_visitor_id_and_merge_into_the_account_at_sign_in(course):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(ValueError, match="visitor id"):
        event_ingest_batch(events=[], client="web", user=AnonymousUser())
    batch = [make_event(object_id=course.pk) for _ in range(2)]
    event_ingest_batch(events=batch, client="web", user=AnonymousUser(), visitor_id="v-123")
    assert Event.objects.filter(user=None, visitor_id="v-123").count() == 2

    learner = UserFactory()
    assert events_merge_visitor(visitor_id="v-123", user=learner) == 2
    assert Event.objects.filter(user=learner, visitor_id="").count() == 2
    assert events_merge_visitor(visitor_id="v-123", user=UserFactory()) == 0


def test_server_side_events_are_recorded_with_a_fresh_id(learner, course):
    first = event_record(
        user=learner, event_type="view", object_type="course", object_id=course.pk, page="course"
    )
    second = event_record(
        user=learner, event_type="view", object_type="course", object_id=course.pk, page="course"
    )
    assert first.client == "server" and first.client_event_id != second.client_event_id
    assert Event.objects.count() == 2


def test_server_side_events_without_anyone_to_attribute_them_to_are_dropped(course):
    from django.contrib.auth.models import AnonymousUser

    assert (
        event_record(
            user=AnonymousUser(), event_type="view", object_type="course", object_id=course.pk
        )
        is None
    )
    assert not Event.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_identical_batches_store_each_event_once(postgres):
    learner, course = UserFactory(), CourseFactory()
    batch = [make_event(object_id=course.pk) for _ in range(50)]
    barrier = threading.Barrier(4)
    errors = []

    def send():
        try:
            barrier.wait()
            event_ingest_batch(events=batch, client="web", user=learner)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert Event.objects.count() == 50
