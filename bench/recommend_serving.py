"""Benchmarks chat recommendations on the demo catalog: fit time and per-request latency.

Usage:
    python bench/recommend_serving.py [--requests 300]

Loads the demo data set into a temporary SQLite store, fits the hybrid the bot serves
(``bot.recommendation_service``) and times ``recommend`` for random demo customers with
the requests customers send, side by side with the content-only path the bot uses for a
catalog without behaviour. Prints one JSON line per system. The request's embedding is
shared with the NLU turn (the bot server caches it), so it is computed before timing.
"""

from __future__ import annotations

import argparse
import contextlib
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

from bot.cli import main as ipm
from bot.services import Services
from bot.settings import Settings

REQUESTS = [
    ("recommend me something", "en"), ("有什么推荐吗", "zh"), ("recommend me a phone", "en"),
    ("推荐几款耳机", "zh"), ("I need a gift for my mum", "en"), ("有没有好用的护肤品", "zh"),
    ("which credit card would suit me?", "en"), ("推荐一款存款产品", "zh"),
]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        db = f"sqlite:///{Path(tmp) / 'ipm.db'}"
        with contextlib.redirect_stdout(sys.stderr):
            ipm(["--db", db, "-q", "demo", "load", "--no-embed", "--no-segments"])
        services = Services(settings=Settings(data_dir=Path(tmp), database={"url": db}))
        search = services.product_search  # embeds the catalog once (not part of the timings)
        service = services.recommendations
        started = time.perf_counter()
        service.model()
        fit_s = time.perf_counter() - started
        senders = [f"demo-{i:04d}" for i in range(1, 401)]
        plan = [(rng.choice(senders), *rng.choice(REQUESTS)) for _ in range(args.requests)]
        for system in ("hybrid", "content-only"):
            timings, empty = [], 0
            for sender, text, language in tqdm(plan, desc=system, file=sys.stderr):
                profile = services.profiles.get_profile(sender)
                search.embed(text)  # already embedded by the NLU in a real turn
                started = time.perf_counter()
                picks = service.recommend(sender, text, profile, language, content_only=system != "hybrid")
                timings.append((time.perf_counter() - started) * 1000)
                empty += not picks
            print(json.dumps({
                "system": system,
                "requests": len(plan),
                "fit_s": round(fit_s, 3) if system == "hybrid" else 0.0,
                "p50_ms": round(statistics.median(timings), 2),
                "p95_ms": round(_percentile(timings, 0.95), 2),
                "empty": empty,
                "products": len(search.products),
            }))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
