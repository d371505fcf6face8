"""EASE: the closed-form linear item-item autoencoder (Steck 2019), optionally time-aware."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from bot.errors import ValidationError
from bot.recommend._base import Arrays, FloatArray, RecommendContext, Recommender

if TYPE_CHECKING:
    import scipy.sparse as sp


class EASERecommender(Recommender):
    """Item-item weights ``B = argmin ||X - XB||² + l2·||B||²`` with ``diag(B) = 0``.

    With ``session_window_s``, pairs of items a customer used within about that many
    seconds of each other count extra in the item-item Gram matrix (weight
    ``session_weight · exp(-Δt / session_window_s)``): items used in the same session
    are more alike than items used months apart. Needs timestamps.

    Memory and time grow with the square and cube of the number of items: fine for
    catalogs up to some 20k items.

    Args:
        l2: ridge strength (larger for sparser data).
        session_window_s: time scale of the session co-occurrence term, or ``None``.
        session_weight: weight of that term relative to plain co-occurrence.
        recency_half_life_s: see ``Recommender``.

    Example:
        >>> from bot.recommend import EASERecommender, Interactions
        >>> data = Interactions.from_records([("a", "x"), ("a", "y"), ("b", "x")])
        >>> EASERecommender(l2=0.5).fit(data).recommend("b", k=1)[0].item
        'y'
    """

    kind = "ease"

    def __init__(
        self,
        l2: float = 300.0,
        session_window_s: float | None = None,
        session_weight: float = 1.0,
        *,
        recency_half_life_s: float | None = None,
    ) -> None:
        super().__init__(recency_half_life_s=recency_half_life_s)
        if l2 <= 0:
            raise ValidationError("l2 must be positive")
        if session_window_s is not None and session_window_s <= 0:
            raise ValidationError("session_window_s must be positive")
        self.l2 = float(l2)
        self.session_window_s = session_window_s
        self.session_weight = float(session_weight)

    def get_params(self) -> dict[str, Any]:
        return {
            **super().get_params(),
            "l2": self.l2,
            "session_window_s": self.session_window_s,
            "session_weight": self.session_weight,
        }

    def _fit_model(self) -> None:
        x = self._user_items.astype(np.float64)
        gram = np.asarray((x.T @ x).todense())
        if self.session_window_s is not None and self._user_times is not None:
            gram += self.session_weight * _session_gram(
                self._user_items, self._user_times, self.session_window_s
            )
        gram[np.diag_indices_from(gram)] += self.l2
        precision = np.linalg.inv(gram)
        weights = -precision / np.diag(precision)
        np.fill_diagonal(weights, 0.0)
        self._weights = weights.astype(np.float32)

    def _score(
        self, rows: npt.NDArray[np.int64], history: sp.csr_matrix, context: RecommendContext
    ) -> FloatArray:
        return np.asarray(history @ self._weights, dtype=np.float64)

    def _similar(self, item: int) -> FloatArray:
        return np.asarray(self._weights[item], dtype=np.float64)

    def _contributions(
        self, history_items: npt.NDArray[np.int32], history_weights: FloatArray, item: int
    ) -> FloatArray:
        return np.asarray(history_weights * self._weights[history_items, item], np.float64)

    def _state(self) -> Arrays:
        return {"weights": self._weights}

    def _restore(self, arrays: Arrays) -> None:
        self._weights = arrays["weights"]


def _session_gram(
    user_items: sp.csr_matrix, user_times: sp.csr_matrix, window_s: float
) -> FloatArray:
    """Σ over customers of ``exp(-|t_i - t_j| / window_s)`` for each item pair they share."""
    n_items = user_items.shape[1]
    gram = np.zeros((n_items, n_items), dtype=np.float64)
    for r in range(user_items.shape[0]):
        lo, hi = user_times.indptr[r], user_times.indptr[r + 1]
        if hi - lo < 2:
            continue
        items = user_times.indices[lo:hi]
        stamps = user_times.data[lo:hi]
        # The diagonal (each item with itself) stays: it adds ridge in proportion to usage.
        kernel = np.exp(-np.abs(stamps[:, None] - stamps[None, :]) / window_s)
        gram[np.ix_(items, items)] += kernel
    return gram
