from datetime import timedelta

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from config.constraints import ConstraintErrorsOnFields

# A sign-in this soon after joining is the one that comes with signing up.
SIGN_UP_SIGN_IN = timedelta(minutes=5)


class User(ConstraintErrorsOnFields, AbstractUser):
    """The site's account. A custom model from the first migration, so it can grow later.

    Usernames and e-mail addresses are unique whatever their case; ``accounts.services`` checks
    the same rules with a message per field before the database would refuse.
    """

    constraint_error_fields = {"username_taken": "username", "email_taken": "email"}

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        constraints = [
            models.UniqueConstraint(
                Lower("username"),
                name="user_username_unique_ci",
                violation_error_code="username_taken",
                violation_error_message=_("A user with that username already exists."),
            ),
            models.UniqueConstraint(
                Lower("email"),
                condition=~models.Q(email=""),
                name="user_email_unique_ci",
                violation_error_code="email_taken",
                violation_error_message=_("An account with this email already exists."),
            ),
        ]

    @property
    def is_first_visit(self) -> bool:
        """Whether the account has not signed in again since it signed up: its first visit
        goes on (the home page greets it as new rather than welcoming it back)."""
        return self.last_login is None or self.last_login - self.date_joined < SIGN_UP_SIGN_IN
