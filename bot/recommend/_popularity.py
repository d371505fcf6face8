"""Popularity, overall or among customers who share the customer's attributes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from bot.errors import ValidationError
from bot.recommend._base import Arrays, FloatArray, RecommendContext, Recommender
from bot.recommend._reasons import Reason, ReasonKind

if TYPE_CHECKING:
    import scipy.sparse as sp


class PopularityRecommender(Recommender):
    """Ranks items by how many customers used them.

    With ``segment_by``, popularity is counted among customers with the same value of
    each named user attribute (age band, gender, ...), shrunk towards the overall
    popularity, and the shares of all attributes are averaged: "popular with customers
    like you".

    Args:
        segment_by: user attributes to segment by (from ``UserFeatures`` at fit time, or
            ``context.user_attributes`` for customers the model has not seen).
        shrinkage: pseudo-interactions pulling a segment's shares towards the overall shares.

    Example:
        >>> from bot.recommend import Interactions, PopularityRecommender
        >>> data = Interactions.from_records([("a", "x"), ("b", "x"), ("b", "y")])
        >>> [r.item for r in PopularityRecommender().fit(data).recommend("new", k=2)]
        ['x', 'y']
    """

    kind = "popularity"
    cold_start_uses_attributes = True

    def __init__(
        self,
        segment_by: Sequence[str] = (),
        shrinkage: float = 100.0,
        *,
        recency_half_life_s: float | None = None,
    ) -> None:
        super().__init__(recency_half_life_s=recency_half_life_s)
        if shrinkage < 0:
            raise ValidationError("shrinkage must be >= 0")
        self.segment_by = tuple(segment_by)
        self.shrinkage = float(shrinkage)

    def get_params(self) -> dict[str, Any]:
        return {
            **super().get_params(),
            "segment_by": list(self.segment_by),
            "shrinkage": self.shrinkage,
        }

    def _fit_model(self) -> None:
        import scipy.sparse as sp

        binary = (self._user_items > 0).astype(np.float64)
        counts = np.asarray(binary.sum(axis=0)).ravel()
        self._share = counts / max(counts.sum(), 1.0)
        self._segments: dict[str, tuple[npt.NDArray[np.str_], FloatArray]] = {}
        for attr in self.segment_by:
            column = self._user_attrs.get(attr)
            if column is None:
                continue
            values, codes = np.unique(column, return_inverse=True)
            onehot = sp.csr_matrix(
                (np.ones(len(codes)), (codes, np.arange(len(codes)))),
                shape=(len(values), len(codes)),
            )
            seg_counts = np.asarray((onehot @ binary).todense())
            totals = seg_counts.sum(axis=1, keepdims=True)
            shares = (seg_counts + self.shrinkage * self._share) / (totals + self.shrinkage)
            self._segments[attr] = (values, shares)

    def _segment_scores(self, attrs: dict[str, str]) -> FloatArray:
        parts = []
        for attr, (values, shares) in self._segments.items():
            value = attrs.get(attr, "")
            pos = int(np.searchsorted(values, value))
            if value and pos < len(values) and values[pos] == value:
                parts.append(shares[pos])
            else:
                parts.append(self._share)
        return np.asarray(np.mean(parts, axis=0), np.float64) if parts else self._share

    def _attrs_of(self, row: int, context: RecommendContext) -> dict[str, str]:
        if row >= 0:
            return {a: str(col[row]) for a, col in self._user_attrs.items()}
        return {str(k): str(v) for k, v in context.user_attributes.items()}

    def _score(
        self, rows: npt.NDArray[np.int64], history: sp.csr_matrix, context: RecommendContext
    ) -> FloatArray:
        if not self._segments:
            return np.tile(self._share, (len(rows), 1))
        return np.vstack([self._segment_scores(self._attrs_of(int(r), context)) for r in rows])

    def _cold_scores(self, context: RecommendContext) -> FloatArray:
        return self._segment_scores(self._attrs_of(-1, context))

    def _similar(self, item: int) -> FloatArray:
        # Popular items sharing a category with ``item`` first, then the rest by popularity.
        cats = set(self._cat_indices[self._cat_indptr[item] : self._cat_indptr[item + 1]].tolist())
        same = np.zeros(len(self._items))
        for j in range(len(self._items)):
            lo, hi = self._cat_indptr[j], self._cat_indptr[j + 1]
            same[j] = len(cats.intersection(self._cat_indices[lo:hi].tolist()))
        return np.asarray(same + self._share / (self._share.max() + 1e-12), np.float64)

    def _explain(
        self, row: int, history: sp.csr_matrix, item: int, context: RecommendContext
    ) -> Reason:
        return self._popular_reason(row, context)

    def _popular_reason(self, row: int, context: RecommendContext) -> Reason:
        attrs = self._attrs_of(row, context)
        if any(attrs.get(a) for a in self._segments):
            return Reason.build(ReasonKind.POPULAR_WITH_SIMILAR)
        return Reason.build(ReasonKind.POPULAR)

    def _state(self) -> Arrays:
        arrays: Arrays = {
            "share": self._share,
            "segments": np.asarray(list(self._segments), dtype=np.str_),
        }
        for attr, (values, shares) in self._segments.items():
            arrays[f"seg.{attr}.values"] = values
            arrays[f"seg.{attr}.shares"] = shares
        return arrays

    def _restore(self, arrays: Arrays) -> None:
        self._share = arrays["share"]
        self._segments = {
            str(a): (arrays[f"seg.{a}.values"], arrays[f"seg.{a}.shares"])
            for a in arrays["segments"].tolist()
        }
