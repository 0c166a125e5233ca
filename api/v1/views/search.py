"""Catalog search and the suggestions a search box offers while typing."""

from django.db.models import prefetch_related_objects
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.v1.serializers.search import (
    SearchPageSerializer,
    SearchQuerySerializer,
    SuggestionListSerializer,
    SuggestionQuerySerializer,
)
from courses.search import search_suggestions
from recommendations.services.search import catalog_search_for


class SearchView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        tags=["catalog"],
        summary="Search the catalog: courses, live sessions, short videos or products",
        description=(
            "One `type` at a time (courses by default), only what learners may see (published "
            "courses and videos, live sessions not cancelled, products on sale). Titles, tags, "
            "instructors, categories, descriptions and lesson (or linked course) titles, in "
            "Chinese and English, with typos corrected; by relevance (title before tags before "
            "description before the rest) or another `sort`, a page at a time, with the matched "
            "words marked. Ties in relevance follow a signed-in learner's recommendations of "
            "that type when personalisation is on. The first page of a search is recorded as a "
            "`search` feedback event."
        ),
        parameters=[SearchQuerySerializer],
        responses=SearchPageSerializer,
    )
    def get(self, request: Request) -> Response:
        query = SearchQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        result = catalog_search_for(
            user=request.user,
            visitor_id=getattr(request, "visitor_id", ""),
            query=data["q"],
            item_type=data["type"],
            sort=data["sort"],
            page=data["page"],
            page_size=data["page_size"],
            door="api",
        )
        # What each type's representation shows beside the item itself.
        related = {"video": ("tags", "products", "media"), "live": ("tags", "course")}
        items = [hit.item for hit in result.hits]
        prefetch_related_objects(items, *related.get(result.item_type, ("tags",)))
        return Response(SearchPageSerializer(result, context={"request": request}).data)


class SearchSuggestionsView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        tags=["catalog"],
        summary="Search suggestions while typing",
        description=(
            "Titles of the best items matching what was typed (its last word as a prefix): "
            "courses, and the best two live sessions, short videos and products; then words "
            "of the catalog completing it."
        ),
        parameters=[SuggestionQuerySerializer],
        responses=SuggestionListSerializer,
    )
    def get(self, request: Request) -> Response:
        query = SuggestionQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        found = search_suggestions(
            prefix=query.validated_data["q"], limit=query.validated_data["limit"]
        )
        payload = {"query": query.validated_data["q"], "suggestions": found}
        return Response(SuggestionListSerializer(payload).data)
