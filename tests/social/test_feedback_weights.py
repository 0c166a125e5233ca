"""What the recommender learns from social acts: the server's events, with their weights, in the
training matrix (a comment on the video, a review's rating on the course, a follow spread over
the instructor's courses); a client cannot claim a like, a comment or a follow."""

import uuid
from datetime import timedelta

import numpy as np
import pytest
from django.conf import settings
from django.utils import timezone

from commerce.models import Enrollment
from recommendations.models import Event
from recommendations.services.events import event_ingest_batch
from recommendations.training.dataset import training_data_build
from social.services import comment_create, instructor_follow, review_create, video_like
from tests.factories import CourseFactory, InstructorFactory, ShortVideoFactory, UserFactory

pytestmark = pytest.mark.django_db


def weight(data, user, item_type, object_id):
    row = data.user_rows()[user.pk]
    col = data.items.columns(item_type, np.array([object_id]))[0]
    return float(data.matrix[row, col])


def test_social_acts_enter_the_matrix_with_their_weights(django_capture_on_commit_callbacks):
    learner = UserFactory()
    instructor = InstructorFactory()
    first, second = CourseFactory(instructor=instructor), CourseFactory(instructor=instructor)
    video = ShortVideoFactory()
    rated = CourseFactory()
    Enrollment.objects.create(user=learner, course=rated)
    with django_capture_on_commit_callbacks(execute=True):
        comment_create(user=learner, video=video, text="好")
        video_like(user=learner, video=video)
        instructor_follow(user=learner, instructor=instructor)
        review_create(user=learner, course=rated, rating=5, text="")
    data = training_data_build(now=timezone.now() + timedelta(seconds=1))
    weights = settings.RECOMMENDER_EVENT_WEIGHTS
    assert weight(data, learner, "video", video.pk) == pytest.approx(
        weights["comment"] + weights["like"], rel=1e-3
    )
    for course in (first, second):  # a follow is spread over the instructor's courses
        assert weight(data, learner, "course", course.pk) == pytest.approx(
            weights["follow"] / 2, rel=1e-3
        )
    assert weight(data, learner, "course", rated.pk) == pytest.approx(
        weights["rating"] * (5 - 3) + 0.0, rel=1e-3
    )


def test_follow_of_an_instructor_without_courses_adds_nothing(django_capture_on_commit_callbacks):
    learner = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        instructor_follow(user=learner, instructor=InstructorFactory())
    data = training_data_build(now=timezone.now() + timedelta(seconds=1))
    assert data.matrix.nnz == 0


@pytest.mark.parametrize("kind, object_type", [("like", "video"), ("comment", "video")])
def test_clients_cannot_claim_likes_or_comments(kind, object_type):
    video = ShortVideoFactory()
    result = event_ingest_batch(
        events=[
            {
                "client_event_id": str(uuid.uuid4()),
                "type": kind,
                "object_type": object_type,
                "object_id": video.pk,
                "client_ts": timezone.now().isoformat(),
            }
        ],
        user=UserFactory(),
        visitor_id="",
        client="web",
    )
    assert [r.field for r in result.rejected] == ["type"]
    assert not Event.objects.exists()
