"""Reviews of courses: read by anyone, written by enrolled learners, answered by the course's
instructor. Every write is one call of ``social.services``."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.v1.serializers.social import (
    ReviewEditSerializer,
    ReviewReplySerializer,
    ReviewSerializer,
    ReviewWriteSerializer,
)
from social.models import Review
from social.selectors import course_for_reviews, review_get, reviews_for_course
from social.services import review_create, review_reply, review_update


@extend_schema(tags=["reviews"])
class CourseReviewListView(generics.ListAPIView):
    """A course's reviews, newest first; enrolled learners add theirs."""

    permission_classes = [AllowAny]
    serializer_class = ReviewSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema's generator has no course
            return Review.objects.none()
        return reviews_for_course(course_id=course_for_reviews(course_id=self.kwargs["pk"]).pk)

    @extend_schema(summary="A course's reviews")
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Review a course you are enrolled in",
        description="One review per learner and course (a second is a 400 on `course`; edit "
        "the first with PATCH /reviews/{id}/). Only enrolled learners may review.",
        request=ReviewWriteSerializer,
        responses={201: ReviewSerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        if not request.user.is_authenticated:
            raise NotAuthenticated()
        course = course_for_reviews(course_id=pk)
        data = ReviewWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = review_create(user=request.user, course=course, **data.validated_data)
        return Response(
            ReviewSerializer(review, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


@extend_schema(tags=["reviews"])
class ReviewDetailView(APIView):
    """One review; its author changes it."""

    permission_classes = [IsAuthenticated]

    @extend_schema(summary="A review", responses=ReviewSerializer)
    def get(self, request: Request, pk: int) -> Response:
        review = review_get(review_id=pk)
        return Response(ReviewSerializer(review, context={"request": request}).data)

    def _update(self, request: Request, pk: int, *, partial: bool) -> Response:
        review_get(review_id=pk)  # 404 before any validation
        data = (ReviewEditSerializer if partial else ReviewWriteSerializer)(data=request.data)
        data.is_valid(raise_exception=True)
        review = review_update(user=request.user, review_id=pk, **data.validated_data)
        return Response(ReviewSerializer(review, context={"request": request}).data)

    @extend_schema(
        summary="Replace your review",
        description="Only its author may; the course's average follows.",
        request=ReviewWriteSerializer,
        responses=ReviewSerializer,
    )
    def put(self, request: Request, pk: int) -> Response:
        return self._update(request, pk, partial=False)

    @extend_schema(
        summary="Change your review's rating or text",
        description="Only its author may; the course's average follows.",
        request=ReviewEditSerializer,
        responses=ReviewSerializer,
    )
    def patch(self, request: Request, pk: int) -> Response:
        return self._update(request, pk, partial=True)


@extend_schema(tags=["reviews"])
class ReviewReplyView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Reply to a review of your course",
        description="Only the course's instructor, once (a second reply is a 400 on `reply`).",
        request=ReviewReplySerializer,
        responses={201: ReviewSerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        review_get(review_id=pk)
        data = ReviewReplySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = review_reply(user=request.user, review_id=pk, **data.validated_data)
        return Response(
            ReviewSerializer(review, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )
