"""Instructors run their own campaigns in the admin and nobody else's; staff see all."""

import importlib
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.urls import reverse
from django.utils import timezone

from commerce.models import Bundle, Coupon
from courses.models import Discount
from tests.factories import CourseFactory, UserFactory

pytestmark = pytest.mark.django_db

MODELS = {"discount": "courses", "coupon": "commerce", "bundle": "commerce"}


def admin_url(model, view, *args):
    return reverse(f"admin:{MODELS[model]}_{model}_{view}", args=args)


@pytest.fixture
def campaigns(teacher, other_teacher, course, make_discount, make_coupon, make_bundle):
    theirs = CourseFactory(instructor=other_teacher, title="B-course")
    start, end = timezone.now(), timezone.now() + timedelta(days=1)
    mine = {
        "discount": make_discount([course]),
        "coupon": make_coupon(code="MINE"),
        "bundle": make_bundle([course]),
    }
    boss = UserFactory(username="boss", is_superuser=True, is_staff=True)
    from commerce.campaigns import bundle_create, coupon_create
    from courses.services import discount_create

    others = {
        "discount": discount_create(
            user=boss,
            instructor=other_teacher,
            title="B-discount",
            courses=[theirs],
            kind="percent",
            value=Decimal("10"),
            starts_at=start,
            ends_at=end,
        ),
        "coupon": coupon_create(
            user=boss,
            instructor=other_teacher,
            code="THEIRS",
            kind="amount",
            value=Decimal("5"),
            valid_from=start,
            valid_until=end,
        ),
        "bundle": bundle_create(
            user=boss,
            instructor=other_teacher,
            title="B-bundle",
            courses=[theirs],
            price=Decimal("10"),
            starts_at=start,
            ends_at=end,
        ),
    }
    return mine, others, theirs


@pytest.fixture
def as_teacher(client, teacher):
    client.force_login(teacher.user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.mark.parametrize("model", list(MODELS))
def test_instructor_lists_and_opens_only_their_own_campaigns(as_teacher, campaigns, model):
    mine, others, _theirs = campaigns
    listing = as_teacher.get(admin_url(model, "changelist"))
    assert listing.status_code == 200
    assert list(listing.context["cl"].result_list) == [mine[model]]
    assert as_teacher.get(admin_url(model, "change", mine[model].pk)).status_code == 200
    assert as_teacher.get(admin_url(model, "change", others[model].pk)).status_code == 404


@pytest.mark.parametrize("model", list(MODELS))
def test_staff_see_every_instructors_campaigns(client, campaigns, model):
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    listing = client.get(admin_url(model, "changelist"))
    assert len(listing.context["cl"].result_list) == 2


def window():
    now = timezone.localtime()
    return {
        "starts_at_0": now.strftime("%Y-%m-%d"),
        "starts_at_1": now.strftime("%H:%M:%S"),
        "ends_at_0": (now + timedelta(days=3)).strftime("%Y-%m-%d"),
        "ends_at_1": now.strftime("%H:%M:%S"),
    }


def test_instructor_adds_a_discount_on_their_course(as_teacher, teacher, course, campaigns):
    data = {"title": "周末特惠", "courses": [course.pk], "kind": "percent", "value": "15"}
    response = as_teacher.post(admin_url("discount", "add"), data | window())
    assert response.status_code == 302
    discount = Discount.objects.get(title="周末特惠")
    assert discount.instructor == teacher
    assert list(discount.courses.all()) == [course]


def test_another_instructors_course_is_an_invalid_choice(as_teacher, campaigns):
    _mine, _others, theirs = campaigns
    data = {"title": "x", "courses": [theirs.pk], "kind": "percent", "value": "15"}
    response = as_teacher.post(admin_url("discount", "add"), data | window())
    assert response.status_code == 200
    assert "courses" in response.context["adminform"].form.errors


def test_staff_cannot_put_another_instructors_course_in_a_campaign(
    client, teacher, course, campaigns
):
    _mine, _others, theirs = campaigns
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    data = {
        "title": "x",
        "instructor": teacher.pk,
        "courses": [course.pk, theirs.pk],
        "price": "10",
        "is_active": "on",
    }
    response = client.post(admin_url("bundle", "add"), data | window())
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "B-course" in errors["courses"][0]
    assert not Bundle.objects.filter(title="x").exists()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"value": "120"}, "value", "A percentage off is at most 100."),
        ({"ends_at_0": "2000-01-01"}, "ends_at", "A discount ends after it starts."),
    ],
)
def test_invalid_discounts_are_form_errors(as_teacher, course, campaigns, changes, field, message):
    data = {"title": "x", "courses": [course.pk], "kind": "percent", "value": "15"}
    response = as_teacher.post(admin_url("discount", "add"), data | window() | changes)
    assert response.status_code == 200
    assert message in response.context["adminform"].form.errors[field]


def test_a_coupon_code_is_unique_whatever_its_case_and_uses_are_shown(
    as_teacher, teacher, campaigns
):
    now = timezone.localtime()
    data = {
        "code": "mine",
        "kind": "amount",
        "value": "5",
        "minimum_amount": "0",
        "usage_limit": "10",
        "per_learner_limit": "1",
        "valid_from_0": now.strftime("%Y-%m-%d"),
        "valid_from_1": now.strftime("%H:%M:%S"),
        "valid_until_0": (now + timedelta(days=1)).strftime("%Y-%m-%d"),
        "valid_until_1": now.strftime("%H:%M:%S"),
        "is_active": "on",
    }
    response = as_teacher.post(admin_url("coupon", "add"), data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["code"] == [
        "A coupon with this code exists already."
    ]
    response = as_teacher.post(admin_url("coupon", "add"), data | {"code": "NEW-ONE"})
    assert response.status_code == 302
    assert Coupon.objects.get(code="NEW-ONE").instructor == teacher
    listing = as_teacher.get(admin_url("coupon", "changelist")).content.decode()
    assert "NEW-ONE" in listing and "Running" in listing


def test_the_states_of_campaigns(as_teacher, course, make_discount):
    now = timezone.now()
    make_discount([course], starts_at=now + timedelta(days=1), ends_at=now + timedelta(days=2))
    make_discount([course], starts_at=now - timedelta(days=2), ends_at=now - timedelta(days=1))
    listing = as_teacher.get(admin_url("discount", "changelist")).content.decode()
    assert "Upcoming" in listing and "Ended" in listing


def test_the_campaign_permissions_migration_reverses_and_reapplies(db):
    migration = importlib.import_module("commerce.migrations.0006_campaigns_for_instructors")
    apps = (
        MigrationLoader(connection)
        .project_state(("commerce", "0006_campaigns_for_instructors"))
        .apps
    )
    group = Group.objects.get(name="Instructors")
    migration.revoke(apps, None)
    assert not group.permissions.filter(codename="add_coupon").exists()
    migration.grant(apps, None)
    assert group.permissions.filter(codename__in=["add_coupon", "add_discount"]).count() == 2
    Group.objects.all().delete()
    migration.revoke(apps, None)  # no group: nothing to do
