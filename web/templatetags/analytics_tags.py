"""The dashboard's released counts: a number, or "<N" where it was suppressed."""

from functools import lru_cache

from django import template
from django.utils.html import format_html
from django.utils.translation import get_language
from django.utils.translation import gettext as _

register = template.Library()


@lru_cache(maxsize=64)
def _suppressed(below, language: str | None):
    """The muted "<below" with its explanation, made once per threshold and language (a page
    shows hundreds)."""
    return format_html(
        '<span class="suppressed" title="{}">&lt;{}</span>',
        _("Fewer than %(below)s, or not released") % {"below": below},
        below,
    )


@register.filter
def released(value, below):
    """``value`` as released, or a muted "<below" with its explanation when it is ``None``."""
    if value is None:
        return _suppressed(below, get_language())
    return value
