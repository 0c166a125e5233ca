"""'Bought together' on a hand-made purchase matrix."""

import numpy as np
import pytest
import scipy.sparse as sp

from recommendations.engine import bought_together

# 5 buyers x 4 courses. Buyers per course: n = [4, 3, 1, 2].
# Co-purchases with course 0: c01 = 3, c02 = 1, c03 = 1.
PURCHASES = sp.csr_matrix(
    np.array(
        [
            [1, 1, 0, 0],
            [1, 1, 1, 0],
            [1, 1, 0, 1],
            [1, 0, 0, 0],
            [0, 0, 0, 1],
        ],
        dtype=np.float32,
    )
)


def test_cosine_with_support_one():
    ids, scores = bought_together(PURCHASES, [0], k=3, min_support=1, measure="cosine")
    # c01/sqrt(4*3) = 0.866, c02/sqrt(4*1) = 0.5, c03/sqrt(4*2) = 0.354
    assert ids.tolist() == [[1, 2, 3]]
    assert scores[0] == pytest.approx([3 / np.sqrt(12), 1 / 2, 1 / np.sqrt(8)], rel=1e-6)


def test_lift_prefers_rare_items_and_support_filters_them():
    ids, scores = bought_together(PURCHASES, [0], k=3, min_support=1, measure="lift")
    # lift = c * N / (n_i n_j) with N = 5: item 1: 15/12, item 2: 5/4, item 3: 5/8
    assert ids.tolist()[0][2] == 3
    assert sorted(scores[0][:2].tolist()) == pytest.approx([1.25, 1.25])
    ids, scores = bought_together(PURCHASES, [0], k=3, min_support=2, measure="lift")
    assert ids.tolist() == [[1, -1, -1]]
    assert scores[0][0] == pytest.approx(1.25)


def test_confidence_and_batch_of_queries():
    ids, scores = bought_together(PURCHASES, [3, 2], k=2, min_support=1, measure="confidence")
    # buyers of 3 (users 2, 4): also bought 0 once and 1 once -> 1/2 each, tie by lower id
    # buyers of 2 (user 1): bought 0 and 1 -> 1/1 each
    assert ids.tolist() == [[0, 1], [0, 1]]
    assert scores.tolist() == [[0.5, 0.5], [1.0, 1.0]]


def test_query_item_never_returned_and_weights_ignored():
    weighted = PURCHASES.multiply(7).tocsr()
    ids, _ = bought_together(weighted, [1], k=4, min_support=1)
    assert 1 not in ids[0] and ids[0].tolist()[-1] == -1


def test_bad_measure():
    with pytest.raises(ValueError, match="measure"):
        bought_together(PURCHASES, [0], measure="jaccard")
