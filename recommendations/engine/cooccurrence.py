""" "Bought together": items co-purchased with a given item, from sparse co-occurrence counts.

With :math:`B` the binarised users x items matrix, :math:`n_i` the number of buyers of item
:math:`i`, :math:`N` the number of users and :math:`c_{ij} = (B^\\top B)_{ij}` the number of users
who bought both :math:`i` and :math:`j`, the measures are

* ``"cosine"``: :math:`c_{ij} / \\sqrt{n_i n_j}` (the item-item cosine of Sarwar et al.,
  *Item-based collaborative filtering*, WWW 2001), in ``[0, 1]``;
* ``"lift"``: :math:`c_{ij} N / (n_i n_j)`, the ratio of the observed co-purchase rate to the
  one expected if the two purchases were independent (association rules, Brin et al., SIGMOD
  1997); above 1 means bought together more often than chance;
* ``"confidence"``: :math:`c_{ij} / n_i`, the share of buyers of :math:`i` who also bought
  :math:`j`.

Pairs with :math:`c_{ij} <` ``min_support`` are dropped: lift in particular is noisy on rare
pairs. Only the rows asked for are computed (:math:`B_{:,\\mathrm{ids}}^\\top B`), one sparse
product per call.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import scipy.sparse as sp

from recommendations.engine._ranking import top_k

Measure = Literal["cosine", "lift", "confidence"]


def bought_together(
    user_items,
    item_ids,
    k: int = 10,
    min_support: int = 2,
    measure: Measure = "cosine",
) -> tuple[np.ndarray, np.ndarray]:
    """Items most often bought with each of ``item_ids``.

    Returns ``(ids, scores)`` of shape ``(len(item_ids), k)``, best first, padded with ``-1`` /
    ``-inf``; the query item itself is never returned, nor items with fewer than
    ``min_support`` common buyers. ``user_items`` is any users x items matrix of interactions
    (non-zeros count as purchases).
    """
    if measure not in ("cosine", "lift", "confidence"):
        raise ValueError(f"unknown measure {measure!r}")
    if min_support < 1:
        raise ValueError(f"min_support must be at least 1, got {min_support}")
    item_ids = np.atleast_1d(np.asarray(item_ids, dtype=np.int64))
    bought = sp.csc_matrix(user_items, dtype=np.float64, copy=True)
    bought.eliminate_zeros()
    bought.data[:] = 1.0
    n_users = bought.shape[0]
    buyers = np.diff(bought.indptr).astype(np.float64)
    counts = (bought[:, item_ids].T @ bought).toarray()
    query_buyers = buyers[item_ids][:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        if measure == "cosine":
            scores = counts / np.sqrt(query_buyers * buyers[None, :])
        elif measure == "lift":
            scores = counts * n_users / (query_buyers * buyers[None, :])
        else:
            scores = counts / query_buyers
    excluded = counts < min_support
    excluded[np.arange(len(item_ids)), item_ids] = True
    return top_k(scores, k, excluded)
