"""Searching the catalog as a learner: what every door (the search page, the API) calls.

The search itself is the catalog's (``courses.search``); this adds what needs the recommender:
for a signed-in learner with personalisation on, items equal in relevance are ordered by the
learner's recommended list of that type (never above a more relevant item), and the search is
recorded as a feedback event (type ``search``, with its query) by the server.
"""

from __future__ import annotations

import logging

from courses.search import SearchPage, item_search
from recommendations.services.events import event_record
from recommendations.services.profiles import personalization_enabled_for
from recommendations.services.serving import recommendations_for

logger = logging.getLogger(__name__)

TIE_BREAK_LIST = 50  # the learner's top items that order equally relevant results


def _learner_scores(user, item_type: str):
    """A tie-break for ``item_search``: an item's score is its place in the learner's
    recommended list of its type (the first scores highest; an item not in it scores nothing)."""

    def scores(object_ids: list[int]) -> dict[int, float]:
        try:
            found = recommendations_for(
                user=user, item_type=item_type, slot="search", k=TIE_BREAK_LIST
            )
        except Exception:  # the recommender never makes a search fail
            logger.exception("search: no recommended list to break ties with")
            return {}
        wanted = set(object_ids)
        ranked = [rec.object.pk for rec in found.items if rec.object.pk in wanted]
        return {pk: float(len(ranked) - n) for n, pk in enumerate(ranked)}

    return scores


def catalog_search_for(
    *,
    user,
    query: str,
    item_type: str = "course",
    sort: str = "relevance",
    page: int = 1,
    page_size: int = 12,
    within=None,
    visitor_id: str = "",
    door: str = "search",
) -> SearchPage:
    """A page of items of ``item_type`` for ``query`` (see ``courses.search.item_search``),
    with ties in relevance broken by the learner's recommendations when personalisation is on;
    the first page of a search is recorded as a ``search`` event (``door`` names where it was
    made)."""
    tie_break = _learner_scores(user, item_type) if personalization_enabled_for(user) else None
    result = item_search(
        query=query,
        item_type=item_type,
        sort=sort,
        page=page,
        page_size=page_size,
        within=within,
        tie_break=tie_break,
    )
    if page == 1 and query.strip():
        event_record(
            user=user, visitor_id=visitor_id, event_type="search", query=query.strip(), page=door
        )
    return result
