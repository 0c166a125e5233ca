"""Interest tags (declared and derived) and the personalisation switch."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.utils import timezone

from recommendations.models import Event, InterestTag
from recommendations.services.events import event_record
from recommendations.services.profiles import (
    interest_tag_delete,
    interest_tags_for,
    interests_declare,
    interests_derive,
    personalization_enabled_for,
    personalization_set,
)
from tests.factories import CourseFactory, LessonFactory, ShortVideoFactory, TagFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def learner():
    return UserFactory()


def tag_weights(user):
    return {row.tag.name: row.derived_weight for row in interest_tags_for(user=user)}


def test_personalisation_is_on_by_default_and_the_switch_takes_effect_at_once(learner):
    assert personalization_enabled_for(learner) is True
    personalization_set(user=learner, enabled=False)
    assert personalization_enabled_for(learner) is False
    personalization_set(user=learner, enabled=True)
    assert personalization_enabled_for(learner) is True


def test_anonymous_visitors_never_get_personalisation():
    assert personalization_enabled_for(AnonymousUser()) is False


def test_declared_tags_are_shown_first(learner):
    python, cooking = TagFactory(name="Python"), TagFactory(name="烹饪")
    interests_declare(user=learner, tags=[python, cooking.pk])
    rows = interest_tags_for(user=learner)
    assert {row.tag.name for row in rows} == {"Python", "烹饪"}
    assert all(row.declared for row in rows)


def test_declaring_an_unknown_tag_is_a_validation_error(learner):
    with pytest.raises(ValidationError, match="Unknown tag"):
        interests_declare(user=learner, tags=[424242])
    assert not InterestTag.objects.exists()


def test_derived_weights_follow_what_the_learner_did(learner):
    python, cooking, music = (
        TagFactory(name="Python"),
        TagFactory(name="烹饪"),
        TagFactory(name="音乐"),
    )
    python_course = CourseFactory(tags=[python])
    cooking_video = ShortVideoFactory(tags=[cooking])
    music_course = CourseFactory(tags=[music])
    event_record(
        user=learner, event_type="purchase", object_type="course", object_id=python_course.pk
    )
    event_record(user=learner, event_type="like", object_type="video", object_id=cooking_video.pk)
    event_record(
        user=learner, event_type="not_interested", object_type="course", object_id=music_course.pk
    )
    interests_derive(user_ids=[learner.pk])
    weights = tag_weights(learner)
    assert weights["Python"] == 1.0  # the strongest tag is scaled to 1
    assert weights["烹饪"] == pytest.approx(1.5 / 5.0, abs=1e-3)
    assert "音乐" not in weights  # not interested pushes below zero


def test_lesson_watches_count_for_their_courses_tags_by_share_watched(learner):
    python = TagFactory(name="Python")
    cooking = TagFactory(name="烹饪")
    lesson = LessonFactory(chapter__course=CourseFactory(tags=[python]))
    other = CourseFactory(tags=[cooking])
    event_record(
        user=learner, event_type="watch", object_type="lesson", object_id=lesson.pk, value=0.5
    )
    event_record(user=learner, event_type="click", object_type="course", object_id=other.pk)
    interests_derive(user_ids=[learner.pk])
    assert tag_weights(learner) == {"Python": 1.0, "烹饪": 1.0}  # 2.0 x 0.5 == 1.0 x 1


def test_older_events_weigh_less(learner, settings):
    settings.RECOMMENDER_HALF_LIFE_DAYS = 10
    old_tag, new_tag = TagFactory(name="旧"), TagFactory(name="新")
    old, new = CourseFactory(tags=[old_tag]), CourseFactory(tags=[new_tag])
    event_record(user=learner, event_type="click", object_type="course", object_id=old.pk)
    Event.objects.update(server_ts=timezone.now() - timedelta(days=10))
    event_record(user=learner, event_type="click", object_type="course", object_id=new.pk)
    interests_derive(user_ids=[learner.pk])
    weights = tag_weights(learner)
    assert weights["新"] == 1.0
    assert weights["旧"] == pytest.approx(0.5, abs=1e-3)


def test_a_deleted_tag_never_comes_back_from_derivation_until_declared_again(learner):
    python = TagFactory(name="Python")
    course = CourseFactory(tags=[python])
    event_record(user=learner, event_type="purchase", object_type="course", object_id=course.pk)
    interests_derive(user_ids=[learner.pk])
    assert "Python" in tag_weights(learner)

    assert interest_tag_delete(user=learner, tag_id=python.pk) is True
    interests_derive(user_ids=[learner.pk])
    assert tag_weights(learner) == {}

    interests_declare(user=learner, tags=[python])
    interests_derive(user_ids=[learner.pk])
    assert tag_weights(learner) == {"Python": 1.0}


def test_derivation_drops_tags_whose_events_are_gone(learner):
    python = TagFactory(name="Python")
    course = CourseFactory(tags=[python])
    event_record(user=learner, event_type="purchase", object_type="course", object_id=course.pk)
    interests_derive(user_ids=[learner.pk])
    Event.objects.all().delete()
    interests_derive(user_ids=[learner.pk])
    assert not InterestTag.objects.filter(user=learner).exists()


def test_one_learners_events_never_shape_anothers_profile(learner):
    python = TagFactory(name="Python")
    other = UserFactory()
    course = CourseFactory(tags=[python])
    event_record(user=other, event_type="purchase", object_type="course", object_id=course.pk)
    interests_derive()
    assert tag_weights(learner) == {}
    assert tag_weights(other) == {"Python": 1.0}
