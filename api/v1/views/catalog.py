"""The public catalog (read-only): published courses, visible live sessions, published short
videos, products on sale, categories, tags and instructors, with items related to each."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import filters, generics
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from api.v1.filters import CourseFilter, LiveSessionFilter, ProductFilter, ShortVideoFilter
from api.v1.serializers.catalog import (
    CategoryTreeSerializer,
    CourseDetailSerializer,
    CourseListSerializer,
    InstructorSerializer,
    LiveSessionDetailSerializer,
    LiveSessionListSerializer,
    ProductDetailSerializer,
    ProductListSerializer,
    ShortVideoSerializer,
    TagSerializer,
)
from api.v1.serializers.recommendations import (
    RecommendationListSerializer,
    RelatedQuerySerializer,
    VideoFeedPageSerializer,
    VideoFeedQuerySerializer,
)
from commerce.selectors import course_detail_for
from courses.selectors import (
    catalog_item_get,
    category_tree,
    course_list_for_catalog,
    instructor_list_public,
    live_session_detail,
    live_session_list_visible,
    product_list_on_sale,
    short_video_list_published,
    tag_list,
)
from recommendations.services.feed import InvalidFeedCursor, video_feed_page
from recommendations.services.related import bought_together_for, similar_items_for
from social.selectors import videos_liked_by


class CatalogListView(generics.ListAPIView):
    """A public, searchable (``search`` in titles), orderable, cursor-paginated list."""

    permission_classes = [AllowAny]
    filter_backends = [
        *generics.ListAPIView.filter_backends,
        filters.SearchFilter,
        filters.OrderingFilter,
    ]
    search_fields = ["title"]


@extend_schema(tags=["catalog"], summary="Published courses")
class CourseListView(CatalogListView):
    serializer_class = CourseListSerializer
    filterset_class = CourseFilter
    ordering_fields = ["published_at", "price", "title"]
    ordering = ["-published_at"]

    def get_queryset(self):
        return course_list_for_catalog()


@extend_schema(tags=["catalog"], summary="A published course with its chapters and lessons")
class CourseDetailView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses=CourseDetailSerializer)
    def get(self, request: Request, pk: int) -> Response:
        detail = course_detail_for(user=request.user, course_id=pk)
        context = {
            "request": request,
            "enrolled": detail.enrolled,
            "playable_lesson_ids": detail.playable_lesson_ids,
        }
        return Response(CourseDetailSerializer(detail.course, context=context).data)


@extend_schema(tags=["catalog"], summary="Live sessions (scheduled, live now, ended)")
class LiveSessionListView(CatalogListView):
    serializer_class = LiveSessionListSerializer
    filterset_class = LiveSessionFilter
    ordering_fields = ["scheduled_start"]
    ordering = ["-scheduled_start"]

    def get_queryset(self):
        return live_session_list_visible()


@extend_schema(tags=["catalog"], summary="A live session with its current product shelf")
class LiveSessionDetailView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses=LiveSessionDetailSerializer)
    def get(self, request: Request, pk: int) -> Response:
        detail = live_session_detail(live_session_id=pk)
        context = {"request": request, "shelf": detail.shelf}
        return Response(LiveSessionDetailSerializer(detail.live_session, context=context).data)


@extend_schema(tags=["catalog"], summary="Published short videos")
class ShortVideoListView(CatalogListView):
    serializer_class = ShortVideoSerializer
    filterset_class = ShortVideoFilter
    ordering_fields = ["published_at"]
    ordering = ["-published_at"]

    def get_queryset(self):
        return short_video_list_published()


class VideoFeedView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        tags=["catalog"],
        summary="The short-video feed",
        description=(
            "The feed the site's video page shows, page after page until every published video "
            "was served once. For a signed-in learner with personalisation on it starts with "
            "the videos picked for them (each with its `reason`), then the others newest first; "
            "for everyone else newest first. Each video says whether the signed-in learner "
            "`liked` it (false for anonymous visitors). Follow `next` (forward only): a video "
            "published meanwhile never shifts the pages. An invalid cursor is a 404."
        ),
        parameters=[VideoFeedQuerySerializer],
        responses=VideoFeedPageSerializer,
    )
    def get(self, request: Request) -> Response:
        query = VideoFeedQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        try:
            page = video_feed_page(
                user=request.user,
                cursor=query.validated_data["cursor"],
                size=query.validated_data["page_size"],
            )
        except InvalidFeedCursor:
            raise NotFound("Invalid cursor") from None
        following = None
        if page.next_cursor:
            following = replace_query_param(
                request.build_absolute_uri(), "cursor", page.next_cursor
            )
        answer = {
            "next": following,
            "personalised": page.personalised,
            "request_id": page.request_id,
            "results": page.videos,
        }
        liked = videos_liked_by(user=request.user, video_ids=[v.pk for v in page.videos])
        context = {"request": request, "liked_video_ids": liked}
        return Response(VideoFeedPageSerializer(answer, context=context).data)


@extend_schema(tags=["catalog"], summary="A published short video")
class ShortVideoDetailView(generics.RetrieveAPIView):
    permission_classes = [AllowAny]
    serializer_class = ShortVideoSerializer

    def get_queryset(self):
        return short_video_list_published()


@extend_schema(tags=["catalog"], summary="Products on sale")
class ProductListView(CatalogListView):
    serializer_class = ProductListSerializer
    filterset_class = ProductFilter
    ordering_fields = ["created_at", "price", "title"]
    ordering = ["-created_at"]

    def get_queryset(self):
        return product_list_on_sale()


@extend_schema(tags=["catalog"], summary="A product on sale")
class ProductDetailView(generics.RetrieveAPIView):
    permission_classes = [AllowAny]
    serializer_class = ProductDetailSerializer

    def get_queryset(self):
        return product_list_on_sale()


@extend_schema(tags=["catalog"], summary="Categories: top-level ones with their sub-categories")
class CategoryListView(generics.ListAPIView):
    permission_classes = [AllowAny]
    serializer_class = CategoryTreeSerializer
    pagination_class = None

    def get_queryset(self):
        return category_tree()


@extend_schema(tags=["catalog"], summary="Tags")
class TagListView(generics.ListAPIView):
    permission_classes = [AllowAny]
    serializer_class = TagSerializer
    filter_backends = [filters.OrderingFilter]
    ordering_fields = ["name"]
    ordering = ["name"]

    def get_queryset(self):
        return tag_list()


@extend_schema(tags=["catalog"], summary="Instructors")
class InstructorListView(generics.ListAPIView):
    permission_classes = [AllowAny]
    serializer_class = InstructorSerializer
    filter_backends = [filters.OrderingFilter]
    ordering_fields = ["display_name"]
    ordering = ["display_name"]

    def get_queryset(self):
        return instructor_list_public()


@extend_schema(tags=["catalog"], summary="An instructor")
class InstructorDetailView(generics.RetrieveAPIView):
    permission_classes = [AllowAny]
    serializer_class = InstructorSerializer

    def get_queryset(self):
        return instructor_list_public()


class RelatedItemsView(APIView):
    """Items related to one visible item, the same for everyone (no personal data is read)."""

    permission_classes = [AllowAny]
    item_type: str = ""
    relation: str = ""

    @extend_schema(parameters=[RelatedQuerySerializer], responses=RecommendationListSerializer)
    def get(self, request: Request, pk: int) -> Response:
        query = RelatedQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        item = catalog_item_get(item_type=self.item_type, object_id=pk)
        related = bought_together_for if self.relation == "bought-together" else similar_items_for
        result = related(
            item_type=self.item_type, object_id=item.pk, k=query.validated_data["limit"]
        )
        return Response(RecommendationListSerializer(result, context={"request": request}).data)


def related_view(item_type: str, relation: str):
    """The view of ``/<type>s/{id}/similar/`` or ``/bought-together/``, documented per type."""
    summary = {
        "similar": f"Items similar to this {item_type}",
        "bought-together": f"Items bought together with this {item_type}",
    }[relation]
    view = type(
        f"{item_type.title()}{relation.title().replace('-', '')}View",
        (RelatedItemsView,),
        {"item_type": item_type, "relation": relation},
    )
    return extend_schema_view(get=extend_schema(tags=["recommendations"], summary=summary))(
        view
    ).as_view()
