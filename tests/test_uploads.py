"""No stored upload can carry script: an uploaded SVG cover is filtered before it is stored, a
raster image must be the image its name says, and media are served so that a file opened on its
own runs nothing (a safe content type, ``nosniff``, a sandboxing policy)."""

import io
import re

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from PIL import Image

from courses import services
from courses.images import MAX_BYTES, image_clean
from courses.models import Course, Instructor
from demo.covers import avatar_svg, cover_svg
from tests.factories import CourseFactory, InstructorFactory, UserFactory
from tests.test_admin_scoping import form_data, form_errors

pytestmark = pytest.mark.django_db

HOSTILE_SVG = b"""<?xml version="1.0"?>
<!DOCTYPE svg [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"
     width="640" height="360" viewBox="0 0 640 360" onload="alert('onload')">
  <script>alert('script')</script>
  <script xlink:href="https://evil.example/x.js"/>
  <defs><linearGradient id="bg"><stop offset="0" stop-color="#f04"/></linearGradient></defs>
  <rect width="640" height="360" fill="url(#bg)" onclick="alert('click')"/>
  <a href="javascript:alert('link')"><text x="40" y="200">Cover &amp; title &secret;</text></a>
  <a xlink:href="JaVaScRiPt:alert('xlink')"><circle r="5"/></a>
  <a><set attributeName="href" to="javascript:alert('set')"/><text>click</text></a>
  <image href="https://evil.example/tracker.png" width="10" height="10"/>
  <image xlink:href="data:image/svg+xml;base64,PHN2Zz48c2NyaXB0PmFsZXJ0KDEpPC9zY3JpcHQ+PC9zdmc+"/>
  <use href="https://evil.example/sprite.svg#icon"/>
  <rect style="fill:url(https://evil.example/p.svg#p)" filter="url(http://evil.example/f#x)"/>
  <style>@import url(https://evil.example/a.css); rect { fill: red }</style>
  <foreignObject width="10" height="10">
    <body xmlns="http://www.w3.org/1999/xhtml"><script>alert('foreign')</script></body>
  </foreignObject>
  <iframe src="https://evil.example/"/>
</svg>
"""


def png_bytes(size=(8, 6), fmt="PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (240, 70, 42)).save(buffer, format=fmt)
    return buffer.getvalue()


def assert_inert(svg: bytes) -> None:
    """Nothing in ``svg`` runs, links anywhere or loads anything from outside the file."""
    text = svg.decode()
    assert not re.search(r"<\s*(\w+:)?script", text, re.IGNORECASE)
    assert not re.search(r"\son\w+\s*=", text, re.IGNORECASE)
    assert "javascript:" not in text.lower()
    assert "evil.example" not in text and "://" not in text.replace(
        "http://www.w3.org/2000/svg", ""
    )
    assert "foreignObject" not in text and "<iframe" not in text and "@import" not in text
    assert "/etc/passwd" not in text and "root:" not in text
    assert "data:image/svg+xml" not in text


# The filter -------------------------------------------------------------------------------------


def test_a_hostile_svg_is_stored_without_anything_that_runs_or_loads():
    clean = image_clean(name="cover.svg", data=HOSTILE_SVG)
    assert_inert(clean)
    text = clean.decode()
    assert 'fill="url(#bg)"' in text and "<linearGradient" in text  # what it shows stays
    assert "Cover &amp; title" in text and 'viewBox="0 0 640 360"' in text


def test_an_svg_keeps_its_embedded_raster_images():
    png = "data:image/png;base64,iVBORw0KGgo="
    svg = f'<svg xmlns="http://www.w3.org/2000/svg"><image href="{png}"/></svg>'.encode()
    assert png in image_clean(name="a.svg", data=svg).decode()


@pytest.mark.parametrize(
    "cover",
    [
        cover_svg(
            title="Python 数据分析 & <实战>",
            caption="编程",
            colour="#3366cc",
            glyph="数",
            variant=7,
        ),
        avatar_svg(name="王老师", colour="#aa3300"),
    ],
)
def test_the_demos_covers_pass_the_filter_showing_the_same(cover):
    clean = image_clean(name="demo.svg", data=cover.encode()).decode()
    for drawn in re.findall(r"<(?:rect|circle|polygon|stop|tspan|text)\b[^>]*>", cover):
        name = drawn[1:].split()[0]
        assert clean.count(f"<{name} ") == cover.count(f"<{name} ")
    for text in re.findall(r">([^<>]+)<", cover):
        assert text in clean
    assert_inert(clean.encode())


@pytest.mark.parametrize(
    "name, data",
    [
        ("cover.svg", b"<html><body><script>alert(1)</script></body></html>"),
        ("cover.svg", b"not xml at all"),
        ("cover.png", b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"),
        ("cover.png", b"GIF89a<script>alert(1)</script>"),
        ("cover.jpg", png_bytes()),  # a PNG named as a JPEG
        ("cover.png", png_bytes()[:40]),  # cut short
        ("cover.webp", b"RIFF\x00\x00\x00\x00WEBPVP8 "),
    ],
)
def test_a_file_that_is_not_the_image_its_name_says_is_refused(name, data):
    with pytest.raises(ValidationError) as refused:
        image_clean(name=name, data=data)
    assert refused.value.code == "invalid_image"
    assert name in refused.value.messages[0]


def test_other_file_types_and_oversized_images_are_refused():
    with pytest.raises(ValidationError) as refused:
        image_clean(name="cover.html", data=b"<script>alert(1)</script>")
    assert refused.value.code == "invalid_extension"
    with pytest.raises(ValidationError) as refused:
        image_clean(name="cover.svg", data=b" " * (MAX_BYTES + 1))
    assert refused.value.code == "image_too_large"


def test_raster_images_are_kept_as_uploaded():
    for name, fmt in [("a.png", "PNG"), ("b.jpg", "JPEG"), ("c.jpeg", "JPEG"), ("d.webp", "WEBP")]:
        data = png_bytes(fmt=fmt)
        assert image_clean(name=name, data=data) == data


def test_a_decompression_bomb_is_refused():
    buffer = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(buffer, format="PNG")  # 100 megapixels, a few KB
    with pytest.raises(ValidationError):
        image_clean(name="bomb.png", data=buffer.getvalue())


# Every door: the model field sanitises what it stores -------------------------------------------


def test_saving_through_the_catalog_service_stores_the_filtered_svg(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    course = CourseFactory()
    course.cover = SimpleUploadedFile("hostile.svg", HOSTILE_SVG, "image/svg+xml")
    services.catalog_item_save(user=course.instructor.user, item=course, is_new=False)
    course.refresh_from_db()
    assert course.cover.name.startswith("covers/courses/") and course.cover.name.endswith(".svg")
    with course.cover.open("rb") as stored:
        assert_inert(stored.read())


def test_a_model_saved_without_a_form_still_refuses_a_fake_image(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    instructor = InstructorFactory()
    instructor.avatar = ContentFile(b"<script>alert(1)</script>", name="me.png")
    with pytest.raises(ValidationError), transaction.atomic():
        instructor.save()
    assert not list(tmp_path.rglob("*.png"))
    assert Instructor.objects.get(pk=instructor.pk).avatar.name == ""


def test_a_png_uploaded_in_the_admin_is_kept(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    course = CourseFactory()
    client.force_login(course.instructor.user)
    change = reverse("admin:courses_course_change", args=[course.pk])
    data = form_data(client.get(change))
    data["cover"] = SimpleUploadedFile("cover.png", png_bytes(), "image/png")
    response = client.post(change, data)
    assert response.status_code == 302, form_errors(response)
    course.refresh_from_db()
    with course.cover.open("rb") as stored:
        assert stored.read() == png_bytes()


def test_an_svg_uploaded_in_the_admin_is_stored_clean(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    instructor = InstructorFactory()
    change = reverse("admin:courses_instructor_change", args=[instructor.pk])
    data = form_data(client.get(change))
    data["avatar"] = SimpleUploadedFile("avatar.svg", HOSTILE_SVG, "image/svg+xml")
    response = client.post(change, data)
    assert response.status_code == 302, form_errors(response)
    instructor.refresh_from_db()
    with instructor.avatar.open("rb") as stored:
        assert_inert(stored.read())


def test_the_admin_refuses_a_file_pretending_to_be_an_image_with_a_message(client, settings):
    settings.LANGUAGE_CODE = "en"
    course = CourseFactory()
    client.force_login(course.instructor.user)
    change = reverse("admin:courses_course_change", args=[course.pk])
    data = form_data(client.get(change))
    data["cover"] = SimpleUploadedFile("cover.png", b"<html><script>alert(1)</script>", "image/png")
    response = client.post(change, data, HTTP_ACCEPT_LANGUAGE="en")
    assert form_errors(response) == {"cover": {"invalid_image"}}
    assert "“cover.png” is not a valid PNG image." in response.content.decode()
    assert not Course.objects.get(pk=course.pk).cover


def test_the_admins_file_input_accepts_only_images(client):
    course = CourseFactory()
    client.force_login(course.instructor.user)
    page = client.get(reverse("admin:courses_course_change", args=[course.pk])).content.decode()
    assert re.search(r'<input type="file" name="cover" accept="[^"]*image/svg\+xml', page)


# Serving media ----------------------------------------------------------------------------------


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    for name, data in [
        ("covers/courses/a.svg", image_clean(name="a.svg", data=HOSTILE_SVG)),
        ("covers/courses/b.png", png_bytes()),
        ("avatars/c.jpg", png_bytes(fmt="JPEG")),
        (
            "avatars/王老师.svg",
            image_clean(name="a.svg", data=avatar_svg(name="王", colour="#333333").encode()),
        ),
        ("covers/courses/notes.txt", b"<script>alert(1)</script>"),
        ("recommender/v1/user_items.npz", b"the learners' interactions"),
    ]:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return tmp_path


def test_media_are_served_with_a_safe_type_nosniff_and_a_sandbox(client, media):
    for path, content_type in [
        ("covers/courses/b.png", "image/png"),
        ("avatars/c.jpg", "image/jpeg"),
        ("covers/courses/a.svg", "image/svg+xml"),
        ("covers/courses/notes.txt", "application/octet-stream"),
    ]:
        response = client.get(f"/media/{path}")
        assert response.status_code == 200, path
        assert response["Content-Type"] == content_type
        assert response["X-Content-Type-Options"] == "nosniff"
        policy = response["Content-Security-Policy"]
        assert "sandbox" in policy and "default-src 'none'" in policy and "script" not in policy
        download = response.get("Content-Disposition", "").startswith("attachment")
        assert download == (content_type not in ("image/png", "image/jpeg")), path


def test_an_svg_is_a_download_when_opened_on_its_own(client, media):
    response = client.get("/media/covers/courses/a.svg")
    assert response["Content-Disposition"] == 'attachment; filename="a.svg"'
    response = client.get("/media/avatars/%E7%8E%8B%E8%80%81%E5%B8%88.svg")
    assert (
        response["Content-Disposition"]
        == "attachment; filename*=utf-8''%E7%8E%8B%E8%80%81%E5%B8%88.svg"
    )


@pytest.mark.parametrize(
    "path",
    [
        "recommender/v1/user_items.npz",
        "covers/../recommender/v1/user_items.npz",
        "covers/courses/missing.png",
        "../../etc/passwd",
    ],
)
def test_only_public_uploads_are_served(client, media, path):
    assert client.get(f"/media/{path}").status_code == 404
