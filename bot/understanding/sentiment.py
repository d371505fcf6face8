"""Sentiment over the shared encoder: a trained linear head mapped to label, confidence, polarity.

Pure numpy; shared by the Rasa component and the bot server (reviews).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bot.understanding.heads import LinearHead

DEFAULT_HEAD = Path(__file__).resolve().parent / "assets" / "sentiment.npz"
DEFAULT_NEUTRAL_BAND = (0.35, 0.65)


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
        head: the trained head (``LinearHead.load(DEFAULT_HEAD)`` by default).
    """

    def __init__(self, head: LinearHead | None = None) -> None:
        self.head = head or LinearHead.load(DEFAULT_HEAD)

    def predict(self, vectors: np.ndarray) -> list[dict[str, Any]]:
        """One ``{"label", "confidence", "polarity"}`` per row of ``vectors``."""
        proba = self.head.predict_proba(vectors)[:, self.head.labels.index("positive")]
        return [sentiment_from_proba(float(p), self.head.meta) for p in proba]

    def predict_texts(self, encoder: Any, texts: Sequence[str]) -> list[dict[str, Any]]:
        """Embed ``texts`` with ``encoder`` (checked against the head) and predict."""
        self.head.check_encoder(encoder.name, encoder.dim)
        return self.predict(encoder.encode(list(texts)))
