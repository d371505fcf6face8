"""Trains the sentiment head over the shared encoder from the public corpora in ../shared/data.

Run once per encoder; the result (a few KB) is committed under ``bot/understanding/assets``
so that a machine without the corpora still has a working model::

    python -m bot.understanding.train_sentiment --data ../shared/data/sentiment \\
        --out bot/understanding/assets/sentiment.npz --per-source 6000 --cache var/sentiment-cache

Rows whose text hash falls in the tenth that ``bench/data/make_splits.py`` holds out for the
benchmark are skipped in every source (the benchmark samples its Chinese dev sets from them;
the English dev sets are separate files, never read here). The
regularization is chosen on a validation sample carved from the training rows.
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
    parser.add_argument("--out", type=Path, default=Path("bot/understanding/assets/sentiment.npz"))
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
    dev: dict[str, list[tuple[str, int]]] = {}
    for name, (rel, text_col, label_col, delim, _lang) in SOURCES.items():
        rows = read_labeled(args.data / rel, text_col, label_col, delim)
        tr, dv = balanced_split(rows, args.per_source, args.dev_per_source, args.seed)
        train += [(t, y, name) for t, y in tr]
        dev[name] = dv
        print(f"{name}: {len(tr)} train, {len(dv)} validation", file=sys.stderr)

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
    best = None
    for c in (1.0, 4.0, 16.0, 64.0):
        head = fit_logistic_head(x_train, y_train, encoder.name, c=c)
        scores = {}
        for name, rows in dev.items():
            positive = head.predict_proba(dev_vectors[name])[:, head.labels.index("positive")] >= 0.5
            scores[name] = round(float(np.mean(positive == np.array([y for _, y in rows], dtype=bool))), 4)
        mean = float(np.mean(list(scores.values())))
        print(f"C={c}: validation accuracy {scores} mean {mean:.4f}", file=sys.stderr)
        if best is None or mean > best[0]:
            best = (mean, c, head, scores)
    assert best is not None
    mean, c, head, scores = best
    head.meta = {
        "task": "sentiment",
        "trained": dt.date.today().isoformat(),
        "sources": {k: v[0] for k, v in SOURCES.items()},
        "train_per_source": {name: sum(1 for _, _, n in train if n == name) for name in SOURCES},
        "held_out": "bench/data/make_splits.py rule (md5 of the text) and the English dev files",
        "C": c,
        "validation_accuracy": scores,
        "neutral_band": [0.35, 0.65],
    }
    head.save(args.out)
    print(f"saved {args.out} (C={c}, mean validation accuracy {mean:.4f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
