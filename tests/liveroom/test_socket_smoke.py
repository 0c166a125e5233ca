import pytest

from tests.liveroom.conftest import joined, next_of

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


async def test_a_learners_message_reaches_an_anonymous_viewer(live, learner):
    watcher, hello = await joined(live.pk)
    assert hello["you"]["signed_in"] is False
    poster, _ = await joined(live.pk, learner)
    await poster.send_json_to({"type": "message", "text": "老师好"})
    got = await next_of(watcher, "message")
    assert got["message"]["text"] == "老师好"
    assert got["message"]["author"]["name"] == "小明"
    await watcher.disconnect()
    await poster.disconnect()
