"""The live room on the pages: the chat panel on the live page, and the instructor's own room
pages, where they pin products, start and end flash prices and unmute learners (their own lives
only)."""

from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.test import Client
from django.utils import timezone

from courses.models import LiveSession, LiveShelfItem
from liveroom import services
from tests.factories import InstructorFactory, LiveSessionFactory, LiveShelfItemFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def item(live):
    return LiveShelfItemFactory(live_session=live, product__title="签名书")


@pytest.fixture
def client():
    """Pages in English, to read their messages."""
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def signed_in(client, user):
    client.force_login(user)
    return client


def test_the_live_page_has_the_room_for_everyone_and_a_post_box_for_learners(client, live, learner):
    page = client.get(f"/live/{live.slug}/").content.decode()
    assert f'data-room-url="/ws/lives/{live.pk}/"' in page
    assert 'data-testid="room-signin"' in page and 'data-testid="room-text"' not in page
    assert "js/live-room.js" in page and "data-danmaku" in page
    page = signed_in(client, learner).get(f"/live/{live.slug}/").content.decode()
    assert 'data-testid="room-text"' in page and 'data-testid="run-room"' not in page


def test_the_instructor_finds_their_room_from_the_live_page(client, live):
    page = signed_in(client, live.instructor.user).get(f"/live/{live.slug}/").content.decode()
    assert f'href="/studio/lives/{live.pk}/"' in page


def test_the_instructor_lists_only_their_own_lives(client, live):
    other = LiveSessionFactory(title="别人的直播")
    LiveSessionFactory(instructor=live.instructor, status=LiveSession.Status.CANCELLED)
    page = signed_in(client, live.instructor.user).get("/studio/lives/").content.decode()
    assert live.title in page and other.title not in page
    assert page.count('class="studio-live-link"') == 1


def test_learners_and_visitors_have_no_studio(client, live, learner):
    assert client.get("/studio/lives/").status_code == 302  # sign in first
    signed_in(client, learner)
    assert client.get("/studio/lives/").status_code == 403
    assert client.get(f"/studio/lives/{live.pk}/").status_code == 403


def test_another_instructors_room_is_not_found(client, live, item):
    stranger = InstructorFactory().user
    signed_in(client, stranger)
    assert client.get(f"/studio/lives/{live.pk}/").status_code == 404
    response = client.post(f"/studio/lives/{live.pk}/", {"action": "pin", "item": item.pk})
    assert response.status_code == 404
    item.refresh_from_db()
    assert not item.is_pinned


def test_the_room_page_shows_the_chat_shelf_and_mutes(client, live, item, learner):
    services.room_mute(user=live.instructor.user, live_session=live, learner_id=learner.pk)
    page = signed_in(client, live.instructor.user).get(f"/studio/lives/{live.pk}/")
    text = page.content.decode()
    assert "data-studio" in text and "签名书" in text and "小明" in text
    assert f'data-testid="pin-{item.product_id}"' in text


def test_pin_unpin_and_a_flash_price_from_the_room_page(client, live, item):
    signed_in(client, live.instructor.user)
    url = f"/studio/lives/{live.pk}/"
    assert client.post(url, {"action": "pin", "item": item.pk}).status_code == 302
    item.refresh_from_db()
    assert item.is_pinned
    client.post(url, {"action": "unpin", "item": item.pk})
    client.post(url, {"action": "flash_start", "item": item.pk, "price": "9.90", "minutes": "5"})
    item.refresh_from_db()
    assert not item.is_pinned and item.flash_active() and item.flash_price == Decimal("9.90")
    assert "flash-end" in client.get(url).content.decode()
    response = client.post(url, {"action": "flash_end", "item": item.pk}, follow=True)
    item.refresh_from_db()
    assert not item.flash_active()
    assert "The flash price has ended." in response.content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"price": "abc", "minutes": "5"}, "Flash price (CNY)"),
        ({"price": "9.00", "minutes": "999"}, "Minutes"),
        ({"price": "999.00", "minutes": "5"}, "A flash price cannot exceed the price."),
    ],
)
def test_a_refused_flash_price_says_why(client, live, item, data, message):
    signed_in(client, live.instructor.user)
    response = client.post(
        f"/studio/lives/{live.pk}/", {"action": "flash_start", "item": item.pk, **data}, follow=True
    )
    assert message in response.content.decode()
    item.refresh_from_db()
    assert item.flash_price is None


@pytest.mark.parametrize(
    "data",
    [
        {"action": "pin", "item": "x"},
        {"action": "pin", "item": "999999"},
        {"action": "explode", "item": "ITEM"},
        {"action": "unmute", "learner": "x"},
    ],
)
def test_unknown_items_learners_and_actions_are_not_found(client, live, item, data):
    signed_in(client, live.instructor.user)
    data = {k: (str(item.pk) if v == "ITEM" else v) for k, v in data.items()}
    assert client.post(f"/studio/lives/{live.pk}/", data).status_code == 404


def test_the_instructor_unmutes_from_the_room_page(client, live, learner):
    services.room_mute(user=live.instructor.user, live_session=live, learner_id=learner.pk)
    signed_in(client, live.instructor.user)
    response = client.post(
        f"/studio/lives/{live.pk}/", {"action": "unmute", "learner": learner.pk}, follow=True
    )
    assert "Unmuted." in response.content.decode()
    assert services.message_post(user=learner, live_session=live, text="谢谢老师")


def test_a_flash_price_of_an_ended_live_is_refused(client, live, item):
    live.scheduled_start = timezone.now() - timedelta(hours=3)
    live.scheduled_end = timezone.now() - timedelta(hours=1)
    live.save()
    signed_in(client, live.instructor.user)
    response = client.post(
        f"/studio/lives/{live.pk}/",
        {"action": "flash_start", "item": item.pk, "price": "1.00", "minutes": "5"},
        follow=True,
    )
    assert "no flash price any more" in response.content.decode()
    assert not LiveShelfItem.objects.get(pk=item.pk).flash_price


def test_the_admin_saving_a_live_and_its_shelf_tells_the_room(
    live, django_capture_on_commit_callbacks
):
    from django.contrib.admin.sites import site

    from courses.signals import shelf_changed

    told = []

    def listener(sender, *, live_session_id, **kwargs):
        told.append(live_session_id)

    shelf_changed.connect(listener)
    form = SimpleNamespace(instance=live, save_m2m=lambda: None)
    request = SimpleNamespace(user=live.instructor.user)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            site._registry[LiveSession].save_related(request, form, [], True)
    finally:
        shelf_changed.disconnect(listener)
    assert told == [live.pk]
