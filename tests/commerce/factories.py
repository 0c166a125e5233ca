"""factory_boy factories for commerce rows, for tests that need rows the services would refuse."""

from decimal import Decimal

import factory

from commerce.models import (
    DeliveryAddress,
    Enrollment,
    LessonProgress,
    LiveReservation,
    Order,
    OrderLine,
)
from tests.factories import (
    CourseFactory,
    LessonFactory,
    LiveSessionFactory,
    ProductFactory,
    UserFactory,
)

ADDRESS = {
    "recipient": "张三",
    "phone": "138 0013 8000",
    "region": "广东省 深圳市 南山区",
    "street": "科技园路 1 号 2 栋 301",
    "postal_code": "518057",
}
"""A delivery address's fields: what a checkout of physical products passes as ``new_address``."""


class DeliveryAddressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DeliveryAddress

    user = factory.SubFactory(UserFactory)
    recipient = factory.Sequence(lambda n: f"收货人{n}")
    phone = "139 1234 5678"
    region = "北京市 北京市 海淀区"
    street = factory.Sequence(lambda n: f"中关村大街 {n} 号")


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    number = factory.Sequence(lambda n: f"ZBTEST{n:010d}")
    user = factory.SubFactory(UserFactory)
    idempotency_key = factory.Sequence(lambda n: f"checkout-{n}")
    total = Decimal("99.00")


class OrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderLine

    order = factory.SubFactory(OrderFactory)
    course = factory.SubFactory(CourseFactory)
    product = None
    title = "课程"
    unit_price = Decimal("99.00")
    quantity = 1


class ProductLineFactory(OrderLineFactory):
    course = None
    product = factory.SubFactory(ProductFactory)
    title = "好物"


class EnrollmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrollment

    user = factory.SubFactory(UserFactory)
    course = factory.SubFactory(CourseFactory)


class LessonProgressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LessonProgress

    user = factory.SubFactory(UserFactory)
    lesson = factory.SubFactory(LessonFactory)


class LiveReservationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LiveReservation

    user = factory.SubFactory(UserFactory)
    live_session = factory.SubFactory(LiveSessionFactory)
