"""factory_boy factories for commerce rows, for tests that need rows the services would refuse."""

from decimal import Decimal

import factory

from commerce.models import Enrollment, LessonProgress, LiveReservation, Order, OrderLine
from tests.factories import (
    CourseFactory,
    LessonFactory,
    LiveSessionFactory,
    ProductFactory,
    UserFactory,
)


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
