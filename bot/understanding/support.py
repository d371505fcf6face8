"""Example support: how closely a message resembles the training examples of each intent.

A classifier's probabilities say which intent is the most likely *among the known ones*; they
stay high for a message unlike anything it was trained on, when that message happens to fall
on one side of a decision boundary. The nearest training example says something the
probabilities do not: whether the message looks like the examples of the intent it was given.

``ExampleSupport`` keeps the (unit-length) training vectors of every intent. For a message
with vector ``x`` and an intent ``c``, its support is ``s_c = max cos(x, e)`` over ``c``'s
examples, and the intent's confidence is scaled by

    ``factor_c = min(1, exp(weight * (s_c - reference)))``

where ``reference`` is a low quantile (default the 10th percentile) of the same similarity
measured on the training examples themselves, each against the nearest *other* example of
its intent. A message as close to an intent's examples as 90 % of the training examples are
to theirs keeps its confidence; a less similar one loses confidence exponentially, so the
FallbackClassifier's threshold catches it. Intents listed as ``exempt`` (the out-of-scope
intent, whose examples are scattered by design) keep factor 1.

Measured on CLINC150 and on the bot's own intents in docs/benchmarks.md ("Intent").

Pure numpy (the Rasa components' Python 3.10 environment imports it); saved as npz + JSON.

Example:
    >>> import numpy as np
    >>> x = np.array([[1, 0], [0.96, 0.28], [0, 1], [0.28, 0.96]], dtype=np.float32)
    >>> support = ExampleSupport.fit(x, ["a", "a", "b", "b"], weight=20.0)
    >>> factors = support.factors(np.array([[1.0, 0.0], [0.71, 0.71]], dtype=np.float32), ["a", "b"])
    >>> [[round(float(f), 2) for f in row] for row in factors]  # like a's examples; like neither
    [[1.0, 0.0], [0.19, 0.19]]
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bot.encoder._base import normalize_rows
from bot.errors import ModelError

#: Default strength of the penalty (per unit of cosine similarity below the reference).
DEFAULT_WEIGHT = 20.0
#: Default quantile of the training examples' nearest-neighbour similarity used as reference.
DEFAULT_QUANTILE = 0.1


@dataclass
class ExampleSupport:
    """Training vectors grouped by label, and the reference similarity.

    Attributes:
        vectors: ``(n, dim)`` unit-length training vectors, sorted by label.
        labels: the labels with examples, in order; ``starts[i]`` is where label ``i``'s rows start.
        starts: ``(len(labels),)`` row offsets into ``vectors``.
        reference: the similarity at which the factor starts to fall below 1.
        weight: penalty strength (0 switches support off: every factor is 1).
        exempt: labels that always get factor 1.
        meta: training facts (quantile, example counts).
    """

    vectors: np.ndarray
    labels: list[str]
    starts: np.ndarray
    reference: float
    weight: float = DEFAULT_WEIGHT
    exempt: frozenset[str] = frozenset()
    meta: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def fit(
        cls,
        vectors: np.ndarray,
        labels: Sequence[str],
        weight: float = DEFAULT_WEIGHT,
        quantile: float = DEFAULT_QUANTILE,
        exempt: Iterable[str] = (),
    ) -> ExampleSupport:
        """Keep the examples and measure the reference similarity on them.

        Args:
            vectors: ``(n, dim)`` sentence embeddings of the training examples.
            labels: one label per row.
            weight: penalty strength; 0 disables the support check.
            quantile: which quantile of the examples' leave-one-out similarity is the reference.
            exempt: labels never penalized (e.g. the out-of-scope intent).

        Raises:
            ModelError: empty or mismatched input, or a quantile outside [0, 1].
        """
        x = normalize_rows(vectors)
        if len(x) == 0 or len(x) != len(labels):
            raise ModelError(f"example support needs one label per vector ({len(x)} vectors, {len(labels)} labels)")
        if not 0.0 <= quantile <= 1.0 or weight < 0:
            raise ModelError(f"example support: quantile must be in [0, 1] and weight >= 0 ({quantile}, {weight})")
        exempt_set = frozenset(exempt)
        order = sorted(range(len(labels)), key=lambda i: labels[i])
        x = x[order]
        unique, starts = np.unique([labels[i] for i in order], return_index=True)
        names = [str(name) for name in unique]
        leave_one_out: list[np.ndarray] = []
        bounds = [*starts.tolist(), len(x)]
        for i, name in enumerate(names):
            block = x[bounds[i] : bounds[i + 1]]
            if name in exempt_set or len(block) < 2:
                continue
            sims = block @ block.T
            np.fill_diagonal(sims, -np.inf)
            leave_one_out.append(sims.max(axis=1))
        reference = float(np.quantile(np.concatenate(leave_one_out), quantile)) if leave_one_out else 0.0
        meta = {"quantile": quantile, "examples": len(x), "reference_examples": int(sum(map(len, leave_one_out)))}
        return cls(x, names, starts.astype(np.int64), reference, float(weight), exempt_set, meta)

    def similarities(self, vectors: np.ndarray) -> np.ndarray:
        """``(n, len(self.labels))``: each message's cosine with the nearest example of each label."""
        sims = normalize_rows(vectors) @ self.vectors.T
        out: np.ndarray = np.maximum.reduceat(sims, self.starts, axis=1)
        return out

    def factors(self, vectors: np.ndarray, labels: Sequence[str]) -> np.ndarray:
        """``(n, len(labels))`` confidence factors in (0, 1] for the given label order.

        Labels without training examples here (and exempt ones) get factor 1.
        """
        n = 1 if np.asarray(vectors).ndim == 1 else len(vectors)
        out = np.ones((n, len(labels)), dtype=np.float32)
        if self.weight <= 0 or not self.labels:
            return out
        column = {name: i for i, name in enumerate(self.labels)}
        pairs = [(j, column[label]) for j, label in enumerate(labels) if label in column and label not in self.exempt]
        if not pairs:
            return out
        # One vectorized pass over the scored labels (a Python loop per label cost more than
        # the similarity product itself with 77 intents).
        targets, sources = (np.fromiter(side, dtype=np.int64, count=len(pairs)) for side in zip(*pairs))
        sims = self.similarities(vectors)
        out[:, targets] = np.minimum(1.0, np.exp(self.weight * (sims[:, sources] - self.reference)))
        return out

    def save(self, directory: Path, stem: str = "intent") -> None:
        """Write ``{stem}_support.npz`` (vectors in float16) and ``{stem}_support.json``."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        np.savez(directory / f"{stem}_support.npz", vectors=self.vectors.astype(np.float16),
                 starts=self.starts.astype(np.int64))
        (directory / f"{stem}_support.json").write_text(
            json.dumps({"labels": self.labels, "reference": self.reference, "weight": self.weight,
                        "exempt": sorted(self.exempt), "meta": self.meta}, ensure_ascii=False),
            encoding="utf-8",
        )

    @classmethod
    def exists(cls, directory: Path, stem: str = "intent") -> bool:
        return (Path(directory) / f"{stem}_support.json").exists()

    @classmethod
    def load(cls, directory: Path, stem: str = "intent") -> ExampleSupport:
        """Read what ``save`` wrote.

        Raises:
            ModelError: files missing or inconsistent.
        """
        directory = Path(directory)
        try:
            with np.load(directory / f"{stem}_support.npz", allow_pickle=False) as arrays:
                vectors, starts = arrays["vectors"].astype(np.float32), arrays["starts"]
            info = json.loads((directory / f"{stem}_support.json").read_text(encoding="utf-8"))
            labels = [str(label) for label in info["labels"]]
            reference, weight = float(info["reference"]), float(info["weight"])
        except (OSError, KeyError, ValueError, TypeError) as exc:
            raise ModelError(f"cannot read the example support in {directory}: {exc}") from exc
        if starts.shape != (len(labels),) or (len(labels) and (starts[0] != 0 or np.any(np.diff(starts) <= 0)
                                                                or starts[-1] >= len(vectors))):
            raise ModelError(f"example support in {directory} is inconsistent: {len(labels)} labels, "
                             f"{len(vectors)} vectors")
        return cls(vectors, labels, starts, reference, weight, frozenset(info.get("exempt", [])),
                   dict(info.get("meta", {})))
