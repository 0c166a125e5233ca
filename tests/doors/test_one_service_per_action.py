"""Every action has one service, and every door shows what another door wrote.

Each test writes through one door (the web pages, the API, the admin) and reads through
another, on the very next request: the services change the learner's version or the catalog's
generation, whichever door they were called from, so no cached page or list survives a write.
"""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from commerce.models import LiveReservation, Order
from courses.models import Course
from recommendations.models import InterestTag
from tests.api.conftest import client_for
from tests.commerce.factories import ADDRESS
from tests.factories import (
    PASSWORD,
    CourseFactory,
    InstructorFactory,
    LiveSessionFactory,
    LiveShelfItemFactory,
    ProductFactory,
    TagFactory,
    UserFactory,
)
from tests.web.conftest import make_catalog, make_course

pytestmark = pytest.mark.django_db

HOME = reverse("web:home")
PERSONAL = "为你推荐"
NOT_PERSONAL = "热门推荐（未个性化）"


@pytest.fixture
def learner(db):
    return UserFactory(username="xiaohong")


@pytest.fixture
def web(client, learner):
    client.force_login(learner)
    return client


@pytest.fixture
def api(learner):
    return client_for(learner)


def _recommended(page: str) -> str:
    return page.split('data-section="recommended-courses"')[1].split("</section>")[0]


# Personalisation, history and interest tags ----------------------------------------------------


def test_personalisation_off_through_the_api_shows_on_the_next_web_home_page(web, api):
    make_catalog(2)
    assert PERSONAL in web.get(HOME).content.decode()  # now cached
    assert api.put("/api/v1/me/personalization/", {"enabled": False}).status_code == 200
    page = web.get(HOME).content.decode()
    assert NOT_PERSONAL in page and PERSONAL not in page
    assert api.put("/api/v1/me/personalization/", {"enabled": True}).status_code == 200
    assert PERSONAL in web.get(HOME).content.decode()


def test_personalisation_off_on_the_web_shows_in_the_api(web, api):
    make_catalog(2)
    web.post(reverse("web:personalisation"), {})
    assert api.get("/api/v1/me/personalization/").json() == {"enabled": False}
    body = api.get("/api/v1/recommendations/", {"type": "course"}).json()
    assert body["personalised"] is False


def test_an_interest_deleted_through_the_api_leaves_the_next_web_home_page(web, api, learner):
    make_catalog(2)
    baking = TagFactory(name="烘焙")
    course = make_course(title="家庭烘焙课", tags=[baking])
    api.post("/api/v1/me/interests/", {"tag_ids": [baking.pk]}, format="json")
    assert "因为你喜欢 #烘焙" in _recommended(web.get(HOME).content.decode())
    assert api.delete(f"/api/v1/me/interests/{baking.pk}/").status_code == 204
    assert "#烘焙" not in _recommended(web.get(HOME).content.decode())
    assert course.title in web.get(HOME).content.decode()  # still in the catalog


def test_an_interest_deleted_on_the_web_is_gone_from_the_api(web, api, learner):
    baking = TagFactory(name="烘焙")
    api.post("/api/v1/me/interests/", {"tag_ids": [baking.pk]}, format="json")
    web.post(reverse("web:tag_delete", args=[baking.pk]))
    assert api.get("/api/v1/me/interests/").json() == []


def test_history_cleared_through_the_api_shows_on_the_next_web_home_page(web, api, learner):
    make_catalog(2)
    coffee = TagFactory(name="咖啡")
    course = make_course(title="手冲咖啡入门", tags=[coffee])
    InterestTag.objects.create(user=learner, tag=coffee, derived_weight=1.0)
    assert "因为你喜欢 #咖啡" in _recommended(web.get(HOME).content.decode())
    assert api.delete("/api/v1/me/history/").status_code == 200
    assert "#咖啡" not in _recommended(web.get(HOME).content.decode())
    assert course.title in web.get(HOME).content.decode()


def test_history_cleared_on_the_web_shows_in_the_api_export(web, api, learner):
    course = make_course()
    web.get(reverse("web:course", args=[course.slug]))  # a detail view event
    assert api.get("/api/v1/me/export/").json()["events"]
    web.post(reverse("web:history_clear"))
    assert api.get("/api/v1/me/export/").json()["events"] == []


# Sign-up: the same rules and the same messages through both doors -------------------------------


def _web_sign_up(client, **fields) -> dict[str, list[str]]:
    data = {"username": "", "email": "", "password1": "", "password2": ""}
    data |= {"password2": fields.get("password1", "")} | fields
    response = client.post(reverse("web:signup"), data)
    if response.status_code == 302:
        return {}
    form = response.context["form"]
    errors = {k: list(v) for k, v in form.errors.items()}
    if "password1" in errors:
        errors["password"] = errors.pop("password1")
    return errors


def _api_sign_up(client, **fields) -> dict[str, list[str]]:
    data = {"username": fields.get("username", ""), "email": fields.get("email", "")}
    data["password"] = fields.get("password1", "")
    response = client.post("/api/v1/auth/sign-up/", data, format="json")
    return {} if response.status_code == 201 else response.json()["errors"]


REFUSALS = [
    ("a username taken in another case", {"username": "LEARNER0001"}, "username"),
    ("an e-mail address taken in another case", {"email": "Taken@Example.com"}, "email"),
    ("no e-mail address", {"email": ""}, "email"),
    ("a malformed e-mail address", {"email": "not-an-address"}, "email"),
    ("a username with spaces", {"username": "two words"}, "username"),
    ("a common password", {"password1": "password123"}, "password"),
    ("a short, all-numeric password", {"password1": "1234567"}, "password"),
    ("one repeated character", {"password1": "aaaaaaaaaaaa"}, "password"),
    ("too few different characters", {"password1": "abababababab"}, "password"),
    ("nine characters", {"password1": "kx7#pq2!m"}, "password"),
    ("a password like the username", {"password1": "newcomer-1"}, "password"),
]


@pytest.mark.parametrize(("case", "override", "field"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_both_sign_ups_refuse_the_same_input_with_the_same_message(
    client, anon_api, case, override, field
):
    UserFactory(username="learner0001", email="taken@example.com")
    fields = {
        "username": "newcomer",
        "email": "newcomer@example.com",
        "password1": "a-long-unusual-passphrase",
    } | override
    web_errors = _web_sign_up(client, **fields)
    api_errors = _api_sign_up(anon_api, **fields)
    assert field in web_errors and field in api_errors
    assert web_errors[field] == api_errors[field]
    assert not UserFactory._meta.model.objects.filter(username__iexact="newcomer").exists()


def test_an_address_registered_through_the_api_is_refused_on_the_web_in_any_case(client, anon_api):
    assert not _api_sign_up(
        anon_api, username="first", email="Owner@Example.com", password1="a-long-unusual-pass"
    )
    errors = _web_sign_up(
        client, username="second", email="owner@example.com", password1="a-long-unusual-pass"
    )
    assert errors["email"] == ["该邮箱已注册，请直接登录。"]
    assert UserFactory._meta.model.objects.get(username="first").email == "owner@example.com"


def test_both_sign_ups_explain_the_password_rules_in_the_learners_language(client, anon_api):
    fields = {"username": "newcomer", "email": "newcomer@example.com"}
    web = _web_sign_up(client, **fields, password1="qzqzqzqzq")["password"]
    api = _api_sign_up(anon_api, **fields, password1="qzqzqzqzq")["password"]
    assert web == api
    assert web == [
        "密码长度太短。密码必须包含至少 10 个字符。",
        "密码中不同的字符太少。密码必须包含至少 5 个不同的字符。",
    ]
    page = client.get(reverse("web:signup")).content.decode()
    assert "你的密码必须包含至少 10 个字符。" in page
    assert "你的密码必须包含至少 5 个不同的字符。" in page
    english = anon_api.post(
        "/api/v1/auth/sign-up/",
        {**fields, "password": "12121212121"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert english.json()["errors"]["password"] == [
        "This password is entirely numeric.",
        "This password has too few different characters. It must contain at least 5 different "
        "characters.",
    ]


@pytest.fixture
def anon_api():
    return client_for(None)


# Cart, checkout and reservations --------------------------------------------------------------


def test_a_course_bought_on_the_web_is_an_order_and_an_enrollment_in_the_api(web, api):
    course = make_course(price=Decimal("49.00"))
    form = web.get(reverse("web:course", args=[course.slug])).context["checkout"]
    data = {k: v for k, v in form.initial.items() if v is not None}
    web.post(reverse("web:checkout"), data)
    orders = api.get("/api/v1/orders/").json()["results"]
    assert [o["status"] for o in orders] == ["paid"]
    assert [e["course"]["id"] for e in api.get("/api/v1/enrollments/").json()["results"]] == [
        course.pk
    ]


def test_an_order_paid_through_the_api_shows_in_my_orders_and_the_web_home_page(web, api):
    course = make_course(price=Decimal("49.00"), title="数据分析实战")
    web.get(HOME)  # cached before the purchase
    order = api.post(
        "/api/v1/orders/",
        {"items": [{"type": "course", "id": course.pk, "quantity": 1}]},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-1",
    ).json()
    api.post(f"/api/v1/orders/{order['id']}/pay/")
    assert order["number"] in web.get(reverse("web:orders")).content.decode()
    continuing = web.get(HOME).content.decode().split('data-section="continue"')
    assert len(continuing) == 2 and course.title in continuing[1].split("</section>")[0]


def test_a_reservation_made_on_the_web_is_listed_by_the_api_and_the_reverse(web, api, learner):
    upcoming = LiveSessionFactory(
        scheduled_start=timezone.now() + timedelta(hours=2),
        scheduled_end=timezone.now() + timedelta(hours=3),
    )
    web.post(reverse("web:live_reserve", args=[upcoming.slug]))
    listed = api.get("/api/v1/reservations/").json()["results"]
    assert [r["live_session"]["id"] for r in listed] == [upcoming.pk]
    api.delete(f"/api/v1/reservations/{listed[0]['id']}/")
    assert "开播提醒" in web.get(reverse("web:live", args=[upcoming.slug])).content.decode()
    assert LiveReservation.objects.get(user=learner).cancelled_at is not None


def test_an_address_saved_on_the_web_is_offered_by_the_api_and_the_reverse(web, api):
    web.post(reverse("web:addresses"), ADDRESS)
    assert api.get("/api/v1/me/addresses/").json()["results"][0]["street"] == ADDRESS["street"]
    api.post("/api/v1/me/addresses/", {**ADDRESS, "recipient": "李四"})
    assert "李四" in web.get(reverse("web:addresses")).content.decode()


def test_a_physical_product_needs_an_address_through_both_doors(web, api):
    book = ProductFactory(kind="physical")
    refused = api.post(
        "/api/v1/orders/",
        {"items": [{"type": "product", "id": book.pk}]},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k",
    )
    assert refused.status_code == 400 and list(refused.json()["errors"]) == ["address"]
    web.post(
        reverse("web:checkout"),
        {"idempotency_key": str(uuid.uuid4()), "items": f"product:{book.pk}:1"},
    )
    assert Order.objects.count() == 0


def test_a_draft_course_cannot_be_put_in_the_cart_nor_show_its_title(web):
    draft = CourseFactory(status=Course.Status.DRAFT, published_at=None, title="未发布的秘密课程")
    response = web.post(reverse("web:cart_add"), {"kind": "course", "object_id": draft.pk})
    cart = web.get(response["Location"]).content.decode()
    assert draft.title not in cart
    assert draft.title not in web.get(reverse("web:cart")).content.decode()


def test_the_live_shelf_shows_the_same_prices_and_items_on_the_page_and_in_the_api(web, api):
    now = timezone.now()
    live = LiveSessionFactory(
        status="live",
        scheduled_start=now - timedelta(minutes=10),
        scheduled_end=now + timedelta(hours=1),
    )
    flash = LiveShelfItemFactory(
        live_session=live,
        product=ProductFactory(
            instructor=live.instructor, price=Decimal("88.00"), title="限时好物"
        ),
        flash_price=Decimal("9.90"),
        flash_starts_at=now - timedelta(minutes=5),
        flash_ends_at=now + timedelta(minutes=30),
    )
    LiveShelfItemFactory(
        live_session=live,
        product=ProductFactory(instructor=live.instructor, is_active=False, title="已下架商品"),
    )
    page = web.get(reverse("web:live", args=[live.slug])).content.decode()
    shelf = api.get(f"/api/v1/lives/{live.pk}/").json()["shelf"]
    assert [item["product"]["title"] for item in shelf] == [flash.product.title]
    assert shelf[0]["price"] == "9.90" and "<small>¥</small>9.9" in page
    assert "已下架商品" not in page


# The admin -------------------------------------------------------------------------------------


def test_a_course_edited_in_the_admin_shows_on_the_web_and_in_the_api_at_once(client, api):
    instructor = InstructorFactory()
    course = make_course(instructor=instructor, title="旧标题")
    assert "旧标题" in client.get(reverse("web:course", args=[course.slug])).content.decode()
    assert api.get(f"/api/v1/courses/{course.pk}/").json()["title"] == "旧标题"
    assert api.get("/api/v1/courses/").json()["results"][0]["title"] == "旧标题"  # cached list
    editor = client.__class__()
    editor.login(username=instructor.user.username, password=PASSWORD)
    change = reverse("admin:courses_course_change", args=[course.pk])
    form = editor.get(change).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "tags"}
    data |= {
        "title": "新标题",
        "category": course.category_id,
        "published_at_0": course.published_at.strftime("%Y-%m-%d"),
        "published_at_1": course.published_at.strftime("%H:%M:%S"),
        "chapters-TOTAL_FORMS": 0,
        "chapters-INITIAL_FORMS": 0,
        "lessons-TOTAL_FORMS": 0,
        "lessons-INITIAL_FORMS": 0,
    }
    data.pop("published_at", None)
    data.pop("instructor", None)
    data.pop("cover", None)
    response = editor.post(change, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert "新标题" in client.get(reverse("web:course", args=[course.slug])).content.decode()
    assert api.get(f"/api/v1/courses/{course.pk}/").json()["title"] == "新标题"


def test_a_course_unpublished_in_the_admin_is_gone_from_the_web_and_the_api(client, api):
    course = make_course()
    admin = UserFactory(is_staff=True, is_superuser=True)
    editor = client.__class__()
    editor.force_login(admin)
    editor.post(
        reverse("admin:courses_course_changelist"),
        {"action": "unpublish", "_selected_action": [course.pk]},
    )
    assert client.get(reverse("web:course", args=[course.slug])).status_code == 404
    assert api.get(f"/api/v1/courses/{course.pk}/").status_code == 404
    assert Order.objects.count() == 0


def test_the_admin_creates_accounts_by_the_same_rules_and_the_api_signs_them_in(client):
    UserFactory(username="learner0001", email="taken@example.com")
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    add = reverse("admin:accounts_user_add")
    refused = client.post(
        add,
        {
            "username": "LEARNER0001",
            "email": "TAKEN@example.com",
            "password1": "a-long-unusual-passphrase",
            "password2": "a-long-unusual-passphrase",
        },
    )
    errors = refused.context["adminform"].form.errors
    assert errors["username"] == ["已存在一位使用该名字的用户。"]
    assert errors["email"] == ["该邮箱已注册，请直接登录。"]
    created = client.post(
        add,
        {
            "username": "Fresh",
            "email": "Fresh@Example.com",
            "password1": "a-long-unusual-passphrase",
            "password2": "a-long-unusual-passphrase",
        },
    )
    assert created.status_code == 302
    user = UserFactory._meta.model.objects.get(username="Fresh")
    assert user.email == "fresh@example.com"
    token = client_for(None).post(
        "/api/v1/auth/token/", {"username": "Fresh", "password": "a-long-unusual-passphrase"}
    )
    assert token.status_code == 200
