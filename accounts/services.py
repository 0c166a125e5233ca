"""Account writes: sign-up and profile edits, for the API and the site alike.

Both validate with the model's ``full_clean`` and Django's password validators, like every
service.
"""

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from recommendations.services.profiles import interests_declare

User = get_user_model()


@transaction.atomic
def account_sign_up(
    *, username: str, password: str, email: str = "", interest_tag_ids: Iterable[int] = ()
):
    """Create a learner account (password checked by ``AUTH_PASSWORD_VALIDATORS``) and declare
    the interest tags they picked."""
    user = User(username=username, email=email)
    user.full_clean(exclude=["password"])
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise ValidationError({"password": error.messages}) from None
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise ValidationError(
            {"username": "A user with that username already exists."}, code="unique"
        ) from None
    tag_ids = list(interest_tag_ids)
    if tag_ids:
        try:
            interests_declare(user=user, tags=tag_ids)
        except ValidationError as error:
            raise ValidationError({"interest_tag_ids": error.messages}) from None
    return user


def account_update(*, user, **fields: str):
    """Change the learner's e-mail address or name (``email``, ``first_name``, ``last_name``)."""
    allowed = {"email", "first_name", "last_name"}
    if unknown := set(fields) - allowed:
        raise TypeError(f"Cannot change {sorted(unknown)}.")
    for name, value in fields.items():
        setattr(user, name, value)
    user.full_clean(exclude=["password"])
    user.save(update_fields=[*fields])
    return user
