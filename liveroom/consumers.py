"""The live room over WebSocket (``/ws/lives/<id>/``): a thin door to ``liveroom.services``.

On joining, a viewer (signed in or not) gets ``hello``: the room's recent history, the pinned
message, the shelf, the counts and what they may do. Then everything said and done in the room
arrives as events (``docs/live-room.md`` lists their shapes), whichever door it came through:
the services broadcast through Channels' layer once they commit.

Likes and viewers change far more often than anyone can read: each web process keeps one ticker
per room it has viewers in, which reads the room's counts (shared by every process through the
cache) once every ``LIVEROOM_LIKE_INTERVAL_SECONDS`` and sends them to its own viewers when they
changed, so counting costs the layer nothing.
"""

import asyncio
import contextlib
import json
import logging

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import gettext as _

from liveroom import selectors, services
from liveroom.broadcast import room_group
from liveroom.models import Message

logger = logging.getLogger(__name__)


def in_thread(function):
    """``function`` run in a worker thread of the pool (the ORM is synchronous): not all on one
    thread, so a crowd joining at once is served by several connections to the database."""
    return database_sync_to_async(function, thread_sensitive=False)


def _frame(events: list[str]) -> str:
    """One event as it is; several, when the room is busier than its sockets are fast, as one
    array in the order they came."""
    return events[0] if len(events) == 1 else "[" + ",".join(events) + "]"


class _Viewer:
    """One viewer's socket as the room writes to it: what the room said that has not gone out
    yet, and (once its hello is sent) the writer that sends it."""

    __slots__ = ("consumer", "pending", "wake", "writer")

    def __init__(self, consumer):
        self.consumer = consumer
        self.pending: list[str] = []
        self.wake = asyncio.Event()
        self.writer: asyncio.Task | None = None

    def post(self, text: str) -> bool:
        """Queue ``text``; False when this viewer has fallen too far behind to catch up."""
        self.pending.append(text)
        self.wake.set()
        return len(self.pending) <= MAX_PENDING

    async def write(self) -> None:
        while True:
            await self.wake.wait()
            self.wake.clear()
            events, self.pending = self.pending, []
            if not events:
                continue
            try:
                await self.consumer.send(text_data=_frame(events))
            except Exception:  # the socket closed meanwhile; its disconnect follows
                return


MAX_PENDING = 500  # events waiting for one viewer's socket before the room lets it go


class _Room:
    """This process's viewers of one live: one subscription to the room's group for all of them,
    a writer per viewer, and the ticker that sends them the counts.

    A message said in the room crosses the channel layer once per process, however many viewers
    the process holds, and is queued to each viewer's writer: not to every viewer's own channel
    to be dispatched by each consumer in turn. A writer sends what has gathered for its socket
    as one frame (an array of events when there are several), so a slow socket gets bigger
    frames and holds up nobody else, and a quiet room sends each event at once. A viewer so far
    behind that ``MAX_PENDING`` events wait for it is disconnected (the page joins again and
    gets the history).

    A viewer still joining (its history being read, its hello not yet sent) has no writer yet:
    what arrives meanwhile waits and is sent after the hello, so nothing said while it joins is
    lost (the page ignores a message it already has from the history).
    """

    def __init__(self, live_session_id: int, layer):
        self.live_session_id = live_session_id
        self.layer = layer
        self.loop = asyncio.get_running_loop()
        self.viewers: dict[LiveRoomConsumer, _Viewer] = {}
        self.subscribed = self.loop.create_future()
        self.listener = self.loop.create_task(self._listen())
        self.ticker: asyncio.Task | None = None
        self.sent: tuple[int, int] | None = None

    async def join(self, consumer) -> None:
        """Hold what the room says for ``consumer`` from now on, once subscribed."""
        self.viewers[consumer] = _Viewer(consumer)
        await asyncio.shield(self.subscribed)

    async def ready(self, consumer) -> None:
        """``consumer`` has had its hello: its writer sends what waited, then all as it comes."""
        viewer = self.viewers.get(consumer)
        if viewer is not None and viewer.writer is None:
            viewer.writer = self.loop.create_task(viewer.write())
        if self.ticker is None or self.ticker.done():
            self.sent = None
            self.ticker = self.loop.create_task(self._tick())

    def leave(self, consumer) -> bool:
        """Forget ``consumer``; True when the room has nobody left here (and stops)."""
        viewer = self.viewers.pop(consumer, None)
        if viewer is not None and viewer.writer is not None:
            viewer.writer.cancel()
        if self.viewers:
            return False
        for task in (self.listener, self.ticker):
            if task is not None:
                task.cancel()
        return True

    def _post(self, text: str) -> None:
        for viewer in list(self.viewers.values()):
            if not viewer.post(text):
                logger.info("Live room %s: a viewer fell behind", self.live_session_id)
                self.leave(viewer.consumer)  # stops its writer; the page joins again
                self.loop.create_task(viewer.consumer.close(code=4008))

    async def _listen(self) -> None:
        group = room_group(self.live_session_id)
        channel = None
        try:
            channel = await self.layer.new_channel("liveroom.")
            await self.layer.group_add(group, channel)
            self.subscribed.set_result(channel)
            while True:
                self._post((await self.layer.receive(channel))["text"])
        except asyncio.CancelledError:
            raise
        except Exception as error:  # the layer failed: nobody here hears the room until rejoining
            logger.warning("Live room %s: layer unavailable", self.live_session_id, exc_info=True)
            if not self.subscribed.done():
                self.subscribed.set_exception(error)
        finally:
            if channel is not None:  # a layer that is away took its subscription with it
                with contextlib.suppress(Exception):
                    await self.layer.group_discard(group, channel)

    async def _tick(self) -> None:
        while self.viewers:
            await asyncio.sleep(settings.LIVEROOM_LIKE_INTERVAL_SECONDS)
            try:
                likes, viewers = await in_thread(selectors.room_counts)(
                    live_session_id=self.live_session_id
                )
            except Exception:  # a database hiccup: try again next tick
                logger.warning("Live room %s: counts unavailable", self.live_session_id)
                continue
            viewers = len(self.viewers) if viewers is None else viewers
            sent, self.sent = self.sent, (likes, viewers)
            if sent is None or sent[0] != likes:
                self._post(json.dumps({"type": "likes", "count": likes}))
            if sent is None or sent[1] != viewers:
                self._post(json.dumps({"type": "viewers", "count": viewers}))


_rooms: dict[int, _Room] = {}


def _room(live_session_id: int, layer) -> _Room:
    """This process's room of the live, made on its first viewer (afresh for another event loop
    or layer, as tests make)."""
    room = _rooms.get(live_session_id)
    if (
        room is None
        or room.loop is not asyncio.get_running_loop()
        or room.layer is not layer
        or room.listener.done()  # emptied, or its layer failed: subscribe afresh
    ):
        room = _rooms[live_session_id] = _Room(live_session_id, layer)
    return room


def _text(content: dict, name: str) -> str:
    value = content.get(name, "")
    if not isinstance(value, str):
        raise ValidationError({name: _("A string.")}, code="invalid")
    return value


def _id(content: dict, name: str = "id") -> int:
    value = content.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationError({name: _("The id of a message.")}, code="invalid")
    return value


def _validation_error(action: str, error: ValidationError) -> dict:
    """A refused action as the viewer gets it: the first reason's code and every field's
    messages (a message of no field under "")."""
    if hasattr(error, "error_dict"):
        errors = error.message_dict
        found = [e for field in error.error_dict.values() for e in field]
    else:
        errors = {"": error.messages}
        found = error.error_list
    code = next((e.code for e in found if e.code), "invalid")
    return {"type": "error", "action": action, "code": code, "errors": errors}


class LiveRoomConsumer(AsyncJsonWebsocketConsumer):
    live = None

    async def connect(self):
        live_session_id = self.scope["url_route"]["kwargs"]["live_id"]
        room = _room(live_session_id, self.channel_layer)
        try:
            await room.join(self)  # from here on nothing said in the room is missed
            hello = await in_thread(self._join)(live_session_id)
        except Http404:
            self._leave(room)
            await self.close(code=4404)
            return
        except BaseException:
            self._leave(room)
            raise
        await self.accept()
        await self.send_json(hello)
        await room.ready(self)

    def _leave(self, room: _Room) -> None:
        if room.leave(self) and _rooms.get(room.live_session_id) is room:
            del _rooms[room.live_session_id]

    def _join(self, live_session_id: int) -> dict:
        live = services.room_get(live_session_id=live_session_id)
        user = self.scope["user"]
        viewers = services.room_viewer_joined(live_session_id=live.pk)
        self.live = live
        history = selectors.room_history(live_session=live)
        pinned = selectors.room_pinned_message(live_session=live)
        moderates = selectors.room_moderates(user=user, live_session=live)
        return {
            "type": "hello",
            "live_id": live.pk,
            "status": live.status,
            "history": [selectors.message_data(m) for m in history],
            "pinned_message": selectors.message_data(pinned) if pinned else None,
            "shelf": selectors.room_shelf(live_session_id=live.pk),
            "likes": selectors.room_like_count(live_session_id=live.pk),
            "viewers": viewers,
            "you": {
                "user_id": user.pk if user.is_authenticated else None,
                "signed_in": user.is_authenticated,
                "moderates": moderates,
                "muted": selectors.room_muted(user=user, live_session=live),
            },
        }

    async def disconnect(self, code):
        if self.live is None:
            return
        room = _rooms.get(self.live.pk)
        if room is not None:
            self._leave(room)
        await in_thread(services.room_viewer_left)(live_session_id=self.live.pk)

    async def receive_json(self, content, **kwargs):
        action = content.get("type") if isinstance(content, dict) else None
        handler = getattr(self, f"do_{action}", None) if isinstance(action, str) else None
        if handler is None:
            await self.send_json(
                {"type": "error", "action": action, "code": "unknown", "errors": {}}
            )
            return
        try:
            await in_thread(handler)(self.scope["user"], content)
        except ValidationError as error:
            await self.send_json(_validation_error(action, error))
        except PermissionDenied as error:
            await self.send_json(
                {
                    "type": "error",
                    "action": action,
                    "code": "forbidden",
                    "errors": {"": [str(error)]},
                }
            )
        except Http404 as error:
            await self.send_json(
                {
                    "type": "error",
                    "action": action,
                    "code": "not_found",
                    "errors": {"": [str(error)]},
                }
            )

    # What a viewer may send: each calls one service (run in a thread: the ORM is synchronous).

    def do_message(self, user, content):
        kind = content.get("kind", Message.Kind.CHAT)
        is_question = content.get("is_question", False)
        if not isinstance(kind, str):
            raise ValidationError({"kind": _("Chat or danmaku.")}, code="invalid")
        if not isinstance(is_question, bool):
            raise ValidationError({"is_question": _("true or false")}, code="invalid")
        services.message_post(
            user=user,
            live_session=self.live,
            text=_text(content, "text"),
            kind=kind,
            is_question=is_question,
        )

    def do_question(self, user, content):
        services.message_mark_question(
            user=user, message_id=_id(content), live_session_id=self.live.pk
        )

    def do_answer(self, user, content):
        pin = content.get("pin", True)
        if not isinstance(pin, bool):
            raise ValidationError({"pin": _("true or false")}, code="invalid")
        services.message_answer(
            user=user,
            message_id=_id(content),
            answer=_text(content, "answer"),
            pin=pin,
            live_session_id=self.live.pk,
        )

    def do_pin(self, user, content):
        services.message_pin(user=user, message_id=_id(content), live_session_id=self.live.pk)

    def do_unpin(self, user, content):
        services.message_unpin(user=user, message_id=_id(content), live_session_id=self.live.pk)

    def do_delete(self, user, content):
        services.message_delete(user=user, message_id=_id(content), live_session_id=self.live.pk)

    def do_mute(self, user, content):
        services.room_mute(user=user, live_session=self.live, learner_id=_id(content, "user_id"))

    def do_unmute(self, user, content):
        services.room_unmute(user=user, live_session=self.live, learner_id=_id(content, "user_id"))

    def do_like(self, user, content):
        count = content.get("count", 1)
        services.room_like(user=user, live_session=self.live, count=count)
