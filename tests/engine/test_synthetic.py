"""Tests of the synthetic interaction generators."""

import numpy as np
import pytest
import scipy.sparse as sp

from recommendations.engine.synthetic import planted_low_rank, power_law_interactions


def test_power_law_has_exact_size_counts_and_a_popular_head():
    matrix = power_law_interactions(2000, 500, 20_000, random_state=0)
    assert isinstance(matrix, sp.csr_matrix)
    assert matrix.shape == (2000, 500) and matrix.nnz == 20_000
    assert matrix.dtype == np.float32 and matrix.has_sorted_indices
    assert np.all(matrix.data >= 1) and np.all(matrix.data == np.round(matrix.data))
    popularity = np.sort(np.diff(matrix.tocsc().indptr))[::-1]
    assert popularity[:25].sum() > 0.2 * matrix.nnz  # top 5% of items: over 20% of interactions
    assert popularity[-250:].sum() < 0.25 * matrix.nnz  # bottom half: a long thin tail


def test_power_law_is_deterministic_per_seed():
    first = power_law_interactions(300, 100, 3000, random_state=4)
    second = power_law_interactions(300, 100, 3000, random_state=4)
    other = power_law_interactions(300, 100, 3000, random_state=5)
    assert (first != second).nnz == 0
    assert (first != other).nnz > 0


def test_power_law_topics_concentrate_users():
    plain = power_law_interactions(500, 400, 8000, n_topics=1, random_state=1)
    topical = power_law_interactions(500, 400, 8000, n_topics=20, topic_share=0.9, random_state=1)

    def mean_item_overlap(matrix):
        binary = (matrix > 0).astype(np.float64)
        co = (binary @ binary.T).toarray()
        np.fill_diagonal(co, 0)
        return co.max(axis=1).mean()

    assert mean_item_overlap(topical) > 1.2 * mean_item_overlap(plain)


def test_power_law_rejects_impossible_sizes():
    with pytest.raises(ValueError, match="nnz"):
        power_law_interactions(10, 10, 101)
    with pytest.raises(ValueError, match="nnz"):
        power_law_interactions(10, 10, 0)


def test_power_law_can_fill_a_small_matrix():
    matrix = power_law_interactions(10, 8, 80, random_state=2)
    assert matrix.nnz == 80


def test_planted_low_rank_shapes_and_rows():
    data = planted_low_rank(50, 30, rank=3, items_per_user=4, random_state=0)
    assert data.user_items.shape == (50, 30)
    assert np.all(np.diff(data.user_items.indptr) == 4)
    assert data.user_factors.shape == (50, 3) and data.item_factors.shape == (30, 3)
    np.testing.assert_allclose(data.user_factors.sum(axis=1), 1)
    again = planted_low_rank(50, 30, rank=3, items_per_user=4, random_state=0)
    assert (data.user_items != again.user_items).nnz == 0


def test_planted_interactions_follow_the_true_factors():
    data = planted_low_rank(200, 100, rank=4, items_per_user=8, random_state=3)
    affinity = data.user_factors @ data.item_factors.T
    picked = affinity[data.user_items.toarray() > 0].mean()
    assert picked > 2 * affinity.mean()
    with pytest.raises(ValueError):
        planted_low_rank(5, 3, items_per_user=4)
