"""Value objects a recommender is fitted on: interactions, item and user side information."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from bot.errors import ValidationError

if TYPE_CHECKING:
    import scipy.sparse as sp


class IdIndex:
    """A stable two-way map between external ids and the rows/columns of a matrix.

    Ids are kept in sorted order, so the same set of ids always gives the same indices,
    whatever order the interactions arrived in.

    Example:
        >>> idx = IdIndex(["b", "a", "b"])
        >>> idx.ids.tolist(), idx.get("b"), idx.get("zzz")
        (['a', 'b'], 1, -1)
    """

    def __init__(self, ids: Iterable[str]) -> None:
        self._ids: npt.NDArray[np.str_] = np.asarray(sorted({str(i) for i in ids}), dtype=np.str_)
        self._pos: dict[str, int] = {str(v): i for i, v in enumerate(self._ids.tolist())}

    @property
    def ids(self) -> npt.NDArray[np.str_]:
        """The ids, position ``i`` holding the id of index ``i``."""
        return self._ids

    def get(self, id_: str) -> int:
        """The index of ``id_``, or -1 when it is unknown."""
        return self._pos.get(str(id_), -1)

    def indices(self, ids: Iterable[str]) -> npt.NDArray[np.int64]:
        """Indices of ``ids`` (-1 for each unknown id)."""
        return np.fromiter((self._pos.get(str(i), -1) for i in ids), dtype=np.int64)

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, id_: object) -> bool:
        return str(id_) in self._pos

    def __eq__(self, other: object) -> bool:
        return isinstance(other, IdIndex) and np.array_equal(self._ids, other._ids)

    __hash__ = None  # type: ignore[assignment]


@dataclass(frozen=True)
class Interactions:
    """Who interacted with what, how strongly and when: one entry per event.

    Attributes:
        users: user id per event.
        items: item id per event.
        weights: implicit strength per event (1.0 each when not given); repeated
            (user, item) pairs add up.
        timestamps: seconds since the epoch per event, or ``None``.
        ratings: explicit ratings per event, or ``None``; used only to explain
            recommendations ("because you rated X highly"), never to train.

    Example:
        >>> data = Interactions.from_records([("u1", "i1"), ("u1", "i2"), ("u2", "i1")])
        >>> len(data), data.n_users, data.n_items
        (3, 2, 2)
    """

    users: npt.NDArray[np.str_]
    items: npt.NDArray[np.str_]
    weights: npt.NDArray[np.float32] = field(default_factory=lambda: np.zeros(0, np.float32))
    timestamps: npt.NDArray[np.float64] | None = None
    ratings: npt.NDArray[np.float32] | None = None

    def __post_init__(self) -> None:
        users = np.asarray(self.users, dtype=np.str_).ravel()
        items = np.asarray(self.items, dtype=np.str_).ravel()
        n = len(users)
        problems: list[str] = []
        if len(items) != n:
            problems.append(f"items has {len(items)} entries, users has {n}")
        weights = np.asarray(self.weights, dtype=np.float32).ravel()
        if len(weights) == 0 and n:
            weights = np.ones(n, dtype=np.float32)
        if len(weights) != n:
            problems.append(f"weights has {len(weights)} entries, users has {n}")
        elif n and not np.all(np.isfinite(weights)):
            problems.append("weights must be finite")
        stamps = (
            None if self.timestamps is None else np.asarray(self.timestamps, np.float64).ravel()
        )
        if stamps is not None and len(stamps) != n:
            problems.append(f"timestamps has {len(stamps)} entries, users has {n}")
        ratings = None if self.ratings is None else np.asarray(self.ratings, np.float32).ravel()
        if ratings is not None and len(ratings) != n:
            problems.append(f"ratings has {len(ratings)} entries, users has {n}")
        if problems:
            raise ValidationError("inconsistent interactions", problems)
        object.__setattr__(self, "users", users)
        object.__setattr__(self, "items", items)
        object.__setattr__(self, "weights", weights)
        object.__setattr__(self, "timestamps", stamps)
        object.__setattr__(self, "ratings", ratings)

    @classmethod
    def from_records(
        cls, records: Iterable[Sequence[object]], *, has_ratings: bool = False
    ) -> Interactions:
        """Build from ``(user, item[, weight[, timestamp]])`` tuples.

        Args:
            records: the events.
            has_ratings: the third field is an explicit rating: it becomes ``ratings``
                and every weight is 1.
        """
        rows = [tuple(r) for r in records]
        users = [str(r[0]) for r in rows]
        items = [str(r[1]) for r in rows]
        third = [float(r[2]) for r in rows if len(r) > 2]  # type: ignore[arg-type]
        stamps = [float(r[3]) for r in rows if len(r) > 3]  # type: ignore[arg-type]
        if third and len(third) != len(rows):
            raise ValidationError("every record needs the same number of fields")
        weights = np.ones(len(rows), np.float32) if has_ratings or not third else np.asarray(third)
        return cls(
            users=np.asarray(users, dtype=np.str_),
            items=np.asarray(items, dtype=np.str_),
            weights=np.asarray(weights, np.float32),
            timestamps=np.asarray(stamps) if stamps and len(stamps) == len(rows) else None,
            ratings=np.asarray(third, np.float32) if has_ratings and third else None,
        )

    def __len__(self) -> int:
        return len(self.users)

    @property
    def n_users(self) -> int:
        """Number of distinct users."""
        return len(np.unique(self.users))

    @property
    def n_items(self) -> int:
        """Number of distinct items."""
        return len(np.unique(self.items))

    def subset(self, mask: npt.ArrayLike) -> Interactions:
        """The events where ``mask`` (a boolean array or index array) selects."""
        sel = np.asarray(mask)
        return Interactions(
            users=self.users[sel],
            items=self.items[sel],
            weights=self.weights[sel],
            timestamps=None if self.timestamps is None else self.timestamps[sel],
            ratings=None if self.ratings is None else self.ratings[sel],
        )

    def to_csr(
        self, user_index: IdIndex, item_index: IdIndex, values: npt.ArrayLike | None = None
    ) -> sp.csr_matrix:
        """A users × items CSR matrix of ``values`` (default: weights), duplicates summed.

        Events whose user or item is not in the indices are dropped.
        """
        import scipy.sparse as sp

        rows = user_index.indices(self.users.tolist())
        cols = item_index.indices(self.items.tolist())
        vals = self.weights if values is None else np.asarray(values, np.float64)
        keep = (rows >= 0) & (cols >= 0)
        matrix = sp.csr_matrix(
            (np.asarray(vals)[keep], (rows[keep], cols[keep])),
            shape=(len(user_index), len(item_index)),
        )
        matrix.sum_duplicates()
        matrix.sort_indices()
        return matrix


@dataclass(frozen=True)
class ItemFeatures:
    """What is known about items besides who used them.

    Attributes:
        ids: item ids; items here but without interactions can still be recommended
            by models that use vectors (content-based) and get a place in every index.
        vectors: one row per id (text embeddings from the shared encoder, TF-IDF,
            genre one-hots, ...), or ``None``.
        categories: item id -> categories, the first being the main one (used for
            diversity, sentiment and explanations).
        names: item id -> display name (English or the catalog's language).
        names_zh: item id -> Chinese display name, where different from ``names``.
        category_names_zh: category -> Chinese label, for explanations.
    """

    ids: Sequence[str]
    vectors: npt.NDArray[np.float32] | None = None
    categories: Mapping[str, Sequence[str]] = field(default_factory=dict)
    names: Mapping[str, str] = field(default_factory=dict)
    names_zh: Mapping[str, str] = field(default_factory=dict)
    category_names_zh: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        ids = [str(i) for i in self.ids]
        if len(set(ids)) != len(ids):
            raise ValidationError("item feature ids must be unique")
        object.__setattr__(self, "ids", ids)
        if self.vectors is not None:
            vectors = np.asarray(self.vectors, dtype=np.float32)
            if vectors.ndim != 2 or vectors.shape[0] != len(ids):
                raise ValidationError(
                    f"vectors must have one row per id: got shape {vectors.shape} for {len(ids)} ids"
                )
            object.__setattr__(self, "vectors", vectors)


@dataclass(frozen=True)
class UserFeatures:
    """Categorical attributes of users (age band, gender, occupation, region, segment).

    Attributes:
        ids: user ids.
        attributes: attribute name -> one value per id (``""`` for unknown).
    """

    ids: Sequence[str]
    attributes: Mapping[str, Sequence[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        ids = [str(i) for i in self.ids]
        problems = [
            f"attribute {name!r} has {len(vals)} values for {len(ids)} ids"
            for name, vals in self.attributes.items()
            if len(vals) != len(ids)
        ]
        if problems:
            raise ValidationError("inconsistent user features", problems)
        object.__setattr__(self, "ids", ids)
