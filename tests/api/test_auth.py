"""Signing up, in and out: JWT for the apps (rotating, revocable refresh tokens) and the session
cookie, with CSRF enforced, for the site's own scripts."""

import pytest
from django.middleware.csrf import _get_new_csrf_string
from rest_framework.test import APIClient

from recommendations.models import InterestTag
from tests.factories import PASSWORD, TagFactory, UserFactory

pytestmark = pytest.mark.django_db

SIGN_UP = "/api/v1/auth/sign-up/"
TOKEN = "/api/v1/auth/token/"
REFRESH = "/api/v1/auth/token/refresh/"
SIGN_OUT = "/api/v1/auth/sign-out/"


def sign_in(client: APIClient, username: str) -> dict:
    response = client.post(TOKEN, {"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.content
    return response.json()


def test_sign_up_returns_a_token_pair_and_declares_the_chosen_interests(anon):
    tag = TagFactory()
    response = anon.post(
        SIGN_UP,
        {
            "username": "newcomer",
            "password": "a-long-unusual-passphrase",
            "email": "newcomer@example.com",
            "interest_tag_ids": [tag.pk],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["user"]["username"] == "newcomer"
    me = APIClient()
    me.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    assert me.get("/api/v1/me/").json()["email"] == "newcomer@example.com"
    assert InterestTag.objects.filter(user__username="newcomer", tag=tag, declared=True).exists()


def test_sign_up_applies_djangos_password_validators(anon):
    response = anon.post(
        SIGN_UP, {"username": "weak", "password": "12345678", "email": "weak@example.com"}
    )
    assert response.status_code == 400
    assert "password" in response.json()["errors"]


def test_sign_up_refuses_a_taken_username(anon):
    UserFactory(username="taken")
    response = anon.post(
        SIGN_UP,
        {"username": "taken", "password": "a-long-unusual-passphrase", "email": "t@example.com"},
    )
    assert response.status_code == 400
    assert "username" in response.json()["errors"]


def test_sign_up_refuses_unknown_interest_tags_and_creates_no_account(anon):
    response = anon.post(
        SIGN_UP,
        {
            "username": "hopeful",
            "password": "a-long-unusual-passphrase",
            "email": "hopeful@example.com",
            "interest_tag_ids": [999],
        },
    )
    assert response.status_code == 400
    assert "interest_tag_ids" in response.json()["errors"]
    assert not UserFactory._meta.model.objects.filter(username="hopeful").exists()


def test_sign_in_with_a_wrong_password_is_401(anon):
    UserFactory(username="someone")
    response = anon.post(TOKEN, {"username": "someone", "password": "wrong"})
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"


def test_access_token_authenticates_requests(anon):
    UserFactory(username="someone")
    pair = sign_in(anon, "someone")
    anon.credentials(HTTP_AUTHORIZATION=f"Bearer {pair['access']}")
    assert anon.get("/api/v1/me/").json()["username"] == "someone"


def test_a_refresh_token_works_once_because_refresh_rotates_it(anon):
    UserFactory(username="someone")
    pair = sign_in(anon, "someone")
    first = anon.post(REFRESH, {"refresh": pair["refresh"]})
    assert first.status_code == 200
    assert first.json()["refresh"] != pair["refresh"]
    replay = anon.post(REFRESH, {"refresh": pair["refresh"]})
    assert replay.status_code == 401


def test_sign_out_revokes_the_refresh_token(anon):
    UserFactory(username="someone")
    pair = sign_in(anon, "someone")
    assert anon.post(SIGN_OUT, {"refresh": pair["refresh"]}).status_code == 204
    assert anon.post(REFRESH, {"refresh": pair["refresh"]}).status_code == 401


def test_sign_out_with_a_forged_token_is_401(anon):
    assert anon.post(SIGN_OUT, {"refresh": "not-a-token"}).status_code == 401


def test_a_garbled_bearer_token_is_401_even_on_public_endpoints(anon):
    anon.credentials(HTTP_AUTHORIZATION="Bearer garbage")
    response = anon.get("/api/v1/courses/")
    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


def test_the_sites_scripts_use_the_session_with_csrf_enforced():
    user = UserFactory()
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.get("/api/v1/me/").status_code == 200
    without_token = client.put("/api/v1/me/personalization/", {"enabled": False})
    assert without_token.status_code == 403
    assert without_token["Content-Type"] == "application/problem+json"
    token = _get_new_csrf_string()
    client.cookies["csrftoken"] = token
    with_token = client.put(
        "/api/v1/me/personalization/", {"enabled": False}, HTTP_X_CSRFTOKEN=token
    )
    assert with_token.status_code == 200


def test_after_five_failures_sign_in_answers_429_with_retry_after_even_with_the_password(anon):
    UserFactory(username="someone")
    for _ in range(5):
        assert anon.post(TOKEN, {"username": "someone", "password": "wrong"}).status_code == 401
    refused = anon.post(
        TOKEN, {"username": "someone", "password": PASSWORD}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert refused.status_code == 429
    assert refused["Content-Type"] == "application/problem+json"
    assert 0 < int(refused["Retry-After"]) <= 15 * 60
    body = refused.json()
    assert body["code"] == "throttled"
    assert body["detail"] == "Too many failed sign-in attempts. Try again in 15 minutes."
    chinese = anon.post(TOKEN, {"username": "someone", "password": PASSWORD})
    assert chinese.json()["detail"] == "登录失败次数过多，请 15 分钟后再试。"


def test_a_successful_sign_in_through_the_api_clears_the_accounts_failures(anon):
    UserFactory(username="someone")
    for _ in range(4):
        anon.post(TOKEN, {"username": "someone", "password": "wrong"})
    sign_in(anon, "someone")
    for _ in range(5):
        assert anon.post(TOKEN, {"username": "someone", "password": "wrong"}).status_code == 401


def test_refreshing_the_token_of_an_account_deleted_meanwhile_is_401(anon):
    user = UserFactory(username="someone")
    pair = sign_in(anon, "someone")
    anon.raise_request_exception = False
    user.delete()  # as staff deleting it in the admin would
    response = anon.post(REFRESH, {"refresh": pair["refresh"]})
    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


def test_refreshing_the_token_of_a_deactivated_account_is_401(anon):
    user = UserFactory(username="someone")
    pair = sign_in(anon, "someone")
    user.is_active = False
    user.save()
    assert anon.post(REFRESH, {"refresh": pair["refresh"]}).status_code == 401
