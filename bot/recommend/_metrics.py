"""Top-k ranking metrics (binary relevance), as microsoft/recommenders defines them."""

from __future__ import annotations

from collections.abc import Collection, Sequence

import numpy as np
import numpy.typing as npt


def _hits(
    ranked: Sequence[object], relevant: Collection[object], k: int
) -> npt.NDArray[np.float64]:
    return np.asarray([1.0 if r in relevant else 0.0 for r in list(ranked)[:k]], dtype=np.float64)


def ndcg_at_k(ranked: Sequence[object], relevant: Collection[object], k: int = 10) -> float:
    """Normalized discounted cumulative gain of one ranked list.

    DCG sums ``1 / log2(rank + 1)`` over the relevant items in the first ``k`` places;
    the ideal DCG puts ``min(k, len(relevant))`` relevant items first.

    Example:
        >>> round(ndcg_at_k(["a", "b", "c"], {"b"}, k=3), 4)
        0.6309
    """
    if not relevant:
        return 0.0
    hits = _hits(ranked, relevant, k)
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    ideal = discounts[: min(k, len(relevant))].sum()
    return float((hits * discounts[: len(hits)]).sum() / ideal)


def precision_at_k(ranked: Sequence[object], relevant: Collection[object], k: int = 10) -> float:
    """Relevant items among the first ``k``, divided by ``k`` (not by the list's length)."""
    return float(_hits(ranked, relevant, k).sum() / k)


def recall_at_k(ranked: Sequence[object], relevant: Collection[object], k: int = 10) -> float:
    """Relevant items among the first ``k``, divided by the number of relevant items."""
    if not relevant:
        return 0.0
    return float(_hits(ranked, relevant, k).sum() / len(relevant))


def average_precision_at_k(
    ranked: Sequence[object], relevant: Collection[object], k: int = 10
) -> float:
    """Precision at each relevant place in the first ``k``, summed, divided by ``len(relevant)``.

    This is the "MAP" of microsoft/recommenders: the denominator is the number of the
    user's relevant items, not ``min(k, len(relevant))``.

    Example:
        >>> average_precision_at_k(["a", "x", "b"], {"a", "b", "c", "d"}, k=3)
        0.41666666666666663
    """
    if not relevant:
        return 0.0
    hits = _hits(ranked, relevant, k)
    precisions = np.cumsum(hits) / np.arange(1, len(hits) + 1)
    return float((precisions * hits).sum() / len(relevant))


def hit_rate_at_k(ranked: Sequence[object], relevant: Collection[object], k: int = 10) -> float:
    """1.0 when any relevant item is among the first ``k``, else 0.0."""
    return float(_hits(ranked, relevant, k).any())


def ndcg_batch(
    top: npt.NDArray[np.int64], relevant: Sequence[npt.NDArray[np.int64]], k: int = 10
) -> npt.NDArray[np.float64]:
    """nDCG@k for many users at once (vectorized; used for tuning).

    Args:
        top: ``(n_users, >= k)`` item indices, best first.
        relevant: per user, the indices of the relevant items.

    Returns:
        One value per user (0 where a user has no relevant item).
    """
    n = len(relevant)
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    out = np.zeros(n, dtype=np.float64)
    for u in range(n):
        rel = relevant[u]
        if len(rel) == 0:
            continue
        hits = np.isin(top[u, :k], rel)
        out[u] = (hits * discounts[: hits.shape[0]]).sum() / discounts[: min(k, len(rel))].sum()
    return out
