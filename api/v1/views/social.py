"""Reviews of courses (read by anyone, written by enrolled learners, answered by the course's
instructor); likes, comments and shares of short videos. Every write is one call of
``social.services``."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.v1.serializers.social import (
    CommentSerializer,
    CommentWriteSerializer,
    FollowSerializer,
    LikeSerializer,
    ReviewEditSerializer,
    ReviewReplySerializer,
    ReviewSerializer,
    ReviewWriteSerializer,
    ShareSerializer,
)
from social.models import Review, VideoComment
from social.selectors import (
    comment_get,
    comments_for_video,
    course_for_reviews,
    instructor_for_follow,
    review_get,
    reviews_for_course,
    video_for_social,
)
from social.services import (
    comment_create,
    comment_remove,
    instructor_follow,
    instructor_unfollow,
    review_create,
    review_reply,
    review_update,
    video_like,
    video_share,
    video_unlike,
)


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


@extend_schema(tags=["videos"])
class VideoLikeView(APIView):
    """Like a short video (POST) or take the like back (DELETE); both idempotent."""

    permission_classes = [IsAuthenticated]

    @extend_schema(summary="Like a short video", request=None, responses=LikeSerializer)
    def post(self, request: Request, pk: int) -> Response:
        count = video_like(user=request.user, video=video_for_social(video_id=pk))
        return Response({"liked": True, "like_count": count})

    @extend_schema(summary="Take your like back", responses=LikeSerializer)
    def delete(self, request: Request, pk: int) -> Response:
        count = video_unlike(user=request.user, video=video_for_social(video_id=pk))
        return Response({"liked": False, "like_count": count})


@extend_schema(tags=["videos"])
class VideoShareView(APIView):
    """The video's share link; a signed-in learner's share is counted (once)."""

    permission_classes = [AllowAny]

    @extend_schema(summary="Share a short video", request=None, responses=ShareSerializer)
    def post(self, request: Request, pk: int) -> Response:
        link, count = video_share(user=request.user, video=video_for_social(video_id=pk))
        return Response({"url": request.build_absolute_uri(link), "share_count": count})


@extend_schema(tags=["videos"])
class VideoCommentListView(generics.ListAPIView):
    """A short video's top comments, newest first, each with its replies."""

    permission_classes = [AllowAny]
    serializer_class = CommentSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return VideoComment.objects.none()
        return comments_for_video(video_id=video_for_social(video_id=self.kwargs["pk"]).pk)

    @extend_schema(summary="A short video's comments")
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Comment on a short video, or reply to a comment",
        request=CommentWriteSerializer,
        responses={201: CommentSerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        if not request.user.is_authenticated:
            raise NotAuthenticated()
        video = video_for_social(video_id=pk)
        data = CommentWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        comment = comment_create(
            user=request.user,
            video=video,
            text=data.validated_data["text"],
            parent_id=data.validated_data.get("parent"),
        )
        return Response(CommentSerializer(comment).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["videos"])
class CommentDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Remove a comment",
        description="Its author, the video's instructor or staff; its replies stay.",
        responses={204: None},
    )
    def delete(self, request: Request, pk: int) -> Response:
        comment_remove(user=request.user, comment_id=comment_get(comment_id=pk).pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["catalog"])
class InstructorFollowView(APIView):
    """Follow an instructor (POST) or stop (DELETE); both idempotent. Their upcoming live
    sessions come first in your 即将开播, and you get a reminder when one is about to start."""

    permission_classes = [IsAuthenticated]

    @extend_schema(summary="Follow an instructor", request=None, responses=FollowSerializer)
    def post(self, request: Request, pk: int) -> Response:
        instructor = instructor_for_follow(instructor_id=pk)
        count = instructor_follow(user=request.user, instructor=instructor)
        return Response({"following": True, "follower_count": count})

    @extend_schema(summary="Stop following an instructor", responses=FollowSerializer)
    def delete(self, request: Request, pk: int) -> Response:
        instructor = instructor_for_follow(instructor_id=pk)
        count = instructor_unfollow(user=request.user, instructor=instructor)
        return Response({"following": False, "follower_count": count})
