"""Content-based recommendation and cold-start item factors from item features.

Item features (tags, category, instructor, linked course…) come as a sparse items x features
matrix of counts or ones. :class:`ContentModel` turns it into TF-IDF vectors and scores items
for learners by cosine similarity, with an explanation ("because you like <tag>").
:class:`ColdStartMapper` learns a linear map from the same features to the item factors of a
collaborative model, so a course with no interactions yet gets factors on day one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from recommendations.engine._ranking import exclusion_mask, top_k


def _l2_normalise_rows(matrix: sp.csr_matrix) -> sp.csr_matrix:
    """Rows scaled to unit Euclidean norm; all-zero rows stay zero."""
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    scale = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
    return sp.csr_matrix(sp.diags(scale) @ matrix)


@dataclass(frozen=True)
class Explanation:
    """The feature that contributes most to a learner-item cosine score."""

    feature: int
    """Column of the feature in the item-feature matrix."""
    name: str | None
    """Its name, when the model was given feature names."""
    contribution: float
    """Its term :math:`l_f x_{if}` of the cosine score."""
    share: float
    """``contribution / score``: the part of the score this feature explains."""


class ContentModel:
    """TF-IDF item vectors and cosine scoring of learners against items.

    Item vectors: with :math:`\\mathrm{tf}_{if}` the feature value of item :math:`i` and
    :math:`\\mathrm{df}_f` the number of items having feature :math:`f` among :math:`n` items,

    .. math:: x_{if} = \\mathrm{tf}_{if} \\cdot \\Big(\\ln\\frac{1 + n}{1 + \\mathrm{df}_f}
              + 1\\Big), \\qquad x_i \\leftarrow x_i / \\lVert x_i \\rVert_2

    (the smoothed IDF of Salton & Buckley, *Term-weighting approaches in automatic text
    retrieval*, 1988, in the form scikit-learn uses). Rare tags weigh more than ubiquitous ones.

    Learner vectors mix declared interests and history, each L2-normalised first:

    .. math:: l = \\beta\\, \\widehat{q \\odot \\mathrm{idf}} + (1 - \\beta)\\,
              \\widehat{\\textstyle\\sum_i w_{i} x_i}

    where :math:`q` are interest weights per feature, :math:`w_i` the learner's interaction
    weights (so the second term is the direction of the weighted mean of the seen items'
    vectors) and :math:`\\hat v = v / \\lVert v \\rVert` (zero stays zero, so a learner with only
    one source gets it in full); :math:`l` is normalised again. Scores are cosines
    :math:`l \\cdot x_i \\in [0, 1]` for non-negative features.
    """

    def __init__(self, interest_weight: float = 0.5, feature_names=None) -> None:
        if not 0.0 <= interest_weight <= 1.0:
            raise ValueError(f"interest_weight must be in [0, 1], got {interest_weight}")
        self.interest_weight = interest_weight
        self.feature_names = None if feature_names is None else list(feature_names)
        self.idf: np.ndarray | None = None
        self.item_vectors: sp.csr_matrix | None = None

    @property
    def n_items(self) -> int:
        return self._vectors().shape[0]

    def _vectors(self) -> sp.csr_matrix:
        if self.item_vectors is None:
            raise RuntimeError("ContentModel used before fit")
        return self.item_vectors

    def fit(self, item_features) -> ContentModel:
        """Compute the IDF weights and the normalised item vectors from items x features."""
        features = sp.csr_matrix(item_features, dtype=np.float64)
        if features.nnz and features.data.min() < 0:
            raise ValueError("item features must be non-negative counts or weights")
        if self.feature_names is not None and len(self.feature_names) != features.shape[1]:
            raise ValueError(
                f"{len(self.feature_names)} feature names for {features.shape[1]} features"
            )
        n_items = features.shape[0]
        present = features.copy()
        present.eliminate_zeros()
        df = np.diff(sp.csc_matrix(present).indptr)
        self.idf = np.log((1.0 + n_items) / (1.0 + df)) + 1.0
        self.item_vectors = self.transform(features)
        return self

    def transform(self, item_features) -> sp.csr_matrix:
        """TF-IDF and L2-normalise features of (possibly new) items with the fitted IDF."""
        if self.idf is None:
            raise RuntimeError("ContentModel used before fit")
        features = sp.csr_matrix(item_features, dtype=np.float64)
        return _l2_normalise_rows(sp.csr_matrix(features @ sp.diags(self.idf)))

    def learner_vectors(self, interests=None, history=None) -> sp.csr_matrix:
        """Learner vectors (rows) from interests (learners x features) and/or history.

        ``history`` is learners x items interaction weights over the fitted items. Either may be
        ``None``; given both, they must have the same number of rows.
        """
        vectors = self._vectors()
        parts = []
        if interests is not None:
            weighted = sp.csr_matrix(interests, dtype=np.float64) @ sp.diags(self.idf)
            parts.append((self.interest_weight, _l2_normalise_rows(sp.csr_matrix(weighted))))
        if history is not None:
            seen = sp.csr_matrix(history, dtype=np.float64) @ vectors
            parts.append((1.0 - self.interest_weight, _l2_normalise_rows(sp.csr_matrix(seen))))
        if not parts:
            raise ValueError("learner_vectors needs interests, history or both")
        if len(parts) == 1:
            return parts[0][1]
        (w_a, a), (w_b, b) = parts
        if a.shape != b.shape:
            raise ValueError(f"interests and history describe {a.shape[0]} and {b.shape[0]} users")
        return _l2_normalise_rows(sp.csr_matrix(w_a * a + w_b * b))

    def score(self, learner_vectors, item_ids=None) -> np.ndarray:
        """Cosine scores, dense ``(n_learners, n_items)`` (or only the columns ``item_ids``)."""
        vectors = self._vectors()
        if item_ids is not None:
            vectors = vectors[np.asarray(item_ids, dtype=np.int64)]
        return np.asarray((sp.csr_matrix(learner_vectors) @ vectors.T).toarray())

    def recommend(
        self,
        user_ids,
        user_items,
        k: int = 10,
        exclude_seen: bool = True,
        item_mask: np.ndarray | None = None,
        interests=None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` items by cosine, with the conventions of ``ALS.recommend``.

        History comes from the rows ``user_ids`` of ``user_items``; ``interests`` (optional)
        has one row per entry of ``user_ids``. Items with a zero score are not recommended, so
        a learner with no signal gets an all-padding row.
        """
        user_ids = np.atleast_1d(np.asarray(user_ids, dtype=np.int64))
        history = sp.csr_matrix(user_items)[user_ids]
        learners = self.learner_vectors(interests=interests, history=history)
        scores = self.score(learners)
        excluded = exclusion_mask(user_ids, user_items, self.n_items, exclude_seen, item_mask)
        excluded |= scores <= 0
        return top_k(scores, k, excluded)

    def similarity(self, item_ids, other_ids=None) -> np.ndarray:
        """Cosine similarity of items' content, dense ``(len(item_ids), len(other_ids))``.

        ``other_ids`` defaults to ``item_ids``; usable as the similarity of
        :func:`recommendations.engine.metrics.intra_list_diversity` and of
        :func:`recommendations.engine.rerank.mmr_rerank`.
        """
        vectors = self._vectors()
        left = vectors[np.asarray(item_ids, dtype=np.int64)]
        right = left if other_ids is None else vectors[np.asarray(other_ids, dtype=np.int64)]
        return np.asarray((left @ right.T).toarray())

    def explain(self, learner_vectors, item_ids) -> list[Explanation | None]:
        """For each (learner row, item) pair, the feature with the largest term of the score.

        The cosine :math:`l \\cdot x_i = \\sum_f l_f x_{if}` splits into per-feature terms; the
        largest one names the reason ("because you like <tag>"). ``learner_vectors`` has one
        row per entry of ``item_ids``. ``None`` where the score is not positive.
        """
        item_ids = np.atleast_1d(np.asarray(item_ids, dtype=np.int64))
        learners = sp.csr_matrix(learner_vectors)
        if learners.shape[0] != len(item_ids):
            raise ValueError(f"{learners.shape[0]} learner rows for {len(item_ids)} items")
        terms = sp.csr_matrix(learners.multiply(self._vectors()[item_ids]))
        terms.eliminate_zeros()
        totals = np.asarray(terms.sum(axis=1)).ravel()
        best = np.asarray(terms.argmax(axis=1)).ravel()
        largest = np.asarray(terms.max(axis=1).toarray()).ravel()
        explanations: list[Explanation | None] = []
        for feature, contribution, total in zip(best, largest, totals, strict=True):
            if total <= 0 or contribution <= 0:
                explanations.append(None)
                continue
            name = None if self.feature_names is None else self.feature_names[feature]
            explanations.append(
                Explanation(int(feature), name, float(contribution), float(contribution / total))
            )
        return explanations


class ColdStartMapper:
    """Ridge regression from item features to item factors, for items with no interactions.

    Trained on warm items (features :math:`X`, factors :math:`Y` of a fitted model), the map is

    .. math:: W = (X_c^\\top X_c + \\lambda I)^{-1} X_c^\\top Y_c
              = X_c^\\top (X_c X_c^\\top + \\lambda I)^{-1} Y_c

    with :math:`X_c, Y_c` centred by their column means (the intercept is not penalised); the
    second, dual form is used when there are fewer items than features. A new item's factors
    are :math:`\\bar y + (x - \\bar x) W`, to be scored against the learners' factors like any
    other item: the attribute-to-factor mapping of Gantner et al., *Learning Attribute-to-Feature
    Mappings for Cold-Start Recommendations*, ICDM 2010.

    Features can be raw counts or the TF-IDF vectors of :meth:`ContentModel.transform`; they are
    densified, which suits catalogues of up to tens of thousands of items and features.
    """

    def __init__(self, regularization: float = 1.0) -> None:
        if regularization <= 0:
            raise ValueError(f"regularization must be positive, got {regularization}")
        self.regularization = regularization
        self.weights: np.ndarray | None = None
        self.feature_mean: np.ndarray | None = None
        self.factor_mean: np.ndarray | None = None

    def fit(self, item_features, item_factors) -> ColdStartMapper:
        """Learn the map from warm items' features (items x F) to their factors (items x d)."""
        x = sp.csr_matrix(item_features).toarray().astype(np.float64)
        y = np.asarray(item_factors, dtype=np.float64)
        if x.shape[0] != y.shape[0]:
            raise ValueError(f"{x.shape[0]} feature rows for {y.shape[0]} factor rows")
        self.feature_mean = x.mean(axis=0)
        self.factor_mean = y.mean(axis=0)
        xc = x - self.feature_mean
        yc = y - self.factor_mean
        n, f = xc.shape
        if n < f:
            gram = xc @ xc.T + self.regularization * np.eye(n)
            self.weights = xc.T @ np.linalg.solve(gram, yc)
        else:
            gram = xc.T @ xc + self.regularization * np.eye(f)
            self.weights = np.linalg.solve(gram, xc.T @ yc)
        return self

    def predict(self, item_features) -> np.ndarray:
        """Factors (``float32``, items x d) for items described by ``item_features``."""
        if self.weights is None:
            raise RuntimeError("ColdStartMapper.predict called before fit")
        x = sp.csr_matrix(item_features).toarray().astype(np.float64)
        return ((x - self.feature_mean) @ self.weights + self.factor_mean).astype(np.float32)
