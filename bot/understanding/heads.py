"""Linear heads over sentence embeddings, saved as ``.npz`` + JSON metadata (no pickle).

Pure numpy, importable from the Rasa components' Python 3.10 environment as well.

Example:
    >>> import numpy as np
    >>> head = LinearHead(np.eye(2, dtype=np.float32), np.zeros(2, np.float32), ["neg", "pos"], "enc")
    >>> head.predict_proba(np.array([[0.1, 0.9]], dtype=np.float32)).round(2).tolist()
    [[0.31, 0.69]]
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bot.encoder._base import same_space
from bot.errors import ModelError


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax, numerically stable."""
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    out: np.ndarray = e / e.sum(axis=1, keepdims=True)
    return out


@dataclass
class LinearHead:
    """``softmax(x @ weights.T + bias)`` over a fixed label set.

    Attributes:
        weights: ``(n_labels, dim)`` (a binary head may have one row: logistic).
        bias: ``(n_labels,)``.
        labels: label names, in row order (for one row: ``[negative, positive]``).
        encoder: name of the encoder whose vectors this head was trained on.
        meta: free-form training facts (data, accuracy, date).
    """

    weights: np.ndarray
    bias: np.ndarray
    labels: list[str]
    encoder: str
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def dim(self) -> int:
        return int(self.weights.shape[1])

    def check_encoder(self, encoder_name: str, dim: int) -> None:
        """Refuse vectors from another encoder: a head is only valid on its own encoder's space.

        Raises:
            ModelError: the encoder differs from the one the head was trained on.
        """
        compatible = [self.encoder, *self.meta.get("compatible_encoders", [])]
        if dim != self.dim or not any(same_space(encoder_name, name) for name in compatible):
            raise ModelError(
                f"this head was trained on encoder {self.encoder!r} ({self.dim} dims), "
                f"not on {encoder_name!r} ({dim} dims): retrain it for the configured encoder"
            )

    def predict_proba(self, vectors: np.ndarray) -> np.ndarray:
        """Class probabilities, ``(n, len(labels))``."""
        x = np.asarray(vectors, dtype=np.float32)
        if x.ndim == 1:
            x = x[None, :]
        logits = x @ self.weights.T + self.bias
        if self.weights.shape[0] == 1:
            p = 1.0 / (1.0 + np.exp(-logits[:, 0]))
            return np.stack([1.0 - p, p], axis=1)
        return softmax(logits)

    def save(self, path: Path) -> None:
        """Write ``path`` (.npz arrays) and ``path.with_suffix('.json')`` (labels, encoder, meta)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, weights=self.weights.astype(np.float32), bias=self.bias.astype(np.float32))
        path.with_suffix(".json").write_text(
            json.dumps({"labels": self.labels, "encoder": self.encoder, "meta": self.meta},
                       ensure_ascii=False, indent=2),
            encoding="utf-8",
        )

    @classmethod
    def load(cls, path: Path) -> LinearHead:
        """Read a head written by ``save``.

        Raises:
            ModelError: files missing or inconsistent.
        """
        path = Path(path)
        try:
            with np.load(path, allow_pickle=False) as arrays:
                weights, bias = arrays["weights"], arrays["bias"]
            info = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        except (OSError, KeyError, ValueError) as exc:
            raise ModelError(f"cannot read head {path}: {exc}") from exc
        n_rows = weights.shape[0]
        if bias.shape != (n_rows,) or (n_rows != len(info["labels"]) and n_rows != 1):
            raise ModelError(f"head {path} is inconsistent: {weights.shape} vs {len(info['labels'])} labels")
        return cls(weights, bias, list(info["labels"]), info["encoder"], info.get("meta", {}))


def fit_logistic_head(
    vectors: np.ndarray,
    labels: Sequence[str],
    encoder: str,
    c: float = 10.0,
    meta: dict[str, Any] | None = None,
) -> LinearHead:
    """Train a multinomial logistic-regression head with scikit-learn.

    Args:
        vectors: ``(n, dim)`` embeddings.
        labels: one label per row (at least two distinct).
        encoder: the encoder's name, recorded in the head.
        c: inverse regularization strength.
        meta: extra facts to store.

    Returns:
        The fitted head.
    """
    from sklearn.linear_model import LogisticRegression

    classes = sorted(set(labels))
    if len(classes) < 2:
        raise ModelError("a head needs at least two different labels")
    clf = LogisticRegression(C=c, max_iter=2000)
    clf.fit(np.asarray(vectors, dtype=np.float32), list(labels))
    return LinearHead(
        clf.coef_.astype(np.float32),
        clf.intercept_.astype(np.float32),
        [str(c_) for c_ in clf.classes_],
        encoder,
        dict(meta or {}),
    )
