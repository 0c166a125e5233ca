"""Course reviews through the API: anyone reads them; enrolled learners write one, edit it;
the course's instructor replies once. Errors are problems naming the field."""

import pytest

from commerce.models import Enrollment
from courses.models import Course
from tests.api.conftest import client_for
from tests.factories import CourseFactory, InstructorFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def course():
    return CourseFactory()


@pytest.fixture
def learner(course):
    user = UserFactory()
    Enrollment.objects.create(user=user, course=course)
    return user


def reviews_url(course):
    return f"/api/v1/courses/{course.pk}/reviews/"


def test_enrolled_learner_posts_a_review_and_anyone_reads_it(course, learner):
    created = client_for(learner).post(
        reviews_url(course), {"rating": 5, "text": "讲得透"}, format="json"
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["rating"], body["text"], body["author"], body["mine"]) == (
        5,
        "讲得透",
        learner.username,
        True,
    )
    listed = client_for().get(reviews_url(course)).json()
    assert [(r["id"], r["mine"]) for r in listed["results"]] == [(body["id"], False)]
    detail = client_for().get(f"/api/v1/courses/{course.pk}/").json()
    assert (detail["rating_average"], detail["rating_count"]) == (5.0, 1)


def test_course_list_shows_the_average(course, learner):
    client_for(learner).post(reviews_url(course), {"rating": 3}, format="json")
    listed = client_for().get("/api/v1/courses/").json()["results"]
    assert [(c["rating_average"], c["rating_count"]) for c in listed] == [(3.0, 1)]


def test_anonymous_cannot_post(course):
    response = client_for().post(reviews_url(course), {"rating": 5}, format="json")
    assert response.status_code == 401


def test_learner_not_enrolled_gets_a_400_on_course(course):
    response = client_for(UserFactory()).post(reviews_url(course), {"rating": 5}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]["course"]
    assert not course.reviews.exists()


def test_second_review_is_a_400_naming_course(course, learner):
    api = client_for(learner)
    api.post(reviews_url(course), {"rating": 5}, format="json")
    response = api.post(reviews_url(course), {"rating": 1}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]["course"] == ["你已经评价过这门课，请修改原来的评价。"]
    assert Course.objects.get(pk=course.pk).rating_count == 1


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"rating": 6}, "rating"),
        ({"rating": "5"}, "rating"),
        ({}, "rating"),
        ({"rating": 4, "text": 3}, "text"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(course, learner, payload, field):
    response = client_for(learner).post(reviews_url(course), payload, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_unpublished_or_unknown_course_is_a_404(learner):
    draft = CourseFactory(status=Course.Status.DRAFT, published_at=None)
    assert client_for().get(reviews_url(draft)).status_code == 404
    assert (
        client_for(learner).post(reviews_url(draft), {"rating": 4}, format="json").status_code
        == 404
    )
    assert client_for().get("/api/v1/courses/999999/reviews/").status_code == 404


def test_author_patches_and_puts_their_review(course, learner):
    api = client_for(learner)
    review_id = api.post(reviews_url(course), {"rating": 2, "text": "一般"}, format="json").json()[
        "id"
    ]
    patched = api.patch(f"/api/v1/reviews/{review_id}/", {"rating": 4}, format="json")
    assert patched.status_code == 200
    assert (patched.json()["rating"], patched.json()["text"]) == (4, "一般")
    put = api.put(f"/api/v1/reviews/{review_id}/", {"rating": 5, "text": "真好"}, format="json")
    assert (put.json()["rating"], put.json()["text"]) == (5, "真好")
    assert api.get(f"/api/v1/reviews/{review_id}/").json()["rating"] == 5
    assert Course.objects.get(pk=course.pk).rating_average == 5.0


def test_someone_else_cannot_edit_a_review(course, learner):
    review_id = (
        client_for(learner).post(reviews_url(course), {"rating": 2}, format="json").json()["id"]
    )
    response = client_for(UserFactory()).patch(
        f"/api/v1/reviews/{review_id}/", {"rating": 5}, format="json"
    )
    assert response.status_code == 403
    assert (
        client_for(UserFactory()).patch("/api/v1/reviews/999999/", {}, format="json").status_code
        == 404
    )


def test_instructor_replies_once_and_others_may_not(course, learner):
    review_id = (
        client_for(learner).post(reviews_url(course), {"rating": 4}, format="json").json()["id"]
    )
    url = f"/api/v1/reviews/{review_id}/reply/"
    assert (
        client_for(InstructorFactory().user)
        .post(url, {"reply": "我也来"}, format="json")
        .status_code
        == 403
    )
    assert client_for(learner).post(url, {"reply": "自问自答"}, format="json").status_code == 403
    instructor = client_for(course.instructor.user)
    replied = instructor.post(url, {"reply": "谢谢支持"}, format="json")
    assert replied.status_code == 201 and replied.json()["reply"] == "谢谢支持"
    again = instructor.post(url, {"reply": "再谢"}, format="json")
    assert again.status_code == 400 and "reply" in again.json()["errors"]
    assert instructor.post(url, {}, format="json").status_code == 400
    assert (
        client_for(course.instructor.user)
        .post("/api/v1/reviews/999999/reply/", {"reply": "x"}, format="json")
        .status_code
        == 404
    )
