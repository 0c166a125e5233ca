"""Following from the instructor and course pages; a follower's home page puts the instructors
they follow first in 即将开播, at once after they follow (their cached home page is dropped)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from courses.models import Instructor
from social.services import instructor_follow
from tests.api.conftest import client_for
from tests.factories import CourseFactory, InstructorFactory, LiveSessionFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def instructor():
    return InstructorFactory(display_name="王老师", slug="wang")


def test_follow_from_the_instructor_page_and_unfollow(client, instructor):
    client.force_login(UserFactory())
    page = client.get(reverse("web:instructor", args=["wang"])).content.decode()
    assert 'data-testid="follow"' in page and 'aria-pressed="false"' in page
    url = reverse("web:follow", args=["wang"])
    response = client.post(url, {"follow": "1", "next": "/instructors/wang/"})
    assert response["Location"] == "/instructors/wang/"
    page = client.get("/instructors/wang/").content.decode()
    assert 'aria-pressed="true"' in page
    assert Instructor.objects.get(pk=instructor.pk).follower_count == 1
    client.post(url, {"follow": "0"})
    assert Instructor.objects.get(pk=instructor.pk).follower_count == 0


def test_course_page_shows_followers_and_the_button(client, instructor):
    course = CourseFactory(instructor=instructor)
    instructor_follow(user=UserFactory(), instructor=instructor)
    page = client.get(reverse("web:course", args=[course.slug])).content.decode()
    assert 'data-testid="follower-count"' in page and ">1 " in page


def test_signed_out_follow_asks_to_sign_in_and_self_follow_is_refused(client, instructor):
    url = reverse("web:follow", args=["wang"])
    response = client.post(url, {"follow": "1"})
    assert response.status_code == 302 and "login" in response["Location"]
    client.force_login(instructor.user)
    page = client.get("/instructors/wang/").content.decode()
    assert 'data-testid="follow"' not in page
    refused = client.post(url, {"follow": "1"}, follow=True).content.decode()
    assert "message-error" in refused


def test_home_puts_followed_instructors_upcoming_lives_first_at_once(client, instructor):
    learner = UserFactory()
    LiveSessionFactory(title="别人的早场", scheduled_start=timezone.now() + timedelta(hours=1))
    LiveSessionFactory(
        instructor=instructor,
        title="王老师的晚场",
        scheduled_start=timezone.now() + timedelta(days=1),
    )
    client.force_login(learner)
    before = client.get("/").content.decode()
    assert before.index("别人的早场") < before.index("王老师的晚场")
    # followed through the API: the cached home page is not served again
    client_for(learner).post(f"/api/v1/instructors/{instructor.pk}/follow/")
    after = client.get("/").content.decode()
    assert after.index("王老师的晚场") < after.index("别人的早场")
    assert "tag-following" in after
    # everyone else keeps everyone's order
    client.force_login(UserFactory())
    other = client.get("/").content.decode()
    assert other.index("别人的早场") < other.index("王老师的晚场")
