"""The API: running campaigns, the offer on every course, coupons and bundles in orders."""

from decimal import Decimal

import pytest

from commerce.models import Enrollment, Order
from tests.api.conftest import client_for
from tests.factories import CourseFactory

pytestmark = pytest.mark.django_db


def test_campaigns_list_discounted_courses_and_bundles(course, teacher, make_discount, make_bundle):
    other = CourseFactory(instructor=teacher, price=Decimal("50.00"))
    discount = make_discount([course])
    bundle = make_bundle([course, other], price=Decimal("120.00"))
    body = client_for().get("/api/v1/campaigns/").json()
    assert [c["id"] for c in body["courses"]] == [course.pk]
    offer = body["courses"][0]["offer"]
    assert offer["price"] == "80.00"
    assert offer["regular_price"] == "100.00"
    assert offer["discounted"] is True
    assert offer["discount_title"] == discount.title
    assert offer["ends_at"]
    assert body["bundles"][0]["id"] == bundle.pk
    assert body["bundles"][0]["price"] == "120.00"
    assert body["bundles"][0]["regular_price"] == "150.00"


def test_every_learner_and_a_visitor_get_the_same_offer(course, make_discount, learners):
    make_discount([course])
    offers = [
        client_for(user).get(f"/api/v1/courses/{course.pk}/").json()["offer"]
        for user in (*learners, None)
    ]
    assert offers[0] == offers[1] == offers[2]
    assert offers[0]["price"] == "80.00"


def test_a_course_without_a_discount_has_a_plain_offer(course):
    offer = client_for().get("/api/v1/courses/").json()["results"][0]["offer"]
    assert offer == {
        "price": "100.00",
        "regular_price": "100.00",
        "discounted": False,
        "discount_title": None,
        "ends_at": None,
    }


def order(user, body, key="k1"):
    return client_for(user).post(
        "/api/v1/orders/",
        body,
        format="json",
        headers={"Idempotency-Key": key, "Accept-Language": "en"},  # messages checked in English
    )


def test_an_order_takes_a_coupon(course, make_coupon, make_discount, learners):
    make_discount([course])
    make_coupon(code="SAVE10")
    response = order(
        learners[0], {"items": [{"type": "course", "id": course.pk}], "coupon": "save10"}
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["total"], body["coupon"], body["coupon_discount"]) == ("70.00", "SAVE10", "10.00")
    assert body["lines"][0]["unit_price"] == "80.00"


@pytest.mark.parametrize(
    ("code", "expected"),
    [("NOPE", "There is no coupon with this code."), ("MIN", "at least ¥500")],
)
def test_a_bad_coupon_is_a_400_on_the_coupon_field(course, make_coupon, learners, code, expected):
    make_coupon(code="MIN", minimum_amount=Decimal("500"))
    response = order(learners[0], {"items": [{"type": "course", "id": course.pk}], "coupon": code})
    assert response.status_code == 400
    problem = response.json()
    assert problem["code"] == "invalid"
    assert expected in problem["errors"]["coupon"][0]
    assert not Order.objects.exists()


def test_an_order_without_a_coupon_says_so(course, learners):
    body = order(learners[0], {"items": [{"type": "course", "id": course.pk}]}).json()
    assert (body["coupon"], body["coupon_discount"], body["bundle"]) == (None, "0.00", None)


def test_a_bundle_is_ordered_and_paid_through_the_api(course, teacher, make_bundle, learners):
    other = CourseFactory(instructor=teacher, price=Decimal("50.00"))
    bundle = make_bundle([course, other], price=Decimal("120.00"))
    client = client_for(learners[0])
    placed = client.post(f"/api/v1/bundles/{bundle.pk}/order/", headers={"Idempotency-Key": "b"})
    assert placed.status_code == 201
    assert (placed.json()["total"], placed.json()["bundle"]) == ("120.00", bundle.pk)
    again = client.post(f"/api/v1/bundles/{bundle.pk}/order/", headers={"Idempotency-Key": "b"})
    assert again.status_code == 200
    assert again.json()["id"] == placed.json()["id"]
    paid = client.post(f"/api/v1/orders/{placed.json()['id']}/pay/")
    assert paid.status_code == 200
    assert Enrollment.objects.filter(user=learners[0]).count() == 2


def test_a_bundle_not_on_sale_is_a_400_and_needs_a_signed_in_learner(learners):
    response = client_for(learners[0]).post(
        "/api/v1/bundles/999/order/", headers={"Idempotency-Key": "b"}
    )
    assert response.status_code == 400
    assert client_for().post("/api/v1/bundles/999/order/").status_code == 401
