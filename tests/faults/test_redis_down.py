"""With Redis stopped, the site answers as it does without a cache: the API (tokens, catalog,
recommendations, events, orders, the learner's own endpoints) and the main pages all answer
normally, every feedback event posted meanwhile is stored, and the throttles let requests
through, logging the outage once.

Each test starts its own Redis (``redis_server``), uses it, and stops it halfway."""

import json
import logging
import uuid
from decimal import Decimal

import pytest
from django.contrib.sessions.models import Session
from django.core.cache import cache, caches
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.sessions import CACHED_SECONDS, SessionStore
from commerce.models import Order
from courses.models import Course
from recommendations.models import Event, ModelVersion
from recommendations.services import training
from recommendations.services.trending import trending_refresh
from tests.api.conftest import client_for, learner_with_data
from tests.factories import PASSWORD, CourseFactory, ProductFactory, TagFactory, UserFactory
from tests.web.conftest import make_catalog, make_course

pytestmark = pytest.mark.django_db

EVENTS = "/api/v1/events/"


def _click(object_type: str, object_id: int) -> dict:
    return {
        "client_event_id": str(uuid.uuid4()),
        "type": "click",
        "object_type": object_type,
        "object_id": object_id,
        "client_ts": timezone.now().isoformat(),
    }


def _answers(client, paths: list[str]) -> dict[str, tuple[int, object]]:
    """Each path's status and JSON body (without the request id a list of items is given)."""
    answers = {}
    for path in paths:
        response = client.get(path)
        body = response.json()
        if isinstance(body, dict):
            body.pop("request_id", None)
        answers[path] = (response.status_code, body)
    return answers


def test_signing_in_refreshing_and_signing_out_work_while_redis_is_down(own_cache):
    UserFactory(username="ming")
    app = APIClient()
    first = app.post("/api/v1/auth/token/", {"username": "ming", "password": PASSWORD})
    assert first.status_code == 200, first.content
    own_cache.stop()

    signed_in = app.post("/api/v1/auth/token/", {"username": "ming", "password": PASSWORD})
    assert signed_in.status_code == 200, signed_in.content
    refreshed = app.post("/api/v1/auth/token/refresh/", {"refresh": signed_in.json()["refresh"]})
    assert refreshed.status_code == 200, refreshed.content
    app.credentials(HTTP_AUTHORIZATION=f"Bearer {refreshed.json()['access']}")
    assert app.get("/api/v1/me/").json()["username"] == "ming"
    # The refresh token used once is spent, whether or not Redis is there.
    spent = app.post("/api/v1/auth/token/refresh/", {"refresh": signed_in.json()["refresh"]})
    assert spent.status_code == 401
    signed_up = APIClient().post(
        "/api/v1/auth/sign-up/",
        {"username": "hong", "password": "a-long-unusual-passphrase", "email": "h@example.com"},
    )
    assert signed_up.status_code == 201, signed_up.content
    out = app.post("/api/v1/auth/sign-out/", {"refresh": refreshed.json()["refresh"]})
    assert out.status_code == 204, out.content


def test_catalog_lists_and_details_answer_the_same_while_redis_is_down(own_cache):
    learner = learner_with_data()
    course = learner.enrollments.first().course
    product = ProductFactory()
    paths = [
        "/api/v1/courses/",
        f"/api/v1/courses/{course.pk}/",
        f"/api/v1/courses/{course.pk}/similar/",
        f"/api/v1/courses/{course.pk}/bought-together/",
        "/api/v1/lives/",
        "/api/v1/videos/",
        "/api/v1/products/",
        f"/api/v1/products/{product.pk}/",
        "/api/v1/categories/",
        "/api/v1/tags/",
        "/api/v1/instructors/",
        f"/api/v1/instructors/{course.instructor_id}/",
    ]
    anonymous, signed_in = APIClient(), client_for(learner)
    with_redis = {"anonymous": _answers(anonymous, paths), "signed in": _answers(signed_in, paths)}
    assert {status for status, _ in with_redis["anonymous"].values()} == {200}
    own_cache.stop()

    assert _answers(anonymous, paths) == with_redis["anonymous"]
    assert _answers(signed_in, paths) == with_redis["signed in"]


def test_every_event_posted_while_redis_is_down_is_stored(own_cache, client):
    course, learner = CourseFactory(), UserFactory()
    app = client_for(learner)
    first = app.post(EVENTS, {"client": "ios", "events": [_click("course", course.pk)]})
    assert first.status_code == 200
    own_cache.stop()

    sent = []  # batches from a signed-in app, an anonymous one, and the site's beacon
    for _ in range(3):
        batch = [_click("course", course.pk) for _ in range(5)]
        sent += batch
        response = app.post(EVENTS, {"client": "android", "events": batch})
        assert response.status_code == 200, response.content
        assert response.json()["stored"] == [0, 1, 2, 3, 4]
    visitor_batch = [_click("course", course.pk) for _ in range(4)]
    sent += visitor_batch
    anonymous = APIClient().post(
        EVENTS, {"client": "ios", "visitor_id": uuid.uuid4().hex, "events": visitor_batch}
    )
    assert anonymous.status_code == 200, anonymous.content
    client.force_login(learner)
    beacon_batch = [_click("course", course.pk) for _ in range(3)]
    sent += beacon_batch
    beacon = client.post(reverse("web:beacon"), {"events": json.dumps(beacon_batch)})
    assert beacon.status_code == 200, beacon.content
    hidden = client.post(
        reverse("web:not_interested"),
        {"object_type": "course", "object_id": course.pk},
        HTTP_ACCEPT="application/json",
    )
    assert hidden.status_code == 200, hidden.content

    ids = [event["client_event_id"] for event in sent]
    stored = Event.objects.filter(client_event_id__in=ids).values_list("client_event_id", flat=True)
    assert sorted(str(event_id) for event_id in stored) == sorted(ids)
    assert Event.objects.filter(user=learner, event_type="not_interested").count() == 1


def test_orders_are_placed_paid_and_listed_while_redis_is_down(own_cache):
    learner = UserFactory()
    course, product = CourseFactory(price=Decimal("99.00")), ProductFactory(kind="digital")
    app = client_for(learner)
    assert app.get("/api/v1/orders/").status_code == 200
    own_cache.stop()

    items = {"items": [{"type": "course", "id": course.pk}, {"type": "product", "id": product.pk}]}
    placed = app.post("/api/v1/orders/", items, HTTP_IDEMPOTENCY_KEY="outage-1")
    again = app.post("/api/v1/orders/", items, HTTP_IDEMPOTENCY_KEY="outage-1")
    assert (placed.status_code, again.status_code) == (201, 200), placed.content
    assert placed.json()["id"] == again.json()["id"]
    order_id = placed.json()["id"]
    paid = app.post(f"/api/v1/orders/{order_id}/pay/")
    assert paid.status_code == 200, paid.content
    assert paid.json()["status"] == "paid"
    assert [row["id"] for row in app.get("/api/v1/orders/").json()["results"]] == [order_id]
    assert app.get(f"/api/v1/orders/{order_id}/").json()["status"] == "paid"
    enrolled = app.get("/api/v1/enrollments/").json()["results"]
    assert [row["course"]["id"] for row in enrolled] == [course.pk]
    other = app.post(
        "/api/v1/orders/",
        {"items": [{"type": "product", "id": product.pk}]},
        HTTP_IDEMPOTENCY_KEY="outage-2",
    )
    cancelled = app.post(f"/api/v1/orders/{other.json()['id']}/cancel/")
    assert cancelled.status_code == 200, cancelled.content
    assert Order.objects.filter(user=learner).count() == 2


def test_the_learners_own_endpoints_answer_while_redis_is_down(own_cache):
    learner = learner_with_data()
    python = TagFactory(name="Python")
    app = client_for(learner)
    before = app.get("/api/v1/me/").json()
    own_cache.stop()

    assert app.get("/api/v1/me/").json() == before
    changed = app.patch("/api/v1/me/", {"first_name": "明"})
    assert changed.status_code == 200 and changed.json()["first_name"] == "明"
    assert app.post("/api/v1/me/interests/", {"tag_ids": [python.pk]}).status_code in (200, 201)
    assert "Python" in [row["tag"]["name"] for row in app.get("/api/v1/me/interests/").json()]
    assert app.delete(f"/api/v1/me/interests/{python.pk}/").status_code == 204
    assert "Python" not in [row["tag"]["name"] for row in app.get("/api/v1/me/interests/").json()]
    assert app.put("/api/v1/me/personalization/", {"enabled": False}).json() == {"enabled": False}
    assert app.get("/api/v1/me/personalization/").json() == {"enabled": False}
    assert app.get("/api/v1/enrollments/").json()["results"]
    assert app.get("/api/v1/continue-learning/").status_code == 200
    assert app.get("/api/v1/reservations/").status_code == 200
    export = app.get("/api/v1/me/export/")
    assert export.status_code == 200 and export.json()["orders"]
    assert app.delete("/api/v1/me/history/").status_code in (200, 204)
    assert not Event.objects.filter(user=learner).exists()


def test_recommendations_come_from_the_model_while_redis_is_down(
    own_cache, world, fast_training, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        version = training.model_train(force=True)
    assert version.status == ModelVersion.Status.ACTIVE, version.error
    trending_refresh()
    fan = world.cooking_fans[0]
    app = client_for(fan)
    with_redis = app.get("/api/v1/recommendations/", {"type": "course", "limit": 4}).json()
    assert with_redis["source"] == "model"
    own_cache.stop()

    mine = app.get("/api/v1/recommendations/", {"type": "course", "limit": 4})
    assert mine.status_code == 200, mine.content
    assert mine.json()["source"] == "model"
    assert [item["id"] for item in mine.json()["items"]] == [
        item["id"] for item in with_redis["items"]
    ]
    trending = APIClient().get("/api/v1/trending/", {"type": "course", "limit": 4})
    assert trending.status_code == 200 and len(trending.json()["items"]) == 4
    anonymous = APIClient().get("/api/v1/recommendations/", {"type": "course", "limit": 4})
    assert anonymous.status_code == 200 and len(anonymous.json()["items"]) == 4


def _titles_on(page, titles: list[str]) -> set[str]:
    html = page.content.decode()
    return {title for title in titles if title in html}


def test_the_main_pages_answer_the_same_while_redis_is_down(own_cache, client):
    learner = UserFactory(username="xiaoming")
    make_catalog(3)
    course = make_course(title="数据分析实战", price=Decimal("99"))
    titles = list(Course.objects.values_list("title", flat=True))
    visitor, signed_in = client, type(client)()
    signed_in.force_login(learner)
    pages = [
        reverse("web:home"),
        reverse("web:course", args=[course.slug]),
        reverse("web:browse") + "?q=数据分析",
        reverse("web:browse"),
    ]

    def shown(browser):
        answers = {}
        for path in pages:
            page = browser.get(path)
            answers[path] = (page.status_code, _titles_on(page, titles))
        return answers

    shown(visitor), shown(signed_in)  # the course page's view is recorded (trending moves)
    cache.clear()
    with_redis = {"visitor": shown(visitor), "signed in": shown(signed_in)}  # and cached
    assert with_redis["visitor"][pages[1]] == (200, {"数据分析实战"})
    own_cache.stop()

    assert shown(visitor) == with_redis["visitor"]
    assert shown(signed_in) == with_redis["signed in"]
    assert "xiaoming" in signed_in.get(reverse("web:home")).content.decode()


def test_a_visitor_with_a_cart_signs_in_on_the_site_while_redis_is_down(own_cache, client):
    UserFactory(username="xiaoming")
    product = ProductFactory(title="机械键盘")
    client.post(reverse("web:cart_add"), {"kind": "product", "object_id": product.pk})
    own_cache.stop()

    response = client.post(
        reverse("web:login"), {"username": "xiaoming", "password": PASSWORD}, follow=True
    )
    assert response.status_code == 200
    assert response.context["user"].username == "xiaoming"
    assert "机械键盘" in client.get(reverse("web:cart")).content.decode()


def test_signing_out_on_the_site_works_while_redis_is_down(own_cache, client):
    learner = UserFactory(username="xiaoming")
    client.post(reverse("web:login"), {"username": "xiaoming", "password": PASSWORD})
    old_key = client.session.session_key
    own_cache.stop()

    response = client.post(reverse("web:logout"), follow=True)
    assert response.status_code == 200
    assert not response.context["user"].is_authenticated
    assert not Session.objects.filter(session_key=old_key).exists()
    assert learner.pk  # the account stays


def test_a_sessions_cached_copy_lives_ten_minutes_at_most(own_cache, client):
    UserFactory(username="xiaoming")
    client.post(reverse("web:login"), {"username": "xiaoming", "password": PASSWORD})
    cache = caches["default"]
    key = cache.make_and_validate_key(SessionStore(client.session.session_key).cache_key)
    assert 0 < cache._cache.get_client(key).ttl(key) <= CACHED_SECONDS


def test_throttles_let_requests_through_while_redis_is_down_and_log_it_once(
    own_cache, settings, caplog
):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "anon": "3/minute",
        },
    }
    app = APIClient()
    assert [app.get("/api/v1/tags/").status_code for _ in range(4)] == [200, 200, 200, 429]
    caplog.set_level(logging.INFO, logger="config.cache")
    caplog.clear()
    own_cache.stop()

    assert [app.get("/api/v1/tags/").status_code for _ in range(10)] == [200] * 10
    warnings = [r for r in caplog.records if r.name == "config.cache"]
    assert len(warnings) == 1 and warnings[0].levelno == logging.WARNING
    assert "Cache unavailable" in warnings[0].getMessage()

    caplog.clear()
    own_cache.start()  # back, and empty: counting starts again
    assert [app.get("/api/v1/tags/").status_code for _ in range(4)] == [200, 200, 200, 429]
    back = [r.getMessage() for r in caplog.records if r.name == "config.cache"]
    assert len(back) == 1 and back[0].startswith("Cache answers again")

    caplog.clear()
    own_cache.stop()  # a second outage is logged again, once
    assert [app.get("/api/v1/tags/").status_code for _ in range(5)] == [200] * 5
    assert len([r for r in caplog.records if r.name == "config.cache"]) == 1
