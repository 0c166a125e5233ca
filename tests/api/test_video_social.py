"""Likes, comments and shares of short videos through the API."""

import pytest

from courses.models import ShortVideo
from social.services import comment_create
from tests.api.conftest import client_for
from tests.factories import ShortVideoFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def video():
    return ShortVideoFactory(slug="tip")


def test_like_and_unlike_are_idempotent_and_counted(video):
    api = client_for(UserFactory())
    url = f"/api/v1/videos/{video.pk}/like/"
    assert api.post(url).json() == {"liked": True, "like_count": 1}
    assert api.post(url).json() == {"liked": True, "like_count": 1}
    assert client_for(UserFactory()).post(url).json()["like_count"] == 2
    assert api.delete(url).json() == {"liked": False, "like_count": 1}
    assert api.delete(url).json() == {"liked": False, "like_count": 1}
    listed = client_for().get(f"/api/v1/videos/{video.pk}/").json()
    assert (listed["like_count"], listed["comment_count"], listed["share_count"]) == (1, 0, 0)


def test_anonymous_cannot_like_or_comment(video):
    assert client_for().post(f"/api/v1/videos/{video.pk}/like/").status_code == 401
    response = client_for().post(
        f"/api/v1/videos/{video.pk}/comments/", {"text": "hi"}, format="json"
    )
    assert response.status_code == 401


def test_unknown_or_unpublished_video_is_a_404():
    hidden = ShortVideoFactory(is_published=False)
    api = client_for(UserFactory())
    assert api.post(f"/api/v1/videos/{hidden.pk}/like/").status_code == 404
    assert api.post(f"/api/v1/videos/{hidden.pk}/share/").status_code == 404
    assert api.get(f"/api/v1/videos/{hidden.pk}/comments/").status_code == 404
    assert (
        api.post("/api/v1/videos/999999/comments/", {"text": "x"}, format="json").status_code == 404
    )


def test_share_returns_the_link_and_counts_signed_in_learners_once(video):
    api = client_for(UserFactory())
    url = f"/api/v1/videos/{video.pk}/share/"
    first = api.post(url).json()
    assert first == {"url": "http://testserver/videos/?v=tip", "share_count": 1}
    assert api.post(url).json()["share_count"] == 1
    assert client_for().post(url).json()["share_count"] == 1


def test_comment_reply_and_reply_to_reply_thread_one_level(video):
    api = client_for(UserFactory(username="lili"))
    url = f"/api/v1/videos/{video.pk}/comments/"
    top = api.post(url, {"text": "好视频"}, format="json")
    assert top.status_code == 201
    top_id = top.json()["id"]
    reply = api.post(url, {"text": "是的", "parent": top_id}, format="json").json()
    again = api.post(url, {"text": "再回", "parent": reply["id"]}, format="json").json()
    assert reply["parent"] == top_id and again["parent"] == top_id
    listed = client_for().get(url).json()["results"]
    assert [(c["id"], c["author"], [r["text"] for r in c["replies"]]) for c in listed] == [
        (top_id, "lili", ["是的", "再回"])
    ]
    assert ShortVideo.objects.get(pk=video.pk).comment_count == 3


@pytest.mark.parametrize(
    "payload, field",
    [
        ({}, "text"),
        ({"text": ""}, "text"),
        ({"text": 5}, "text"),
        ({"text": "x", "parent": "1"}, "parent"),
        ({"text": "x", "parent": 999999}, "parent"),
    ],
)
def test_bad_comment_is_a_400_naming_the_field(video, payload, field):
    response = client_for(UserFactory()).post(
        f"/api/v1/videos/{video.pk}/comments/", payload, format="json"
    )
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_author_or_instructor_removes_a_comment_others_get_403(video):
    author = UserFactory()
    top = comment_create(user=author, video=video, text="顶")
    comment_create(user=UserFactory(), video=video, text="回复", parent_id=top.pk)
    url = f"/api/v1/comments/{top.pk}/"
    assert client_for(UserFactory()).delete(url).status_code == 403
    assert client_for(video.instructor.user).delete(url).status_code == 204
    listed = client_for().get(f"/api/v1/videos/{video.pk}/comments/").json()["results"]
    assert [(c["removed"], c["text"], c["author"], len(c["replies"])) for c in listed] == [
        (True, "", "", 1)
    ]
    assert client_for(author).delete("/api/v1/comments/999999/").status_code == 404
