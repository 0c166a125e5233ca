"""Course search: its strict query parameters, results with highlights, and suggestions."""

from django.urls import reverse
from rest_framework import serializers

from api.v1.serializers import Serializer
from api.v1.serializers.catalog import CourseListSerializer
from courses.search import MAX_QUERY_LENGTH, SORTS


class SearchQuerySerializer(Serializer):
    q = serializers.CharField(
        max_length=MAX_QUERY_LENGTH,
        help_text="What to look for, in Chinese, English or both; typos are corrected.",
    )
    sort = serializers.ChoiceField(
        choices=list(SORTS),
        default="relevance",
        help_text="relevance (best first), newest, popular (most enrolled), price (lowest "
        "first) or -price (highest first).",
    )
    page = serializers.IntegerField(min_value=1, max_value=1000, default=1)
    page_size = serializers.IntegerField(min_value=1, max_value=50, default=12)


class SuggestionQuerySerializer(Serializer):
    q = serializers.CharField(max_length=MAX_QUERY_LENGTH, help_text="What has been typed so far.")
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


class SearchHitSerializer(Serializer):
    course = CourseListSerializer()
    relevance = serializers.FloatField(help_text="Higher is more relevant; 0 or more.")
    highlight = HighlightSerializer(source="*")


class SearchPageSerializer(Serializer):
    query = serializers.CharField()
    sort = serializers.ChoiceField(choices=list(SORTS))
    count = serializers.IntegerField(help_text="How many courses match.")
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
        help_text="False when no course has every word and courses with any are listed."
    )
    results = SearchHitSerializer(source="hits", many=True)


class SuggestionSerializer(Serializer):
    text = serializers.CharField()
    kind = serializers.ChoiceField(choices=["course", "term"])
    course_id = serializers.IntegerField(allow_null=True)
    url = serializers.CharField(allow_null=True, help_text="The course's page on the site.")

    def to_representation(self, suggestion):
        course = suggestion.course
        return {
            "text": suggestion.text,
            "kind": "course" if course else "term",
            "course_id": course.pk if course else None,
            "url": reverse("web:course", args=[course.slug]) if course else None,
        }


class SuggestionListSerializer(Serializer):
    query = serializers.CharField()
    suggestions = SuggestionSerializer(many=True)
