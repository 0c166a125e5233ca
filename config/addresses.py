"""The address of the client behind a request: one answer for every door and every limit.

Each proxy in front of the site (a load balancer, a CDN) appends the address it received the
request from to ``X-Forwarded-For``. Behind ``TRUSTED_PROXIES`` of them, the client's address is
therefore that many entries from the right: the right-most entry is what the nearest proxy saw,
and everything to the left of the trusted entries is whatever the client chose to send. With no
trusted proxy (the default) the header is ignored and the address is the connection's
(``REMOTE_ADDR``), so a client cannot pick its own address by sending the header.

DRF's throttles (``NUM_PROXIES``, set from the same setting) and the sign-in limiter
(``accounts.signin``) both identify clients with ``client_address``.
"""

import ipaddress

from django.conf import settings


def client_address(request) -> str:
    """The client's address for ``request`` (an ``HttpRequest`` or a DRF ``Request``),
    normalised when it is an IP address ("" when the server knows none)."""
    address = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXIES
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies > 0 and forwarded:
        entries = [entry.strip() for entry in forwarded.split(",")]
        # Fewer entries than proxies: the request passed fewer proxies than configured, and
        # the left-most entry is the address the first of them saw (as DRF reads it).
        address = entries[-min(proxies, len(entries))] or address
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return address
