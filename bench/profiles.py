"""Benchmarks the profile store: bulk import throughput, live update and per-turn read latency.

Usage:
    python bench/profiles.py                                  # SQLite, plus PostgreSQL if configured
    python bench/profiles.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test

Prints one JSON line per measurement. PostgreSQL runs in a fresh schema that is dropped
afterwards; its URL comes from ``--postgres`` or ``IPM_TEST_POSTGRES_URL``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.importer import import_file
from bot.profiles import ProfileService
from bot.store import Store, open_store

KINDS = ("view", "view", "view", "view", "click", "click", "cart", "purchase", "rating")


class RandomEncoder:
    """Stands in for the sentence encoder: the store does not care what the vectors mean."""

    name = "bench/random-384"
    dim = 384

    def __init__(self, seed: int = 0) -> None:
        self._rng = np.random.default_rng(seed)

    def encode(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        vectors = self._rng.standard_normal((len(texts), self.dim)).astype(np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def _percentiles(samples_s: list[float]) -> dict[str, float]:
    ms = sorted(s * 1000 for s in samples_s)
    return {
        "p50_ms": round(statistics.median(ms), 3),
        "p95_ms": round(ms[int(0.95 * (len(ms) - 1))], 3),
        "mean_ms": round(statistics.fmean(ms), 3),
    }


def write_interactions(path: Path, customers: int, rows: int, skus: list[str], seed: int = 0) -> None:
    """A synthetic interactions CSV: ``rows`` events over ``customers`` customers."""
    rng = random.Random(seed)
    end = datetime(2025, 6, 30, tzinfo=UTC)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["event_id", "sender_id", "sku", "kind", "value", "occurred_at"])
        for i in range(rows):
            kind = rng.choice(KINDS)
            value = rng.randint(1, 5) if kind == "rating" else ""
            at = end - timedelta(seconds=rng.randint(0, 180 * 86400))
            writer.writerow(
                [f"b-{i}", f"cust-{rng.randrange(customers):05d}", rng.choice(skus), kind, value, at.isoformat()]
            )


@contextmanager
def postgres_schema(base_url: str) -> Iterator[str]:
    """A fresh schema on the server at ``base_url``; yields a URL that uses it."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url
    from sqlalchemy.schema import CreateSchema, DropSchema

    schema = f"ipm_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base_url)
    with admin.begin() as conn:
        conn.execute(CreateSchema(schema))
    try:
        url = make_url(base_url).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(DropSchema(schema, cascade=True, if_exists=True))
        admin.dispose()


def run(db: str, url: str, args: argparse.Namespace, workdir: Path) -> list[dict[str, Any]]:
    """All measurements on one database."""
    results: list[dict[str, Any]] = []
    store: Store = open_store(url)
    try:
        import_file("catalog", ROOT / "data/catalog/shop.jsonl", store, progress=False)
        import_file("catalog", ROOT / "data/catalog/bank.jsonl", store, progress=False)
        skus = [json.loads(line)["sku"] for line in (ROOT / "data/catalog/shop.jsonl").read_text().splitlines()]
        path = workdir / "interactions.csv"
        if not path.exists():
            write_interactions(path, args.customers, args.interactions, skus)

        report = import_file("interactions", path, store, progress=False)
        results.append(
            {
                "bench": "import_interactions",
                "db": db,
                "rows": report.rows,
                "customers": report.profiles_rebuilt,
                "seconds": report.seconds,
                "rows_per_s": round(report.rows / report.seconds),
                "cpus": os.cpu_count(),
            }
        )
        again = import_file("interactions", path, store, progress=False)
        results.append(
            {
                "bench": "reimport_interactions",
                "db": db,
                "rows": again.rows,
                "inserted": again.inserted,
                "seconds": again.seconds,
            }
        )

        profiles = ProfileService(store, RandomEncoder())
        rng = random.Random(1)
        senders = [f"cust-{i:05d}" for i in range(args.customers)]
        update_times: list[float] = []
        for i in range(args.updates):
            sender = rng.choice(senders)
            started = time.perf_counter()
            if i % 2:
                profiles.record_interaction(sender, rng.choice(skus), "click", event_id=f"live-{i}")
            else:
                profiles.record_message(
                    sender, "message text", "en", sentiment="negative", aspects={"delivery": "negative"},
                    categories=["phones"], event_id=f"msg-{i}",
                )
            update_times.append(time.perf_counter() - started)
        results.append({"bench": "live_update", "db": db, "n": args.updates, **_percentiles(update_times)})

        read_times: list[float] = []
        for _ in range(args.reads):
            sender = rng.choice(senders)
            started = time.perf_counter()
            view = profiles.get_profile(sender)
            read_times.append(time.perf_counter() - started)
            assert view is not None
        results.append(
            {"bench": "profile_read", "db": db, "customers": args.customers, "n": args.reads, **_percentiles(read_times)}
        )
    finally:
        store.close()
    return results


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--interactions", type=int, default=100_000)
    parser.add_argument("--updates", type=int, default=1000, help="live updates to time")
    parser.add_argument("--reads", type=int, default=2000, help="profile reads to time")
    parser.add_argument("--postgres", default=os.environ.get("IPM_TEST_POSTGRES_URL"), help="PostgreSQL URL")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        if not args.skip_sqlite:
            for line in run("sqlite", f"sqlite:///{workdir / 'bench.db'}", args, workdir):
                print(json.dumps(line), flush=True)
        if args.postgres:
            with postgres_schema(args.postgres) as url:
                for line in run("postgresql", url, args, workdir):
                    print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
