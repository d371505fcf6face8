"""Carves reproducible dev splits from ../shared/data into a git-ignored folder (default var/bench).

The shared corpora ship without their test splits, so every figure in docs/benchmarks.md
is measured on a split made here. The splits are deterministic (fixed seeds; the Chinese
sentiment hold-out is chosen by a hash of the text, the same rule
``bot.understanding.train_sentiment`` uses to keep those rows out of training)::

    python bench/data/make_splits.py [--shared ../shared/data] [--out var/bench]

Writes CSV files with columns ``text,label``:

    banking77/train.csv, banking77/dev.csv   BANKING77 train, 90/10 stratified by intent (seed 13)
    clinc150/train.csv    CLINC150 train minus 10 % per intent, plus half of oos_train (label oos)
    clinc150/tune.csv     that 10 % plus the other half of oos_train: for choosing the OOS threshold
    clinc150/dev.csv      CLINC150 val (3,000 in scope) plus oos_val (100)
    sentiment/zh_shop_dev.csv      held-out Chinese shop reviews (all categories but hotels), 1,000 + 1,000
    sentiment/zh_hotel_dev.csv     held-out Chinese hotel reviews (the 酒店 category), 500 + 500
    sentiment/en_sst2_dev.csv      SST-2 dev (872)
    sentiment/en_sst2_train20k.csv SST-2 train, 10,000 + 10,000 (for bench/finetune.py)
    sentiment/en_amazon_{electronics,kitchen}_dev.csv   Amazon dev (300 each)

No other-domain Chinese reviews (takeout) are in ../shared/data; hotel reviews are part of
the shop corpus (and of the sentiment head's training data), so they are not out of domain.
Needs only numpy besides the standard library: runs in either environment.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.understanding.train_sentiment import is_held_out  # the rule training obeys too

csv.field_size_limit(sys.maxsize)
SEED = 13


def write_rows(path: Path, rows: Iterable[tuple[str, str]]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["text", "label"])
        for text, label in rows:
            writer.writerow([text, label])
            n += 1
    print(f"{path}: {n} rows", file=sys.stderr)
    return n


def stratified_split(
    rows: list[tuple[str, str]], fraction: float, seed: int
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """``(rest, held)``: ``fraction`` of each label's rows (at least one) held out."""
    rng = random.Random(seed)
    by_label: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for row in rows:
        by_label[row[1]].append(row)
    rest: list[tuple[str, str]] = []
    held: list[tuple[str, str]] = []
    for label in sorted(by_label):
        items = by_label[label]
        rng.shuffle(items)
        k = max(1, round(len(items) * fraction))
        held += items[:k]
        rest += items[k:]
    rng.shuffle(rest)
    rng.shuffle(held)
    return rest, held


def banking77(shared: Path, out: Path) -> None:
    with (shared / "intent/banking77/train.csv").open(encoding="utf-8", newline="") as fh:
        rows = [(r["text"].strip(), r["category"].strip()) for r in csv.DictReader(fh) if r["text"].strip()]
    train, dev = stratified_split(rows, 0.10, SEED)
    write_rows(out / "banking77/train.csv", train)
    write_rows(out / "banking77/dev.csv", dev)


def clinc150(shared: Path, out: Path) -> None:
    data = json.loads((shared / "intent/clinc150/train_val.json").read_text(encoding="utf-8"))
    train, tune = stratified_split([(t, i) for t, i in data["train"]], 0.10, SEED)
    oos = [(t, "oos") for t, _ in data["oos_train"]]
    random.Random(SEED).shuffle(oos)
    half = len(oos) // 2
    write_rows(out / "clinc150/train.csv", train + oos[:half])
    write_rows(out / "clinc150/tune.csv", tune + oos[half:])
    write_rows(out / "clinc150/dev.csv", [(t, i) for t, i in data["val"]] + [(t, "oos") for t, _ in data["oos_val"]])


def _balanced(rows: list[tuple[str, str]], per_label: int, seed: int) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    out: list[tuple[str, str]] = []
    for label in ("0", "1"):
        items = [r for r in rows if r[1] == label]
        rng.shuffle(items)
        out += items[:per_label]
    rng.shuffle(out)
    return out


def _tsv(path: Path) -> list[tuple[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [
            (" ".join(r["sentence"].split()), r["label"].strip())
            for r in csv.DictReader(fh, delimiter="\t")
            if (r.get("sentence") or "").strip() and (r.get("label") or "").strip() in ("0", "1")
        ]


def sentiment(shared: Path, out: Path) -> None:
    with (shared / "sentiment/zh/online_shopping_train.csv").open(encoding="utf-8", newline="") as fh:
        zh = [
            (r["cat"], r["review"].strip(), r["label"].strip())
            for r in csv.DictReader(fh)
            if r["review"].strip() and r["label"].strip() in ("0", "1")
        ]
    held = [(c, t, y) for c, t, y in zh if is_held_out(t)]
    shop = [(t, y) for c, t, y in held if c != "酒店"]
    hotel = [(t, y) for c, t, y in held if c == "酒店"]
    write_rows(out / "sentiment/zh_shop_dev.csv", _balanced(shop, 1000, SEED))
    write_rows(out / "sentiment/zh_hotel_dev.csv", _balanced(hotel, 500, SEED))
    write_rows(out / "sentiment/en_sst2_dev.csv", _tsv(shared / "sentiment/en/sst2_dev.tsv"))
    write_rows(out / "sentiment/en_sst2_train20k.csv", _balanced(_tsv(shared / "sentiment/en/sst2_train.tsv"), 10_000, SEED))
    for domain in ("electronics", "kitchen"):
        write_rows(out / f"sentiment/en_amazon_{domain}_dev.csv",
                   _tsv(shared / f"sentiment/en/amazon_{domain}_dev.tsv"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "bench")
    parser.add_argument("--only", choices=["banking77", "clinc150", "sentiment"], action="append")
    args = parser.parse_args(argv)
    if not args.shared.is_dir():
        parser.error(f"{args.shared} is not a directory (the shared data sets)")
    for name, make in (("banking77", banking77), ("clinc150", clinc150), ("sentiment", sentiment)):
        if not args.only or name in args.only:
            make(args.shared, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
