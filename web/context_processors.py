"""Template context every page needs: the number of items in the cart (for the header)."""

from commerce.cart import cart_count


def cart_summary(request):
    session = getattr(request, "session", None)
    return {"cart_count": cart_count(session) if session is not None else 0}
