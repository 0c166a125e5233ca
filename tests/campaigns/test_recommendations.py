"""Running campaigns are recommended like items: the courses a learner looked at that are on a
time-limited discount come first, with their own reason, and only while the discount runs."""

from datetime import timedelta

import pytest
from django.utils import timezone

from recommendations.services.events import event_record
from recommendations.services.profiles import personalization_set
from recommendations.services.serving import recommendations_for
from tests.factories import CourseFactory

pytestmark = pytest.mark.django_db

OFFER = "Limited-time offer on a course you looked at"


def reasons(user):
    result = recommendations_for(user=user, item_type="course", slot="home", k=6)
    return [(r.object.pk, r.reason.kind, r.reason.text) for r in result.items]


def test_a_discounted_course_the_learner_looked_at_comes_first_with_its_reason(
    course, teacher, learners, make_discount
):
    others = [CourseFactory(instructor=teacher) for _ in range(4)]
    ana, bo = learners
    event_record(user=ana, event_type="view", object_type="course", object_id=course.pk)
    event_record(user=ana, event_type="view", object_type="course", object_id=others[0].pk)
    assert all(kind != "offer" for _, kind, _ in reasons(ana))
    make_discount([course])
    first = reasons(ana)[0]
    assert first == (course.pk, "offer", OFFER)
    # Bo did not look at it: the same price, but no such reason for him.
    assert all(kind != "offer" for _, kind, _ in reasons(bo))


def test_the_reason_goes_when_the_discount_ends(course, learners, make_discount, monkeypatch):
    ana = learners[0]
    discount = make_discount([course], ends_at=timezone.now() + timedelta(minutes=5))
    event_record(user=ana, event_type="click", object_type="course", object_id=course.pk)
    assert reasons(ana)[0][1] == "offer"
    later = discount.ends_at + timedelta(seconds=1)
    monkeypatch.setattr("django.utils.timezone.now", lambda: later)
    assert all(kind != "offer" for _, kind, _ in reasons(ana))  # the cached list is not used


def test_no_offer_reason_with_personalisation_off(course, learners, make_discount):
    ana = learners[0]
    make_discount([course])
    event_record(user=ana, event_type="view", object_type="course", object_id=course.pk)
    personalization_set(user=ana, enabled=False)
    assert all(kind != "offer" for _, kind, _ in reasons(ana))


def test_the_looks_at_discounted_courses_are_read_with_the_learners_state(
    course, teacher, learners
):
    from recommendations.services.serving import learner_state

    other, untouched = CourseFactory(instructor=teacher), CourseFactory(instructor=teacher)
    ana = learners[0]
    event_record(user=ana, event_type="view", object_type="course", object_id=course.pk)
    event_record(user=ana, event_type="cart", object_type="course", object_id=other.pk)
    event_record(user=ana, event_type="like", object_type="course", object_id=untouched.pk)
    state = learner_state(
        ana, item_type="course", offer_courses=[course.pk, other.pk, untouched.pk]
    )
    assert state.offers_looked_at == (other.pk, course.pk)  # the latest look first
    assert learner_state(ana, item_type="course").offers_looked_at == ()


def test_a_look_is_an_offer_reason_while_among_the_learners_newest_events(
    course, teacher, learners, monkeypatch
):
    """Looks are read among the learner's newest ``LOOKS_WINDOW`` events: a recent interest,
    and a bounded read however long the learner's history."""
    from recommendations.services import serving

    monkeypatch.setattr(serving, "LOOKS_WINDOW", 3)
    others = [CourseFactory(instructor=teacher) for _ in range(3)]
    ana = learners[0]
    event_record(user=ana, event_type="view", object_type="course", object_id=course.pk)
    for other in others[:2]:
        event_record(user=ana, event_type="view", object_type="course", object_id=other.pk)
    state = serving.learner_state(ana, item_type="course", offer_courses=[course.pk])
    assert state.offers_looked_at == (course.pk,)  # the third newest event
    event_record(user=ana, event_type="view", object_type="course", object_id=others[2].pk)
    state = serving.learner_state(ana, item_type="course", offer_courses=[course.pk])
    assert state.offers_looked_at == ()  # now the fourth


def test_a_discount_this_process_has_not_seen_yet_still_brings_the_offer(
    course, learners, make_discount
):
    """The process guesses the running discounts from its own copy to read the learner's looks
    at them with their state; a discount started elsewhere meanwhile is checked and read."""
    from courses import pricing

    ana = learners[0]
    event_record(user=ana, event_type="view", object_type="course", object_id=course.pk)
    assert all(kind != "offer" for _, kind, _ in reasons(ana))
    stale = pricing.discount_board()  # no discount yet
    make_discount([course])
    pricing._board[:] = [stale]  # as another process would still hold it
    assert reasons(ana)[0] == (course.pk, "offer", OFFER)
