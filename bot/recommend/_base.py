"""The recommender interface: fit on interactions, recommend with reasons, save without pickle."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import numpy as np
import numpy.typing as npt
from typing_extensions import Self

from bot.errors import ModelError, NotFoundError, ValidationError
from bot.recommend._data import IdIndex, Interactions, ItemFeatures, UserFeatures
from bot.recommend._reasons import Reason, ReasonKind, Recommendation

if TYPE_CHECKING:
    import scipy.sparse as sp

_FORMAT = "ipm-recommender"
_FORMAT_VERSION = 1
#: Ratings at or above this share of the data's highest rating count as "rated highly".
_HIGH_RATING_SHARE = 0.8

FloatArray = npt.NDArray[np.float64]
Arrays = dict[str, npt.NDArray[Any]]
R = TypeVar("R", bound="Recommender")
T = TypeVar("T")


def capped_per_category(
    items: Iterable[T], category: Callable[[T], Hashable | None], k: int, cap: int | None
) -> list[T]:
    """The first ``k`` of ``items`` in their order, skipping those past ``cap`` of one category
    (no cap when ``cap`` or an item's category is ``None``): diversity across categories.

    Example:
        >>> capped_per_category(["a1", "a2", "a3", "b1"], lambda s: s[0], k=3, cap=2)
        ['a1', 'a2', 'b1']
    """
    picked: list[T] = []
    counts: dict[Hashable, int] = {}
    for item in items:
        key = category(item)
        if cap is not None and key is not None and counts.get(key, 0) >= cap:
            continue
        if key is not None:
            counts[key] = counts.get(key, 0) + 1
        picked.append(item)
        if len(picked) == k:
            break
    return picked


@dataclass(frozen=True)
class RecommendContext:
    """Everything about one request besides the customer's id.

    Attributes:
        history: items the customer interacted with that the model may not know yet
            (this session, or the whole history of a customer the model has never seen).
        asked_about: items the customer asked about in this conversation; they count as
            interest and are not recommended back.
        sentiment: category -> the customer's sentiment about it, in [-1, 1]
            (negative: complained; positive: praised). Used by the hybrid's re-ranking.
        exclude: items never to recommend (already bought, rejected).
        in_stock: predicate on item ids; items for which it is false are skipped.
        eligible: predicate on item ids (bank products the customer may apply for).
        exclude_seen: skip the items in the customer's history.
        max_per_category: at most this many items of one main category (hybrid).
        diversity: MMR trade-off in [0, 1): 0 ranks by relevance only (hybrid).
        user_attributes: attributes of a customer the model has not seen (age band,
            gender, ...), for the "customers like you" cold-start path.
        now: the request's time in epoch seconds, for recency weighting
            (default: the customer's latest interaction).
    """

    history: Sequence[str] = ()
    asked_about: Sequence[str] = ()
    sentiment: Mapping[str, float] = field(default_factory=dict)
    exclude: Collection[str] = frozenset()
    in_stock: Callable[[str], bool] | None = None
    eligible: Callable[[str], bool] | None = None
    exclude_seen: bool = True
    max_per_category: int | None = None
    diversity: float = 0.0
    user_attributes: Mapping[str, str] = field(default_factory=dict)
    now: float | None = None


_DEFAULT_CONTEXT = RecommendContext()


class Recommender(ABC):
    """Base of every recommender: implicit-style ``fit`` / ``recommend`` / ``similar_items``.

    Subclasses implement the model (``_fit_model``, ``_score``, ``_similar``) and its
    persistence (``_state``, ``_restore``); this class owns the id maps, the customer's
    history, filtering, the cold-start path, explanations and the ``.npz`` format.

    Args:
        recency_half_life_s: when set, each past interaction counts
            ``0.5 ** (age / half_life)`` when scoring (age relative to the customer's
            latest interaction, or ``context.now``); needs timestamps.

    Example:
        >>> from bot.recommend import EASERecommender, Interactions
        >>> data = Interactions.from_records([("ann", "tea"), ("ann", "cup"), ("bob", "tea")])
        >>> model = EASERecommender(l2=1.0).fit(data)
        >>> [r.item for r in model.recommend("bob", k=1)]
        ['cup']
    """

    #: Registry key, written into saved models.
    kind: ClassVar[str] = ""
    #: Keep item vectors from ``ItemFeatures`` (content-based models).
    uses_item_vectors: ClassVar[bool] = False
    #: The cold-start path uses the customer's attributes (not just overall popularity).
    cold_start_uses_attributes: ClassVar[bool] = False
    _registry: ClassVar[dict[str, type[Recommender]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("kind"):
            Recommender._registry[cls.kind] = cls

    def __init__(self, *, recency_half_life_s: float | None = None) -> None:
        if recency_half_life_s is not None and recency_half_life_s <= 0:
            raise ValidationError("recency_half_life_s must be positive")
        self.recency_half_life_s = recency_half_life_s
        self._fitted = False
        self._users = IdIndex(())
        self._items = IdIndex(())

    # ------------------------------------------------------------------ public API

    def get_params(self) -> dict[str, Any]:
        """The hyperparameters, JSON-serializable; ``type(self)(**get_params())`` rebuilds it."""
        return {"recency_half_life_s": self.recency_half_life_s}

    @property
    def user_ids(self) -> npt.NDArray[np.str_]:
        """Users known from fitting, in index order."""
        return self._users.ids

    @property
    def item_ids(self) -> npt.NDArray[np.str_]:
        """Items the model can recommend, in index order (the columns of ``scores``)."""
        return self._items.ids

    def fit(
        self,
        interactions: Interactions,
        item_features: ItemFeatures | None = None,
        user_features: UserFeatures | None = None,
    ) -> Self:
        """Learn from ``interactions``; side information is used where the model can.

        Args:
            interactions: the events (all count as positive, implicit feedback).
            item_features: vectors, categories and names of items.
            user_features: categorical attributes of users.

        Returns:
            ``self``, fitted.

        Raises:
            ValidationError: no interactions, or side information the model needs is missing.
        """
        if len(interactions) == 0:
            raise ValidationError(f"cannot fit {type(self).__name__} on no interactions")
        self._set_data(interactions, item_features, user_features)
        self._fit_model()
        self._fitted = True
        return self

    def scores(self, users: Sequence[str], context: RecommendContext | None = None) -> FloatArray:
        """Scores of every item (columns as ``item_ids``) for each of ``users``.

        Unknown users take the cold-start path (``context.history`` or popularity).
        Items in a user's history are ``-inf`` when ``context.exclude_seen`` (the default).
        """
        self._check_fitted()
        ctx = context or _DEFAULT_CONTEXT
        rows = self._users.indices(users)
        hist = self._history(rows, ctx)
        out = self._scores_for(rows, hist, ctx)
        if ctx.exclude_seen:
            for r in range(len(rows)):
                out[r, hist.indices[hist.indptr[r] : hist.indptr[r + 1]]] = -np.inf
        return out

    def recommend(
        self, user: str, k: int = 10, context: RecommendContext | None = None
    ) -> list[Recommendation]:
        """The ``k`` best items for ``user``, best first, each with a reason.

        Args:
            user: the customer's id; unknown customers get the cold-start path.
            k: how many items at most (fewer when filters leave fewer).
            context: history, filters and re-ranking signals of this request.

        Raises:
            ValidationError: ``k`` is not positive.
            ModelError: the model is not fitted.
        """
        self._check_fitted()
        if k < 1:
            raise ValidationError(f"k must be positive, got {k}")
        ctx = context or _DEFAULT_CONTEXT
        rows = np.asarray([self._users.get(user)], dtype=np.int64)
        hist = self._history(rows, ctx)
        scores = self._scores_for(rows, hist, ctx)[0]
        allowed = self._allowed(hist, ctx)
        picks = self._pick(scores, allowed, k, ctx, int(rows[0]), hist)
        return [
            Recommendation(
                item=str(self._items.ids[i]),
                score=float(s),
                reason=self._explain(int(rows[0]), hist, i, ctx),
            )
            for i, s in picks
        ]

    def similar_items(self, item: str, k: int = 10) -> list[Recommendation]:
        """The ``k`` items most like ``item`` (never ``item`` itself), best first.

        Raises:
            NotFoundError: the model does not know ``item``.
        """
        self._check_fitted()
        if k < 1:
            raise ValidationError(f"k must be positive, got {k}")
        idx = self._items.get(item)
        if idx < 0:
            raise NotFoundError(f"unknown item {item!r}")
        sims = np.asarray(self._similar(idx), dtype=np.float64).copy()
        sims[idx] = -np.inf
        order = _ranked(sims, np.isfinite(sims))[:k]
        reason = Reason.build(
            ReasonKind.SIMILAR_ITEM,
            item=str(item),
            item_name=self._name(idx),
            item_name_zh=self._name_zh(idx),
        )
        return [Recommendation(str(self._items.ids[j]), float(sims[j]), reason) for j in order]

    def save(self, path: str | Path) -> None:
        """Write the fitted model to ``path`` (a ``.npz`` file with JSON metadata; no pickle)."""
        self._check_fitted()
        arrays = self._state_all("")
        meta = {
            "format": _FORMAT,
            "version": _FORMAT_VERSION,
            "kind": self.kind,
            "params": self.get_params(),
        }
        arrays["__meta__"] = np.asarray(json.dumps(meta))
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as fh:
            np.savez_compressed(fh, **arrays)  # type: ignore[arg-type]

    @classmethod
    def load(cls, path: str | Path) -> Self:
        """Read a model ``save`` wrote; ``Recommender.load`` returns whichever kind it is.

        Raises:
            ModelError: missing, corrupt, or of another kind than ``cls``.
        """
        try:
            with np.load(Path(path), allow_pickle=False) as npz:
                arrays = {key: npz[key] for key in npz.files}
            meta = json.loads(str(arrays.pop("__meta__")))
        except (OSError, ValueError, KeyError) as exc:
            raise ModelError(f"cannot read recommender from {path}: {exc}") from exc
        if meta.get("format") != _FORMAT or meta.get("version") != _FORMAT_VERSION:
            raise ModelError(f"{path} is not an ipm recommender (format {meta.get('format')!r})")
        target = Recommender._registry.get(meta.get("kind", ""))
        if target is None or not issubclass(target, cls):
            raise ModelError(f"{path} holds a {meta.get('kind')!r} model, not a {cls.__name__}")
        try:
            model = target._from_meta(meta)
            model._restore_all(arrays, "")
        except (KeyError, ValueError, TypeError) as exc:
            raise ModelError(f"corrupt recommender file {path}: {exc}") from exc
        return model

    # ------------------------------------------------------------ for subclasses

    @abstractmethod
    def _fit_model(self) -> None:
        """Fit on ``self._user_items`` (and the side information the base keeps)."""

    @abstractmethod
    def _score(
        self, rows: npt.NDArray[np.int64], history: sp.csr_matrix, context: RecommendContext
    ) -> npt.NDArray[np.floating[Any]]:
        """Raw scores, ``(len(rows), n_items)``; ``rows`` is -1 for unknown users."""

    @abstractmethod
    def _similar(self, item: int) -> npt.NDArray[np.floating[Any]]:
        """Similarity of item ``item`` to every item."""

    @abstractmethod
    def _state(self) -> Arrays:
        """The fitted arrays of the model itself (the base saves its own)."""

    @abstractmethod
    def _restore(self, arrays: Arrays) -> None:
        """Inverse of ``_state``."""

    def _contributions(
        self, history_items: npt.NDArray[np.int32], history_weights: FloatArray, item: int
    ) -> FloatArray | None:
        """How much each history item adds to ``item``'s score (``None``: not item-based)."""
        return None

    def _cold_scores(self, context: RecommendContext) -> FloatArray:
        """Scores for a customer without any history: popularity."""
        return np.log1p(self._popularity.astype(np.float64))

    def _explain(
        self, row: int, history: sp.csr_matrix, item: int, context: RecommendContext
    ) -> Reason:
        """The reason for recommending ``item``: the history item that adds most to it."""
        h_items = history.indices[history.indptr[0] : history.indptr[1]]
        h_weights = history.data[history.indptr[0] : history.indptr[1]].astype(np.float64)
        contrib = self._contributions(h_items, h_weights, item) if len(h_items) else None
        return self._evidence_reason(row, h_items, contrib, context)

    @classmethod
    def _from_meta(cls, meta: Mapping[str, Any]) -> Self:
        return cls(**meta["params"])

    # ------------------------------------------------------------------ internals

    def _set_data(
        self,
        interactions: Interactions,
        item_features: ItemFeatures | None,
        user_features: UserFeatures | None,
    ) -> None:
        import scipy.sparse as sp

        item_ids = set(interactions.items.tolist())
        if item_features is not None:
            item_ids.update(item_features.ids)
        self._users = IdIndex(interactions.users.tolist())
        self._items = IdIndex(item_ids)
        rows = self._users.indices(interactions.users.tolist())
        cols = self._items.indices(interactions.items.tolist())
        shape = (len(self._users), len(self._items))
        # One entry per (user, item): weights add up, the latest timestamp and rating win.
        order = np.lexsort(
            (
                interactions.timestamps
                if interactions.timestamps is not None
                else np.arange(len(rows)),
                cols,
                rows,
            )
        )
        rows, cols = rows[order], cols[order]
        pair = rows * shape[1] + cols
        last = np.r_[pair[1:] != pair[:-1], True]
        first = np.r_[True, pair[1:] != pair[:-1]]
        weights = np.add.reduceat(
            interactions.weights[order].astype(np.float64), np.flatnonzero(first)
        )
        coords = (rows[last], cols[last])
        self._user_items = sp.csr_matrix((weights.astype(np.float32), coords), shape=shape)
        self._user_times = (
            None
            if interactions.timestamps is None
            else sp.csr_matrix((interactions.timestamps[order][last], coords), shape=shape)
        )
        self._ratings = (
            None
            if interactions.ratings is None
            else sp.csr_matrix((interactions.ratings[order][last], coords), shape=shape)
        )
        self._rating_high = (
            0.0
            if interactions.ratings is None
            else float(interactions.ratings.max()) * _HIGH_RATING_SHARE
        )
        self._popularity = np.bincount(cols[last], minlength=shape[1]).astype(np.float32)
        n_items = shape[1]
        feats = item_features or ItemFeatures(ids=[])
        ids = self._items.ids.tolist()
        self._names = np.asarray([feats.names.get(i, i) for i in ids], dtype=np.str_)
        self._names_zh = np.asarray([feats.names_zh.get(i, "") for i in ids], dtype=np.str_)
        vocab = sorted({c for cats in feats.categories.values() for c in cats})
        self._cat_vocab = np.asarray(vocab, dtype=np.str_)
        self._cat_zh = np.asarray(
            [feats.category_names_zh.get(c, "") for c in vocab], dtype=np.str_
        )
        cat_pos = {c: j for j, c in enumerate(vocab)}
        indptr = [0]
        indices: list[int] = []
        for i in ids:
            indices.extend(cat_pos[c] for c in feats.categories.get(i, ()))
            indptr.append(len(indices))
        self._cat_indptr = np.asarray(indptr, dtype=np.int64)
        self._cat_indices = np.asarray(indices, dtype=np.int64)
        self._item_vectors: npt.NDArray[np.float32] | None = None
        if self.uses_item_vectors and feats.vectors is not None:
            vectors = np.zeros((n_items, feats.vectors.shape[1]), dtype=np.float32)
            vectors[self._items.indices(feats.ids)] = feats.vectors
            self._item_vectors = vectors
        self._user_attrs: dict[str, npt.NDArray[np.str_]] = {}
        if user_features is not None:
            pos = self._users.indices(user_features.ids)
            for name, values in user_features.attributes.items():
                column = np.full(len(self._users), "", dtype=object)
                known = pos >= 0
                column[pos[known]] = np.asarray([str(v) for v in values], dtype=object)[known]
                self._user_attrs[name] = column.astype(np.str_)

    def _check_fitted(self) -> None:
        if not self._fitted:
            raise ModelError(f"{type(self).__name__} is not fitted: call fit() or load() first")

    def _history(self, rows: npt.NDArray[np.int64], context: RecommendContext) -> sp.csr_matrix:
        """The customers' interactions as rows over items (weights, recency-decayed)."""
        import scipy.sparse as sp

        known = rows >= 0
        safe = np.where(known, rows, 0)
        hist = self._user_items[safe]
        if not known.all():
            # Unknown customers get empty rows.
            lengths = np.diff(hist.indptr) * known
            keep = np.repeat(known, np.diff(hist.indptr))
            hist = sp.csr_matrix(
                (hist.data[keep], hist.indices[keep], np.r_[0, np.cumsum(lengths)]),
                shape=hist.shape,
            )
        if self.recency_half_life_s is not None and self._user_times is not None:
            times = self._user_times[safe]
            hist = hist.astype(np.float64)
            for r in range(len(rows)):
                lo, hi = hist.indptr[r], hist.indptr[r + 1]
                if hi > lo:
                    stamps = times.data[times.indptr[r] : times.indptr[r + 1]]
                    ref = context.now if context.now is not None else stamps.max()
                    age = np.maximum(ref - stamps, 0.0)
                    hist.data[lo:hi] *= np.power(0.5, age / self.recency_half_life_s)
        extra = list(context.history) + list(context.asked_about)
        if extra:
            cols = self._items.indices(extra)
            cols = np.unique(cols[cols >= 0])
            if len(cols):
                add = sp.csr_matrix(
                    (
                        np.ones(len(rows) * len(cols)),
                        (np.repeat(np.arange(len(rows)), len(cols)), np.tile(cols, len(rows))),
                    ),
                    shape=hist.shape,
                )
                hist = sp.csr_matrix(hist.maximum(add))
        hist.sort_indices()
        return hist

    def _scores_for(
        self, rows: npt.NDArray[np.int64], hist: sp.csr_matrix, context: RecommendContext
    ) -> FloatArray:
        out = np.asarray(self._score(rows, hist, context), dtype=np.float64)
        empty = np.diff(hist.indptr) == 0
        if empty.any():
            out[empty] = self._cold_scores(context)
        return out

    def _allowed(self, hist: sp.csr_matrix, context: RecommendContext) -> npt.NDArray[np.bool_]:
        allowed = np.ones(len(self._items), dtype=bool)
        if context.exclude_seen:
            allowed[hist.indices[hist.indptr[0] : hist.indptr[1]]] = False
        blocked = self._items.indices(list(context.exclude) + list(context.asked_about))
        allowed[blocked[blocked >= 0]] = False
        return allowed

    def _passes(self, item: int, context: RecommendContext) -> bool:
        item_id = str(self._items.ids[item])
        if context.in_stock is not None and not context.in_stock(item_id):
            return False
        return not (context.eligible is not None and not context.eligible(item_id))

    def _pick(
        self,
        scores: FloatArray,
        allowed: npt.NDArray[np.bool_],
        k: int,
        context: RecommendContext,
        row: int,
        hist: sp.csr_matrix,
    ) -> list[tuple[int, float]]:
        """Best-first items that pass the filters (predicates checked lazily)."""
        picks: list[tuple[int, float]] = []
        for i in _ranked(scores, allowed & np.isfinite(scores)):
            if self._passes(int(i), context):
                picks.append((int(i), float(scores[i])))
                if len(picks) == k:
                    break
        return picks

    def _name(self, item: int) -> str:
        return str(self._names[item])

    def _name_zh(self, item: int) -> str:
        return str(self._names_zh[item]) or str(self._names[item])

    def _categories(self, item: int) -> list[str]:
        lo, hi = self._cat_indptr[item], self._cat_indptr[item + 1]
        return [str(self._cat_vocab[j]) for j in self._cat_indices[lo:hi]]

    def _category_zh(self, category: str) -> str:
        pos = int(np.searchsorted(self._cat_vocab, category))
        if pos < len(self._cat_vocab) and self._cat_vocab[pos] == category:
            return str(self._cat_zh[pos]) or category
        return category

    def _evidence_reason(
        self,
        row: int,
        h_items: npt.NDArray[np.int32],
        contributions: FloatArray | None,
        context: RecommendContext,
    ) -> Reason:
        """The reason naming the history item that contributes most (popularity if none)."""
        if contributions is None or len(h_items) == 0 or not np.any(contributions > 0):
            return self._popular_reason(row, context)
        best = int(h_items[int(np.argmax(contributions))])
        best_id = str(self._items.ids[best])
        kind = ReasonKind.INTERACTED
        if best_id in set(context.asked_about):
            kind = ReasonKind.SIMILAR_TO_ASKED
        elif (
            self._ratings is not None
            and row >= 0
            and self._rating_of(row, best) >= self._rating_high
        ):
            kind = ReasonKind.RATED_HIGHLY
        return Reason.build(
            kind, item=best_id, item_name=self._name(best), item_name_zh=self._name_zh(best)
        )

    def _popular_reason(self, row: int, context: RecommendContext) -> Reason:
        return Reason.build(ReasonKind.POPULAR)

    def _rating_of(self, row: int, item: int) -> float:
        assert self._ratings is not None
        lo, hi = self._ratings.indptr[row], self._ratings.indptr[row + 1]
        pos = np.searchsorted(self._ratings.indices[lo:hi], item)
        if pos < hi - lo and self._ratings.indices[lo + pos] == item:
            return float(self._ratings.data[lo + pos])
        return float("-inf")

    # -------------------------------------------------------------- persistence

    def _state_all(self, prefix: str) -> Arrays:
        arrays: Arrays = {
            "users": self._users.ids,
            "items": self._items.ids,
            "popularity": self._popularity,
            "names": self._names,
            "names_zh": self._names_zh,
            "cat_vocab": self._cat_vocab,
            "cat_zh": self._cat_zh,
            "cat_indptr": self._cat_indptr,
            "cat_indices": self._cat_indices,
            "rating_high": np.asarray(self._rating_high),
            "user_attr_names": np.asarray(sorted(self._user_attrs), dtype=np.str_),
        }
        _put_csr(arrays, "user_items", self._user_items)
        if self._user_times is not None:
            _put_csr(arrays, "user_times", self._user_times)
        if self._ratings is not None:
            _put_csr(arrays, "ratings", self._ratings)
        if self._item_vectors is not None:
            arrays["item_vectors"] = self._item_vectors
        for name, column in self._user_attrs.items():
            arrays[f"user_attr.{name}"] = column
        arrays.update({f"model.{key}": value for key, value in self._state().items()})
        return {prefix + key: value for key, value in arrays.items()}

    def _restore_all(self, arrays: Arrays, prefix: str) -> None:
        def get(key: str) -> npt.NDArray[Any]:
            return arrays[prefix + key]

        self._users = IdIndex(get("users").tolist())
        self._items = IdIndex(get("items").tolist())
        self._popularity = get("popularity")
        self._names = get("names")
        self._names_zh = get("names_zh")
        self._cat_vocab = get("cat_vocab")
        self._cat_zh = get("cat_zh")
        self._cat_indptr = get("cat_indptr")
        self._cat_indices = get("cat_indices")
        self._rating_high = float(get("rating_high"))
        self._user_items = _get_csr(arrays, prefix + "user_items")
        self._user_times = _get_csr(arrays, prefix + "user_times", optional=True)
        self._ratings = _get_csr(arrays, prefix + "ratings", optional=True)
        self._item_vectors = arrays.get(prefix + "item_vectors")
        self._user_attrs = {
            str(name): get(f"user_attr.{name}") for name in get("user_attr_names").tolist()
        }
        mine = prefix + "model."
        self._restore(
            {key[len(mine) :]: val for key, val in arrays.items() if key.startswith(mine)}
        )
        self._fitted = True


def _ranked(scores: FloatArray, allowed: npt.NDArray[np.bool_]) -> npt.NDArray[np.int64]:
    """Indices of allowed items, best first; ties go to the lower index (deterministic)."""
    idx = np.flatnonzero(allowed)
    return idx[np.lexsort((idx, -scores[idx]))]


def _put_csr(arrays: Arrays, key: str, matrix: sp.csr_matrix) -> None:
    arrays[f"{key}.data"] = matrix.data
    arrays[f"{key}.indices"] = matrix.indices
    arrays[f"{key}.indptr"] = matrix.indptr
    arrays[f"{key}.shape"] = np.asarray(matrix.shape, dtype=np.int64)


def _get_csr(arrays: Arrays, key: str, optional: bool = False) -> sp.csr_matrix | None:
    import scipy.sparse as sp

    if optional and f"{key}.data" not in arrays:
        return None
    shape = tuple(int(x) for x in arrays[f"{key}.shape"])
    return sp.csr_matrix(
        (arrays[f"{key}.data"], arrays[f"{key}.indices"], arrays[f"{key}.indptr"]), shape=shape
    )


def load_recommender(path: str | Path) -> Recommender:
    """Load any saved recommender (same as ``Recommender.load``)."""
    return Recommender.load(path)
