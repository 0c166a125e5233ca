"""Rate limits per scope; the rates are the ``DEFAULT_THROTTLE_RATES`` setting.

``anon`` (per client address) and ``user`` (per account) apply to every request; ``events``
(batch ingestion) and ``auth`` (sign-up and sign-in, against password guessing) apply on top of
them to their views. A throttled request answers 429 with ``Retry-After``. Rates are read at each
request, so a settings change (and a test's override) takes effect at once. Clients are told
apart by ``config.addresses.client_address``, which trusts ``X-Forwarded-For`` only as far as
``TRUSTED_PROXIES`` says: a client rotating the header is still the same client.

The counts live in the cache, read and written through ``config.cache``: when Redis is away a
throttle finds no history and cannot store one, so it lets every request through (an API that
answers unthrottled for the length of an outage, rather than not at all), and the outage is
logged once, not once per request.
"""

from rest_framework import throttling
from rest_framework.settings import api_settings

from config.addresses import client_address
from config.cache import cache_get, cache_set


class _CacheThatMayBeAway:
    """The two calls DRF's throttles make on their store, through ``config.cache``."""

    def get(self, key: str, default=None):
        return cache_get(key, default)

    def set(self, key: str, value, timeout: int) -> None:
        cache_set(key, value, timeout)


class _SiteThrottle:
    """Rates read at each request, counts kept through ``config.cache``, clients identified by
    ``client_address``."""

    cache = _CacheThatMayBeAway()

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_ident(self, request):
        return client_address(request)


class AnonRateThrottle(_SiteThrottle, throttling.AnonRateThrottle):
    scope = "anon"


class UserRateThrottle(_SiteThrottle, throttling.UserRateThrottle):
    scope = "user"


class ScopedRateThrottle(_SiteThrottle, throttling.ScopedRateThrottle):
    """The view's ``throttle_scope`` (``events``, ``auth``), per account or client address."""
