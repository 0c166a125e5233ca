"""Sign up, sign in (merging the visitor's events), sign out, onboarding and the language switch."""

import pytest
from django.urls import reverse

from accounts.middleware import VISITOR_COOKIE
from accounts.models import User
from recommendations.models import Event, InterestTag
from tests.factories import PASSWORD, TagFactory, UserFactory
from tests.web.conftest import make_course

pytestmark = pytest.mark.django_db


def test_sign_up_signs_in_and_leads_to_onboarding(client):
    response = client.post(
        reverse("web:signup"),
        {
            "username": "newbie",
            "email": "newbie@example.com",
            "password1": "a-long-pass-phrase-9",
            "password2": "a-long-pass-phrase-9",
        },
    )
    assert response["Location"] == reverse("web:onboarding")
    assert client.get(reverse("web:onboarding")).status_code == 200
    assert User.objects.filter(username="newbie").exists()


def test_sign_up_explains_bad_input(client):
    UserFactory(username="taken", email="taken@example.com")
    page = client.post(
        reverse("web:signup"),
        {"username": "taken", "email": "taken@example.com", "password1": "abc", "password2": "abd"},
    ).content.decode()
    assert "已存在一位使用该名字的用户" in page
    assert "该邮箱已注册" in page
    assert "输入的两个密码不一致" in page


def test_onboarding_declares_interests_and_the_next_home_page_follows_them(client):
    user = UserFactory()
    client.force_login(user)
    wanted = TagFactory(name="咖啡")
    make_course(title="其他课程")
    coffee = make_course(title="手冲咖啡入门", tags=[wanted])
    response = client.post(reverse("web:onboarding"), {"tags": [wanted.pk]})
    assert response["Location"] == reverse("web:home")
    assert InterestTag.objects.filter(user=user, tag=wanted, declared=True).exists()
    page = client.get(reverse("web:home")).content.decode()
    recommended = page.split('data-section="recommended-courses"')[1].split("</section>")[0]
    assert coffee.title in recommended


def test_onboarding_asks_for_at_least_one_topic(client):
    client.force_login(UserFactory())
    TagFactory()
    page = client.post(reverse("web:onboarding"), {}).content.decode()
    assert "请至少选择一个主题" in page


def test_sign_in_keeps_what_the_visitor_did_before(client):
    user = UserFactory()
    course = make_course()
    client.get(reverse("web:course", args=[course.slug]))  # sets the visitor cookie
    assert client.cookies[VISITOR_COOKIE].value
    assert Event.objects.filter(user=None, object_id=course.pk).exists()
    response = client.post(reverse("web:login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    assert Event.objects.filter(user=user, object_id=course.pk, event_type="view").exists()


def test_sign_in_explains_a_wrong_password(client):
    user = UserFactory()
    page = client.post(
        reverse("web:login"), {"username": user.username, "password": "wrong"}
    ).content.decode()
    assert "请输入一个正确的" in page


def test_sign_out(client):
    client.force_login(UserFactory())
    client.post(reverse("web:logout"))
    assert client.get(reverse("web:learning")).status_code == 302


def test_the_interface_is_chinese_by_default_and_the_switch_changes_it(client):
    assert "登录" in client.get(reverse("web:home")).content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("web:home")).content.decode()
    assert "Sign in" in page and 'lang="en"' in page


def test_after_five_failures_the_sign_in_page_asks_to_wait_and_says_how_long(client):
    user = UserFactory()
    for _ in range(5):
        response = client.post(reverse("web:login"), {"username": user.username, "password": "x"})
        assert response.status_code == 200
    refused = client.post(reverse("web:login"), {"username": user.username, "password": PASSWORD})
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 15 * 60
    assert "登录失败次数过多，请 15 分钟后再试。" in refused.content.decode()
    assert "_auth_user_id" not in client.session


def test_signing_in_clears_the_accounts_failures(client):
    user = UserFactory()
    for _ in range(4):
        client.post(reverse("web:login"), {"username": user.username, "password": "x"})
    signed_in = client.post(reverse("web:login"), {"username": user.username, "password": PASSWORD})
    assert signed_in.status_code == 302
    client.post(reverse("web:logout"))
    for _ in range(5):
        assert (
            client.post(
                reverse("web:login"), {"username": user.username, "password": "x"}
            ).status_code
            == 200
        )


def test_sign_up_refuses_a_repeated_character_password_in_chinese(client):
    page = client.post(
        reverse("web:signup"),
        {
            "username": "newbie",
            "email": "newbie@example.com",
            "password1": "zzzzzzzzzzzz",
            "password2": "zzzzzzzzzzzz",
        },
    ).content.decode()
    assert "密码中不同的字符太少。密码必须包含至少 5 个不同的字符。" in page
    assert not User.objects.filter(username="newbie").exists()
