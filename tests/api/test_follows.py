"""Following instructors through the API."""

import pytest

from tests.api.conftest import client_for
from tests.factories import InstructorFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_follow_and_unfollow_are_idempotent_and_counted():
    instructor = InstructorFactory()
    api = client_for(UserFactory())
    url = f"/api/v1/instructors/{instructor.pk}/follow/"
    assert api.post(url).json() == {"following": True, "follower_count": 1}
    assert api.post(url).json() == {"following": True, "follower_count": 1}
    assert client_for().get(f"/api/v1/instructors/{instructor.pk}/").json()["follower_count"] == 1
    assert api.delete(url).json() == {"following": False, "follower_count": 0}
    assert api.delete(url).json() == {"following": False, "follower_count": 0}


def test_anonymous_unknown_and_self_follow_are_refused():
    instructor = InstructorFactory()
    assert client_for().post(f"/api/v1/instructors/{instructor.pk}/follow/").status_code == 401
    assert client_for(UserFactory()).post("/api/v1/instructors/999999/follow/").status_code == 404
    own = client_for(instructor.user).post(f"/api/v1/instructors/{instructor.pk}/follow/")
    assert own.status_code == 400 and "instructor" in own.json()["errors"]
