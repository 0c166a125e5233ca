"""Recommendations (the same service as the site's sections), trending lists and feedback."""

from django.contrib.auth.models import AnonymousUser
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.v1.serializers.events import EventBatchSerializer, IngestResultSerializer
from api.v1.serializers.recommendations import (
    RecommendationListSerializer,
    RecommendationQuerySerializer,
    TrendingQuerySerializer,
)
from recommendations.services.events import event_ingest_batch
from recommendations.services.serving import recommendations_for


class RecommendationsView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        tags=["recommendations"],
        summary="Recommended for you",
        description=(
            "Personalised for a signed-in learner with personalisation on; trending otherwise. "
            "Each item says why it is shown (`reason`). Send `request_id` back with the "
            "impression and click events of these items."
        ),
        parameters=[RecommendationQuerySerializer],
        responses=RecommendationListSerializer,
    )
    def get(self, request: Request) -> Response:
        query = RecommendationQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        result = recommendations_for(
            user=request.user,
            item_type=query.validated_data["type"],
            slot=query.validated_data["slot"],
            k=query.validated_data["limit"],
        )
        return Response(RecommendationListSerializer(result, context={"request": request}).data)


class TrendingView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        tags=["recommendations"],
        summary="Trending now",
        description="The same list for everyone: nothing about the person asking is read.",
        parameters=[TrendingQuerySerializer],
        responses=RecommendationListSerializer,
    )
    def get(self, request: Request) -> Response:
        query = TrendingQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        result = recommendations_for(
            user=AnonymousUser(),
            item_type=query.validated_data["type"],
            slot="trending",
            k=query.validated_data["limit"],
        )
        return Response(RecommendationListSerializer(result, context={"request": request}).data)


class EventBatchView(APIView):
    """Feedback events in batches of up to 500, signed in or as an anonymous visitor."""

    permission_classes = [AllowAny]
    throttle_scope = "events"

    @extend_schema(
        tags=["feedback"],
        summary="Record a batch of feedback events",
        description=(
            "Each event is validated on its own: valid ones are stored even when others are "
            "rejected. The answer lists the indexes stored, those already stored before "
            "(duplicates, by `client_event_id`) and those rejected with the field and reason. "
            "More than 500 events is a 400 naming `events`."
        ),
        request=EventBatchSerializer,
        responses=IngestResultSerializer,
        examples=[
            OpenApiExample(
                "A click on a recommended course",
                request_only=True,
                value={
                    "client": "ios",
                    "events": [
                        {
                            "client_event_id": "3f1c2d4e-5b6a-4c7d-8e9f-0a1b2c3d4e5f",
                            "type": "click",
                            "object_type": "course",
                            "object_id": 42,
                            "client_ts": "2026-11-29T09:30:00+08:00",
                            "page": "home",
                            "request_id": "9b2e8f1a-7c6d-4e5f-8a9b-0c1d2e3f4a5b",
                        }
                    ],
                },
            )
        ],
    )
    def post(self, request: Request) -> Response:
        batch = EventBatchSerializer(data=request.data, context={"request": request})
        batch.is_valid(raise_exception=True)
        result = event_ingest_batch(
            events=batch.validated_data["events"],
            client=batch.validated_data["client"],
            user=request.user,
            visitor_id=batch.validated_data.get("visitor_id", ""),
        )
        return Response(IngestResultSerializer(result).data)
