"""Likes, comments and shares in the short-video feed: forms that work without script, and JSON
for the page script; the counts and the comments show in the feed."""

import pytest
from django.urls import reverse

from courses.models import ShortVideo
from social.models import VideoComment
from social.services import comment_create, video_like
from tests.factories import ShortVideoFactory, UserFactory

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def video():
    return ShortVideoFactory(slug="tip", title="一分钟学切片")


def feed(client, video):
    response = client.get(reverse("web:videos"), {"v": video.slug})
    assert response.status_code == 200
    return response.content.decode()


def test_feed_shows_counts_and_comments_with_replies(client, video):
    top = comment_create(user=UserFactory(username="amei"), video=video, text="讲得好")
    comment_create(user=UserFactory(username="bo"), video=video, text="同感", parent_id=top.pk)
    video_like(user=UserFactory(), video=video)
    html = feed(client, video)
    assert "讲得好" in html and "同感" in html and "amei" in html
    assert 'data-testid="like"' in html and 'aria-pressed="false"' in html
    assert ">1</span>" in html and ">2</span>" in html  # one like, two comments
    assert "comment-input" not in html  # visitors are asked to sign in


def test_like_from_the_page_without_script_then_unlike(client, video):
    learner = UserFactory()
    client.force_login(learner)
    url = reverse("web:video_like", args=[video.pk])
    response = client.post(url, {"like": "1"})
    assert response.status_code == 302 and response["Location"].endswith("?v=tip#v-tip")
    assert 'aria-pressed="true"' in feed(client, video)
    assert client.post(url, {"like": "0"}, **JSON).json() == {"liked": False, "like_count": 0}
    assert client.post(url, {"like": "1"}, **JSON).json() == {"liked": True, "like_count": 1}
    assert ShortVideo.objects.get(pk=video.pk).like_count == 1


def test_signed_out_like_asks_to_sign_in(client, video):
    url = reverse("web:video_like", args=[video.pk])
    assert client.post(url, {"like": "1"}, **JSON).status_code == 401
    response = client.post(url, {"like": "1"})
    assert response.status_code == 302 and "login" in response["Location"]
    response = client.post(reverse("web:video_comment", args=[video.pk]), {"text": "hi"})
    assert "login" in response["Location"]


def test_share_gives_the_link(client, video):
    client.force_login(UserFactory())
    url = reverse("web:video_share", args=[video.pk])
    assert client.post(url, **JSON).json() == {
        "url": "http://testserver/videos/?v=tip",
        "share_count": 1,
    }
    followed = client.post(url, follow=True).content.decode()
    assert "http://testserver/videos/?v=tip" in followed


def test_comment_and_reply_from_the_page(client, video):
    client.force_login(UserFactory(username="lili"))
    url = reverse("web:video_comment", args=[video.pk])
    response = client.post(url, {"text": "第一"})
    assert response["Location"].endswith(f"#comments-{video.pk}")
    top = VideoComment.objects.get()
    client.post(url, {"text": "楼上说得对", "parent_id": str(top.pk)})
    html = feed(client, video)
    assert "第一" in html and "楼上说得对" in html
    assert VideoComment.objects.get(text="楼上说得对").parent == top


def test_bad_comment_is_reported(client, video):
    client.force_login(UserFactory())
    url = reverse("web:video_comment", args=[video.pk])
    empty = client.post(url, {"text": ""}, follow=True).content.decode()
    assert "message-error" in empty
    stray = client.post(url, {"text": "x", "parent_id": "999999"}, follow=True).content.decode()
    assert "message-error" in stray
    assert not VideoComment.objects.exists()


def test_author_removes_their_comment_from_the_page_strangers_cannot(client, video):
    author = UserFactory()
    comment = comment_create(user=author, video=video, text="写错了")
    url = reverse("web:comment_remove", args=[comment.pk])
    client.force_login(UserFactory())
    assert url not in feed(client, video)
    assert "message-error" in client.post(url, follow=True).content.decode()
    client.force_login(author)
    assert url in feed(client, video)
    client.post(url)
    assert VideoComment.objects.get(pk=comment.pk).is_hidden
    assert "写错了" not in feed(client, video)
