"""Uploaded images (covers and avatars): checked by their content and made safe before they are
stored, so that no stored upload can carry script.

Every door stores an upload through ``ImageUploadField``: a form (the admin's, any other) runs its
validator and shows what is wrong with the file, and saving a row sanitises the new file whether
or not a form checked it first.

- **PNG, JPEG, WebP** must decode (Pillow) as the format their extension names, within a size
  and pixel budget; their bytes are kept as uploaded. A file that only pretends to be an image is
  refused.
- **SVG** is filtered by svg-hush (py-svg-hush), which keeps a list of known-safe SVG elements
  and attributes: scripts, event handlers, foreign content, links and CSS imports go. A second
  pass keeps only references inside the document (``#id``) and embedded raster images, so the
  stored file needs nothing from anywhere else, and refuses a file that is not an SVG image.

The demo's covers are drawn by the project (``demo/covers.py``) and stored directly; they pass
this filter unchanged in what they show (a test keeps it so). Media are also served with a safe
content type, ``nosniff`` and a sandboxing policy (``config/media.py``).
"""

import io
import re
import warnings
import xml.etree.ElementTree as ET

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.validators import FileExtensionValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError
from py_svg_hush import filter_svg

RASTER_FORMATS = {"png": "PNG", "jpg": "JPEG", "jpeg": "JPEG", "webp": "WEBP"}
IMAGE_EXTENSIONS = ["svg", *RASTER_FORMATS]
MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 8000 x 5000 image; larger is a decompression bomb here
LABELS = {"PNG": "PNG", "JPEG": "JPEG", "WEBP": "WebP"}
ACCEPT = ".svg,.png,.jpg,.jpeg,.webp,image/svg+xml,image/png,image/jpeg,image/webp"

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
HREF_ATTRIBUTES = {"href", f"{{{XLINK_NS}}}href"}
# Written back as plain SVG (ElementTree's prefixes are process-wide; these are the usual ones).
ET.register_namespace("", SVG_NS)
ET.register_namespace("xlink", XLINK_NS)
# Raster images an SVG may embed as data: URLs (never SVG or HTML: they could hold script).
EMBEDDED_IMAGE_TYPES = {"image": ["png", "jpeg", "gif", "webp"]}
EMBEDDED_IMAGE = re.compile(r"^data:image/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/=\s]*$")
# A CSS reference to anything but an element of the same document, an import, an address.
OUTSIDE_REFERENCE = re.compile(r"url\(\s*(?!['\"]?\s*#)|@import|expression\(|://", re.IGNORECASE)
SCRIPT_URL = re.compile(r"(java|vb)\s*script\s*:", re.IGNORECASE)

extension_validator = FileExtensionValidator(IMAGE_EXTENSIONS)


def _extension(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def _read(file) -> bytes:
    file.seek(0)
    data = file.read()
    file.seek(0)
    return data if isinstance(data, bytes) else data.encode()


def _not_valid(name: str, kind: str) -> ValidationError:
    return ValidationError(
        _("“%(name)s” is not a valid %(kind)s image."),
        code="invalid_image",
        params={"name": name.rsplit("/", 1)[-1], "kind": kind},
    )


def _check_raster(name: str, data: bytes, expected: str) -> None:
    label = LABELS[expected]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.format != expected:
                    raise _not_valid(name, label)
                if image.width * image.height > MAX_PIXELS:
                    raise _not_valid(name, label)
                image.verify()
            with Image.open(io.BytesIO(data)) as image:
                image.load()  # decodes every pixel: a truncated or corrupt file fails here
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise _not_valid(name, label) from None
    except Image.DecompressionBombWarning:
        raise _not_valid(name, label) from None


def _local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _keep_inside(root: ET.Element) -> None:
    """Drop whatever still points outside the document: links and references to other files,
    CSS that loads something, event handlers (svg-hush leaves none; checked again)."""
    pairs = [(parent, child) for parent in root.iter() for child in parent]  # before removing
    for parent, child in pairs:
        name = _local_name(child.tag)
        loads = name == "style" and OUTSIDE_REFERENCE.search(child.text or "")
        if name in ("script", "foreignObject") or loads:
            parent.remove(child)
    for element in root.iter():
        for attribute, value in list(element.attrib.items()):
            name = _local_name(attribute).lower()
            if name.startswith("on") or SCRIPT_URL.search(value):
                del element.attrib[attribute]
            elif attribute in HREF_ATTRIBUTES or name == "href":
                value = value.strip()
                if not (value.startswith("#") or EMBEDDED_IMAGE.match(value)):
                    del element.attrib[attribute]
            elif OUTSIDE_REFERENCE.search(value):
                del element.attrib[attribute]


def _clean_svg(name: str, data: bytes) -> bytes:
    try:
        filtered = filter_svg(data, keep_data_url_mime_types=EMBEDDED_IMAGE_TYPES)
        root = ET.fromstring(filtered)
    except (ValueError, ET.ParseError):
        raise _not_valid(name, "SVG") from None
    if root.tag != f"{{{SVG_NS}}}svg":
        raise _not_valid(name, "SVG")
    _keep_inside(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def image_clean(*, name: str, data: bytes) -> bytes:
    """The bytes to store for an uploaded image named ``name``: a raster image as it is, once
    it proved to be one; an SVG filtered. Raises ``ValidationError`` for anything else."""
    if len(data) > MAX_BYTES:
        raise ValidationError(
            _("An image may be at most %(megabytes)d MB."),
            code="image_too_large",
            params={"megabytes": MAX_BYTES // (1024 * 1024)},
        )
    extension_validator(ContentFile(b"", name=name))  # refuses other extensions, naming ours
    extension = _extension(name)
    if extension == "svg":
        return _clean_svg(name, data)
    _check_raster(name, data, RASTER_FORMATS[extension])
    return data


def validate_image_upload(value) -> None:
    """The form's check of an uploaded file (a file already stored is not read again)."""
    if not value or getattr(value, "_committed", True):
        return
    image_clean(name=value.name, data=_read(value.file))


class ImageUploadField(models.FileField):
    """A file field for uploaded images: an allowed extension and matching content (validators,
    run by forms), and a sanitised file stored on save, whichever door saves the row."""

    default_validators = [extension_validator, validate_image_upload]

    def pre_save(self, model_instance, add):
        file = getattr(model_instance, self.attname)
        if file and not file._committed:
            clean = image_clean(name=file.name, data=_read(file.file))
            file.save(file.name, ContentFile(clean), save=False)
        return super().pre_save(model_instance, add)

    def formfield(self, **kwargs):
        field = super().formfield(**kwargs)
        field.widget.attrs.setdefault("accept", ACCEPT)
        return field
