"""Under real concurrency (PostgreSQL, a connection per thread) likes, shares and reviews are
counted exactly once."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from commerce.models import Enrollment
from courses.models import Course, ShortVideo
from social.models import Review, VideoLike
from social.services import review_create, video_like, video_share, video_unlike
from tests.factories import CourseFactory, ShortVideoFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def run_together(count, work):
    barrier = threading.Barrier(count)

    def task(i):
        try:
            barrier.wait()
            return work(i)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(task, range(count)))


def test_simultaneous_likes_by_one_learner_count_once(postgres):
    video, learner = ShortVideoFactory(), UserFactory()
    run_together(8, lambda i: video_like(user=learner, video=video))
    assert ShortVideo.objects.get(pk=video.pk).like_count == 1
    assert VideoLike.objects.count() == 1


def test_simultaneous_likes_by_many_learners_lose_none(postgres):
    video = ShortVideoFactory()
    learners = UserFactory.create_batch(10)
    run_together(10, lambda i: video_like(user=learners[i], video=video))
    assert ShortVideo.objects.get(pk=video.pk).like_count == 10


def test_simultaneous_unlikes_take_one_like_back(postgres):
    video, learner = ShortVideoFactory(), UserFactory()
    video_like(user=learner, video=video)
    video_like(user=UserFactory(), video=video)
    run_together(6, lambda i: video_unlike(user=learner, video=video))
    assert ShortVideo.objects.get(pk=video.pk).like_count == 1


def test_simultaneous_shares_by_one_learner_count_once(postgres):
    video, learner = ShortVideoFactory(), UserFactory()
    run_together(6, lambda i: video_share(user=learner, video=video))
    assert ShortVideo.objects.get(pk=video.pk).share_count == 1


def test_simultaneous_first_reviews_by_one_learner_store_one(postgres):
    course, learner = CourseFactory(), UserFactory()
    Enrollment.objects.create(user=learner, course=course)

    def review(i):
        try:
            review_create(user=learner, course=course, rating=1 + i % 5, text="")
        except ValidationError as refusal:
            return refusal.error_dict["course"][0].code
        return "stored"

    outcomes = run_together(6, review)
    assert outcomes.count("stored") == 1
    assert set(outcomes) == {"stored", "duplicate_review"}
    course = Course.objects.get(pk=course.pk)
    assert course.rating_count == 1
    assert course.rating_total == Review.objects.get().rating


def test_simultaneous_follows_by_one_learner_count_once(postgres):
    from courses.models import Instructor
    from social.services import instructor_follow
    from tests.factories import InstructorFactory

    instructor, learner = InstructorFactory(), UserFactory()
    run_together(6, lambda i: instructor_follow(user=learner, instructor=instructor))
    assert Instructor.objects.get(pk=instructor.pk).follower_count == 1


def test_concurrent_follower_reminder_runs_send_each_once(postgres, mailoutbox):
    from datetime import timedelta

    from django.utils import timezone

    from social.services import follower_reminders_send_due, instructor_follow
    from tests.factories import InstructorFactory, LiveSessionFactory

    instructor = InstructorFactory()
    for learner in UserFactory.create_batch(10):
        instructor_follow(user=learner, instructor=instructor)
    start = timezone.now() + timedelta(minutes=5)
    LiveSessionFactory(
        instructor=instructor, scheduled_start=start, scheduled_end=start + timedelta(hours=1)
    )
    sent = run_together(6, lambda i: follower_reminders_send_due())
    assert sum(sent) == 10
    assert len(mailoutbox) == 10
