"""The live rooms' listeners to the catalog below them (connected in ``LiveroomConfig.ready``)."""

from django.http import Http404

from liveroom.broadcast import room_send_now
from liveroom.selectors import room_shelf


def shelf_changed(sender, *, live_session_id: int, **kwargs) -> None:
    """A live's shelf changed (a pin, a flash price, the admin's inline): show every viewer."""
    try:
        shelf = room_shelf(live_session_id=live_session_id)
    except Http404:  # a cancelled live has no room to tell
        return
    room_send_now(live_session_id, {"type": "shelf", "shelf": shelf})
