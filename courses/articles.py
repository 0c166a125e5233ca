"""Article lessons: their HTML kept to a safe allowlist (nh3), their reading time, and the
images instructors upload for them (resized before they are stored).

``article_clean`` runs whenever an article lesson is saved (``Lesson.save``), so every door — the
admin, the services, the demo — stores only sanitised HTML:

- kept: headings, paragraphs, lists, emphasis, links, code and preformatted text, quotes,
  tables and images;
- links keep ``http``, ``https`` and ``mailto`` addresses and get ``rel="noopener nofollow"``;
- an image stays only when its address is one of this site's uploaded article images
  (``MEDIA_URL`` + ``articles/``); anything else (``<script>``, ``on*`` handlers, ``style``,
  ``javascript:`` addresses, images from elsewhere) is removed.
"""

import io
import re

import nh3
from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.html import strip_tags
from PIL import Image

from courses.images import image_clean

TAGS = {
    "h2", "h3", "h4", "p", "br", "hr", "ul", "ol", "li", "strong", "em", "b", "i", "u", "s",
    "sub", "sup", "a", "img", "code", "pre", "blockquote", "table", "thead", "tbody", "tr",
    "th", "td", "caption", "figure", "figcaption",
}  # fmt: skip
ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height"},
    "th": {"colspan", "rowspan", "scope"},
    "td": {"colspan", "rowspan"},
    "ol": {"start"},
}
URL_SCHEMES = {"http", "https", "mailto"}
CONTENT_DROPPED = {"script", "style"}
IMAGE_FOLDER = "articles/"
MAX_IMAGE_WIDTH = 1280
READING_CHARACTERS_PER_MINUTE = 400  # Chinese text; a Latin word counts as about two characters
IMG_WITHOUT_SRC = re.compile(r"<img(?![^>]*\ssrc=)[^>]*>")


def _image_prefixes() -> tuple[str, ...]:
    media = settings.MEDIA_URL if settings.MEDIA_URL.startswith("/") else f"/{settings.MEDIA_URL}"
    return (f"{media}{IMAGE_FOLDER}",)


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src":
        path = value.strip()
        if not path.startswith(_image_prefixes()) or ".." in path or "//" in path[1:]:
            return None
    return value


def article_clean(html: str) -> str:
    """``html`` with only the allowed markup, links made safe, foreign images removed."""
    cleaned = nh3.clean(
        html or "",
        tags=TAGS,
        clean_content_tags=CONTENT_DROPPED,
        attributes=ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener nofollow",
        attribute_filter=_attribute_filter,
        strip_comments=True,
    )
    return IMG_WITHOUT_SRC.sub("", cleaned).strip()


def article_reading_seconds(html: str) -> int:
    """How long reading the article takes, in seconds (its duration: progress is the share of
    this time the learner has scrolled through)."""
    text = re.sub(r"\s+", "", strip_tags(html or ""))
    return max(30, round(len(text) * 60 / READING_CHARACTERS_PER_MINUTE)) if text else 0


def article_image_resize(*, name: str, data: bytes) -> bytes:
    """A raster image at most ``MAX_IMAGE_WIDTH`` wide (same format; an SVG is kept as it is).
    ``data`` has already passed ``courses.images.image_clean``."""
    if name.lower().endswith(".svg"):
        return data
    with Image.open(io.BytesIO(data)) as image:
        if image.width <= MAX_IMAGE_WIDTH:
            return data
        image_format = image.format
        height = max(1, round(image.height * MAX_IMAGE_WIDTH / image.width))
        resized = image.resize((MAX_IMAGE_WIDTH, height), Image.Resampling.LANCZOS)
        if image_format == "JPEG" and resized.mode not in ("RGB", "L"):
            resized = resized.convert("RGB")
        out = io.BytesIO()
        resized.save(out, format=image_format, **({"quality": 85} if image_format != "PNG" else {}))
    return out.getvalue()


def resized_upload(file) -> ContentFile:
    """What to store for an uploaded article image (a file object): checked and made safe like
    every uploaded image (``image_clean``), then resized."""
    file.seek(0)
    data = image_clean(name=file.name, data=file.read())
    return ContentFile(article_image_resize(name=file.name, data=data))
