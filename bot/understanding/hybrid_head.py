"""Intent head over two views of a message: the encoder's sentence vector and its character n-grams.

A frozen sentence encoder captures meaning but blurs the exact words that separate close
intents ("card arrival" vs "card delivery estimate"); TF-IDF over character and word n-grams
keeps them, in any language (Chinese included: the character n-grams of a run of Han
characters are its words). One logistic regression per view, their probabilities averaged.
bench/intent.py measures it against stock Rasa (docs/benchmarks.md, "Understanding").

Pure numpy + standard library at import and prediction time (the Rasa components' Python 3.10
environment imports it); scikit-learn and scipy are imported only to fit. Saved as npz + JSON,
no pickle.

Example:
    >>> tfidf = NgramTfidf.fit(["where is my card", "card arrived broken", "hello there"])
    >>> rows = tfidf.transform(["my card"])
    >>> round(float((rows[0][1] ** 2).sum()), 4)  # character block and word block, each unit length
    2.0
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bot.errors import ModelError
from bot.understanding.heads import LinearHead, fit_logistic_head, softmax

_WORD = re.compile(r"\w+", re.UNICODE)
SparseRow = tuple[np.ndarray, np.ndarray]  # (feature indices, values)


def ngram_terms(text: str, char_range: tuple[int, int] = (1, 5), word_range: tuple[int, int] = (1, 2)) -> list[str]:
    """The n-gram terms of ``text``: ``c:`` character n-grams inside space-padded words, ``w:`` word n-grams.

    Example:
        >>> ngram_terms("Hi you", (2, 2), (1, 2))
        ['c: h', 'c:hi', 'c:i ', 'c: y', 'c:yo', 'c:ou', 'c:u ', 'w:hi', 'w:you', 'w:hi you']
    """
    lowered = " ".join(text.lower().split())
    terms: list[str] = []
    lo, hi = char_range
    for word in lowered.split(" "):
        if not word:
            continue
        padded = f" {word} "
        for n in range(lo, hi + 1):
            if n > len(padded):
                break
            grams = (padded[i : i + n] for i in range(len(padded) - n + 1))
            terms.extend("c:" + g for g in grams if g.strip())  # a lone space says nothing
    words = _WORD.findall(lowered)
    lo, hi = word_range
    for n in range(lo, hi + 1):
        terms.extend("w:" + " ".join(words[i : i + n]) for i in range(len(words) - n + 1))
    return terms


@dataclass
class NgramTfidf:
    """Sublinear TF-IDF over ``ngram_terms``; the character and the word block are each L2-normalized.

    Attributes:
        vocabulary: term -> column.
        idf: ``(len(vocabulary),)`` smoothed inverse document frequencies.
        char_range, word_range: n-gram lengths.
    """

    vocabulary: dict[str, int]
    idf: np.ndarray
    char_range: tuple[int, int] = (1, 5)
    word_range: tuple[int, int] = (1, 2)

    @classmethod
    def fit(
        cls,
        texts: Sequence[str],
        char_range: tuple[int, int] = (1, 5),
        word_range: tuple[int, int] = (1, 2),
        min_df: int = 1,
        max_features: int = 60_000,
    ) -> NgramTfidf:
        """Learn the vocabulary (the ``max_features`` most frequent terms with ``df >= min_df``) and idf."""
        df: Counter[str] = Counter()
        for text in texts:
            df.update(set(ngram_terms(text, char_range, word_range)))
        kept = [t for t, n in df.items() if n >= min_df]
        kept.sort(key=lambda t: (-df[t], t))
        kept = sorted(kept[:max_features])
        n_docs = len(texts)
        idf = np.array([math.log((1 + n_docs) / (1 + df[t])) + 1.0 for t in kept], dtype=np.float32)
        return cls({t: i for i, t in enumerate(kept)}, idf, (char_range[0], char_range[1]), (word_range[0], word_range[1]))

    @property
    def size(self) -> int:
        return len(self.vocabulary)

    def transform(self, texts: Sequence[str]) -> list[SparseRow]:
        """One ``(indices, values)`` row per text (terms outside the vocabulary are dropped)."""
        rows = []
        for text in texts:
            counts = Counter(t for t in ngram_terms(text, self.char_range, self.word_range) if t in self.vocabulary)
            if not counts:
                rows.append((np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)))
                continue
            terms = list(counts)
            idx = np.fromiter((self.vocabulary[t] for t in terms), dtype=np.int64, count=len(terms))
            tf = np.fromiter((1.0 + math.log(counts[t]) for t in terms), dtype=np.float32, count=len(terms))
            values = tf * self.idf[idx]
            is_char = np.fromiter((t.startswith("c:") for t in terms), dtype=bool, count=len(terms))
            for block in (is_char, ~is_char):
                norm = float(np.linalg.norm(values[block]))
                if norm > 0:
                    values[block] /= norm
            rows.append((idx, values))
        return rows

    def matrix(self, texts: Sequence[str]) -> Any:
        """The rows of ``transform`` as a scipy CSR matrix (for fitting)."""
        from scipy import sparse

        rows = self.transform(texts)
        indptr = np.cumsum([0] + [len(i) for i, _ in rows])
        indices = np.concatenate([i for i, _ in rows]) if rows else np.zeros(0, dtype=np.int64)
        data = np.concatenate([v for _, v in rows]) if rows else np.zeros(0, dtype=np.float32)
        return sparse.csr_matrix((data, indices, indptr), shape=(len(rows), self.size), dtype=np.float32)


@dataclass
class HybridHead:
    """``mix * P_dense(vector) + (1 - mix) * P_sparse(n-grams)`` over one label set.

    Attributes:
        dense: logistic regression over the encoder's sentence vectors.
        tfidf: the n-gram features.
        sparse_weights: ``(n_labels, tfidf.size)``; ``sparse_bias``: ``(n_labels,)``.
        mix: weight of the dense view (1.0 = the encoder alone).
        meta: free-form training facts.
    """

    dense: LinearHead
    tfidf: NgramTfidf
    sparse_weights: np.ndarray
    sparse_bias: np.ndarray
    mix: float = 0.5
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def labels(self) -> list[str]:
        return self.dense.labels

    @property
    def encoder(self) -> str:
        return self.dense.encoder

    def check_encoder(self, encoder_name: str, dim: int) -> None:
        """Raise ``ModelError`` unless the dense view was trained on this encoder (see ``LinearHead``)."""
        self.dense.check_encoder(encoder_name, dim)

    def predict_proba(self, vectors: np.ndarray, texts: Sequence[str]) -> np.ndarray:
        """Class probabilities ``(n, len(labels))`` for rows of ``vectors`` and their ``texts``."""
        dense = self.dense.predict_proba(vectors)
        if self.mix >= 1.0:
            return dense
        logits = np.tile(self.sparse_bias.astype(np.float32), (len(texts), 1))
        for row, (idx, values) in enumerate(self.tfidf.transform(texts)):
            if len(idx):
                logits[row] += self.sparse_weights[:, idx].astype(np.float32) @ values
        out: np.ndarray = self.mix * dense + (1.0 - self.mix) * softmax(logits)
        return out

    def save(self, directory: Path, stem: str = "intent") -> None:
        """Write ``{stem}_dense.npz/.json``, ``{stem}_sparse.npz`` and ``{stem}_sparse.json`` into ``directory``."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self.dense.save(directory / f"{stem}_dense.npz")
        np.savez(directory / f"{stem}_sparse.npz", weights=self.sparse_weights.astype(np.float16),
                 bias=self.sparse_bias.astype(np.float32), idf=self.tfidf.idf.astype(np.float32))
        terms = sorted(self.tfidf.vocabulary, key=self.tfidf.vocabulary.__getitem__)
        (directory / f"{stem}_sparse.json").write_text(
            json.dumps({"terms": terms, "char_range": list(self.tfidf.char_range),
                        "word_range": list(self.tfidf.word_range), "mix": self.mix, "meta": self.meta},
                       ensure_ascii=False),
            encoding="utf-8",
        )

    @classmethod
    def load(cls, directory: Path, stem: str = "intent") -> HybridHead:
        """Read what ``save`` wrote.

        Raises:
            ModelError: files missing or inconsistent.
        """
        directory = Path(directory)
        dense = LinearHead.load(directory / f"{stem}_dense.npz")
        try:
            with np.load(directory / f"{stem}_sparse.npz", allow_pickle=False) as arrays:
                weights, bias, idf = arrays["weights"], arrays["bias"], arrays["idf"]
            info = json.loads((directory / f"{stem}_sparse.json").read_text(encoding="utf-8"))
        except (OSError, KeyError, ValueError) as exc:
            raise ModelError(f"cannot read the n-gram head in {directory}: {exc}") from exc
        terms = list(info["terms"])
        if weights.shape != (len(dense.labels), len(terms)) or idf.shape != (len(terms),):
            raise ModelError(f"n-gram head in {directory} is inconsistent: {weights.shape}, {len(terms)} terms")
        lo_c, hi_c = (int(n) for n in info["char_range"])
        lo_w, hi_w = (int(n) for n in info["word_range"])
        tfidf = NgramTfidf({t: i for i, t in enumerate(terms)}, idf, (lo_c, hi_c), (lo_w, hi_w))
        return cls(dense, tfidf, weights, bias, float(info["mix"]), dict(info.get("meta", {})))


def fit_hybrid_head(
    vectors: np.ndarray,
    texts: Sequence[str],
    labels: Sequence[str],
    encoder: str,
    c_dense: float = 100.0,
    c_sparse: float = 30.0,
    mix: float = 0.5,
    min_df: int = 1,
    max_features: int = 60_000,
    meta: dict[str, Any] | None = None,
) -> HybridHead:
    """Fit both views (scikit-learn logistic regressions) on the same examples.

    Args:
        vectors: ``(n, dim)`` sentence embeddings of ``texts``.
        texts: the training texts.
        labels: one label per text (at least two distinct).
        encoder: the encoder's name, recorded in the head.
        c_dense, c_sparse: inverse L2 regularization of each view.
        mix: weight of the dense view's probabilities (1.0 skips the n-gram view).
        min_df, max_features: vocabulary pruning.
        meta: extra facts to store.
    """
    from sklearn.linear_model import LogisticRegression

    dense = fit_logistic_head(vectors, labels, encoder, c=c_dense, meta=meta)
    tfidf = NgramTfidf.fit(texts, min_df=min_df, max_features=max_features)
    if mix >= 1.0 or tfidf.size == 0:
        empty = np.zeros((len(dense.labels), tfidf.size), dtype=np.float32)
        return HybridHead(dense, tfidf, empty, np.zeros(len(dense.labels), np.float32), 1.0, dict(meta or {}))
    clf = LogisticRegression(C=c_sparse, max_iter=3000)
    clf.fit(tfidf.matrix(texts), list(labels))
    if [str(c) for c in clf.classes_] != dense.labels:
        raise ModelError("the two views disagree on the label set")
    weights, bias = clf.coef_.astype(np.float32), clf.intercept_.astype(np.float32)
    if weights.shape[0] == 1:  # binary: one logit z; softmax([-z/2, z/2]) is sigmoid(z)
        weights, bias = np.vstack([-weights / 2, weights / 2]), np.concatenate([-bias / 2, bias / 2])
    return HybridHead(dense, tfidf, weights, bias, mix, dict(meta or {}))
