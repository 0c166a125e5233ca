"""Where a page sends the browser next."""

from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme


def next_url(request, fallback: str) -> str:
    """The page's ``next`` field (or parameter) when it is on this site, else ``fallback``."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return fallback


def redirect_back(request, fallback: str):
    """Back to the page's ``next`` field (or parameter) when it is on this site, else to
    ``fallback``."""
    return redirect(next_url(request, fallback))
