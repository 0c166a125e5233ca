"""Cart, checkout with the simulated provider, my learning and my orders."""

import uuid
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from commerce import services as commerce_services
from commerce.models import Order
from tests.commerce.factories import OrderFactory
from tests.factories import ProductFactory, UserFactory
from tests.web.conftest import make_course

pytestmark = pytest.mark.django_db


def checkout_data(*items, key=None):
    return {
        "idempotency_key": key or str(uuid.uuid4()),
        "items": ",".join(items),
    }


def test_cart_adds_and_removes_items(client):
    product = ProductFactory(title="机械键盘", price=Decimal("399"))
    client.post(
        reverse("web:cart_add"), {"kind": "product", "object_id": product.pk, "quantity": 2}
    )
    page = client.get(reverse("web:cart")).content.decode()
    assert "机械键盘" in page and "798" in page
    client.post(
        reverse("web:cart_remove"), {"kind": "product", "object_id": product.pk, "quantity": 1}
    )
    assert "购物车是空的" in client.get(reverse("web:cart")).content.decode()


def test_buying_a_course_enrolls_the_learner_and_shows_it_in_my_learning(signed_in, learner):
    course = make_course(title="高效写作课", price=Decimal("99"))
    response = signed_in.post(reverse("web:checkout"), checkout_data(f"course:{course.pk}:1"))
    order = Order.objects.get(user=learner)
    assert response["Location"] == reverse("web:order", args=[order.pk])
    assert order.status == Order.Status.PAID
    assert "高效写作课" in signed_in.get(reverse("web:learning")).content.decode()


def test_a_double_submitted_checkout_makes_one_order(signed_in, learner):
    course = make_course(price=Decimal("99"))
    data = checkout_data(f"course:{course.pk}:1")
    first = signed_in.post(reverse("web:checkout"), data)
    second = signed_in.post(reverse("web:checkout"), data)
    assert Order.objects.filter(user=learner).count() == 1
    assert first["Location"] == second["Location"]


def test_a_second_submit_overtaken_by_the_first_shows_the_paid_order(
    signed_in, learner, monkeypatch
):
    """The second submit looks for an order with its key before the first has placed one; the
    first then places and pays it, so the second finds the course owned and the last unit gone
    when it checks the items: it must show the paid order, not the cart with an error."""
    course, last_one = make_course(price=Decimal("99")), ProductFactory(stock=1, kind="digital")
    data = checkout_data(f"course:{course.pk}:1", f"product:{last_one.pk}:1")
    first_browser = Client()
    first_browser.force_login(learner)
    real_courses_enrolled = commerce_services.courses_enrolled

    def first_submit_lands_meanwhile(**kwargs):
        monkeypatch.setattr(commerce_services, "courses_enrolled", real_courses_enrolled)
        assert first_browser.post(reverse("web:checkout"), data).status_code == 302
        return real_courses_enrolled(**kwargs)

    monkeypatch.setattr(commerce_services, "courses_enrolled", first_submit_lands_meanwhile)
    second = signed_in.post(reverse("web:checkout"), data, follow=True)

    order = Order.objects.get(user=learner)
    assert order.status == Order.Status.PAID
    assert second.redirect_chain == [(reverse("web:order", args=[order.pk]), 302)]
    assert "支付成功" in second.content.decode()


def test_checkout_from_the_cart_empties_the_cart(signed_in):
    product = ProductFactory(kind="digital")
    signed_in.post(
        reverse("web:cart_add"), {"kind": "product", "object_id": product.pk, "quantity": 1}
    )
    data = checkout_data(f"product:{product.pk}:1") | {"from_cart": "True"}
    signed_in.post(reverse("web:checkout"), data)
    assert "购物车是空的" in signed_in.get(reverse("web:cart")).content.decode()


def test_checkout_explains_what_went_wrong(signed_in, learner):
    product = ProductFactory(title="限量手办", stock=1)
    response = signed_in.post(
        reverse("web:checkout"), checkout_data(f"product:{product.pk}:5"), follow=True
    )
    assert "“限量手办”仅剩 1 件" in response.content.decode()
    bad = signed_in.post(reverse("web:checkout"), {"items": "course:x"}, follow=True)
    assert "此字段是必填项" in bad.content.decode() or "该字段是必填项" in bad.content.decode()
    assert not Order.objects.filter(user=learner).exists()


def test_checkout_holds_the_cap_of_99_per_product_across_repeated_lines(signed_in, learner):
    product = ProductFactory(title="机械键盘", stock=1000, kind="digital")
    entry = f"product:{product.pk}:99"
    response = signed_in.post(
        reverse("web:checkout"), checkout_data(entry, entry, entry, entry), follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("web:cart")
    assert "“机械键盘”每单最多购买 99 件。" in response.content.decode()
    assert not Order.objects.filter(user=learner).exists()
    product.refresh_from_db()
    assert product.stock == 1000

    signed_in.post(
        reverse("web:checkout"), checkout_data(f"product:{product.pk}:60", entry[:-2] + "39")
    )
    order = Order.objects.get(user=learner)
    assert [(line.product_id, line.quantity) for line in order.lines.all()] == [(product.pk, 99)]


def test_checkout_needs_sign_in(client):
    course = make_course()
    response = client.post(reverse("web:checkout"), checkout_data(f"course:{course.pk}:1"))
    assert response.status_code == 302 and reverse("web:login") in response["Location"]


@pytest.mark.parametrize("name", ["web:learning", "web:orders"])
def test_my_pages_need_sign_in(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and reverse("web:login") in response["Location"]


def test_my_orders_lists_only_my_orders_and_others_are_404(signed_in, learner):
    mine = OrderFactory(user=learner, number="ZBMINE0000001")
    theirs = OrderFactory(user=UserFactory(), number="ZBTHEIRS00001")
    page = signed_in.get(reverse("web:orders")).content.decode()
    assert mine.number in page and theirs.number not in page
    assert signed_in.get(reverse("web:order", args=[mine.pk])).status_code == 200
    assert signed_in.get(reverse("web:order", args=[theirs.pk])).status_code == 404
