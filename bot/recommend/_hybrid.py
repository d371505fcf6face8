"""The hybrid: a tuned blend of recommenders, re-ranked by sentiment and business rules."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from bot.errors import ValidationError
from bot.recommend._base import (
    Arrays,
    FloatArray,
    R,
    RecommendContext,
    Recommender,
    _ranked,
    capped_per_category,
)
from bot.recommend._data import Interactions, ItemFeatures, UserFeatures
from bot.recommend._metrics import ndcg_batch
from bot.recommend._reasons import Reason, ReasonKind, Recommendation

if TYPE_CHECKING:
    import scipy.sparse as sp

Normalization = Literal["zscore", "rank"]
#: How many best items MMR re-ranks (times k).
_MMR_POOL = 20
#: The grid ``tune_weights`` tries for each component's weight.
DEFAULT_WEIGHT_GRID: tuple[float, ...] = (0.0, 0.1, 0.25, 0.5, 1.0, 2.0)


class HybridRecommender(Recommender):
    """Blends components' per-customer normalized scores, then re-ranks.

    Each component's scores for a customer are normalized over the items the customer
    has not used (z-score, or rank), weighted and summed. Customers with at most
    ``cold_start_max`` interactions use ``cold_weights`` (where content and "customers
    like you" signals matter more). The weights can be learned on held-out interactions
    with ``tune_weights``.

    ``recommend`` then re-ranks the blend:

    - sentiment: ``sentiment_strength · s`` is added to the score of every item whose
      category the customer rated ``s`` in ``context.sentiment`` (complaints demote,
      praise boosts);
    - business rules: ``context.in_stock``, ``context.eligible``, ``context.exclude`` and
      the customer's own history filter items out;
    - diversity: ``context.max_per_category`` caps items per main category, and
      ``context.diversity > 0`` re-ranks by maximal marginal relevance.

    Every recommendation's reason comes from the component (or the sentiment) that
    contributed most to its score.

    Args:
        components: name -> recommender (unfitted; ``fit`` fits them all on the same data).
        weights: name -> blend weight (default 1.0 each).
        cold_weights: weights for customers with few interactions (default: ``weights``).
        cold_start_max: at most this many interactions makes a customer "cold".
        normalization: ``"zscore"`` or ``"rank"``.
        sentiment_strength: size of the sentiment adjustment, in blended-score units.

    Example:
        >>> from bot.recommend import (EASERecommender, HybridRecommender, Interactions,
        ...                            PopularityRecommender)
        >>> data = Interactions.from_records([("a", "x"), ("a", "y"), ("b", "x"), ("c", "z")])
        >>> model = HybridRecommender({"ease": EASERecommender(l2=1.0),
        ...                            "pop": PopularityRecommender()}).fit(data)
        >>> model.recommend("b", k=1)[0].item
        'y'
    """

    kind = "hybrid"

    def __init__(
        self,
        components: Mapping[str, Recommender],
        weights: Mapping[str, float] | None = None,
        cold_weights: Mapping[str, float] | None = None,
        cold_start_max: int = 5,
        normalization: Normalization = "zscore",
        sentiment_strength: float = 1.0,
    ) -> None:
        super().__init__()
        if not components:
            raise ValidationError("a hybrid needs at least one component")
        if normalization not in ("zscore", "rank"):
            raise ValidationError(f"unknown normalization {normalization!r}")
        self.components: dict[str, Recommender] = dict(components)
        self.weights = self._check_weights(weights)
        self.cold_weights = self._check_weights(cold_weights or self.weights)
        self.cold_start_max = int(cold_start_max)
        self.normalization: Normalization = normalization
        self.sentiment_strength = float(sentiment_strength)

    def _check_weights(self, weights: Mapping[str, float] | None) -> dict[str, float]:
        if weights is None:
            return {name: 1.0 for name in self.components}
        unknown = set(weights) - set(self.components)
        if unknown:
            raise ValidationError(f"weights for unknown components: {sorted(unknown)}")
        return {name: float(weights.get(name, 0.0)) for name in self.components}

    def get_params(self) -> dict[str, Any]:
        return {
            "components": [
                {"name": name, "kind": comp.kind, "params": comp.get_params()}
                for name, comp in self.components.items()
            ],
            "weights": self.weights,
            "cold_weights": self.cold_weights,
            "cold_start_max": self.cold_start_max,
            "normalization": self.normalization,
            "sentiment_strength": self.sentiment_strength,
        }

    @classmethod
    def _from_meta(cls: type[R], meta: Mapping[str, Any]) -> R:
        params = dict(meta["params"])
        components = {
            spec["name"]: Recommender._registry[spec["kind"]]._from_meta(spec)
            for spec in params.pop("components")
        }
        return cls(components=components, **params)  # type: ignore[call-arg]

    def fit(
        self: R,
        interactions: Interactions,
        item_features: ItemFeatures | None = None,
        user_features: UserFeatures | None = None,
    ) -> R:
        assert isinstance(self, HybridRecommender)
        for comp in self.components.values():
            comp.fit(interactions, item_features, user_features)
        return super().fit(interactions, item_features, user_features)

    def _fit_model(self) -> None:
        for name, comp in self.components.items():
            if not np.array_equal(comp.item_ids, self.item_ids):
                raise ValidationError(f"component {name!r} indexes items differently")

    # ------------------------------------------------------------------ scoring

    def _parts(
        self,
        rows: npt.NDArray[np.int64],
        hist: sp.csr_matrix,
        context: RecommendContext,
        histories: dict[str, sp.csr_matrix] | None = None,
    ) -> dict[str, FloatArray]:
        """Per component, normalized scores (seen items 0; they are filtered anyway).

        ``histories``, when given, receives each component's view of the history.
        """
        seen = np.zeros((len(rows), len(self._items)), dtype=bool)
        for r in range(len(rows)):
            seen[r, hist.indices[hist.indptr[r] : hist.indptr[r + 1]]] = True
        # Without any history, components that only fall back to popularity would drown
        # the one that knows the customer's attributes: they sit out, if such a one exists.
        empty = np.diff(hist.indptr) == 0
        attribute_aware = any(c.cold_start_uses_attributes for c in self.components.values())
        parts = {}
        for name, comp in self.components.items():
            # Components without recency weighting see the same history as the hybrid.
            comp_hist = hist if comp.recency_half_life_s is None else comp._history(rows, context)
            if histories is not None:
                histories[name] = comp_hist
            raw = comp._scores_for(rows, comp_hist, context)
            parts[name] = _normalize(raw, seen, self.normalization)
            if attribute_aware and not comp.cold_start_uses_attributes and empty.any():
                parts[name][empty] = 0.0
        return parts

    def _row_weights(self, hist: sp.csr_matrix) -> list[dict[str, float]]:
        counts = np.diff(hist.indptr)
        return [self.cold_weights if c <= self.cold_start_max else self.weights for c in counts]

    def _blend(self, parts: Mapping[str, FloatArray], hist: sp.csr_matrix) -> FloatArray:
        n = hist.shape[0]
        out = np.zeros((n, len(self._items)), dtype=np.float64)
        for r, weights in enumerate(self._row_weights(hist)):
            for name, part in parts.items():
                if weights[name]:
                    out[r] += weights[name] * part[r]
        return out

    def _score(
        self, rows: npt.NDArray[np.int64], history: sp.csr_matrix, context: RecommendContext
    ) -> FloatArray:
        return self._blend(self._parts(rows, history, context), history)

    def _scores_for(
        self, rows: npt.NDArray[np.int64], hist: sp.csr_matrix, context: RecommendContext
    ) -> FloatArray:
        # Components handle the cold-start path themselves.
        return self._score(rows, hist, context)

    def _similar(self, item: int) -> FloatArray:
        out = np.zeros(len(self._items))
        for name, comp in self.components.items():
            sims = np.asarray(comp._similar(item), dtype=np.float64).copy()
            sims[item] = np.nan
            std = np.nanstd(sims)
            out += self.weights[name] * np.nan_to_num((sims - np.nanmean(sims)) / (std + 1e-12))
        return out

    # ------------------------------------------------------------------ learning

    def tune_weights(
        self,
        held_out: Interactions,
        *,
        k: int = 10,
        cold: bool = False,
        grid: Sequence[float] = DEFAULT_WEIGHT_GRID,
        rounds: int = 2,
    ) -> float:
        """Learn blend weights maximizing mean nDCG@k on ``held_out`` (coordinate ascent).

        Fit the hybrid on the other interactions first; never pass a test split here.

        Args:
            held_out: interactions hidden from ``fit``, the relevant items.
            k: cut-off of nDCG.
            cold: tune ``cold_weights`` on the cold customers instead of ``weights`` on the rest.
            grid: values tried for each component's weight.
            rounds: passes over the components.

        Returns:
            The best mean nDCG@k reached (on ``held_out``).
        """
        self._check_fitted()
        rows_all = self._users.indices(held_out.users.tolist())
        cols_all = self._items.indices(held_out.items.tolist())
        keep = (rows_all >= 0) & (cols_all >= 0)
        rows = np.unique(rows_all[keep])
        hist = self._history(rows, RecommendContext())
        counts = np.diff(hist.indptr)
        select = counts <= self.cold_start_max if cold else counts > self.cold_start_max
        rows, hist = rows[select], hist[select]
        if len(rows) == 0:
            raise ValidationError("no held-out customers of the requested kind to tune on")
        parts = self._parts(rows, hist, RecommendContext())
        pos = {int(r): p for p, r in enumerate(rows)}
        relevant: list[list[int]] = [[] for _ in rows]
        for r, c in zip(rows_all[keep], cols_all[keep], strict=True):
            if int(r) in pos:
                relevant[pos[int(r)]].append(int(c))
        seen = np.zeros((len(rows), len(self._items)), dtype=bool)
        for r in range(len(rows)):
            seen[r, hist.indices[hist.indptr[r] : hist.indptr[r + 1]]] = True
        rel = [
            np.setdiff1d(np.asarray(v, np.int64), np.flatnonzero(seen[i]))
            for i, v in enumerate(relevant)
        ]

        def quality(weights: Mapping[str, float]) -> float:
            blend = sum((w * parts[n] for n, w in weights.items() if w), np.zeros(seen.shape))
            blend = np.where(seen, -np.inf, blend)
            top = np.argpartition(-blend, k, axis=1)[:, :k]
            order = np.argsort(-np.take_along_axis(blend, top, 1), axis=1, kind="stable")
            return float(ndcg_batch(np.take_along_axis(top, order, 1), rel, k).mean())

        weights = dict(self.cold_weights if cold else self.weights)
        if not any(weights.values()):
            weights = {n: 1.0 for n in weights}
        best = quality(weights)
        for _ in range(rounds):
            for name in self.components:
                for value in grid:
                    trial = {**weights, name: float(value)}
                    if value == weights[name] or not any(trial.values()):
                        continue
                    q = quality(trial)
                    if q > best + 1e-9:
                        best, weights = q, trial
        if cold:
            self.cold_weights = weights
        else:
            self.weights = weights
        return best

    # ------------------------------------------------------------------ re-ranking

    def recommend(
        self, user: str, k: int = 10, context: RecommendContext | None = None
    ) -> list[Recommendation]:
        self._check_fitted()
        if k < 1:
            raise ValidationError(f"k must be positive, got {k}")
        ctx = context or RecommendContext()
        rows = np.asarray([self._users.get(user)], dtype=np.int64)
        hist = self._history(rows, ctx)
        histories: dict[str, sp.csr_matrix] = {}
        parts = self._parts(rows, hist, ctx, histories)
        weights = self._row_weights(hist)[0]
        scores = self._blend(parts, hist)[0]
        sentiment = self._sentiment_boost(ctx)
        adjusted = scores + sentiment
        allowed = self._allowed(hist, ctx)
        picks = self._diverse_pick(adjusted, allowed, k, ctx)
        out = []
        for i in picks:
            contrib = {n: weights[n] * float(parts[n][0, i]) for n in parts if weights[n]}
            out.append(
                Recommendation(
                    item=str(self._items.ids[i]),
                    score=float(adjusted[i]),
                    reason=self._hybrid_reason(
                        int(rows[0]), i, contrib, float(sentiment[i]), ctx, histories
                    ),
                )
            )
        return out

    def _sentiment_boost(self, context: RecommendContext) -> FloatArray:
        boost = np.zeros(len(self._items))
        if not context.sentiment or not len(self._cat_vocab):
            return boost
        per_cat = np.zeros(len(self._cat_vocab))
        has = np.zeros(len(self._cat_vocab), dtype=bool)
        for cat, value in context.sentiment.items():
            pos = int(np.searchsorted(self._cat_vocab, cat))
            if pos < len(self._cat_vocab) and self._cat_vocab[pos] == cat:
                per_cat[pos] = float(np.clip(value, -1.0, 1.0))
                has[pos] = True
        for i in range(len(self._items)):
            cats = self._cat_indices[self._cat_indptr[i] : self._cat_indptr[i + 1]]
            cats = cats[has[cats]]
            if len(cats):
                # The strongest feeling about any of the item's categories decides.
                values = per_cat[cats]
                boost[i] = values[np.argmax(np.abs(values))]
        return self.sentiment_strength * boost

    def _main_category(self, item: int) -> int:
        lo, hi = self._cat_indptr[item], self._cat_indptr[item + 1]
        return int(self._cat_indices[lo]) if hi > lo else -1

    def _category_or_none(self, item: int) -> int | None:
        """The item's main category, ``None`` for an item without one (never capped)."""
        cat = self._main_category(item)
        return cat if cat >= 0 else None

    def _item_sim(self, a: int, b: int) -> float:
        for comp in self.components.values():
            if comp.uses_item_vectors and comp._item_vectors is not None:
                return float(comp._similar(a)[b])
        ca = set(self._cat_indices[self._cat_indptr[a] : self._cat_indptr[a + 1]].tolist())
        cb = set(self._cat_indices[self._cat_indptr[b] : self._cat_indptr[b + 1]].tolist())
        return len(ca & cb) / len(ca | cb) if ca | cb else 0.0

    def _diverse_pick(
        self, scores: FloatArray, allowed: npt.NDArray[np.bool_], k: int, context: RecommendContext
    ) -> list[int]:
        cap = context.max_per_category
        lam = float(np.clip(context.diversity, 0.0, 0.99))
        ranked = _ranked(scores, allowed & np.isfinite(scores))
        if lam == 0.0:
            passing = (int(i) for i in ranked if self._passes(int(i), context))
            return capped_per_category(passing, self._category_or_none, k, cap)
        pool = [int(i) for i in ranked[: _MMR_POOL * k] if self._passes(int(i), context)]
        if not pool:
            return []
        rel = scores[pool]
        rel = (rel - rel.min()) / (rel.max() - rel.min() + 1e-12)
        chosen: list[int] = []
        per_cat: dict[int, int] = {}
        remaining = list(range(len(pool)))
        while remaining and len(chosen) < k:
            best, best_val = -1, -np.inf
            for p in remaining:
                cat = self._main_category(pool[p])
                if cap is not None and cat >= 0 and per_cat.get(cat, 0) >= cap:
                    continue
                redundancy = max((self._item_sim(pool[p], c) for c in chosen), default=0.0)
                value = (1.0 - lam) * rel[p] - lam * redundancy
                if value > best_val:
                    best, best_val = p, value
            if best < 0:
                break
            chosen.append(pool[best])
            cat = self._main_category(pool[best])
            per_cat[cat] = per_cat.get(cat, 0) + 1
            remaining.remove(best)
        return chosen

    def _hybrid_reason(
        self,
        row: int,
        item: int,
        contributions: Mapping[str, float],
        sentiment: float,
        context: RecommendContext,
        histories: Mapping[str, sp.csr_matrix],
    ) -> Reason:
        top_name = max(contributions, key=lambda n: contributions[n]) if contributions else None
        top_value = contributions[top_name] if top_name is not None else 0.0
        if sentiment > 0 and sentiment >= top_value:
            liked = [c for c in self._categories(item) if float(context.sentiment.get(c, 0.0)) > 0]
            if liked:
                cat = max(liked, key=lambda c: float(context.sentiment[c]))
                return Reason.build(
                    ReasonKind.PRAISED_CATEGORY, category=cat, category_zh=self._category_zh(cat)
                )
        if top_name is None:
            return self._popular_reason(row, context)
        return self.components[top_name]._explain(row, histories[top_name], item, context)

    # ------------------------------------------------------------------ persistence

    def _state(self) -> Arrays:
        arrays: Arrays = {}
        for name, comp in self.components.items():
            arrays.update(comp._state_all(f"c.{name}."))
        return arrays

    def _restore(self, arrays: Arrays) -> None:
        for name, comp in self.components.items():
            comp._restore_all(arrays, f"c.{name}.")


def _normalize(raw: FloatArray, seen: npt.NDArray[np.bool_], how: Normalization) -> FloatArray:
    """Per row, over the unseen items: z-scores, or ranks mapped to (0, 1]."""
    masked = np.where(seen | ~np.isfinite(raw), np.nan, raw)
    if how == "zscore":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # rows with nothing unseen
            mean = np.nanmean(masked, axis=1, keepdims=True)
            std = np.nanstd(masked, axis=1, keepdims=True)
        out = (masked - mean) / np.where(std > 1e-12, std, 1.0)
    else:
        filled = np.where(np.isnan(masked), -np.inf, masked)
        order = np.argsort(-filled, axis=1, kind="stable")
        ranks = np.empty_like(order)
        np.put_along_axis(ranks, order, np.arange(raw.shape[1])[None, :], axis=1)
        n_unseen = np.maximum((~np.isnan(masked)).sum(axis=1, keepdims=True), 1)
        out = 1.0 - ranks / n_unseen
    return np.asarray(np.nan_to_num(out, nan=0.0), dtype=np.float64)
