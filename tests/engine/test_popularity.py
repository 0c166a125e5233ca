"""Popularity and trending scores on hand-worked cases."""

import numpy as np
import pytest
import scipy.sparse as sp

from recommendations.engine import Popularity

DAY = 86_400.0
# users x items; non-zeros in csr order: (0,0) (0,1) (1,0) (1,2) (2,0) (2,3)
MATRIX = sp.csr_matrix(np.array([[1, 5, 0, 0], [2, 0, 1, 0], [1, 0, 0, 3]], dtype=np.float32))
# ages at the reference time 10 days: 0, 9, 1, 0, 2, 0 days
TIMES = np.array([10, 1, 9, 10, 8, 10]) * DAY


def test_plain_popularity_counts_users():
    model = Popularity().fit(MATRIX)
    assert list(model.scores) == [3, 1, 1, 1]


def test_weights_are_summed_when_asked():
    model = Popularity(use_weights=True).fit(MATRIX)
    assert list(model.scores) == [4, 5, 1, 3]


def test_half_life_decay():
    model = Popularity(half_life_days=1.0).fit(MATRIX, TIMES)
    # item 0: 2^0 + 2^-1 + 2^-2; item 1: 2^-9; item 2: 2^0; item 3: 2^0
    assert model.scores == pytest.approx([1.75, 2**-9, 1.0, 1.0])


def test_reference_time_and_future_interactions():
    model = Popularity(half_life_days=2.0, reference_time=9 * DAY).fit(MATRIX, TIMES)
    # ages 0 (future clipped), 8, 0, 0 (future), 1, 0 (future) days with half-life 2
    assert model.scores == pytest.approx([1 + 1 + 2**-0.5, 2**-4, 1.0, 1.0])


def test_recommend_excludes_seen_and_masked_and_pads():
    model = Popularity(use_weights=True).fit(MATRIX)  # scores 4, 5, 1, 3
    ids, scores = model.recommend([0, 1], MATRIX, k=4)
    assert ids.tolist() == [[3, 2, -1, -1], [1, 3, -1, -1]]
    assert scores[0].tolist() == [3.0, 1.0, -np.inf, -np.inf]
    mask = np.array([False, True, False, False])
    ids, _ = model.recommend([0], MATRIX, k=2, exclude_seen=False, item_mask=mask)
    assert ids.tolist() == [[0, 3]]
    with pytest.raises(ValueError, match="boolean"):  # 0/1 could be mistaken for item ids
        model.recommend([0], MATRIX, k=2, exclude_seen=False, item_mask=np.array([0, 1, 0, 0]))
    per_user_mask = np.array([[0, 0, 0, 1], [1, 0, 0, 0]], dtype=bool)
    ids, _ = model.recommend([0, 1], MATRIX, k=1, exclude_seen=False, item_mask=per_user_mask)
    assert ids.tolist() == [[1], [1]]


def test_items_without_interactions_are_not_recommended():
    matrix = sp.csr_matrix(np.array([[1, 0, 0]], dtype=np.float32))
    ids, scores = Popularity().fit(matrix).recommend([0], matrix, k=2, exclude_seen=False)
    assert ids.tolist() == [[0, -1]] and scores[0, 1] == -np.inf


def test_misaligned_timestamps_are_rejected():
    with pytest.raises(ValueError, match="aligned"):
        Popularity(half_life_days=1.0).fit(MATRIX, TIMES[:3])


def test_anonymous_shelf_needs_no_history():
    model = Popularity(use_weights=True).fit(MATRIX)  # scores 4, 5, 1, 3
    ids, _ = model.recommend([0], None, k=2, exclude_seen=False)
    assert ids.tolist() == [[1, 0]]
    with pytest.raises(ValueError, match="user_items is required"):
        model.recommend([0], None, k=2)
