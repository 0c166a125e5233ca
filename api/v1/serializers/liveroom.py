"""The live rooms' messages over REST (the same as the WebSocket's ``message`` events)."""

from django.conf import settings
from rest_framework import serializers

from api.v1.serializers import IdField, ModelSerializer, Serializer
from liveroom.models import Message


class MessageAuthorSerializer(Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class MessageSerializer(ModelSerializer):
    author = serializers.SerializerMethodField()
    answered_by = serializers.SerializerMethodField()

    class Meta:
        model = Message
        fields = [
            "id",
            "kind",
            "text",
            "author",
            "is_question",
            "answer",
            "answered_by",
            "answered_at",
            "is_pinned",
            "created_at",
        ]
        read_only_fields = fields

    def _name(self, user) -> str:
        return user.get_full_name() or user.username

    def get_author(self, message: Message) -> MessageAuthorSerializer:
        return {"id": message.author_id, "name": self._name(message.author)}

    def get_answered_by(self, message: Message) -> str | None:
        return self._name(message.answered_by) if message.answered_by else None


class MessageCreateSerializer(Serializer):
    # Longer texts are refused by the service, with its own message (LIVEROOM_MESSAGE_MAX_LENGTH).
    text = serializers.CharField(max_length=2000, allow_blank=True, trim_whitespace=False)
    kind = serializers.ChoiceField(choices=Message.Kind.choices, default=Message.Kind.CHAT)
    is_question = serializers.BooleanField(default=False)


class AnswerSerializer(Serializer):
    answer = serializers.CharField(
        max_length=settings.LIVEROOM_MESSAGE_MAX_LENGTH * 4, trim_whitespace=False
    )
    pin = serializers.BooleanField(default=True)


class MuteSerializer(Serializer):
    user_id = IdField()


class LikeSerializer(Serializer):
    count = serializers.IntegerField(min_value=1, max_value=1000, default=1)


class LikedSerializer(Serializer):
    counted = serializers.IntegerField()
    likes = serializers.IntegerField()
