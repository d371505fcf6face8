"""Fixtures of the bot/ tests: one real encoder per session, real SQLite and PostgreSQL stores."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.schema import CreateSchema, DropSchema

from bot.store import Store, open_store

PG_ENV = "IPM_TEST_POSTGRES_URL"
PG_SKIP_REASON = f"PostgreSQL variant: set {PG_ENV} (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test) to run it"
#: Every schema this test session creates starts with this, so parallel runs never collide.
_SCHEMA_PREFIX = f"ipm_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"


def pg_base_url() -> str | None:
    """The PostgreSQL URL the tests may use, or ``None``."""
    return os.environ.get(PG_ENV) or None


class PgSchemas:
    """Creates a fresh schema per store and drops it again, on one admin engine."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.engine = create_engine(base_url)
        self.count = 0

    def new_url(self) -> tuple[str, str]:
        self.count += 1
        schema = f"{_SCHEMA_PREFIX}_{self.count}"
        with self.engine.begin() as conn:
            conn.execute(CreateSchema(schema))
        url = make_url(self.base_url).update_query_dict({"options": f"-csearch_path={schema}"})
        return url.render_as_string(hide_password=False), schema

    def drop(self, schema: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(DropSchema(schema, cascade=True, if_exists=True))


@pytest.fixture(scope="session")
def pg_schemas() -> Iterator[PgSchemas | None]:
    """Schema factory on the test PostgreSQL server (``None`` when it is not configured)."""
    base = pg_base_url()
    if base is None:
        yield None
        return
    schemas = PgSchemas(base)
    yield schemas
    schemas.engine.dispose()


def _open(kind: str, tmp_path: Path, pg_schemas: PgSchemas | None) -> Iterator[Store]:
    if kind == "sqlite":
        store = open_store(f"sqlite:///{tmp_path / 'ipm.db'}")
        yield store
        store.close()
        return
    if pg_schemas is None:
        pytest.skip(PG_SKIP_REASON)
    url, schema = pg_schemas.new_url()
    store = open_store(url)
    try:
        yield store
    finally:
        store.close()
        pg_schemas.drop(schema)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(
    request: pytest.FixtureRequest, tmp_path: Path, pg_schemas: PgSchemas | None
) -> Iterator[Store]:
    """An empty, migrated store: once on SQLite (a file in tmp_path), once on PostgreSQL."""
    yield from _open(request.param, tmp_path, pg_schemas)


@pytest.fixture
def pg_store(tmp_path: Path, pg_schemas: PgSchemas | None) -> Iterator[Store]:
    """An empty, migrated PostgreSQL store in its own schema (skips without PostgreSQL)."""
    yield from _open("postgresql", tmp_path, pg_schemas)


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    """An empty, migrated SQLite store in tmp_path."""
    yield from _open("sqlite", tmp_path, None)
