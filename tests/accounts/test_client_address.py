"""The client's address comes from the connection, or from as many X-Forwarded-For entries as
there are trusted proxies, never from what the client chose to send."""

import pytest
from django.test import RequestFactory

from config.addresses import client_address


def request_from(remote: str, forwarded: str | None = None):
    headers = {} if forwarded is None else {"HTTP_X_FORWARDED_FOR": forwarded}
    return RequestFactory().get("/", REMOTE_ADDR=remote, **headers)


def test_without_trusted_proxies_the_header_is_ignored(settings):
    settings.TRUSTED_PROXIES = 0
    assert client_address(request_from("203.0.113.7", "198.51.100.1")) == "203.0.113.7"


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (1, "198.51.100.1", "198.51.100.1"),
        (1, "6.6.6.6, 198.51.100.1", "198.51.100.1"),  # the client's own entry is not trusted
        (2, "6.6.6.6, 198.51.100.1, 10.0.0.2", "198.51.100.1"),
        (3, "198.51.100.1, 10.0.0.2", "198.51.100.1"),  # fewer entries than proxies
        (1, " 2001:DB8::0:1 ", "2001:db8::1"),  # normalised
    ],
)
def test_behind_trusted_proxies_the_entry_they_added_is_the_client(
    settings, proxies, forwarded, expected
):
    settings.TRUSTED_PROXIES = proxies
    assert client_address(request_from("10.0.0.1", forwarded)) == expected


def test_behind_a_proxy_without_the_header_the_connection_is_the_client(settings):
    settings.TRUSTED_PROXIES = 1
    assert client_address(request_from("203.0.113.7")) == "203.0.113.7"


def test_drf_counts_the_same_proxies():
    from django.conf import settings

    assert settings.REST_FRAMEWORK["NUM_PROXIES"] == settings.TRUSTED_PROXIES == 0
