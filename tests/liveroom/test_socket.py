"""The live room over WebSocket, through the whole ASGI stack and the channel layer of the
settings (Redis pub/sub when REDIS_URL is set): every kind of event, every rule, every
permission."""

import asyncio
from datetime import timedelta
from decimal import Decimal

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone
from rest_framework.test import APIClient

from courses import shelf as shelf_services
from courses.models import LiveSession
from liveroom import services
from liveroom.models import Message, ModerationAction
from tests.factories import InstructorFactory, LiveSessionFactory, LiveShelfItemFactory
from tests.liveroom.conftest import communicator, joined, next_of, nothing_but_counts

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

db = database_sync_to_async


async def close(*clients):
    for client in clients:
        await client.disconnect()


async def test_anyone_may_watch_and_gets_the_rooms_state_on_joining(live, learner):
    now = timezone.now()
    await db(LiveShelfItemFactory)(
        live_session=live,
        is_pinned=True,
        flash_price=Decimal("9.90"),
        flash_starts_at=now - timedelta(minutes=1),
        flash_ends_at=now + timedelta(minutes=5),
    )
    first = await db(services.message_post)(user=learner, live_session=live, text="第一条")
    question = await db(services.message_post)(
        user=learner, live_session=live, text="有回放吗?", is_question=True
    )
    await db(services.message_answer)(
        user=live.instructor.user, message_id=question.pk, answer="有"
    )
    await db(services.room_like)(user=learner, live_session=live, count=3)
    watcher, hello = await joined(live.pk)
    assert [m["text"] for m in hello["history"]] == ["第一条", "有回放吗?"]
    assert hello["history"][0]["id"] == first.pk
    assert hello["pinned_message"]["answer"] == "有"
    assert hello["shelf"]["pinned"]["price"] == "9.90"
    assert hello["likes"] == 3 and hello["viewers"] == 1
    assert hello["you"] == {
        "user_id": None,
        "signed_in": False,
        "moderates": False,
        "muted": False,
    }
    await close(watcher)


async def test_anonymous_viewers_may_not_post(live):
    watcher, _hello = await joined(live.pk)
    await watcher.send_json_to({"type": "message", "text": "hi"})
    error = await next_of(watcher, "error")
    assert error["code"] == "forbidden" and error["action"] == "message"
    await watcher.send_json_to({"type": "like"})
    assert (await next_of(watcher, "error"))["code"] == "forbidden"
    assert not await db(Message.objects.exists)()
    await close(watcher)


async def test_chat_and_danmaku_reach_everyone_in_the_room_and_no_other(live, learner):
    other_room = await db(LiveSessionFactory)(status=LiveSession.Status.LIVE)
    poster, _ = await joined(live.pk, learner)
    watcher, _ = await joined(live.pk)
    elsewhere, _ = await joined(other_room.pk)
    await poster.send_json_to({"type": "message", "text": "老师好"})
    await poster.send_json_to({"type": "message", "text": "666", "kind": "danmaku"})
    for client in (poster, watcher):
        chat = await next_of(client, "message")
        danmaku = await next_of(client, "message")
        assert (chat["message"]["kind"], chat["message"]["text"]) == ("chat", "老师好")
        assert (danmaku["message"]["kind"], danmaku["message"]["text"]) == ("danmaku", "666")
    await nothing_but_counts(elsewhere)
    await close(poster, watcher, elsewhere)


async def test_a_message_posted_over_rest_reaches_the_websocket(live, learner):
    watcher, _ = await joined(live.pk)

    def post_over_rest():
        client = APIClient()
        client.force_authenticate(learner)
        return client.post(f"/api/v1/lives/{live.pk}/messages/", {"text": "from the app"})

    response = await db(post_over_rest)()
    assert response.status_code == 201
    got = await next_of(watcher, "message")
    assert got["message"] == response.json() | {"created_at": got["message"]["created_at"]}
    await close(watcher)


async def test_a_view_on_the_web_process_threads_broadcasts_on_the_servers_loop(
    live, learner, monkeypatch
):
    """The web process runs views on threads of its own (config.http_threads): a post there is
    handed to the server's loop, as a consumer's is, not sent through a loop made for it (a new
    connection to the layer per message)."""
    from channels.testing import HttpCommunicator
    from rest_framework_simplejwt.tokens import AccessToken

    from config.asgi import application
    from liveroom import broadcast

    def no_new_loop(*args, **kwargs):
        raise AssertionError("a broadcast from the web process went through a loop of its own")

    monkeypatch.setattr(broadcast, "async_to_sync", no_new_loop)
    token = await db(lambda: str(AccessToken.for_user(learner)))()
    watcher, _ = await joined(live.pk)
    request = HttpCommunicator(
        application,
        "POST",
        f"/api/v1/lives/{live.pk}/messages/",
        body=b'{"text": "from the web process"}',
        headers=[
            (b"host", b"testserver"),
            (b"authorization", f"Bearer {token}".encode()),
            (b"content-type", b"application/json"),
            (b"transfer-encoding", b"chunked"),  # no Content-Length: the body's end ends it
        ],
    )
    response = await request.get_response(timeout=10)
    assert response["status"] == 201, response["body"]
    assert (await next_of(watcher, "message"))["message"]["text"] == "from the web process"
    await close(watcher)


async def test_a_refused_message_names_its_reason_to_the_poster_only(live, learner, settings):
    settings.LIVEROOM_MESSAGE_MAX_LENGTH = 5
    poster, _ = await joined(live.pk, learner)
    watcher, _ = await joined(live.pk)
    await poster.send_json_to({"type": "message", "text": "太长太长太长"})
    error = await next_of(poster, "error")
    assert error["code"] == "too_long" and "text" in error["errors"]
    await poster.send_json_to({"type": "message", "text": "  "})
    assert (await next_of(poster, "error"))["code"] == "empty"
    await nothing_but_counts(watcher)
    await close(poster, watcher)


async def test_blocked_words_and_the_rate_limit_hold_over_websocket(live, learner, settings):
    from liveroom.models import BlockedWord

    settings.LIVEROOM_RATE_MESSAGES = 1
    await db(BlockedWord.objects.create)(word="加微信")
    poster, _ = await joined(live.pk, learner)
    await poster.send_json_to({"type": "message", "text": "快加微信"})
    assert (await next_of(poster, "error"))["code"] == "blocked_word"
    await poster.send_json_to({"type": "message", "text": "一"})
    await next_of(poster, "message")
    await poster.send_json_to({"type": "message", "text": "二"})
    assert (await next_of(poster, "error"))["code"] == "rate_limited"
    await close(poster)


@pytest.mark.parametrize(
    "content",
    [
        {"type": "message", "text": 5},
        {"type": "message", "text": "x", "kind": 1},
        {"type": "message", "text": "x", "kind": "shout"},
        {"type": "message", "text": "x", "is_question": "yes"},
        {"type": "question", "id": "1"},
        {"type": "answer", "id": 1, "answer": "x", "pin": "no"},
        {"type": "like", "count": 0},
        {"type": "mute", "user_id": True},
    ],
)
async def test_malformed_actions_are_refused_as_invalid(live, learner, content):
    poster, _ = await joined(live.pk, learner)
    await poster.send_json_to(content)
    assert (await next_of(poster, "error"))["code"] == "invalid"
    await close(poster)


@pytest.mark.parametrize("content", [{"type": "shout"}, {"text": "no type"}, ["a list"]])
async def test_unknown_actions_are_refused(live, learner, content):
    poster, _ = await joined(live.pk, learner)
    await poster.send_json_to(content)
    assert (await next_of(poster, "error"))["code"] == "unknown"
    await close(poster)


async def test_a_learner_asks_and_the_instructor_answers_and_pins(live, learner):
    asker, _ = await joined(live.pk, learner)
    teacher, hello = await joined(live.pk, live.instructor.user)
    assert hello["you"]["moderates"]
    await asker.send_json_to({"type": "message", "text": "怎么买?"})
    message = (await next_of(teacher, "message"))["message"]
    await asker.send_json_to({"type": "question", "id": message["id"]})
    assert (await next_of(teacher, "message_updated"))["message"]["is_question"]
    await teacher.send_json_to({"type": "answer", "id": message["id"], "answer": "点购物袋"})
    assert (await next_of(asker, "message_updated"))["message"]["answer"] == ""  # the question
    for client in (asker, teacher):
        updated = await next_of(client, "message_updated")
        assert updated["message"]["answer"] == "点购物袋"
        pinned = await next_of(client, "pinned_message")
        assert pinned["message"]["id"] == message["id"]
    await teacher.send_json_to({"type": "unpin", "id": message["id"]})
    assert (await next_of(asker, "pinned_message"))["message"] is None
    await teacher.send_json_to({"type": "pin", "id": message["id"]})
    assert (await next_of(asker, "pinned_message"))["message"]["id"] == message["id"]
    await close(asker, teacher)


async def test_the_instructor_deletes_a_message_for_everyone(live, learner):
    poster, _ = await joined(live.pk, learner)
    teacher, _ = await joined(live.pk, live.instructor.user)
    await poster.send_json_to({"type": "message", "text": "广告"})
    message = (await next_of(teacher, "message"))["message"]
    await teacher.send_json_to({"type": "delete", "id": message["id"]})
    for client in (poster, teacher):
        assert (await next_of(client, "message_deleted"))["id"] == message["id"]
    latecomer, hello = await joined(live.pk)
    assert hello["history"] == []
    await close(poster, teacher, latecomer)


async def test_a_muted_learner_watches_but_cannot_post_until_unmuted(live, learner):
    poster, _ = await joined(live.pk, learner)
    teacher, _ = await joined(live.pk, live.instructor.user)
    await teacher.send_json_to({"type": "mute", "user_id": learner.pk})
    assert (await next_of(poster, "muted"))["user_id"] == learner.pk
    await poster.send_json_to({"type": "message", "text": "还能说话吗"})
    assert (await next_of(poster, "error"))["code"] == "forbidden"
    _again, hello = await joined(live.pk, learner)
    assert hello["you"]["muted"]
    await teacher.send_json_to({"type": "unmute", "user_id": learner.pk})
    assert (await next_of(poster, "unmuted"))["user_id"] == learner.pk
    await poster.send_json_to({"type": "message", "text": "可以了"})
    assert (await next_of(teacher, "message"))["message"]["text"] == "可以了"
    actions = await db(lambda: list(ModerationAction.objects.values_list("action", flat=True)))()
    assert actions == ["unmute", "mute"]
    await close(poster, teacher, _again)


async def test_learners_and_other_instructors_cannot_moderate(live, learner, other_learner):
    stranger = await db(lambda: InstructorFactory().user)()
    poster, _ = await joined(live.pk, other_learner)
    await poster.send_json_to({"type": "message", "text": "hello"})
    message = (await next_of(poster, "message"))["message"]
    for user in (learner, stranger):
        client, hello = await joined(live.pk, user)
        assert not hello["you"]["moderates"]
        for action in (
            {"type": "delete", "id": message["id"]},
            {"type": "answer", "id": message["id"], "answer": "x"},
            {"type": "pin", "id": message["id"]},
            {"type": "mute", "user_id": other_learner.pk},
        ):
            await client.send_json_to(action)
            assert (await next_of(client, "error"))["code"] == "forbidden"
        await close(client)
    await close(poster)


async def test_a_message_of_another_room_cannot_be_moderated_from_this_one(live, learner):
    other_room = await db(LiveSessionFactory)(
        instructor=live.instructor, status=LiveSession.Status.LIVE
    )
    message = await db(services.message_post)(user=learner, live_session=other_room, text="x")
    teacher, _ = await joined(live.pk, live.instructor.user)
    await teacher.send_json_to({"type": "delete", "id": message.pk})
    assert (await next_of(teacher, "error"))["code"] == "not_found"
    await close(teacher)


async def test_likes_are_broadcast_as_one_count_per_tick(live, learner, other_learner):
    one, _ = await joined(live.pk, learner)
    two, _ = await joined(live.pk, other_learner)
    watcher, hello = await joined(live.pk)
    assert hello["likes"] == 0
    for _ in range(5):
        await one.send_json_to({"type": "like"})
    await two.send_json_to({"type": "like", "count": 10})
    count = 0
    while count < 15:  # the taps arrive within one or two ticks, never one event each
        count = (await next_of(watcher, "likes"))["count"]
    assert count == 15
    await close(one, two, watcher)


async def test_the_viewer_count_follows_joins_and_leaves(live, learner):
    watcher, hello = await joined(live.pk)
    assert hello["viewers"] == 1
    assert (await next_of(watcher, "viewers"))["count"] == 1
    other, _ = await joined(live.pk, learner)
    assert (await next_of(watcher, "viewers"))["count"] == 2
    await other.disconnect()
    assert (await next_of(watcher, "viewers"))["count"] == 1
    await close(watcher)


async def test_without_the_cache_each_process_counts_its_own_viewers(live, cache_away):
    cache_away()
    watcher, hello = await joined(live.pk)
    assert hello["viewers"] is None
    assert (await next_of(watcher, "viewers"))["count"] == 1
    await close(watcher)


async def test_a_pinned_product_and_a_flash_price_reach_every_viewer(live):
    item = await db(LiveShelfItemFactory)(live_session=live)
    watcher, hello = await joined(live.pk)
    assert hello["shelf"]["pinned"] is None
    user = live.instructor.user
    await db(shelf_services.shelf_item_pin)(user=user, item_id=item.pk)
    shelf = (await next_of(watcher, "shelf"))["shelf"]
    assert shelf["pinned"]["product_id"] == item.product_id
    await db(shelf_services.shelf_flash_start)(
        user=user, item_id=item.pk, price=Decimal("29.90"), minutes=15
    )
    shelf = (await next_of(watcher, "shelf"))["shelf"]
    assert shelf["pinned"]["price"] == "29.90" and shelf["pinned"]["is_flash_price"]
    await db(shelf_services.shelf_flash_end)(user=user, item_id=item.pk)
    shelf = (await next_of(watcher, "shelf"))["shelf"]
    assert shelf["pinned"]["price"] == "59.00" and not shelf["pinned"]["is_flash_price"]
    await close(watcher)


async def test_an_unknown_or_cancelled_live_has_no_room(live):
    cancelled = await db(LiveSessionFactory)(status=LiveSession.Status.CANCELLED)
    for live_id in (cancelled.pk, 10**9):
        client = communicator(live_id)
        connected, _code = await client.connect()
        assert not connected


async def test_a_connection_from_another_site_is_refused(live):
    client = communicator(live.pk, origin=b"https://evil.example")
    connected, _code = await client.connect()
    assert not connected


async def test_the_shelf_of_a_cancelled_live_is_not_broadcast(live):
    from liveroom.receivers import shelf_changed

    live.status = LiveSession.Status.CANCELLED
    await db(live.save)()
    await db(shelf_changed)(None, live_session_id=live.pk)  # nothing to tell, nothing raised


async def test_a_process_hears_a_room_once_however_many_viewers_it_holds(live, monkeypatch):
    """Three viewers in one process: the room's group gets one member, and each viewer still
    gets each message once."""
    from channels.layers import get_channel_layer

    from liveroom.broadcast import room_group

    layer, joins = get_channel_layer(), []
    real_group_add = layer.group_add

    async def group_add(group, channel):
        joins.append(group)
        await real_group_add(group, channel)

    monkeypatch.setattr(layer, "group_add", group_add)
    viewers = [(await joined(live.pk))[0] for _ in range(3)]
    assert joins == [room_group(live.pk)]
    await db(services.message_post)(user=live.instructor.user, live_session=live, text="上课了")
    for viewer in viewers:
        assert (await next_of(viewer, "message"))["message"]["text"] == "上课了"
        await nothing_but_counts(viewer, wait=0.2)
    await close(*viewers)
    another = (await joined(live.pk))[0]  # the room emptied and opens again on a new viewer
    assert joins == [room_group(live.pk)] * 2
    await close(another)


async def test_what_is_said_while_a_viewer_joins_reaches_it_after_its_hello(
    live, learner, monkeypatch
):
    from liveroom.consumers import LiveRoomConsumer

    real_join = LiveRoomConsumer._join

    def join_while_someone_speaks(self, live_session_id):
        hello = real_join(self, live_session_id)  # the history is read ...
        services.message_post(user=learner, live_session=live, text="刚好这时")  # ... then said
        return hello

    monkeypatch.setattr(LiveRoomConsumer, "_join", join_while_someone_speaks)
    viewer, hello = await joined(live.pk)
    assert hello["history"] == []
    assert (await next_of(viewer, "message"))["message"]["text"] == "刚好这时"
    await close(viewer)


def _slow(live_id: int, seconds: float | None):
    """The consumer of the room's first viewer, whose socket takes ``seconds`` for its next
    write (None: forever)."""
    from liveroom.consumers import _rooms

    consumer = next(iter(_rooms[live_id].viewers))
    real_send, held = consumer.send, []

    async def slow_send(*args, **kwargs):
        if not held:
            held.append(True)
            if seconds is None:
                await asyncio.Event().wait()
            await asyncio.sleep(seconds)
        await real_send(*args, **kwargs)

    consumer.send = slow_send
    return consumer


async def said(client, count: int, timeout: float = 5) -> list[list[str]]:
    """The texts of the next ``count`` messages the client gets, frame by frame."""
    frames = []
    while sum(len(f) for f in frames) < count:
        frame = await client.receive_json_from(timeout=timeout)
        events = frame if isinstance(frame, list) else [frame]
        texts = [e["message"]["text"] for e in events if e["type"] == "message"]
        if texts:
            frames.append(texts)
    return frames


async def test_a_slow_socket_gets_what_was_said_meanwhile_in_one_frame_and_holds_up_nobody(
    live, learner
):
    slow, _ = await joined(live.pk)
    watcher, _ = await joined(live.pk)
    _slow(live.pk, 1.5)
    for text in ["一", "二", "三", "四"]:
        await db(services.message_post)(user=learner, live_session=live, text=text)
    # The other viewer has them all while the slow socket is still busy with its first write.
    assert [t for f in await said(watcher, 4, timeout=1.2) for t in f] == ["一", "二", "三", "四"]
    frames = await said(slow, 4)
    assert [text for frame in frames for text in frame] == ["一", "二", "三", "四"]
    assert len(frames) < 4  # some went out together
    await close(slow, watcher)


async def test_a_viewer_too_far_behind_is_let_go_and_the_room_carries_on(
    live, learner, monkeypatch, settings
):
    monkeypatch.setattr("liveroom.consumers.MAX_PENDING", 3)
    settings.LIVEROOM_RATE_MESSAGES = 100
    stuck, _ = await joined(live.pk)
    watcher, _ = await joined(live.pk)
    _slow(live.pk, None)
    for n in range(6):  # one at a time: the watcher keeps up, however busy the machine
        await db(services.message_post)(user=learner, live_session=live, text=f"第{n}条")
        assert await said(watcher, 1) == [[f"第{n}条"]]
    closed = await stuck.receive_output(timeout=5)
    while closed["type"] != "websocket.close":
        closed = await stuck.receive_output(timeout=5)
    assert closed["code"] == 4008
    await close(watcher)


async def test_a_post_in_a_server_thread_does_not_wait_for_the_broadcast(live, monkeypatch):
    """The worker thread that stored a message hands its broadcast to the server's loop and is
    free at once, however busy the loop is writing frames."""
    from channels.layers import get_channel_layer

    from liveroom.broadcast import room_send_now

    layer, release, sent = get_channel_layer(), asyncio.Event(), []

    async def slow_group_send(group, message):
        await release.wait()  # the loop is busy elsewhere
        sent.append(message)

    monkeypatch.setattr(layer, "group_send", slow_group_send)
    await asyncio.wait_for(db(room_send_now)(live.pk, {"type": "likes", "count": 1}), 2)
    assert sent == []
    release.set()
    for _ in range(50):
        if sent:
            break
        await asyncio.sleep(0.01)
    assert sent and '"count": 1' in sent[0]["text"]
