"""Live streams: the ingest server's callback authorises stream keys and marks sessions live and
ended, the status endpoint reports the stream's real state from its playlist, the site serves
the stream's files, and only the instructor sees the key."""

import json
import os
import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from courses import live as live_streams
from courses.models import LiveSession
from courses.services import instructor_grant_admin_access
from tests.factories import InstructorFactory, LiveSessionFactory, UserFactory

pytestmark = pytest.mark.django_db

LIVE_PLAYLIST = """#EXTM3U
#EXT-X-VERSION:6
#EXT-X-TARGETDURATION:1
#EXT-X-MEDIA-SEQUENCE:3
#EXTINF:1.000000,
seg00003.ts
#EXTINF:1.000000,
seg00004.ts
"""


@pytest.fixture(autouse=True)
def live_root(settings, tmp_path):
    settings.LIVE_ROOT = tmp_path / "live"
    return settings.LIVE_ROOT


@pytest.fixture
def session():
    now = timezone.now()
    return LiveSessionFactory(
        scheduled_start=now + timedelta(minutes=5), scheduled_end=now + timedelta(hours=1)
    )


def write_playlist(session, text=LIVE_PLAYLIST, *, age: float = 0.0):
    folder = live_streams.stream_dir(session)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "index.m3u8"
    path.write_text(text)
    (folder / "seg00004.ts").write_bytes(b"\x47" * 188)
    stamp = time.time() - age
    os.utime(path, (stamp, stamp))
    return path


def status_of(client, session) -> dict:
    response = client.get(reverse("web:live_status", args=[session.slug]))
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    return response.json()


# The ingest server's callback ---------------------------------------------------------------


def test_every_live_session_gets_its_own_secret_key():
    first, second = LiveSessionFactory(), LiveSessionFactory()
    assert len(first.stream_key) >= 32 and first.stream_key != second.stream_key


def test_on_publish_with_the_right_key_marks_the_session_live(client, session):
    url = reverse("web:live_ingest")
    response = client.post(url, {"call": "publish", "name": session.stream_key, "app": "live"})
    assert response.status_code == 200
    session.refresh_from_db()
    assert session.status == LiveSession.Status.LIVE

    response = client.post(url, {"call": "publish_done", "name": session.stream_key})
    assert response.status_code == 200
    session.refresh_from_db()
    assert session.status == LiveSession.Status.ENDED
    # An ended session cannot be published again.
    assert client.post(url, {"call": "publish", "name": session.stream_key}).status_code == 403


@pytest.mark.parametrize("key", ["", "wrong", "x" * 32, "../../etc/passwd"])
def test_a_wrong_key_is_refused_and_changes_nothing(client, session, key):
    url = reverse("web:live_ingest")
    assert client.post(url, {"call": "publish", "name": key}).status_code == 403
    assert client.post(url, {"call": "publish_done", "name": key}).status_code == 403
    session.refresh_from_db()
    assert session.status == LiveSession.Status.SCHEDULED


def test_the_callback_takes_only_posts_and_no_unknown_calls(client, session):
    url = reverse("web:live_ingest")
    assert client.get(url, {"name": session.stream_key}).status_code == 405
    assert client.post(url, {"call": "play", "name": session.stream_key}).status_code == 400


def test_mediamtx_http_authentication_is_understood(client, session):
    url = reverse("web:live_ingest")

    def ask(action, path):
        body = {"action": action, "path": path, "protocol": "rtmp", "user": "", "password": ""}
        return client.post(url, json.dumps(body), content_type="application/json").status_code

    assert ask("publish", "live/not-a-key-at-all-0000") == 403
    assert ask("publish", f"live/{session.stream_key}") == 200
    session.refresh_from_db()
    assert session.status == LiveSession.Status.LIVE


def test_a_regenerated_key_replaces_the_old_one(client, session):
    old = session.stream_key
    live_streams.live_stream_key_regenerate(live_session=session)
    url = reverse("web:live_ingest")
    assert client.post(url, {"call": "publish", "name": old}).status_code == 403
    assert client.post(url, {"call": "publish", "name": session.stream_key}).status_code == 200


# The stream's state --------------------------------------------------------------------------


def test_status_before_any_stream_is_not_started(client, session):
    status = status_of(client, session)
    assert status["state"] == "not_started" and status["playlist"] is False
    assert status["replay"] is False and status["replay_src"] is None


def test_status_of_a_fresh_playlist_is_live(client, session):
    write_playlist(session)
    status = status_of(client, session)
    assert status["state"] == "live" and status["segments"] == 2 and not status["endlist"]
    assert status["stream_src"] == reverse("web:live_hls", args=[session.slug, "index.m3u8"])


def test_status_of_a_stalled_playlist_is_not_live(client, session, settings):
    write_playlist(session, age=settings.LIVE_FRESH_SECONDS + 5)
    status = status_of(client, session)
    assert status["state"] == "not_started" and status["playlist"] is True


def test_status_of_a_playlist_with_endlist_is_ended(client, session):
    write_playlist(session, LIVE_PLAYLIST + "#EXT-X-ENDLIST\n", age=60)
    assert status_of(client, session)["state"] == "ended"


def test_status_of_an_ended_session_is_ended_whatever_its_files(client, session):
    write_playlist(session)
    session.status = LiveSession.Status.ENDED
    session.save()
    assert status_of(client, session)["state"] == "ended"


def test_status_of_a_cancelled_or_unknown_session_is_not_found(client, session):
    session.status = LiveSession.Status.CANCELLED
    session.save()
    assert client.get(reverse("web:live_status", args=[session.slug])).status_code == 404
    assert client.get(reverse("web:live_status", args=["nope"])).status_code == 404


# The stream's files -------------------------------------------------------------------------


def test_the_site_serves_the_playlist_and_segments_with_their_types(client, session):
    write_playlist(session)
    playlist = client.get(reverse("web:live_hls", args=[session.slug, "index.m3u8"]))
    assert playlist.status_code == 200
    assert playlist["Content-Type"] == "application/vnd.apple.mpegurl"
    assert playlist["Cache-Control"] == "no-cache"
    assert b"seg00004.ts" in b"".join(playlist.streaming_content)
    segment = client.get(reverse("web:live_hls", args=[session.slug, "seg00004.ts"]))
    assert segment.status_code == 200 and segment["Content-Type"] == "video/mp2t"
    assert segment["X-Content-Type-Options"] == "nosniff"
    assert (
        client.head(reverse("web:live_hls", args=[session.slug, "seg00004.ts"])).status_code == 200
    )
    assert live_streams.stream_dir(session).parent.name == "hls"  # away from replays: nginx's
    # hls_cleanup deletes old playlists and segments anywhere below its hls_path


@pytest.mark.parametrize("name", ["missing.ts", "..", "index.m3u8.bak", "a.mp4", ".hidden.ts"])
def test_nothing_else_is_served(client, session, name):
    write_playlist(session)
    assert client.get(f"/live/{session.slug}/hls/{name}").status_code == 404


def test_no_replay_is_served_before_there_is_one(client, session):
    assert (
        client.get(reverse("web:live_replay", args=[session.slug, "index.m3u8"])).status_code == 404
    )


# The page ---------------------------------------------------------------------------------


def test_the_page_carries_the_player_and_its_state(client, session):
    page = client.get(reverse("web:live", args=[session.slug])).content.decode()
    assert 'data-state="not_started"' in page
    assert reverse("web:live_status", args=[session.slug]) in page
    assert "vendor/hls.js/hls.min.js" in page and "js/live-player.js" in page
    assert session.stream_key not in page

    write_playlist(session)
    page = client.get(reverse("web:live", args=[session.slug])).content.decode()
    assert 'data-state="live"' in page


def test_only_the_instructor_sees_the_stream_key(client, session, settings):
    settings.LIVE_INGEST_URL = "rtmp://ingest.zhibo.local/live"
    url = reverse("web:live", args=[session.slug])
    client.force_login(UserFactory())
    assert session.stream_key not in client.get(url).content.decode()
    client.force_login(session.instructor.user)
    page = client.get(url).content.decode()
    assert session.stream_key in page and "rtmp://ingest.zhibo.local/live" in page


def test_the_admin_shows_the_key_to_the_sessions_instructor_only(client, session):
    instructor = session.instructor
    instructor_grant_admin_access(instructor=instructor)
    url = reverse("admin:courses_livesession_change", args=[session.pk])
    client.force_login(instructor.user)
    page = client.get(url).content.decode()
    assert session.stream_key in page
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    page = client.get(url).content.decode()
    assert client.get(url).status_code == 200 and session.stream_key not in page


def test_the_admin_regenerates_a_key(client, session):
    instructor_grant_admin_access(instructor=session.instructor)
    client.force_login(session.instructor.user)
    old = session.stream_key
    response = client.post(
        reverse("admin:courses_livesession_changelist"),
        {"action": "regenerate_stream_key", "_selected_action": [session.pk]},
    )
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.stream_key != old


def test_an_instructor_cannot_regenerate_another_instructors_key(client, session):
    other = InstructorFactory()
    instructor_grant_admin_access(instructor=other)
    client.force_login(other.user)
    old = session.stream_key
    client.post(
        reverse("admin:courses_livesession_changelist"),
        {"action": "regenerate_stream_key", "_selected_action": [session.pk]},
    )
    session.refresh_from_db()
    assert session.stream_key == old


def test_an_ended_session_offers_its_replay_in_the_same_player(client, session):
    session.status = LiveSession.Status.ENDED
    session.recording = f"replays/{session.pk}/index.m3u8"
    session.save()
    page = client.get(reverse("web:live", args=[session.slug])).content.decode()
    replay = reverse("web:live_replay", args=[session.slug, "index.m3u8"])
    assert 'data-state="ended"' in page and f'data-replay-src="{replay}"' in page
    assert "data-play-replay" in page and "回放" in page

    session.recording = ""
    session.replay_url = "https://media.zhibo.local/replays/a.mp4"
    session.save()
    page = client.get(reverse("web:live", args=[session.slug])).content.decode()
    assert 'data-replay-src="https://media.zhibo.local/replays/a.mp4"' in page


def test_a_live_session_waiting_for_its_stream_says_so_not_that_it_has_not_started(client, session):
    session.status = LiveSession.Status.LIVE
    session.save()
    page = client.get(reverse("web:live", args=[session.slug]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "等待讲师开播推流" in page.content.decode()
