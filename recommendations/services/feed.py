"""The short-video feed, page by page, for the site's feed page and the apps' feed endpoint.

For a signed-in learner with personalisation on, the feed starts with the videos the model
picked for them, each with its reason, and goes on with every other published video, newest
first; for everyone else it is newest first from the start. A page's cursor says where the next
one starts, so pages follow each other with no video twice and none skipped:

- the picks are asked once, on the first page (one ``recommendations_for`` call of up to
  ``FEED_PICKS`` videos, which reads the learner's precomputed list): their ids and reasons are
  kept in the cache under a token for ``PICKS_SECONDS``, and the cursor names the token and how
  many picks were served. Later pages read that snapshot, so the order holds while the learner's
  events change what the recommender would pick now; the model is never asked per page. Should
  the snapshot be gone (the cache emptied, a day's pause), the picks are asked again under the
  same token;
- the newest-first part is a keyset on (``published_at``, ``id``) after the last video served,
  leaving out the picks (and a shared video shown first): a video published meanwhile is above
  the key and never shifts the pages.

With personalisation off, nothing about the learner is read: no picks, newest first (a cursor
made while it was on goes on with the newest-first part).
"""

from __future__ import annotations

import base64
import binascii
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode

from django.db.models import Q

from config.cache import cache_get, cache_set
from courses.models import ShortVideo
from courses.selectors import short_video_list_published
from recommendations.services.profiles import personalization_enabled_for
from recommendations.services.serving import Reason, recommendations_for

FEED_PAGE_SIZE = 20
FEED_PICKS = 50  # the most the recommender serves in one list
PICKS_SECONDS = 24 * 3600
SLOT = "feed"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class InvalidFeedCursor(ValueError):
    """A cursor this service did not make (or made for another feed)."""


@dataclass(frozen=True)
class FeedCursor:
    token: str = ""  # the learner's picks snapshot; "" without picks
    position: int = 0  # how many picks were served
    after: tuple[datetime, int] | None = None  # the last newest-first video served
    first_id: int | None = None  # a video shown first on the first page (a shared link)

    def encode(self) -> str:
        fields = {"p": self.position, "t": self.token, "f": self.first_id or ""}
        if self.after is not None:
            at, pk = self.after
            fields["a"] = f"{(at - EPOCH) // timedelta(microseconds=1)}_{pk}"
        query = urlencode({key: value for key, value in fields.items() if value != ""})
        return base64.urlsafe_b64encode(query.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, raw: str) -> FeedCursor:
        if not raw:
            return cls()
        try:
            if len(raw) > 200:
                raise ValueError(raw)
            padded = (raw + "=" * (-len(raw) % 4)).encode("ascii")
            text = base64.b64decode(padded, altchars=b"-_", validate=True).decode("ascii")
            fields = dict(parse_qsl(text, strict_parsing=True))
            if "p" not in fields or set(fields) - {"t", "p", "f", "a"}:
                raise ValueError(text)
            token = fields.get("t", "")
            if token and not (token.isascii() and token.isalnum() and len(token) <= 32):
                raise ValueError(token)
            after = None
            if "a" in fields:
                micros, pk = fields["a"].split("_")
                at = EPOCH + timedelta(microseconds=_positive(micros, zero=True))
                after = (at, _positive(pk))
            return cls(
                token=token,
                position=_positive(fields["p"], zero=True),
                after=after,
                first_id=_positive(fields["f"]) if "f" in fields else None,
            )
        except (ValueError, UnicodeDecodeError, binascii.Error, OverflowError):
            raise InvalidFeedCursor(raw) from None


def _positive(raw: str, *, zero: bool = False) -> int:
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 18) or (int(raw) == 0 and not zero):
        raise ValueError(raw)
    return int(raw)


@dataclass
class FeedPage:
    """One page of the feed: its videos (each with ``reason``, a ``Reason`` for a pick and None
    for the others), the cursor of the next page (None at the end), whether the learner's picks
    are in it, and the request id the recommender served the picks under (None without)."""

    videos: list[ShortVideo]
    next_cursor: str | None
    personalised: bool
    request_id: uuid.UUID | None = None


@dataclass
class _Picks:
    request_id: uuid.UUID
    rows: list[tuple[int, str, str]]  # (video id, reason kind, reason text) in the model's order

    @property
    def ids(self) -> list[int]:
        return [pk for pk, _, _ in self.rows]


def _picks_key(user, token: str) -> str:
    return f"feed:picks:{user.pk}:{token}"


def _picks_ask(user, token: str) -> _Picks:
    """The learner's picks as the recommender serves them now, kept under ``token``: none when
    it has nothing personal (trending is what everyone's newest-first feed already covers)."""
    found = recommendations_for(user=user, item_type="video", slot=SLOT, k=FEED_PICKS)
    rows = []
    if found.personalised and found.source != "trending":
        rows = [(r.object.pk, r.reason.kind, r.reason.text) for r in found.items]
    picks = _Picks(found.request_id, rows)
    cache_set(_picks_key(user, token), picks, PICKS_SECONDS)
    return picks


def video_feed_page(
    *, user, cursor: str = "", size: int = FEED_PAGE_SIZE, first_slug: str = ""
) -> FeedPage:
    """The feed page at ``cursor`` ("" for the first), of up to ``size`` videos; on the first
    page the published video ``first_slug`` (a shared link) comes first. Raises
    ``InvalidFeedCursor`` for a cursor it did not make. A handful of queries whatever the page,
    and for a learner with personalisation on one ``recommendations_for`` call on the first."""
    if size < 1:
        raise ValueError("size must be at least 1.")
    at = FeedCursor.decode(cursor)
    personalised = personalization_enabled_for(user)
    picks = None
    if personalised and not cursor:
        token = secrets.token_hex(8)
        picks = _picks_ask(user, token)
    elif personalised and at.token:
        token = at.token
        picks = cache_get(_picks_key(user, token)) or _picks_ask(user, token)
    if picks is not None and not picks.rows:
        picks = None
    videos = short_video_list_published()
    page: list[ShortVideo] = []
    first_id = at.first_id
    if first_slug and not cursor:
        page = list(videos.filter(slug=first_slug))
        first_id = page[0].pk if page else None
    for video in page:
        video.reason = None

    # The picks not served yet, in the model's order, as far as they are still published.
    position = at.position
    pick_ids = picks.ids if picks is not None else []
    if position < len(pick_ids) and len(page) < size:
        rows = picks.rows[position:]
        found = videos.in_bulk([pk for pk, _, _ in rows if pk != first_id])
        for pk, kind, text in rows:
            if len(page) == size:
                break
            position += 1
            if pk in found:
                found[pk].reason = Reason(kind, text)
                page.append(found[pk])

    # Then every other video, newest first after the last one served.
    after = at.after
    more = position < len(pick_ids)
    if not more:
        rest = videos.exclude(pk__in=[*pick_ids, *([first_id] if first_id else [])])
        if after is not None:
            at_, pk = after
            rest = rest.filter(Q(published_at__lt=at_) | Q(published_at=at_, pk__lt=pk))
        wanted = size - len(page)
        newest = list(rest[: wanted + 1])
        more = len(newest) > wanted
        for video in newest[:wanted]:
            video.reason = None
            page.append(video)
            after = (video.published_at, video.pk)
    following = FeedCursor(
        token=token if picks is not None else "",
        position=position if picks is not None else 0,
        after=after,
        first_id=first_id,
    )
    return FeedPage(
        videos=page,
        next_cursor=following.encode() if more else None,
        personalised=picks is not None,
        request_id=picks.request_id if picks is not None else None,
    )
