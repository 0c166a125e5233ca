"""Following instructors: counted once, idempotent, recorded as feedback; a follower's 即将开播
puts the instructors they follow first; followers get the reservation's reminder once."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.utils import timezone

from commerce.models import LiveReservation
from courses.models import Instructor, LiveSession
from privacy.services import account_delete, data_export
from recommendations.models import Event
from social import tasks
from social.models import Follow, FollowerReminder, VideoComment
from social.selectors import instructor_followed_by, upcoming_lives_followed_first
from social.services import (
    comment_create,
    follower_reminders_send_due,
    instructor_follow,
    instructor_unfollow,
    video_like,
    video_share,
)
from tests.factories import InstructorFactory, LiveSessionFactory, ShortVideoFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def instructor():
    return InstructorFactory(display_name="王老师")


def followers(instructor):
    return Instructor.objects.get(pk=instructor.pk).follower_count


def starting_in(minutes, instructor, **kwargs):
    start = timezone.now() + timedelta(minutes=minutes)
    return LiveSessionFactory(
        instructor=instructor,
        scheduled_start=start,
        scheduled_end=start + timedelta(hours=1),
        **kwargs,
    )


def test_follow_is_counted_once_and_unfollow_takes_it_back(
    instructor, django_capture_on_commit_callbacks
):
    learner = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        assert instructor_follow(user=learner, instructor=instructor) == 1
        assert instructor_follow(user=learner, instructor=instructor) == 1
    assert instructor_follow(user=UserFactory(), instructor=instructor) == 2
    assert instructor_followed_by(user=learner, instructor_id=instructor.pk)
    assert instructor_unfollow(user=learner, instructor=instructor) == 1
    assert instructor_unfollow(user=learner, instructor=instructor) == 1
    assert not instructor_followed_by(user=learner, instructor_id=instructor.pk)
    assert not instructor_followed_by(user=AnonymousUser(), instructor_id=instructor.pk)
    assert followers(instructor) == 1
    event = Event.objects.get(user=learner, event_type="follow")
    assert (event.object_type, event.object_id, event.client) == (
        "instructor",
        instructor.pk,
        "server",
    )


def test_nobody_follows_themselves_and_visitors_must_sign_in(instructor):
    with pytest.raises(ValidationError) as refused:
        instructor_follow(user=instructor.user, instructor=instructor)
    assert refused.value.error_dict["instructor"][0].code == "self_follow"
    with pytest.raises(ValidationError) as refused:
        instructor_follow(user=AnonymousUser(), instructor=instructor)
    assert refused.value.code == "sign_in"
    assert followers(instructor) == 0


def test_followed_instructors_upcoming_lives_come_first(instructor):
    learner = UserFactory()
    soon = LiveSessionFactory(scheduled_start=timezone.now() + timedelta(hours=1))
    theirs_later = LiveSessionFactory(
        instructor=instructor, scheduled_start=timezone.now() + timedelta(days=2)
    )
    assert upcoming_lives_followed_first(user=learner) is None  # follows nobody
    assert upcoming_lives_followed_first(user=AnonymousUser()) is None
    instructor_follow(user=learner, instructor=instructor)
    upcoming = upcoming_lives_followed_first(user=learner)
    assert [(live.pk, live.followed) for live in upcoming] == [
        (theirs_later.pk, True),
        (soon.pk, False),
    ]
    theirs_later.status = LiveSession.Status.CANCELLED
    theirs_later.save()
    assert upcoming_lives_followed_first(user=learner) is None  # nothing of theirs upcoming


def test_followers_get_the_reminder_once_and_reservers_only_theirs(instructor, mailoutbox):
    follower, reserver, no_email = UserFactory(), UserFactory(), UserFactory(email="")
    for learner in (follower, reserver, no_email):
        instructor_follow(user=learner, instructor=instructor)
    live = starting_in(8, instructor, title="周末答疑")
    starting_in(30, instructor)  # not yet
    LiveReservation.objects.create(user=reserver, live_session=live)
    assert follower_reminders_send_due() == 1
    assert follower_reminders_send_due() == 0
    tasks.follower_reminders_send_due()  # a retried or redelivered task
    assert [m.to for m in mailoutbox] == [[follower.email]]
    assert "周末答疑" in mailoutbox[0].subject
    assert "王老师" in mailoutbox[0].body and "follow" in mailoutbox[0].body


def test_a_failed_reminder_is_tried_again(instructor, mailoutbox, monkeypatch):
    from social import services

    instructor_follow(user=UserFactory(), instructor=instructor)
    starting_in(5, instructor)

    def broken(**kwargs):
        raise OSError("smtp down")

    monkeypatch.setattr(services, "live_reminder_send", broken)
    assert follower_reminders_send_due() == 0
    assert not FollowerReminder.objects.exists()
    monkeypatch.undo()
    assert follower_reminders_send_due() == 1


def test_a_claim_taken_by_another_run_is_not_sent_again(instructor, mailoutbox, monkeypatch):
    from django.db import IntegrityError

    from social import services

    instructor_follow(user=UserFactory(), instructor=instructor)
    starting_in(5, instructor)

    def racing_create(**kwargs):  # another run claimed it between the read and the insert
        raise IntegrityError("duplicate key value violates unique constraint")

    monkeypatch.setattr(services.FollowerReminder.objects, "create", racing_create)
    assert follower_reminders_send_due() == 0
    assert not mailoutbox


def test_cancelled_or_started_sessions_remind_nobody(instructor, mailoutbox):
    instructor_follow(user=UserFactory(), instructor=instructor)
    starting_in(5, instructor, status=LiveSession.Status.CANCELLED)
    starting_in(-5, instructor, status=LiveSession.Status.LIVE)
    assert follower_reminders_send_due() == 0


def test_export_and_account_deletion_cover_follows_likes_and_comments(instructor):
    learner = UserFactory()
    video = ShortVideoFactory()
    instructor_follow(user=learner, instructor=instructor)
    video_like(user=learner, video=video)
    video_share(user=learner, video=video)
    top = comment_create(user=learner, video=video, text="我的手机号是…")
    comment_create(user=UserFactory(), video=video, text="回复", parent_id=top.pk)
    exported = data_export(user=learner)
    assert exported["follows"][0]["instructor"] == "王老师"
    assert exported["video_likes"] == [video.pk]
    assert exported["video_comments"][0]["text"] == "我的手机号是…"
    account_delete(user=learner)
    video.refresh_from_db()
    assert (video.like_count, video.comment_count, video.share_count) == (0, 1, 1)
    assert followers(instructor) == 0
    kept = VideoComment.objects.get(pk=top.pk)
    assert (kept.user_id, kept.text, kept.is_hidden) == (None, "", True)
    assert not Follow.objects.exists()


def test_rows_name_themselves_in_the_admin(instructor):
    learner = UserFactory()
    live = starting_in(5, instructor)
    reminder = FollowerReminder.objects.create(
        user=learner, live_session=live, sent_at=live.created_at
    )
    assert str(reminder) == f"{learner.pk} · {live.pk}"


def test_review_form_puts_a_refusal_of_no_field_above_the_form():
    from web.forms import ReviewForm

    form = ReviewForm({"rating": "4"})
    assert form.is_valid()
    form.add_service_error(ValidationError("Sign in first.", code="sign_in"))
    assert form.non_field_errors() == ["Sign in first."]
