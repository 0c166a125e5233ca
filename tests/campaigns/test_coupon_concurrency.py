"""Under real concurrency (PostgreSQL, one connection per thread) a coupon is never used more
than its limit."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from commerce.models import Order
from commerce.services import order_checkout
from tests.commerce.test_concurrency import run_together
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_fifty_concurrent_redemptions_of_a_ten_use_coupon_give_exactly_ten_orders(
    postgres, course, make_coupon
):
    make_coupon(code="TEN", usage_limit=10)
    buyers = UserFactory.create_batch(50)

    def redeem(i):
        try:
            order_checkout(
                user=buyers[i],
                items=[("course", course.pk, 1)],
                idempotency_key="coupon",
                coupon_code="TEN",
            )
        except ValidationError as refusal:
            return refusal.error_dict["coupon"][0].code
        return "paid"

    outcomes = run_together(50, redeem)

    assert outcomes.count("paid") == 10
    assert outcomes.count("coupon_used_up") == 40
    paid = Order.objects.filter(status=Order.Status.PAID, coupon__code="TEN")
    assert paid.count() == 10
    assert Order.objects.count() == 10
    assert set(paid.values_list("total", flat=True)) == {Decimal("90.00")}
