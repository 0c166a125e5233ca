from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from commerce.campaigns import bundle_create, coupon_create
from courses.services import discount_create
from tests.factories import CourseFactory, InstructorFactory, UserFactory


@pytest.fixture
def teacher(db):
    return InstructorFactory(user__username="teacher-a")


@pytest.fixture
def other_teacher(db):
    return InstructorFactory(user__username="teacher-b")


@pytest.fixture
def course(teacher):
    return CourseFactory(instructor=teacher, price=Decimal("100.00"), title="数据分析")


@pytest.fixture
def learners(db):
    return UserFactory(username="ana"), UserFactory(username="bo")


def window(days_before=1, days_after=2):
    now = timezone.now()
    return now - timedelta(days=days_before), now + timedelta(days=days_after)


@pytest.fixture
def make_discount(teacher, django_capture_on_commit_callbacks):
    def make(courses, kind="percent", value=Decimal("20"), **kwargs):
        starts, ends = window()
        params = {"starts_at": starts, "ends_at": ends} | kwargs
        with django_capture_on_commit_callbacks(execute=True):  # as when its request commits
            return discount_create(
                user=teacher.user,
                title="限时八折",
                courses=courses,
                kind=kind,
                value=value,
                **params,
            )

    return make


@pytest.fixture
def make_coupon(teacher):
    def make(code="SAVE10", kind="amount", value=Decimal("10"), **kwargs):
        starts, ends = window()
        params = {"valid_from": starts, "valid_until": ends} | kwargs
        return coupon_create(user=teacher.user, code=code, kind=kind, value=value, **params)

    return make


@pytest.fixture
def make_bundle(teacher):
    def make(courses, price=Decimal("150.00"), **kwargs):
        starts, ends = window()
        params = {"starts_at": starts, "ends_at": ends} | kwargs
        return bundle_create(
            user=teacher.user, title="全家桶", courses=courses, price=price, **params
        )

    return make
