"""A learner plays an uploaded lesson video in a real browser: HLS through hls.js, resumed at the
saved position, with speed and keyboard controls, and their name over the paid video."""

import re
import time

import pytest
from playwright.sync_api import expect

from commerce.models import LessonProgress
from config.celery_app import app
from courses import media
from courses.models import MediaAsset
from tests.browser.test_journeys import sign_in
from tests.commerce.factories import EnrollmentFactory
from tests.factories import PASSWORD, InstructorFactory, ShortVideoFactory, UserFactory
from tests.media.conftest import make_clip
from tests.web.conftest import make_course


@pytest.fixture
def lesson_with_video(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "media_private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "private-media"},
        },
    }
    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        course = make_course(title="视频课")
        clip = make_clip(tmp_path / "clip.mp4", seconds=8, size="480x270")
        asset = media.media_asset_import(instructor=course.instructor, path=clip, title="clip")
    finally:
        app.conf.task_always_eager = before
    asset.refresh_from_db()
    assert asset.status == MediaAsset.Status.READY, asset.failure_reason
    lesson = course.lessons.get(is_free_preview=False)
    media.media_attach(asset=asset, lessons=[lesson])
    return lesson


def test_a_paid_lesson_plays_hls_resumes_and_answers_the_keyboard(page, shot, lesson_with_video):
    lesson = lesson_with_video
    learner = UserFactory(username="learner-hls")
    EnrollmentFactory(user=learner, course=lesson.course)
    LessonProgress.objects.create(user=learner, lesson=lesson, position_seconds=2)
    sign_in(page, learner)
    page.goto(f"/lessons/{lesson.pk}/")
    video = page.locator("[data-player] video")
    # hls.js loaded a rendition's playlist and the player resumed where the learner was.
    expect(video).to_have_attribute("data-hls-level", re.compile(r"^\d+$"), timeout=15_000)
    page.wait_for_function("() => document.querySelector('video').currentTime >= 2")
    page.evaluate("() => { const v = document.querySelector('video'); v.muted = true; }")
    page.evaluate("() => document.activeElement.blur()")  # keys go to the page, not a control
    page.keyboard.press("Space")
    page.wait_for_function("() => document.querySelector('video').currentTime > 2.5")
    assert not page.evaluate("() => document.querySelector('video').paused")
    page.keyboard.press("Space")
    assert page.evaluate("() => document.querySelector('video').paused")
    before = page.evaluate("() => document.querySelector('video').currentTime")
    page.keyboard.press("ArrowLeft")
    after = page.evaluate("() => document.querySelector('video').currentTime")
    assert after == pytest.approx(max(0, before - 5), abs=0.5)
    page.select_option("[data-player-speed]", "1.5")
    assert page.evaluate("() => document.querySelector('video').playbackRate") == 1.5
    expect(page.locator("[data-watermark]")).to_have_text("learner-hls")
    page.evaluate("() => document.querySelector('video').currentTime = 4")
    page.wait_for_function("() => document.querySelector('video').readyState >= 2")
    shot(page, "lesson-hls-player", full_page=False)

    # The short-video feed plays the same file, to anyone.
    video = ShortVideoFactory(instructor=lesson.course.instructor, title="短视频 HLS")
    media.media_attach(asset=MediaAsset.objects.get(lessons=lesson), short_videos=[video])
    page.goto(f"/videos/?v={video.slug}")
    feed_video = page.locator(f"#v-{video.slug} video")
    expect(feed_video).to_have_attribute("data-hls-level", re.compile(r"^\d+$"), timeout=15_000)
    page.wait_for_function(
        f"() => document.querySelector('#v-{video.slug} video').currentTime > 0.5"
    )
    shot(page, "video-feed-hls", full_page=False)


def test_an_instructor_uploads_a_video_in_chunks_from_the_admin(page, shot, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "media_private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "private-media"},
        },
    }
    settings.MEDIA_UPLOAD_CHUNK_BYTES = 16_384  # a small clip in several chunks
    # A superuser: browser tests flush the tables, the Instructors group's permissions with them
    # (the scoping of instructors' uploads is tested in tests/media/test_admin_upload.py).
    instructor = InstructorFactory(
        user__is_staff=True, user__is_superuser=True, user__username="teacher-up"
    )
    asset = MediaAsset.objects.create(instructor=instructor, title="上传测试")
    clip = make_clip(tmp_path / "upload.mp4", seconds=2)
    chunks = []
    page.on(
        "request",
        lambda request: (
            chunks.append(request.headers.get("content-range"))
            if request.method == "POST" and "/upload/" in request.url
            else None
        ),
    )
    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        page.goto("/admin/login/")
        page.fill("#id_username", "teacher-up")
        page.fill("#id_password", PASSWORD)
        page.locator("input[type=submit]").click()
        page.goto(f"/admin/courses/mediaasset/{asset.pk}/change/")
        page.set_input_files("[data-media-upload] [data-file]", str(clip))
        page.click("[data-media-upload] [data-start]")
        expect(page.locator("[data-media-upload] [data-message]")).to_contain_text("100%")
        shot(page, "admin-video-upload", full_page=False)
        page.wait_for_load_state("load")
        asset.refresh_from_db()
        deadline = time.monotonic() + 20
        while asset.status != MediaAsset.Status.READY and time.monotonic() < deadline:
            time.sleep(0.2)
            asset.refresh_from_db()
    finally:
        app.conf.task_always_eager = before
    assert asset.status == MediaAsset.Status.READY, asset.failure_reason
    size = clip.stat().st_size
    assert len(chunks) == -(-size // 16_384) and chunks[-1].endswith(f"/{size}")
    assert asset.renditions == ["240p", "120p"]


def test_an_instructor_uploads_in_the_studio_and_a_learner_plays_saves_and_resumes(
    page, shot, settings, tmp_path
):
    """Upload → transcode → play, end to end: the instructor's own page (not the admin) sends a
    generated clip in chunks, it is transcoded, given to a paid lesson; an enrolled learner plays
    it, the position is saved, and the lesson resumes there."""
    settings.STORAGES = {
        **settings.STORAGES,
        "media_private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "private-media"},
        },
    }
    settings.MEDIA_UPLOAD_CHUNK_BYTES = 65_536
    course = make_course(title="工作室上传的课")
    instructor = course.instructor
    instructor.user.username = "studio-teacher"
    instructor.user.is_staff = True
    instructor.user.save()
    lesson = course.lessons.get(is_free_preview=False)
    clip = make_clip(tmp_path / "lesson.mp4", seconds=10, size="480x270")
    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        sign_in(page, instructor.user)
        page.goto("/studio/videos/")
        page.fill("#id_title", "第二课 视频")
        page.click("main .studio-new button[type=submit]")
        page.wait_for_url("**/studio/videos/*/")
        page.set_input_files("[data-media-upload] [data-file]", str(clip))
        page.click("[data-media-upload] [data-start]")
        # the last chunk is transcoded within its request here (eager tasks): allow for it
        expect(page.locator("[data-media-upload] [data-message]")).to_contain_text(
            "100%", timeout=90_000
        )
        shot(page, "studio-upload", full_page=False)
        asset = MediaAsset.objects.get(title="第二课 视频")
        deadline = time.monotonic() + 30
        while asset.status != MediaAsset.Status.READY and time.monotonic() < deadline:
            time.sleep(0.2)
            asset.refresh_from_db()
    finally:
        app.conf.task_always_eager = before
    assert asset.status == MediaAsset.Status.READY, asset.failure_reason
    page.goto(f"/studio/videos/{asset.pk}/")  # the page after its reload, with the poster
    page.check(f"input[name=lessons][value='{lesson.pk}']")
    page.click("main .studio-attach button[type=submit]")
    expect(page.locator("main")).to_contain_text(lesson.title)
    shot(page, "studio-video-ready")
    lesson.refresh_from_db()
    assert lesson.media_id == asset.pk and lesson.duration_seconds == 10

    page.context.clear_cookies()
    learner = UserFactory(username="studio-learner")
    EnrollmentFactory(user=learner, course=course)
    sign_in(page, learner)
    page.goto(f"/lessons/{lesson.pk}/")
    video = page.locator("[data-player] video")
    expect(video).to_have_attribute("data-hls-level", re.compile(r"^\d+$"), timeout=15_000)
    page.evaluate("() => { const v = document.querySelector('video'); v.muted = true; v.play(); }")
    page.wait_for_function("() => document.querySelector('video').currentTime >= 3")
    page.evaluate("() => document.querySelector('video').pause()")
    deadline = time.monotonic() + 10
    saved = None
    while time.monotonic() < deadline:
        saved = LessonProgress.objects.filter(user=learner, lesson=lesson).first()
        if saved and saved.position_seconds >= 3:
            break
        time.sleep(0.2)
    assert saved and saved.position_seconds >= 3
    page.reload()
    expect(video).to_have_attribute("data-hls-level", re.compile(r"^\d+$"), timeout=15_000)
    page.wait_for_function(
        f"() => document.querySelector('video').currentTime >= {saved.position_seconds}"
    )
    shot(page, "studio-lesson-resumed", full_page=False)
