"""Offline benchmark of the recommenders on a RecBole atomic data set (MovieLens-100k).

Usage:
    python bench/recsys.py --data ../shared/data/recsys/ml-100k [--systems ...] [--quick]

Two protocols, every system trained and scored in the same run, hyperparameters tuned
only on a validation split carved from the training part:

1. microsoft/recommenders style: per user, ratings shuffled with seed 42 (numpy's
   global generator draws one uniform key per row in file order, rows are stably sorted
   by user then key), the first ``round(0.75·n)`` to train; all ratings are implicit
   positives; top-10 with the user's training items removed; nDCG@10, Precision@10,
   Recall@10 and MAP (divided by the number of the user's test items).
2. leave-last-out: each user's latest interaction (ties: the later row in the file) is
   the test item; HR@10 and NDCG@10 with a full ranking over the items the user has not seen.

Validation: the same split applied to the training part (protocol 1 with seed 43,
protocol 2 the second-to-last interaction). Each baseline is tuned on a small grid there;
the hybrid reuses the baselines' tuned settings for its components, tunes its own
time-aware EASE, and learns its blend weights on the same validation split.

Cold start: users with at most 5 training interactions are scored separately. MovieLens
has none (every user rated at least 20 films), so 10 % of the users (seed 42) are cut to
5 training interactions (protocol 1: the first 5 of their shuffled training ratings;
protocol 2: their 5 latest), every system is refitted with its tuned settings, and
those users are scored on their unchanged test items (``"subset": "cold"``).

Output: one JSON line per system, protocol and subset on stdout (progress on stderr).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import re
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.errors import ValidationError
from bot.recommend import (
    ALSRecommender,
    ContentRecommender,
    EASERecommender,
    HybridRecommender,
    Interactions,
    ItemFeatures,
    ItemKNNRecommender,
    PopularityRecommender,
    Recommender,
    UserFeatures,
    average_precision_at_k,
    hit_rate_at_k,
    ndcg_at_k,
    precision_at_k,
    recall_at_k,
)

SYSTEMS = ("popularity", "itemknn", "ease", "als", "content", "hybrid")
K = 10
COLD_MAX = 5
COLD_SHARE = 0.10
SEED = 42


def progress(iterable: Iterable[Any], desc: str, total: int | None = None) -> Iterable[Any]:
    """tqdm on stderr when available, else the plain iterable."""
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover
        return iterable
    return tqdm(iterable, desc=desc, total=total, file=sys.stderr, leave=False, mininterval=1.0)


# ---------------------------------------------------------------------------- data


@dataclass
class Dataset:
    """One RecBole atomic data set, in file order."""

    users: npt.NDArray[np.str_]
    items: npt.NDArray[np.str_]
    ratings: npt.NDArray[np.float32] | None
    timestamps: npt.NDArray[np.float64]
    item_features: ItemFeatures | None
    user_features: UserFeatures | None
    name: str

    def interactions(self, mask: npt.NDArray[np.bool_]) -> Interactions:
        return Interactions(
            users=self.users[mask],
            items=self.items[mask],
            timestamps=self.timestamps[mask],
            ratings=None if self.ratings is None else self.ratings[mask],
        )


def _read_atomic(path: Path) -> dict[str, list[str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))
    header = [h.split(":")[0] for h in rows[0]]
    return {name: [r[j] if j < len(r) else "" for r in rows[1:]] for j, name in enumerate(header)}


def _tfidf(docs: Sequence[str], dims: int = 128) -> npt.NDArray[np.float32]:
    """L2-normalized TF-IDF rows (sublinear tf, smooth idf), reduced to ``dims`` by SVD (LSA)."""
    import scipy.sparse as sp
    from scipy.sparse.linalg import svds

    tokenized = [re.findall(r"[\w'-]+", d.lower()) for d in docs]
    vocab: dict[str, int] = {}
    rows, cols, vals = [], [], []
    for r, toks in enumerate(tokenized):
        counts: dict[int, int] = {}
        for t in toks:
            col = vocab.setdefault(t, len(vocab))
            counts[col] = counts.get(col, 0) + 1
        for c, n in counts.items():
            rows.append(r)
            cols.append(c)
            vals.append(1.0 + math.log(n))
    tf = sp.csr_matrix((vals, (rows, cols)), shape=(len(docs), max(len(vocab), 1)))
    df = np.bincount(tf.indices, minlength=tf.shape[1])
    idf = np.log((1 + len(docs)) / (1 + df)) + 1.0
    weighted = sp.csr_matrix(tf @ sp.diags(idf))
    row_norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1))).ravel()
    weighted = sp.csr_matrix(sp.diags(1.0 / np.where(row_norms > 0, row_norms, 1.0)) @ weighted)
    if min(weighted.shape) - 1 > dims:
        u, s, _ = svds(weighted, k=dims, random_state=SEED)
        dense = (u * s).astype(np.float32)
    else:
        dense = np.asarray(weighted.todense(), dtype=np.float32)
    norms = np.linalg.norm(dense, axis=1, keepdims=True)
    return dense / np.where(norms > 0, norms, 1.0)


def _age_band(value: str) -> str:
    try:
        age = int(float(value))
    except ValueError:
        return ""
    for upper, band in ((18, "<18"), (25, "18-24"), (35, "25-34"), (45, "35-44"), (56, "45-55")):
        if age < upper:
            return band
    return "56+"


def load_dataset(directory: Path) -> Dataset:
    """Read ``*.inter`` (and ``*.item`` / ``*.user`` when present) from ``directory``."""
    inter_files = sorted(directory.glob("*.inter"))
    if not inter_files:
        raise SystemExit(f"no *.inter file in {directory}")
    inter = _read_atomic(inter_files[0])
    n = len(inter["user_id"])
    stamps = (
        np.asarray([float(x) for x in inter["timestamp"]])
        if "timestamp" in inter
        else np.arange(n, dtype=float)
    )
    ratings = (
        np.asarray([float(x) for x in inter["rating"]], np.float32) if "rating" in inter else None
    )
    item_features = None
    item_file = inter_files[0].with_suffix(".item")
    if item_file.exists():
        table = _read_atomic(item_file)
        ids = table["item_id"]
        cat_field = next(
            (f for f in ("class", "genre", "genres", "categories", "category") if f in table), None
        )
        title_field = next((f for f in ("movie_title", "title", "name") if f in table), None)
        year_field = next((f for f in ("release_year", "year") if f in table), None)
        categories = (
            {i: table[cat_field][j].split() for j, i in enumerate(ids)} if cat_field else {}
        )
        names = {i: table[title_field][j] for j, i in enumerate(ids)} if title_field else {}
        docs = []
        for j, i in enumerate(ids):
            parts = [names.get(i, "")]
            parts += [f"genre_{c}" for c in categories.get(i, [])] * 2
            year = table[year_field][j] if year_field else ""
            if year.isdigit():
                parts.append(f"decade_{int(year) // 10 * 10}")
            docs.append(" ".join(parts))
        item_features = ItemFeatures(
            ids=ids, vectors=_tfidf(docs), categories=categories, names=names
        )
    user_features = None
    user_file = inter_files[0].with_suffix(".user")
    if user_file.exists():
        table = _read_atomic(user_file)
        attrs = {}
        for name, values in table.items():
            if name in ("user_id", "zip_code"):
                continue
            attrs[name] = [_age_band(v) for v in values] if name == "age" else values
        user_features = UserFeatures(ids=table["user_id"], attributes=attrs)
    return Dataset(
        users=np.asarray(inter["user_id"], dtype=np.str_),
        items=np.asarray(inter["item_id"], dtype=np.str_),
        ratings=ratings,
        timestamps=stamps,
        item_features=item_features,
        user_features=user_features,
        name=inter_files[0].stem,
    )


# -------------------------------------------------------------------------- splits


def _user_codes(users: npt.NDArray[np.str_]) -> npt.NDArray[np.int64]:
    return np.unique(users, return_inverse=True)[1].astype(np.int64)


def random_split(
    users: npt.NDArray[np.str_], ratio: float = 0.75, seed: int = SEED
) -> npt.NDArray[np.bool_]:
    """Protocol 1: True for training rows (microsoft/recommenders ``python_stratified_split``)."""
    codes = _user_codes(users)
    np.random.seed(seed)
    key = np.random.rand(len(codes))
    order = np.lexsort((key, codes))
    counts = np.bincount(codes)
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    rank = np.empty(len(codes), dtype=np.int64)
    rank[order] = np.arange(len(codes)) - starts[codes[order]] + 1
    return rank <= np.round(ratio * counts[codes])


def last_out_split(
    users: npt.NDArray[np.str_], stamps: npt.NDArray[np.float64]
) -> npt.NDArray[np.bool_]:
    """Protocol 2: True for training rows; each user's latest row (ties: later row) is test."""
    codes = _user_codes(users)
    rows = np.arange(len(codes))
    order = np.lexsort((rows, stamps, codes))
    last = order[np.r_[codes[order][1:] != codes[order][:-1], True]]
    train = np.ones(len(codes), dtype=bool)
    train[last] = False
    single = np.bincount(codes)[codes] < 2  # a user with one row has nothing to train on
    train[single] = True
    return train


def sub_mask(parent: npt.NDArray[np.bool_], child: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    """Lift a mask over ``parent``'s True rows back to full length."""
    out = np.zeros(len(parent), dtype=bool)
    out[np.flatnonzero(parent)[child]] = True
    return out


def cold_cut(
    data: Dataset, train: npt.NDArray[np.bool_], protocol: int, seed: int = SEED
) -> tuple[npt.NDArray[np.bool_], set[str]]:
    """Cut a share of users to ``COLD_MAX`` training rows; return the new mask and the cold users."""
    users = np.unique(data.users[train])
    rng = np.random.default_rng(seed)
    chosen = set(
        rng.choice(users, size=max(1, round(COLD_SHARE * len(users))), replace=False).tolist()
    )
    new = train.copy()
    if protocol == 1:
        # Keep the first COLD_MAX of each chosen user's shuffled training rows.
        np.random.seed(seed)
        key = np.random.rand(len(train))
    else:
        key = -(data.timestamps + np.arange(len(train)) * 1e-9)  # latest first
    rows = np.flatnonzero(train & np.isin(data.users, list(chosen)))
    rows = rows[np.lexsort((key[rows], data.users[rows]))]
    user_of = data.users[rows]
    first = np.r_[True, user_of[1:] != user_of[:-1]]
    pos = np.arange(len(rows)) - np.maximum.accumulate(np.where(first, np.arange(len(rows)), 0))
    new[rows[pos >= COLD_MAX]] = False
    counts: dict[str, int] = {}
    for u in data.users[new]:
        counts[u] = counts.get(u, 0) + 1
    cold = {u for u, c in counts.items() if c <= COLD_MAX}
    return new, cold


# ------------------------------------------------------------------------ scoring


def relevant_by_user(data: Dataset, mask: npt.NDArray[np.bool_]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for u, i in zip(data.users[mask].tolist(), data.items[mask].tolist(), strict=True):
        out.setdefault(u, set()).add(i)
    return out


def top_k(
    model: Recommender, users: Sequence[str], k: int = K, batch: int = 256
) -> list[list[str]]:
    """Each user's top-k items (training items excluded), via the batch ``scores`` API."""
    out: list[list[str]] = []
    ids = model.item_ids
    for start in range(0, len(users), batch):
        scores = model.scores(users[start : start + batch])
        kk = min(k, scores.shape[1] - 1)
        part = np.argpartition(-scores, kk, axis=1)[:, :kk]
        for r in range(scores.shape[0]):
            cand = part[r][np.isfinite(scores[r, part[r]])]
            cand = cand[np.lexsort((cand, -scores[r, cand]))]
            out.append([str(ids[j]) for j in cand])
    return out


def evaluate(model: Recommender, relevant: dict[str, set[str]], protocol: int) -> dict[str, float]:
    users = sorted(relevant)
    tops = top_k(model, users)
    pairs = list(zip(tops, (relevant[u] for u in users), strict=True))
    if protocol == 1:
        return {
            "ndcg@10": float(np.mean([ndcg_at_k(t, r, K) for t, r in pairs])),
            "precision@10": float(np.mean([precision_at_k(t, r, K) for t, r in pairs])),
            "recall@10": float(np.mean([recall_at_k(t, r, K) for t, r in pairs])),
            "map": float(np.mean([average_precision_at_k(t, r, K) for t, r in pairs])),
        }
    return {
        "hr@10": float(np.mean([hit_rate_at_k(t, r, K) for t, r in pairs])),
        "ndcg@10": float(np.mean([ndcg_at_k(t, r, K) for t, r in pairs])),
    }


def latency_p95_ms(model: Recommender, users: Sequence[str], n: int) -> float:
    rng = np.random.default_rng(SEED)
    sample = rng.choice(np.asarray(users), size=min(n, len(users)), replace=False)
    times = []
    for u in sample:
        t0 = time.perf_counter()
        model.recommend(str(u), k=K)
        times.append((time.perf_counter() - t0) * 1000.0)
    return float(np.percentile(times, 95))


# ------------------------------------------------------------------------ systems


@dataclass
class Tuned:
    """A system's chosen settings and how it got them."""

    params: dict[str, Any]
    val_ndcg: float
    tried: int
    extra: dict[str, Any] = field(default_factory=dict)


def grids(quick: bool) -> dict[str, list[dict[str, Any]]]:
    """The hyperparameter grids (documented in docs/benchmarks.md)."""
    if quick:
        return {
            "popularity": [{}],
            "itemknn": [{"neighbors": n, "shrink": 0.0} for n in (50, None)],
            "ease": [{"l2": l2} for l2 in (100.0, 400.0)],
            "als": [{"factors": 64, "regularization": r, "alpha": 2.0} for r in (5.0, 20.0)],
            "content": [{"center": c} for c in (False, True)],
            "hybrid_ease": [
                {"l2": 400.0, "session_window_s": None},
                {"l2": 400.0, "session_window_s": 60.0, "session_weight": 2.0},
            ],
            "recency": [None, 600.0],
        }
    return {
        "popularity": [{}],
        "itemknn": [
            {"neighbors": n, "shrink": s} for n in (20, 50, 100, 200, None) for s in (0.0, 10.0)
        ],
        "ease": [{"l2": l2} for l2 in (50.0, 100.0, 200.0, 300.0, 500.0, 800.0, 1200.0)],
        "als": [
            {"factors": 64, "regularization": r, "alpha": a}
            for r in (5.0, 10.0, 20.0, 50.0)
            for a in (1.0, 2.0, 4.0)
        ],
        "content": [{"center": c} for c in (False, True)],
        "hybrid_ease": [
            {"l2": l2, "session_window_s": w, "session_weight": sw}
            for l2 in (200.0, 400.0, 800.0)
            for (w, sw) in ((None, 1.0), (60.0, 1.0), (60.0, 2.0), (600.0, 1.0), (600.0, 2.0))
        ],
        "recency": [None, 600.0, 3600.0, 86400.0],
    }


BUILDERS: dict[str, Callable[..., Recommender]] = {
    "popularity": lambda **p: PopularityRecommender(**p),
    "itemknn": lambda **p: ItemKNNRecommender(**p),
    "ease": lambda **p: EASERecommender(**p),
    "als": lambda **p: ALSRecommender(**p),
    "content": lambda **p: ContentRecommender(**p),
}


def fit_system(
    name: str, params: dict[str, Any], data: Dataset, mask: npt.NDArray[np.bool_]
) -> Recommender:
    model = BUILDERS[name](**params)
    return model.fit(data.interactions(mask), data.item_features, data.user_features)


def tune_baseline(
    name: str,
    grid: list[dict[str, Any]],
    data: Dataset,
    val_train: npt.NDArray[np.bool_],
    val_rel: dict[str, set[str]],
    protocol: int,
) -> Tuned:
    best: Tuned | None = None
    for params in progress(grid, f"p{protocol} tune {name}"):
        if name == "content" and data.item_features is None:
            break
        model = fit_system(name, params, data, val_train)
        score = evaluate(model, val_rel, protocol)["ndcg@10"]
        if best is None or score > best.val_ndcg:
            best = Tuned(params=params, val_ndcg=score, tried=len(grid))
    assert best is not None
    return best


def build_hybrid(
    tuned: dict[str, Tuned],
    ease_params: dict[str, Any],
    data: Dataset,
) -> HybridRecommender:
    components: dict[str, Recommender] = {
        "ease": EASERecommender(**ease_params),
        "als": ALSRecommender(**tuned["als"].params),
        "itemknn": ItemKNNRecommender(**tuned["itemknn"].params),
        "popularity": PopularityRecommender(
            segment_by=tuple(data.user_features.attributes) if data.user_features else ()
        ),
    }
    if data.item_features is not None and data.item_features.vectors is not None:
        components["content"] = ContentRecommender(**tuned["content"].params)
    start = {name: (1.0 if name in ("ease", "als") else 0.0) for name in components}
    return HybridRecommender(components, weights=start, cold_weights=start, cold_start_max=COLD_MAX)


def tune_hybrid(
    tuned: dict[str, Tuned],
    grid: dict[str, list[Any]],
    data: Dataset,
    val_train: npt.NDArray[np.bool_],
    val_mask: npt.NDArray[np.bool_],
    val_rel: dict[str, set[str]],
    protocol: int,
) -> Tuned:
    """Pick the time-aware EASE and recency on validation, then learn the blend weights there."""
    best_ease: tuple[float, dict[str, Any]] | None = None
    for params in progress(grid["hybrid_ease"], f"p{protocol} tune hybrid ease"):
        model = EASERecommender(**params).fit(data.interactions(val_train))
        for half_life in grid["recency"]:
            model.recency_half_life_s = half_life
            score = evaluate(model, val_rel, protocol)["ndcg@10"]
            if best_ease is None or score > best_ease[0]:
                best_ease = (score, {**params, "recency_half_life_s": half_life})
    assert best_ease is not None
    ease_params = best_ease[1]
    # Blend weights: warm customers on the plain validation split; cold ones on a copy
    # of it where a share of the customers is cut to COLD_MAX training rows.
    hybrid = build_hybrid(tuned, ease_params, data).fit(
        data.interactions(val_train), data.item_features, data.user_features
    )
    warm = hybrid.tune_weights(data.interactions(val_mask), k=K)
    cut_train, _ = cold_cut(data, val_train, protocol, seed=SEED + 1)
    cold_hybrid = build_hybrid(tuned, ease_params, data).fit(
        data.interactions(cut_train), data.item_features, data.user_features
    )
    try:
        cold = cold_hybrid.tune_weights(data.interactions(val_mask), k=K, cold=True)
    except ValidationError:  # no cold users in a tiny data set: keep the warm weights
        cold, cold_hybrid.cold_weights = float("nan"), dict(hybrid.weights)
    return Tuned(
        params={"ease": ease_params},
        val_ndcg=warm,
        tried=len(grid["hybrid_ease"]) * len(grid["recency"]),
        extra={
            "weights": hybrid.weights,
            "cold_weights": cold_hybrid.cold_weights,
            "val_ndcg_cold": cold,
        },
    )


def make_final(name: str, tuned: dict[str, Tuned], data: Dataset) -> Recommender:
    if name != "hybrid":
        return BUILDERS[name](**tuned[name].params)
    t = tuned["hybrid"]
    hybrid = build_hybrid(tuned, t.params["ease"], data)
    hybrid.weights = dict(t.extra["weights"])
    hybrid.cold_weights = dict(t.extra["cold_weights"])
    return hybrid


# ---------------------------------------------------------------------------- run


def run_protocol(
    protocol: int,
    data: Dataset,
    systems: Sequence[str],
    quick: bool,
    emit: Callable[[dict[str, Any]], None],
) -> None:
    grid = grids(quick)
    if protocol == 1:
        train = random_split(data.users)
        val_train = sub_mask(train, random_split(data.users[train], seed=SEED + 1))
    else:
        train = last_out_split(data.users, data.timestamps)
        val_train = sub_mask(train, last_out_split(data.users[train], data.timestamps[train]))
    test_mask, val_mask = ~train, train & ~val_train
    test_rel = relevant_by_user(data, test_mask)
    val_rel = relevant_by_user(data, val_mask)
    t0 = time.perf_counter()
    tuned: dict[str, Tuned] = {}
    # The hybrid reuses the baselines' settings, so they are tuned even if not reported.
    needed = [s for s in SYSTEMS if s != "hybrid" and (s in systems or "hybrid" in systems)]
    if data.item_features is None:
        needed = [s for s in needed if s != "content"]
    for name in needed:
        tuned[name] = tune_baseline(name, grid[name], data, val_train, val_rel, protocol)
    if "hybrid" in systems:
        tuned["hybrid"] = tune_hybrid(tuned, grid, data, val_train, val_mask, val_rel, protocol)
    tune_s = time.perf_counter() - t0
    print(f"protocol {protocol}: tuned in {tune_s:.1f} s", file=sys.stderr)

    cut_train, cold_users = cold_cut(data, train, protocol)
    cold_rel = {u: r for u, r in test_rel.items() if u in cold_users}
    n_latency = 50 if quick else 200
    for name in [s for s in systems if s in tuned]:
        model = make_final(name, tuned, data)
        start = time.perf_counter()
        model.fit(data.interactions(train), data.item_features, data.user_features)
        fit_s = time.perf_counter() - start
        metrics = evaluate(model, test_rel, protocol)
        record: dict[str, Any] = {"system": name, "protocol": protocol, **metrics, "fit_s": fit_s}
        record["latency_p95_ms"] = latency_p95_ms(model, sorted(test_rel), n_latency)
        record["n_users"] = len(test_rel)
        record["val_ndcg@10"] = tuned[name].val_ndcg
        record["params"] = tuned[name].params
        if name == "hybrid":
            record["weights"] = tuned[name].extra["weights"]
            record["cold_weights"] = tuned[name].extra["cold_weights"]
        emit(record)
        # Cold start: refit on the cut training set, score the cold users only.
        cold_model = make_final(name, tuned, data)
        start = time.perf_counter()
        cold_model.fit(data.interactions(cut_train), data.item_features, data.user_features)
        cold_fit_s = time.perf_counter() - start
        emit(
            {
                "system": name,
                "protocol": protocol,
                "subset": "cold",
                **evaluate(cold_model, cold_rel, protocol),
                "fit_s": cold_fit_s,
                "n_users": len(cold_rel),
            }
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", type=Path, required=True, help="directory with the RecBole atomic files"
    )
    parser.add_argument("--systems", nargs="+", choices=SYSTEMS, default=list(SYSTEMS))
    parser.add_argument("--protocols", nargs="+", type=int, choices=(1, 2), default=[1, 2])
    parser.add_argument("--quick", action="store_true", help="small grids, fewer latency probes")
    parser.add_argument("--out", type=Path, help="also append the JSON lines to this file")
    args = parser.parse_args(argv)

    data = load_dataset(args.data)
    print(
        f"{data.name}: {len(data.users)} interactions, {len(np.unique(data.users))} users, "
        f"{len(np.unique(data.items))} items",
        file=sys.stderr,
    )

    def emit(record: dict[str, Any]) -> None:
        clean = {k: (round(v, 4) if isinstance(v, float) else v) for k, v in record.items()}
        line = json.dumps(clean, ensure_ascii=False)
        print(line, flush=True)
        if args.out:
            with args.out.open("a", encoding="utf-8") as fh:
                fh.write(line + "\n")

    for protocol in args.protocols:
        run_protocol(protocol, data, args.systems, args.quick, emit)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
