"""Trains the sentiment head over the shared encoder from the public corpora in ../shared/data.

Run once per encoder; the result (a few KB) is committed under ``bot/understanding/assets``
so that a machine without the corpora still has a working model::

    python -m bot.understanding.train_sentiment --data ../shared/data/sentiment \\
        --out bot/understanding/assets/sentiment --per-source 6000 --cache var/sentiment-cache

Two views (``HybridHead``): a logistic regression over the encoder's vectors of
``--per-source`` texts per source (embedding is the slow part), and one over the character
and word n-grams of every training row of every source (cheap, and it keeps the exact words
that carry sentiment, in Chinese too); their probabilities are mixed.

Rows whose text hash falls in the tenth that ``bench/data/make_splits.py`` holds out for the
benchmark are skipped in every source (the benchmark samples its Chinese dev sets from them;
the English dev sets are separate files, never read here). The
regularization of each view and the mix are chosen on a validation sample carved from the
training rows (mean accuracy over the sources).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import random
import sys
from pathlib import Path

import numpy as np

from bot.understanding.heads import fit_logistic_head
from bot.understanding.hybrid_head import HybridHead, NgramTfidf

csv.field_size_limit(sys.maxsize)

#: (file, text column, label column, delimiter, language)
SOURCES = {
    "zh-shopping": ("zh/online_shopping_train.csv", "review", "label", ",", "zh"),
    "en-sst2": ("en/sst2_train.tsv", "sentence", "label", "\t", "en"),
    "en-amazon-electronics": ("en/amazon_electronics_train.tsv", "sentence", "label", "\t", "en"),
    "en-amazon-kitchen": ("en/amazon_kitchen_train.tsv", "sentence", "label", "\t", "en"),
}


def is_held_out(text: str) -> bool:
    """Whether a review belongs to the benchmark's held-out tenth (same rule as bench/data/make_splits.py)."""
    return int(hashlib.md5(text.encode("utf-8")).hexdigest()[:8], 16) % 10 == 0


def read_labeled(path: Path, text_col: str, label_col: str, delimiter: str) -> list[tuple[str, int]]:
    """Rows of ``(text, label)`` with label 1 = positive, skipping empty texts and held-out rows."""
    with path.open(encoding="utf-8", newline="") as fh:
        rows = csv.DictReader(fh, delimiter=delimiter)
        out = []
        for row in rows:
            raw = (row.get(text_col) or "").strip()
            label = (row.get(label_col) or "").strip()
            if not raw or label not in ("0", "1") or is_held_out(raw):
                continue
            out.append((" ".join(raw.split())[:512], int(label)))
    return out


def balanced_split(
    rows: list[tuple[str, int]], n_train: int, n_dev: int, seed: int
) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """Disjoint, class-balanced train and validation samples (fewer when a class runs out)."""
    rng = random.Random(seed)
    by_label: dict[int, list[tuple[str, int]]] = {0: [], 1: []}
    for r in dict.fromkeys(rows):
        by_label[r[1]].append(r)
    train: list[tuple[str, int]] = []
    dev: list[tuple[str, int]] = []
    for items in by_label.values():
        rng.shuffle(items)
        n_dev_label = min(n_dev // 2, len(items) // 5)
        dev += items[:n_dev_label]
        train += items[n_dev_label : n_dev_label + n_train // 2]
    rng.shuffle(train)
    return train, dev


class EmbeddingCache:
    """Vectors of texts already embedded by this encoder, kept in ``{dir}/{encoder}.npz`` between runs."""

    def __init__(self, directory: Path | None, encoder_name: str) -> None:
        self.path = None if directory is None else directory / (hashlib.md5(encoder_name.encode()).hexdigest()[:12] + ".npz")
        self.vectors: dict[str, np.ndarray] = {}
        if self.path is not None and self.path.exists():
            with np.load(self.path, allow_pickle=False) as arrays:
                self.vectors = dict(zip(arrays["keys"].tolist(), arrays["vectors"]))

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha1(text.encode("utf-8")).hexdigest()

    def save(self) -> None:
        if self.path is None or not self.vectors:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        keys = list(self.vectors)
        np.savez(self.path, keys=np.array(keys), vectors=np.stack([self.vectors[k] for k in keys]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/sentiment"))
    parser.add_argument("--out", type=Path, default=Path("bot/understanding/assets/sentiment"),
                        help="stem of the head's files ({out}_dense.npz/.json, {out}_sparse.npz/.json)")
    parser.add_argument("--max-features", type=int, default=100_000, help="n-gram vocabulary size")
    parser.add_argument("--per-source", type=int, default=6000, help="training texts per source (at most)")
    parser.add_argument("--dev-per-source", type=int, default=400, help="validation texts per source")
    parser.add_argument("--cache", type=Path, default=None, help="folder to keep embeddings in between runs")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args(argv)

    from tqdm import tqdm

    from bot.encoder import build_encoder
    from bot.settings import get_settings

    encoder = build_encoder(get_settings().encoder)
    cache = EmbeddingCache(args.cache, encoder.name)
    train: list[tuple[str, int, str]] = []
    every: list[tuple[str, int]] = []  # every training row (not validation): the n-gram view's data
    dev: dict[str, list[tuple[str, int]]] = {}
    for name, (rel, text_col, label_col, delim, _lang) in SOURCES.items():
        rows = read_labeled(args.data / rel, text_col, label_col, delim)
        tr, dv = balanced_split(rows, args.per_source, args.dev_per_source, args.seed)
        train += [(t, y, name) for t, y in tr]
        held = set(dv)
        every += [r for r in dict.fromkeys(rows) if r not in held]
        dev[name] = dv
        print(f"{name}: {len(tr)} train ({len(rows) - len(dv)} for n-grams), {len(dv)} validation", file=sys.stderr)

    def embed(texts: list[str]) -> np.ndarray:
        missing = list(dict.fromkeys(t for t in texts if cache.key(t) not in cache.vectors))
        chunks = [missing[i : i + 32] for i in range(0, len(missing), 32)]
        for n, chunk in enumerate(tqdm(chunks, desc="embedding", unit="batch", file=sys.stderr), 1):
            for text, vector in zip(chunk, encoder.encode(chunk)):
                cache.vectors[cache.key(text)] = vector
            if n % 50 == 0:
                cache.save()
        cache.save()
        return np.stack([cache.vectors[cache.key(t)] for t in texts])

    x_train = embed([t for t, _, _ in train])
    y_train = ["positive" if y else "negative" for _, y, _ in train]
    dev_vectors = {name: embed([t for t, _ in rows]) for name, rows in dev.items()}
    gold = {name: np.array([y for _, y in rows], dtype=bool) for name, rows in dev.items()}

    def mean_accuracy(positive_by_source: dict[str, np.ndarray]) -> tuple[float, dict[str, float]]:
        scores = {n: round(float(np.mean((p >= 0.5) == gold[n])), 4) for n, p in positive_by_source.items()}
        return float(np.mean(list(scores.values()))), scores

    best_dense = None
    for c in (1.0, 4.0, 16.0, 64.0):
        head = fit_logistic_head(x_train, y_train, encoder.name, c=c)
        pos = head.labels.index("positive")
        mean, scores = mean_accuracy({n: head.predict_proba(dev_vectors[n])[:, pos] for n in dev})
        print(f"encoder view C={c}: validation accuracy {scores} mean {mean:.4f}", file=sys.stderr)
        if best_dense is None or mean > best_dense[0]:
            best_dense = (mean, c, head)
    assert best_dense is not None
    _, c_dense, dense = best_dense

    from sklearn.linear_model import LogisticRegression

    print(f"n-gram view: {len(every)} texts", file=sys.stderr)
    tfidf = NgramTfidf.fit([t for t, _ in every], min_df=2, max_features=args.max_features)
    x_every = tfidf.matrix([t for t, _ in every])
    y_every = ["positive" if y else "negative" for _, y in every]
    pos_dense = {n: dense.predict_proba(dev_vectors[n])[:, dense.labels.index("positive")] for n in dev}
    best = None
    for c_sparse in (3.0, 10.0):
        clf = LogisticRegression(C=c_sparse, max_iter=3000).fit(x_every, y_every)
        pos_sparse = {n: clf.predict_proba(tfidf.matrix([t for t, _ in rows]))[:, list(clf.classes_).index("positive")]
                      for n, rows in dev.items()}
        for mix in (0.3, 0.5, 0.7):
            mean, scores = mean_accuracy({n: mix * pos_dense[n] + (1 - mix) * pos_sparse[n] for n in dev})
            print(f"n-gram C={c_sparse} mix={mix}: validation accuracy {scores} mean {mean:.4f}", file=sys.stderr)
            if best is None or mean > best[0]:
                best = (mean, c_sparse, mix, clf, scores)
    assert best is not None
    mean, c_sparse, mix, clf, scores = best
    weights, bias = clf.coef_.astype(np.float32), clf.intercept_.astype(np.float32)
    # binary: one logit z for classes_[1]; softmax([-z/2, z/2]) is sigmoid(z), rows in dense.labels order
    if [str(c) for c in clf.classes_] != dense.labels:
        raise SystemExit("the two views disagree on the label set")
    weights, bias = np.vstack([-weights / 2, weights / 2]), np.concatenate([-bias / 2, bias / 2])
    meta = {
        "task": "sentiment",
        "trained": dt.date.today().isoformat(),
        "sources": {k: v[0] for k, v in SOURCES.items()},
        "train_per_source": {name: sum(1 for _, _, n in train if n == name) for name in SOURCES},
        "ngram_training_texts": len(every),
        "held_out": "bench/data/make_splits.py rule (md5 of the text) and the English dev files",
        "C": c_dense,
        "sparse_C": c_sparse,
        "mix": mix,
        "validation_accuracy": scores,
        "neutral_band": [0.35, 0.65],
    }
    dense.meta = meta
    HybridHead(dense, tfidf, weights, bias, mix, meta).save(args.out.parent, args.out.name)
    print(f"saved {args.out}_dense.npz and {args.out}_sparse.npz (encoder C={c_dense}, n-gram C={c_sparse}, "
          f"mix={mix}, mean validation accuracy {mean:.4f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
