"""Mult-DAE: a denoising autoencoder with a multinomial likelihood (numpy only, no Django).

Liang, Krishnan, Hoffman & Jebara, "Variational Autoencoders for Collaborative Filtering"
(WWW 2018), the model they call Mult-DAE. A user's row of interaction weights ``x_u`` is
normalised to unit length, its entries are dropped at random (probability ``dropout``, the
kept ones scaled by ``1 / (1 - dropout)``) while training, and::

    h   = tanh(x̃_u W_1 + b_1)              (hidden units)
    z_u = h W_2 + b_2                      (one logit per item)
    loss = - Σ_i x_ui log softmax(z_u)_i + (regularization / 2) (|W_1|² + |W_2|²)

averaged over the users of a mini-batch and minimised by Adam. The softmax makes the items
compete for a fixed budget of probability, so the logits carry each item's share of the
attention (its popularity) as well as what the user's history says: where a few items take
most of the attention (short videos) this is the model that ranks above both popularity and a
tuned ALS on validation (docs/ranking.md). Scores are the logits ``z_u`` (the softmax does not
change a ranking).

The model has no per-user parameters: like EASE it serves a user from their row
(:class:`~._rows.RowModel`), so a learner newer than the model is served exactly like one in
it. :meth:`MultDAE.explain` is leave-one-out: the contribution of a seen item ``j`` to the score
of ``i`` is ``z_ui(x_u) - z_ui(x_u without j)``, what the score would lose without that item
(for at most :data:`EXPLAIN_MAX_SEEN` of the user's heaviest items; the rest count 0).
:meth:`~._rows.RowModel.similar_items` compares the items' output vectors (the columns of
``W_2``).

**Cost**: an epoch is about ``6 · users · hidden · items`` floating-point operations (the
decoder, its gradient and the gradient to the hidden units are dense; the encoder is sparse):
16,000 users × 600 × 4,200 items is 2.4·10¹¹, about 2 s on two cores. Memory: ``W_1`` and
``W_2`` are ``items × hidden`` float32 each, three copies with Adam's moments while training
(4,200 items × 600: 60 MB). Training is deterministic for a given ``random_state`` on a given
BLAS.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
import scipy.sparse as sp

from recommendations.engine._factorization import ValidationTracker, check_interactions
from recommendations.engine._ranking import as_id_array
from recommendations.engine._rows import RowModel
from recommendations.engine.als import Explanation, interaction_row

__all__ = ["EXPLAIN_MAX_SEEN", "MultDAE"]

_FORMAT_VERSION = 1
_PARAMETERS = ("encoder", "encoder_bias", "decoder", "decoder_bias")
EXPLAIN_MAX_SEEN = 256
"""Seen items given a leave-one-out contribution in :meth:`MultDAE.explain` (the heaviest)."""
_ADAM = (0.9, 0.999, 1e-8)


class MultDAE(RowModel):
    """Multinomial denoising autoencoder (Liang et al. 2018), trained by Adam.

    Parameters
    ----------
    hidden:
        Hidden units (600 in the paper; 200 learns more slowly, 1,000 no better).
    epochs:
        Passes over the users (the most, with early stopping).
    dropout:
        Share of a user's input entries dropped while training.
    regularization:
        L2 weight decay on ``W_1`` and ``W_2``.
    learning_rate, batch_size:
        Adam's step size and the users per step.
    random_state:
        Seed of the initial weights, the order of the users and the dropout.
    """

    _param_names: ClassVar[tuple[str, ...]] = (
        "hidden",
        "epochs",
        "dropout",
        "regularization",
        "learning_rate",
        "batch_size",
        "random_state",
    )

    def __init__(
        self,
        hidden: int = 600,
        epochs: int = 20,
        dropout: float = 0.5,
        regularization: float = 1e-3,
        learning_rate: float = 1e-3,
        batch_size: int = 500,
        random_state: int | None = 0,
    ) -> None:
        super().__init__()
        if hidden < 1 or epochs < 1 or batch_size < 1:
            raise ValueError("hidden, epochs and batch_size must be positive integers")
        if not 0 <= dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        if regularization < 0 or learning_rate <= 0:
            raise ValueError("regularization must be >= 0 and learning_rate positive")
        self.hidden = int(hidden)
        self.epochs = int(epochs)
        self.dropout = float(dropout)
        self.regularization = float(regularization)
        self.learning_rate = float(learning_rate)
        self.batch_size = int(batch_size)
        self.random_state = random_state
        self.parameters: dict[str, np.ndarray] | None = None
        self.loss_history: list[float] = []
        self.validation_history: list[float] = []
        self.best_iteration: int | None = None

    # ------------------------------------------------------------------ fitting
    def fit(
        self,
        user_items,
        callback: Callable[[int, MultDAE], float | None] | None = None,
        early_stopping_rounds: int | None = None,
        deadline: float | None = None,
    ) -> MultDAE:
        """Fit on a users x items matrix of weights ``>= 0``.

        ``callback(epoch, model)`` is called after every epoch (0-based) and may return a
        validation metric (higher is better), recorded in ``validation_history``; with
        ``early_stopping_rounds=n`` training stops ``n`` epochs after the best one and the
        parameters of the best epoch are restored (``best_iteration`` tells which). Training also
        stops after the epoch during which ``time.perf_counter()`` passes ``deadline``.
        """
        if early_stopping_rounds is not None and callback is None:
            raise ValueError("early_stopping_rounds needs a callback returning a metric")
        matrix = check_interactions(user_items)
        n_users, n_items = matrix.shape
        rng = np.random.default_rng(self.random_state)
        self.parameters = {
            "encoder": _glorot(rng, n_items, self.hidden),
            "encoder_bias": np.zeros(self.hidden, dtype=np.float32),
            "decoder": _glorot(rng, self.hidden, n_items),
            "decoder_bias": np.zeros(n_items, dtype=np.float32),
        }
        self._set_shape(n_users, n_items)
        moments = {name: np.zeros_like(value) for name, value in self.parameters.items()}
        squares = {name: np.zeros_like(value) for name, value in self.parameters.items()}
        tracker = ValidationTracker(early_stopping_rounds)
        self.loss_history, self.validation_history, self.best_iteration = [], [], None
        active = np.flatnonzero(np.diff(matrix.indptr))
        step = 0
        for epoch in range(self.epochs):
            order = rng.permutation(active)
            total = 0.0
            for start in range(0, order.size, self.batch_size):
                step += 1
                gradients, loss = self._gradients(
                    matrix[order[start : start + self.batch_size]], rng
                )
                total += loss
                _adam(self.parameters, gradients, moments, squares, step, self.learning_rate)
            self.loss_history.append(total / max(order.size, 1))
            metric = callback(epoch, self) if callback is not None else None
            snapshot = tuple(self.parameters[name] for name in _PARAMETERS)
            if tracker.update(epoch, metric, snapshot):
                break
            if deadline is not None and time.perf_counter() >= deadline:
                break
        self.validation_history = tracker.history
        self.best_iteration = tracker.best_iteration
        if early_stopping_rounds is not None and tracker.best_factors is not None:
            self.parameters = dict(zip(_PARAMETERS, tracker.best_factors, strict=True))
        self._normalized_cache = None
        return self

    def _gradients(self, rows: sp.csr_matrix, rng) -> tuple[dict[str, np.ndarray], float]:
        """Gradients of the mean loss over ``rows`` (one mini-batch) and that loss summed."""
        p = self.parameters
        size = rows.shape[0]
        noisy = _normalised(rows)
        keep = 1.0 - self.dropout
        if self.dropout:
            kept = rng.random(noisy.data.size) < keep
            noisy.data = np.where(kept, noisy.data / keep, 0).astype(np.float32)
        hidden = np.tanh(noisy @ p["encoder"] + p["encoder_bias"])
        logits = hidden @ p["decoder"] + p["decoder_bias"]
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        sums = exp.sum(axis=1, keepdims=True)
        totals = np.asarray(rows.sum(axis=1), dtype=np.float32)
        seen = (np.repeat(np.arange(size), np.diff(rows.indptr)), rows.indices)
        loss = float((totals[:, 0] * np.log(sums[:, 0])).sum() - (rows.data * logits[seen]).sum())
        delta = exp * (totals / sums)
        delta[seen] -= rows.data
        delta /= size
        decay = self.regularization
        grads = {
            "decoder": hidden.T @ delta + decay * p["decoder"],
            "decoder_bias": delta.sum(axis=0),
        }
        back = (delta @ p["decoder"].T) * (1 - hidden * hidden)
        grads["encoder"] = np.asarray(noisy.T @ back) + decay * p["encoder"]
        grads["encoder_bias"] = back.sum(axis=0)
        return grads, loss

    # ------------------------------------------------------------------ RowModel
    def _fitted(self) -> bool:
        return self.parameters is not None

    def _score_rows(self, rows) -> np.ndarray:
        p = self.parameters
        inputs = _normalised(rows) if sp.issparse(rows) else _normalised_dense(rows)
        hidden = np.tanh(inputs @ p["encoder"] + p["encoder_bias"])
        return np.asarray(hidden @ p["decoder"] + p["decoder_bias"], dtype=np.float32)

    def _item_vectors(self) -> np.ndarray:
        """The columns of ``W_2``: the direction in hidden space that raises each item."""
        self._check_fitted()
        return np.asarray(self.parameters["decoder"]).T

    def parameters_finite(self) -> bool:
        self._check_fitted()
        return all(bool(np.isfinite(value).all()) for value in self.parameters.values())

    def explain(self, user_items_row: Any, item_ids) -> Explanation:
        """Leave-one-out contributions: what each seen item adds to each score (module doc).

        The encoder is linear before its ``tanh``, so the hidden input of the row without ``j``
        is ``(Σ_i x_i W_1[i] - x_j W_1[j]) / |x without j| + b_1``: no dense copy of the row, and
        only the requested items' logits are computed.
        """
        self._check_fitted()
        p = self.parameters
        items = as_id_array(item_ids, self.n_items, "item_ids")
        indices, values = interaction_row(user_items_row, self.n_items)
        if indices.size > EXPLAIN_MAX_SEEN:
            heaviest = np.sort(np.argsort(-values, kind="stable")[:EXPLAIN_MAX_SEEN])
        else:
            heaviest = np.arange(indices.size)
        explained = indices[heaviest]
        weights = values.astype(np.float64)
        encoded = np.asarray(p["encoder"][indices], dtype=np.float64)
        total, squares = weights @ encoded, float(weights @ weights)
        kept = weights[heaviest]
        sums = np.vstack([total, total - kept[:, None] * encoded[heaviest]])
        norms = np.sqrt(np.concatenate([[squares], squares - kept * kept]))
        norms[norms <= 1e-6 * math.sqrt(squares)] = np.inf  # an empty row: the bias alone
        hidden = np.tanh(sums / norms[:, None] + p["encoder_bias"])
        scores = hidden @ p["decoder"][:, items] + p["decoder_bias"][items]
        contributions = np.zeros((items.size, indices.size))
        contributions[:, heaviest] = (scores[0][None, :] - scores[1:]).T
        if indices.size:
            top = explained[np.argmax(contributions[:, heaviest], axis=1)]
        else:
            top = np.full(items.size, -1, dtype=np.int64)
        return Explanation(indices, contributions, top, scores[0])

    # ------------------------------------------------------------------ persistence
    def save(self, directory: str | os.PathLike[str]) -> Path:
        """Write ``autoencoder.npz`` (float32 weights) and ``params.json``."""
        self._check_fitted()
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        np.savez(path / "autoencoder.npz", **{name: self.parameters[name] for name in _PARAMETERS})
        self._write_meta(path, _FORMAT_VERSION, best_iteration=self.best_iteration)
        return path

    @classmethod
    def load(cls, directory: str | os.PathLike[str], mmap_mode: str | None = "r") -> Self:
        """Load a model written by :meth:`save` (``mmap_mode`` is accepted for the common
        loader; the weights are small enough to read whole)."""
        path = Path(directory)
        model, meta = cls._read_meta(path)
        with np.load(path / "autoencoder.npz") as stored:
            parameters = {name: np.asarray(stored[name], dtype=np.float32) for name in _PARAMETERS}
        n_items, hidden = meta["n_items"], model.hidden
        shapes = {
            "encoder": (n_items, hidden),
            "encoder_bias": (hidden,),
            "decoder": (hidden, n_items),
            "decoder_bias": (n_items,),
        }
        if any(parameters[name].shape != shape for name, shape in shapes.items()):
            raise ValueError(f"autoencoder.npz in {path} does not match params.json")
        model.parameters = parameters
        model._set_shape(meta["n_users"], n_items)
        model.best_iteration = meta.get("best_iteration")
        return model


def _glorot(rng: np.random.Generator, fan_in: int, fan_out: int) -> np.ndarray:
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, (fan_in, fan_out)).astype(np.float32)


def _normalised(rows: sp.csr_matrix) -> sp.csr_matrix:
    """Each row divided by its Euclidean norm (empty rows stay empty), float32 CSR."""
    rows = sp.csr_matrix(rows, dtype=np.float32, copy=True)
    norms = np.sqrt(np.asarray(rows.multiply(rows).sum(axis=1)).ravel())
    rows.data /= np.repeat(np.where(norms > 0, norms, 1), np.diff(rows.indptr)).astype(np.float32)
    return rows


def _normalised_dense(rows: np.ndarray) -> np.ndarray:
    rows = np.atleast_2d(np.asarray(rows, dtype=np.float32))
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return rows / np.where(norms > 0, norms, 1)


def _adam(parameters, gradients, moments, squares, step: int, learning_rate: float) -> None:
    beta1, beta2, eps = _ADAM
    correction1, correction2 = 1 - beta1**step, 1 - beta2**step
    for name, gradient in gradients.items():
        moment, square = moments[name], squares[name]
        moment *= beta1
        moment += (1 - beta1) * gradient
        square *= beta2
        square += (1 - beta2) * gradient * gradient
        parameters[name] -= (
            (learning_rate / correction1) * moment / (np.sqrt(square / correction2) + eps)
        )
