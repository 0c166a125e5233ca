"""WebSocket routes (config/asgi.py): one room per live session."""

from django.urls import path

from liveroom.consumers import LiveRoomConsumer

websocket_urlpatterns = [
    path("ws/lives/<int:live_id>/", LiveRoomConsumer.as_asgi()),
]
