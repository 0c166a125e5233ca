"""A live's room for the apps: its messages (newest first) and posting, questions, answers,
deletions, mutes and likes. Every write calls the service the WebSocket calls, so what is posted
here reaches every viewer in the room at once."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.permissions import IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.v1.serializers.liveroom import (
    AnswerSerializer,
    LikedSerializer,
    LikeSerializer,
    MessageCreateSerializer,
    MessageSerializer,
    MuteSerializer,
)
from liveroom import selectors, services
from liveroom.models import Message


@extend_schema(tags=["live rooms"])
class MessageListCreateView(generics.ListAPIView):
    permission_classes = [IsAuthenticatedOrReadOnly]
    serializer_class = MessageSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema's generation
            return Message.objects.none()
        live = services.room_get(live_session_id=self.kwargs["pk"])
        return selectors.room_messages(live_session=live)

    @extend_schema(summary="A live room's messages, newest first")
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Post a message (chat or danmaku, optionally a question) to a live room",
        description=(
            "Refused with a 400 naming `text` when it is empty, too long, holds a blocked word, "
            "comes too fast or the live has ended; 403 when the learner is muted in this room."
        ),
        request=MessageCreateSerializer,
        responses={201: MessageSerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        data = MessageCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        message = services.message_post(
            user=request.user,
            live_session=services.room_get(live_session_id=pk),
            **data.validated_data,
        )
        return Response(MessageSerializer(message).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["live rooms"])
class MessageDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="Delete a message from your live's room", responses={204: None})
    def delete(self, request: Request, pk: int, message_id: int) -> Response:
        services.message_delete(user=request.user, message_id=message_id, live_session_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["live rooms"])
class MessageQuestionView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Mark your own message as a question for the instructor",
        request=None,
        responses={200: MessageSerializer},
    )
    def post(self, request: Request, pk: int, message_id: int) -> Response:
        message = services.message_mark_question(
            user=request.user, message_id=message_id, live_session_id=pk
        )
        return Response(MessageSerializer(message).data)


@extend_schema(tags=["live rooms"])
class MessageAnswerView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Answer a question in your live's room (pinned unless `pin` is false)",
        request=AnswerSerializer,
        responses={200: MessageSerializer},
    )
    def post(self, request: Request, pk: int, message_id: int) -> Response:
        data = AnswerSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        message = services.message_answer(
            user=request.user, message_id=message_id, live_session_id=pk, **data.validated_data
        )
        return Response(MessageSerializer(message).data)


@extend_schema(tags=["live rooms"])
class MuteCreateView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Mute a learner in your live's room",
        request=MuteSerializer,
        responses={201: MuteSerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        data = MuteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.room_mute(
            user=request.user,
            live_session=services.room_get(live_session_id=pk),
            learner_id=data.validated_data["user_id"],
        )
        return Response(data.validated_data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["live rooms"])
class MuteDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="Unmute a learner in your live's room", responses={204: None})
    def delete(self, request: Request, pk: int, user_id: int) -> Response:
        services.room_unmute(
            user=request.user,
            live_session=services.room_get(live_session_id=pk),
            learner_id=user_id,
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["live rooms"])
class LikeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Like a live (taps batched: `count`, at most 20 counted per request)",
        request=LikeSerializer,
        responses={200: LikedSerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        data = LikeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        live = services.room_get(live_session_id=pk)
        counted = services.room_like(
            user=request.user, live_session=live, count=data.validated_data["count"]
        )
        likes = selectors.room_like_count(live_session_id=live.pk)
        return Response({"counted": counted, "likes": likes})
