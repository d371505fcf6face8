"""Trains the sentiment head over the shared encoder from the public corpora in ../shared/data.

Run once per encoder; the result (a few KB) is committed under ``bot/understanding/assets``
so that a machine without the corpora still has a working model::

    python -m bot.understanding.train_sentiment --data ../shared/data/sentiment \
        --out bot/understanding/assets/sentiment.npz --per-source 1500
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
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


def read_labeled(path: Path, text_col: str, label_col: str, delimiter: str) -> list[tuple[str, int]]:
    """Rows of ``(text, label)`` with label 1 = positive, skipping empty texts."""
    with path.open(encoding="utf-8", newline="") as fh:
        rows = csv.DictReader(fh, delimiter=delimiter)
        out = []
        for row in rows:
            text = (row.get(text_col) or "").strip()
            label = (row.get(label_col) or "").strip()
            if text and label in ("0", "1"):
                out.append((text[:512], int(label)))
    return out


def balanced_split(
    rows: list[tuple[str, int]], n_train: int, n_dev: int, seed: int
) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """Disjoint, class-balanced train and dev samples."""
    rng = random.Random(seed)
    by_label: dict[int, list[tuple[str, int]]] = {0: [], 1: []}
    for r in rows:
        by_label[r[1]].append(r)
    train: list[tuple[str, int]] = []
    dev: list[tuple[str, int]] = []
    for items in by_label.values():
        rng.shuffle(items)
        train += items[: n_train // 2]
        dev += items[n_train // 2 : n_train // 2 + n_dev // 2]
    rng.shuffle(train)
    return train, dev


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/sentiment"))
    parser.add_argument("--out", type=Path, default=Path("bot/understanding/assets/sentiment.npz"))
    parser.add_argument("--per-source", type=int, default=1500, help="training texts per source")
    parser.add_argument("--dev-per-source", type=int, default=400)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args(argv)

    from tqdm import tqdm

    from bot.encoder import build_encoder
    from bot.settings import get_settings

    encoder = build_encoder(get_settings().encoder)
    train: list[tuple[str, int, str]] = []
    dev: dict[str, list[tuple[str, int]]] = {}
    for name, (rel, text_col, label_col, delim, _lang) in SOURCES.items():
        rows = read_labeled(args.data / rel, text_col, label_col, delim)
        tr, dv = balanced_split(rows, args.per_source, args.dev_per_source, args.seed)
        train += [(t, y, name) for t, y in tr]
        dev[name] = dv

    def embed(texts: list[str]) -> np.ndarray:
        chunks = [texts[i : i + 32] for i in range(0, len(texts), 32)]
        return np.concatenate([encoder.encode(c) for c in tqdm(chunks, desc="embedding", unit="batch")])

    x_train = embed([t for t, _, _ in train])
    y_train = ["positive" if y else "negative" for _, y, _ in train]
    dev_vectors = {name: embed([t for t, _ in rows]) for name, rows in dev.items()}
    best = None
    for c in (1.0, 4.0, 16.0):
        head = fit_logistic_head(x_train, y_train, encoder.name, c=c)
        scores = {}
        for name, rows in dev.items():
            positive = head.predict_proba(dev_vectors[name])[:, head.labels.index("positive")] >= 0.5
            scores[name] = float(np.mean(positive == np.array([y for _, y in rows], dtype=bool)))
        mean = float(np.mean(list(scores.values())))
        print(f"C={c}: dev accuracy {scores} mean {mean:.4f}", file=sys.stderr)
        if best is None or mean > best[0]:
            best = (mean, c, head, scores)
    assert best is not None
    mean, c, head, scores = best
    head.meta = {
        "task": "sentiment",
        "trained": dt.date.today().isoformat(),
        "sources": {k: v[0] for k, v in SOURCES.items()},
        "train_per_source": args.per_source,
        "C": c,
        "dev_accuracy": scores,
        "neutral_band": [0.35, 0.65],
    }
    head.save(args.out)
    print(f"saved {args.out} (C={c}, mean dev accuracy {mean:.4f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
