"""Reviews, comments and follows: what the apps send and get back."""

from rest_framework import serializers

from api.v1.serializers import ModelSerializer, Serializer
from social.models import REPLY_MAX_LENGTH, REVIEW_MAX_LENGTH, Review


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
