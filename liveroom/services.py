"""Writes to the live rooms. The WebSocket consumer, the REST API, the instructor's room page
and the admin all call these; each validates, stores, logs what a moderator did, and once the
transaction commits broadcasts to the room (``liveroom.broadcast``) and tells the recommender
(``commerce.signals.learner_acted``) what a learner said.

Who may: anyone may watch; a signed-in learner who is not muted may post (a limited number of
messages in a window, ``LIVEROOM_RATE_*``); only the room's moderators (its instructor, or a
superuser: ``selectors.room_moderates``) answer, pin, delete and mute, in their own rooms only.
"""

import re
from functools import partial

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from commerce.signals import learner_acted
from config.cache import cache_add, cache_incr
from courses.models import LiveSession
from liveroom import selectors
from liveroom.broadcast import room_send
from liveroom.models import BlockedWord, Message, ModerationAction, Mute, RoomLikes

LIKES_PER_SEND = 20  # a client batches taps; more in one send are counted as this many
LIKE_COUNT_SECONDS = 12 * 60 * 60  # the running counts outlive any live
_SPACES = re.compile(r"\s+")


def _refused(field: str, message: str, code: str) -> ValidationError:
    """A refusal of ``field`` with a code the doors pass on (the WebSocket's ``code``)."""
    return ValidationError({field: ValidationError(message, code=code)})


def room_get(*, live_session_id: int) -> LiveSession:
    """A live whose room anyone may open: any visible live session (not cancelled); 404 else."""
    live = (
        LiveSession.objects.visible()
        .select_related("instructor")
        .filter(pk=live_session_id)
        .first()
    )
    if live is None:
        raise Http404(_("No such live session."))
    return live


def room_get_for_moderator(*, user, live_session_id: int) -> LiveSession:
    """A live whose room ``user`` runs; PermissionDenied for other rooms (404 for none)."""
    live = room_get(live_session_id=live_session_id)
    if not selectors.room_moderates(user=user, live_session=live):
        raise PermissionDenied(_("Only the live's instructor moderates its room."))
    return live


def _message_in_room(message_id: int, live_session_id: int | None) -> Message | None:
    """A message that is not deleted, locked, of the given room when one is given."""
    messages = Message.objects.select_for_update(of=("self",)).filter(
        pk=message_id, deleted_at__isnull=True
    )
    if live_session_id is not None:
        messages = messages.filter(live_session_id=live_session_id)
    return messages.select_related("live_session__instructor", "author", "answered_by").first()


def _message_for_moderator(*, user, message_id: int, live_session_id: int | None) -> Message:
    message = _message_in_room(message_id, live_session_id)
    if message is None:
        raise Http404(_("No such message."))
    if not selectors.room_moderates(user=user, live_session=message.live_session):
        raise PermissionDenied(_("Only the live's instructor moderates its room."))
    return message


def _log(*, live_session, actor, action, target_user=None, message=None) -> None:
    ModerationAction.objects.create(
        live_session=live_session,
        actor=actor,
        action=action,
        target_user=target_user,
        message=message,
    )


def _acted(*, user, event_type: str, live_session_id: int) -> None:
    transaction.on_commit(
        partial(
            learner_acted.send_robust,
            sender=Message,
            user=user,
            event_type=event_type,
            targets=[("live", live_session_id)],
        )
    )


def _clean_text(text: str, *, field: str = "text") -> str:
    text = _SPACES.sub(" ", text or "").strip()
    if not text:
        raise _refused(field, _("Write something first."), "empty")
    limit = settings.LIVEROOM_MESSAGE_MAX_LENGTH
    if len(text) > limit:
        raise _refused(field, _("At most %(limit)d characters.") % {"limit": limit}, "too_long")
    lowered = text.lower()
    for word in BlockedWord.objects.values_list("word", flat=True):
        if word and word in lowered:
            raise _refused(
                field, _("This message contains a word that is not allowed here."), "blocked_word"
            )
    return text


def _check_rate(user) -> None:
    """At most LIVEROOM_RATE_MESSAGES messages in LIVEROOM_RATE_SECONDS per learner; without
    the cache nobody is counted (posting carries on)."""
    counted = cache_incr(f"liveroom:rate:{user.pk}", 1, timeout=settings.LIVEROOM_RATE_SECONDS)
    if counted is not None and counted > settings.LIVEROOM_RATE_MESSAGES:
        raise _refused(
            "text", _("You are sending messages too fast: wait a few seconds."), "rate_limited"
        )


@transaction.atomic
def message_post(
    *,
    user,
    live_session: LiveSession,
    text: str,
    kind: str = Message.Kind.CHAT,
    is_question: bool = False,
) -> Message:
    """Post a message (chat or 弹幕, optionally a question) to the live's room."""
    if not user.is_authenticated:
        raise PermissionDenied(_("Sign in to take part in the chat."))
    if kind not in Message.Kind.values:
        raise _refused("kind", _("Chat or danmaku."), "invalid")
    moderates = selectors.room_moderates(user=user, live_session=live_session)
    if live_session.status in (LiveSession.Status.ENDED, LiveSession.Status.CANCELLED):
        raise _refused("text", _("This live has ended: its room is closed."), "closed")
    if not moderates and selectors.room_muted(user=user, live_session=live_session):
        raise PermissionDenied(_("You have been muted in this live."))
    text = _clean_text(text)
    if not moderates:
        _check_rate(user)
    message = Message.objects.create(
        live_session=live_session,
        author=user,
        kind=kind,
        text=text,
        is_question=bool(is_question) and not moderates,
    )
    room_send(live_session.pk, {"type": "message", "message": selectors.message_data(message)})
    if not moderates:
        _acted(
            user=user,
            event_type="question" if message.is_question else "comment",
            live_session_id=live_session.pk,
        )
    return message


@transaction.atomic
def message_mark_question(*, user, message_id: int, live_session_id: int | None = None) -> Message:
    """The author marks their own message as a question for the instructor."""
    message = _message_in_room(message_id, live_session_id)
    if message is None or not user.is_authenticated or message.author_id != user.pk:
        raise Http404(_("No such message of yours."))
    if not message.is_question:
        message.is_question = True
        message.save(update_fields=["is_question"])
        room_send(
            message.live_session_id,
            {"type": "message_updated", "message": selectors.message_data(message)},
        )
        _acted(user=user, event_type="question", live_session_id=message.live_session_id)
    return message


def _pin(message: Message) -> None:
    previous = list(
        Message.objects.filter(live_session_id=message.live_session_id, is_pinned=True)
        .exclude(pk=message.pk)
        .select_related("author", "answered_by")
    )
    for other in previous:
        other.is_pinned = False
        other.save(update_fields=["is_pinned"])
        room_send(
            other.live_session_id,
            {"type": "message_updated", "message": selectors.message_data(other)},
        )
    message.is_pinned = True


@transaction.atomic
def message_answer(
    *, user, message_id: int, answer: str, pin: bool = True, live_session_id: int | None = None
) -> Message:
    """A moderator answers a question (or any message, which becomes one), pinned by default so
    every viewer sees it over the chat; the answer stays with the replay."""
    message = _message_for_moderator(
        user=user, message_id=message_id, live_session_id=live_session_id
    )
    max_length = settings.LIVEROOM_MESSAGE_MAX_LENGTH
    answer = _SPACES.sub(" ", answer or "").strip()
    if not answer:
        raise _refused("answer", _("Write the answer first."), "empty")
    if len(answer) > max_length * 2:
        limit = max_length * 2
        raise _refused("answer", _("At most %(limit)d characters.") % {"limit": limit}, "too_long")
    message.is_question = True
    message.answer = answer
    message.answered_by = user
    message.answered_at = timezone.now()
    fields = ["is_question", "answer", "answered_by", "answered_at"]
    if pin:
        _pin(message)
        fields.append("is_pinned")
    message.save(update_fields=fields)
    _log(
        live_session=message.live_session,
        actor=user,
        action=ModerationAction.Action.ANSWER,
        target_user=message.author,
        message=message,
    )
    room_send(
        message.live_session_id,
        {"type": "message_updated", "message": selectors.message_data(message)},
    )
    if pin:
        room_send(
            message.live_session_id,
            {"type": "pinned_message", "message": selectors.message_data(message)},
        )
    return message


@transaction.atomic
def message_pin(*, user, message_id: int, live_session_id: int | None = None) -> Message:
    message = _message_for_moderator(
        user=user, message_id=message_id, live_session_id=live_session_id
    )
    if not message.is_pinned:
        _pin(message)
        message.save(update_fields=["is_pinned"])
        _log(
            live_session=message.live_session,
            actor=user,
            action=ModerationAction.Action.PIN,
            target_user=message.author,
            message=message,
        )
        room_send(
            message.live_session_id,
            {"type": "pinned_message", "message": selectors.message_data(message)},
        )
    return message


@transaction.atomic
def message_unpin(*, user, message_id: int, live_session_id: int | None = None) -> Message:
    message = _message_for_moderator(
        user=user, message_id=message_id, live_session_id=live_session_id
    )
    if message.is_pinned:
        message.is_pinned = False
        message.save(update_fields=["is_pinned"])
        _log(
            live_session=message.live_session,
            actor=user,
            action=ModerationAction.Action.UNPIN,
            target_user=message.author,
            message=message,
        )
        room_send(message.live_session_id, {"type": "pinned_message", "message": None})
    return message


@transaction.atomic
def message_delete(*, user, message_id: int, live_session_id: int | None = None) -> Message:
    """A moderator removes a message from the room (kept, marked deleted, for the record)."""
    message = _message_for_moderator(
        user=user, message_id=message_id, live_session_id=live_session_id
    )
    was_pinned = message.is_pinned
    message.deleted_at = timezone.now()
    message.deleted_by = user
    message.is_pinned = False
    message.save(update_fields=["deleted_at", "deleted_by", "is_pinned"])
    _log(
        live_session=message.live_session,
        actor=user,
        action=ModerationAction.Action.DELETE,
        target_user=message.author,
        message=message,
    )
    room_send(message.live_session_id, {"type": "message_deleted", "id": message.pk})
    if was_pinned:
        room_send(message.live_session_id, {"type": "pinned_message", "message": None})
    return message


def _learner(learner_id: int) -> User:
    learner = User.objects.filter(pk=learner_id).first()
    if learner is None:
        raise _refused("user_id", _("No such learner."), "invalid")
    return learner


@transaction.atomic
def room_mute(*, user, live_session: LiveSession, learner_id: int) -> Mute:
    """A moderator mutes a learner in their room: the learner can watch but no longer post."""
    if not selectors.room_moderates(user=user, live_session=live_session):
        raise PermissionDenied(_("Only the live's instructor moderates its room."))
    learner = _learner(learner_id)
    if selectors.room_moderates(user=learner, live_session=live_session):
        raise _refused("user_id", _("A moderator cannot be muted."), "invalid")
    try:
        with transaction.atomic():
            mute = Mute.objects.create(live_session=live_session, user=learner, muted_by=user)
    except IntegrityError:  # muted already (maybe just now, by another request)
        return Mute.objects.get(live_session=live_session, user=learner)
    _log(
        live_session=live_session,
        actor=user,
        action=ModerationAction.Action.MUTE,
        target_user=learner,
    )
    room_send(live_session.pk, {"type": "muted", "user_id": learner.pk})
    return mute


@transaction.atomic
def room_unmute(*, user, live_session: LiveSession, learner_id: int) -> None:
    if not selectors.room_moderates(user=user, live_session=live_session):
        raise PermissionDenied(_("Only the live's instructor moderates its room."))
    learner = _learner(learner_id)
    deleted, _rows = Mute.objects.filter(live_session=live_session, user=learner).delete()
    if deleted:
        _log(
            live_session=live_session,
            actor=user,
            action=ModerationAction.Action.UNMUTE,
            target_user=learner,
        )
        room_send(live_session.pk, {"type": "unmuted", "user_id": learner.pk})


def room_like(*, user, live_session: LiveSession, count: int = 1) -> int:
    """Count a signed-in viewer's likes (taps batched by the page, at most LIKES_PER_SEND at a
    time); returns how many were counted. The room's count is kept in the database and, for the
    once-a-second broadcast, in the cache. A learner's first like of a live is feedback."""
    if not user.is_authenticated:
        raise PermissionDenied(_("Sign in to like the live."))
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise _refused("count", _("A whole number of likes."), "invalid")
    count = min(count, LIKES_PER_SEND)
    with transaction.atomic():
        updated = RoomLikes.objects.filter(live_session=live_session).update(
            count=F("count") + count
        )
        if not updated:
            RoomLikes.objects.get_or_create(live_session=live_session)
            RoomLikes.objects.filter(live_session=live_session).update(count=F("count") + count)
    key = selectors.likes_key(live_session.pk)
    if cache_incr(key, count, timeout=None) is None:
        # Not counted in the cache yet (or the cache is away): start it from the database.
        total = RoomLikes.objects.get(live_session=live_session).count
        cache_add(key, total, LIKE_COUNT_SECONDS)
    if cache_add(f"liveroom:liked:{live_session.pk}:{user.pk}", 1, LIKE_COUNT_SECONDS):
        learner_acted.send_robust(
            sender=RoomLikes, user=user, event_type="like", targets=[("live", live_session.pk)]
        )
    return count


def room_viewer_joined(*, live_session_id: int) -> int | None:
    """Count a viewer in (every web process shares the count through the cache)."""
    return cache_incr(selectors.viewers_key(live_session_id), 1, timeout=LIKE_COUNT_SECONDS)


def room_viewer_left(*, live_session_id: int) -> int | None:
    return cache_incr(selectors.viewers_key(live_session_id), -1)
