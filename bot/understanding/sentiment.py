"""Sentiment over the shared encoder: a trained head mapped to label, confidence, polarity.

The head has two views (``HybridHead``): a logistic regression over the encoder's sentence
vector and one over the text's character and word n-grams, their probabilities mixed.
Heads of one view (``LinearHead``, the older format) still load. Pure numpy; shared by the
Rasa component and the bot's benchmarks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bot.errors import ModelError
from bot.understanding.heads import LinearHead
from bot.understanding.hybrid_head import HybridHead

#: The shipped head: ``sentiment_dense.npz/.json`` and ``sentiment_sparse.npz/.json`` in assets/.
DEFAULT_HEAD = Path(__file__).resolve().parent / "assets" / "sentiment"
DEFAULT_NEUTRAL_BAND = (0.35, 0.65)
SentimentHead = LinearHead | HybridHead


def load_sentiment_head(path: Path | str) -> SentimentHead:
    """The head saved under ``path``: a ``HybridHead`` stem (``{path}_dense.npz`` and
    ``{path}_sparse.*``), else a ``LinearHead`` at ``{path}.npz`` (or ``path`` itself if it ends in .npz).

    Raises:
        ModelError: no head there, or its files are inconsistent.
    """
    path = Path(path)
    if path.suffix == ".npz":
        return LinearHead.load(path)
    if path.with_name(path.name + "_sparse.npz").exists():
        return HybridHead.load(path.parent, path.name)
    linear = path.with_name(path.name + ".npz")
    if not linear.exists():
        raise ModelError(f"no sentiment head at {path} (neither {path.name}_sparse.npz nor {linear.name})")
    return LinearHead.load(linear)


def positive_proba(head: SentimentHead, vectors: np.ndarray, texts: Sequence[str]) -> np.ndarray:
    """P(positive) per row of ``vectors`` (whose texts are ``texts``)."""
    x = np.asarray(vectors, dtype=np.float32)
    if x.ndim == 1:
        x = x[None, :]
    proba = head.predict_proba(x, list(texts)) if isinstance(head, HybridHead) else head.predict_proba(x)
    out: np.ndarray = proba[:, head.labels.index("positive")]
    return out


def sentiment_from_proba(positive: float, meta: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Turn P(positive) into ``{"label", "confidence", "polarity"}``.

    Probabilities inside the head's neutral band (default 0.35–0.65) are "neutral".

    Example:
        >>> sentiment_from_proba(0.9)["label"]
        'positive'
    """
    low, high = (meta or {}).get("neutral_band", DEFAULT_NEUTRAL_BAND)
    if positive >= high:
        label, confidence = "positive", positive
    elif positive <= low:
        label, confidence = "negative", 1.0 - positive
    else:
        label, confidence = "neutral", 1.0 - abs(positive - 0.5) * 2
    return {"label": label, "confidence": round(float(confidence), 4), "polarity": round(2 * positive - 1, 4)}


class SentimentModel:
    """Sentiment of texts embedded by the encoder the head was trained on.

    Args:
        head: the trained head (the shipped one by default).
    """

    def __init__(self, head: SentimentHead | None = None) -> None:
        self.head = head or load_sentiment_head(DEFAULT_HEAD)

    def predict(self, vectors: np.ndarray, texts: Sequence[str]) -> list[dict[str, Any]]:
        """One ``{"label", "confidence", "polarity"}`` per row of ``vectors`` (the embeddings of ``texts``)."""
        proba = positive_proba(self.head, vectors, texts)
        return [sentiment_from_proba(float(p), self.head.meta) for p in proba]

    def predict_texts(self, encoder: Any, texts: Sequence[str]) -> list[dict[str, Any]]:
        """Embed ``texts`` with ``encoder`` (checked against the head) and predict."""
        self.head.check_encoder(encoder.name, encoder.dim)
        return self.predict(encoder.encode(list(texts)), texts)
