"""The store's schema comes from Alembic migrations and behaves the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select

from bot.errors import StoreError
from bot.store import Base, Customer, Product, Store, current_revision, open_store, upgrade_engine

TABLES = {
    "customers",
    "products",
    "interactions",
    "reviews",
    "conversation_messages",
    "profiles",
    "segments",
    "processed_events",
    "marketing_events",
    "generated_texts",
}


def test_migrations_create_every_table_and_match_the_models(store: Store) -> None:
    assert set(inspect(store.engine).get_table_names()) >= TABLES
    assert current_revision(store.engine) == "0002"
    with store.engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
        )
    assert diff == [], f"models and migrations differ: {diff}"


def test_migrations_downgrade_and_upgrade_again(store: Store) -> None:
    upgrade_engine(store.engine, "head")  # already there: a no-op
    from alembic import command
    from alembic.config import Config

    from bot.store._migrate import alembic_config

    config = alembic_config()
    assert isinstance(config, Config)
    with store.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "base")
    assert not TABLES & set(inspect(store.engine).get_table_names())
    upgrade_engine(store.engine)
    assert set(inspect(store.engine).get_table_names()) >= TABLES


def test_a_failed_unit_of_work_writes_nothing_and_raises_store_error(store: Store) -> None:
    with store.session() as session:
        session.add(Customer(sender_id="dup"))
    with pytest.raises(StoreError), store.session() as session:
        session.add(Customer(sender_id="other"))
        session.flush()
        session.add(Customer(sender_id="dup"))
    with store.session() as session:
        assert sorted(session.scalars(select(Customer.sender_id))) == ["dup"]


def test_datetimes_come_back_timezone_aware_utc(store: Store) -> None:
    shanghai = timezone(timedelta(hours=8))
    when = datetime(2025, 3, 1, 20, 30, tzinfo=shanghai)
    with store.session() as session:
        session.add(Customer(sender_id="tz", consent_updated_at=when))
    with store.session() as session:
        stored = session.scalars(select(Customer.consent_updated_at)).one()
    assert stored is not None and stored.utcoffset() == timedelta(0)
    assert stored == when


def test_json_and_check_constraints(store: Store) -> None:
    with store.session() as session:
        session.add(
            Product(
                sku="B-1",
                domain="bank",
                category="loan",
                name_zh="贷款",
                name_en="Loan",
                eligibility={"min_age": 18},
                attributes={"apr": [3.5, 18.0]},
            )
        )
    with store.session() as session:
        product = session.scalars(select(Product)).one()
        assert product.eligibility == {"min_age": 18}
        assert product.attributes == {"apr": [3.5, 18.0]}
    with pytest.raises(StoreError), store.session() as session:
        session.add(Product(sku="X", domain="casino", category="x", name_zh="x", name_en="x"))


def test_reopening_keeps_the_data(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'a.db'}"
    first = open_store(url)
    with first.session() as session:
        session.add(Customer(sender_id="kept"))
    first.close()
    second = open_store(url)
    with second.session() as session:
        assert session.scalars(select(Customer.sender_id)).one() == "kept"
    second.close()


def test_in_memory_sqlite_shares_one_database() -> None:
    store = open_store("sqlite://")
    with store.session() as session:
        session.add(Customer(sender_id="m"))
    with store.session() as session:
        assert session.scalars(select(Customer.sender_id)).one() == "m"
    store.close()


@pytest.mark.parametrize(
    "url",
    ["not a url", "postgresql+psycopg://nobody@127.0.0.1:1/none"],
    ids=["malformed", "unreachable"],
)
def test_bad_database_urls_raise_store_error(url: str) -> None:
    with pytest.raises(StoreError):
        open_store(url)
