"""Query-string filters of the catalog lists (django-filter), documented in the schema."""

import django_filters
from django.db.models import Q

from courses.models import Course, LiveSession, Product, ShortVideo

PRICE_CHOICES = [("free", "Free"), ("paid", "Paid")]


class _TaggedFilterSet(django_filters.FilterSet):
    tag = django_filters.NumberFilter(field_name="tags", help_text="A tag id.")
    instructor = django_filters.NumberFilter(field_name="instructor", help_text="An instructor id.")


class CourseFilter(_TaggedFilterSet):
    category = django_filters.NumberFilter(
        method="filter_category",
        help_text="A category id; a top-level category includes its sub-categories.",
    )
    price = django_filters.ChoiceFilter(choices=PRICE_CHOICES, method="filter_price")
    level = django_filters.ChoiceFilter(choices=Course.Level.choices)
    language = django_filters.ChoiceFilter(choices=Course.Language.choices)

    class Meta:
        model = Course
        fields = ["category", "tag", "instructor", "price", "level", "language"]

    def filter_category(self, queryset, name, value):
        return queryset.filter(Q(category_id=value) | Q(category__parent_id=value))

    def filter_price(self, queryset, name, value):
        return queryset.filter(price=0) if value == "free" else queryset.filter(price__gt=0)


class LiveSessionFilter(_TaggedFilterSet):
    status = django_filters.ChoiceFilter(
        choices=[c for c in LiveSession.Status.choices if c[0] != LiveSession.Status.CANCELLED]
    )
    course = django_filters.NumberFilter(field_name="course")

    class Meta:
        model = LiveSession
        fields = ["status", "tag", "instructor", "course"]


class ShortVideoFilter(_TaggedFilterSet):
    course = django_filters.NumberFilter(field_name="course")

    class Meta:
        model = ShortVideo
        fields = ["tag", "instructor", "course"]


class ProductFilter(_TaggedFilterSet):
    kind = django_filters.ChoiceFilter(choices=Product.Kind.choices)
    in_stock = django_filters.BooleanFilter(method="filter_in_stock")
    price = django_filters.ChoiceFilter(choices=PRICE_CHOICES, method="filter_price")

    class Meta:
        model = Product
        fields = ["tag", "instructor", "kind", "in_stock", "price"]

    def filter_in_stock(self, queryset, name, value):
        return queryset.filter(stock__gt=0) if value else queryset.filter(stock=0)

    def filter_price(self, queryset, name, value):
        return queryset.filter(price=0) if value == "free" else queryset.filter(price__gt=0)
