"""Rate limits per scope; the rates are the ``DEFAULT_THROTTLE_RATES`` setting.

``anon`` (per client address) and ``user`` (per account) apply to every request; ``events``
(batch ingestion) and ``auth`` (sign-up and sign-in, against password guessing) apply on top of
them to their views. A throttled request answers 429 with ``Retry-After``. Rates are read at each
request, so a settings change (and a test's override) takes effect at once.
"""

from rest_framework import throttling
from rest_framework.settings import api_settings


class _RatesFromSettings:
    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class AnonRateThrottle(_RatesFromSettings, throttling.AnonRateThrottle):
    scope = "anon"


class UserRateThrottle(_RatesFromSettings, throttling.UserRateThrottle):
    scope = "user"


class ScopedRateThrottle(_RatesFromSettings, throttling.ScopedRateThrottle):
    """The view's ``throttle_scope`` (``events``, ``auth``), per account or client address."""
