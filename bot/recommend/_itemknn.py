"""Item-based nearest neighbours with cosine similarity."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from bot.errors import ValidationError
from bot.recommend._base import Arrays, FloatArray, RecommendContext, Recommender

if TYPE_CHECKING:
    import scipy.sparse as sp


class ItemKNNRecommender(Recommender):
    """Scores an item by its cosine similarity to the customer's items.

    ``sim(i, j) = |U_i ∩ U_j| / (sqrt(|U_i|·|U_j|) + shrink)`` on the (weighted)
    user-item matrix; each item keeps its ``neighbors`` most similar items.

    Args:
        neighbors: neighbours kept per item (``None``: all).
        shrink: damps similarities resting on few common customers.
        recency_half_life_s: see ``Recommender``.

    Example:
        >>> from bot.recommend import Interactions, ItemKNNRecommender
        >>> data = Interactions.from_records([("a", "x"), ("a", "y"), ("b", "x")])
        >>> ItemKNNRecommender().fit(data).similar_items("x", k=1)[0].item
        'y'
    """

    kind = "itemknn"

    def __init__(
        self,
        neighbors: int | None = 100,
        shrink: float = 0.0,
        *,
        recency_half_life_s: float | None = None,
    ) -> None:
        super().__init__(recency_half_life_s=recency_half_life_s)
        if neighbors is not None and neighbors < 1:
            raise ValidationError("neighbors must be positive or None")
        if shrink < 0:
            raise ValidationError("shrink must be >= 0")
        self.neighbors = neighbors
        self.shrink = float(shrink)

    def get_params(self) -> dict[str, Any]:
        return {**super().get_params(), "neighbors": self.neighbors, "shrink": self.shrink}

    def _fit_model(self) -> None:
        x = self._user_items.astype(np.float64)
        gram = np.asarray((x.T @ x).todense())
        norms = np.sqrt(np.diag(gram))
        sims = gram / (np.outer(norms, norms) + self.shrink + 1e-12)
        np.fill_diagonal(sims, 0.0)
        if self.neighbors is not None and self.neighbors < sims.shape[0] - 1:
            # Keep, for each target item (column), its most similar source items.
            cut = np.partition(sims, -self.neighbors, axis=0)[-self.neighbors]
            sims[sims < cut[None, :]] = 0.0
        self._sims = sims.astype(np.float32)

    def _score(
        self, rows: npt.NDArray[np.int64], history: sp.csr_matrix, context: RecommendContext
    ) -> FloatArray:
        return np.asarray(history @ self._sims, dtype=np.float64)

    def _similar(self, item: int) -> FloatArray:
        return np.asarray(self._sims[item], dtype=np.float64)

    def _contributions(
        self, history_items: npt.NDArray[np.int32], history_weights: FloatArray, item: int
    ) -> FloatArray:
        return np.asarray(history_weights * self._sims[history_items, item], np.float64)

    def _state(self) -> Arrays:
        return {"sims": self._sims}

    def _restore(self, arrays: Arrays) -> None:
        self._sims = arrays["sims"]
