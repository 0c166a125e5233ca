"""The live rooms' services: every rule of posting, questions, answers, moderation and likes,
and what each leaves behind (the messages, the log, the feedback events)."""

from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from courses import shelf as shelf_services
from courses.models import LiveSession
from liveroom import selectors, services
from liveroom.models import BlockedWord, Message, ModerationAction, Mute, RoomLikes
from recommendations.models import Event
from tests.factories import (
    InstructorFactory,
    LiveSessionFactory,
    LiveShelfItemFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def instructor(live):
    return live.instructor.user


@pytest.fixture
def sent():
    """What the services broadcast, as (live id, event) pairs."""
    with mock.patch("liveroom.services.room_send") as room_send:
        yield room_send


def events_of(sent, kind):
    calls = (c.args for c in sent.call_args_list)
    return [event for _live, event in calls if event["type"] == kind]


def post(user, live, text="大家好", **kwargs):
    return services.message_post(user=user, live_session=live, text=text, **kwargs)


# Posting


def test_a_learner_posts_a_message_that_is_stored_and_broadcast(live, learner, sent):
    message = post(learner, live, "  老师  好 ")
    assert message.text == "老师 好" and message.kind == "chat" and not message.is_question
    [event] = events_of(sent, "message")
    assert event["message"]["id"] == message.pk
    assert event["message"]["author"] == {"id": learner.pk, "name": "小明"}


def test_danmaku_and_questions_are_kinds_of_message(live, learner, sent):
    assert post(learner, live, kind="danmaku").kind == "danmaku"
    assert post(learner, live, "怎么报名?", is_question=True).is_question


def test_an_unknown_kind_is_refused(live, learner):
    with pytest.raises(ValidationError) as error:
        post(learner, live, kind="shout")
    assert "kind" in error.value.message_dict


def test_anonymous_visitors_may_not_post(live, sent):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(PermissionDenied):
        post(AnonymousUser(), live)
    assert not Message.objects.exists()


@pytest.mark.parametrize("text", ["", "   ", "\n"])
def test_an_empty_message_is_refused(live, learner, text):
    with pytest.raises(ValidationError) as error:
        post(learner, live, text)
    assert error.value.error_dict["text"][0].code == "empty"


def test_a_too_long_message_is_refused(live, learner, settings):
    settings.LIVEROOM_MESSAGE_MAX_LENGTH = 10
    post(learner, live, "一" * 10)
    with pytest.raises(ValidationError) as error:
        post(learner, live, "一" * 11)
    assert error.value.error_dict["text"][0].code == "too_long"


def test_a_blocked_word_is_refused_whatever_its_case(live, learner, sent):
    BlockedWord.objects.create(word="  SpamWord ")
    assert BlockedWord.objects.get().word == "spamword"
    with pytest.raises(ValidationError) as error:
        post(learner, live, "buy at spamWORD now")
    assert error.value.error_dict["text"][0].code == "blocked_word"
    assert not Message.objects.exists() and not sent.called


def test_a_learner_posting_too_fast_is_held_back(live, learner, settings):
    settings.LIVEROOM_RATE_MESSAGES = 2
    post(learner, live)
    post(learner, live)
    with pytest.raises(ValidationError) as error:
        post(learner, live)
    assert error.value.error_dict["text"][0].code == "rate_limited"
    assert Message.objects.count() == 2


def test_posting_carries_on_when_the_cache_is_away(live, learner, settings, cache_away):
    settings.LIVEROOM_RATE_MESSAGES = 1
    cache_away()
    post(learner, live)
    post(learner, live)
    assert Message.objects.count() == 2


def test_a_muted_learner_cannot_post(live, learner, instructor):
    services.room_mute(user=instructor, live_session=live, learner_id=learner.pk)
    with pytest.raises(PermissionDenied):
        post(learner, live)


def test_the_instructor_posts_unlimited_and_never_as_a_question(live, instructor, settings):
    settings.LIVEROOM_RATE_MESSAGES = 1
    for _ in range(3):
        message = post(instructor, live, is_question=True)
    assert not message.is_question and Message.objects.count() == 3


@pytest.mark.parametrize("status", [LiveSession.Status.ENDED, LiveSession.Status.CANCELLED])
def test_an_ended_live_is_closed_to_posting(live, learner, status):
    live.status = status
    with pytest.raises(ValidationError) as error:
        post(learner, live)
    assert error.value.error_dict["text"][0].code == "closed"


def test_a_comment_and_a_question_are_feedback_for_the_recommender(
    live, learner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post(learner, live)
        post(learner, live, "多少钱?", is_question=True)
    events = Event.objects.filter(user=learner, object_type="live", object_id=live.pk)
    assert sorted(events.values_list("event_type", flat=True)) == ["comment", "question"]
    assert set(events.values_list("client", flat=True)) == {"server"}


def test_the_broadcast_waits_for_the_commit(live, learner, django_capture_on_commit_callbacks):
    with mock.patch("liveroom.broadcast.room_send_now") as send_now:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            post(learner, live)
        assert not send_now.called
        for callback in callbacks:
            callback()
        assert send_now.call_args.args[1]["type"] == "message"


def test_a_failing_channel_layer_never_breaks_a_post(live, learner, caplog):
    from liveroom.broadcast import room_send_now

    with mock.patch("liveroom.broadcast.get_channel_layer") as layer:
        layer.return_value.group_send = mock.AsyncMock(side_effect=OSError("down"))
        room_send_now(live.pk, {"type": "message"})
    assert "Could not broadcast" in caplog.text


# Questions and answers


def test_the_author_marks_their_own_message_as_a_question(
    live, learner, sent, django_capture_on_commit_callbacks
):
    message = post(learner, live)
    with django_capture_on_commit_callbacks(execute=True):
        services.message_mark_question(user=learner, message_id=message.pk)
        services.message_mark_question(user=learner, message_id=message.pk)  # no second event
    message.refresh_from_db()
    assert message.is_question
    assert len(events_of(sent, "message_updated")) == 1
    assert Event.objects.filter(user=learner, event_type="question").count() == 1


def test_nobody_else_marks_a_learners_message(live, learner, other_learner):
    message = post(learner, live)
    with pytest.raises(Http404):
        services.message_mark_question(user=other_learner, message_id=message.pk)
    with pytest.raises(Http404):
        services.message_mark_question(
            user=learner, message_id=message.pk, live_session_id=live.pk + 1
        )


def test_the_instructor_answers_and_pins_a_question(live, learner, instructor, sent):
    first = post(learner, live, "第一问", is_question=True)
    second = post(learner, live, "第二问", is_question=True)
    services.message_answer(user=instructor, message_id=first.pk, answer="答一")
    answered = services.message_answer(user=instructor, message_id=second.pk, answer=" 答二 ")
    first.refresh_from_db()
    assert answered.answer == "答二" and answered.answered_by == instructor and answered.is_pinned
    assert not first.is_pinned and first.answer == "答一"  # answered, no longer pinned
    assert selectors.room_pinned_message(live_session=live) == answered
    assert events_of(sent, "pinned_message")[-1]["message"]["answer"] == "答二"
    assert ModerationAction.objects.filter(action="answer", actor=instructor).count() == 2


def test_an_answer_may_stay_unpinned(live, learner, instructor):
    message = post(learner, live, is_question=True)
    answered = services.message_answer(
        user=instructor, message_id=message.pk, answer="好", pin=False
    )
    assert answered.answer == "好" and not answered.is_pinned


@pytest.mark.parametrize(("answer", "code"), [("  ", "empty"), ("长" * 401, "too_long")])
def test_an_empty_or_too_long_answer_is_refused(live, learner, instructor, answer, code):
    message = post(learner, live, is_question=True)
    with pytest.raises(ValidationError) as error:
        services.message_answer(user=instructor, message_id=message.pk, answer=answer)
    assert error.value.error_dict["answer"][0].code == code


def test_only_the_lives_own_instructor_moderates(live, learner):
    message = post(learner, live, is_question=True)
    stranger = InstructorFactory().user  # staff, like every instructor: still not this room's
    for action in (
        lambda: services.message_answer(user=stranger, message_id=message.pk, answer="x"),
        lambda: services.message_delete(user=stranger, message_id=message.pk),
        lambda: services.message_pin(user=stranger, message_id=message.pk),
        lambda: services.room_mute(user=stranger, live_session=live, learner_id=learner.pk),
        lambda: services.room_unmute(user=stranger, live_session=live, learner_id=learner.pk),
        lambda: services.room_get_for_moderator(user=stranger, live_session_id=live.pk),
        lambda: services.message_delete(user=learner, message_id=message.pk),
    ):
        with pytest.raises(PermissionDenied):
            action()
    assert not ModerationAction.objects.exists()


def test_a_superuser_moderates_every_room(live, learner):
    admin = UserFactory(username="root", is_superuser=True, is_staff=True)
    message = post(learner, live)
    services.message_delete(user=admin, message_id=message.pk)
    assert services.room_get_for_moderator(user=admin, live_session_id=live.pk) == live


def test_a_message_of_another_room_is_not_found(live, learner, instructor):
    message = post(learner, live)
    for action in (services.message_delete, services.message_pin, services.message_unpin):
        with pytest.raises(Http404):
            action(user=instructor, message_id=message.pk, live_session_id=live.pk + 1)


def test_pin_and_unpin_a_message(live, learner, instructor, sent):
    message = post(learner, live)
    services.message_pin(user=instructor, message_id=message.pk)
    services.message_pin(user=instructor, message_id=message.pk)  # pinned already: nothing more
    assert selectors.room_pinned_message(live_session=live) == message
    services.message_unpin(user=instructor, message_id=message.pk)
    services.message_unpin(user=instructor, message_id=message.pk)
    assert selectors.room_pinned_message(live_session=live) is None
    assert [e["message"] and e["message"]["id"] for e in events_of(sent, "pinned_message")] == [
        message.pk,
        None,
    ]
    assert list(ModerationAction.objects.values_list("action", flat=True)) == ["unpin", "pin"]


# Deleting and muting


def test_the_instructor_deletes_a_message_which_leaves_the_room_but_not_the_record(
    live, learner, instructor, sent
):
    message = post(learner, live)
    services.message_pin(user=instructor, message_id=message.pk)
    services.message_delete(user=instructor, message_id=message.pk, live_session_id=live.pk)
    message.refresh_from_db()
    assert message.deleted_by == instructor and message.is_deleted and not message.is_pinned
    assert selectors.room_history(live_session=live) == []
    assert events_of(sent, "message_deleted") == [{"type": "message_deleted", "id": message.pk}]
    assert events_of(sent, "pinned_message")[-1] == {"type": "pinned_message", "message": None}
    log = ModerationAction.objects.get(action="delete")
    assert (log.actor, log.target_user, log.message) == (instructor, learner, message)
    with pytest.raises(Http404):  # deleted: gone from the room
        services.message_delete(user=instructor, message_id=message.pk)


def test_mute_and_unmute_are_logged_once(live, learner, instructor, sent):
    services.room_mute(user=instructor, live_session=live, learner_id=learner.pk)
    services.room_mute(user=instructor, live_session=live, learner_id=learner.pk)
    assert selectors.room_muted(user=learner, live_session=live)
    services.room_unmute(user=instructor, live_session=live, learner_id=learner.pk)
    services.room_unmute(user=instructor, live_session=live, learner_id=learner.pk)
    assert not Mute.objects.exists()
    post(learner, live)  # may post again
    assert list(ModerationAction.objects.values_list("action", flat=True)) == ["unmute", "mute"]
    assert [e["type"] for e in (c.args[1] for c in sent.call_args_list)][:2] == [
        "muted",
        "unmuted",
    ]


def test_a_mute_is_for_one_room_only(live, learner, instructor):
    other_live = LiveSessionFactory(instructor=live.instructor, status=LiveSession.Status.LIVE)
    services.room_mute(user=instructor, live_session=live, learner_id=learner.pk)
    assert post(learner, other_live)


def test_a_moderator_or_an_unknown_learner_cannot_be_muted(live, instructor):
    with pytest.raises(ValidationError):
        services.room_mute(user=instructor, live_session=live, learner_id=instructor.pk)
    for action in (services.room_mute, services.room_unmute):
        with pytest.raises(ValidationError):
            action(user=instructor, live_session=live, learner_id=10**12)


def test_an_anonymous_visitor_is_never_muted_nor_moderates(live):
    from django.contrib.auth.models import AnonymousUser

    assert not selectors.room_muted(user=AnonymousUser(), live_session=live)
    assert not selectors.room_moderates(user=AnonymousUser(), live_session=live)


# Likes and viewers


def test_likes_are_counted_in_the_database_and_the_cache(live, learner, other_learner):
    assert selectors.room_like_count(live_session_id=live.pk) == 0
    assert services.room_like(user=learner, live_session=live, count=3) == 3
    assert services.room_like(user=other_learner, live_session=live, count=500) == 20
    assert RoomLikes.objects.get(live_session=live).count == 23
    assert selectors.room_counts(live_session_id=live.pk) == (23, None)


def test_likes_count_on_from_the_database_when_the_cache_forgot(live, learner):
    from django.core.cache import cache

    services.room_like(user=learner, live_session=live, count=2)
    cache.clear()
    assert selectors.room_counts(live_session_id=live.pk)[0] == 2
    services.room_like(user=learner, live_session=live)
    assert selectors.room_like_count(live_session_id=live.pk) == 3


def test_likes_are_kept_when_the_cache_is_away(live, learner, cache_away):
    cache_away()
    services.room_like(user=learner, live_session=live, count=4)
    assert selectors.room_like_count(live_session_id=live.pk) == 4


def test_a_learners_first_like_of_a_live_is_feedback_once(live, learner):
    services.room_like(user=learner, live_session=live)
    services.room_like(user=learner, live_session=live)
    assert Event.objects.filter(user=learner, event_type="like", object_id=live.pk).count() == 1


@pytest.mark.parametrize("count", [0, -1, 1.5, "2", True])
def test_a_like_count_must_be_a_positive_whole_number(live, learner, count):
    with pytest.raises(ValidationError):
        services.room_like(user=learner, live_session=live, count=count)


def test_anonymous_visitors_may_not_like(live):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(PermissionDenied):
        services.room_like(user=AnonymousUser(), live_session=live)


def test_viewers_are_counted_in_and_out(live):
    assert services.room_viewer_joined(live_session_id=live.pk) == 1
    assert services.room_viewer_joined(live_session_id=live.pk) == 2
    assert services.room_viewer_left(live_session_id=live.pk) == 1
    assert selectors.room_viewer_count(live_session_id=live.pk) == 1
    assert selectors.room_counts(live_session_id=live.pk) == (0, 1)


def test_no_viewer_count_without_the_cache(live, cache_away):
    cache_away()
    assert services.room_viewer_joined(live_session_id=live.pk) is None
    assert selectors.room_viewer_count(live_session_id=live.pk) is None


# History and rooms


def test_history_is_the_last_messages_oldest_first_without_deleted_ones(
    live, learner, instructor, settings
):
    settings.LIVEROOM_HISTORY = 3
    messages = [post(instructor, live, f"第{n}条") for n in range(5)]
    services.message_delete(user=instructor, message_id=messages[3].pk)
    assert selectors.room_history(live_session=live) == [messages[1], messages[2], messages[4]]


def test_a_cancelled_or_unknown_live_has_no_room(live):
    cancelled = LiveSessionFactory(status=LiveSession.Status.CANCELLED)
    for live_id in (cancelled.pk, 10**12):
        with pytest.raises(Http404):
            services.room_get(live_session_id=live_id)
    assert services.room_get(live_session_id=live.pk) == live


def test_the_rooms_shelf_has_the_pinned_product_and_flash_windows(live):
    now = timezone.now()
    pinned = LiveShelfItemFactory(
        live_session=live,
        is_pinned=True,
        flash_price=Decimal("9.90"),
        flash_starts_at=now - timedelta(minutes=1),
        flash_ends_at=now + timedelta(minutes=10),
    )
    LiveShelfItemFactory(live_session=live)
    shelf = selectors.room_shelf(live_session_id=live.pk)
    assert shelf["pinned"]["product_id"] == pinned.product_id
    assert shelf["pinned"]["price"] == "9.90" and shelf["pinned"]["is_flash_price"]
    assert shelf["pinned"]["list_price"] == "59.00"
    assert [item["is_pinned"] for item in shelf["items"]] == [True, False]
    assert shelf["items"][1]["flash_price"] is None


def test_every_text_of_a_message_is_in_its_data(live, learner, instructor):
    message = post(learner, live, is_question=True)
    services.message_answer(user=instructor, message_id=message.pk, answer="好问题")
    message.refresh_from_db()
    data = selectors.message_data(message)
    assert data["answered_by"] == instructor.username and data["answered_at"]
    assert str(message) == message.text
    assert "Muted" not in str(Mute(live_session=live, user=learner))
    assert str(ModerationAction.objects.get()).startswith("Answered")
    assert str(RoomLikes(live_session=live, count=2)) == f"{live.pk}: 2"
    assert str(BlockedWord(word="x")) == "x"


# The shelf, run live


@pytest.fixture
def shelf_item(live):
    return LiveShelfItemFactory(live_session=live)


@pytest.fixture
def announced():
    from courses.signals import shelf_changed

    received = []

    def listener(sender, *, live_session_id, **kwargs):
        received.append(live_session_id)

    shelf_changed.connect(listener)
    yield received
    shelf_changed.disconnect(listener)


def test_the_instructor_pins_a_product_and_every_viewer_is_told(
    live, instructor, shelf_item, announced, django_capture_on_commit_callbacks
):
    other = LiveShelfItemFactory(live_session=live, is_pinned=True)
    with django_capture_on_commit_callbacks(execute=True):
        shelf_services.shelf_item_pin(user=instructor, item_id=shelf_item.pk)
    other.refresh_from_db()
    shelf_item.refresh_from_db()
    assert shelf_item.is_pinned and not other.is_pinned
    assert announced == [live.pk]
    with django_capture_on_commit_callbacks(execute=True):
        shelf_services.shelf_item_unpin(user=instructor, item_id=shelf_item.pk)
    shelf_item.refresh_from_db()
    assert not shelf_item.is_pinned and announced == [live.pk, live.pk]


def test_a_flash_price_starts_now_and_ends_early(live, instructor, shelf_item):
    assert shelf_services.shelf_flash_end(user=instructor, item_id=shelf_item.pk) == shelf_item
    item = shelf_services.shelf_flash_start(
        user=instructor, item_id=shelf_item.pk, price=Decimal("19.90"), minutes=10
    )
    assert item.flash_active()
    ended = shelf_services.shelf_flash_end(user=instructor, item_id=shelf_item.pk)
    assert not ended.flash_active() and ended.flash_price == Decimal("19.90")
    assert shelf_services.shelf_flash_end(user=instructor, item_id=shelf_item.pk) == ended


def test_a_flash_price_still_to_come_is_removed_when_ended(live, instructor):
    now = timezone.now()
    item = LiveShelfItemFactory(
        live_session=live,
        flash_price=Decimal("1.00"),
        flash_starts_at=now + timedelta(minutes=5),
        flash_ends_at=now + timedelta(minutes=10),
    )
    ended = shelf_services.shelf_flash_end(user=instructor, item_id=item.pk)
    assert ended.flash_price is None and ended.flash_starts_at is None


def test_a_flash_price_ends_with_the_live_and_within_its_rules(live, instructor, shelf_item):
    item = shelf_services.shelf_flash_start(
        user=instructor, item_id=shelf_item.pk, price=Decimal("9.00"), minutes=180
    )
    assert item.flash_ends_at == live.scheduled_end
    with pytest.raises(ValidationError) as error:
        shelf_services.shelf_flash_start(
            user=instructor, item_id=shelf_item.pk, price=Decimal("999.00"), minutes=5
        )
    assert "flash_price" in error.value.message_dict
    for minutes in (0, 181):
        with pytest.raises(ValidationError):
            shelf_services.shelf_flash_start(
                user=instructor, item_id=shelf_item.pk, price=Decimal("9.00"), minutes=minutes
            )


def test_no_flash_price_once_the_live_is_over(instructor, live):
    live.scheduled_end = timezone.now() - timedelta(minutes=1)
    live.scheduled_start = live.scheduled_end - timedelta(hours=1)
    live.save()
    item = LiveShelfItemFactory(live_session=live)
    with pytest.raises(ValidationError):
        shelf_services.shelf_flash_start(
            user=instructor, item_id=item.pk, price=Decimal("9.00"), minutes=5
        )


def test_another_instructor_cannot_run_the_shelf(shelf_item):
    stranger = InstructorFactory().user
    for action in (shelf_services.shelf_item_pin, shelf_services.shelf_flash_end):
        with pytest.raises(PermissionDenied):
            action(user=stranger, item_id=shelf_item.pk)


def test_a_learners_messages_and_mutes_are_in_their_data_export(live, learner, instructor):
    from privacy.services import data_export

    kept = post(learner, live, "我的话", is_question=True)
    removed = post(learner, live, "删掉的")
    services.message_delete(user=instructor, message_id=removed.pk)
    services.room_mute(user=instructor, live_session=live, learner_id=learner.pk)
    export = data_export(user=learner)
    assert [(m["text"], m["deleted_by_moderator"]) for m in export["live_room_messages"]] == [
        (kept.text, False),
        (removed.text, True),
    ]
    assert export["live_room_mutes"][0]["live_session_id"] == live.pk
    assert data_export(user=instructor)["live_room_mutes"] == []
