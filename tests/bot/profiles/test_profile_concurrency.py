"""Concurrent live updates of one profile lose nothing and never count an event twice."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from bot.profiles import ProfileService
from bot.store import Interaction, ProcessedEvent, Product, Profile, Store, open_store

AT = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
KINDS = ("view", "click", "cart", "purchase")
PRICE = 100.0


def _seed(store: Store) -> None:
    with store.session() as session:
        session.add(
            Product(
                sku="PH-1",
                domain="shop",
                category="phones",
                name_zh="手机",
                name_en="Phone",
                price=PRICE,
                stock=9,
            )
        )


def _hammer(
    store: Store, n_updates: int, n_replays: int, workers: int, prefix: str = "evt"
) -> list[bool]:
    """n_updates distinct events plus n_replays redeliveries of some of them, all at once."""
    profiles = ProfileService(store)
    jobs = [(f"{prefix}-{i}", KINDS[i % 4]) for i in range(n_updates)]
    jobs += [(f"{prefix}-{i}", KINDS[i % 4]) for i in range(0, n_replays * 3, 3)]

    def one(job: tuple[str, str]) -> bool:
        event_id, kind = job
        return profiles.record_interaction("hot", "PH-1", kind, event_id=event_id, at=AT)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(one, jobs))


def _assert_exact(store: Store, n: int) -> None:
    view = ProfileService(store).get_profile("hot")
    assert view is not None
    per_kind = n // 4
    assert view.counts == {k: per_kind for k in KINDS}
    # All events share one timestamp, so no decay: the interest weight is an exact sum.
    raw = sum(ProfileService(store).config.behaviour_weights[k] for k in KINDS) * per_kind
    assert view.total_spend == pytest.approx(per_kind * PRICE)
    assert view.version >= n  # one version bump per applied update
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(Interaction)) == n
        assert session.scalar(select(func.count()).select_from(ProcessedEvent)) == n
        profile = session.scalars(select(Profile)).one()
        assert sum(profile.interests.values()) == pytest.approx(raw, rel=1e-12)


@pytest.mark.postgres
def test_1000_concurrent_updates_of_one_profile_on_postgresql_are_exact(pg_store: Store) -> None:
    _seed(pg_store)
    results = _hammer(pg_store, n_updates=1000, n_replays=200, workers=12)
    assert results.count(True) == 1000
    assert results.count(False) == 200
    _assert_exact(pg_store, 1000)


def _worker(url: str, start: int, count: int) -> int:
    store = open_store(url, migrate=False)
    profiles = ProfileService(store)
    applied = 0
    for i in range(start, start + count):
        # every event is sent twice, by two different processes
        applied += profiles.record_interaction(
            "hot", "PH-1", KINDS[i % 4], event_id=f"mp-{i}", at=AT
        )
    store.close()
    return applied


@pytest.mark.postgres
def test_concurrent_updates_from_several_processes_on_postgresql_are_exact(pg_store: Store) -> None:
    _seed(pg_store)
    url = pg_store.engine.url.render_as_string(hide_password=False)
    ctx = multiprocessing.get_context("spawn")
    # 4 processes; processes 0/1 and 2/3 send the same 100 events each: 200 distinct, 400 sent.
    with ctx.Pool(4) as pool:
        applied = pool.starmap(
            _worker, [(url, 0, 100), (url, 0, 100), (url, 100, 100), (url, 100, 100)]
        )
    assert sum(applied) == 200
    _assert_exact(pg_store, 200)


def test_concurrent_updates_on_sqlite_are_exact(sqlite_store: Store) -> None:
    _seed(sqlite_store)
    results = _hammer(sqlite_store, n_updates=200, n_replays=40, workers=8)
    assert results.count(True) == 200
    _assert_exact(sqlite_store, 200)
