"""Popularity and trending: the non-personalised baseline and the "hot right now" shelf.

The score of item :math:`i` is a (decayed) sum over its interactions

.. math:: s_i = \\sum_{u} w_{ui} \\; 2^{-\\max(0,\\, t_\\mathrm{ref} - t_{ui}) / h}

with :math:`w_{ui}` the interaction weight (or 1 when counting users), :math:`t_{ui}` its time,
:math:`t_\\mathrm{ref}` the reference time and :math:`h` the half-life: an interaction loses half
its weight every :math:`h`. Without a half-life (or without timestamps) this is plain
popularity. The decay is scale-free in time: moving every timestamp and the reference time by the
same amount changes no score, and one half-life ago counts half as much as now.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from recommendations.engine._ranking import exclusion_mask, top_k

SECONDS_PER_DAY = 86_400.0


class Popularity:
    """Item popularity with optional exponential time decay ("trending").

    Parameters
    ----------
    half_life_days:
        Half-life :math:`h` of an interaction's weight, in days; ``None`` for no decay.
    use_weights:
        Sum the interaction weights (``True``) or count each interacting user once (``False``).
    reference_time:
        :math:`t_\\mathrm{ref}` in epoch seconds; by default the latest timestamp seen in ``fit``.
        Interactions after it count with full weight.
    """

    def __init__(
        self,
        half_life_days: float | None = None,
        use_weights: bool = False,
        reference_time: float | None = None,
    ) -> None:
        if half_life_days is not None and half_life_days <= 0:
            raise ValueError(f"half_life_days must be positive, got {half_life_days}")
        self.half_life_days = half_life_days
        self.use_weights = use_weights
        self.reference_time = reference_time
        self.scores: np.ndarray | None = None

    def fit(self, user_items, timestamps: np.ndarray | None = None) -> Popularity:
        """Compute item scores from a users x items matrix.

        ``timestamps`` (epoch seconds) are aligned with the non-zeros of ``user_items`` in csr
        order; they are needed only when a half-life is set.
        """
        matrix = sp.csr_matrix(user_items)
        matrix.sort_indices()
        weights = (
            matrix.data.astype(np.float64)
            if self.use_weights
            else (matrix.data != 0).astype(np.float64)
        )
        if self.half_life_days is not None and timestamps is not None:
            timestamps = np.asarray(timestamps, dtype=np.float64)
            if timestamps.shape != (matrix.nnz,):
                raise ValueError(
                    f"timestamps must be aligned with the {matrix.nnz} non-zeros, "
                    f"got shape {timestamps.shape}"
                )
            reference = (
                self.reference_time
                if self.reference_time is not None
                else (timestamps.max() if timestamps.size else 0.0)
            )
            age_days = np.maximum(reference - timestamps, 0.0) / SECONDS_PER_DAY
            weights = weights * np.exp2(-age_days / self.half_life_days)
        self.scores = np.bincount(matrix.indices, weights=weights, minlength=matrix.shape[1])
        return self

    def recommend(
        self,
        user_ids,
        user_items,
        k: int = 10,
        exclude_seen: bool = True,
        item_mask: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` items for each user, with the same conventions as ``ALS.recommend``.

        Returns ``(ids, scores)`` of shape ``(len(user_ids), k)``, best first, padded with
        ``-1`` / ``-inf``. Seen items (non-zeros of ``user_items`` rows) are skipped when
        ``exclude_seen``; ``user_items`` may be ``None`` otherwise (e.g. the trending shelf of
        an anonymous visitor: ``recommend([0], None, exclude_seen=False)``). ``item_mask``
        (``True`` = excluded) has shape ``(n_items,)`` or ``(len(user_ids), n_items)``. Items
        never interacted with are not recommended.
        """
        if self.scores is None:
            raise RuntimeError("Popularity.recommend called before fit")
        user_ids = np.atleast_1d(np.asarray(user_ids, dtype=np.int64))
        excluded = exclusion_mask(user_ids, user_items, len(self.scores), exclude_seen, item_mask)
        excluded |= self.scores <= 0
        scores = np.broadcast_to(self.scores, excluded.shape)
        return top_k(scores, k, excluded)
