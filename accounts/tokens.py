"""The apps' refresh tokens (simplejwt, with its blacklist): rotated exactly once, revoked at once.

``refresh_token_rotate`` trades a refresh token for a new pair and blacklists the one used.
simplejwt's own rotation checks the blacklist, then blacklists with ``get_or_create``, so
requests racing with one token each find it not yet blacklisted and each get a new pair: a stolen
token replayed at the same moment as the owner's refresh would work too. Here the blacklist row
is inserted under its unique constraint in the rotation's transaction: one request inserts it,
every other one fails on it (waiting for the first to commit) and is refused as a used token.

``refresh_tokens_revoke_all`` blacklists every refresh token of an account that is still
outstanding: on a password change and before an account is deleted. Both lock the account's row
first, so a rotation and a revocation of the same account happen one after the other, and no
token minted by a rotation escapes a revocation running at the same moment.
"""

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.utils import datetime_from_epoch


def _lock_account(user_id):
    """The account, its row locked until the transaction ends; None if there is none."""
    User = get_user_model()
    return User.objects.select_for_update().filter(**{api_settings.USER_ID_FIELD: user_id}).first()


@transaction.atomic
def refresh_token_rotate(*, refresh: str) -> dict[str, str]:
    """A new ``{"access", "refresh"}`` pair for ``refresh``, which is blacklisted: this works
    once per token, however many requests send it at once. Raises simplejwt's ``TokenError``
    for a bad, expired, blacklisted or already used token, and for an account that is deleted or
    may no longer sign in."""
    token = RefreshToken(refresh)  # the signature, expiry and blacklist
    user = _lock_account(token.payload.get(api_settings.USER_ID_CLAIM))
    if user is None or not api_settings.USER_AUTHENTICATION_RULE(user):
        raise TokenError(_("No active account found for the given token."))
    jti = token.payload[api_settings.JTI_CLAIM]
    used, _created = OutstandingToken.objects.get_or_create(
        jti=jti,
        defaults={
            "user": user,
            "created_at": token.current_time,
            "token": refresh,
            "expires_at": datetime_from_epoch(token.payload["exp"]),
        },
    )
    try:
        with transaction.atomic():
            BlacklistedToken.objects.create(token=used)
    except IntegrityError:  # another request used it first
        raise TokenError(_("Token is blacklisted")) from None
    access = str(token.access_token)
    token.set_jti()
    token.set_exp()
    token.set_iat()
    token.outstand()
    return {"access": access, "refresh": str(token)}


@transaction.atomic
def refresh_tokens_revoke_all(*, user) -> int:
    """Blacklist every refresh token of ``user`` that has not expired nor been blacklisted;
    how many. Access tokens already issued stay valid until they expire (minutes)."""
    _lock_account(user.pk)
    outstanding = OutstandingToken.objects.filter(
        user=user, expires_at__gt=timezone.now(), blacklistedtoken__isnull=True
    )
    revoked = BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in outstanding], ignore_conflicts=True
    )
    return len(revoked)
