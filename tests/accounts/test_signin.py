"""Sign-in is limited per account and per client address, in a bounded window, whatever the
door; the limit never stops sign-in when the cache is away."""

import pytest
from django.core.cache import cache
from django.test import RequestFactory

from accounts.signin import SignInLimited, account_authenticate, account_key, address_key
from config.cache import cache_incr
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def limits(settings):
    settings.TRUSTED_PROXIES = 0
    settings.SIGNIN_WINDOW_SECONDS = 900
    settings.SIGNIN_MAX_FAILURES_PER_ACCOUNT = 5
    settings.SIGNIN_MAX_FAILURES_PER_ADDRESS = 20


def from_address(address="203.0.113.7", forwarded=None):
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    return RequestFactory().post("/", REMOTE_ADDR=address, **extra)


def attempt(username, password="wrong", request=None):
    """None for a wrong password, the account, or the seconds to wait when refused."""
    try:
        return account_authenticate(
            request=request or from_address(), username=username, password=password
        )
    except SignInLimited as refused:
        return refused.retry_after


def test_five_failures_lock_the_account_for_the_rest_of_the_window_even_with_the_password():
    user = UserFactory()
    assert [attempt(user.username) for _ in range(5)] == [None] * 5
    waits = [attempt(user.username), attempt(user.username, PASSWORD)]
    assert all(isinstance(wait, int) and 890 <= wait <= 900 for wait in waits)


def test_the_account_counts_whatever_the_case_and_whether_or_not_it_exists():
    for name in ["Nobody", "nobody", "NOBODY ", "nobody", "noBody"]:
        assert attempt(name) is None
    assert isinstance(attempt("nobody"), int)
    assert attempt("somebody-else") is None


def test_a_successful_sign_in_clears_the_accounts_count():
    user = UserFactory()
    for _ in range(4):
        attempt(user.username)
    assert attempt(user.username, PASSWORD) == user
    assert [attempt(user.username) for _ in range(5)] == [None] * 5
    assert isinstance(attempt(user.username), int)


def test_twenty_failures_from_one_address_lock_that_address_for_every_account():
    names = [f"guess{i}" for i in range(20)]
    assert [attempt(name) for name in names] == [None] * 20
    user = UserFactory()
    assert isinstance(attempt(user.username, PASSWORD), int)
    assert attempt(user.username, PASSWORD, from_address("198.51.100.9")) == user


def test_successes_do_not_use_up_an_addresss_allowance():
    user = UserFactory()
    for _ in range(25):
        assert attempt(user.username, PASSWORD) == user


def test_rotating_x_forwarded_for_without_trusted_proxies_changes_nothing():
    for i in range(20):
        attempt(f"guess{i}", request=from_address(forwarded=f"10.1.{i}.1"))
    assert isinstance(attempt("another", request=from_address(forwarded="10.9.9.9")), int)


def test_behind_one_trusted_proxy_the_right_most_address_is_counted(settings):
    settings.TRUSTED_PROXIES = 1
    proxy = "10.0.0.1"
    for i in range(20):
        attempt(f"guess{i}", request=from_address(proxy, f"6.6.{i}.6, 198.51.100.1"))
    assert isinstance(attempt("x", request=from_address(proxy, "7.7.7.7, 198.51.100.1")), int)
    assert attempt("x", request=from_address(proxy, "198.51.100.2")) is None


def test_an_ipv6_client_counts_for_its_slash_64():
    assert address_key("2001:db8:1:2::1") == address_key("2001:db8:1:2:ffff::9")
    assert address_key("2001:db8:1:3::1") != address_key("2001:db8:1:2::1")


def test_counts_expire_with_their_window(redis_url):
    attempt("someone")
    client = cache._cache.get_client(write=True)
    for key in [account_key("someone"), address_key("203.0.113.7")]:
        assert 0 < client.ttl(cache.make_key(key)) <= 900


def test_counting_never_recreates_an_expired_count_without_its_expiry(redis_url):
    assert cache_incr("signin:gone", -1) is None
    assert cache.get("signin:gone") is None
    assert cache_incr("signin:new", timeout=60) == 1
    assert cache_incr("signin:new", timeout=60) == 2


def test_with_the_cache_away_sign_in_works_and_nothing_is_limited(cache_away, caplog):
    user = UserFactory()
    cache_away()
    assert [attempt(user.username) for _ in range(8)] == [None] * 8
    assert attempt(user.username, PASSWORD) == user
    assert "Cache unavailable" in caplog.text
