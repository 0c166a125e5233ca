"""The sign-in limits hold on every door, and failures through one door count on the others:
the site's page, the admin and the API all sign in through ``accounts.signin``."""

import pytest
from django.urls import reverse

from tests.api.conftest import client_for
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

ADMIN_LOGIN = reverse("admin:login")


def test_the_admin_sign_in_is_refused_after_five_failures_with_retry_after(client):
    staff = UserFactory(is_staff=True, is_superuser=True)
    for _ in range(5):
        page = client.post(ADMIN_LOGIN, {"username": staff.username, "password": "x"})
        assert page.status_code == 200
    refused = client.post(ADMIN_LOGIN, {"username": staff.username, "password": PASSWORD})
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 15 * 60
    assert "登录失败次数过多，请 15 分钟后再试。" in refused.content.decode()
    assert client.get(reverse("admin:index")).status_code == 302  # still signed out


def test_the_admin_sign_in_works_and_clears_the_failures(client):
    staff = UserFactory(is_staff=True, is_superuser=True)
    for _ in range(4):
        client.post(ADMIN_LOGIN, {"username": staff.username, "password": "x"})
    response = client.post(ADMIN_LOGIN, {"username": staff.username, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200


def test_failures_on_the_api_lock_the_site_and_the_admin_too(client):
    staff = UserFactory(is_staff=True)
    api = client_for(None)
    for _ in range(5):
        api.post("/api/v1/auth/token/", {"username": staff.username, "password": "x"})
    credentials = {"username": staff.username, "password": PASSWORD}
    assert client.post(reverse("web:login"), credentials).status_code == 429
    assert client.post(ADMIN_LOGIN, credentials).status_code == 429


def test_guessing_from_one_address_across_doors_locks_that_address(client, settings):
    settings.SIGNIN_MAX_FAILURES_PER_ADDRESS = 4
    api = client_for(None)
    api.post("/api/v1/auth/token/", {"username": "a", "password": "x"})
    api.post("/api/v1/auth/token/", {"username": "b", "password": "x"})
    client.post(reverse("web:login"), {"username": "c", "password": "x"})
    client.post(ADMIN_LOGIN, {"username": "d", "password": "x"})
    user = UserFactory()
    rotated = client.post(
        reverse("web:login"),
        {"username": user.username, "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="198.51.100.77",
    )
    assert rotated.status_code == 429
