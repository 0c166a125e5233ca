"""Sign-up, sign-in (JWT), refresh, sign-out, and the signed-in learner's own data.

Apps authenticate with JWT: a short-lived access token checked without a database read (so any
number of web processes can verify it) and a refresh token that is rotated on every use and
blacklisted, so signing out really revokes it. The site's own scripts use the session cookie,
with CSRF enforced.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.serializers import TokenBlacklistSerializer
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from accounts.services import account_update
from api.v1.serializers.accounts import (
    AccountDeleteSerializer,
    HistoryClearedSerializer,
    InterestsDeclareSerializer,
    InterestTagSerializer,
    MeSerializer,
    MeUpdateSerializer,
    PersonalizationSerializer,
    SignedUpSerializer,
    SignInSerializer,
    SignOutSerializer,
    SignUpSerializer,
    TokenRefreshSerializer,
)
from privacy.services import account_delete, data_export, history_clear
from recommendations.services.profiles import (
    interest_tag_delete,
    interest_tags_for,
    interests_declare,
    learner_sign_up,
    personalization_enabled_for,
    personalization_set,
)


@extend_schema(tags=["auth"])
class SignUpView(APIView):
    permission_classes = [AllowAny]
    throttle_scope = "auth"

    @extend_schema(
        summary="Create a learner account",
        description="Returns the account and a token pair, so the app is signed in at once.",
        request=SignUpSerializer,
        responses={201: SignedUpSerializer},
    )
    def post(self, request: Request) -> Response:
        data = SignUpSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = learner_sign_up(**data.validated_data)
        refresh = RefreshToken.for_user(user)
        body = {"user": user, "access": str(refresh.access_token), "refresh": str(refresh)}
        return Response(SignedUpSerializer(body).data, status=status.HTTP_201_CREATED)


@extend_schema(
    tags=["auth"],
    summary="Sign in: a token pair for a username and password",
    description=(
        "Failed sign-ins are limited per account and per client address: past the limit, "
        "sign-ins answer 429 with `Retry-After` until the window closes."
    ),
)
class SignInView(TokenObtainPairView):
    serializer_class = SignInSerializer
    throttle_scope = "auth"


@extend_schema(
    tags=["auth"],
    summary="A new token pair for a refresh token",
    description=(
        "The refresh token sent is revoked: use the new one next time. A token works once: "
        "of several requests sending it at once, one gets the new pair and the others 401."
    ),
)
class TokenRefreshRotatingView(TokenRefreshView):
    serializer_class = TokenRefreshSerializer
    throttle_scope = "auth"


@extend_schema(tags=["auth"])
class SignOutView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Sign out: revoke the refresh token",
        description="The access token stays valid until it expires (minutes).",
        request=SignOutSerializer,
        responses={204: None},
    )
    def post(self, request: Request) -> Response:
        try:
            TokenBlacklistSerializer(data=request.data).is_valid(raise_exception=True)
        except TokenError as error:
            raise InvalidToken(error.args[0]) from error
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["me"])
class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="Your account", responses=MeSerializer)
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(request.user).data)

    @extend_schema(
        summary="Change your e-mail address or name",
        request=MeUpdateSerializer,
        responses=MeSerializer,
    )
    def patch(self, request: Request) -> Response:
        data = MeUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        return Response(MeSerializer(account_update(user=request.user, **data.validated_data)).data)


@extend_schema(tags=["me"])
class InterestListView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="The interest tags used to recommend to you",
        description="Declared by you or derived from your activity; delete any of them.",
        responses=InterestTagSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        return Response(InterestTagSerializer(interest_tags_for(user=request.user), many=True).data)

    @extend_schema(
        summary="Declare interest tags",
        request=InterestsDeclareSerializer,
        responses=InterestTagSerializer(many=True),
    )
    def post(self, request: Request) -> Response:
        data = InterestsDeclareSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rows = interests_declare(user=request.user, tags=data.validated_data["tag_ids"])
        return Response(InterestTagSerializer(rows, many=True).data)


@extend_schema(tags=["me"])
class InterestDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Delete an interest tag from your profile",
        description="It is not derived again from your activity; declaring it brings it back.",
        responses={204: None},
    )
    def delete(self, request: Request, tag_id: int) -> Response:
        if not interest_tag_delete(user=request.user, tag_id=tag_id):
            raise NotFound("That tag is not on your profile.")
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["me"])
class PersonalizationView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Whether recommendations are personalised", responses=PersonalizationSerializer
    )
    def get(self, request: Request) -> Response:
        return Response({"enabled": personalization_enabled_for(request.user)})

    @extend_schema(
        summary="Switch personalisation on or off (at once)",
        request=PersonalizationSerializer,
        responses=PersonalizationSerializer,
    )
    def put(self, request: Request) -> Response:
        data = PersonalizationSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        profile = personalization_set(user=request.user, enabled=data.validated_data["enabled"])
        return Response({"enabled": profile.personalization_enabled})


@extend_schema(tags=["me"])
class DataExportView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Export everything stored about you (JSON)",
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request) -> Response:
        return Response(data_export(user=request.user))


@extend_schema(tags=["me"])
class HistoryView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Clear your history",
        description="Deletes your events and derived interests; declared tags stay.",
        responses={200: HistoryClearedSerializer},
    )
    def delete(self, request: Request) -> Response:
        return Response({"events_deleted": history_clear(user=request.user)})


@extend_schema(tags=["me"])
class AccountDeleteView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Delete your account",
        description=(
            "Confirm with your password. Everything about you is deleted; orders stay, "
            "anonymised, for the accounts."
        ),
        request=AccountDeleteSerializer,
        responses={204: None},
    )
    def post(self, request: Request) -> Response:
        AccountDeleteSerializer(data=request.data, context={"request": request}).is_valid(
            raise_exception=True
        )
        account_delete(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
