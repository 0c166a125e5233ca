"""Sending to everyone in a live room, through Channels' layer (Redis pub/sub, or in memory).

A room is one group (``room_group``); each process with viewers of that live's room joins it
once and writes what arrives to its viewers (``liveroom.consumers._Room``). The services
call ``room_send`` once their transaction commits, whichever door they were called from (a
WebSocket, the REST API, the instructor's page, the admin), so every viewer of every process
receives it. A layer that fails (Redis away) is logged and never undoes what was stored: the
message is in the database and in every viewer's history on their next join.
"""

import asyncio
import json
import logging
import os
from functools import partial

from asgiref.sync import SyncToAsync, async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from config import http_threads

logger = logging.getLogger(__name__)

EVENT_HANDLER = "room.event"  # the layer wants a type; the process's room reads "text"


def room_group(live_session_id: int) -> str:
    return f"liveroom.{live_session_id}"


def _server_loop() -> asyncio.AbstractEventLoop | None:
    """The ASGI server's event loop when this thread is one of its workers (a consumer's
    ``database_sync_to_async`` call, or a view on the web process's threads); None elsewhere
    (a WSGI server's request, a task, a command)."""
    local = SyncToAsync.threadlocal
    if getattr(local, "main_event_loop_pid", None) == os.getpid():
        loop = getattr(local, "main_event_loop", None)
        if loop is not None and loop.is_running():
            return loop
    return http_threads.server_loop()


def _logged(live_session_id: int, future) -> None:
    if not future.cancelled() and future.exception() is not None:
        logger.warning(
            "Could not broadcast to live room %s",
            live_session_id,
            exc_info=future.exception(),
        )


def room_send_now(live_session_id: int, event: dict) -> None:
    layer = get_channel_layer()
    if layer is None:  # pragma: no cover - the settings always name a layer
        return
    # Encoded once here, not once per viewer: each process only writes the text out.
    message = {"type": EVENT_HANDLER, "text": json.dumps(event, ensure_ascii=False)}
    group = room_group(live_session_id)
    loop = _server_loop()
    if loop is not None:
        # Handed to the server's loop without waiting: a worker thread that waited would be
        # held while the loop writes a busy room's frames, and the posts behind it with it.
        future = asyncio.run_coroutine_threadsafe(layer.group_send(group, message), loop)
        future.add_done_callback(partial(_logged, live_session_id))
        return
    try:
        async_to_sync(layer.group_send)(group, message)
    except Exception:  # the layer's errors vary by backend; none may break a post
        logger.warning("Could not broadcast to live room %s", live_session_id, exc_info=True)


def room_send(live_session_id: int, event: dict) -> None:
    """Send ``event`` (a JSON-ready dict with a ``type``) to everyone in the room once the
    current transaction commits (at once outside one)."""
    transaction.on_commit(partial(room_send_now, live_session_id, event))
