"""What the law gives every learner: clear history, export everything, delete the account."""

import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import User
from commerce.models import Order
from commerce.services import course_enroll_free, order_create, order_pay
from privacy.services import account_delete, data_export, history_clear
from recommendations.models import Event, InterestTag, LearnerProfile
from recommendations.services.events import event_record
from recommendations.services.profiles import interests_declare, interests_derive
from tests.factories import CourseFactory, InstructorFactory, TagFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def learner_with_a_past(django_capture_on_commit_callbacks):
    learner = UserFactory(username="xiaoming", email="xm@example.com")
    python, cooking = TagFactory(name="Python"), TagFactory(name="烹饪")
    interests_declare(user=learner, tags=[cooking])
    course = CourseFactory(title="Python 入门", tags=[python], price=Decimal("0"))
    paid = CourseFactory(title="数据分析", price=Decimal("99"))
    with django_capture_on_commit_callbacks(execute=True):  # purchase events follow the commit
        course_enroll_free(user=learner, course=course)
        order = order_create(user=learner, items=[(paid, 1)], idempotency_key="k1")
        order_pay(order_id=order.pk, user=learner)
    event_record(user=learner, event_type="view", object_type="course", object_id=course.pk)
    interests_derive(user_ids=[learner.pk])
    return learner


def test_clearing_history_forgets_events_and_derived_tags_but_keeps_declared_ones(
    learner_with_a_past,
):
    learner = learner_with_a_past
    assert Event.objects.filter(user=learner).exists()
    assert InterestTag.objects.filter(user=learner, declared=False).exists()
    before = timezone.now()

    deleted = history_clear(user=learner)

    assert deleted > 0
    assert not Event.objects.filter(user=learner).exists()
    tags = InterestTag.objects.filter(user=learner)
    assert [(t.tag.name, t.declared, t.derived_weight) for t in tags] == [("烹饪", True, 0.0)]
    assert LearnerProfile.objects.get(user=learner).history_cleared_at >= before


def test_clearing_history_leaves_other_learners_alone(learner_with_a_past):
    other = UserFactory()
    event_record(user=other, event_type="view", object_type="course", object_id=CourseFactory().pk)
    history_clear(user=learner_with_a_past)
    assert Event.objects.filter(user=other).count() == 1


def test_the_export_holds_everything_stored_about_the_learner_as_json(learner_with_a_past):
    export = data_export(user=learner_with_a_past)
    document = json.loads(json.dumps(export))  # serialisable as it is
    assert document["account"]["username"] == "xiaoming"
    assert document["account"]["email"] == "xm@example.com"
    assert document["privacy"]["personalization_enabled"] is True
    assert {t["tag"] for t in document["interest_tags"]} >= {"烹饪", "Python"}
    assert {e["type"] for e in document["events"]} >= {"view", "purchase", "enroll"}
    assert len(document["orders"]) == 1
    assert document["orders"][0]["lines"][0]["title"] == "数据分析"
    assert len(document["enrollments"]) == 2


def test_the_export_contains_nothing_of_another_learner(learner_with_a_past):
    other = UserFactory(username="lihua")
    event_record(user=other, event_type="view", object_type="course", object_id=CourseFactory().pk)
    export = data_export(user=other)
    assert export["account"]["username"] == "lihua"
    assert len(export["events"]) == 1
    assert export["orders"] == [] and export["enrollments"] == []


def test_deleting_the_account_removes_the_person_and_keeps_anonymised_orders(learner_with_a_past):
    learner = learner_with_a_past
    order = Order.objects.get(user=learner)

    account_delete(user=learner)

    assert not User.objects.filter(username="xiaoming").exists()
    assert not Event.objects.filter(user_id=learner.pk).exists()
    assert not InterestTag.objects.filter(user_id=learner.pk).exists()
    assert not LearnerProfile.objects.filter(user_id=learner.pk).exists()
    order.refresh_from_db()
    assert order.user_id is None
    assert order.status == Order.Status.PAID
    assert order.total == Decimal("99.00")
    assert order.lines.get().title == "数据分析"


def test_an_instructor_account_is_not_deleted_by_self_service():
    instructor = InstructorFactory()
    with pytest.raises(ValidationError, match="Instructor accounts"):
        account_delete(user=instructor.user)
    assert User.objects.filter(pk=instructor.user.pk).exists()
