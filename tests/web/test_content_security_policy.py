"""Every kind of response carries the Content-Security-Policy: the site's pages (also a warm,
cached home page and an error page), the admin, the API and its docs. Scripts come from the
site alone, never inline; nothing is loaded from another origin but the configured video host."""

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.urls import reverse

from recommendations.models import ModelVersion
from tests.factories import ProductFactory, ShortVideoFactory, UserFactory
from tests.web.conftest import make_catalog

pytestmark = pytest.mark.django_db


def policy_of(response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy")
    assert header, f"no Content-Security-Policy on {response.request['PATH_INFO']}"
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def assert_strict(policy: dict[str, list[str]]) -> None:
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]  # no inline script, no eval, no other origin
    assert "script-src-attr" not in policy and "script-src-elem" not in policy
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    outside = {
        value
        for name, values in policy.items()
        for value in values
        if "://" in value or value in ("*", "https:", "http:")
    }
    assert outside <= set(settings.CSP_MEDIA_ORIGINS)
    # hls.js plays from a MediaSource (blob:) and parses in a worker it starts from a blob:
    assert set(policy["media-src"]) == {"'self'", "blob:", *settings.CSP_MEDIA_ORIGINS}
    assert set(policy["worker-src"]) == {"'self'", "blob:"}


@pytest.fixture
def catalog():
    courses = make_catalog(2)
    return {
        "course": courses[0],
        "lesson": courses[0].lessons.first(),
        "video": ShortVideoFactory(),
        "product": ProductFactory(),
    }


def site_pages(catalog):
    course = catalog["course"]
    return [
        "/",
        reverse("web:browse"),
        reverse("web:course", args=[course.slug]),
        reverse("web:lesson", args=[catalog["lesson"].pk]),
        reverse("web:videos"),
        reverse("web:product", args=[catalog["product"].slug]),
        reverse("web:instructor", args=[course.instructor.slug]),
        reverse("web:cart"),
        reverse("web:how_it_works"),
        reverse("web:login"),
        reverse("web:signup"),
    ]


def test_the_sites_pages_carry_the_strict_policy(client, catalog):
    for url in site_pages(catalog):
        response = client.get(url)
        assert response.status_code == 200, url
        policy = policy_of(response)
        assert_strict(policy)
        assert policy["style-src"] == ["'self'"], url  # no inline style either
        assert policy["img-src"] == ["'self'"], url


def test_a_signed_in_learners_pages_and_the_cached_home_page_carry_it(client, catalog):
    client.force_login(UserFactory())
    for url in ["/", "/", reverse("web:learning"), reverse("web:orders"), reverse("web:privacy")]:
        response = client.get(url)  # the second home page comes from the cache
        assert response.status_code == 200, url
        assert_strict(policy_of(response))


def test_error_pages_and_redirects_carry_it(client):
    assert_strict(policy_of(client.get("/no-such-page/")))
    assert_strict(policy_of(client.get(reverse("web:learning"))))  # to the sign-in page


def test_the_admin_carries_it(client, catalog):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    ModelVersion.objects.create(status=ModelVersion.Status.RETIRED, metrics={"ndcg@10": 0.1})
    for url in [
        reverse("admin:index"),
        reverse("admin:courses_course_changelist"),
        reverse("admin:courses_course_change", args=[catalog["course"].pk]),
        reverse("admin:recommendations_modelversion_changelist"),
        reverse("admin:jsi18n"),
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        policy = policy_of(response)
        assert_strict(policy)
        assert policy["style-src"] == ["'self'"], url


def test_the_admin_has_no_inline_style_or_script_left(client, catalog):
    """Django writes an inline ``<style>`` into a change list without actions; the project's
    ``admin/change_list.html`` keeps that rule in a stylesheet instead."""
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_group"))
    client.force_login(viewer)
    html = client.get(reverse("admin:auth_group_changelist")).content.decode()
    assert 'name="action"' not in html  # a list without actions
    assert "<style" not in html and "css/admin.css" in html
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    for url in [
        reverse("admin:recommendations_modelversion_changelist"),
        reverse("admin:courses_course_change", args=[catalog["course"].pk]),
        reverse("admin:courses_course_add"),
    ]:
        html = client.get(url).content.decode()
        assert "<style" not in html and ' style="' not in html, url
        assert "<script>" not in html, url


def test_the_api_and_its_docs_carry_it(client):
    schema = client.get("/api/schema/")
    assert_strict(policy_of(schema))
    assert_strict(policy_of(client.get("/api/v1/courses/")))
    for url in ["/api/docs/", "/api/redoc/"]:
        response = client.get(url)
        assert response.status_code == 200
        policy = policy_of(response)
        assert_strict(policy)
        assert "data:" in policy["img-src"]
        html = response.content.decode()
        assert "<script>" not in html  # the page's configuration is JSON data, not a script
        assert "https://" not in html  # no font service, no CDN
        assert "/static/drf_spectacular_sidecar/" in html
    redoc = policy_of(client.get("/api/redoc/"))
    assert "blob:" in redoc["worker-src"]  # ReDoc's search worker


def test_the_swagger_page_keeps_the_csrf_token_out_of_any_script(client):
    """drf-spectacular's split view writes the CSRF token into a script any site could include;
    here it stays in the page, which other sites cannot read."""
    page = client.get("/api/docs/").content.decode()
    assert 'id="swagger-ui-config"' in page and "csrfToken" in page
    assert client.get("/api/docs/?script=").headers["Content-Type"].startswith("text/html")
