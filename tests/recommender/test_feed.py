"""The short-video feed page by page: the learner's picks first (with reasons), then every other
video newest first; each video once, none skipped, whatever is published between pages."""

from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.utils import timezone

from courses.models import ShortVideo
from recommendations.services import feed as feed_service
from recommendations.services.events import event_record
from recommendations.services.feed import (
    FeedCursor,
    InvalidFeedCursor,
    video_feed_page,
)
from recommendations.services.profiles import interests_declare, personalization_set
from tests.factories import ShortVideoFactory, TagFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def catalogue():
    """Nine published videos, three of them tagged Python, two sharing a publication time (the
    key goes on by id), one unpublished and one scheduled for tomorrow."""
    now = timezone.now()
    python = TagFactory(name="Python")
    videos = [
        ShortVideoFactory(
            title=f"v{i}",
            published_at=now - timedelta(hours=i if i != 5 else 4),
            tags=[python] if i in (2, 5, 7) else [],
        )
        for i in range(9)
    ]
    ShortVideoFactory(title="hidden", is_published=False)
    ShortVideoFactory(title="tomorrow", published_at=now + timedelta(days=1))
    return python, videos


def newest_first():
    return list(ShortVideo.objects.published().order_by("-published_at", "-id"))


def walk(user, *, size, first_slug="", between=None):
    """Every page of the feed from the first: (pages of videos, pages)."""
    pages, cursor = [], ""
    while True:
        page = video_feed_page(user=user, cursor=cursor, size=size, first_slug=first_slug)
        pages.append(page)
        if between is not None:
            between(len(pages))
        if page.next_cursor is None:
            return [[v for v in p.videos] for p in pages], pages
        cursor = page.next_cursor
        assert len(pages) < 50


def flat(pages):
    return [video for page in pages for video in page]


def test_an_anonymous_visitor_pages_through_every_video_newest_first(catalogue):
    pages, raw = walk(AnonymousUser(), size=4)
    assert [len(p) for p in pages] == [4, 4, 1]
    assert flat(pages) == newest_first()  # each once, none skipped, ties by id
    assert all(video.reason is None for video in flat(pages))
    assert not any(page.personalised or page.request_id for page in raw)


def test_a_video_published_between_pages_shifts_nothing(catalogue):
    before = newest_first()

    def publish(n):
        ShortVideoFactory(title=f"new after page {n}")

    pages, _ = walk(AnonymousUser(), size=3, between=publish)
    assert flat(pages) == before  # the new ones are above the key: next visit's first page
    assert video_feed_page(user=AnonymousUser(), size=1).videos[0].title.startswith("new after")


def test_a_learner_gets_their_picks_first_with_reasons_across_pages_then_the_rest(catalogue):
    python, _ = catalogue
    learner = UserFactory()
    interests_declare(user=learner, tags=[python])
    pages, raw = walk(learner, size=2)
    served = flat(pages)
    picks = [video for video in served if video.reason is not None]
    assert {v.title for v in picks} == {"v2", "v5", "v7"}
    assert served[:3] == picks  # the picks first, across the first two pages
    assert all("Python" in v.reason.text and v.reason.kind == "tag" for v in picks)
    rest = [v for v in newest_first() if v not in picks]
    assert served[3:] == rest  # then every other video, newest first
    assert len(served) == len(set(served)) == len(newest_first())
    assert all(page.personalised for page in raw)
    assert len({page.request_id for page in raw}) == 1 and raw[0].request_id is not None


def test_the_picks_are_asked_once_and_hold_while_the_learners_events_change(catalogue):
    python, videos = catalogue
    learner = UserFactory()
    interests_declare(user=learner, tags=[python])
    calls = []
    real = feed_service.recommendations_for

    def counted(**kwargs):
        calls.append(kwargs)
        return real(**kwargs)

    def act(n):  # the learner watches and likes: the recommender's own list changes
        event_record(
            user=learner, event_type="like", object_type="video", object_id=videos[n % 9].pk
        )

    with mock.patch.object(feed_service, "recommendations_for", counted):
        pages, _ = walk(learner, size=1, between=act)
    assert len(calls) == 1 and calls[0]["k"] == feed_service.FEED_PICKS > 20
    served = flat(pages)
    assert [v.title for v in served[:3]] == [v.title for v in served if v.reason]
    assert len(served) == len(set(served)) == len(newest_first())


def test_a_later_page_costs_a_few_queries_and_no_recommender(
    catalogue, django_assert_max_num_queries
):
    python, _ = catalogue
    learner = UserFactory()
    interests_declare(user=learner, tags=[python])
    first = video_feed_page(user=learner, size=2)
    with (
        mock.patch.object(feed_service, "recommendations_for", side_effect=AssertionError),
        django_assert_max_num_queries(7),  # the switch, then picks and newest with products, tags
    ):
        second = video_feed_page(user=learner, cursor=first.next_cursor, size=2)
    assert [bool(v.reason) for v in second.videos] == [True, False]


def test_with_personalisation_off_the_feed_is_newest_first_and_reads_no_picks(catalogue):
    python, _ = catalogue
    learner = UserFactory()
    interests_declare(user=learner, tags=[python])
    personalization_set(user=learner, enabled=False)
    with mock.patch.object(feed_service, "recommendations_for", side_effect=AssertionError):
        pages, raw = walk(learner, size=4)
    assert flat(pages) == newest_first()
    assert not any(page.personalised for page in raw)
    assert all(video.reason is None for video in flat(pages))


def test_a_learner_without_anything_personal_gets_newest_first(catalogue):
    pages, raw = walk(UserFactory(), size=5)  # no model, no interests: trending only
    assert flat(pages) == newest_first() and not raw[0].personalised


def test_a_shared_video_comes_first_and_never_again(catalogue):
    python, videos = catalogue
    learner = UserFactory()
    interests_declare(user=learner, tags=[python])
    for user in (AnonymousUser(), learner):
        pages, _ = walk(user, size=3, first_slug=videos[5].slug)
        served = flat(pages)
        assert served[0] == videos[5]
        assert len(served) == len(set(served)) == len(newest_first())


def test_a_pick_unpublished_between_pages_is_left_out_and_nothing_else(catalogue):
    python, videos = catalogue
    learner = UserFactory()
    interests_declare(user=learner, tags=[python])
    first = video_feed_page(user=learner, size=1)
    withdrawn = next(v for v in (videos[2], videos[5], videos[7]) if v != first.videos[0])
    ShortVideo.objects.filter(pk=withdrawn.pk).update(is_published=False)
    cursor, served = first.next_cursor, list(first.videos)
    while cursor:
        page = video_feed_page(user=learner, cursor=cursor, size=2)
        served += page.videos
        cursor = page.next_cursor
    assert sorted(v.pk for v in served) == sorted(v.pk for v in newest_first())
    assert len(served) == len(set(served)) and withdrawn not in served


def test_when_the_picks_snapshot_is_gone_they_are_asked_again(catalogue):
    python, _ = catalogue
    learner = UserFactory()
    interests_declare(user=learner, tags=[python])
    first = video_feed_page(user=learner, size=1)
    cache.clear()
    second = video_feed_page(user=learner, cursor=first.next_cursor, size=1)
    assert second.personalised and second.videos[0].reason is not None
    assert second.videos[0] != first.videos[0]


def test_someone_elses_cursor_reads_none_of_their_picks(catalogue):
    python, _ = catalogue
    learner, other = UserFactory(), UserFactory()
    interests_declare(user=learner, tags=[python])
    cursor = video_feed_page(user=learner, size=1).next_cursor
    page = video_feed_page(user=AnonymousUser(), cursor=cursor, size=20)
    assert not page.personalised and all(video.reason is None for video in page.videos)
    page = video_feed_page(user=other, cursor=cursor, size=20)  # asks for the other's own picks
    assert not page.personalised


@pytest.mark.parametrize(
    "cursor", ["x", "cD0tMQ", "dD0hIQ", "cD0xJmE9MTI", "cD0xJno9MQ", "a" * 300, "cD0w\x00"]
)
def test_a_cursor_it_did_not_make_is_refused(cursor):
    with pytest.raises(InvalidFeedCursor):
        FeedCursor.decode(cursor)


def test_a_cursor_round_trips_to_the_microsecond():
    at = timezone.now().replace(microsecond=123456)
    cursor = FeedCursor(token="ab12", position=7, after=(at, 99), first_id=3)
    assert FeedCursor.decode(cursor.encode()) == cursor
