"""The OpenAPI schema is complete and valid, its docs need no CDN, and the API keeps to it:
a property-based run of every operation as a signed-in learner with data, with schema-valid and
schema-violating requests, passes every check schemathesis has (``schemathesis.toml`` says, per
operation, which refusals of schema-valid data the API's rules make, and turns off the response
time check: timing lives in ``bench/``)."""

from pathlib import Path

import pytest
import schemathesis
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from config.wsgi import application
from tests.api.conftest import client_for, learner_with_data

ROOT = Path(__file__).resolve().parent.parent.parent


def test_schema_generates_without_warnings(tmp_path):
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml")
    )


def test_docs_are_served_from_local_assets(anon):
    page = anon.get("/api/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in page
    assert "cdn" not in page.lower()


def test_schema_links_the_versioning_policy(anon):
    schema = anon.get("/api/schema/?format=json").json()
    assert "docs/api.md" in schema["info"]["description"]


def test_text_fields_of_requests_say_they_refuse_nul_and_do(anon, db):
    """PostgreSQL cannot store NUL: the schema says so for every text field of a request, so a
    schema-valid request is never refused for it, and a request with one gets a 400 naming it."""
    schemas = anon.get("/api/schema/?format=json").json()["components"]["schemas"]
    me = schemas["PatchedMeUpdateRequest"]["properties"]
    assert me["last_name"]["pattern"] == "^[^\\u0000]*$"
    assert "pattern" not in schemas["PatchedMeUpdateRequest"]["properties"]["email"]["oneOf"][0]
    learner = learner_with_data()
    response = client_for(learner).patch("/api/v1/me/", {"last_name": "a\x00b"}, format="json")
    assert response.status_code == 400 and "last_name" in response.json()["errors"]


def test_unknown_api_paths_answer_a_problem(anon):
    response = anon.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


@pytest.fixture
def keep_test_connection():
    """Requests go through the WSGI handler in this thread, so Django must not close the test's
    database connection at the end of each of them (the test client does the same)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def learner_token(db):
    learner = learner_with_data()
    return client_for(learner)._credentials["HTTP_AUTHORIZATION"]


schema = schemathesis.openapi.from_wsgi(
    "/api/schema/?format=json",
    application,
    config=SchemathesisConfig.from_path(ROOT / "schemathesis.toml"),
)


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_api_keeps_to_its_schema(case, learner_token, keep_test_connection):
    # Given as explicit credentials, so the checks that try the request without them, or with
    # forged ones, know what to take away.
    case.call_and_validate(headers={"Authorization": learner_token})
