"""The home page: its sections, what signed-out and non-personalised learners see, and the cache."""

import re
import time
from datetime import timedelta

import pytest
from django.core.cache import caches
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.backends import ACCOUNT_HINT_COOKIE, user_forget
from commerce.services import lesson_progress_record
from courses.models import LiveSession
from recommendations.models import LearnerProfile
from recommendations.services.profiles import interests_declare
from tests.commerce.factories import EnrollmentFactory
from tests.factories import LiveSessionFactory, TagFactory, UserFactory
from tests.web.conftest import make_catalog, make_course
from web.home import CSRF_PLACEHOLDER, SHARED_SECONDS

HOME = reverse("web:home")


def test_signed_out_visitors_see_sections_labelled_not_personalised(client, db):
    make_catalog(3)
    page = client.get(HOME).content.decode()
    assert "热门推荐（未个性化）" in page
    assert "为你推荐" not in page
    assert "正在直播" in page and "即将开播" in page
    assert "热门短视频" in page
    assert "热门好物（未个性化）" in page


def test_live_sessions_have_a_live_badge_and_upcoming_ones_a_countdown_and_reserve_button(
    client, db
):
    make_catalog(3)
    page = client.get(HOME).content.decode()
    assert 'class="badge-live"' in page
    assert "data-countdown=" in page
    assert "开播提醒" in page


def test_the_live_sessions_a_learner_reserved_come_with_the_page_for_their_cards(
    signed_in, learner
):
    """The live cards may be in a section cached for everyone: the learner's reservations
    come in a JSON block of their own section, renewed when they reserve."""
    import json

    from commerce.services import live_reservation_cancel, live_reservation_create

    make_catalog(3)
    upcoming = LiveSession.objects.filter(
        status="scheduled", scheduled_end__gt=timezone.now()
    ).first()

    def reserved(page):
        block = page.split('id="reserved-lives" type="application/json">', 1)
        return json.loads(block[1].split("</script>", 1)[0]) if len(block) == 2 else []

    assert reserved(signed_in.get(HOME).content.decode()) == []
    live_reservation_create(user=learner, live_session=upcoming)
    page = signed_in.get(HOME).content.decode()  # through the cached page
    assert reserved(page) == [upcoming.pk]
    assert f'data-live-reserve="{upcoming.pk}"' in page
    assert reserved(signed_in.get("/browse/?type=live").content.decode()) == [upcoming.pk]
    assert reserved(Client().get(HOME).content.decode()) == []  # signed out: none
    live_reservation_cancel(user=learner, live_session=upcoming)
    assert reserved(signed_in.get(HOME).content.decode()) == []


def test_a_learner_sees_continue_learning_with_progress(signed_in, learner):
    course = make_course(title="数据分析实战")
    EnrollmentFactory(user=learner, course=course)
    lesson = course.lessons.get(is_free_preview=False)
    lesson_progress_record(user=learner, lesson=lesson, position_seconds=600)
    page = signed_in.get(HOME).content.decode()
    assert "继续学习" in page
    assert "数据分析实战" in page
    assert 'aria-valuenow="50"' in page  # one of two lessons completed


def test_recommended_courses_follow_declared_interests_and_carry_a_reason(signed_in, learner):
    make_catalog(4)
    wanted = TagFactory(name="摄影")
    photo = make_course(title="手机摄影入门", tags=[wanted])
    interests_declare(user=learner, tags=[wanted])
    page = signed_in.get(HOME).content.decode()
    assert "为你推荐" in page
    assert photo.title in page
    assert "因为你喜欢 #摄影" in page
    assert "不感兴趣" in page and "为什么推荐" in page


def test_personalisation_off_shows_the_non_personalised_sections(signed_in, learner):
    make_catalog(2)
    LearnerProfile.objects.create(user=learner, personalization_enabled=False)
    page = signed_in.get(HOME).content.decode()
    assert "热门推荐（未个性化）" in page


def test_recommended_cards_carry_the_request_id_for_impressions_and_clicks(signed_in):
    make_catalog(2)
    page = signed_in.get(HOME).content.decode()
    assert 'data-rec data-type="course"' in page
    assert "data-request-id=" in page


def test_the_home_page_is_served_from_the_cache_without_the_recommender(
    signed_in, learner, monkeypatch
):
    make_catalog(2)
    signed_in.get(HOME)

    def fail(**kwargs):
        raise AssertionError("the recommender ran on a warm home page")

    monkeypatch.setattr("web.home.recommendations_for", fail)
    assert signed_in.get(HOME).status_code == 200


def test_signed_out_visitors_share_one_cached_page(client, db, monkeypatch):
    make_catalog(2)
    client.get(HOME)
    monkeypatch.setattr("web.home.recommendations_for", None)  # calling it would fail
    other_visitor = client.__class__()
    assert other_visitor.get(HOME).status_code == 200


def test_what_changes_recommendations_refreshes_the_cached_sections(signed_in, learner):
    make_catalog(2)
    signed_in.get(HOME)
    wanted = TagFactory(name="烘焙")
    baking = make_course(title="家庭烘焙课", tags=[wanted])
    signed_in.post(reverse("web:onboarding"), {"tags": [wanted.pk]})
    assert baking.title in signed_in.get(HOME).content.decode()


def test_a_warm_home_page_reads_nothing_from_the_database(
    signed_in, learner, django_assert_num_queries
):
    make_catalog(2)
    signed_in.get(HOME)
    with django_assert_num_queries(0):
        page = signed_in.get(HOME).content.decode()
    assert "xiaoming" in page and "为你推荐" in page


@pytest.fixture
def cache_calls(monkeypatch):
    """The names of the cache backend's methods called from outside it, in order."""
    backend, calls, depth = type(caches["default"]), [], [0]

    def counted(name, original):
        def method(self, *args, **kwargs):
            if not depth[0]:  # not a call made by another method of the backend
                calls.append(name)
            depth[0] += 1
            try:
                return original(self, *args, **kwargs)
            finally:
                depth[0] -= 1

        return method

    for name in ("get", "get_many", "set", "set_many", "add", "delete", "delete_many", "has_key"):
        monkeypatch.setattr(backend, name, counted(name, getattr(backend, name)))
    return calls


def test_a_warm_home_page_costs_one_cache_round_trip(signed_in, learner, cache_calls):
    make_catalog(2)
    signed_in.get(HOME)  # renders the page, and the browser keeps the account hint
    assert signed_in.cookies[ACCOUNT_HINT_COOKIE].value == str(learner.pk)
    cache_calls.clear()
    assert "xiaoming" in signed_in.get(HOME).content.decode()
    assert cache_calls == ["get_many"]  # the session, the account and the page


def test_without_the_account_hint_a_warm_home_page_costs_two(signed_in, learner, cache_calls):
    make_catalog(2)
    signed_in.get(HOME)
    del signed_in.cookies[ACCOUNT_HINT_COOKIE]
    cache_calls.clear()
    assert "xiaoming" in signed_in.get(HOME).content.decode()
    assert cache_calls[:2] == ["get", "get_many"]  # the session; the account with the page


def test_signing_out_drops_the_account_hint(signed_in, learner):
    make_catalog(2)
    signed_in.get(HOME)
    signed_in.post(reverse("web:logout"))
    signed_in.get(HOME)
    assert signed_in.cookies[ACCOUNT_HINT_COOKIE].value == ""
    assert signed_in.cookies[ACCOUNT_HINT_COOKIE]["max-age"] == 0


def test_a_hint_naming_another_account_reads_ones_own_page(signed_in, learner):
    make_catalog(2)
    other = Client()
    other.force_login(UserFactory(username="xiaohong"))
    other.get(HOME)  # xiaohong's page is cached
    signed_in.cookies[ACCOUNT_HINT_COOKIE] = str(other.session["_auth_user_id"])
    page = signed_in.get(HOME).content.decode()
    assert "xiaoming" in page and "xiaohong" not in page


@pytest.mark.parametrize("hint", ["", "abc", "-1", "1.5", "9" * 40])
def test_a_hint_that_is_no_account_id_is_left_aside(signed_in, learner, hint):
    make_catalog(2)
    signed_in.cookies[ACCOUNT_HINT_COOKIE] = hint
    assert "xiaoming" in signed_in.get(HOME).content.decode()
    assert signed_in.cookies[ACCOUNT_HINT_COOKIE].value == str(learner.pk)


def test_a_hint_without_a_signed_in_session_shows_the_signed_out_page(client, learner):
    make_catalog(2)
    signed_in = Client()
    signed_in.force_login(learner)
    signed_in.get(HOME)  # xiaoming's page is cached
    client.cookies[ACCOUNT_HINT_COOKIE] = str(learner.pk)
    page = client.get(HOME).content.decode()
    assert "xiaoming" not in page and "热门推荐（未个性化）" in page


def test_a_hinted_home_page_with_the_session_gone_from_the_cache(signed_in, learner):
    make_catalog(2)
    signed_in.get(HOME)
    caches["default"].delete(signed_in.session.cache_key)  # evicted: the database has it
    assert "xiaoming" in signed_in.get(HOME).content.decode()
    assert caches["default"].get(signed_in.session.cache_key) is not None  # and back


def test_every_browser_gets_its_own_working_csrf_token_from_the_cached_page(learner, monkeypatch):
    make_catalog(2)
    phone, laptop = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    for browser in (phone, laptop):
        browser.force_login(learner)
    phone.get(HOME)  # renders and caches the page
    monkeypatch.setattr("web.home.render_to_string", None)  # rendering again would fail
    page = laptop.get(HOME).content.decode()
    assert CSRF_PLACEHOLDER not in page
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    assert laptop.post(reverse("web:logout"), {"csrfmiddlewaretoken": token}).status_code == 302
    assert "_auth_user_id" not in laptop.session


def test_content_that_looks_like_a_placeholder_is_shown_as_typed(learner):
    wanted = TagFactory(name="摄影")
    make_course(title="__csrf_token__ 的摄影课", tags=[wanted])
    interests_declare(user=learner, tags=[wanted])
    phone, laptop = Client(), Client()
    for browser in (phone, laptop):
        browser.force_login(learner)
    for browser in (phone, laptop):  # rendered, then from the cache
        page = browser.get(HOME).content.decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        assert "__csrf_token__ 的摄影课" in page
        assert f"{token} 的摄影课" not in page
        assert CSRF_PLACEHOLDER not in page


def test_the_cart_count_and_a_message_are_current_on_a_cached_page(signed_in):
    course = make_catalog(2)[0]
    signed_in.get(HOME)
    added = signed_in.post(
        reverse("web:cart_add"),
        {"kind": "course", "object_id": course.pk, "quantity": 1, "next": HOME},
    )
    assert added.status_code == 302
    page = signed_in.get(HOME).content.decode()
    assert "已加入购物车" in page
    assert 'data-testid="cart-count">1<' in page
    again = signed_in.get(HOME).content.decode()  # a message is shown once
    assert "已加入购物车" not in again
    assert 'data-testid="cart-count">1<' in again


def test_a_renamed_account_shows_its_new_name_at_once(signed_in, learner):
    make_catalog(1)
    assert "xiaoming" in signed_in.get(HOME).content.decode()
    learner.username = "xiaohong"
    learner.save()
    page = signed_in.get(HOME).content.decode()
    assert "xiaohong" in page and "xiaoming" not in page


def test_the_cached_page_is_rendered_again_once_its_sections_are_stale(client, db, monkeypatch):
    make_catalog(1)
    client.get(HOME)
    LiveSessionFactory(
        title="刚刚开播的直播课",
        status="live",
        scheduled_start=timezone.now() - timedelta(minutes=5),
        scheduled_end=timezone.now() + timedelta(hours=1),
    )
    assert "刚刚开播的直播课" not in client.get(HOME).content.decode()  # within SHARED_SECONDS
    later = time.time() + SHARED_SECONDS + 1
    monkeypatch.setattr("web.home.time.time", lambda: later)
    assert "刚刚开播的直播课" in client.get(HOME).content.decode()


def test_a_hinted_home_page_without_the_cache(signed_in, learner, cache_away):
    make_catalog(2)
    signed_in.get(HOME)
    cache_away()
    response = signed_in.get(HOME)
    assert response.status_code == 200
    assert "xiaoming" in response.content.decode()


def test_a_new_account_is_greeted_as_new_and_a_returning_one_welcomed_back(client, db):
    """A learner who just signed up is on their first visit: "welcome back" would be wrong."""
    client.post(
        reverse("web:signup"),
        {
            "username": "xinlai",
            "email": "xinlai@example.com",
            "password1": "mountain-river-42",
            "password2": "mountain-river-42",
        },
    )
    page = client.get(HOME).content.decode()
    assert "欢迎来到知播，xinlai" in page and "欢迎回来" not in page
    assert "欢迎来到知播，xinlai" in client.get(HOME).content.decode()  # also from the cache

    returning = UserFactory(username="laoyonghu", date_joined=timezone.now() - timedelta(days=30))
    client.force_login(returning)  # signs in again, a month after joining
    page = client.get(HOME).content.decode()
    assert "欢迎回来，laoyonghu" in page and "欢迎来到知播" not in page


def test_the_cached_home_page_follows_a_new_account_signing_in_again(client, db):
    user = UserFactory()
    client.force_login(user)
    assert "欢迎来到知播" in client.get(HOME).content.decode()
    type(user).objects.filter(pk=user.pk).update(
        date_joined=timezone.now() - timedelta(days=2), last_login=timezone.now()
    )
    user_forget(user.pk)  # what saving the account does
    assert "欢迎回来" in client.get(HOME).content.decode()
