"""Live reservations and their one reminder e-mail."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from commerce import tasks
from commerce.models import LiveReservation
from commerce.services import (
    live_reminders_send_due,
    live_reservation_cancel,
    live_reservation_create,
)
from courses.models import LiveSession
from recommendations.models import Event
from tests.commerce.factories import LiveReservationFactory
from tests.factories import LiveSessionFactory, UserFactory

pytestmark = pytest.mark.django_db


def live_starting_in(minutes, **kwargs):
    start = timezone.now() + timedelta(minutes=minutes)
    return LiveSessionFactory(
        title="Django 直播答疑",
        scheduled_start=start,
        scheduled_end=start + timedelta(hours=1),
        **kwargs,
    )


@pytest.fixture
def learner():
    return UserFactory(email="xiaoming@example.com")


def test_reserving_is_idempotent_and_records_one_reserve_event(
    learner, django_capture_on_commit_callbacks
):
    live = live_starting_in(60)

    with django_capture_on_commit_callbacks(execute=True):
        first = live_reservation_create(user=learner, live_session=live)
        again = live_reservation_create(user=learner, live_session=live)

    assert first.pk == again.pk
    reserves = Event.objects.filter(user=learner, event_type="reserve")
    assert list(reserves.values_list("object_type", "object_id")) == [("live", live.pk)]


@pytest.mark.parametrize("status", [LiveSession.Status.CANCELLED, LiveSession.Status.ENDED])
def test_a_cancelled_or_ended_live_session_cannot_be_reserved(learner, status):
    with pytest.raises(ValidationError, match="“Django 直播答疑” is over or cancelled"):
        live_reservation_create(user=learner, live_session=live_starting_in(60, status=status))
    assert not LiveReservation.objects.exists()


def test_a_live_session_past_its_end_cannot_be_reserved(learner):
    with pytest.raises(ValidationError):
        live_reservation_create(user=learner, live_session=live_starting_in(-120))


def test_the_reminder_goes_out_once_within_ten_minutes_of_the_start(learner, mailoutbox):
    live = live_starting_in(8)
    later = live_starting_in(30)
    live_reservation_create(user=learner, live_session=live)
    live_reservation_create(user=learner, live_session=later)

    assert live_reminders_send_due() == 1
    assert live_reminders_send_due() == 0
    tasks.live_reminders_send_due()  # a retried or redelivered task

    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["xiaoming@example.com"]
    assert "Django 直播答疑" in mailoutbox[0].subject


def test_reserving_again_after_the_reminder_does_not_send_another(learner, mailoutbox):
    live = live_starting_in(5)
    live_reservation_create(user=learner, live_session=live)
    live_reminders_send_due()

    live_reservation_cancel(user=learner, live_session=live)
    live_reservation_create(user=learner, live_session=live)
    live_reminders_send_due()

    assert len(mailoutbox) == 1


def test_a_cancelled_reservation_gets_no_reminder(learner, mailoutbox):
    live = live_starting_in(5)
    live_reservation_create(user=learner, live_session=live)
    live_reservation_cancel(user=learner, live_session=live)

    assert live_reminders_send_due() == 0
    assert mailoutbox == []


@pytest.mark.parametrize("status", [LiveSession.Status.CANCELLED, LiveSession.Status.ENDED])
def test_no_reminder_for_a_live_session_cancelled_or_ended_after_reserving(
    learner, mailoutbox, status
):
    live = live_starting_in(5)
    live_reservation_create(user=learner, live_session=live)
    LiveSession.objects.filter(pk=live.pk).update(status=status)

    assert live_reminders_send_due() == 0
    assert mailoutbox == []


def test_no_reminder_once_the_live_session_has_started(learner, mailoutbox):
    LiveReservationFactory(user=learner, live_session=live_starting_in(-1))

    assert live_reminders_send_due() == 0


def test_the_lead_time_is_a_setting(learner, mailoutbox, settings):
    settings.LIVE_REMINDER_MINUTES_BEFORE = 60
    live_reservation_create(user=learner, live_session=live_starting_in(45))

    assert live_reminders_send_due() == 1


def test_a_failed_send_is_retried_by_the_next_run(learner, mailoutbox, monkeypatch):
    live_reservation_create(user=learner, live_session=live_starting_in(5))

    def smtp_down(*args, **kwargs):
        raise ConnectionError("SMTP server unreachable")

    with monkeypatch.context() as patched:
        patched.setattr("commerce.services.send_mail", smtp_down)
        assert live_reminders_send_due() == 0

    assert live_reminders_send_due() == 1
    assert len(mail.outbox) == 1


def test_the_beat_schedule_runs_the_reminders_every_minute():
    from config.celery_app import app

    entry = app.conf.beat_schedule["courses-live-reminders"]

    assert entry["task"] == tasks.live_reminders_send_due.name
    assert entry["schedule"] == 60.0
