"""Implicit-feedback matrix factorization (ALS, Hu et al. 2008) via the ``implicit`` library."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from bot.errors import ConfigurationError, ValidationError
from bot.recommend._base import Arrays, FloatArray, RecommendContext, Recommender

if TYPE_CHECKING:
    import scipy.sparse as sp


class ALSRecommender(Recommender):
    """Alternating least squares on confidence ``alpha · weight`` (``implicit``, CPU).

    Customers the model has not seen, or who bring extra history in the context, are
    folded in: their factors are solved against the fixed item factors, exactly as
    ``implicit`` solves them during training, so loading needs only numpy.

    Args:
        factors: latent dimensions.
        regularization: L2 penalty on the factors.
        alpha: confidence scale for observed interactions.
        iterations: ALS sweeps.
        random_state: seed of the initial factors (fits are deterministic).
        threads: solver threads (``implicit``'s ``num_threads``; 0 = all cores).
        recency_half_life_s: see ``Recommender`` (applies to folded-in customers).
    """

    kind = "als"

    def __init__(
        self,
        factors: int = 64,
        regularization: float = 20.0,
        alpha: float = 2.0,
        iterations: int = 15,
        random_state: int = 42,
        threads: int = 0,
        *,
        recency_half_life_s: float | None = None,
    ) -> None:
        super().__init__(recency_half_life_s=recency_half_life_s)
        if factors < 1 or iterations < 1:
            raise ValidationError("factors and iterations must be positive")
        if regularization < 0 or alpha <= 0:
            raise ValidationError("regularization must be >= 0 and alpha > 0")
        self.factors = int(factors)
        self.regularization = float(regularization)
        self.alpha = float(alpha)
        self.iterations = int(iterations)
        self.random_state = int(random_state)
        self.threads = int(threads)

    def get_params(self) -> dict[str, Any]:
        return {
            **super().get_params(),
            "factors": self.factors,
            "regularization": self.regularization,
            "alpha": self.alpha,
            "iterations": self.iterations,
            "random_state": self.random_state,
            "threads": self.threads,
        }

    def _fit_model(self) -> None:
        try:
            from implicit.cpu.als import AlternatingLeastSquares
            from threadpoolctl import threadpool_limits
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ConfigurationError("ALSRecommender needs the 'implicit' package") from exc
        model = AlternatingLeastSquares(
            factors=self.factors,
            regularization=self.regularization,
            alpha=self.alpha,
            iterations=self.iterations,
            random_state=self.random_state,
            num_threads=self.threads,
            calculate_training_loss=False,
        )
        # implicit runs its own threads; a threaded BLAS underneath only fights them.
        with threadpool_limits(1, "blas"):
            model.fit(self._user_items.astype(np.float32), show_progress=False)
        self._user_factors = np.asarray(model.user_factors, dtype=np.float32)
        self._item_factors = np.asarray(model.item_factors, dtype=np.float32)
        self._unit_cache: npt.NDArray[np.float32] | None = None

    def _fold_in(self, history: sp.csr_matrix, r: int) -> FloatArray:
        y = self._item_factors.astype(np.float64)  # (small: items × factors)
        lo, hi = history.indptr[r], history.indptr[r + 1]
        items = history.indices[lo:hi]
        conf = self.alpha * history.data[lo:hi].astype(np.float64)
        a = y.T @ y + self.regularization * np.eye(self.factors)
        yi = y[items]
        a += (yi * (conf - 1.0)[:, None]).T @ yi
        b = (yi * conf[:, None]).sum(axis=0)
        return np.asarray(np.linalg.solve(a, b))

    def _score(
        self, rows: npt.NDArray[np.int64], history: sp.csr_matrix, context: RecommendContext
    ) -> npt.NDArray[np.floating[Any]]:
        refit = bool(context.history or context.asked_about) or self.recency_half_life_s is not None
        users = np.zeros((len(rows), self.factors), dtype=np.float64)
        for r, row in enumerate(rows):
            if row >= 0 and not refit:
                users[r] = self._user_factors[row]
            elif history.indptr[r + 1] > history.indptr[r]:
                users[r] = self._fold_in(history, r)
        scores: npt.NDArray[np.float32] = users.astype(np.float32) @ self._item_factors.T
        return scores

    def _unit_items(self) -> npt.NDArray[np.float32]:
        cache: npt.NDArray[np.float32] | None = getattr(self, "_unit_cache", None)
        if cache is None:
            f = self._item_factors
            cache = (f / (np.linalg.norm(f, axis=1, keepdims=True) + 1e-12)).astype(np.float32)
            self._unit_cache = cache
        return cache

    def _similar(self, item: int) -> FloatArray:
        unit = self._unit_items()
        return np.asarray(unit @ unit[item], dtype=np.float64)

    def _contributions(
        self, history_items: npt.NDArray[np.int32], history_weights: FloatArray, item: int
    ) -> FloatArray:
        unit = self._unit_items()
        return np.asarray(history_weights * (unit[history_items] @ unit[item]), np.float64)

    def _state(self) -> Arrays:
        return {"user_factors": self._user_factors, "item_factors": self._item_factors}

    def _restore(self, arrays: Arrays) -> None:
        self._user_factors = arrays["user_factors"]
        self._item_factors = arrays["item_factors"]
        self._unit_cache = None
