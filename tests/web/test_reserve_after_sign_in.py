"""A signed-out visitor clicks 开播提醒: they sign in (or sign up), the reservation is made, and
they are back on the page they were on. Every state change is a POST with its CSRF token."""

import re
import time
from datetime import timedelta
from html import unescape

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import uri_to_iri

from commerce.models import LiveReservation
from tests.factories import PASSWORD, LiveSessionFactory, UserFactory
from web.pending import PENDING_KEY, PENDING_SECONDS

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser():
    """A client that checks CSRF tokens, as a browser's requests are checked."""
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def upcoming():
    now = timezone.now()
    return LiveSessionFactory(
        title="周末直播：数据分析答疑",
        slug="周末直播-数据分析",
        status="scheduled",
        scheduled_start=now + timedelta(hours=2),
        scheduled_end=now + timedelta(hours=3),
    )


def reserve_form(page: str, live) -> dict:
    """The fields of the 开播提醒 form of ``live`` on ``page``, as a browser would post them."""
    action = reverse("web:live_reserve", args=[live.slug])
    form = page.split(f'action="{action}"', 1)[1].split("</form>", 1)[0]
    return {
        name: unescape(value) for name, value in re.findall(r'name="([^"]+)" value="([^"]*)"', form)
    }


def sign_in(browser, response, user) -> object:
    """Fill in the sign-in page ``response`` shows and submit it."""
    page = response.content.decode()
    fields = dict(re.findall(r'name="(csrfmiddlewaretoken|next)" value="([^"]*)"', page))
    return browser.post(
        response.wsgi_request.get_full_path(),
        {**fields, "username": user.username, "password": PASSWORD},
    )


def test_remind_me_on_the_home_page_signs_in_reserves_and_comes_back_home(browser, upcoming):
    user = UserFactory()
    home = browser.get("/")
    form = reserve_form(home.content.decode(), upcoming)
    assert form["next"] == "/"

    asked = browser.post(reverse("web:live_reserve", args=[upcoming.slug]), form)
    assert asked.status_code == 302
    assert asked["Location"] == f"{reverse('web:login')}?next=/"
    login_page = browser.get(asked["Location"])
    assert "登录后，我们会在“周末直播：数据分析答疑”开播前提醒你。" in login_page.content.decode()
    assert not LiveReservation.objects.exists()

    signed_in = sign_in(browser, login_page, user)
    assert signed_in.status_code == 302 and signed_in["Location"] == "/"
    assert LiveReservation.objects.filter(user=user, live_session=upcoming).exists()
    back = browser.get(signed_in["Location"])
    assert back.status_code == 200
    assert "已预约，开播前会提醒你。" in back.content.decode()


def test_remind_me_on_the_live_page_comes_back_to_it(browser, upcoming):
    user = UserFactory()
    live_url = reverse("web:live", args=[upcoming.slug])
    page = browser.get(live_url).content.decode()
    form = reserve_form(page, upcoming)
    asked = browser.post(reverse("web:live_reserve", args=[upcoming.slug]), form)
    # The page's address once in the sign-in link: encoded once, not twice.
    assert live_url.startswith("/live/%E5%91%A8")  # the address of the page, encoded
    assert asked["Location"] == f"{reverse('web:login')}?next={live_url}"

    signed_in = sign_in(browser, browser.get(asked["Location"]), user)
    assert signed_in["Location"] == live_url
    back = browser.get(signed_in["Location"])
    assert back.status_code == 200
    assert "✓ 已预约，开播前会提醒你。" in back.content.decode()
    assert LiveReservation.objects.filter(user=user, live_session=upcoming).count() == 1


def test_a_new_learner_signs_up_instead_and_comes_back_after_onboarding(browser, upcoming):
    live_url = reverse("web:live", args=[upcoming.slug])
    form = reserve_form(browser.get(live_url).content.decode(), upcoming)
    asked = browser.post(reverse("web:live_reserve", args=[upcoming.slug]), form)
    login_page = browser.get(asked["Location"]).content.decode()
    link = re.search(r'class="auth-alt">[^<]*<a href="([^"]*)"', login_page)[1]
    sign_up_url = unescape(link)
    sign_up_page = browser.get(sign_up_url).content.decode()
    fields = dict(re.findall(r'name="(csrfmiddlewaretoken|next)" value="([^"]*)"', sign_up_page))
    assert fields["next"] == uri_to_iri(live_url)
    signed_up = browser.post(
        sign_up_url,
        {
            **fields,
            "username": "xiaolan",
            "email": "xiaolan@example.com",
            "password1": "mountain-river-42",
            "password2": "mountain-river-42",
        },
    )
    assert LiveReservation.objects.filter(user__username="xiaolan", live_session=upcoming).exists()
    onboarding = browser.get(signed_up["Location"]).content.decode()
    skip = re.search(r'class="btn btn-ghost" href="([^"]*)"', onboarding)[1]
    assert unescape(skip) == uri_to_iri(live_url)


def test_a_get_of_the_reserve_address_changes_nothing(client, upcoming):
    reserve = reverse("web:live_reserve", args=[upcoming.slug])
    assert client.get(reserve).status_code == 405
    client.force_login(UserFactory())
    assert client.get(reserve).status_code == 405
    assert not LiveReservation.objects.exists()


def test_a_reservation_asked_for_long_before_signing_in_is_not_made(client, upcoming):
    user = UserFactory()
    client.post(reverse("web:live_reserve", args=[upcoming.slug]), {"next": "/"})
    session = client.session
    session[PENDING_KEY]["at"] = time.time() - PENDING_SECONDS - 1
    session.save()
    client.post(reverse("web:login"), {"username": user.username, "password": PASSWORD})
    assert not LiveReservation.objects.exists()


def test_a_live_that_ended_meanwhile_is_explained_after_signing_in(client, upcoming):
    user = UserFactory()
    client.post(reverse("web:live_reserve", args=[upcoming.slug]), {"next": "/"})
    upcoming.status = "ended"
    upcoming.save()
    response = client.post(
        reverse("web:login"),
        {"username": user.username, "password": PASSWORD, "next": "/"},
        follow=True,
    )
    assert "已结束或已取消" in response.content.decode()
    assert not LiveReservation.objects.exists()


def test_an_address_elsewhere_is_never_where_the_button_sends_back(client, upcoming):
    client.force_login(UserFactory())
    response = client.post(
        reverse("web:live_reserve", args=[upcoming.slug]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("web:live", args=[upcoming.slug])
