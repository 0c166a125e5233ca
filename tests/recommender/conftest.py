"""A small world with a clear structure: two topics, learners who each like one of them."""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone

from recommendations.models import Event
from recommendations.services.events import event_record
from tests.factories import (
    CourseFactory,
    InstructorFactory,
    ShortVideoFactory,
    TagFactory,
    UserFactory,
)


@dataclass
class World:
    python_tag: object
    cooking_tag: object
    python_courses: list
    cooking_courses: list
    python_fans: list
    cooking_fans: list


def artefacts_in(settings, folder) -> dict:
    """``STORAGES`` with the model artefacts in ``folder``."""
    artefacts = {**settings.STORAGES["artefacts"], "OPTIONS": {"location": folder}}
    return {**settings.STORAGES, "artefacts": artefacts}


@pytest.fixture
def fast_training(settings, tmp_path):
    # Few factors for a world of two topics: more would memorise each learner's clicks.
    settings.RECOMMENDER_ALS_PARAMS = {
        "factors": 4,
        "regularization": 0.1,
        "alpha": 10.0,
        "iterations": 15,
    }
    settings.RECOMMENDER_HOLDOUT_DAYS = 1
    settings.RECOMMENDER_TUNE_FIRST_MODEL = False
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VAR_DIR = tmp_path / "var"
    settings.STORAGES = artefacts_in(settings, tmp_path / "artefacts")
    settings.CELERY_TASK_ALWAYS_EAGER = True
    # The Celery app reads the settings once, whenever it is first configured: set it as well.
    from config.celery_app import app
    from recommendations.training.artefacts import model_cache

    eager_before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    model_cache.clear()
    yield settings
    model_cache.clear()
    app.conf.task_always_eager = eager_before


@pytest.fixture
def world(db):
    python_tag, cooking_tag = TagFactory(name="Python"), TagFactory(name="烹饪")
    instructors = [InstructorFactory() for _ in range(6)]
    python_courses = [
        CourseFactory(title=f"Python 课程 {i}", tags=[python_tag], instructor=instructors[i % 3])
        for i in range(8)
    ]
    cooking_courses = [
        CourseFactory(title=f"烹饪课程 {i}", tags=[cooking_tag], instructor=instructors[3 + i % 3])
        for i in range(8)
    ]
    ShortVideoFactory(tags=[python_tag], instructor=instructors[0])
    python_fans = [UserFactory() for _ in range(12)]
    cooking_fans = [UserFactory() for _ in range(12)]
    for fans, courses in ((python_fans, python_courses), (cooking_fans, cooking_courses)):
        for n, fan in enumerate(fans):
            # Each fan clicks 4 of the 8 courses of their topic, a different window each.
            for j in range(4):
                course = courses[(n + j) % len(courses)]
                event_record(
                    user=fan, event_type="click", object_type="course", object_id=course.pk
                )
    # The world's history is three days old: recent events form the training holdout.
    Event.objects.update(server_ts=timezone.now() - timedelta(days=3))
    return World(
        python_tag, cooking_tag, python_courses, cooking_courses, python_fans, cooking_fans
    )
