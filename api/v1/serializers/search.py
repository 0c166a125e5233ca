"""Catalog search: its strict query parameters, results with highlights, and suggestions."""

from urllib.parse import urlencode

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.v1.serializers import Serializer
from api.v1.serializers.catalog import (
    CourseListSerializer,
    LiveSessionListSerializer,
    ProductListSerializer,
    ShortVideoSerializer,
)
from courses.search import KINDS, MAX_QUERY_LENGTH, SORTS

ITEM_TYPES = list(KINDS)


# A query never holds NUL (the database cannot store it, and a search event keeps the query):
# the schema says so, as ``api.v1.schema`` does for the text fields of request bodies.
NO_NUL = r"^[^\u0000]*$"


class SearchQuerySerializer(Serializer):
    q = serializers.RegexField(
        NO_NUL,
        max_length=MAX_QUERY_LENGTH,
        help_text="What to look for, in Chinese, English or both; typos are corrected.",
    )
    type = serializers.ChoiceField(
        choices=ITEM_TYPES,
        default="course",
        help_text="What to search: courses, live sessions, short videos or products.",
    )
    sort = serializers.ChoiceField(
        choices=list(SORTS),
        default="relevance",
        help_text="relevance (best first), newest (courses and videos by publication, live "
        "sessions by start, products by addition), popular (courses by enrolments, live "
        "sessions by reservations, videos by likes, products by sales), price (lowest first) "
        "or -price (highest first); the price sorts for courses and products only.",
    )
    page = serializers.IntegerField(min_value=1, max_value=1000, default=1)
    page_size = serializers.IntegerField(min_value=1, max_value=50, default=12)

    def validate(self, data):
        if data["sort"] not in KINDS[data["type"]].sorts:
            raise serializers.ValidationError(
                {"sort": f"{data['type']} results cannot be sorted by price."}
            )
        return data


class SuggestionQuerySerializer(Serializer):
    q = serializers.RegexField(
        NO_NUL, max_length=MAX_QUERY_LENGTH, help_text="What has been typed so far."
    )
    limit = serializers.IntegerField(min_value=1, max_value=10, default=8)


class HighlightSerializer(Serializer):
    title = serializers.CharField(
        source="title_html",
        help_text="The title as HTML: escaped, with the matched words in <mark> elements.",
    )
    snippet = serializers.CharField(
        source="snippet_html",
        help_text="A piece of the subtitle or description as HTML, escaped, words marked.",
    )


ITEM_SERIALIZERS = {
    "course": CourseListSerializer,
    "live": LiveSessionListSerializer,
    "video": ShortVideoSerializer,
    "product": ProductListSerializer,
}


class SearchHitSerializer(Serializer):
    """A result: ``type`` names which of ``course``, ``live``, ``video`` and ``product`` holds
    the item (in the representation of its type's list); the other three are null."""

    type = serializers.ChoiceField(choices=ITEM_TYPES, source="item_type")
    course = serializers.SerializerMethodField()
    live = serializers.SerializerMethodField()
    video = serializers.SerializerMethodField()
    product = serializers.SerializerMethodField()
    relevance = serializers.FloatField(help_text="Higher is more relevant; 0 or more.")
    highlight = HighlightSerializer(source="*")

    def _item(self, hit, item_type: str):
        if hit.item_type != item_type:
            return None
        return ITEM_SERIALIZERS[item_type](hit.item, context=self.context).data

    @extend_schema_field(CourseListSerializer(allow_null=True))
    def get_course(self, hit) -> dict | None:
        return self._item(hit, "course")

    @extend_schema_field(LiveSessionListSerializer(allow_null=True))
    def get_live(self, hit) -> dict | None:
        return self._item(hit, "live")

    @extend_schema_field(ShortVideoSerializer(allow_null=True))
    def get_video(self, hit) -> dict | None:
        return self._item(hit, "video")

    @extend_schema_field(ProductListSerializer(allow_null=True))
    def get_product(self, hit) -> dict | None:
        return self._item(hit, "product")


class SearchPageSerializer(Serializer):
    query = serializers.CharField()
    type = serializers.ChoiceField(choices=ITEM_TYPES, source="item_type")
    sort = serializers.ChoiceField(choices=list(SORTS))
    count = serializers.IntegerField(help_text="How many items match.")
    page = serializers.IntegerField(source="number", help_text="This page (the last if past it).")
    pages = serializers.IntegerField()
    page_size = serializers.IntegerField()
    corrected_query = serializers.CharField(
        source="corrected",
        allow_blank=True,
        help_text='The query with its typos corrected ("did you mean"); empty when none. '
        "Results for it are included.",
    )
    all_terms = serializers.BooleanField(
        help_text="False when no item has every word and items with any are listed."
    )
    results = SearchHitSerializer(source="hits", many=True)


def item_url(item_type: str, item) -> str:
    """An item's page on the site (a short video opens the feed at it)."""
    if item_type == "video":
        return f"{reverse('web:videos')}?{urlencode({'v': item.slug})}"
    return reverse(f"web:{item_type}", args=[item.slug])


class SuggestionSerializer(Serializer):
    text = serializers.CharField()
    kind = serializers.ChoiceField(
        choices=[*ITEM_TYPES, "term"],
        help_text="An item's title (course, live, video, product) or a word to search for.",
    )
    object_id = serializers.IntegerField(allow_null=True, help_text="The item's id, if one.")
    course_id = serializers.IntegerField(allow_null=True, help_text="The course's id, if one.")
    url = serializers.CharField(allow_null=True, help_text="The item's page on the site.")

    def to_representation(self, suggestion):
        item = suggestion.item
        return {
            "text": suggestion.text,
            "kind": suggestion.item_type if item else "term",
            "object_id": item.pk if item else None,
            "course_id": item.pk if item and suggestion.item_type == "course" else None,
            "url": item_url(suggestion.item_type, item) if item else None,
        }


class SuggestionListSerializer(Serializer):
    query = serializers.CharField()
    suggestions = SuggestionSerializer(many=True)
