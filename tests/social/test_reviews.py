"""Course reviews: only enrolled learners, once each, editable by their author, one reply by the
course's instructor; the course's count and average follow every write."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from commerce.models import Enrollment
from courses.models import Course
from privacy.services import account_delete, data_export
from recommendations.models import Event
from social.models import Review
from social.selectors import review_get, review_of, reviews_for_course
from social.services import review_create, review_delete, review_reply, review_update
from tests.factories import CourseFactory, InstructorFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def course():
    return CourseFactory()


def enrolled(course, **kwargs):
    learner = UserFactory(**kwargs)
    Enrollment.objects.create(user=learner, course=course)
    return learner


def ratings(course):
    course = Course.objects.get(pk=course.pk)
    return course.rating_count, course.rating_total, course.rating_average


def test_enrolled_learner_reviews_and_the_course_counts_it(
    course, django_capture_on_commit_callbacks
):
    learner = enrolled(course)
    with django_capture_on_commit_callbacks(execute=True):
        review = review_create(user=learner, course=course, rating=4, text="  清楚实用  ")
    assert review.text == "清楚实用"
    assert ratings(course) == (1, 4, 4.0)
    event = Event.objects.get(user=learner, event_type="rating")
    assert (event.object_type, event.object_id, event.value, event.client) == (
        "course",
        course.pk,
        4.0,
        "server",
    )
    assert Event.objects.credible().filter(pk=event.pk).exists()


def test_average_is_over_every_review(course):
    for rating in (5, 4, 2):
        review_create(user=enrolled(course), course=course, rating=rating, text="")
    assert ratings(course) == (3, 11, 3.7)
    assert CourseFactory().rating_average is None


def test_learner_not_enrolled_cannot_review(course):
    with pytest.raises(ValidationError) as refused:
        review_create(user=UserFactory(), course=course, rating=5, text="好")
    assert refused.value.error_dict["course"][0].code == "not_enrolled"
    assert ratings(course) == (0, 0, None)


def test_anonymous_visitor_cannot_review(course):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(ValidationError) as refused:
        review_create(user=AnonymousUser(), course=course, rating=5, text="好")
    assert refused.value.code == "sign_in"


def test_second_review_of_the_same_course_is_refused_with_a_clear_message(course):
    learner = enrolled(course)
    review_create(user=learner, course=course, rating=4, text="一")
    with pytest.raises(ValidationError) as refused:
        review_create(user=learner, course=course, rating=1, text="二")
    assert "edit your review" in refused.value.message_dict["course"][0]
    assert Review.objects.count() == 1
    assert ratings(course) == (1, 4, 4.0)


def test_database_refuses_a_duplicate_even_past_the_service(course):
    from django.db import IntegrityError

    learner = enrolled(course)
    Review.objects.create(user=learner, course=course, rating=3)
    with pytest.raises(IntegrityError):
        Review.objects.create(user=learner, course=course, rating=4)


def test_duplicate_that_slipped_past_validation_is_refused(course, monkeypatch):
    learner = enrolled(course)
    review_create(user=learner, course=course, rating=4, text="")
    monkeypatch.setattr(Review, "full_clean", lambda self: None)  # as a concurrent first write
    with pytest.raises(ValidationError) as refused:
        review_create(user=learner, course=course, rating=2, text="")
    assert refused.value.error_dict["course"][0].code == "duplicate_review"
    assert ratings(course) == (1, 4, 4.0)


@pytest.mark.parametrize("rating", [0, 6, "5", True, None, 4.5])
def test_rating_must_be_a_whole_number_from_1_to_5(course, rating):
    with pytest.raises(ValidationError) as refused:
        review_create(user=enrolled(course), course=course, rating=rating, text="")
    assert "rating" in refused.value.message_dict


def test_overlong_text_is_refused(course):
    with pytest.raises(ValidationError) as refused:
        review_create(user=enrolled(course), course=course, rating=3, text="长" * 2001)
    assert "text" in refused.value.message_dict


def test_author_edits_rating_and_text_and_the_average_follows(
    course, django_capture_on_commit_callbacks
):
    learner = enrolled(course)
    review = review_create(user=learner, course=course, rating=2, text="一般")
    review_create(user=enrolled(course), course=course, rating=4, text="")
    with django_capture_on_commit_callbacks(execute=True):
        edited = review_update(user=learner, review_id=review.pk, rating=5, text="后来懂了")
    assert (edited.rating, edited.text) == (5, "后来懂了")
    assert ratings(course) == (2, 9, 4.5)
    assert Event.objects.filter(user=learner, event_type="rating", value=5).exists()


def test_editing_only_the_text_keeps_the_average(course, django_capture_on_commit_callbacks):
    learner = enrolled(course)
    review = review_create(user=learner, course=course, rating=3, text="")
    with django_capture_on_commit_callbacks(execute=True):
        review_update(user=learner, review_id=review.pk, text="补充")
        review_update(user=learner, review_id=review.pk)  # nothing to change
    assert Review.objects.get(pk=review.pk).text == "补充"
    assert ratings(course) == (1, 3, 3.0)
    assert not Event.objects.filter(event_type="rating").exists()  # only on commit of create


def test_nobody_else_may_edit_a_review(course):
    review = review_create(user=enrolled(course), course=course, rating=3, text="")
    with pytest.raises(PermissionDenied):
        review_update(user=enrolled(course), review_id=review.pk, rating=1)
    with pytest.raises(PermissionDenied):
        review_update(user=course.instructor.user, review_id=review.pk, text="改")
    assert ratings(course) == (1, 3, 3.0)


def test_editing_a_missing_review_is_refused(course):
    with pytest.raises(ValidationError) as refused:
        review_update(user=UserFactory(), review_id=999999, rating=1)
    assert refused.value.code == "not_found"


def test_instructor_replies_once(course):
    review = review_create(user=enrolled(course), course=course, rating=3, text="")
    replied = review_reply(user=course.instructor.user, review_id=review.pk, reply=" 谢谢 ")
    assert replied.reply == "谢谢" and replied.replied_at is not None
    with pytest.raises(ValidationError) as refused:
        review_reply(user=course.instructor.user, review_id=review.pk, reply="再说一次")
    assert refused.value.error_dict["reply"][0].code == "replied_already"
    assert Review.objects.get(pk=review.pk).reply == "谢谢"


def test_empty_reply_is_refused(course):
    review = review_create(user=enrolled(course), course=course, rating=3, text="")
    with pytest.raises(ValidationError) as refused:
        review_reply(user=course.instructor.user, review_id=review.pk, reply="   ")
    assert "reply" in refused.value.message_dict


def test_another_instructor_or_a_learner_cannot_reply(course):
    learner = enrolled(course)
    review = review_create(user=learner, course=course, rating=3, text="")
    for someone in (InstructorFactory().user, learner):
        with pytest.raises(PermissionDenied):
            review_reply(user=someone, review_id=review.pk, reply="我来回答")


def test_staff_superuser_may_reply(course):
    review = review_create(user=enrolled(course), course=course, rating=3, text="")
    admin = UserFactory(is_superuser=True, is_staff=True)
    assert review_reply(user=admin, review_id=review.pk, reply="平台回复").reply == "平台回复"


def test_moderator_deleting_a_review_takes_its_rating_out(course):
    review = review_create(user=enrolled(course), course=course, rating=1, text="垃圾广告")
    review_create(user=enrolled(course), course=course, rating=5, text="")
    review_delete(review_id=review.pk)
    assert ratings(course) == (1, 5, 5.0)


def test_selectors_list_newest_first_with_authors_in_one_query(course):
    first = review_create(user=enrolled(course), course=course, rating=3, text="一")
    second = review_create(user=enrolled(course), course=course, rating=4, text="二")
    with CaptureQueriesContext(connection) as queries:
        listed = [(r.pk, r.user.username) for r in reviews_for_course(course_id=course.pk)]
    assert [pk for pk, _ in listed] == [second.pk, first.pk]
    assert len(queries) == 1
    assert review_of(user=first.user, course_id=course.pk) == first
    assert review_of(user=UserFactory(), course_id=course.pk) is None
    assert review_get(review_id=first.pk) == first
    from django.http import Http404

    with pytest.raises(Http404):
        review_get(review_id=999999)


def test_export_holds_the_learners_reviews(course):
    learner = enrolled(course)
    review = review_create(user=learner, course=course, rating=4, text="好课")
    review_reply(user=course.instructor.user, review_id=review.pk, reply="谢谢")
    exported = data_export(user=learner)["course_reviews"]
    assert exported == [
        {
            "course_id": course.pk,
            "course": course.title,
            "rating": 4,
            "text": "好课",
            "instructor_reply": "谢谢",
            "created_at": review.created_at.isoformat(),
            "updated_at": Review.objects.get(pk=review.pk).updated_at.isoformat(),
        }
    ]


def test_deleting_the_account_keeps_the_rating_without_author_or_words(course):
    learner = enrolled(course)
    review = review_create(user=learner, course=course, rating=2, text="我叫张三，电话…")
    account_delete(user=learner)
    kept = Review.objects.get(pk=review.pk)
    assert (kept.user_id, kept.text, kept.rating) == (None, "", 2)
    assert kept.anonymised_at is not None
    assert ratings(course) == (1, 2, 2.0)
    assert list(reviews_for_course(course_id=course.pk)) == []
    # a new account can review again: the constraint is per present learner
    review_create(user=enrolled(course), course=course, rating=5, text="")
    assert ratings(course) == (2, 7, 3.5)
