"""Enrollments, lesson progress and "continue learning"."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from commerce.models import Enrollment, LessonProgress
from commerce.selectors import continue_learning_for, enrollments_for
from commerce.services import (
    LESSON_COMPLETE_PERCENT,
    course_enroll_free,
    lesson_progress_record,
)
from courses.models import Course
from recommendations.models import Event
from tests.commerce.factories import EnrollmentFactory, LessonProgressFactory
from tests.factories import ChapterFactory, CourseFactory, LessonFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def learner():
    return UserFactory()


class TestFreeEnrollment:
    def test_a_free_course_enrolls_without_an_order_once(
        self, learner, django_capture_on_commit_callbacks
    ):
        course = CourseFactory(price=Decimal("0.00"))

        with django_capture_on_commit_callbacks(execute=True):
            first = course_enroll_free(user=learner, course=course)
            again = course_enroll_free(user=learner, course=course)

        assert first.pk == again.pk and first.order is None
        assert list(enrollments_for(user=learner)) == [first]
        enrolls = Event.objects.filter(user=learner, event_type="enroll")
        assert list(enrolls.values_list("object_type", "object_id")) == [("course", course.pk)]

    def test_a_paid_course_cannot_be_enrolled_for_free(self, learner):
        course = CourseFactory(title="付费课", price=Decimal("0.01"))

        with pytest.raises(ValidationError, match="“付费课” is not free"):
            course_enroll_free(user=learner, course=course)
        assert not Enrollment.objects.exists()

    def test_a_draft_course_cannot_be_enrolled(self, learner):
        course = CourseFactory(price=0, status=Course.Status.DRAFT, published_at=None)

        with pytest.raises(ValidationError, match="not open"):
            course_enroll_free(user=learner, course=course)


class TestLessonProgress:
    @pytest.fixture
    def lesson(self, learner):
        lesson = LessonFactory(duration_seconds=600)
        EnrollmentFactory(user=learner, course=lesson.course)
        return lesson

    def test_keeps_the_last_position_and_the_furthest_share(self, learner, lesson):
        lesson_progress_record(user=learner, lesson=lesson, position_seconds=300)
        progress = lesson_progress_record(user=learner, lesson=lesson, position_seconds=60)

        assert (progress.position_seconds, progress.percent_watched) == (60, 50)
        assert progress.completed_at is None
        assert LessonProgress.objects.count() == 1

    def test_completes_at_90_percent_and_rewatching_keeps_it_completed(self, learner, lesson):
        assert LESSON_COMPLETE_PERCENT == 90
        almost = lesson_progress_record(user=learner, lesson=lesson, position_seconds=539)
        assert (almost.percent_watched, almost.completed_at) == (89, None)

        done = lesson_progress_record(user=learner, lesson=lesson, position_seconds=540)
        assert done.completed_at is not None
        completed_at = done.completed_at

        again = lesson_progress_record(user=learner, lesson=lesson, position_seconds=10)
        assert (again.percent_watched, again.completed_at) == (90, completed_at)

    def test_the_lessons_own_duration_decides_whatever_the_player_reports(self, learner):
        lesson = LessonFactory(duration_seconds=912)
        EnrollmentFactory(user=learner, course=lesson.course)

        progress = lesson_progress_record(
            user=learner, lesson=lesson, position_seconds=1, duration_seconds=1
        )

        assert (progress.position_seconds, progress.percent_watched) == (1, 0)
        assert progress.completed_at is None

    def test_positions_past_the_end_count_as_the_end(self, learner, lesson):
        progress = lesson_progress_record(
            user=learner, lesson=lesson, position_seconds=900, duration_seconds=800
        )

        assert (progress.position_seconds, progress.percent_watched) == (600, 100)

    def test_the_players_duration_serves_while_the_lessons_is_unknown(self, learner):
        lesson = LessonFactory(duration_seconds=0)
        EnrollmentFactory(user=learner, course=lesson.course)

        progress = lesson_progress_record(
            user=learner, lesson=lesson, position_seconds=400, duration_seconds=800
        )

        assert (progress.position_seconds, progress.percent_watched) == (400, 50)

    def test_negative_positions_are_refused(self, learner, lesson):
        with pytest.raises(ValidationError):
            lesson_progress_record(user=learner, lesson=lesson, position_seconds=-1)

    def test_only_enrolled_learners_record_progress(self, lesson):
        with pytest.raises(ValidationError, match="Enroll in the course"):
            lesson_progress_record(user=UserFactory(), lesson=lesson, position_seconds=10)
        assert not LessonProgress.objects.exists()

    def test_anyone_signed_in_records_progress_on_a_free_preview(self):
        preview = LessonFactory(is_free_preview=True, duration_seconds=100)

        progress = lesson_progress_record(user=UserFactory(), lesson=preview, position_seconds=20)

        assert progress.percent_watched == 20


class TestContinueLearning:
    def test_most_recently_watched_first_with_last_lesson_and_progress(self, learner):
        watched_long_ago, watched_recently, never_watched = (
            CourseFactory(),
            CourseFactory(),
            CourseFactory(),
        )
        for course in (watched_long_ago, watched_recently, never_watched):
            EnrollmentFactory(user=learner, course=course)
        chapter = ChapterFactory(course=watched_recently)
        first, second, _third, _fourth = LessonFactory.create_batch(4, chapter=chapter)
        old_lesson = LessonFactory(chapter__course=watched_long_ago)
        now = timezone.now()
        LessonProgressFactory(user=learner, lesson=first, completed_at=now, percent_watched=100)
        LessonProgressFactory(user=learner, lesson=second, percent_watched=30)
        LessonProgressFactory(user=learner, lesson=old_lesson, percent_watched=10)
        LessonProgress.objects.filter(lesson=old_lesson).update(updated_at=now - timedelta(days=3))
        LessonProgress.objects.filter(lesson=first).update(updated_at=now - timedelta(days=1))
        # Enrolled most recently of all, but never watched: after the courses being watched.
        Enrollment.objects.filter(course__in=[watched_long_ago, watched_recently]).update(
            created_at=now - timedelta(days=10)
        )
        Enrollment.objects.filter(course=never_watched).update(created_at=now - timedelta(days=5))
        LessonProgressFactory(
            user=UserFactory(), lesson=LessonFactory(chapter__course=never_watched)
        )

        entries = continue_learning_for(user=learner, limit=10)

        assert [e.course for e in entries] == [watched_recently, watched_long_ago, never_watched]
        recent = entries[0]
        assert recent.last_lesson == second
        assert (recent.lessons_completed, recent.lessons_total, recent.percent_complete) == (
            1,
            4,
            25,
        )
        assert entries[2].last_lesson is None and entries[2].percent_complete == 0

    def test_the_limit_keeps_the_most_recent(self, learner):
        courses = CourseFactory.create_batch(3)
        for course in courses:
            EnrollmentFactory(user=learner, course=course)

        assert [e.course for e in continue_learning_for(user=learner, limit=2)] == [
            courses[2],
            courses[1],
        ]

    @pytest.mark.parametrize("courses", [1, 6])
    def test_takes_two_queries_whatever_the_number_of_courses(
        self, learner, courses, django_assert_num_queries
    ):
        for _ in range(courses):
            lesson = LessonFactory()
            EnrollmentFactory(user=learner, course=lesson.course)
            LessonProgressFactory(user=learner, lesson=lesson)

        with django_assert_num_queries(2):
            entries = continue_learning_for(user=learner, limit=10)
            assert all(e.last_lesson.title and e.course.instructor.display_name for e in entries)
        assert len(entries) == courses
