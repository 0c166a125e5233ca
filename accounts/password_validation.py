"""The site's own password rule, beside Django's (``AUTH_PASSWORD_VALIDATORS``): a password needs
enough different characters.

Length alone lets ``aaaaaaaaaaaa`` or ``abababababab`` through, and neither is in the list of
common passwords; both fall to the first guesses of any cracker. Letters count once whatever
their case.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import ngettext


class CharacterVarietyValidator:
    def __init__(self, min_unique: int = 5):
        self.min_unique = min_unique

    def validate(self, password: str, user=None) -> None:
        if len(set(password.casefold())) < self.min_unique:
            raise ValidationError(
                self.get_error_message(),
                code="password_too_few_different_characters",
                params={"min_unique": self.min_unique},
            )

    def get_error_message(self) -> str:
        return ngettext(
            "This password has too few different characters. It must contain at least "
            "%(min_unique)d different character.",
            "This password has too few different characters. It must contain at least "
            "%(min_unique)d different characters.",
            self.min_unique,
        )

    def get_help_text(self) -> str:
        return ngettext(
            "Your password must contain at least %(min_unique)d different character.",
            "Your password must contain at least %(min_unique)d different characters.",
            self.min_unique,
        ) % {"min_unique": self.min_unique}
