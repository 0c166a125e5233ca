"""``GET /api/v1/videos/feed/``: the site's short-video feed for the apps, page by page."""

import pytest

from recommendations.services.profiles import interests_declare
from social.services import video_like
from tests.api.conftest import client_for
from tests.factories import (
    ShortVideoFactory,
    TagFactory,
    UserFactory,
    short_videos_a_minute_apart,
)

pytestmark = pytest.mark.django_db
FEED = "/api/v1/videos/feed/"


@pytest.fixture
def videos():
    python = TagFactory(name="Python")
    return python, short_videos_a_minute_apart(5, title="v", tag=python, tagged=(2, 4))


def walk(client, url):
    pages = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        pages.append(response.json())
        url = pages[-1]["next"]
    return pages


def test_anyone_pages_through_the_feed_newest_first(anon, videos):
    _, made = videos
    pages = walk(anon, f"{FEED}?page_size=2")
    assert [[v["title"] for v in page["results"]] for page in pages] == [
        ["v0", "v1"],
        ["v2", "v3"],
        ["v4"],
    ]
    assert all(not page["personalised"] and page["request_id"] is None for page in pages)
    first = pages[0]["results"][0]
    assert first["reason"] is None and first["instructor"]["id"] == made[0].instructor_id
    assert pages[0]["next"].startswith("http://testserver/api/v1/videos/feed/?")
    assert "page_size=2" in pages[0]["next"]


def test_a_learner_gets_their_picks_first_with_reasons_and_the_request_id(videos):
    python, _ = videos
    learner = UserFactory()
    interests_declare(user=learner, tags=[python])
    pages = walk(client_for(learner), f"{FEED}?page_size=1")
    served = [video for page in pages for video in page["results"]]
    assert [v["title"] for v in served] == ["v2", "v4", "v0", "v1", "v3"]
    assert [v["reason"]["kind"] if v["reason"] else None for v in served] == [
        "tag",
        "tag",
        None,
        None,
        None,
    ]
    assert "Python" in served[0]["reason"]["text"]
    assert all(page["personalised"] for page in pages)
    assert len({page["request_id"] for page in pages}) == 1


def test_a_video_published_meanwhile_does_not_shift_the_pages(anon, videos):
    first = anon.get(FEED, {"page_size": 2}).json()
    ShortVideoFactory(title="new")
    rest = walk(anon, first["next"])
    titles = [v["title"] for v in first["results"]] + [
        v["title"] for page in rest for v in page["results"]
    ]
    assert titles == ["v0", "v1", "v2", "v3", "v4"]


def test_a_bad_cursor_is_a_404_and_a_bad_page_size_a_400(anon, videos):
    response = anon.get(FEED, {"cursor": "nonsense"})
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    response = anon.get(FEED, {"page_size": 0})
    assert response.status_code == 400 and "page_size" in response.json()["errors"]


def test_each_video_says_whether_the_signed_in_learner_liked_it(anon, videos):
    _, made = videos
    learner, other = UserFactory(), UserFactory()
    video_like(user=learner, video=made[1])
    video_like(user=other, video=made[3])
    served = [
        v for page in walk(client_for(learner), f"{FEED}?page_size=2") for v in page["results"]
    ]
    assert {v["title"]: v["liked"] for v in served} == {
        "v0": False,
        "v1": True,
        "v2": False,
        "v3": False,  # another learner's like
        "v4": False,
    }
    anonymous = [v for page in walk(anon, FEED) for v in page["results"]]
    assert not any(v["liked"] for v in anonymous)


def test_the_feed_is_in_the_schema(anon):
    schema = anon.get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/v1/videos/feed/"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"cursor", "page_size"}
    page = schema["components"]["schemas"]["VideoFeedPage"]["properties"]
    assert {"next", "personalised", "request_id", "results"} <= set(page)
    video = schema["components"]["schemas"]["FeedVideo"]
    assert video["properties"]["liked"]["type"] == "boolean" and "liked" in video["required"]
