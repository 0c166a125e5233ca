"""Signing in with a password, limited against guessing: the one way every door signs in.

The site's sign-in page, the admin's and the API's token endpoint all call
``account_authenticate``. It counts sign-ins per account (the username as typed, whatever its
case and whether or not such an account exists, so the limit tells nothing about which accounts
exist) and per client address (``config.addresses``; an IPv6 address counts for its /64), each
in a window that opens with the first attempt and closes ``SIGNIN_WINDOW_SECONDS`` later.
Attempts are counted before the password is checked, so guesses sent all at once are counted
too. Past ``SIGNIN_MAX_FAILURES_PER_ACCOUNT`` on the account or
``SIGNIN_MAX_FAILURES_PER_ADDRESS`` from the address, sign-ins are refused without checking the
password (``SignInLimited``, with the seconds until the window closes) until the window closes:
a guesser learns nothing more, and the account's owner waits one window at most.

A successful sign-in clears its account's count, and takes itself off its address's count, so
only failures add up there: signing in to one's own account buys no guesses at another's. With
the cache away nothing is counted and nobody is refused (``config.cache`` logs it): the limit
protects sign-in, it must never stop it.
"""

import hashlib
import ipaddress
import math
import time

from django.conf import settings
from django.contrib.auth import authenticate
from django.utils.translation import ngettext

from config.addresses import client_address
from config.cache import cache_add, cache_delete_many, cache_get_many, cache_incr


class SignInLimited(Exception):
    """Too many failed sign-ins for the account or from the address: try again in
    ``retry_after`` seconds."""

    def __init__(self, retry_after: int):
        super().__init__(retry_after)
        self.retry_after = retry_after

    @property
    def message(self) -> str:
        """What to tell the person, in the active language."""
        minutes = max(1, math.ceil(self.retry_after / 60))
        return ngettext(
            "Too many failed sign-in attempts. Try again in %(minutes)d minute.",
            "Too many failed sign-in attempts. Try again in %(minutes)d minutes.",
            minutes,
        ) % {"minutes": minutes}


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:32]


def account_key(username: str) -> str:
    return f"signin:account:{_digest(username.strip().lower())}"


def address_key(address: str) -> str:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return f"signin:address:{_digest(address)}"
    if ip.version == 6 and ip.ipv4_mapped is None:
        # One subscriber usually holds a whole /64: its addresses are one client.
        return f"signin:address:{ipaddress.ip_network(f'{ip}/64', strict=False)}"
    return f"signin:address:{ip}"


def _closes_key(key: str) -> str:
    return f"{key}:closes"


def _count(key: str, window: int) -> int | None:
    """One more attempt under ``key``; the window opens with the first."""
    cache_add(_closes_key(key), time.time() + window, window)
    return cache_incr(key, timeout=window)


def _seconds_left(keys: list[str], window: int) -> int:
    closes = cache_get_many([_closes_key(key) for key in keys]).values()
    now = time.time()
    return max(1, *(math.ceil(at - now) for at in closes)) if closes else window


def account_authenticate(*, request, username: str, password: str):
    """The active account with these credentials, or None; raises ``SignInLimited`` (without
    checking the password) while the account or the client's address has failed too often."""
    window = settings.SIGNIN_WINDOW_SECONDS
    limits = {
        account_key(username): settings.SIGNIN_MAX_FAILURES_PER_ACCOUNT,
        address_key(client_address(request)): settings.SIGNIN_MAX_FAILURES_PER_ADDRESS,
    }
    counts = {key: _count(key, window) for key in limits}
    over = [key for key, count in counts.items() if count is not None and count > limits[key]]
    if over:
        raise SignInLimited(_seconds_left(over, window))
    user = authenticate(request, username=username, password=password)
    if user is not None:
        account, address = limits
        cache_delete_many([account, _closes_key(account)])
        cache_incr(address, -1)
    return user
