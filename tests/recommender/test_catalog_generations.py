"""Catalog generations: every write to the catalog that a learner would see retires the items
cached with recommended lists, once it commits — and only then."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from commerce.services import order_create, order_pay
from courses import services
from courses.generations import generation_key
from courses.models import Course, LiveSession, Product
from recommendations.services.serving import recommendations_for
from recommendations.services.trending import trending_refresh
from tests.commerce.factories import ADDRESS
from tests.factories import (
    CourseFactory,
    InstructorFactory,
    LiveSessionFactory,
    ProductFactory,
    UserFactory,
)
from tests.test_admin_scoping import form_data

pytestmark = pytest.mark.django_db


def generations():
    return {t: cache.get(generation_key(t)) for t in ("course", "live", "video", "product")}


def changed(before):
    after = generations()
    return {t for t in after if after[t] != before[t]}


@pytest.fixture
def started():
    """Every type with a generation, as after the first recommended list of each."""
    for item_type in ("course", "live", "video", "product"):
        recommendations_for(user=AnonymousUser(), item_type=item_type, k=3)
    return generations()


@pytest.mark.parametrize(
    ("change", "item_type"),
    [
        (lambda: services.course_publish(course=CourseFactory(status="draft")), "course"),
        (lambda: services.course_unpublish(course=CourseFactory()), "course"),
        (
            lambda: services.live_session_start(
                live_session=LiveSessionFactory(scheduled_start=timezone.now())
            ),
            "live",
        ),
        (lambda: services.live_session_end(live_session=LiveSessionFactory()), "live"),
        (
            lambda: services.product_set_on_sale(product=ProductFactory(), on_sale=False),
            "product",
        ),
    ],
    ids=["publish", "unpublish", "start-live", "end-live", "off-sale"],
)
def test_each_catalog_service_retires_its_type_once_committed(
    started, change, item_type, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        change()
    assert changed(started) == set()  # not before the commit
    for callback in callbacks:
        callback()
    assert changed(started) == {item_type}


def test_a_payment_that_sells_a_product_out_retires_products(
    started, django_capture_on_commit_callbacks
):
    buyer = UserFactory()
    plenty, last = ProductFactory(stock=5), ProductFactory(price=Decimal("10.00"), stock=1)
    order = order_create(user=buyer, items=[(plenty, 1)], idempotency_key="k1", new_address=ADDRESS)
    with django_capture_on_commit_callbacks(execute=True):
        order_pay(order_id=order.pk, user=buyer)
    assert changed(started) == set()  # still in stock: every card stays as it was

    order = order_create(
        user=buyer, items=[(plenty, 1), (last, 1)], idempotency_key="k2", new_address=ADDRESS
    )
    with django_capture_on_commit_callbacks(execute=True):
        order_pay(order_id=order.pk, user=buyer)
    assert changed(started) == {"product"}


def test_a_payment_refused_for_lack_of_stock_changes_nothing(
    started, django_capture_on_commit_callbacks
):
    order = order_create(
        user=UserFactory(),
        items=[(ProductFactory(stock=1), 1)],
        idempotency_key="k2",
        new_address=ADDRESS,
    )
    Product.objects.filter(pk=order.lines.get().product_id).update(stock=0)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError):
        order_pay(order_id=order.pk, user=order.user)
    assert changed(started) == set()


def test_a_sold_out_product_leaves_a_cached_product_list(django_capture_on_commit_callbacks):
    buyer, visitor = UserFactory(), AnonymousUser()
    last = ProductFactory(title="最后一件", stock=1)
    trending_refresh()

    def titles():
        items = recommendations_for(user=visitor, item_type="product").items
        return [item.object.title for item in items]

    assert "最后一件" in titles()
    order = order_create(user=buyer, items=[(last, 1)], idempotency_key="k3", new_address=ADDRESS)
    with django_capture_on_commit_callbacks(execute=True):
        order_pay(order_id=order.pk, user=buyer)
    assert "最后一件" not in titles()


@pytest.fixture
def as_superuser(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def test_a_title_edited_in_the_admin_shows_on_the_next_cached_list(
    as_superuser, django_capture_on_commit_callbacks
):
    course = CourseFactory(title="旧标题")
    trending_refresh()

    def titles():
        with translation.override("en"):  # the same list as before, whatever the admin chose
            items = recommendations_for(user=AnonymousUser(), item_type="course").items
        return [item.object.title for item in items]

    assert "旧标题" in titles()
    url = reverse("admin:courses_course_change", args=[course.pk])
    data = form_data(as_superuser.get(url)) | {"title": "新标题"}
    with django_capture_on_commit_callbacks(execute=True):
        response = as_superuser.post(url, data)
    assert response.status_code == 302
    assert "新标题" in titles() and "旧标题" not in titles()


def test_an_instructor_renamed_in_the_admin_retires_every_type(
    started, as_superuser, django_capture_on_commit_callbacks
):
    instructor = InstructorFactory(display_name="王老师")
    url = reverse("admin:courses_instructor_change", args=[instructor.pk])
    data = form_data(as_superuser.get(url)) | {"display_name": "王教授"}
    with django_capture_on_commit_callbacks(execute=True):
        assert as_superuser.post(url, data).status_code == 302
    assert changed(started) == {"course", "live", "video", "product"}


def test_deleting_in_the_admin_retires_the_type(
    started, as_superuser, django_capture_on_commit_callbacks
):
    live = LiveSessionFactory()
    url = reverse("admin:courses_livesession_delete", args=[live.pk])
    with django_capture_on_commit_callbacks(execute=True):
        assert as_superuser.post(url, {"post": "yes"}).status_code == 302
    assert not LiveSession.objects.filter(pk=live.pk).exists()
    assert changed(started) == {"live"}


def test_other_admin_pages_leave_the_generations_alone(
    started, as_superuser, django_capture_on_commit_callbacks
):
    course = Course.objects.first() or CourseFactory()
    chapter_add = reverse("admin:courses_chapter_add")
    with django_capture_on_commit_callbacks(execute=True):
        as_superuser.post(chapter_add, {"course": course.pk, "title": "第一章", "position": 1})
    assert changed(started) == set()
