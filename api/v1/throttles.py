"""Rate limits per scope; the rates are the ``DEFAULT_THROTTLE_RATES`` setting.

``anon`` (per client address) and ``user`` (per account) apply to every request; ``events``
(batch ingestion) and ``auth`` (sign-up and sign-in, against password guessing) apply on top of
them to their views. A throttled request answers 429 with ``Retry-After``. Rates are read at each
request, so a settings change (and a test's override) takes effect at once. Clients are told
apart by ``config.addresses.client_address``, which trusts ``X-Forwarded-For`` only as far as
``TRUSTED_PROXIES`` says: a client rotating the header is still the same client.
"""

from rest_framework import throttling
from rest_framework.settings import api_settings

from config.addresses import client_address


class _SiteThrottle:
    """Rates read at each request; clients identified by ``client_address``."""

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
