"""A review written through the API shows on the course page; one written on the page is read
through the API. One service behind both."""

import pytest
from django.urls import reverse

from commerce.models import Enrollment
from tests.api.conftest import client_for
from tests.factories import CourseFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_review_posted_through_the_api_shows_on_the_course_page(client):
    course = CourseFactory()
    learner = UserFactory(username="apiwriter")
    Enrollment.objects.create(user=learner, course=course)
    posted = client_for(learner).post(
        f"/api/v1/courses/{course.pk}/reviews/", {"rating": 3, "text": "来自手机"}, format="json"
    )
    assert posted.status_code == 201
    html = client.get(reverse("web:course", args=[course.slug])).content.decode()
    assert "来自手机" in html and "apiwriter" in html and "3.0" in html


def test_review_written_on_the_page_is_read_through_the_api(client):
    course = CourseFactory()
    learner = UserFactory()
    Enrollment.objects.create(user=learner, course=course)
    client.force_login(learner)
    client.post(reverse("web:review", args=[course.slug]), {"rating": "5", "text": "网页写的"})
    listed = client_for().get(f"/api/v1/courses/{course.pk}/reviews/").json()["results"]
    assert [(r["rating"], r["text"]) for r in listed] == [(5, "网页写的")]
