"""The beacon, "not interested", the privacy center and the page explaining recommendations."""

import json
import uuid
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from commerce.models import Order
from recommendations.models import Event, InterestTag, LearnerProfile
from recommendations.services.profiles import interests_declare
from tests.commerce.factories import OrderFactory
from tests.factories import PASSWORD, TagFactory
from tests.web.conftest import make_catalog, make_course

pytestmark = pytest.mark.django_db
BEACON = reverse("web:beacon")


def event(**fields):
    return {
        "client_event_id": str(uuid.uuid4()),
        "type": "impression",
        "client_ts": timezone.now().isoformat(),
        **fields,
    }


def send(client, events):
    return client.post(BEACON, {"events": json.dumps(events)})


# Beacon ------------------------------------------------------------------------------------


def test_beacon_stores_a_valid_batch_with_the_request_id(signed_in, learner):
    course = make_course()
    request_id = str(uuid.uuid4())
    response = send(
        signed_in,
        [
            event(object_type="course", object_id=course.pk, request_id=request_id),
            event(type="click", object_type="course", object_id=course.pk, request_id=request_id),
        ],
    )
    assert response.status_code == 200 and response.json()["stored"] == 2
    stored = Event.objects.filter(user=learner, client="web")
    assert stored.count() == 2 and {str(e.request_id) for e in stored} == {request_id}


def test_beacon_records_anonymous_visitors_by_their_visitor_id(client):
    course = make_course()
    client.get(reverse("web:home"))
    assert send(client, [event(object_type="course", object_id=course.pk)]).status_code == 200
    assert Event.objects.get(user=None).visitor_id == client.cookies["zb_vid"].value


def test_beacon_rejects_a_bad_event_with_400_and_the_field(signed_in):
    response = send(signed_in, [event(object_type="course")])
    assert response.status_code == 400
    assert response.json()["rejected"] == [
        {"index": 0, "field": "object_id", "reason": "This field is required."}
    ]


def test_beacon_stores_the_events_beside_one_that_is_not_an_object(signed_in, learner):
    course = make_course()
    good = [event(object_type="course", object_id=course.pk) for _ in range(2)]
    response = send(signed_in, [good[0], "x", good[1]])
    assert response.status_code == 400  # the beacon answers 400 when it rejects any event
    assert response.json() == {
        "stored": 2,
        "duplicates": 0,
        "rejected": [
            {"index": 1, "field": "non_field_errors", "reason": "Each event must be an object."}
        ],
    }
    assert Event.objects.filter(user=learner).count() == 2


def test_beacon_refuses_a_purchase_claimed_by_the_page(signed_in, learner):
    course = make_course()
    response = send(signed_in, [event(type="purchase", object_type="course", object_id=course.pk)])
    assert response.status_code == 400
    [rejection] = response.json()["rejected"]
    assert (rejection["index"], rejection["field"]) == (0, "type")
    assert not Event.objects.filter(user=learner).exists()


def test_beacon_rejects_a_body_that_is_not_a_json_list(signed_in):
    for body in ("not json", json.dumps({"type": "click"})):
        response = signed_in.post(BEACON, {"events": body})
        assert response.status_code == 400
        assert response.json()["errors"][0]["field"] == "events"


def test_beacon_answers_413_to_a_body_too_large_to_read(learner, settings):
    client = Client(enforce_csrf_checks=True)
    client.force_login(learner)
    client.get(reverse("web:home"))  # the CSRF cookie
    token = client.cookies["csrftoken"].value
    huge = [
        event(object_type="course", object_id=1, page="x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    ]
    response = client.post(BEACON, {"csrfmiddlewaretoken": token, "events": json.dumps(huge)})
    assert response.status_code == 413
    assert not Event.objects.exists()


def test_beacon_refuses_json_nested_too_deeply_with_400(signed_in):
    for body in (
        "[" * 1000 + "]" * 1000,
        json.dumps([event()])[:-1] + ', {"a": ' * 1000 + "1" + "}" * 1000 + "]",
    ):
        response = signed_in.post(BEACON, {"events": body})
        assert response.status_code == 400
        [error] = response.json()["errors"]
        assert error["field"] == "events" and "nest" in error["reason"]


def test_beacon_is_csrf_protected(learner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(learner)
    assert send(client, []).status_code == 403


# Not interested ----------------------------------------------------------------------------


def test_not_interested_hides_the_course_for_good(signed_in, learner):
    tag = TagFactory()
    courses = [make_course(tags=[tag]) for _ in range(3)]
    interests_declare(user=learner, tags=[tag])
    assert courses[0].title in signed_in.get(reverse("web:home")).content.decode()
    response = signed_in.post(
        reverse("web:not_interested"),
        {"object_type": "course", "object_id": courses[0].pk, "request_id": str(uuid.uuid4())},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 200
    assert Event.objects.filter(user=learner, event_type="not_interested").count() == 1
    page = signed_in.get(reverse("web:home")).content.decode()
    recommended = page.split('data-section="recommended-courses"')[1].split("</section>")[0]
    assert f'data-id="{courses[0].pk}"' not in recommended


def test_not_interested_without_script_redirects_back(signed_in):
    course = make_course()
    response = signed_in.post(
        reverse("web:not_interested"),
        {"object_type": "course", "object_id": course.pk, "next": "/browse/"},
    )
    assert response["Location"] == "/browse/"


def test_not_interested_rejects_unknown_items(signed_in):
    response = signed_in.post(
        reverse("web:not_interested"),
        {"object_type": "course", "object_id": 999999},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 400 and response.json()["rejected"][0]["field"] == "object_id"


# Privacy center ----------------------------------------------------------------------------


def test_privacy_pages_need_sign_in(client):
    for name in ("privacy", "export", "account_delete"):
        response = client.get(reverse(f"web:{name}"))
        assert response.status_code == 302 and reverse("web:login") in response["Location"]


def test_personalisation_switch_takes_effect_immediately(signed_in, learner):
    make_catalog(2)
    assert "为你推荐" in signed_in.get(reverse("web:home")).content.decode()
    signed_in.post(reverse("web:personalisation"), {})
    assert LearnerProfile.objects.get(user=learner).personalization_enabled is False
    page = signed_in.get(reverse("web:home")).content.decode()
    assert "热门推荐（未个性化）" in page and "为你推荐" not in page
    signed_in.post(reverse("web:personalisation"), {"enabled": "on"})
    assert LearnerProfile.objects.get(user=learner).personalization_enabled is True


def test_learners_see_and_delete_their_interest_tags(signed_in, learner):
    tag = TagFactory(name="健身")
    interests_declare(user=learner, tags=[tag])
    assert "#健身" in signed_in.get(reverse("web:privacy")).content.decode()
    signed_in.post(reverse("web:tag_delete", args=[tag.pk]))
    assert InterestTag.objects.get(user=learner, tag=tag).dismissed
    assert "#健身" not in signed_in.get(reverse("web:privacy")).content.decode()


def test_clear_history_deletes_the_learners_events(signed_in, learner):
    course = make_course()
    signed_in.get(reverse("web:course", args=[course.slug]))
    assert Event.objects.filter(user=learner).exists()
    response = signed_in.post(reverse("web:history_clear"), follow=True)
    assert not Event.objects.filter(user=learner).exists()
    assert "已清除你的历史记录" in response.content.decode()


def test_export_downloads_my_data_as_json(signed_in, learner):
    response = signed_in.get(reverse("web:export"))
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].startswith("attachment;")
    assert json.loads(response.content)["account"]["username"] == learner.username


def test_deleting_the_account_asks_for_the_password(signed_in, learner):
    page = signed_in.post(reverse("web:account_delete"), {"password": "wrong"}).content.decode()
    assert "密码不正确" in page
    assert User.objects.filter(pk=learner.pk).exists()


def test_deleting_the_account_keeps_orders_anonymised(signed_in, learner):
    order = OrderFactory(user=learner, total=Decimal("99"))
    response = signed_in.post(reverse("web:account_delete"), {"password": PASSWORD})
    assert response["Location"] == reverse("web:home")
    assert not User.objects.filter(pk=learner.pk).exists()
    assert Order.objects.get(pk=order.pk).user is None


def test_how_recommendations_work_is_public_and_plain(client):
    page = client.get(reverse("web:how_it_works")).content.decode()
    assert "推荐是如何产生的" in page and "关闭个性化推荐" in page
