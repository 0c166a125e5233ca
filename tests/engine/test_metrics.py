"""Metrics against hand-worked examples: the arithmetic is written next to each expectation."""

import math

import numpy as np
import pytest
import scipy.sparse as sp

from recommendations.engine import metrics

K = 3
# Five users, six items. User 2 has no held-out item and is skipped by every accuracy metric.
RECOMMENDED = np.array(
    [
        [0, 1, 2],  # truth {1, 4}: hit at place 2
        [3, -1, -1],  # truth {3}: hit at place 1, then padding
        [4, 5, 0],  # truth {}: skipped
        [0, 5, 1],  # truth {0, 1, 2, 3, 4}: hits at places 1 and 3, |T| > k
        [0, 1, 2],  # truth {5}: no hit
    ]
)
TRUTH_SETS = [{1, 4}, {3}, set(), {0, 1, 2, 3, 4}, {5}]


def _csr(sets, n_items=6):
    rows = [u for u, items in enumerate(sets) for _ in items]
    cols = [i for items in sets for i in sorted(items)]
    return sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(sets), n_items))


TRUTH = _csr(TRUTH_SETS)
L2, L3 = math.log2(3), math.log2(4)  # discounts of places 2 and 3 are 1/L2 and 1/L3


def test_precision_counts_padding_as_misses():
    # hits 1, 1, 2, 0 over k = 3 for the four users with truth
    assert metrics.precision(RECOMMENDED, TRUTH, K) == pytest.approx((1 + 1 + 2 + 0) / 3 / 4)


def test_recall_divides_by_min_k_and_truth_size():
    # 1/min(3,2), 1/min(3,1), 2/min(3,5), 0/min(3,1)
    assert metrics.recall(RECOMMENDED, TRUTH, K) == pytest.approx((1 / 2 + 1 + 2 / 3 + 0) / 4)


def test_plain_recall_divides_by_truth_size():
    # 1/2, 1/1, 2/5, 0/1
    assert metrics.plain_recall(RECOMMENDED, TRUTH, K) == pytest.approx((1 / 2 + 1 + 2 / 5) / 4)


def test_ndcg_binary_relevance_with_ideal_over_min_k_truth():
    user0 = (1 / L2) / (1 + 1 / L2)  # hit at 2; ideal: 2 hits at places 1-2
    user1 = 1.0  # hit at 1; ideal: 1 hit
    user3 = (1 + 1 / L3) / (1 + 1 / L2 + 1 / L3)  # hits at 1, 3; ideal: 3 hits (capped at k)
    user4 = 0.0
    expected = (user0 + user1 + user3 + user4) / 4
    assert metrics.ndcg(RECOMMENDED, TRUTH, K) == pytest.approx(expected)
    assert expected == pytest.approx(0.52269, abs=1e-5)


def test_map_averages_precision_at_hits():
    user0 = (1 / 2) / 2  # P@2 = 1/2 at the only hit, over min(3, 2)
    user1 = 1.0 / 1
    user3 = (1 / 1 + 2 / 3) / 3  # P@1 = 1, P@3 = 2/3, over min(3, 5)
    assert metrics.average_precision(RECOMMENDED, TRUTH, K) == pytest.approx(
        (user0 + user1 + user3 + 0) / 4
    )


def test_hit_rate():
    assert metrics.hit_rate(RECOMMENDED, TRUTH, K) == pytest.approx(3 / 4)


def test_ranking_metrics_agree_with_single_functions():
    combined = metrics.ranking_metrics(RECOMMENDED, TRUTH, K)
    assert combined["precision@3"] == pytest.approx(metrics.precision(RECOMMENDED, TRUTH, K))
    assert combined["recall@3"] == pytest.approx(metrics.recall(RECOMMENDED, TRUTH, K))
    assert combined["plain_recall@3"] == pytest.approx(metrics.plain_recall(RECOMMENDED, TRUTH, K))
    assert combined["ndcg@3"] == pytest.approx(metrics.ndcg(RECOMMENDED, TRUTH, K))
    assert combined["map@3"] == pytest.approx(metrics.average_precision(RECOMMENDED, TRUTH, K))
    assert combined["hit_rate@3"] == pytest.approx(metrics.hit_rate(RECOMMENDED, TRUTH, K))


def test_k_smaller_than_list_reads_only_the_head():
    # k = 1: only the first column. Hits: user0 no, user1 yes, user3 yes, user4 no.
    assert metrics.precision(RECOMMENDED, TRUTH, 1) == pytest.approx(2 / 4)
    assert metrics.ndcg(RECOMMENDED, TRUTH, 1) == pytest.approx(2 / 4)


def test_no_user_with_truth_gives_nan():
    empty = sp.csr_matrix((5, 6))
    assert math.isnan(metrics.ndcg(RECOMMENDED, empty, K))


def test_shape_mismatch_is_rejected():
    with pytest.raises(ValueError, match="rows"):
        metrics.precision(RECOMMENDED[:2], TRUTH, K)


def test_catalog_coverage():
    # distinct valid ids across lists: {0, 1, 2, 3, 4, 5} of 6 items; first two lists: {0,1,2,3}
    assert metrics.catalog_coverage(RECOMMENDED, 6) == 1.0
    assert metrics.catalog_coverage(RECOMMENDED[:2], 6) == pytest.approx(4 / 6)


SIMILARITY = np.array(
    [
        [1.0, 0.5, 0.0, 0.2],
        [0.5, 1.0, 1.0, 0.0],
        [0.0, 1.0, 1.0, 0.0],
        [0.2, 0.0, 0.0, 1.0],
    ]
)


def test_intra_list_diversity_with_matrix_and_function():
    lists = np.array([[0, 1, 2], [0, 3, -1], [3, -1, -1]])
    # list 1 pairs: 0.5, 0.0, 1.0 -> mean 0.5 -> 0.5; list 2: 0.2 -> 0.8; list 3: no pair
    expected = (0.5 + 0.8) / 2
    assert metrics.intra_list_diversity(lists, SIMILARITY) == pytest.approx(expected)
    assert metrics.intra_list_diversity(lists, sp.csr_matrix(SIMILARITY)) == pytest.approx(expected)
    calls = []

    def similarity(a, b):
        calls.append((a.copy(), b.copy()))
        return SIMILARITY[np.ix_(a, b)]

    assert metrics.intra_list_diversity(lists, similarity) == pytest.approx(expected)
    assert len(calls) == 1 and list(calls[0][0]) == [0, 1, 2, 3]


COUNTS = np.array([4, 2, 1, 0])


def test_item_popularity_counts_distinct_users():
    matrix = sp.csr_matrix(np.array([[1, 3, 0, 0], [2, 0, 0, 0], [1, 1, 1, 0], [5, 0, 0, 0]]))
    assert list(metrics.item_popularity(matrix)) == [4, 2, 1, 0]


def test_novelty_is_mean_self_information():
    # n_users = 4: p = 1, 1/2, 1/4, floor(0 -> 1)/4 -> bits 0, 1, 2, 2
    assert metrics.novelty(np.array([[0, 1], [2, 3]]), COUNTS, 4) == pytest.approx(5 / 4)
    assert metrics.novelty(np.array([[0, -1]]), COUNTS, 4) == pytest.approx(0.0)


def test_average_recommendation_popularity():
    # list means: (4 + 2) / 2 = 3 and (1 + 0) / 2 = 0.5; padding ignored
    lists = np.array([[0, 1, -1], [2, 3, -1]])
    assert metrics.average_recommendation_popularity(lists, COUNTS) == pytest.approx(1.75)


def test_popularity_percentile_is_mid_rank():
    # sorted counts 0, 1, 2, 4: item 0 has 3 below -> 3.5/4, item 1 has 2 below -> 2.5/4
    assert metrics.popularity_percentile(np.array([[0, 1]]), COUNTS) == pytest.approx(
        (3.5 / 4 + 2.5 / 4) / 2
    )
    # ties share the mid rank: counts 1, 1 -> 0 below, 2 equal -> (0 + 1) / 2 = 0.5
    assert metrics.popularity_percentile(np.array([[0]]), np.array([1, 1])) == pytest.approx(0.5)
