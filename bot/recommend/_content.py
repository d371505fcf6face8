"""Content-based: cosine between a customer's profile and item vectors (text, genres, ...)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from bot.errors import ValidationError
from bot.recommend._base import Arrays, FloatArray, RecommendContext, Recommender
from bot.recommend._reasons import Reason, ReasonKind

if TYPE_CHECKING:
    import scipy.sparse as sp


class ContentRecommender(Recommender):
    """Ranks items by cosine similarity to the weighted mean of the customer's item vectors.

    The vectors come precomputed in ``ItemFeatures.vectors``: embeddings of item texts
    from the shared sentence encoder, TF-IDF, category one-hots, or a mix. Items nobody
    has used yet are recommended as readily as the others (cold items).

    Args:
        center: subtract the mean item vector first (sharpens TF-IDF/one-hot profiles).
        recency_half_life_s: see ``Recommender``.

    Example:
        >>> import numpy as np
        >>> from bot.recommend import ContentRecommender, Interactions, ItemFeatures
        >>> feats = ItemFeatures(ids=["tea", "green tea", "drill"],
        ...                      vectors=np.array([[1, 0], [0.9, 0.1], [0, 1]]))
        >>> data = Interactions.from_records([("ann", "tea"), ("bob", "drill")])
        >>> ContentRecommender().fit(data, feats).recommend("ann", k=1)[0].item
        'green tea'
    """

    kind = "content"
    uses_item_vectors = True

    def __init__(self, center: bool = False, *, recency_half_life_s: float | None = None) -> None:
        super().__init__(recency_half_life_s=recency_half_life_s)
        self.center = bool(center)

    def get_params(self) -> dict[str, Any]:
        return {**super().get_params(), "center": self.center}

    def _fit_model(self) -> None:
        if self._item_vectors is None:
            raise ValidationError("ContentRecommender needs ItemFeatures with vectors")
        vectors = self._item_vectors.astype(np.float64)
        if self.center:
            vectors = vectors - vectors.mean(axis=0, keepdims=True)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        self._unit = (vectors / np.where(norms > 0, norms, 1.0)).astype(np.float32)

    def _score(
        self, rows: npt.NDArray[np.int64], history: sp.csr_matrix, context: RecommendContext
    ) -> npt.NDArray[np.floating[Any]]:
        profiles = np.asarray(history.astype(np.float32) @ self._unit, dtype=np.float32)
        norms = np.linalg.norm(profiles, axis=1, keepdims=True)
        profiles /= np.where(norms > 0, norms, 1.0)
        scores: npt.NDArray[np.float32] = (self._unit @ profiles.T).T  # one pass over memory
        return scores

    def _similar(self, item: int) -> FloatArray:
        return np.asarray(self._unit @ self._unit[item], dtype=np.float64)

    def _contributions(
        self, history_items: npt.NDArray[np.int32], history_weights: FloatArray, item: int
    ) -> FloatArray:
        return np.asarray(
            history_weights * (self._unit[history_items] @ self._unit[item]), np.float64
        )

    def _explain(
        self, row: int, history: sp.csr_matrix, item: int, context: RecommendContext
    ) -> Reason:
        reason = super()._explain(row, history, item, context)
        if reason.kind in (ReasonKind.INTERACTED, ReasonKind.POPULAR):
            # A category the customer uses most is a clearer reason than one loose neighbour.
            category = self._top_shared_category(history, item)
            if category is not None:
                return Reason.build(
                    ReasonKind.MATCHES_CATEGORY,
                    category=category,
                    category_zh=self._category_zh(category),
                )
        return reason

    def _top_shared_category(self, history: sp.csr_matrix, item: int) -> str | None:
        mine = self._categories(item)
        if not mine:
            return None
        counts: dict[str, float] = {}
        for j, w in zip(history.indices, history.data, strict=True):
            for c in self._categories(int(j)):
                counts[c] = counts.get(c, 0.0) + float(w)
        shared = [(counts.get(c, 0.0), c) for c in mine if counts.get(c, 0.0) > 0]
        return max(shared)[1] if shared else None

    def _state(self) -> Arrays:
        return {"unit": self._unit}

    def _restore(self, arrays: Arrays) -> None:
        self._unit = arrays["unit"]
