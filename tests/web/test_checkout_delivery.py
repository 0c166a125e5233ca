"""Buying physical products on the site: a confirmation page with the price and where to deliver
them, before anything is charged; digital products stay one tap, with the price on the button.
The address book keeps the learner's addresses; an order keeps the address it was shipped to."""

import re
from datetime import timedelta
from decimal import Decimal
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from commerce.models import DeliveryAddress, Order
from tests.commerce.factories import ADDRESS, DeliveryAddressFactory
from tests.factories import (
    PASSWORD,
    LiveSessionFactory,
    LiveShelfItemFactory,
    ProductFactory,
    UserFactory,
)
from web.forms import CheckoutItemsForm

pytestmark = pytest.mark.django_db

CHECKOUT = reverse("web:checkout")


@pytest.fixture
def live():
    now = timezone.now()
    return LiveSessionFactory(
        status="live",
        scheduled_start=now - timedelta(minutes=20),
        scheduled_end=now + timedelta(hours=1),
    )


@pytest.fixture
def book(live):
    """A physical book on the live shelf, at a flash price now."""
    now = timezone.now()
    return LiveShelfItemFactory(
        live_session=live,
        product__title="数据分析实战手册",
        product__price=Decimal("89.00"),
        product__kind="physical",
        flash_price=Decimal("59.00"),
        flash_starts_at=now - timedelta(minutes=5),
        flash_ends_at=now + timedelta(minutes=25),
    ).product


@pytest.fixture
def ebook(live):
    return LiveShelfItemFactory(
        live_session=live,
        product__title="电子版讲义",
        product__price=Decimal("19.90"),
        product__kind="digital",
    ).product


def hidden_fields(page: str) -> dict:
    return {
        name: unescape(value)
        for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page)
    }


def confirm_link(page: str) -> str:
    return unescape(re.search(r'href="(/checkout/\?[^"]+)"', page)[1])


def test_the_shelf_asks_for_confirmation_of_a_physical_product_and_shows_every_price(
    signed_in, live, book, ebook
):
    page = signed_in.get(reverse("web:live", args=[live.slug])).content.decode()
    items = page.split('<div class="shelf-item')[1:]
    physical = next(item for item in items if "数据分析实战手册" in item)
    digital = next(item for item in items if "电子版讲义" in item)
    # The physical book: a link to the confirmation page, never a form that charges.
    assert 'data-testid="buy-physical"' in physical and "<form" not in physical
    assert "购买 · ¥59" in physical
    # The e-book: one tap, with its price on the button.
    assert 'data-testid="buy-digital"' in digital and 'action="/checkout/"' in digital
    assert "购买 · ¥19.9" in digital


def test_buying_a_physical_book_from_the_live_shelf_with_a_new_address(
    signed_in, learner, live, book
):
    page = signed_in.get(reverse("web:live", args=[live.slug])).content.decode()
    confirm = signed_in.get(confirm_link(page))
    assert confirm.status_code == 200
    text = confirm.content.decode()
    assert "确认订单" in text and "数据分析实战手册" in text and "秒杀价" in text
    assert "确认支付 ¥59" in text
    assert 'name="new-phone"' in text  # no saved address yet: the new address's fields
    assert not Order.objects.exists()

    response = signed_in.post(
        CHECKOUT,
        {
            **hidden_fields(text),
            **{f"new-{name}": value for name, value in ADDRESS.items()},
        },
    )
    order = Order.objects.get(user=learner)
    assert response["Location"] == reverse("web:order", args=[order.pk])
    assert order.status == Order.Status.PAID and order.total == Decimal("59.00")
    assert (order.ship_recipient, order.ship_street) == (ADDRESS["recipient"], ADDRESS["street"])
    saved = DeliveryAddress.objects.get(user=learner)
    assert saved.is_default and saved.phone == ADDRESS["phone"]
    receipt = signed_in.get(response["Location"]).content.decode()
    assert "收货地址" in receipt and ADDRESS["street"] in receipt


def test_a_saved_address_is_offered_first_and_the_order_keeps_its_copy(
    signed_in, learner, live, book
):
    home = DeliveryAddressFactory(user=learner, recipient="小明", is_default=True)
    DeliveryAddressFactory(user=learner, recipient="公司前台")
    page = signed_in.get(confirm_link_for(signed_in, live)).content.decode()
    assert re.search(rf'name="address" value="{home.pk}" checked', page)
    signed_in.post(CHECKOUT, {**hidden_fields(page), "address": str(home.pk)})
    order = Order.objects.get(user=learner)
    assert order.ship_recipient == "小明"

    signed_in.post(
        reverse("web:address", args=[home.pk]),
        {**ADDRESS, "recipient": "小明（新家）", "is_default": "on"},
    )
    home.refresh_from_db()
    order.refresh_from_db()
    assert home.recipient == "小明（新家）"
    assert order.ship_recipient == "小明"  # what it was shipped to


def confirm_link_for(client, live) -> str:
    return confirm_link(client.get(reverse("web:live", args=[live.slug])).content.decode())


def test_a_physical_product_posted_without_an_address_charges_nothing(
    signed_in, learner, live, book
):
    page = signed_in.get(confirm_link_for(signed_in, live)).content.decode()
    fields = hidden_fields(page)
    fields.pop("address", None)
    response = signed_in.post(CHECKOUT, fields, follow=True)
    assert not Order.objects.exists()
    assert response.redirect_chain[-1][0].startswith(f"{CHECKOUT}?items=product")
    assert "实物商品需要配送：请选择或填写收货地址。" in response.content.decode()


def test_a_wrong_phone_number_shows_on_its_field_and_charges_nothing(
    signed_in, learner, live, book
):
    page = signed_in.get(confirm_link_for(signed_in, live)).content.decode()
    response = signed_in.post(
        CHECKOUT,
        {
            **hidden_fields(page),
            **{f"new-{name}": value for name, value in ADDRESS.items()},
            "new-phone": "打电话",
        },
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "请输入电话号码" in text and ADDRESS["street"] in text  # what was typed stays
    assert not Order.objects.exists() and not DeliveryAddress.objects.exists()


def test_another_learners_address_cannot_be_shipped_to(signed_in, learner, live, book):
    theirs = DeliveryAddressFactory(user=UserFactory())
    page = signed_in.get(confirm_link_for(signed_in, live)).content.decode()
    response = signed_in.post(
        CHECKOUT, {**hidden_fields(page), "address": str(theirs.pk)}, follow=True
    )
    assert not Order.objects.exists()
    assert theirs.street not in response.content.decode()


def test_a_cart_with_a_physical_product_goes_through_the_confirmation(signed_in, learner):
    lamp = ProductFactory(title="护眼台灯", price=Decimal("199.00"), kind="physical")
    signed_in.post(reverse("web:cart_add"), {"kind": "product", "object_id": lamp.pk})
    cart = signed_in.get(reverse("web:cart")).content.decode()
    assert 'data-testid="checkout"' in cart and 'action="/checkout/"' not in cart
    page = signed_in.get(confirm_link(cart)).content.decode()
    assert "确认支付 ¥199" in page
    signed_in.post(CHECKOUT, {**hidden_fields(page), **{f"new-{k}": v for k, v in ADDRESS.items()}})
    assert Order.objects.get(user=learner).status == Order.Status.PAID
    assert "购物车是空的" in signed_in.get(reverse("web:cart")).content.decode()


def test_the_confirmation_page_signed_out_comes_back_after_signing_in(client, live, book):
    link = CheckoutItemsForm.confirm_url([("product", book.pk, 1)], live_id=live.pk)
    response = client.get(link)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("web:login"))
    user = UserFactory()
    signed_in = client.post(
        response["Location"],
        {"username": user.username, "password": PASSWORD, "next": link},
    )
    assert signed_in["Location"] == link
    assert "确认支付 ¥59" in client.get(link).content.decode()


def test_the_address_book_adds_edits_and_deletes(signed_in, learner):
    book_url = reverse("web:addresses")
    assert "还没有收货地址" in signed_in.get(book_url).content.decode()
    signed_in.post(book_url, ADDRESS)
    signed_in.post(book_url, {**ADDRESS, "recipient": "李四", "is_default": "on"})
    first, second = DeliveryAddress.objects.filter(user=learner).order_by("pk")
    assert (first.is_default, second.is_default) == (False, True)
    page = signed_in.get(book_url).content.decode()
    assert page.index("李四") < page.index(ADDRESS["recipient"])  # the default first

    refused = signed_in.post(book_url, {**ADDRESS, "postal_code": "12"})
    assert "邮政编码为 6 位数字。" in refused.content.decode()

    signed_in.post(reverse("web:address_delete", args=[second.pk]))
    first.refresh_from_db()
    assert first.is_default and not DeliveryAddress.objects.filter(pk=second.pk).exists()


def test_another_learners_address_is_not_found(signed_in):
    theirs = DeliveryAddressFactory(user=UserFactory())
    assert signed_in.get(reverse("web:address", args=[theirs.pk])).status_code == 404
    assert signed_in.post(reverse("web:address_delete", args=[theirs.pk])).status_code == 404
    assert DeliveryAddress.objects.filter(pk=theirs.pk).exists()
