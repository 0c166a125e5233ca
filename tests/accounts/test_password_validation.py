"""Passwords need ten characters, and enough different ones, besides Django's own rules."""

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from accounts.models import User
from accounts.password_validation import CharacterVarietyValidator


@pytest.mark.parametrize(
    "password",
    ["aaaaaaaaaaaa", "abababababab", "AaAaAaAaAaAaAa", "abcdabcdabcdabcd", "1212121212x"],
)
def test_too_few_different_characters_are_refused(password):
    with pytest.raises(ValidationError) as refused:
        validate_password(password)
    assert "password_too_few_different_characters" in [e.code for e in refused.value.error_list]


@pytest.mark.parametrize("password", ["a-long-pass-phrase-9", "mountain-river-42", "pass-word-123"])
def test_ordinary_passphrases_pass(password):
    validate_password(password, User(username="newcomer", email="newcomer@example.com"))


def test_nine_characters_are_too_short():
    with pytest.raises(ValidationError) as refused:
        validate_password("kx7#pq2!m")
    assert [e.code for e in refused.value.error_list] == ["password_too_short"]


def test_the_rule_explains_itself():
    validator = CharacterVarietyValidator(min_unique=5)
    assert validator.get_help_text() == (
        "Your password must contain at least 5 different characters."
    )
    validator.validate("abcde")
    with pytest.raises(ValidationError) as refused:
        validator.validate("abcd")
    assert refused.value.messages == [
        "This password has too few different characters. It must contain at least 5 different "
        "characters."
    ]
