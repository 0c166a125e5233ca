"""The dashboard's released counts: a number, or "<N" where it was suppressed."""

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def released(value, below):
    """``value`` as released, or a muted "<below" with its explanation when it is ``None``."""
    if value is None:
        return format_html(
            '<span class="suppressed" title="{}">&lt;{}</span>',
            _("Fewer than %(below)s, or not released") % {"below": below},
            below,
        )
    return value
