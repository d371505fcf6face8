"""The sentiment model: the shipped two-view head, its loading rules, and its answers in both languages."""

from __future__ import annotations

import numpy as np
import pytest

from bot.errors import ModelError
from bot.understanding.heads import LinearHead
from bot.understanding.hybrid_head import fit_hybrid_head
from bot.understanding.sentiment import (
    DEFAULT_HEAD,
    SentimentModel,
    load_sentiment_head,
    positive_proba,
    sentiment_from_proba,
)

TEXTS = ["great, I love it", "works perfectly, very happy", "terrible, it broke", "awful quality, waste of money"]
LABELS = ["positive", "positive", "negative", "negative"]


def test_the_shipped_head_has_both_views_and_answers_in_both_languages(encoder) -> None:
    model = SentimentModel()
    assert model.head.__class__.__name__ == "HybridHead" and 0 < model.head.mix < 1
    texts = ["质量非常好，物流也快，很满意", "太差了，用了两天就坏了，再也不买了",
             "Absolutely love it, works perfectly", "Terrible, it broke after a day and support never answered"]
    labels = [s["label"] for s in model.predict_texts(encoder, texts)]
    assert labels == ["positive", "negative", "positive", "negative"]


def test_two_view_and_one_view_heads_load_from_their_files(tmp_path) -> None:
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(4, 8)).astype(np.float32)
    hybrid = fit_hybrid_head(vectors, TEXTS, LABELS, "enc", c_dense=1.0, c_sparse=10.0, mix=0.5)
    hybrid.save(tmp_path, "sent")
    loaded = load_sentiment_head(tmp_path / "sent")
    assert np.allclose(positive_proba(loaded, vectors, TEXTS), positive_proba(hybrid, vectors, TEXTS), atol=1e-3)
    assert positive_proba(loaded, vectors[0], ["great, I love it"]).shape == (1,)
    linear = LinearHead(np.array([[0.0] * 7 + [3.0]], np.float32), np.zeros(1, np.float32), ["negative", "positive"], "enc")
    linear.save(tmp_path / "old.npz")
    for path in (tmp_path / "old", tmp_path / "old.npz"):  # the older one-view format still loads
        assert positive_proba(load_sentiment_head(path), vectors, TEXTS).shape == (4,)
    with pytest.raises(ModelError, match="no sentiment head"):
        load_sentiment_head(tmp_path / "missing")


def test_the_shipped_head_refuses_another_encoder() -> None:
    head = load_sentiment_head(DEFAULT_HEAD)
    with pytest.raises(ModelError, match="retrain"):
        head.check_encoder("some-other-encoder", 384)


def test_probabilities_map_to_labels_with_a_neutral_band() -> None:
    assert sentiment_from_proba(0.9)["label"] == "positive"
    assert sentiment_from_proba(0.1) == {"label": "negative", "confidence": 0.9, "polarity": -0.8}
    assert sentiment_from_proba(0.5)["label"] == "neutral"
