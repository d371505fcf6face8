"""Benchmarks descriptive chat requests: do the picks have what the customer described?

Usage:
    python bench/descriptive_requests.py [--customers 30] [--split dev|test|all]

"A phone with a long battery life", "不含香精的护肤品": ``bench/data/descriptive_requests.csv``
names, for each request, the feature (or, for bank products, the product) that answers it.
The demo data set is loaded into a temporary SQLite store and every request is sent, for a
stranger and for ``--customers`` random demo customers, to the recommendation service the
bot serves, twice in the same run: with description matching (the default) and without it
(the baseline: the request's category and budget filter, then the hybrid's usual ranking).
Rows of the generic splits ("recommend me a phone", "a laptop for my son") describe nothing:
their picks must stay the same as the baseline's.

Prints one JSON line per system and split: ``precision@3`` (share of the picks that have
what was asked, over all request x customer pairs; no pick counts as a miss), ``hit@1``,
``hit@3``, ``described`` (share of picks whose reason says they answer a description),
``reason_precision`` (of those, the share that do), ``unchanged`` (generic splits: share of
pairs with the baseline's picks) and the request latency (p50/p95, ms; the description is
embedded inside the timed call, the request itself is embedded before it, as in a real turn).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tqdm import tqdm

from bot.catalog import ProductInfo
from bot.cli import main as ipm
from bot.recommendation_service import Pick, RecommendationService
from bot.services import Services
from bot.settings import Settings

PROBE = ROOT / "bench" / "data" / "descriptive_requests.csv"


def _relevant(product: ProductInfo, wanted: str) -> bool:
    answers = wanted.split("|")
    return product.sku in answers or any(f in product.attributes.get("features", ()) for f in answers)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=30, help="random demo customers (plus one stranger)")
    parser.add_argument("--split", default="all", help="dev, test, generic, generic_dev or all")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--show", action="store_true", help="print each request's picks for the stranger")
    args = parser.parse_args(argv)
    rows = [r for r in csv.DictReader(PROBE.open(encoding="utf-8")) if args.split in ("all", r["split"])]
    senders = ["bench-stranger", *random.Random(args.seed).sample([f"demo-{i:04d}" for i in range(1, 401)],
                                                                 args.customers)]
    with tempfile.TemporaryDirectory() as tmp:
        db = f"sqlite:///{Path(tmp) / 'ipm.db'}"
        with contextlib.redirect_stdout(sys.stderr):
            ipm(["--db", db, "-q", "demo", "load", "--no-embed", "--no-segments"])
        services = Services(settings=Settings(data_dir=Path(tmp), database={"url": db}))
        search = services.product_search
        systems = {
            "descriptions": RecommendationService(services.store, search),
            "baseline": RecommendationService(services.store, search, match_descriptions=False),
        }
        for service in systems.values():
            service.model()
        profiles = {s: services.profiles.get_profile(s) for s in senders}
        picks: dict[str, dict[tuple[int, str], list[Pick]]] = {name: {} for name in systems}
        timings: dict[str, dict[str, list[float]]] = {name: {} for name in systems}
        for i, row in enumerate(tqdm(rows, desc="requests", file=sys.stderr)):
            search.embed(row["text"])  # embedded by the NLU in a real turn
            for sender in senders:
                for name, service in systems.items():
                    started = time.perf_counter()
                    got = service.recommend(sender, row["text"], profiles[sender], row["language"], k=3)
                    timings[name].setdefault(row["split"], []).append((time.perf_counter() - started) * 1000)
                    picks[name][(i, sender)] = got
            if args.show:
                for name in systems:
                    shown = "; ".join(f"{p.product.name(row['language'])} ({p.reason})"
                                      for p in picks[name][(i, 'bench-stranger')])
                    print(f"[{row['split']}] {row['text']} | {name}: {shown}", file=sys.stderr)
        for split in dict.fromkeys(r["split"] for r in rows):
            members = [(i, r) for i, r in enumerate(rows) if r["split"] == split]
            for name in systems:
                line: dict[str, object] = {"system": name, "split": split, "requests": len(members),
                                           "customers": len(senders)}
                got_all = [(picks[name][(i, s)], r) for i, r in members for s in senders]
                described = [p for got, _ in got_all for p in got if p.reason_kind == "described"]
                total = sum(len(got) for got, _ in got_all)
                line["described"] = round(len(described) / max(total, 1), 4)
                if split.startswith("generic"):
                    same = sum([p.product.sku for p in picks[name][(i, s)]]
                               == [p.product.sku for p in picks["baseline"][(i, s)]]
                               for i, _ in members for s in senders)
                    line["unchanged"] = round(same / len(got_all), 4)
                else:
                    hits = [[_relevant(p.product, r["relevant"]) for p in got] for got, r in got_all]
                    line["precision@3"] = round(statistics.mean(sum(h) / 3 for h in hits), 4)
                    line["hit@1"] = round(statistics.mean(bool(h) and h[0] for h in hits), 4)
                    line["hit@3"] = round(statistics.mean(any(h) for h in hits), 4)
                    right = sum(_relevant(p.product, r["relevant"])
                                for got, r in got_all for p in got if p.reason_kind == "described")
                    line["reason_precision"] = round(right / len(described), 4) if described else None
                line["p50_ms"] = round(statistics.median(timings[name][split]), 2)
                line["p95_ms"] = round(_percentile(timings[name][split], 0.95), 2)
                print(json.dumps(line, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
