"""Sentiment benchmark: ipm-bot's sentiment model against snownlp (Chinese) and VADER (English).

Usage (bot environment)::

    .venv/bin/python bench/sentiment.py --test TEST.csv [--text-col text] [--label-col label] [--head PATH]

``TEST.csv`` has a text column and a label column (1 = positive, 0 = negative). Each row's
language comes from ``bot.understanding.language.detect_language``; the ipm model scores
every row, snownlp the Chinese rows and VADER the English rows, all in this run.

Output: one JSON line per system on stdout (``ipm`` first), keys ``system, accuracy,
macro_f1, ms_per_text`` plus ``n`` (rows the system scored) and, for ipm, ``by_language``.
Decisions are binary: ipm says positive when P(positive) >= 0.5 (the neutral band the bot
uses in conversation is ignored here), snownlp when ``sentiments`` >= 0.5, VADER when the
compound score is >= 0. ``ms_per_text`` is the wall time per text, one text at a time on one
thread, encoder included for ipm (the in-process default encoder, as the bot server runs it).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("OMP_NUM_THREADS", "1")

csv.field_size_limit(sys.maxsize)


def read_rows(path: Path, text_col: str, label_col: str) -> list[tuple[str, int]]:
    """``(text, label)`` rows with label 0 or 1; other rows are skipped."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = {text_col, label_col} - set(reader.fieldnames or [])
        if missing:
            raise SystemExit(f"{path}: no column(s) {sorted(missing)}; columns are {reader.fieldnames}")
        rows = []
        for row in reader:
            text = (row.get(text_col) or "").strip()
            label = (row.get(label_col) or "").strip()
            if text and label in ("0", "1"):
                rows.append((text, int(label)))
    if not rows:
        raise SystemExit(f"{path}: no rows labelled 0 or 1")
    return rows


def scores(gold: Sequence[int], predicted: Sequence[int]) -> dict[str, float | None]:
    """Accuracy and macro-F1 over the two classes (None for no rows)."""
    if not gold:
        return {"accuracy": None, "macro_f1": None}
    f1s = []
    for label in (0, 1):
        tp = sum(1 for g, p in zip(gold, predicted) if g == label and p == label)
        fp = sum(1 for g, p in zip(gold, predicted) if g != label and p == label)
        fn = sum(1 for g, p in zip(gold, predicted) if g == label and p != label)
        f1s.append(0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn))
    acc = sum(g == p for g, p in zip(gold, predicted)) / len(gold)
    return {"accuracy": round(acc, 4), "macro_f1": round(sum(f1s) / 2, 4)}


def timed(predict: Callable[[str], int], texts: Sequence[str], desc: str) -> tuple[list[int], float]:
    """Predictions one text at a time, and the mean milliseconds per text."""
    from tqdm import tqdm

    out = []
    started = time.perf_counter()
    for text in tqdm(texts, desc=desc, unit="text", file=sys.stderr, mininterval=2):
        out.append(predict(text))
    ms = (time.perf_counter() - started) * 1000 / max(1, len(texts))
    return out, round(ms, 2)


def ipm_predictor(head_path: Path | None) -> Callable[[str], int]:
    from bot.encoder import build_encoder
    from bot.settings import get_settings
    from bot.understanding.sentiment import DEFAULT_HEAD, load_sentiment_head, positive_proba

    encoder = build_encoder(get_settings().encoder)
    head = load_sentiment_head(head_path or DEFAULT_HEAD)
    head.check_encoder(encoder.name, encoder.dim)

    def predict(text: str) -> int:
        return int(positive_proba(head, encoder.encode([text]), [text])[0] >= 0.5)

    encoder.encode(["warm-up"])
    return predict


def snownlp_predictor() -> Callable[[str], int]:
    from snownlp import SnowNLP

    _ = SnowNLP("好").sentiments  # loads its model on first use
    return lambda text: int(SnowNLP(text).sentiments >= 0.5)


def vader_predictor() -> Callable[[str], int]:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    return lambda text: int(analyzer.polarity_scores(text)["compound"] >= 0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--test", type=Path, required=True)
    parser.add_argument("--text-col", default="text")
    parser.add_argument("--label-col", default="label")
    parser.add_argument("--head", type=Path, default=None, help="sentiment head to evaluate (default: the shipped one)")
    parser.add_argument("--systems", default="ipm,snownlp,vader")
    args = parser.parse_args(argv)
    systems = args.systems.split(",")

    from bot.understanding.language import detect_language

    rows = read_rows(args.test, args.text_col, args.label_col)
    languages = [detect_language(text, "en") for text, _ in rows]
    lines: list[dict[str, Any]] = []
    if "ipm" in systems:
        predicted, ms = timed(ipm_predictor(args.head), [t for t, _ in rows], "ipm")
        gold = [y for _, y in rows]
        by_language = {}
        for lang in ("zh", "en"):
            idx = [i for i, g in enumerate(languages) if g == lang]
            if idx:
                by_language[lang] = {"n": len(idx), **scores([gold[i] for i in idx], [predicted[i] for i in idx])}
        lines.append({"system": "ipm", **scores(gold, predicted), "ms_per_text": ms, "n": len(rows),
                      "by_language": by_language})
        print(json.dumps(lines[-1], ensure_ascii=False), flush=True)
    for system, lang, make in (("snownlp", "zh", snownlp_predictor), ("vader", "en", vader_predictor)):
        if system not in systems:
            continue
        subset = [(t, y) for (t, y), g in zip(rows, languages) if g == lang]
        predicted, ms = timed(make(), [t for t, _ in subset], system) if subset else ([], None)
        lines.append({"system": system, **scores([y for _, y in subset], predicted), "ms_per_text": ms,
                      "n": len(subset)})
        print(json.dumps(lines[-1], ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
