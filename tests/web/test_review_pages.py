"""Reviews on the course page: the average and the list for everyone, the form for enrolled
learners (with the service's refusals on it), the reply form for the course's instructor."""

import pytest
from django.urls import reverse

from commerce.models import Enrollment
from courses.models import Course
from social.models import Review
from social.services import review_create, review_reply
from tests.factories import CourseFactory, InstructorFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def course():
    return CourseFactory(title="Python 入门")


def enrolled(course, username=None):
    user = UserFactory(**({"username": username} if username else {}))
    Enrollment.objects.create(user=user, course=course)
    return user


def page(client, course):
    response = client.get(reverse("web:course", args=[course.slug]))
    assert response.status_code == 200
    return response.content.decode()


def test_visitor_sees_the_average_and_reviews_but_no_form(client, course):
    review_create(user=enrolled(course, "amei"), course=course, rating=5, text="讲得很清楚")
    review_create(user=enrolled(course), course=course, rating=4, text="")
    html = page(client, course)
    assert "4.5" in html and "讲得很清楚" in html and "amei" in html
    assert 'data-testid="rating-summary"' in html
    assert 'action="/courses/' not in html or "review/" not in html
    assert "已报名这门课的学员可以评价" in html


def test_learner_not_enrolled_is_told_to_enroll(client, course):
    client.force_login(UserFactory())
    html = page(client, course)
    assert reverse("web:review", args=[course.slug]) not in html


def test_enrolled_learner_posts_a_review_from_the_page(client, course):
    learner = enrolled(course)
    client.force_login(learner)
    assert reverse("web:review", args=[course.slug]) in page(client, course)
    response = client.post(
        reverse("web:review", args=[course.slug]), {"rating": "4", "text": "值得"}, follow=True
    )
    assert response.redirect_chain[-1][0].endswith("#reviews")
    html = response.content.decode()
    assert "值得" in html
    assert Course.objects.get(pk=course.pk).rating_average == 4.0
    # the form now edits the review
    assert 'value="4"' in html and "checked" in html


def test_posting_again_edits_the_learners_review(client, course):
    learner = enrolled(course)
    client.force_login(learner)
    url = reverse("web:review", args=[course.slug])
    client.post(url, {"rating": "2", "text": "一般"})
    client.post(url, {"rating": "5", "text": "看完第二遍懂了"})
    review = Review.objects.get(user=learner)
    assert (review.rating, review.text) == (5, "看完第二遍懂了")
    assert Course.objects.get(pk=course.pk).rating_count == 1


def test_bad_rating_is_shown_on_the_form(client, course):
    client.force_login(enrolled(course))
    response = client.post(reverse("web:review", args=[course.slug]), {"rating": "9"})
    assert response.status_code == 400
    assert "field-invalid" in response.content.decode()
    assert not Review.objects.exists()


def test_learner_not_enrolled_posting_anyway_sees_why(client, course):
    client.force_login(UserFactory())
    response = client.post(reverse("web:review", args=[course.slug]), {"rating": "5"})
    assert response.status_code == 400
    assert "只有已报名这门课的学员才能评价" in response.content.decode()
    assert not Review.objects.exists()


def test_signed_out_post_goes_to_sign_in(client, course):
    response = client.post(reverse("web:review", args=[course.slug]), {"rating": "5"})
    assert response.status_code == 302 and "login" in response["Location"]


def test_instructor_replies_from_the_page_once(client, course):
    review = review_create(user=enrolled(course), course=course, rating=3, text="有点快")
    client.force_login(course.instructor.user)
    url = reverse("web:review_reply", args=[review.pk])
    assert url in page(client, course)
    response = client.post(url, {"reply": "下一版会放慢"}, follow=True)
    html = response.content.decode()
    assert "下一版会放慢" in html and url not in html
    again = client.post(url, {"reply": "再说"}, follow=True)
    assert "这条评价已经回复过了" in again.content.decode()
    assert Review.objects.get(pk=review.pk).reply == "下一版会放慢"


def test_empty_reply_and_strangers_are_refused(client, course):
    review = review_create(user=enrolled(course), course=course, rating=3, text="")
    url = reverse("web:review_reply", args=[review.pk])
    client.force_login(course.instructor.user)
    assert "请先写回复内容" in client.post(url, {"reply": ""}, follow=True).content.decode()
    client.force_login(InstructorFactory().user)
    refused = client.post(url, {"reply": "我来"}, follow=True).content.decode()
    assert "只有这门课的讲师可以回复评价" in refused
    assert Review.objects.get(pk=review.pk).reply == ""


def test_reply_shows_under_the_review(client, course):
    review = review_create(user=enrolled(course), course=course, rating=5, text="好")
    review_reply(user=course.instructor.user, review_id=review.pk, reply="谢谢你")
    html = page(client, course)
    assert "谢谢你" in html and "review-reply" in html


def test_course_cards_show_the_average(client, course):
    review_create(user=enrolled(course), course=course, rating=4, text="")
    html = client.get(reverse("web:browse")).content.decode()
    assert "card-rating" in html and "4.0" in html
