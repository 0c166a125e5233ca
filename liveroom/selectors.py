"""Reads of the live rooms: who may do what, a room's history, its counts, its shelf."""

from collections import Counter
from datetime import datetime

from django.conf import settings
from django.db.models import F, QuerySet

from config.cache import cache_get, cache_get_many
from courses.models import LiveSession
from courses.selectors import live_session_detail
from liveroom.models import Message, ModerationAction, Mute, RoomLikes


def room_moderates(*, user, live_session: LiveSession) -> bool:
    """Whether ``user`` runs this live's room: its own instructor, or a superuser. Other
    instructors (who are staff, for the admin) moderate only their own rooms."""
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or live_session.instructor.user_id == user.pk


def room_muted(*, user, live_session: LiveSession) -> bool:
    if not user.is_authenticated:
        return False
    return Mute.objects.filter(live_session=live_session, user=user).exists()


def room_messages(*, live_session: LiveSession) -> QuerySet[Message]:
    """The room's messages that are not deleted, with their authors, newest first."""
    return (
        Message.objects.filter(live_session=live_session, deleted_at__isnull=True)
        .select_related("author", "answered_by")
        .order_by("-id")
    )


def room_history(*, live_session: LiveSession, limit: int | None = None) -> list[Message]:
    """The last ``limit`` messages (LIVEROOM_HISTORY by default), oldest first: what a viewer
    sees on joining."""
    limit = settings.LIVEROOM_HISTORY if limit is None else limit
    return list(room_messages(live_session=live_session)[:limit])[::-1]


def room_pinned_message(*, live_session: LiveSession) -> Message | None:
    return room_messages(live_session=live_session).filter(is_pinned=True).first()


def room_messages_per_minute(
    *, live_session: LiveSession, since: datetime, until: datetime
) -> dict[int, int]:
    """How many messages the audience posted in the room from ``since`` to ``until`` (both
    included), per whole minute after ``since`` (minute 0 is the first minute).

    Chat and 弹幕 alike; not the messages a moderator removed (they were spam or abuse, not
    conversation), nor the room's moderators' own (its instructor, superusers): what learners
    said, as the room kept it."""
    posted = (
        Message.objects.filter(
            live_session=live_session,
            created_at__gte=since,
            created_at__lte=until,
            deleted_at__isnull=True,
        )
        .exclude(author_id=F("live_session__instructor__user_id"))
        .exclude(author__is_superuser=True)
        .values_list("created_at", flat=True)
    )
    return dict(
        Counter(int((at - since).total_seconds() // 60) for at in posted.iterator(chunk_size=2000))
    )


def rooms_with_removals_since(since: datetime | None) -> set[int]:
    """The live sessions a moderator removed a message from at or after ``since`` (every one
    that ever had a removal when ``since`` is None): their counts of messages changed."""
    removals = ModerationAction.objects.filter(action=ModerationAction.Action.DELETE)
    if since is not None:
        removals = removals.filter(created_at__gte=since)
    return set(removals.values_list("live_session_id", flat=True).distinct())


def viewers_key(live_session_id: int) -> str:
    return f"liveroom:viewers:{live_session_id}"


def likes_key(live_session_id: int) -> str:
    return f"liveroom:likes:{live_session_id}"


def room_like_count(*, live_session_id: int) -> int:
    """The room's likes: the cache's running count, else what the database holds."""
    counted = cache_get(likes_key(live_session_id))
    if counted is not None:
        return int(counted)
    row = RoomLikes.objects.filter(live_session_id=live_session_id).first()
    return row.count if row else 0


def room_viewer_count(*, live_session_id: int) -> int | None:
    """How many are in the room across every web process (a count in the cache); None when the
    cache is away (the caller counts its own connections then)."""
    counted = cache_get(viewers_key(live_session_id))
    return None if counted is None else max(0, int(counted))


def room_counts(*, live_session_id: int) -> tuple[int, int | None]:
    """The room's likes and viewers in one cache round trip (``room_like_count`` and
    ``room_viewer_count``): what each web process broadcasts once a second."""
    likes, viewers = likes_key(live_session_id), viewers_key(live_session_id)
    cached = cache_get_many([likes, viewers])
    if likes in cached:
        like_count = int(cached[likes])
    else:
        like_count = room_like_count(live_session_id=live_session_id)
    viewer_count = cached.get(viewers)
    return like_count, None if viewer_count is None else max(0, int(viewer_count))


def room_shelf(*, live_session_id: int) -> dict:
    """The shelf as the room shows it: the pinned product and every product on sale at the price
    in force now, flash windows included (the page switches a flash price on and off at them)."""
    detail = live_session_detail(live_session_id=live_session_id)
    items = [
        {
            "product_id": offer.item.product_id,
            "title": offer.item.product.title,
            "price": str(offer.price),
            "list_price": str(offer.item.product.price),
            "is_flash_price": offer.is_flash_price,
            "is_pinned": offer.item.is_pinned,
            "flash_price": None if offer.item.flash_price is None else str(offer.item.flash_price),
            "flash_starts_at": _iso(offer.item.flash_starts_at),
            "flash_ends_at": _iso(offer.item.flash_ends_at),
        }
        for offer in detail.shelf
    ]
    pinned = next((item for item in items if item["is_pinned"]), None)
    return {"pinned": pinned, "items": items}


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def message_data(message: Message) -> dict:
    """A message as every door shows it (WebSocket events, the REST API)."""
    author = message.author
    answered_by = message.answered_by
    return {
        "id": message.pk,
        "kind": message.kind,
        "text": message.text,
        "author": {"id": author.pk, "name": author.get_full_name() or author.username},
        "is_question": message.is_question,
        "answer": message.answer,
        "answered_by": (answered_by.get_full_name() or answered_by.username)
        if answered_by
        else None,
        "answered_at": _iso(message.answered_at),
        "is_pinned": message.is_pinned,
        "created_at": _iso(message.created_at),
    }


def liveroom_export_for(*, user) -> dict:
    """What the live rooms keep about a learner, for their data export (privacy): the messages
    they posted (deleted ones too, marked) and the rooms they are muted in."""
    messages = Message.objects.filter(author=user).order_by("id")
    return {
        "live_room_messages": [
            {
                "live_session_id": m.live_session_id,
                "kind": m.kind,
                "text": m.text,
                "is_question": m.is_question,
                "answer": m.answer,
                "posted_at": _iso(m.created_at),
                "deleted_by_moderator": m.deleted_at is not None,
            }
            for m in messages.iterator(chunk_size=2000)
        ],
        "live_room_mutes": [
            {"live_session_id": m.live_session_id, "muted_at": _iso(m.created_at)}
            for m in Mute.objects.filter(user=user).order_by("id")
        ],
    }
