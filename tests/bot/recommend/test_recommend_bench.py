"""bench/recsys.py end to end on a tiny synthetic RecBole data set, and its splits."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "bench" / "recsys.py"
GENRES = ["Action", "Comedy", "Drama", "Horror"]


def load_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_recsys", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module


def write_dataset(directory: Path, n_users: int = 40, n_items: int = 30, seed: int = 0) -> None:
    """Users prefer one genre; a few users have only 4 ratings (natural cold start)."""
    rng = np.random.default_rng(seed)
    item_genre = [GENRES[i % len(GENRES)] for i in range(n_items)]
    lines = ["user_id:token\titem_id:token\trating:float\ttimestamp:float"]
    for u in range(1, n_users + 1):
        taste = GENRES[u % len(GENRES)]
        weights = np.array([4.0 if g == taste else 1.0 for g in item_genre])
        n = 4 if u % 10 == 0 else int(rng.integers(8, 16))
        items = rng.choice(n_items, size=n, replace=False, p=weights / weights.sum())
        for j, i in enumerate(items):
            stamp = 880_000_000 + u * 10_000 + j * 30 // 2 * 2  # some ties within a user
            lines.append(f"{u}\t{i + 1}\t{int(rng.integers(1, 6))}\t{stamp}")
    (directory / "tiny.inter").write_text("\n".join(lines) + "\n")
    items_tsv = ["item_id:token\tmovie_title:token_seq\trelease_year:token\tclass:token_seq"]
    for i in range(n_items):
        items_tsv.append(f"{i + 1}\tFilm number {i + 1}\t{1990 + i % 8}\t{item_genre[i]}")
    (directory / "tiny.item").write_text("\n".join(items_tsv) + "\n")
    users_tsv = ["user_id:token\tage:token\tgender:token\toccupation:token\tzip_code:token"]
    for u in range(1, n_users + 1):
        users_tsv.append(
            f"{u}\t{18 + u % 40}\t{'MF'[u % 2]}\t{['student', 'writer'][u % 3 == 0]}\t{10000 + u}"
        )
    (directory / "tiny.user").write_text("\n".join(users_tsv) + "\n")


@pytest.mark.skipif(
    importlib.util.find_spec("implicit") is None, reason="needs the implicit package"
)
def test_bench_emits_a_line_per_system_protocol_and_subset(tmp_path: Path) -> None:
    write_dataset(tmp_path)
    out = tmp_path / "results.jsonl"
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--data", str(tmp_path), "--quick", "--out", str(out)],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    records = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    assert records == [json.loads(line) for line in out.read_text().splitlines()]
    systems = ["popularity", "itemknn", "ease", "als", "content", "hybrid"]
    for protocol in (1, 2):
        for system in systems:
            main = [
                r
                for r in records
                if r["system"] == system and r["protocol"] == protocol and "subset" not in r
            ]
            cold = [
                r
                for r in records
                if r["system"] == system and r["protocol"] == protocol and r.get("subset") == "cold"
            ]
            assert len(main) == 1 and len(cold) == 1, (system, protocol)
            keys = (
                {"ndcg@10", "precision@10", "recall@10", "map"}
                if protocol == 1
                else {"hr@10", "ndcg@10"}
            )
            for record in (main[0], cold[0]):
                assert keys <= set(record) and "fit_s" in record
                assert all(0.0 <= record[key] <= 1.0 for key in keys)
                assert record["fit_s"] >= 0
            assert main[0]["n_users"] == 40 and main[0]["latency_p95_ms"] > 0
            assert cold[0]["n_users"] >= 4  # the natural cold users at least
    hybrid = next(r for r in records if r["system"] == "hybrid" and "subset" not in r)
    assert set(hybrid["weights"]) == {"ease", "als", "itemknn", "popularity", "content"}


def test_protocol_one_split_is_per_user_75_25() -> None:
    bench = load_bench()
    users = np.asarray(["u1"] * 8 + ["u2"] * 3 + ["u3"] * 1 + ["u1"] * 4)
    train = bench.random_split(users)
    for user, n in (("u1", 12), ("u2", 3), ("u3", 1)):
        assert train[users == user].sum() == round(0.75 * n)
    assert np.array_equal(train, bench.random_split(users))  # seeded


def test_protocol_two_holds_out_the_latest_with_ties_to_the_later_row() -> None:
    bench = load_bench()
    users = np.asarray(["a", "a", "a", "b", "b", "c"])
    stamps = np.asarray([5.0, 9.0, 9.0, 3.0, 1.0, 7.0])
    train = bench.last_out_split(users, stamps)
    assert train.tolist() == [True, True, False, False, True, True]


@pytest.mark.parametrize("protocol", [1, 2])
def test_cold_cut_keeps_five_rows(tmp_path: Path, protocol: int) -> None:
    bench = load_bench()
    write_dataset(tmp_path)
    data = bench.load_dataset(tmp_path)
    train = np.ones(len(data.users), dtype=bool)
    cut, cold = bench.cold_cut(data, train, protocol)
    for user in cold:
        assert cut[data.users == user].sum() <= bench.COLD_MAX
    assert cut.sum() < train.sum()
