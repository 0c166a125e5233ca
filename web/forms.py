"""Forms of the site's pages: they parse and validate input, nothing more; the rules are in the
services the forms' data goes to."""

import uuid

from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.encoding import uri_to_iri
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.services import account_sign_up, account_sign_up_problems
from commerce.cart import MAX_QUANTITY
from commerce.models import SHIPPING_FIELDS, DeliveryAddress
from courses.models import Course, Lesson, MediaAsset, ShortVideo, Tag
from courses.search import KINDS
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

SORT_CHOICES = [
    ("relevance", _("Relevance")),
    ("newest", _("Newest")),
    ("popular", _("Most popular")),
    ("price", _("Price: low to high")),
    ("-price", _("Price: high to low")),
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
    sort = forms.CharField(label=_("Sort by"), max_length=20, required=False)
    sort_choices = SORT_CHOICES

    def clean_sort(self) -> str:
        """The order of search results: relevance unless a known sort is asked for."""
        sort = self.cleaned_data.get("sort")
        return sort if sort in dict(SORT_CHOICES) else "relevance"

    def sort_choice(self, item_type: str = "course") -> str:
        """The sort asked for, if ``item_type`` offers it (no price for live sessions and
        short videos), else relevance."""
        data = self.cleaned_data if self.is_valid() else {}
        sort = data.get("sort") or "relevance"
        return sort if sort in KINDS[item_type].sorts else "relevance"

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
    quantity = forms.IntegerField(
        label=_("Quantity"), min_value=1, max_value=MAX_QUANTITY, initial=1, required=False
    )

    def clean_quantity(self):
        return self.cleaned_data["quantity"] or 1


def _items_text(items: list[tuple[str, int, int]]) -> str:
    return ",".join(f"{kind}:{pk}:{qty}" for kind, pk, qty in items)


class CheckoutItemsForm(forms.Form):
    """What a checkout buys: ``items`` lists ``kind:id:quantity`` entries separated by commas,
    ``live`` is the live session bought from (its flash prices apply). The confirmation page
    (``web:checkout`` by GET) reads these from its address."""

    items = forms.CharField(widget=forms.HiddenInput, max_length=2000)
    live = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)
    from_cart = forms.BooleanField(widget=forms.HiddenInput, required=False)
    coupon = forms.CharField(
        label=_("Coupon code"), widget=forms.HiddenInput, required=False, max_length=32
    )

    @staticmethod
    def confirm_url(
        items: list[tuple[str, int, int]], *, live_id=None, from_cart=False, back="", coupon=""
    ) -> str:
        """The confirmation page of a checkout of ``items``: the price and, for physical
        products, where to deliver them, before anything is charged; ``back`` is the page to
        return to (``next``)."""
        query = {"items": _items_text(items)}
        if live_id:
            query["live"] = live_id
        if from_cart:
            query["from_cart"] = "1"
        if coupon:
            query["coupon"] = coupon
        if back:
            query["next"] = uri_to_iri(back)
        return f"{reverse('web:checkout')}?{urlencode(query)}"

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


class CheckoutForm(CheckoutItemsForm):
    """A checkout: what to buy and the idempotency key chosen when the page was shown. The key
    travels in the form, so a double-submitted or retried checkout places one order."""

    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)

    @classmethod
    def for_items(
        cls, items: list[tuple[str, int, int]], *, live_id=None, from_cart=False, coupon=""
    ):
        return cls(
            auto_id=False,
            initial={
                "idempotency_key": uuid.uuid4(),
                "items": _items_text(items),
                "live": live_id,
                "from_cart": from_cart,
                "coupon": coupon,
            },
        )


class CouponForm(CheckoutItemsForm):
    """The confirmation page's "apply a coupon" form: what is bought, and the code typed in
    (sent by GET to the confirmation page, which quotes the order with it)."""

    coupon = forms.CharField(
        label=_("Coupon code"),
        required=False,
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )


class BundleBuyForm(forms.Form):
    """Buying a bundle: the idempotency key chosen when the page was shown."""

    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)

    @classmethod
    def fresh(cls):
        return cls(auto_id=False, initial={"idempotency_key": uuid.uuid4()})


class DeliveryAddressForm(forms.ModelForm):
    """A delivery address's fields, checked by the model's own rules; ``commerce.services``
    saves them (``address_create``, ``address_update``)."""

    class Meta:
        model = DeliveryAddress
        fields = ["recipient", "phone", "region", "street", "postal_code", "is_default"]
        widgets = {
            "recipient": forms.TextInput(attrs={"autocomplete": "name"}),
            "phone": forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
            "region": forms.TextInput(attrs={"autocomplete": "address-level1"}),
            "street": forms.TextInput(attrs={"autocomplete": "street-address"}),
            "postal_code": forms.TextInput(
                attrs={"autocomplete": "postal-code", "inputmode": "numeric"}
            ),
        }


class ShippingForm(forms.Form):
    """Where a checkout's physical products go: one of the learner's saved addresses (its id),
    or ``NEW`` with the fields of a new address (a ``DeliveryAddressForm`` prefixed "new", saved
    to their address book as the order is placed)."""

    NEW = "new"

    address = forms.ChoiceField(label=_("Deliver to"), widget=forms.RadioSelect)

    def __init__(self, data=None, *, addresses, **kwargs):
        super().__init__(data, **kwargs)
        self.addresses = list(addresses)
        self.fields["address"].choices = [(str(a.pk), str(a)) for a in self.addresses] + [
            (self.NEW, _("A new address"))
        ]
        self.fields["address"].initial = str(self.addresses[0].pk) if self.addresses else self.NEW
        self.new = DeliveryAddressForm(data, prefix="new")

    @property
    def chosen(self) -> str:
        return str(self["address"].value())

    def is_valid(self) -> bool:
        valid = super().is_valid()
        if valid and self.cleaned_data["address"] == self.NEW:
            return self.new.is_valid()
        return valid

    def address_arguments(self) -> dict:
        """What ``order_checkout`` takes for the chosen address (once the form is valid)."""
        if self.cleaned_data["address"] != self.NEW:
            return {"address_id": int(self.cleaned_data["address"])}
        fields = {name: self.new.cleaned_data[name] for name in SHIPPING_FIELDS}
        return {"new_address": fields | {"is_default": self.new.cleaned_data["is_default"]}}


class ProgressForm(forms.Form):
    """What the lesson player reports: where the learner is and how long the video is (the
    lesson's own duration decides when it is known: ``lesson_progress_record``)."""

    position_seconds = forms.IntegerField(min_value=0, max_value=7 * 24 * 3600)
    duration_seconds = forms.IntegerField(min_value=0, max_value=7 * 24 * 3600, required=False)


class SignUpForm(forms.Form):
    """The web sign-up: what ``account_sign_up`` needs, and the password typed twice."""

    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        help_text=_("150 characters or fewer. Letters, digits and @/./+/-/_ only."),
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    email = forms.EmailField(
        label=_("Email"), help_text=_("For order receipts and live reminders.")
    )
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Password confirmation"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Enter the same password as before, for verification."),
    )

    def clean(self):
        data = super().clean()
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two password fields didn’t match."))
        if all(data.get(name) for name in ("username", "email", "password1")):
            self._add_service_errors(
                account_sign_up_problems(
                    username=data["username"], email=data["email"], password=data["password1"]
                )
            )
        return data

    def _add_service_errors(self, errors: dict) -> None:
        for field, messages in errors.items():
            name = "password1" if field == "password" else field
            self.add_error(name if name in self.fields else None, messages)

    def save(self):
        """Create the account through ``account_sign_up`` (which checks again: another sign-up
        may have taken the name meanwhile). None, with the errors on the form, when refused."""
        try:
            return account_sign_up(
                username=self.cleaned_data["username"],
                email=self.cleaned_data["email"],
                password=self.cleaned_data["password1"],
            )
        except ValidationError as error:
            self._add_service_errors(error.message_dict)
            return None


class InterestsForm(forms.Form):
    tags = forms.ModelMultipleChoiceField(
        label=_("Your interests"),
        queryset=Tag.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Pick at least one topic, or skip this step.")},
    )

    def __init__(self, *args, tag_choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        if tag_choices is not None:
            self.fields["tags"].queryset = Tag.objects.filter(pk__in=[t.pk for t in tag_choices])


class PasswordConfirmForm(forms.Form):
    """Asks for the current password before an irreversible action (deleting the account)."""

    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("The password is not correct."))
        return password


class StudioVideoForm(forms.ModelForm):
    """A new video file: its title; the file itself is sent in chunks from its page."""

    class Meta:
        model = MediaAsset
        fields = ["title"]


class StudioAttachForm(forms.Form):
    """Which of the instructor's own video lessons and short videos play a file."""

    lessons = forms.ModelMultipleChoiceField(
        label=_("Lessons"),
        queryset=Lesson.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    short_videos = forms.ModelMultipleChoiceField(
        label=_("Short videos"),
        queryset=ShortVideo.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lessons"].queryset = (
            Lesson.objects.owned_by(user)
            .filter(kind=Lesson.Kind.VIDEO)
            .select_related("course", "media")
            .order_by("course__title", "position", "id")
        )
        self.fields["lessons"].label_from_instance = lambda lesson: (
            f"{lesson.course.title} · {lesson.title}"
        )
        self.fields["short_videos"].queryset = (
            ShortVideo.objects.owned_by(user).select_related("media").order_by("-id")
        )


class ReviewForm(forms.Form):
    """A learner's review of a course: the rules are ``social.services``'; a refusal there is
    put on the field it names."""

    rating = forms.TypedChoiceField(
        label=_("Your rating"),
        choices=[(n, "★" * n) for n in range(5, 0, -1)],
        coerce=int,
        widget=forms.RadioSelect(attrs={"class": "stars-input"}),
    )
    text = forms.CharField(
        label=_("Your review"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(
            attrs={"rows": 3, "placeholder": _("What did you learn? Who is it for?")}
        ),
    )

    def add_service_error(self, error: ValidationError) -> None:
        """The service's refusal, on the field it names (above the form for any other)."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for field, errors in error.error_dict.items():
            self.add_error(field if field in self.fields else None, errors)


class ReviewReplyForm(forms.Form):
    reply = forms.CharField(
        label=_("Your reply"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class CommentForm(forms.Form):
    text = forms.CharField(
        label=_("Comment"),
        max_length=500,
        widget=forms.TextInput(attrs={"placeholder": _("Say something nice…")}),
    )
    parent_id = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)


class AnalyticsPeriodForm(forms.Form):
    """The dashboard's period: from ``start`` to ``end``, both days included (default: the last
    30 days); compared with as many days just before it."""

    MAX_DAYS = 366
    DEFAULT_DAYS = 30

    start = forms.DateField(label=_("From"), required=False)
    end = forms.DateField(label=_("To"), required=False)

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if start > end:
                self.add_error("end", _("The end comes before the start."))
            elif (end - start).days + 1 > self.MAX_DAYS:
                self.add_error("start", _("A period is at most a year."))
        return data

    def period(self, today):
        """The chosen period, or the default one when nothing valid was chosen."""
        from datetime import timedelta

        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        end = data.get("end") or today
        start = data.get("start") or end - timedelta(days=self.DEFAULT_DAYS - 1)
        return start, end


class FlashPriceForm(forms.Form):
    """A flash price the instructor starts now, from their room page (courses.shelf)."""

    price = forms.DecimalField(
        label=_("Flash price (CNY)"), min_value=0, max_digits=10, decimal_places=2
    )
    minutes = forms.IntegerField(label=_("Minutes"), min_value=1, max_value=180, initial=10)
