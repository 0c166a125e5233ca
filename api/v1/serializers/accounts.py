"""Sign-up, sign-in, sign-out and the signed-in learner's own data (the ``/me/`` endpoints)."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import update_last_login
from rest_framework import serializers
from rest_framework.exceptions import AuthenticationFailed, Throttled
from rest_framework_simplejwt.serializers import TokenObtainPairSerializer
from rest_framework_simplejwt.serializers import TokenRefreshSerializer as JWTRefreshSerializer
from rest_framework_simplejwt.settings import api_settings as jwt_settings

from accounts.signin import SignInLimited, account_authenticate
from accounts.tokens import refresh_token_rotate
from api.v1.serializers import IdField, ModelSerializer, Serializer
from api.v1.serializers.catalog import TagSerializer
from courses.selectors import instructor_for

User = get_user_model()


class MeSerializer(ModelSerializer):
    is_instructor = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "email", "first_name", "last_name", "is_instructor"]
        read_only_fields = ["id", "username"]

    def get_is_instructor(self, user) -> bool:
        return instructor_for(user) is not None


class MeUpdateSerializer(ModelSerializer):
    class Meta:
        model = User
        fields = ["email", "first_name", "last_name"]


class SignUpSerializer(Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(
        write_only=True, max_length=128, style={"input_type": "password"}
    )
    email = serializers.EmailField(
        max_length=254,
        allow_blank=True,
        help_text="Required: receipts and live reminders go there.",
    )
    interest_tag_ids = serializers.ListField(
        child=IdField(),
        required=False,
        default=list,
        max_length=50,
        help_text="Tags the learner is interested in (shown on their profile, deletable).",
    )


class SignInSerializer(TokenObtainPairSerializer):
    """simplejwt's sign-in through ``accounts.signin``, limited per account and per address
    like the site's: refused sign-ins answer 429 with ``Retry-After``."""

    def validate(self, attrs):
        try:
            self.user = account_authenticate(
                request=self.context["request"],
                username=attrs[self.username_field],
                password=attrs["password"],
            )
        except SignInLimited as refused:
            throttled = Throttled(detail=refused.message)
            throttled.wait = refused.retry_after
            raise throttled from None
        if not jwt_settings.USER_AUTHENTICATION_RULE(self.user):
            raise AuthenticationFailed(
                self.error_messages["no_active_account"], "no_active_account"
            )
        refresh = self.get_token(self.user)
        if jwt_settings.UPDATE_LAST_LOGIN:
            update_last_login(None, self.user)
        return {"refresh": str(refresh), "access": str(refresh.access_token)}


class TokenRefreshSerializer(JWTRefreshSerializer):
    """simplejwt's refresh through ``accounts.tokens.refresh_token_rotate``: a refresh token
    works once, even sent many times at once (its ``TokenError`` answers 401)."""

    def validate(self, attrs):
        return refresh_token_rotate(refresh=attrs["refresh"])


class SignedUpSerializer(Serializer):
    user = MeSerializer()
    access = serializers.CharField()
    refresh = serializers.CharField()


class SignOutSerializer(Serializer):
    refresh = serializers.CharField(help_text="The refresh token to revoke.")


class InterestTagSerializer(Serializer):
    tag = TagSerializer()
    declared = serializers.BooleanField(help_text="You chose it.")
    derived_weight = serializers.FloatField(
        help_text="0-1: how strongly your activity points to it (0 when only declared)."
    )


class InterestsDeclareSerializer(Serializer):
    tag_ids = serializers.ListField(child=IdField(), allow_empty=False, max_length=50)


class PersonalizationSerializer(Serializer):
    enabled = serializers.BooleanField(
        help_text="Personalised recommendations; off means trending lists only, at once."
    )


class AccountDeleteSerializer(Serializer):
    password = serializers.CharField(
        write_only=True, max_length=128, help_text="Your current password, to confirm."
    )

    def validate_password(self, password: str) -> str:
        if not self.context["request"].user.check_password(password):
            raise serializers.ValidationError("The password is not correct.", code="invalid")
        return password


class HistoryClearedSerializer(Serializer):
    events_deleted = serializers.IntegerField()
