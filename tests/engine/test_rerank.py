"""MMR re-ranking, the per-owner cap and score blending on hand-made cases."""

import numpy as np
import pytest

from recommendations.engine import mmr_rerank
from recommendations.engine.rerank import blend

CANDIDATES = np.array([10, 11, 12])
# relevance 1.0, 0.9, 0.5 -> min-max scaled 1.0, 0.8, 0.0
SCORES = np.array([1.0, 0.9, 0.5])
# 10 and 11 are near-duplicates, 12 is unrelated
SIM = np.array([[1.0, 0.9, 0.0], [0.9, 1.0, 0.0], [0.0, 0.0, 1.0]])


def test_lambda_one_keeps_relevance_order():
    assert mmr_rerank(CANDIDATES, SCORES, SIM, k=3, lambda_=1.0).tolist() == [10, 11, 12]


def test_mmr_trades_relevance_for_diversity():
    # lambda 0.7, after 10: gain(11) = 0.7*0.8 - 0.3*0.9 = 0.29 > gain(12) = 0 -> 11 kept second
    assert mmr_rerank(CANDIDATES, SCORES, SIM, k=2, lambda_=0.7).tolist() == [10, 11]
    # lambda 0.5, after 10: gain(11) = 0.4 - 0.45 = -0.05 < gain(12) = 0 -> 12 second
    assert mmr_rerank(CANDIDATES, SCORES, SIM, k=2, lambda_=0.5).tolist() == [10, 12]


def test_similarity_function_is_called_with_candidates():
    seen = []

    def similarity(a, b):
        seen.append(a.tolist())
        return SIM

    assert mmr_rerank(CANDIDATES, SCORES, similarity, k=2, lambda_=0.5).tolist() == [10, 12]
    assert seen == [[10, 11, 12]]


def test_cap_per_owner():
    owners = np.array(["ann", "ann", "bob"])
    picked = mmr_rerank(
        CANDIDATES, SCORES, SIM, k=3, lambda_=1.0, owner_ids=owners, max_per_owner=1
    )
    assert picked.tolist() == [10, 12]  # 11 is skipped: ann already has one course


def test_non_finite_scores_are_never_picked():
    scores = np.array([1.0, -np.inf, 0.5])
    assert mmr_rerank(CANDIDATES, scores, SIM, k=3, lambda_=1.0).tolist() == [10, 12]


def test_bad_shapes():
    with pytest.raises(ValueError, match="similarity"):
        mmr_rerank(CANDIDATES, SCORES, SIM[:2, :2], k=2)


def test_blend_minmax_arrays():
    a = np.array([0.0, 5.0, 10.0, -np.inf])  # -> 0, 0.5, 1, unscored
    b = np.array([3.0, 1.0, np.nan, np.nan])  # -> 1, 0, unscored, unscored
    blended = blend([a, b], [1.0, 2.0])
    assert blended.tolist() == pytest.approx([0 + 2 * 1, 0.5 + 0, 1 + 0, -np.inf])


def test_blend_rank_is_scale_free():
    a = np.array([[1.0, 100.0, 10.0]])  # ranks 3, 1, 2 -> Borda 1/3, 1, 2/3
    b = np.array([[0.3, 0.2, 0.1]])  # ranks 1, 2, 3 -> 1, 2/3, 1/3
    blended = blend([a, b], [0.5, 0.5], normalisation="rank")
    assert blended.tolist()[0] == pytest.approx([2 / 3, 5 / 6, 0.5])
    assert blend([a * 1000, b], [0.5, 0.5], normalisation="rank") == pytest.approx(blended)


def test_blend_dicts():
    # first: a -> 0, b -> 1; second: b -> 0, c -> 1 (constant inputs map to 1)
    assert blend([{"a": 1, "b": 3}, {"b": 0, "c": 10}], [1, 2]) == {"a": 0, "b": 1, "c": 2}
    assert blend([{"x": 4.0}], [0.5]) == {"x": 0.5}


def _greedy_mmr(scores, sim, k, lambda_, owners=None, cap=None):
    """MMR as the paper states it, one candidate at a time in plain Python: the reference."""
    finite = [s for s in scores if np.isfinite(s)]
    low, high = (min(finite), max(finite)) if finite else (0.0, 0.0)
    relevance = [
        None if not np.isfinite(s) else (1.0 if high == low else (s - low) / (high - low))
        for s in scores
    ]
    picked, count = [], {}
    while len(picked) < k:
        best, best_gain = None, None
        for i, rel in enumerate(relevance):
            if rel is None or i in picked:
                continue
            if owners is not None and cap is not None and count.get(owners[i], 0) >= cap:
                continue
            penalty = max((sim[i][j] for j in picked), default=0.0)
            gain = lambda_ * rel - (1 - lambda_) * max(penalty, 0.0)
            if best_gain is None or gain > best_gain:
                best, best_gain = i, gain
        if best is None:
            break
        picked.append(best)
        if owners is not None:
            count[owners[best]] = count.get(owners[best], 0) + 1
    return picked


def test_mmr_picks_what_the_greedy_definition_picks_on_random_cases():
    rng = np.random.default_rng(7)
    for case in range(400):
        n, k = int(rng.integers(1, 25)), int(rng.integers(1, 12))
        # Coarse values, so that ties (broken by position) happen often.
        scores = np.round(rng.random(n), 1)
        if case % 5 == 0:
            scores[rng.integers(0, n)] = np.nan
        sim = np.round(rng.random((n, n)), 1)
        sim = (sim + sim.T) / 2
        lambda_ = float(rng.choice([0.0, 0.5, 0.85, 1.0]))
        owners = rng.integers(0, 4, n) if case % 2 else None
        cap = int(rng.integers(0, 3)) if owners is not None else None
        expected = _greedy_mmr(scores.tolist(), sim.tolist(), k, lambda_, owners, cap)
        got = mmr_rerank(np.arange(n), scores, sim, k, lambda_, owner_ids=owners, max_per_owner=cap)
        assert got.tolist() == expected, case
