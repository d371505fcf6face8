"""Aspect benchmark: precision and recall of complaint aspects on the project's labelled sentences.

Usage (bot environment)::

    .venv/bin/python bench/aspects.py [--data bench/data/aspects_en.jsonl bench/data/aspects_zh.jsonl]

Each JSONL row is ``{"text", "aspects": [...], "complaint": bool, "split"}``; ``aspects`` are the
aspects the sentence complains about (empty for praise, questions and complaints that name
no aspect), hand-labelled for this project. ``split`` is ``dev`` for the sentences the
lexicon and the similarity margin were tuned on and ``heldout`` for sentences written
afterwards and never tuned on. Every sentence goes through what the Rasa
pipeline runs: the shared encoder, the sentiment head, then ``AspectDetector.detect`` with
``negative`` set from the sentiment, as ``nlu_models.AspectExtractor`` does.

Output: one JSON line per system, language and split (``all`` and each ``split`` of the
data) on stdout: ``system`` (``ipm``: the detector as shipped; ``keywords``: its keyword
lexicon alone, no tone check), ``language``, ``split``, ``n``,
``micro_precision``, ``micro_recall``, ``micro_f1``, ``exact_match`` (share of sentences
whose aspect set is exactly right) and ``per_aspect`` (``{aspect: {precision, recall,
support}}``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("OMP_NUM_THREADS", "1")

DEFAULT_DATA = [ROOT / "bench" / "data" / "aspects_en.jsonl", ROOT / "bench" / "data" / "aspects_zh.jsonl"]


def read_jsonl(paths: Sequence[Path]) -> list[dict[str, Any]]:
    rows = []
    for path in paths:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                row = json.loads(line)
                if not isinstance(row.get("text"), str) or not isinstance(row.get("aspects"), list):
                    raise SystemExit(f"{path}:{number}: expected {{'text': str, 'aspects': [...]}}")
                rows.append(row)
    return rows


def score(gold: Sequence[set[str]], predicted: Sequence[set[str]], aspects: Sequence[str]) -> dict[str, Any]:
    """Micro and per-aspect precision/recall over multi-label predictions."""

    def ratio(a: int, b: int) -> float | None:
        return round(a / b, 4) if b else None

    per_aspect = {}
    tp_all = fp_all = fn_all = 0
    for aspect in aspects:
        tp = sum(1 for g, p in zip(gold, predicted) if aspect in g and aspect in p)
        fp = sum(1 for g, p in zip(gold, predicted) if aspect not in g and aspect in p)
        fn = sum(1 for g, p in zip(gold, predicted) if aspect in g and aspect not in p)
        tp_all, fp_all, fn_all = tp_all + tp, fp_all + fp, fn_all + fn
        per_aspect[aspect] = {"precision": ratio(tp, tp + fp), "recall": ratio(tp, tp + fn), "support": tp + fn}
    precision, recall = ratio(tp_all, tp_all + fp_all), ratio(tp_all, tp_all + fn_all)
    f1 = round(2 * precision * recall / (precision + recall), 4) if precision and recall else 0.0
    return {
        "micro_precision": precision,
        "micro_recall": recall,
        "micro_f1": f1,
        "exact_match": round(sum(g == p for g, p in zip(gold, predicted)) / len(gold), 4),
        "per_aspect": per_aspect,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, nargs="+", default=DEFAULT_DATA)
    parser.add_argument("--errors", action="store_true", help="list the sentences the detector got wrong (stderr)")
    parser.add_argument("--threshold", type=float, default=0.86, help="similarity threshold (AspectExtractor's default)")
    parser.add_argument("--margin", type=float, default=None, help="similarity margin (default: AspectDetector's)")
    args = parser.parse_args(argv)

    from bot.encoder import build_encoder
    from bot.settings import get_settings
    from bot.understanding.aspects import ASPECTS, AspectDetector, detect_aspects_by_keywords
    from bot.understanding.language import detect_language
    from bot.understanding.sentiment import SentimentModel

    rows = read_jsonl(args.data)
    unknown = {a for r in rows for a in r["aspects"]} - set(ASPECTS)
    if unknown:
        raise SystemExit(f"unknown aspects in the data: {sorted(unknown)}")
    encoder = build_encoder(get_settings().encoder)
    detector = AspectDetector.from_encoder(encoder, threshold=args.threshold)
    if args.margin is not None:
        detector.margin = args.margin
    sentiment = SentimentModel()
    texts = [r["text"] for r in rows]
    vectors = encoder.encode(texts)
    negative = [s["label"] == "negative" for s in sentiment.predict(vectors, texts)]
    systems = {
        "ipm": [{a["aspect"] for a in detector.detect(t, v, n)} for t, v, n in zip(texts, vectors, negative)],
        "keywords": [set(detect_aspects_by_keywords(t)) for t in texts],
    }
    languages = [detect_language(t, "en") for t in texts]
    splits = ["all", *sorted({r["split"] for r in rows if r.get("split")})]
    for system, predicted in systems.items():
        for language in ("en", "zh"):
            for split in splits:
                idx = [i for i, lang in enumerate(languages)
                       if lang == language and split in ("all", rows[i].get("split"))]
                if not idx:
                    continue
                gold = [set(rows[i]["aspects"]) for i in idx]
                line = {"system": system, "language": language, "split": split, "n": len(idx),
                        **score(gold, [predicted[i] for i in idx], list(ASPECTS))}
                print(json.dumps(line, ensure_ascii=False), flush=True)
            if args.errors and system == "ipm":
                for i in (i for i, lang in enumerate(languages) if lang == language):
                    if set(rows[i]["aspects"]) != predicted[i]:
                        print(f"  [{language}/{rows[i].get('split', '-')}] gold={sorted(rows[i]['aspects'])} "
                              f"got={sorted(predicted[i])} neg={negative[i]} {texts[i]}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
