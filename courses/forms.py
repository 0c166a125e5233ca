"""Forms of the catalog and checkout pages: they parse and validate input, nothing more."""

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from courses.models import Course
from courses.selectors import CATALOG_TYPES

TYPE_CHOICES = [
    ("course", _("Courses")),
    ("live", _("Live sessions")),
    ("video", _("Short videos")),
    ("product", _("Products")),
]
PRICE_CHOICES = [
    ("", _("Any price")),
    ("free", _("Free")),
    ("paid", pgettext_lazy("price filter", "Paid")),
]


class BrowseForm(forms.Form):
    """The browse page's search box and filters (all optional; bad values are ignored)."""

    q = forms.CharField(label=_("Search"), max_length=100, required=False)
    type = forms.ChoiceField(label=_("Type"), choices=TYPE_CHOICES, required=False)
    category = forms.SlugField(label=_("Category"), required=False, allow_unicode=True)
    tag = forms.SlugField(label=_("Tag"), required=False, allow_unicode=True)
    price = forms.ChoiceField(label=_("Price"), choices=PRICE_CHOICES, required=False)
    level = forms.ChoiceField(
        label=_("Level"), choices=[("", _("Any level")), *Course.Level.choices], required=False
    )

    def filters(self) -> dict:
        data = self.cleaned_data if self.is_valid() else {}
        item_type = data.get("type") or "course"
        return {
            "item_type": item_type if item_type in CATALOG_TYPES else "course",
            "query": (data.get("q") or "").strip(),
            "category": data.get("category") or "",
            "tag": data.get("tag") or "",
            "price": data.get("price") or "",
            "level": data.get("level") or "",
        }


class CartAddForm(forms.Form):
    kind = forms.ChoiceField(choices=[("course", "course"), ("product", "product")])
    object_id = forms.IntegerField(min_value=1)
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=99, initial=1)


class CheckoutForm(forms.Form):
    """A checkout: what to buy and the idempotency key chosen when the page was shown.

    ``items`` lists ``kind:id:quantity`` entries separated by commas. The key travels in the
    form, so a double-submitted or retried checkout places one order.
    """

    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)
    items = forms.CharField(widget=forms.HiddenInput, max_length=2000)
    live = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)
    from_cart = forms.BooleanField(widget=forms.HiddenInput, required=False)

    @classmethod
    def for_items(cls, items: list[tuple[str, int, int]], *, live_id=None, from_cart=False):
        return cls(
            auto_id=False,
            initial={
                "idempotency_key": uuid.uuid4(),
                "items": ",".join(f"{kind}:{pk}:{qty}" for kind, pk, qty in items),
                "live": live_id,
                "from_cart": from_cart,
            },
        )

    def clean_items(self) -> list[tuple[str, int, int]]:
        parsed = []
        for entry in self.cleaned_data["items"].split(","):
            kind, _sep, rest = entry.partition(":")
            raw_id, _sep, raw_qty = rest.partition(":")
            if kind not in ("course", "product") or not raw_id.isdigit():
                raise forms.ValidationError(_("The checkout lists an unknown item."))
            quantity = int(raw_qty) if raw_qty.isdigit() else 1
            if not 1 <= quantity <= 99:
                raise forms.ValidationError(_("Quantities go from 1 to 99."))
            parsed.append((kind, int(raw_id), quantity))
        if not parsed:
            raise forms.ValidationError(_("Your cart is empty."))
        return parsed


class ProgressForm(forms.Form):
    """What the lesson player reports: where the learner is and how long the video is."""

    position_seconds = forms.IntegerField(min_value=0, max_value=7 * 24 * 3600)
    duration_seconds = forms.IntegerField(min_value=0, max_value=7 * 24 * 3600, required=False)
