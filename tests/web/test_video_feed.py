"""The short-video feed page pages on: a link to the next page (which static/js/feed.js follows
as the learner scrolls), the learner's picks with their reasons across pages, then the rest."""

import html
import re

import pytest
from django.urls import reverse

from recommendations.services.profiles import interests_declare
from tests.api.conftest import client_for
from tests.factories import (
    TagFactory,
    UserFactory,
    short_videos_a_minute_apart,
)

pytestmark = pytest.mark.django_db
FEED = reverse("web:videos")


@pytest.fixture
def small_pages(monkeypatch):
    monkeypatch.setattr("web.views.catalog.FEED_PAGE_SIZE", 3)


@pytest.fixture
def videos():
    python = TagFactory(name="Python")
    return python, short_videos_a_minute_apart(8, title="视频", tag=python, tagged=(3, 5, 6, 7))


def next_link(page: str) -> str:
    found = re.search(r'href="(\?cursor=[^"]+)"[^>]*data-feed-more', page)
    return html.unescape(found.group(1)) if found else ""


def walk(client, first=FEED):
    """The feed's pages as a visitor without JavaScript follows its "more" links."""
    pages, url = [], first
    while url:
        response = client.get(url if url.startswith("/") else FEED + url)
        assert response.status_code == 200
        pages.append(response)
        url = next_link(response.content.decode())
    return pages


def test_the_more_link_pages_through_every_video_newest_first(client, small_pages, videos):
    _, made = videos
    pages = walk(client)
    served = [video for page in pages for video in page.context["videos"]]
    assert served == made  # newest first, each once
    assert [len(page.context["videos"]) for page in pages] == [3, 3, 2]
    body = pages[0].content.decode()
    assert 'rel="next"' in body and "js/feed.js" in body and "<script>" not in body
    assert "data-feed-more" not in pages[-1].content.decode()
    assert 'class="feed-end"' in pages[-1].content.decode()


def test_a_learner_sees_their_picks_with_reasons_on_the_following_pages_too(
    client, small_pages, videos
):
    python, made = videos
    learner = UserFactory()
    interests_declare(user=learner, tags=[python])
    client.force_login(learner)
    pages = walk(client)
    served = [video for page in pages for video in page.context["videos"]]
    assert [v.title for v in served[:4]] == ["视频3", "视频5", "视频6", "视频7"]
    second = pages[1].content.decode()
    assert second.count('class="reason"') == 1 and "Python" in second
    assert second.count("data-request-id=") == 1
    assert sorted(v.pk for v in served) == sorted(v.pk for v in made)


def test_a_shared_link_opens_on_its_video_and_the_feed_goes_on_without_it(
    client, small_pages, videos
):
    _, made = videos
    pages = walk(client, f"{FEED}?v={made[4].slug}")
    served = [video for page in pages for video in page.context["videos"]]
    assert served[0] == made[4] and len(served) == len(set(served)) == len(made)


def test_a_cursor_the_site_did_not_make_is_a_404(client, videos):
    assert client.get(FEED, {"cursor": "nonsense"}).status_code == 404


def test_the_apps_go_on_from_where_the_page_stopped(client, small_pages, videos):
    """The learner declares an interest in the app, opens the feed on the site, and the app goes
    on from the page's cursor: one feed through both doors, each video once."""
    python, made = videos
    learner = UserFactory()
    app = client_for(learner)
    assert app.post("/api/v1/me/interests/", {"tag_ids": [python.pk]}).status_code == 200
    client.force_login(learner)
    first = client.get(FEED)
    assert first.context["videos"][0].reason.kind == "tag"
    cursor = next_link(first.content.decode()).removeprefix("?cursor=")
    answer = app.get("/api/v1/videos/feed/", {"cursor": cursor, "page_size": 100}).json()
    assert answer["next"] is None and answer["personalised"]
    assert answer["request_id"] == str(first.context["request_id"])
    titles = [v.title for v in first.context["videos"]] + [v["title"] for v in answer["results"]]
    assert titles[:4] == ["视频3", "视频5", "视频6", "视频7"]
    assert sorted(titles) == sorted(v.title for v in made)
    assert answer["results"][0]["reason"]["kind"] == "tag"
    assert answer["results"][-1]["reason"] is None
