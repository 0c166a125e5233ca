"""The judged query set over the demo catalog: every query puts its relevant courses first, on
whichever database the suite runs (PostgreSQL in CI; SQLite when DATABASE_URL names one), and the
search beats the substring match it replaced on nDCG@5."""

import pytest
from django.utils import timezone

from courses.search import item_search, search_index_rebuild
from courses.selectors import catalog_search
from demo.catalog import DEFAULT_SEED, build_catalog
from tests.search.judged import JUDGED, catalog_grades, findable_items, ndcg_at

pytestmark = pytest.mark.django_db


def test_the_judged_set_covers_chinese_english_mixed_and_typos():
    assert len(JUDGED) >= 30
    assert {j.kind for j in JUDGED} == {"zh", "en", "mixed", "typo"}
    assert len({(j.query, j.item_type) for j in JUDGED}) == len(JUDGED)
    others = [j for j in JUDGED if j.item_type != "course"]
    assert len(others) >= 10 and {j.item_type for j in others} == {"live", "video", "product"}


def test_every_judged_query_puts_its_relevant_items_first_and_beats_substring_search():
    build_catalog(seed=DEFAULT_SEED, scale=1, now=timezone.now())
    search_index_rebuild()
    items = {t: findable_items(t) for t in ("course", "live", "video", "product")}
    failures, ours, substring = [], {}, {}
    for judgment in JUDGED:
        item_type = judgment.item_type
        grades = catalog_grades(judgment, items[item_type])
        relevant = sum(1 for grade in grades.values() if grade == 2)
        assert relevant, f"{judgment.query!r} has no relevant {item_type} in the demo catalog"
        hits = item_search(query=judgment.query, item_type=item_type).hits
        found = [grades[hit.item.pk] for hit in hits]
        needed = min(judgment.top, relevant)
        if found[:needed] != [2] * needed:
            failures.append((item_type, judgment.query, found[:5]))
        old = catalog_search(item_type=item_type, query=judgment.query)
        old = list(old.values_list("pk", flat=True)[:5])
        ours.setdefault(item_type, []).append(ndcg_at(5, found, list(grades.values())))
        substring.setdefault(item_type, []).append(
            ndcg_at(5, [grades[pk] for pk in old], list(grades.values()))
        )
    assert failures == []
    for item_type, scores in ours.items():
        theirs = substring[item_type]
        assert sum(scores) / len(scores) > sum(theirs) / len(theirs) + 0.2, item_type
