"""Account writes: sign-up and profile edits, the one place their rules live.

The web sign-up form, the API's sign-up and the admin all end here, so they refuse the same
inputs with the same messages: a username or e-mail address is taken whatever its case
(``LEARNER0001`` beside ``learner0001`` is refused; e-mail addresses are stored lower-cased),
an e-mail address is required (receipts and live reminders go there), and passwords pass
``AUTH_PASSWORD_VALIDATORS``. The database holds the same uniqueness rules
(``accounts.models.User``), so racing sign-ups cannot both win.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.versions import learner_changed

User = get_user_model()


def _username_taken() -> ValidationError:
    return ValidationError(_("A user with that username already exists."), code="unique")


def _email_taken() -> ValidationError:
    return ValidationError(_("An account with this email already exists."), code="unique")


def _check_unique(*, username: str | None, email: str | None, exclude_pk=None) -> dict:
    others = User.objects.exclude(pk=exclude_pk) if exclude_pk else User.objects.all()
    errors = {}
    if username is not None and others.filter(username__iexact=username).exists():
        errors["username"] = [_username_taken()]
    if email and others.filter(email__iexact=email).exists():
        errors["email"] = [_email_taken()]
    return errors


def _normalised(username: str, email: str) -> tuple[str, str]:
    return username.strip(), email.strip().lower()


def account_sign_up_problems(*, username: str, password: str, email: str) -> dict[str, list]:
    """What is wrong with these sign-up details, by field ("username", "email", "password");
    empty when they would be accepted. Forms call it to show every problem at once."""
    username, email = _normalised(username, email)
    user = User(username=username, email=email)
    errors: dict[str, list] = {}
    try:
        user.full_clean(exclude=["password"], validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        errors.update(error.message_dict)
    if not email and "email" not in errors:
        errors["email"] = [_("This field is required.")]
    for field, found in _check_unique(username=username, email=email).items():
        errors.setdefault(field, []).extend(error.messages[0] for error in found)
    try:
        validate_password(password, user)
    except ValidationError as error:
        errors["password"] = error.messages
    return errors


@transaction.atomic
def account_sign_up(*, username: str, password: str, email: str):
    """Create a learner account, or raise a ``ValidationError`` naming each field at fault."""
    if errors := account_sign_up_problems(username=username, password=password, email=email):
        raise ValidationError(errors)
    username, email = _normalised(username, email)
    user = User(username=username, email=email)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:  # a racing sign-up took the name or the address meanwhile
        raise ValidationError(
            _check_unique(username=username, email=email) or {"username": [_username_taken()]}
        ) from None
    return user


def account_update(*, user, **fields: str):
    """Change the learner's e-mail address or name (``email``, ``first_name``, ``last_name``)."""
    allowed = {"email", "first_name", "last_name"}
    if unknown := set(fields) - allowed:
        raise TypeError(f"Cannot change {sorted(unknown)}.")
    if "email" in fields:
        fields["email"] = fields["email"].strip().lower()
        if errors := _check_unique(username=None, email=fields["email"], exclude_pk=user.pk):
            raise ValidationError(errors)
    for name, value in fields.items():
        setattr(user, name, value)
    user.full_clean(exclude=["password"], validate_unique=False, validate_constraints=False)
    user.save(update_fields=[*fields])
    learner_changed(user)
    return user
