"""Ranking metrics on hand-computed examples."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bot.recommend import (
    average_precision_at_k,
    hit_rate_at_k,
    ndcg_at_k,
    precision_at_k,
    recall_at_k,
)
from bot.recommend._metrics import ndcg_batch

RANKED = ["a", "b", "c", "d", "e"]
RELEVANT = {"a", "c", "z"}  # "z" is relevant but never ranked


def test_ndcg() -> None:
    dcg = 1 / math.log2(2) + 1 / math.log2(4)
    idcg = 1 / math.log2(2) + 1 / math.log2(3) + 1 / math.log2(4)
    assert ndcg_at_k(RANKED, RELEVANT, k=5) == pytest.approx(dcg / idcg)
    # k smaller than the relevant set: the ideal DCG has only k places.
    assert ndcg_at_k(RANKED, RELEVANT, k=1) == pytest.approx(1.0)
    assert ndcg_at_k(["x", "a"], {"a"}, k=2) == pytest.approx(1 / math.log2(3))
    assert ndcg_at_k(RANKED, set(), k=5) == 0.0


def test_precision_recall_hit() -> None:
    assert precision_at_k(RANKED, RELEVANT, k=5) == pytest.approx(2 / 5)
    assert precision_at_k(["a"], RELEVANT, k=10) == pytest.approx(1 / 10)  # divided by k
    assert recall_at_k(RANKED, RELEVANT, k=5) == pytest.approx(2 / 3)
    assert recall_at_k(RANKED, RELEVANT, k=2) == pytest.approx(1 / 3)
    assert hit_rate_at_k(RANKED, {"e"}, k=5) == 1.0
    assert hit_rate_at_k(RANKED, {"e"}, k=4) == 0.0


def test_average_precision_divides_by_relevant_count() -> None:
    # Hits at ranks 1 and 3: precisions 1/1 and 2/3, over 3 relevant items.
    assert average_precision_at_k(RANKED, RELEVANT, k=5) == pytest.approx((1 + 2 / 3) / 3)
    assert average_precision_at_k(RANKED, RELEVANT, k=2) == pytest.approx(1 / 3)
    assert average_precision_at_k(RANKED, set(), k=5) == 0.0


def test_batch_ndcg_matches_single() -> None:
    top = np.asarray([[0, 1, 2, 3, 4], [4, 3, 2, 1, 0]])
    rel = [np.asarray([0, 2, 9]), np.asarray([1])]
    got = ndcg_batch(top, rel, k=5)
    assert got[0] == pytest.approx(ndcg_at_k([0, 1, 2, 3, 4], {0, 2, 9}, k=5))
    assert got[1] == pytest.approx(ndcg_at_k([4, 3, 2, 1, 0], {1}, k=5))
