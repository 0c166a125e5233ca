"""Sending to everyone in a live room, through Channels' layer (Redis pub/sub, or in memory).

A room is one group (``room_group``); each process with viewers of that live's room joins it
once and writes what arrives to its viewers (``liveroom.consumers._Room``). The services
call ``room_send`` once their transaction commits, whichever door they were called from (a
WebSocket, the REST API, the instructor's page, the admin), so every viewer of every process
receives it. A layer that fails (Redis away) is logged and never undoes what was stored: the
message is in the database and in every viewer's history on their next join.
"""

import json
import logging
from functools import partial

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)

EVENT_HANDLER = "room.event"  # the layer wants a type; the process's room reads "text"


def room_group(live_session_id: int) -> str:
    return f"liveroom.{live_session_id}"


def room_send_now(live_session_id: int, event: dict) -> None:
    layer = get_channel_layer()
    if layer is None:  # pragma: no cover - the settings always name a layer
        return
    try:
        # Encoded once here, not once per viewer: each process only writes the text out.
        async_to_sync(layer.group_send)(
            room_group(live_session_id),
            {"type": EVENT_HANDLER, "text": json.dumps(event, ensure_ascii=False)},
        )
    except Exception:  # the layer's errors vary by backend; none may break a post
        logger.warning("Could not broadcast to live room %s", live_session_id, exc_info=True)


def room_send(live_session_id: int, event: dict) -> None:
    """Send ``event`` (a JSON-ready dict with a ``type``) to everyone in the room once the
    current transaction commits (at once outside one)."""
    transaction.on_commit(partial(room_send_now, live_session_id, event))
