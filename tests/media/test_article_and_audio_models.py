"""Article and audio lessons, whichever door saves them: an article's HTML is kept to the
allowlist and timed by its length; article images are checked and resized; an audio file must
decode, and its length becomes the lesson's duration."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from courses.articles import MAX_IMAGE_WIDTH, article_clean, article_reading_seconds
from courses.audio import audio_duration
from courses.models import ArticleImage, Lesson
from tests.factories import InstructorFactory, LessonFactory
from tests.media.audio import tone
from tests.test_admin_scoping import form_data, form_errors

pytestmark = pytest.mark.django_db

HOSTILE = """
<h2 onclick="alert(1)">标题</h2>
<script>alert('script')</script>
<p style="position:fixed">段落 <strong>重点</strong> <em>强调</em>
  <a href="javascript:alert(1)">坏链接</a>
  <a href="https://example.com/" target="_blank">好链接</a></p>
<img src="https://evil.example/tracker.png" alt="外部">
<img src="/media/articles/ok.png" alt="本站" onerror="alert(2)">
<img src="/media/articles/../../etc/passwd" alt="逃逸">
<iframe src="https://evil.example/"></iframe>
<ul><li>一</li><li>二</li></ul><ol><li>甲</li></ol>
<pre><code>print("你好")</code></pre>
<blockquote>引用</blockquote>
<table><thead><tr><th>列</th></tr></thead><tbody><tr><td>值</td></tr></tbody></table>
<style>body{display:none}</style><form action="/x"><input name="a"></form>
"""


def test_the_sanitiser_strips_script_handlers_javascript_links_and_foreign_images():
    html = article_clean(HOSTILE)
    for gone in ("<script", "alert", "onclick", "onerror", "javascript:", "style=", "evil",
                 "<iframe", "<form", "<input", "passwd", "display:none"):  # fmt: skip
        assert gone not in html
    kept = ["<h2>标题</h2>", "<strong>重点</strong>", "<em>强调</em>", "<ul><li>一</li>"]
    kept += ["<ol><li>甲</li></ol>", "<pre><code>", "<blockquote>引用</blockquote>", "<th>列</th>"]
    kept += ["<td>值</td>", '<img src="/media/articles/ok.png" alt="本站">']
    for markup in kept:
        assert markup in html
    assert '<a href="https://example.com/" rel="noopener nofollow">好链接</a>' in html
    assert "坏链接" in html  # the text stays, the link goes


def test_saving_an_article_lesson_sanitises_it_and_times_it_by_its_length():
    lesson = LessonFactory(kind=Lesson.Kind.ARTICLE, body_html=HOSTILE, duration_seconds=5)
    lesson.refresh_from_db()
    assert "<script" not in lesson.body_html and "<h2>标题</h2>" in lesson.body_html
    assert lesson.duration_seconds == article_reading_seconds(lesson.body_html) >= 30
    long = LessonFactory(kind=Lesson.Kind.ARTICLE, body_html="<p>" + "字" * 4000 + "</p>")
    assert long.duration_seconds == 600  # 4,000 characters at 400 a minute
    long.body_html = "<p onclick='x()'>" + "字" * 800 + "</p>"
    long.save(update_fields=["body_html"])  # the duration follows, even when not named
    long.refresh_from_db()
    assert (long.body_html, long.duration_seconds) == ("<p>" + "字" * 800 + "</p>", 120)


def test_a_video_lessons_fields_are_left_as_they_are():
    lesson = LessonFactory(duration_seconds=321, body_html="<script>x</script>")
    lesson.refresh_from_db()
    assert lesson.kind == Lesson.Kind.VIDEO and lesson.duration_seconds == 321


def test_an_article_edited_in_the_admin_is_stored_sanitised(client):
    lesson = LessonFactory(kind=Lesson.Kind.ARTICLE, body_html="<p>旧</p>")
    client.force_login(lesson.course.instructor.user)
    change = reverse("admin:courses_lesson_change", args=[lesson.pk])
    page = client.get(change)
    assert page.status_code == 200 and b'name="body_html"' in page.content
    data = form_data(page)
    data["body_html"] = HOSTILE
    response = client.post(change, data)
    assert response.status_code == 302, form_errors(response)
    lesson.refresh_from_db()
    assert "alert" not in lesson.body_html and "<blockquote>引用</blockquote>" in lesson.body_html


def test_the_course_admins_lesson_inline_offers_the_kind(client):
    lesson = LessonFactory()
    client.force_login(lesson.course.instructor.user)
    page = client.get(reverse("admin:courses_course_change", args=[lesson.course_id]))
    assert b'name="lessons-0-kind"' in page.content and b'name="lessons-0-audio"' in page.content


def _png(width, height) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (240, 70, 42)).save(out, format="PNG")
    return out.getvalue()


def test_article_images_are_resized_to_at_most_1280_wide(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    image = ArticleImage(instructor=InstructorFactory())
    image.image = ContentFile(_png(3000, 1500), name="wide.png")
    image.save()
    with Image.open(image.image.path) as stored:
        assert stored.size == (MAX_IMAGE_WIDTH, 640) and stored.format == "PNG"
    assert image.image.url.startswith("/media/articles/")
    small = ArticleImage(instructor=image.instructor)
    small.image = ContentFile(_png(300, 200), name="small.png")
    small.save()
    with Image.open(small.image.path) as stored:
        assert stored.size == (300, 200)


def test_an_instructor_uploads_an_article_image_in_the_admin(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    instructor = InstructorFactory()
    client.force_login(instructor.user)
    add = reverse("admin:courses_articleimage_add")
    assert client.get(add).status_code == 200
    upload = SimpleUploadedFile("photo.png", _png(2000, 1000), "image/png")
    response = client.post(add, {"image": upload, "alt": "图"})
    assert response.status_code == 302, form_errors(response)
    stored = ArticleImage.objects.get()
    assert stored.instructor == instructor
    with Image.open(stored.image.path) as image:
        assert image.width == MAX_IMAGE_WIDTH
    served = client.get(stored.image.url)  # a public upload, like covers
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    fake = SimpleUploadedFile("fake.png", b"<html>not an image</html>", "image/png")
    refused = client.post(add, {"image": fake})
    assert "image" in form_errors(refused)
    assert ArticleImage.objects.count() == 1


@pytest.mark.parametrize("extension", ["mp3", "m4a", "ogg", "wav"])
def test_audio_files_that_decode_give_their_duration(extension):
    assert audio_duration(name=f"tone.{extension}", data=tone(extension, 3)) == 3


@pytest.mark.parametrize(
    "name, data",
    [
        ("fake.mp3", b"ID3 this is not audio at all" * 100),
        ("picture.mp3", _png(20, 20)),
        ("tone.exe", b"MZ"),
        ("empty.wav", b""),
    ],
)
def test_a_file_that_is_not_audio_is_refused(name, data):
    with pytest.raises(ValidationError):
        audio_duration(name=name, data=data)


def test_an_audio_lesson_uploaded_in_the_admin_gets_the_files_duration(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    lesson = LessonFactory(duration_seconds=600)
    client.force_login(lesson.course.instructor.user)
    change = reverse("admin:courses_lesson_change", args=[lesson.pk])
    data = form_data(client.get(change))
    data["kind"] = Lesson.Kind.AUDIO
    data["audio"] = SimpleUploadedFile("talk.mp3", tone("mp3", 4), "audio/mpeg")
    response = client.post(change, data)
    assert response.status_code == 302, form_errors(response)
    lesson.refresh_from_db()
    assert lesson.kind == Lesson.Kind.AUDIO and lesson.duration_seconds == 4
    assert lesson.audio.name.startswith("lessons/audio/")

    data = form_data(client.get(change))
    data["audio"] = SimpleUploadedFile("fake.mp3", b"not audio" * 50, "audio/mpeg")
    refused = client.post(change, data)
    assert "audio" in form_errors(refused)


def test_an_audio_lesson_needs_its_file():
    lesson = LessonFactory.build(kind=Lesson.Kind.AUDIO)
    with pytest.raises(ValidationError) as error:
        lesson.clean()
    assert "audio" in error.value.message_dict
