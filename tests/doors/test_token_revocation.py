"""A new password, or a deleted account, revokes every refresh token of the account, whichever
door changed it: the apps signed in with the old password must sign in again."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from tests.api.conftest import client_for
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token/"
REFRESH = "/api/v1/auth/token/refresh/"
NEW_PASSWORD = "a-brand-new-passphrase"


def refresh_tokens(user, count=2) -> list[str]:
    """``count`` refresh tokens of ``user``, as signed-in apps hold them."""
    api = client_for(None)
    tokens = []
    for _ in range(count):
        response = api.post(TOKEN, {"username": user.username, "password": PASSWORD})
        assert response.status_code == 200, response.content
        tokens.append(response.json()["refresh"])
    return tokens


def refresh_statuses(tokens: list[str]) -> list[int]:
    api = client_for(None)
    return [api.post(REFRESH, {"refresh": token}).status_code for token in tokens]


def test_staff_setting_a_learners_password_in_the_admin_revokes_their_tokens(client):
    learner = UserFactory()
    tokens = refresh_tokens(learner)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.post(
        reverse("admin:auth_user_password_change", args=[learner.pk]),
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert refresh_statuses(tokens) == [401, 401]


def test_staff_disabling_password_sign_in_in_the_admin_revokes_the_tokens(client):
    learner = UserFactory()
    tokens = refresh_tokens(learner, 1)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    client.post(
        reverse("admin:auth_user_password_change", args=[learner.pk]),
        {"usable_password": "false", "unset-password": "1"},
    )
    assert not get_user_model().objects.get(pk=learner.pk).has_usable_password()
    assert refresh_statuses(tokens) == [401]


def test_changing_ones_own_password_in_the_admin_revokes_ones_tokens(client):
    staff = UserFactory(is_staff=True)
    tokens = refresh_tokens(staff)
    client.force_login(staff)
    response = client.post(
        reverse("admin:password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert refresh_statuses(tokens) == [401, 401]
    assert client.get(reverse("admin:index")).status_code == 200  # this session carries on


def test_a_password_set_anywhere_else_revokes_the_tokens_too():
    learner = UserFactory()
    tokens = refresh_tokens(learner)
    learner.set_password(NEW_PASSWORD)  # as manage.py changepassword does
    learner.save()
    assert refresh_statuses(tokens) == [401, 401]
    fresh = client_for(None).post(TOKEN, {"username": learner.username, "password": NEW_PASSWORD})
    assert refresh_statuses([fresh.json()["refresh"]]) == [200]


def test_saving_an_account_without_a_new_password_keeps_its_tokens():
    learner = UserFactory()
    tokens = refresh_tokens(learner)
    learner.first_name = "小明"
    learner.save()
    assert refresh_statuses(tokens) == [200, 200]


def test_upgrading_a_passwords_hash_at_sign_in_is_not_a_password_change(settings):
    learner = UserFactory()  # hashed with MD5, the tests' only hasher
    (token,) = refresh_tokens(learner, 1)
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    refresh_tokens(learner, 1)  # signs in, and Django hashes the password again with PBKDF2
    assert get_user_model().objects.get(pk=learner.pk).password.startswith("pbkdf2_")
    assert refresh_statuses([token]) == [200]


def test_deleting_the_account_through_the_api_revokes_its_tokens_and_refresh_is_401():
    learner = UserFactory()
    tokens = refresh_tokens(learner)
    response = client_for(learner).post("/api/v1/me/delete/", {"password": PASSWORD})
    assert response.status_code == 204
    assert not OutstandingToken.objects.filter(blacklistedtoken__isnull=True).exists()
    assert refresh_statuses(tokens) == [401, 401]


def test_deleting_the_account_on_the_web_revokes_its_tokens(client):
    learner = UserFactory()
    tokens = refresh_tokens(learner)
    client.force_login(learner)
    client.post(reverse("web:account_delete"), {"password": PASSWORD})
    assert not get_user_model().objects.filter(pk=learner.pk).exists()
    assert refresh_statuses(tokens) == [401, 401]
