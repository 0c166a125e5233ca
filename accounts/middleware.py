"""An anonymous visitor id, so what a visitor does before signing in can be kept with the account
they sign in to (``events_merge_visitor``)."""

import uuid

VISITOR_COOKIE = "zb_vid"
VISITOR_COOKIE_AGE = 365 * 24 * 3600


class VisitorIdMiddleware:
    """Give every browser a random visitor id cookie and expose it as ``request.visitor_id``.

    The id is random and says nothing about the person; it is set on the first response and is
    readable by the server only (HttpOnly).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        visitor_id = request.COOKIES.get(VISITOR_COOKIE, "")
        fresh = not _valid(visitor_id)
        if fresh:
            visitor_id = uuid.uuid4().hex
        request.visitor_id = visitor_id
        response = self.get_response(request)
        if fresh:
            response.set_cookie(
                VISITOR_COOKIE,
                visitor_id,
                max_age=VISITOR_COOKIE_AGE,
                httponly=True,
                samesite="Lax",
                secure=request.is_secure(),
            )
        return response


def _valid(visitor_id: str) -> bool:
    try:
        return uuid.UUID(hex=visitor_id).hex == visitor_id
    except ValueError:
        return False
