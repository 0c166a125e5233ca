"""Purchases, enrollments and reservations count only as the server recorded them.

Clients cannot send them (``tests/feedback/test_event_ingestion.py``); rows a client wrote
before that rule must not count either: not in "bought together" on public pages, the training
matrix, trending, derived interests, a learner's folded-in row or what their lists leave out.
"""

import uuid

import numpy as np
import pytest
from django.utils import timezone

from recommendations.models import Event
from recommendations.services.events import event_record
from recommendations.services.profiles import interest_tags_for, interests_derive
from recommendations.services.related import bought_together_for
from recommendations.services.serving import learner_state
from recommendations.services.trending import trending_compute
from recommendations.training.dataset import training_data_build
from tests.api.conftest import client_for
from tests.factories import CourseFactory, ProductFactory, TagFactory, UserFactory

pytestmark = pytest.mark.django_db


def claimed(user, event_type: str, item) -> Event:
    """A commerce event as a client wrote it before clients were refused such events."""
    now = timezone.now()
    return Event.objects.create(
        user=user,
        event_type=event_type,
        object_type=type(item).__name__.lower(),
        object_id=item.pk,
        client=Event.Client.WEB,
        client_ts=now,
        server_ts=now,
        client_event_id=uuid.uuid4(),
    )


def recorded(user, event_type: str, item) -> Event:
    """The same event as the server records it when commerce announces it."""
    return event_record(
        user=user, event_type=event_type, object_type=type(item).__name__.lower(), object_id=item.pk
    )


def test_bought_together_ignores_what_clients_claimed_they_bought():
    bought, together, planted = ProductFactory(), ProductFactory(), ProductFactory()
    for buyer in UserFactory.create_batch(2):
        recorded(buyer, "purchase", bought)
        recorded(buyer, "purchase", together)
    for sock_puppet in UserFactory.create_batch(3):
        claimed(sock_puppet, "purchase", bought)
        claimed(sock_puppet, "purchase", planted)
    result = bought_together_for(item_type="product", object_id=bought.pk)
    assert [rec.object.pk for rec in result.items] == [together.pk]
    body = client_for(None).get(f"/api/v1/products/{bought.pk}/bought-together/").json()
    assert [item["id"] for item in body["items"]] == [together.pk]


def test_claimed_enrollments_alone_make_no_bought_together_list():
    course, planted = CourseFactory(), CourseFactory()
    for sock_puppet in UserFactory.create_batch(3):
        claimed(sock_puppet, "enroll", course)
        claimed(sock_puppet, "enroll", planted)
    result = bought_together_for(item_type="course", object_id=course.pk)
    assert result.source != "bought_together"
    assert all(rec.reason.kind != "bought_together" for rec in result.items)


def test_the_training_matrix_reads_purchases_and_reservations_only_as_recorded():
    buyer, claimant = UserFactory(), UserFactory()
    course, planted = CourseFactory(), CourseFactory()
    recorded(buyer, "purchase", course)
    for kind in ("purchase", "enroll"):
        claimed(claimant, kind, planted)
        claimed(buyer, kind, planted)
    data = training_data_build(now=timezone.now())
    assert list(data.user_ids) == [buyer.pk]  # the claimant did nothing that counts
    columns = data.items.columns("course", np.array([course.pk, planted.pk]))
    assert data.matrix[0, columns[0]] == pytest.approx(5.0, rel=1e-3)  # the purchase weight
    assert data.matrix[0, columns[1]] == 0


def test_trending_does_not_count_claimed_purchases():
    sold, planted = ProductFactory(), ProductFactory()
    recorded(UserFactory(), "purchase", sold)
    for sock_puppet in UserFactory.create_batch(3):
        claimed(sock_puppet, "purchase", planted)
    assert trending_compute(item_type="product") == [sold.pk]


def test_derived_interests_do_not_come_from_claimed_purchases():
    learner = UserFactory()
    claimed(learner, "purchase", CourseFactory(tags=[TagFactory(name="Python")]))
    recorded(learner, "purchase", CourseFactory(tags=[TagFactory(name="烹饪")]))
    interests_derive(user_ids=[learner.pk])
    assert [row.tag.name for row in interest_tags_for(user=learner)] == ["烹饪"]


def test_a_learners_lists_leave_out_what_they_bought_not_what_they_claimed():
    learner, bought, claimed_course = UserFactory(), CourseFactory(), CourseFactory()
    recorded(learner, "purchase", bought)
    claimed(learner, "purchase", claimed_course)
    assert learner_state(learner, item_type="course").excluded == {bought.pk}
