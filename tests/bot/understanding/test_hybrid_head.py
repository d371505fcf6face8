"""The intent head over sentence vectors plus character/word n-grams (bot/understanding/hybrid_head.py)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bot.errors import ModelError
from bot.understanding.hybrid_head import HybridHead, NgramTfidf, fit_hybrid_head, ngram_terms

TEXTS = {
    "card_arrival": ["my card has not arrived", "when will my card arrive", "card still not here", "我的卡还没到"],
    "card_lost": ["I lost my card", "my card was stolen", "lost card, please block it", "我的卡丢了"],
    "exchange_rate": ["what is the exchange rate", "euro exchange rate today", "rate for dollars", "汇率是多少"],
}


def _data(seed: int = 0) -> tuple[np.ndarray, list[str], list[str]]:
    texts = [t for ts in TEXTS.values() for t in ts]
    labels = [label for label, ts in TEXTS.items() for _ in ts]
    rng = np.random.default_rng(seed)
    vectors = rng.normal(size=(len(texts), 8)).astype(np.float32)  # the dense view knows nothing
    return vectors, texts, labels


def test_terms_are_padded_character_and_word_ngrams() -> None:
    assert ngram_terms("Hi  you", (2, 2), (1, 2)) == [
        "c: h", "c:hi", "c:i ", "c: y", "c:yo", "c:ou", "c:u ", "w:hi", "w:you", "w:hi you"]
    assert "c:汇率" in ngram_terms("汇率是多少")


def test_tfidf_rows_have_unit_blocks_and_drop_unknown_terms() -> None:
    tfidf = NgramTfidf.fit([t for ts in TEXTS.values() for t in ts])
    (idx, values), (empty_idx, _) = tfidf.transform(["lost card", "§§§"])
    terms = sorted(tfidf.vocabulary, key=tfidf.vocabulary.__getitem__)
    is_char = np.array([terms[i].startswith("c:") for i in idx])
    assert np.linalg.norm(values[is_char]) == pytest.approx(1.0, abs=1e-5)
    assert np.linalg.norm(values[~is_char]) == pytest.approx(1.0, abs=1e-5)
    assert len(empty_idx) == 0
    assert tfidf.matrix(["lost card"]).shape == (1, tfidf.size)


def test_ngram_view_classifies_when_the_dense_view_cannot() -> None:
    vectors, texts, labels = _data()
    head = fit_hybrid_head(vectors, texts, labels, "enc", mix=0.2)
    probes = ["where is my new card, it has not arrived", "card lost", "汇率多少"]
    proba = head.predict_proba(np.zeros((3, 8), np.float32), probes)
    assert [head.labels[i] for i in proba.argmax(1)] == ["card_arrival", "card_lost", "exchange_rate"]
    assert np.allclose(proba.sum(1), 1.0, atol=1e-5)
    dense_only = fit_hybrid_head(vectors, texts, labels, "enc", mix=1.0)
    assert np.allclose(dense_only.predict_proba(vectors[:2], texts[:2]), dense_only.dense.predict_proba(vectors[:2]))


def test_save_load_round_trip_without_pickle(tmp_path) -> None:
    vectors, texts, labels = _data()
    head = fit_hybrid_head(vectors, texts, labels, "enc", meta={"examples": len(texts)})
    head.save(tmp_path)
    loaded = HybridHead.load(tmp_path)
    assert loaded.labels == head.labels and loaded.mix == head.mix and loaded.meta == {"examples": 12}
    np.testing.assert_allclose(loaded.predict_proba(vectors, texts), head.predict_proba(vectors, texts), atol=2e-3)
    with np.load(tmp_path / "intent_sparse.npz", allow_pickle=False) as arrays:
        assert arrays["weights"].dtype == np.float16  # half the size; probabilities agree to 1e-3
    info = json.loads((tmp_path / "intent_sparse.json").read_text(encoding="utf-8"))
    info["terms"] = info["terms"][:-1]
    (tmp_path / "intent_sparse.json").write_text(json.dumps(info), encoding="utf-8")
    with pytest.raises(ModelError, match="inconsistent"):
        HybridHead.load(tmp_path)
    with pytest.raises(ModelError):
        HybridHead.load(tmp_path / "missing")


def test_two_labels_give_two_calibrated_columns() -> None:
    texts = ["great, love it", "excellent quality", "love this", "terrible, broke", "awful quality", "broke at once"]
    labels = ["positive"] * 3 + ["negative"] * 3
    head = fit_hybrid_head(np.zeros((6, 4), np.float32), texts, labels, "enc", mix=0.0)
    proba = head.predict_proba(np.zeros((2, 4), np.float32), ["love it", "it broke"])
    assert proba.shape == (2, 2) and np.allclose(proba.sum(1), 1.0)
    assert [head.labels[i] for i in proba.argmax(1)] == ["positive", "negative"]
