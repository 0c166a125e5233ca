"""Least-squares kernels of implicit-feedback ALS (Hu, Koren & Volinsky 2008).

One ALS half-step recomputes the factors ``X`` of every row ``u`` of a CSR matrix (users when
solving for users, items when solving for items) with the other side ``Y`` fixed::

    (Y^T C^u Y + lambda I) x_u = Y^T C^u p(u)

where ``C^u = diag(c_u1, ..., c_un)`` holds the confidences ``c_ui = 1 + alpha * w_ui`` and
``p(u)`` the preferences ``p_ui = [w_ui > 0]``. Unobserved entries have ``c_ui = 1`` and
``p_ui = 0``, so with ``A = Y^T Y + lambda I`` (shared by all rows)::

    Y^T C^u Y x = A x + sum_{i in I(u)} (c_ui - 1) <y_i, x> y_i
    Y^T C^u p(u)   =     sum_{i in I(u)} c_ui p_ui y_i

Only the stored entries ``I(u)`` of row ``u`` enter the sums. The kernels keep, per stored
entry, ``a_ui = c_ui - 1`` and ``b_ui = c_ui p_ui`` (see :class:`Block`).

Two solvers:

``cg_half_step``
    Takács, Pilászy & Tikk (2011), "Applications of the conjugate gradient method for implicit
    feedback collaborative filtering": a few conjugate-gradient steps per row, warm-started
    from the current factors, never forming ``Y^T C^u Y``. It is vectorised over blocks of rows
    with similar numbers of stored entries: rows are sorted by their count once per fit and cut
    into blocks whose entries are laid out as dense ``rows x L`` arrays (``L`` the largest
    count of the block, shorter rows padded with weight 0; sorting keeps the padding under a
    few percent). For a block, the factors of all its entries are gathered once into
    ``Yg`` (``rows x L x k``) and reused by every CG step, each of which is two batched
    matrix products: ``q = Yg p`` (the ``<y_i, p_u>`` of every entry) and ``(a * q)^T Yg``
    (the sums ``sum_i a_ui q_ui y_i``). Blocks are independent, so they run on a thread pool
    (numpy releases the GIL in these kernels) with BLAS limited to one thread by the caller.
    The blocks depend only on the data, so the result is bit-identical whatever the number of
    threads.

``exact_half_step``
    The closed-form solution, one dense ``k x k`` solve per row in float64: the reference the
    CG solver is tested against, and the solver of :meth:`ALS.fold_in`.

``hkv_loss`` evaluates the weighted objective::

    L = sum_{u,i} c_ui (p_ui - <x_u, y_i>)^2 + lambda (|X|_F^2 + |Y|_F^2)

over all ``n_users x n_items`` cells in time proportional to the stored entries, using
``sum_{all u,i} <x_u, y_i>^2 = trace(X^T X Y^T Y)``.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

__all__ = [
    "Block",
    "HalfStepData",
    "cg_half_step",
    "exact_half_step",
    "exact_solve_row",
    "gram",
    "hkv_loss",
]

_CONVERGED = 1e-20


@dataclass(frozen=True)
class Block:
    """Rows ``rows`` of a CSR matrix as dense ``len(rows) x L`` arrays of their entries.

    ``indices`` are the column ids, ``a = c - 1 = alpha * w`` and ``b = c * p``; padding
    entries (beyond a row's count) have column 0 and ``a = b = 0``, so they add nothing to any
    sum of the normal equations or of the loss.
    """

    rows: np.ndarray
    indices: np.ndarray
    a: np.ndarray
    b: np.ndarray


@dataclass(frozen=True)
class HalfStepData:
    """The stored entries of a CSR matrix as ALS needs them: a fixed list of :class:`Block`.

    Rows are sorted by number of entries (stable), and consecutive rows are grouped while the
    padded block holds at most ``block_nnz`` entries and ``max_rows`` rows; a row with more
    than ``block_nnz`` entries is a block on its own. Blocks are kept largest first, so that a
    thread pool starts with the longest tasks. Working memory per block is about
    ``max(block_nnz, largest row) * k`` floats.
    """

    n_rows: int
    blocks: tuple[Block, ...]

    @classmethod
    def from_csr(
        cls, matrix: sp.csr_matrix, alpha: float, block_nnz: int, max_rows: int = 4096
    ) -> HalfStepData:
        counts = np.diff(matrix.indptr)
        order = np.argsort(counts, kind="stable")
        sorted_counts = counts[order]
        starts = np.concatenate(([0], np.cumsum(sorted_counts)))
        # Entries of the rows in sorted order, concatenated.
        entry = np.repeat(matrix.indptr[order] - starts[:-1], sorted_counts) + np.arange(starts[-1])
        columns = matrix.indices[entry]
        weights = matrix.data[entry].astype(np.float32)
        a_all = (np.float32(alpha) * weights).astype(np.float32)
        b_all = np.where(weights > 0, 1 + a_all, np.float32(0)).astype(np.float32)

        blocks = []
        n_rows, start = counts.size, 0
        while start < n_rows:
            window = np.arange(start + 1, min(start + max_rows, n_rows) + 1)
            fits = (window - start) * sorted_counts[window - 1] <= block_nnz
            stop = int(window[fits][-1]) if fits.any() else start + 1
            width = max(int(sorted_counts[stop - 1]), 1)
            mask = np.arange(width) < sorted_counts[start:stop, None]
            lo, hi = starts[start], starts[stop]
            indices = np.zeros(mask.shape, dtype=np.int32)
            a = np.zeros(mask.shape, dtype=np.float32)
            b = np.zeros(mask.shape, dtype=np.float32)
            indices[mask], a[mask], b[mask] = columns[lo:hi], a_all[lo:hi], b_all[lo:hi]
            blocks.append(Block(order[start:stop], indices, a, b))
            start = stop
        blocks.sort(key=lambda block: -block.a.size)
        return cls(n_rows=n_rows, blocks=tuple(blocks))


def gram(factors: np.ndarray, regularization: float) -> np.ndarray:
    """``Y^T Y + lambda I`` in float32, accumulated in float64 for accuracy."""
    y64 = np.asarray(factors, dtype=np.float64)
    result = y64.T @ y64
    result[np.diag_indices_from(result)] += regularization
    return result.astype(np.float32)


def _rowwise_dot(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    return np.einsum("nk,nk->n", left, right)


def _cg_block(block: Block, X: np.ndarray, Y: np.ndarray, YtY: np.ndarray, steps: int) -> None:
    """Run ``steps`` warm-started CG iterations for the rows of ``block``, in place in ``X``."""
    Yg = np.take(Y, block.indices, axis=0)  # rows x L x k
    x = X[block.rows]

    def sparse_product(vectors: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """``sum_i w_ui <y_i, v_u> y_i`` per row, with ``weights(q)`` giving ``w * q``."""
        q = np.matmul(Yg, vectors[:, :, None])[:, :, 0]
        return np.matmul(weights(q)[:, None, :], Yg)[:, 0, :]

    # r = Y^T C p - (Y^T C Y + lambda I) x, both sparse sums in one product.
    r = sparse_product(x, lambda q: block.b - block.a * q)
    r -= x @ YtY
    p = r.copy()
    rs_old = _rowwise_dot(r, r)
    for _ in range(steps):
        active = rs_old > _CONVERGED
        if not active.any():
            break
        Ap = sparse_product(p, lambda q: block.a * q)
        Ap += p @ YtY
        pAp = _rowwise_dot(p, Ap)
        step = np.zeros_like(rs_old)
        np.divide(rs_old, pAp, out=step, where=active & (pAp > 0))
        x += step[:, None] * p
        r -= step[:, None] * Ap
        rs_new = _rowwise_dot(r, r)
        beta = np.zeros_like(rs_old)
        np.divide(rs_new, rs_old, out=beta, where=active)
        p *= beta[:, None]
        p += r
        rs_old = rs_new
    X[block.rows] = x


def _run_blocks(
    work: Callable[[Block], None],
    blocks: tuple[Block, ...],
    executor: ThreadPoolExecutor | None,
) -> None:
    if executor is None:
        for block in blocks:
            work(block)
        return
    for future in [executor.submit(work, block) for block in blocks]:
        future.result()


def cg_half_step(
    data: HalfStepData,
    X: np.ndarray,
    Y: np.ndarray,
    regularization: float,
    steps: int = 3,
    executor: ThreadPoolExecutor | None = None,
) -> None:
    """Update ``X`` (float32) in place by ``steps`` warm-started CG iterations per row."""
    YtY = gram(Y, regularization)
    _run_blocks(lambda block: _cg_block(block, X, Y, YtY, steps), data.blocks, executor)


def exact_solve_row(
    YtY: np.ndarray, Y: np.ndarray, indices: np.ndarray, a: np.ndarray, b: np.ndarray
) -> np.ndarray:
    """Closed-form ``(Y^T C^u Y + lambda I)^-1 Y^T C^u p(u)`` for one row, in float64.

    ``YtY`` is ``Y^T Y + lambda I``; ``indices``, ``a = c - 1`` and ``b = c p`` describe the
    row's stored entries (entries with ``a = b = 0`` change nothing).
    """
    Yu = np.asarray(Y[indices], dtype=np.float64)
    A = np.asarray(YtY, dtype=np.float64) + (Yu.T * a) @ Yu
    return np.linalg.solve(A, Yu.T @ np.asarray(b, dtype=np.float64))


def exact_half_step(
    data: HalfStepData,
    X: np.ndarray,
    Y: np.ndarray,
    regularization: float,
    executor: ThreadPoolExecutor | None = None,
) -> None:
    """Set every row of ``X`` to its exact least-squares solution (one dense solve per row)."""
    YtY = gram(Y, regularization)

    def work(block: Block) -> None:
        for row, indices, a, b in zip(block.rows, block.indices, block.a, block.b, strict=True):
            X[row] = exact_solve_row(YtY, Y, indices, a, b)

    _run_blocks(work, data.blocks, executor)


def hkv_loss(data: HalfStepData, X: np.ndarray, Y: np.ndarray, regularization: float) -> float:
    """The weighted Hu-Koren-Volinsky objective over all cells (see the module docstring).

    ``data`` describes the rows of ``X``. With ``s = <x_u, y_i>`` and ``c p = b``,
    ``c (p - s)^2 - s^2 = b - 2 b s + a s^2`` on a stored entry; adding
    ``sum_{all cells} s^2 = trace(X^T X Y^T Y)`` gives the full sum.
    """
    X64 = np.asarray(X, dtype=np.float64)
    Y64 = np.asarray(Y, dtype=np.float64)
    total = float(np.sum((X64.T @ X64) * (Y64.T @ Y64)))
    for block in data.blocks:
        s = np.matmul(np.take(Y64, block.indices, axis=0), X64[block.rows][:, :, None])[:, :, 0]
        a, b = block.a.astype(np.float64), block.b.astype(np.float64)
        total += float(np.sum(b - 2 * b * s + a * s * s))
    return total + regularization * float(np.sum(X64 * X64) + np.sum(Y64 * Y64))
