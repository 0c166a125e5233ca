"""The shopping cart, kept in the visitor's session until checkout.

Lines are keyed ``"course:<id>"`` or ``"product:<id>"`` with a quantity (always 1 for a course).
Prices are never stored here: the cart page and the order read the price in force.
"""

SESSION_KEY = "cart"
KINDS = ("course", "product")
MAX_QUANTITY = 99


def cart_lines(session) -> dict[str, int]:
    return dict(session.get(SESSION_KEY, {}))


def cart_count(session) -> int:
    return sum(cart_lines(session).values())


def cart_add(session, *, kind: str, object_id: int, quantity: int = 1) -> None:
    lines = cart_lines(session)
    key = f"{kind}:{object_id}"
    if kind == "course":
        lines[key] = 1
    else:
        lines[key] = min(MAX_QUANTITY, lines.get(key, 0) + quantity)
    session[SESSION_KEY] = lines


def cart_remove(session, *, kind: str, object_id: int) -> None:
    lines = cart_lines(session)
    lines.pop(f"{kind}:{object_id}", None)
    session[SESSION_KEY] = lines


def cart_clear(session) -> None:
    session.pop(SESSION_KEY, None)


def cart_ids(session) -> dict[str, dict[int, int]]:
    """``{"course": {id: 1}, "product": {id: quantity}}`` from the session's lines."""
    ids: dict[str, dict[int, int]] = {kind: {} for kind in KINDS}
    for key, quantity in cart_lines(session).items():
        kind, _, raw_id = key.partition(":")
        if kind in ids and raw_id.isdigit():
            ids[kind][int(raw_id)] = quantity
    return ids
