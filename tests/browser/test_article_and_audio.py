"""Article and audio lessons in a real browser: reading an article saves how far the learner
read; the audio mini-player stays at the bottom of the window while the page scrolls, plays,
and saves the position. Screenshots in var/screenshots/; no Content-Security-Policy report."""

import re

import pytest
from django.core.files.base import ContentFile
from playwright.sync_api import expect

from commerce.models import LessonProgress
from commerce.services import lesson_progress_record
from courses.models import Lesson
from tests.browser.conftest import PHONE
from tests.browser.test_content_security_policy import Violations
from tests.browser.test_journeys import sign_in
from tests.commerce.factories import EnrollmentFactory
from tests.factories import LessonFactory, UserFactory
from tests.media.audio import tone

SECTION = (
    "<h2>第{n}部分：从目标到行动</h2>"
    "<p>" + "学习一门新技能，最重要的是先想清楚要解决什么问题，再一步一步去做。" * 8 + "</p>"
    "<ul><li>明确目标</li><li>拆解任务</li><li>练习与复盘</li></ul>"
    "<blockquote>纸上得来终觉浅，绝知此事要躬行。</blockquote>"
    "<pre><code>for step in plan:\n    do(step)</code></pre>"
)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _enrolled(lesson):
    user = UserFactory()
    EnrollmentFactory(user=user, course=lesson.course)
    return user


def test_reading_an_article_saves_how_far_the_learner_read(page, shot, media):
    html = "".join(SECTION.format(n=n) for n in range(1, 7))
    html += '<p><a href="https://example.com/">延伸阅读</a></p><script>alert(1)</script>'
    lesson = LessonFactory(kind=Lesson.Kind.ARTICLE, body_html=html, video_url="")
    user = _enrolled(lesson)
    violations = Violations(page)
    sign_in(page, user)
    page.goto(f"/lessons/{lesson.pk}/")
    article = page.locator("[data-reader]")
    expect(article.locator("h2").first).to_have_text("第1部分：从目标到行动")
    expect(article.locator("a")).to_have_attribute("rel", "noopener nofollow")
    assert article.locator("script").count() == 0
    shot(page, "lesson-article", full_page=False)
    page.wait_for_timeout(1500)  # some reading time: the position credited is capped by it
    page.mouse.wheel(0, 1200)
    page.wait_for_timeout(300)
    page.mouse.wheel(0, 20000)
    expect(article).to_have_attribute("data-saved", re.compile(r"^\d+$"), timeout=5000)
    shot(page, "lesson-article-read", full_page=False)
    progress = LessonProgress.objects.get(user=user, lesson=lesson)
    assert 0 < progress.position_seconds <= lesson.duration_seconds
    assert progress.completed_at is None  # scrolled to the end, but not read yet

    lesson_progress_record(user=user, lesson=lesson, position_seconds=lesson.duration_seconds // 2)
    page.goto(f"/lessons/{lesson.pk}/")  # back to where the learner had read to
    page.wait_for_function("() => window.scrollY > 300")
    shot(page, "lesson-article-resumed", full_page=False)
    assert violations.reported() == []


def test_the_audio_mini_player_stays_in_view_plays_and_saves_the_position(page, shot, media):
    lesson = LessonFactory(kind=Lesson.Kind.AUDIO, video_url="", title="晨读：专注的力量")
    for n in range(12):  # a long list of lessons, so that the page scrolls
        LessonFactory(chapter=lesson.chapter, position=lesson.position + 1 + n)
    lesson.audio = ContentFile(tone("mp3", 6), name="talk.mp3")
    lesson.save()
    user = _enrolled(lesson)
    violations = Violations(page)
    page.set_viewport_size(PHONE)
    sign_in(page, user)
    page.goto(f"/lessons/{lesson.pk}/")
    bar = page.locator(".audio-bar")
    expect(bar).to_be_visible()
    expect(bar).to_contain_text("晨读：专注的力量")
    expect(page.locator("[data-audio-time]")).to_contain_text("0:06")
    page.locator("[data-audio-toggle]").click()
    player = page.locator("[data-audio-player]")
    expect(player).to_have_attribute("data-state", "playing")
    page.locator("[data-audio-speed]").select_option("1.5")
    page.mouse.wheel(0, 5000)
    page.wait_for_timeout(800)
    assert page.evaluate("() => window.scrollY") > 300
    box = bar.bounding_box()
    assert box and abs(box["y"] + box["height"] - PHONE["height"]) <= 1  # still at the bottom
    assert page.evaluate("() => document.querySelector('audio').playbackRate") == 1.5
    shot(page, "lesson-audio-scrolled", full_page=False)
    page.wait_for_function("() => document.querySelector('audio').currentTime >= 1.5")
    page.locator("[data-audio-toggle]").click()
    expect(player).to_have_attribute("data-state", "paused")
    expect(player).to_have_attribute("data-saved", re.compile(r"^[1-9]\d*$"))  # saved on pause
    progress = LessonProgress.objects.get(user=user, lesson=lesson)
    assert progress.position_seconds >= 1 and lesson.duration_seconds == 6
    shot(page, "lesson-audio-paused", full_page=False)

    page.reload()  # resumes where the learner paused
    page.wait_for_function(
        f"() => Math.floor(document.querySelector('audio').currentTime) === "
        f"{progress.position_seconds}"
    )
    assert violations.reported() == []
