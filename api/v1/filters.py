"""Query-string filters of the catalog lists (django-filter), documented in the schema."""

import django_filters
from django import forms
from django.db.models import Q
from drf_spectacular.utils import extend_schema_field

from courses.models import Course, LiveSession, Product, ShortVideo

PRICE_CHOICES = [("free", "Free"), ("paid", "Paid")]


def _by_price(queryset, name, value):
    return queryset.filter(price=0) if value == "free" else queryset.filter(price__gt=0)


@extend_schema_field({"type": "string", "enum": [value for value, _label in PRICE_CHOICES]})
class PriceFilter(django_filters.ChoiceFilter):
    """``free`` or ``paid`` (its schema is these two names, not the model's decimal price)."""

    def __init__(self, **kwargs):
        super().__init__(choices=PRICE_CHOICES, method=_by_price, **kwargs)


class IdFilter(django_filters.NumberFilter):
    """A row id: a whole number (django-filter's number filter also takes 0.5, matching none)."""

    field_class = forms.IntegerField


class TrueFalseField(forms.Field):
    """``true`` or ``false`` (the schema's boolean in a query string); anything else is refused
    (django-filter's own boolean field quietly ignores what it cannot read)."""

    def to_python(self, value):
        if value in (None, ""):
            return None
        if value in ("true", "false"):
            return value == "true"
        raise forms.ValidationError("Give true or false.", code="invalid")


class TrueFalseFilter(django_filters.BooleanFilter):
    field_class = TrueFalseField


class _TaggedFilterSet(django_filters.FilterSet):
    """The catalog lists' filters; a parameter given with no value is refused, not ignored."""

    def is_valid(self):
        valid = super().is_valid()
        for name in self.filters:
            if self.data.get(name) == "":
                self.form.add_error(name, "Give a value, or leave the parameter out.")
                valid = False
        return valid

    tag = IdFilter(field_name="tags", help_text="A tag id.")
    instructor = IdFilter(field_name="instructor", help_text="An instructor id.")


class CourseFilter(_TaggedFilterSet):
    category = IdFilter(
        method="filter_category",
        help_text="A category id; a top-level category includes its sub-categories.",
    )
    price = PriceFilter()
    level = django_filters.ChoiceFilter(choices=Course.Level.choices)
    language = django_filters.ChoiceFilter(choices=Course.Language.choices)

    class Meta:
        model = Course
        fields = ["category", "tag", "instructor", "price", "level", "language"]

    def filter_category(self, queryset, name, value):
        return queryset.filter(Q(category_id=value) | Q(category__parent_id=value))


class LiveSessionFilter(_TaggedFilterSet):
    status = django_filters.ChoiceFilter(
        choices=[c for c in LiveSession.Status.choices if c[0] != LiveSession.Status.CANCELLED]
    )
    course = IdFilter(field_name="course")

    class Meta:
        model = LiveSession
        fields = ["status", "tag", "instructor", "course"]


class ShortVideoFilter(_TaggedFilterSet):
    course = IdFilter(field_name="course")

    class Meta:
        model = ShortVideo
        fields = ["tag", "instructor", "course"]


class ProductFilter(_TaggedFilterSet):
    kind = django_filters.ChoiceFilter(choices=Product.Kind.choices)
    in_stock = TrueFalseFilter(method="filter_in_stock")
    price = PriceFilter()

    class Meta:
        model = Product
        fields = ["tag", "instructor", "kind", "in_stock", "price"]

    def filter_in_stock(self, queryset, name, value):
        return queryset.filter(stock__gt=0) if value else queryset.filter(stock=0)
