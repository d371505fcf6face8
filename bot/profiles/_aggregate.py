"""The O(1) update rules of a profile: decayed sums, running means, packed vectors.

Decayed sums are kept relative to a reference time ``ref``: an event at ``t`` adds
``w * 2 ** (-(ref - t) / half_life)``; an event later than ``ref`` first rescales the whole
sum to the new reference. The result does not depend on the order events arrive in, so a
profile updated live equals one rebuilt from the stored rows.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from bot.errors import ValidationError

#: Sentiment labels and the scores they stand for.
SENTIMENT_LABELS: dict[str, float] = {
    "positive": 1.0,
    "pos": 1.0,
    "neutral": 0.0,
    "neu": 0.0,
    "mixed": 0.0,
    "negative": -1.0,
    "neg": -1.0,
}

Sentiment = float | int | str | None
Aspects = Mapping[str, float | int | str] | Sequence[str] | None


def sentiment_score(value: Sentiment) -> float | None:
    """Turn a sentiment label or score into a score in [-1, 1].

    Args:
        value: ``"positive"``/``"neutral"``/``"negative"`` (or short forms), a number in
            [-1, 1], or ``None``.

    Returns:
        The score, or ``None`` when ``value`` is ``None``.

    Raises:
        ValidationError: unknown label or a number outside [-1, 1].
    """
    if value is None:
        return None
    if isinstance(value, str):
        score = SENTIMENT_LABELS.get(value.strip().lower())
        if score is None:
            raise ValidationError(
                "unknown sentiment",
                problems=[f"sentiment: {value!r} is not positive, neutral or negative"],
            )
        return score
    score = float(value)
    if math.isnan(score) or not -1.0 <= score <= 1.0:
        raise ValidationError(
            "sentiment out of range", problems=[f"sentiment: {value!r} is not in [-1, 1]"]
        )
    return score


def sentiment_label(score: float) -> str:
    """``"positive"``, ``"neutral"`` or ``"negative"`` for a score in [-1, 1]."""
    if score >= 0.25:
        return "positive"
    if score <= -0.25:
        return "negative"
    return "neutral"


def aspect_scores(aspects: Aspects, default: float | None) -> dict[str, float]:
    """Normalize aspects to ``{aspect: score}``.

    Args:
        aspects: ``{aspect: label or score}``, or a list of aspect names that all take
            ``default`` (the message's overall sentiment).
        default: score for aspects given without their own.

    Returns:
        The scores; aspects without any score are left out.
    """
    if not aspects:
        return {}
    if isinstance(aspects, Mapping):
        out: dict[str, float] = {}
        for name, value in aspects.items():
            score = sentiment_score(value)
            if score is not None:
                out[str(name)] = score
        return out
    if default is None:
        return {}
    return {str(name): default for name in aspects}


def rating_score(rating: float) -> float:
    """Map a 1-5 star rating to a sentiment score in [-1, 1] (3 stars is neutral)."""
    return max(-1.0, min(1.0, (float(rating) - 3.0) / 2.0))


def decay_factor(age_s: float, half_life_s: float) -> float:
    """``2 ** (-age / half_life)``; ages below zero count as zero."""
    return math.pow(2.0, -max(age_s, 0.0) / half_life_s)


def advance(
    ref: datetime | None, at: datetime, half_life_s: float
) -> tuple[datetime, float, float]:
    """Where an event at ``at`` lands relative to the stored reference time.

    Args:
        ref: the stored reference time (``None`` for an empty sum).
        at: the event's time.
        half_life_s: the half-life.

    Returns:
        ``(new_ref, rescale, weight)``: multiply the stored sum by ``rescale``, then add the
        event with ``weight``.
    """
    if ref is None:
        return at, 1.0, 1.0
    if at > ref:
        return at, decay_factor((at - ref).total_seconds(), half_life_s), 1.0
    return ref, 1.0, decay_factor((ref - at).total_seconds(), half_life_s)


def add_decayed(
    values: Mapping[str, Any],
    ref: datetime | None,
    at: datetime,
    add: Mapping[str, float],
    half_life_s: float,
) -> tuple[dict[str, float], datetime]:
    """Add weights at time ``at`` to a decayed ``{key: weight}`` sum.

    Args:
        values: the stored sum at ``ref``.
        ref: its reference time.
        at: the event's time.
        add: weight to add per key.
        half_life_s: the half-life.

    Returns:
        ``(new_values, new_ref)`` (a new dict: the stored one is not mutated).
    """
    new_ref, rescale, weight = advance(ref, at, half_life_s)
    out = {k: float(v) * rescale for k, v in values.items()}
    for key, w in add.items():
        out[key] = out.get(key, 0.0) + w * weight
    return out, new_ref


def add_means(stats: Mapping[str, Any], scores: Mapping[str, float]) -> dict[str, dict[str, float]]:
    """Fold scores into running means ``{key: {"n": count, "mean": mean}}``.

    Args:
        stats: the stored means.
        scores: one new observation per key.

    Returns:
        New means (the stored mapping is not mutated).
    """
    out = {k: {"n": float(v["n"]), "mean": float(v["mean"])} for k, v in stats.items()}
    for key, score in scores.items():
        cur = out.get(key, {"n": 0.0, "mean": 0.0})
        n = cur["n"] + 1.0
        out[key] = {"n": n, "mean": cur["mean"] + (score - cur["mean"]) / n}
    return out


def add_counts(counts: Mapping[str, Any], *keys: str) -> dict[str, int]:
    """Increment ``counts[key]`` by one for each key (returns a new dict)."""
    out = {k: int(v) for k, v in counts.items()}
    for key in keys:
        out[key] = out.get(key, 0) + 1
    return out


def pack_vector(vector: npt.ArrayLike, dtype: type[np.floating[Any]] = np.float64) -> bytes:
    """Serialize a vector as little-endian raw floats (no pickle)."""
    return np.asarray(vector, dtype=np.dtype(dtype).newbyteorder("<")).tobytes()


def unpack_vector(
    data: bytes | None, dtype: type[np.floating[Any]] = np.float64
) -> npt.NDArray[np.float64] | None:
    """Inverse of :func:`pack_vector` (``None`` stays ``None``); returns float64."""
    if data is None:
        return None
    return np.frombuffer(data, dtype=np.dtype(dtype).newbyteorder("<")).astype(np.float64)


def add_text(
    text_sum: bytes | None,
    weight: float,
    ref: datetime | None,
    at: datetime,
    embedding: npt.NDArray[np.floating[Any]],
    half_life_s: float,
) -> tuple[bytes, float, datetime]:
    """Add one text embedding to the recency-weighted sum.

    Args:
        text_sum: the packed float64 sum at ``ref`` (``None`` when empty).
        weight: the summed weights at ``ref``.
        ref: the reference time.
        at: when the text was written.
        embedding: its unit-length embedding.
        half_life_s: the text half-life.

    Returns:
        ``(packed_sum, weight, ref)`` after the update.

    Raises:
        ValidationError: the embedding's size differs from the stored sum's.
    """
    new_ref, rescale, w = advance(ref, at, half_life_s)
    vec = np.asarray(embedding, dtype=np.float64).ravel()
    current = unpack_vector(text_sum)
    if current is None:
        current = np.zeros_like(vec)
    elif current.shape != vec.shape:
        raise ValidationError(
            "embedding size changed",
            problems=[f"embedding: {vec.shape[0]} dimensions, profile has {current.shape[0]}"],
        )
    total = current * rescale + w * vec
    return pack_vector(total), weight * rescale + w, new_ref


def mean_direction(text_sum: bytes | None) -> npt.NDArray[np.float32] | None:
    """The unit-length direction of a stored text sum (``None`` when empty or zero)."""
    total = unpack_vector(text_sum)
    if total is None:
        return None
    norm = float(np.linalg.norm(total))
    if norm == 0.0:
        return None
    return (total / norm).astype(np.float32)
