"""Reviews, comments and follows: what the apps send and get back."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.v1.serializers import IdField, ModelSerializer, Serializer
from social.models import (
    COMMENT_MAX_LENGTH,
    REPLY_MAX_LENGTH,
    REVIEW_MAX_LENGTH,
    Review,
    VideoComment,
)


class ReviewSerializer(ModelSerializer):
    author = serializers.SerializerMethodField()
    mine = serializers.SerializerMethodField()

    class Meta:
        model = Review
        fields = [
            "id",
            "course",
            "author",
            "mine",
            "rating",
            "text",
            "reply",
            "replied_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_author(self, review: Review) -> str:
        return review.user.get_username() if review.user_id else ""

    def get_mine(self, review: Review) -> bool:
        user = self.context["request"].user
        return user.is_authenticated and review.user_id == user.pk


class ReviewWriteSerializer(Serializer):
    rating = serializers.IntegerField(min_value=1, max_value=5)
    text = serializers.CharField(
        max_length=REVIEW_MAX_LENGTH, allow_blank=True, required=False, default=""
    )


class ReviewEditSerializer(Serializer):
    rating = serializers.IntegerField(min_value=1, max_value=5, required=False)
    text = serializers.CharField(max_length=REVIEW_MAX_LENGTH, allow_blank=True, required=False)


class ReviewReplySerializer(Serializer):
    reply = serializers.CharField(max_length=REPLY_MAX_LENGTH)


class LikeSerializer(Serializer):
    liked = serializers.BooleanField(read_only=True)
    like_count = serializers.IntegerField(read_only=True)


class ShareSerializer(Serializer):
    url = serializers.CharField(read_only=True, help_text="The video's link in the feed.")
    share_count = serializers.IntegerField(read_only=True)


class CommentReplySerializer(ModelSerializer):
    author = serializers.SerializerMethodField()

    class Meta:
        model = VideoComment
        fields = ["id", "parent", "author", "text", "created_at"]
        read_only_fields = fields

    def get_author(self, comment: VideoComment) -> str:
        return comment.user.get_username() if comment.user_id else ""


class CommentSerializer(CommentReplySerializer):
    """A top comment with its visible replies (a removed top comment keeps them, its text
    empty and ``removed`` true)."""

    text = serializers.SerializerMethodField()
    removed = serializers.BooleanField(source="is_hidden", read_only=True)
    replies = serializers.SerializerMethodField()

    class Meta(CommentReplySerializer.Meta):
        fields = ["id", "parent", "author", "text", "removed", "created_at", "replies"]
        read_only_fields = fields

    def get_text(self, comment: VideoComment) -> str:
        return "" if comment.is_hidden else comment.text

    def get_author(self, comment: VideoComment) -> str:
        return "" if comment.is_hidden else super().get_author(comment)

    @extend_schema_field(CommentReplySerializer(many=True))
    def get_replies(self, comment: VideoComment) -> list:
        replies = getattr(comment, "visible_replies", [])
        return CommentReplySerializer(replies, many=True).data


class CommentWriteSerializer(Serializer):
    text = serializers.CharField(max_length=COMMENT_MAX_LENGTH)
    parent = IdField(
        required=False,
        allow_null=True,
        help_text="The comment answered; a reply to a reply attaches to its top comment.",
    )


class FollowSerializer(Serializer):
    following = serializers.BooleanField(read_only=True)
    follower_count = serializers.IntegerField(read_only=True)
