"""Pages in Chinese show no English: the site's pages, their form errors and help texts, and the
admin (Django's newer strings, the apps' token blacklist, permission names, field labels)."""

import contextlib
import json
import re
from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.urls import NoReverseMatch, reverse
from rest_framework_simplejwt.tokens import RefreshToken

from recommendations.services.events import event_record
from tests.commerce.factories import EnrollmentFactory
from tests.factories import UserFactory
from tests.web.conftest import make_catalog

pytestmark = pytest.mark.django_db

# What may stay in Latin letters on a Chinese page: names, technical terms and data, not words
# of the interface.
ALLOWED = re.compile(
    r"^(Zhibo|EN|Android|iOS|Web|Instructors|jti|JSON|CSV|LDAP|Control|Command|Mac|HTML|Ogg|WAV"
    r"|home|home_products"  # recommendation slots' keys, typed as they are in an experiment
    r"|https?://\S+|\S+@example\.com|[0-9a-f]{4,})$"
)
# Django's admin writes these in English in every language (icons' alternative text).
DJANGO_UNTRANSLATABLE = {"True", "False", "None", "Search"}


# Not text to translate: code, and the values Django's admin isolates in <bdi> (the password
# hash summary's algorithm, salt and hash prefixes: random letters, sometimes a word's shape).
HIDDEN = ("script", "style", "svg", "textarea", "select", "bdi")


class VisibleText(HTMLParser):
    """Text a reader sees or hears: text nodes and labelling attributes."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in HIDDEN:
            self._hidden += 1
        for name, value in attrs:
            labels = name in ("title", "placeholder", "aria-label", "alt")
            if labels and value and value not in DJANGO_UNTRANSLATABLE:
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in HIDDEN:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden and data.strip():
            self.parts.append(data.strip())


def english_in(html: str) -> set[str]:
    parser = VisibleText()
    parser.feed(html)
    found = set()
    for part in parser.parts:
        for word in re.findall(r"[A-Za-z][\w’'@./:-]*[A-Za-z0-9]", part):
            data = re.search(r"\d", word)  # ids, hashes, dates: data, not a word
            if len(word) > 2 and not data and not ALLOWED.match(word):
                found.add(word)
    return found


def english_on(client, urls) -> dict[str, set[str]]:
    found = {}
    for url in urls:
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert response.status_code == 200, url
        if words := english_in(response.content.decode()):
            found[url] = words
    return found


@pytest.fixture
def catalog():
    courses = make_catalog(2)
    learner = UserFactory()
    EnrollmentFactory(user=learner, course=courses[0])
    event_record(user=learner, event_type="view", object_type="course", object_id=courses[0].pk)
    RefreshToken.for_user(learner)  # the apps' tokens: one outstanding, one blacklisted
    RefreshToken.for_user(learner).blacklist()
    return {"courses": courses, "learner": learner}


def test_the_sites_pages_are_all_in_chinese(client, catalog):
    course = catalog["courses"][0]
    visitor_pages = [
        "/",
        "/browse/",
        f"/courses/{course.slug}/",
        "/videos/",
        "/cart/",
        "/how-recommendations-work/",
        "/accounts/login/",
        "/accounts/signup/",
    ]
    assert english_on(client, visitor_pages) == {}
    signup = client.post(
        "/accounts/signup/",
        {"username": "a b", "email": "x", "password1": "123", "password2": "124"},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert english_in(signup.content.decode()) == set()  # errors and password help texts
    client.force_login(catalog["learner"])
    learner_pages = ["/", "/me/learning/", "/me/orders/", "/privacy/", "/accounts/onboarding/"]
    assert english_on(client, learner_pages) == {}


def test_the_admin_is_all_in_chinese(client, catalog):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    urls = [reverse("admin:index"), reverse("admin:password_change")]
    for model in admin.site._registry:
        info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        urls.append(reverse(f"{info}_changelist"))
        with contextlib.suppress(NoReverseMatch):  # a model without an add page
            urls.append(reverse(f"{info}_add"))
        if (row := model.objects.first()) is not None:
            urls.append(reverse(f"{info}_change", args=[row.pk]))
    urls.append(reverse("admin:auth_user_password_change", args=[catalog["learner"].pk]))
    found = english_on(client, [url for url in urls if client.get(url).status_code == 200])
    assert found == {}


def test_the_token_blacklist_and_permissions_read_in_chinese(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    index = client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "令牌黑名单" in index and "已签发令牌" in index and "黑名单令牌" in index
    group = client.get(reverse("admin:auth_group_add"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "课程与商品 | 课程 | 可添加课程" in group.content.decode()


def test_the_admins_permission_chooser_speaks_chinese(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.get("/admin/jsi18n/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    # The catalog is written as JSON, with its Chinese escaped.
    catalog = json.loads(
        re.search(r"const newcatalog = (\{.*?\});", response.content.decode(), re.S)[1]
    )
    assert catalog["Available %s"] == "可用 %s"  # Django's own
    assert catalog["Choose all %s"] == "选择全部%s"
    assert catalog["Remove all %s"] == "删除全部%s"
    assert catalog["Choose selected %s"] == "选择选中的%s"
    assert catalog["Remove selected %s"] == "删除选中的%s"
    assert (
        "箭头按钮"
        in catalog['Choose %s by selecting them and then select the "Choose" arrow button.']
    )
