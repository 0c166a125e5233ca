"""Every failure answers an RFC 7807 problem with the right status code."""

import json

import pytest

from config.json_input import MAX_DEPTH
from tests.api.conftest import client_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    assert body["type"].startswith("urn:zhibo:problem:")
    assert body["title"] and body["detail"] and body["code"]
    return body


def test_validation_failures_name_each_field(anon):
    body = assert_problem(anon.get("/api/v1/recommendations/?type=robot&limit=99"), 400)
    assert set(body["errors"]) == {"type", "limit"}


def test_nested_validation_failures_are_dotted(people):
    client = client_for(people.owner)
    response = client.post(
        "/api/v1/orders/",
        {"items": [{"type": "course", "id": 12345}]},
        HTTP_IDEMPOTENCY_KEY="k",
    )
    body = assert_problem(response, 400)
    assert list(body["errors"]) == ["items.0.id"]


def test_service_validation_errors_become_400_with_their_fields(people):
    response = client_for(people.owner).post("/api/v1/me/interests/", {"tag_ids": [424242]})
    body = assert_problem(response, 400)
    assert "tags" in body["errors"]


def test_anonymous_requests_to_private_endpoints_are_401_with_a_challenge(anon):
    response = anon.get("/api/v1/orders/")
    assert_problem(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_unknown_ids_are_404(anon):
    assert assert_problem(anon.get("/api/v1/courses/987654/"), 404)["code"] == "not_found"


def test_wrong_methods_are_405(anon):
    assert_problem(anon.delete("/api/v1/courses/"), 405)


def test_unexpected_errors_are_a_500_problem_without_internals(people, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr("api.v1.views.accounts.interest_tags_for", broken)
    client = client_for(people.owner)
    client.raise_request_exception = False
    response = client.get("/api/v1/me/interests/")
    body = assert_problem(response, 500)
    assert "secret internals" not in response.content.decode()
    assert "Traceback" not in body["detail"]


@pytest.mark.parametrize(
    ("scope", "url", "method", "data"),
    [
        ("anon", "/api/v1/courses/", "get", None),
        ("user", "/api/v1/me/", "get", None),
        ("events", "/api/v1/events/", "post", {"client": "web", "events": []}),
        ("auth", "/api/v1/auth/token/", "post", {"username": "x", "password": "y"}),
    ],
)
def test_each_throttle_scope_answers_429_with_retry_after(settings, scope, url, method, data):
    rates = dict(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"])
    rates[scope] = "2/minute"
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    client = client_for(UserFactory()) if scope in ("user", "events") else client_for(None)
    send = getattr(client, method)
    for _ in range(2):
        assert send(url, data).status_code != 429
    response = send(url, data)
    assert_problem(response, 429)
    assert int(response["Retry-After"]) > 0


def _auth_throttled_after_two(settings):
    rates = dict(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"])
    rates["auth"] = "2/minute"
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}


def test_rotating_x_forwarded_for_does_not_reset_a_throttle(settings, anon):
    settings.TRUSTED_PROXIES = 0
    _auth_throttled_after_two(settings)
    statuses = [
        anon.post(
            "/api/v1/auth/token/",
            {"username": "x", "password": "y"},
            HTTP_X_FORWARDED_FOR=f"198.51.100.{i}",
        ).status_code
        for i in range(4)
    ]
    assert statuses == [401, 401, 429, 429]


def test_behind_one_trusted_proxy_the_right_most_address_is_the_client(settings, anon):
    settings.TRUSTED_PROXIES = 1
    _auth_throttled_after_two(settings)

    def sign_in(forwarded):
        body = {"username": "x", "password": "y"}
        return anon.post("/api/v1/auth/token/", body, HTTP_X_FORWARDED_FOR=forwarded).status_code

    # The client rotates what it sends; the proxy appends the address it really came from.
    assert [sign_in(f"6.6.6.{i}, 198.51.100.1") for i in range(3)] == [401, 401, 429]
    assert sign_in("198.51.100.2") == 401  # another client behind the same proxy


BODY_LIMITS = [
    ("/api/v1/auth/token/", None),
    ("/api/v1/auth/sign-up/", None),
    ("/api/v1/events/", None),
    ("/api/v1/orders/", "owner"),
    ("/api/v1/progress/", "owner"),
    ("/api/v1/me/interests/", "owner"),
]


def post_raw(client, url: str, body: str):
    return client.generic(
        "POST", url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k"
    )


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize(("url", "who"), BODY_LIMITS)
def test_a_body_over_the_upload_limit_is_a_413_problem(people, settings, url, who):
    client = client_for(getattr(people, who) if who else None)
    body = json.dumps({"username": "x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE, "password": "y"})
    assert assert_problem(post_raw(client, url, body), 413)["code"] == "too_large"


@pytest.mark.parametrize(("url", "who"), BODY_LIMITS)
def test_json_nested_a_thousand_deep_is_a_400_problem(people, url, who):
    client = client_for(getattr(people, who) if who else None)
    for body in (
        nested(1000),
        '{"username": ' + nested(1000) + ', "password": "y"}',
        '{"client": "web", "visitor_id": "v", "events": ['
        + '{"a": ' * 1000
        + "1"
        + "}" * 1000
        + "]}",
    ):
        body = assert_problem(post_raw(client, url, body), 400)
        assert body["code"] == "too_deep"
        assert str(MAX_DEPTH) in body["detail"]


def test_json_nested_up_to_the_limit_is_read(people):
    client = client_for(people.owner)
    at_limit = '{"items": ' + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "}"
    assert assert_problem(post_raw(client, "/api/v1/orders/", at_limit), 400)["code"] == "invalid"
    over = '{"items": ' + nested(MAX_DEPTH) + "}"
    assert assert_problem(post_raw(client, "/api/v1/orders/", over), 400)["code"] == "too_deep"


def test_brackets_inside_strings_do_not_count_as_nesting(anon):
    body = json.dumps({"username": "[{" * 500 + '\\"' + "]}" * 3, "password": "y"})
    assert assert_problem(post_raw(anon, "/api/v1/auth/token/", body), 401)
