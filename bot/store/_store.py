"""The ``Store``: one engine per database URL, a session per unit of work, errors translated."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Engine, Table, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.pool import StaticPool
from sqlalchemy.sql.dml import Insert

from bot.errors import IPMError, StoreError
from bot.store._models import Base

logger = logging.getLogger(__name__)


class StaleWriteError(StoreError):
    """A row changed under an optimistic-concurrency check; retrying the unit of work is safe."""


#: Seconds after which a pooled server connection is replaced.
POOL_RECYCLE_S = 1800

#: How long a SQLite writer waits for another writer's lock before giving up.
SQLITE_BUSY_TIMEOUT_S = 30.0


class Store:
    """A database of customers, catalog, behaviour and profiles.

    Create it with :func:`open_store`; use :meth:`session` for each unit of work.

    Args:
        engine: the SQLAlchemy engine (owned by the store; :meth:`close` disposes it).

    Example:
        >>> store = open_store("sqlite:///var/ipm.db")        # doctest: +SKIP
        >>> with store.session() as session:                  # doctest: +SKIP
        ...     session.add(Customer(sender_id="alice"))
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @property
    def url(self) -> str:
        """The database URL, password hidden."""
        return self.engine.url.render_as_string(hide_password=True)

    @property
    def dialect(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One unit of work: commits when the block ends, rolls back if it raises.

        Database errors are translated into :class:`~bot.errors.StoreError`; the project's
        own errors raised inside the block pass through unchanged.

        Yields:
            A new session (objects stay readable after the commit).
        """
        session = self._sessions()
        try:
            yield session
            session.commit()
        except IPMError:
            session.rollback()
            raise
        except StaleDataError as exc:
            session.rollback()
            raise StaleWriteError(f"concurrent update: {exc}") from exc
        except SQLAlchemyError as exc:
            session.rollback()
            raise StoreError(f"database error: {_short(exc)}") from exc
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def upsert(
        self,
        model: type[Base],
        keys: Sequence[str],
        update: Sequence[str],
    ) -> Insert:
        """An ``INSERT ... ON CONFLICT (keys) DO UPDATE SET update=excluded.update`` statement.

        Execute it with a list of row mappings (``session.execute(stmt, rows)``).

        Args:
            model: the mapped class.
            keys: the columns of the unique constraint rows are matched on.
            update: the columns overwritten when a row already exists.

        Returns:
            The statement.
        """
        stmt = self._insert(model)
        excluded = stmt.excluded
        upsert: Insert = stmt.on_conflict_do_update(
            index_elements=list(keys), set_={name: excluded[name] for name in update}
        )
        return upsert

    def insert_ignore(self, model: type[Base], keys: Sequence[str]) -> Insert:
        """An ``INSERT ... ON CONFLICT (keys) DO NOTHING`` to execute with a list of rows.

        Args:
            model: the mapped class.
            keys: the columns of the unique constraint to test.

        Returns:
            The statement.
        """
        ignore: Insert = self._insert(model).on_conflict_do_nothing(index_elements=list(keys))
        return ignore

    def _insert(self, model: type[Base]) -> Any:
        # On the Table, not the mapped class: a list of rows then runs as one Core
        # executemany instead of the ORM's bulk path, which splits batches wherever a
        # row's None values differ.
        table: Table = cast(Table, model.__table__)
        if self.dialect == "postgresql":
            return postgresql.insert(table)
        if self.dialect == "sqlite":
            return sqlite.insert(table)
        raise StoreError(f"unsupported database {self.dialect!r} (use SQLite or PostgreSQL)")

    def close(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def create_store_engine(url: str, *, echo: bool = False) -> Engine:
    """Create an engine tuned for the backend (SQLite: WAL, busy timeout, foreign keys).

    Args:
        url: a SQLAlchemy URL, e.g. ``sqlite:///var/ipm.db`` or
            ``postgresql+psycopg://user@host/db``.
        echo: log every statement.

    Returns:
        The engine (no connection is opened yet).

    Raises:
        StoreError: the URL is malformed or names a driver that is not installed.
    """
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StoreError(f"invalid database URL: {exc}") from exc
    kwargs: dict[str, Any] = {"echo": echo, "future": True}
    is_sqlite = parsed.get_backend_name() == "sqlite"
    if is_sqlite:
        database = parsed.database or ""
        in_memory = database in ("", ":memory:") or database.startswith("file::memory:")
        kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False}
        if in_memory:
            # Every connection to ":memory:" is a new, empty database: share one.
            kwargs["poolclass"] = StaticPool
        else:
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    else:
        # No pre-ping: it would add a round trip to every unit of work (the per-turn profile
        # read is one query). Connections are recycled instead, and after a server restart
        # the first failing call invalidates the whole pool.
        kwargs["pool_recycle"] = POOL_RECYCLE_S
    try:
        engine = create_engine(parsed, **kwargs)
    except (ArgumentError, ImportError) as exc:
        raise StoreError(f"cannot create a database engine for {parsed!r}: {exc}") from exc
    if is_sqlite:
        event.listen(engine, "connect", _configure_sqlite_connection)
    return engine


def _configure_sqlite_connection(dbapi_connection: Any, connection_record: Any) -> None:
    # PRAGMAs have no SQLAlchemy construct. Foreign keys are off by default in SQLite;
    # WAL lets profile reads run while a writer holds the lock.
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def open_store(url: str | None = None, *, migrate: bool = True, echo: bool = False) -> Store:
    """Open the database at ``url`` and bring its schema to the newest migration.

    Args:
        url: a SQLAlchemy URL; ``None`` reads ``Settings().database.url``.
        migrate: run Alembic migrations to head first (idempotent, cheap when up to date).
        echo: log every statement.

    Returns:
        The store.

    Raises:
        StoreError: the database cannot be reached or migrated.

    Example:
        >>> store = open_store("sqlite:///var/ipm.db")      # doctest: +SKIP
    """
    if url is None:
        from bot.settings import Settings

        settings = Settings()
        url = settings.database.url
        echo = echo or settings.database.echo
    engine = create_store_engine(url, echo=echo)
    if migrate:
        from bot.store._migrate import upgrade_engine

        try:
            upgrade_engine(engine)
        except BaseException:
            engine.dispose()
            raise
    return Store(engine)


def _short(exc: SQLAlchemyError) -> str:
    text = str(getattr(exc, "orig", None) or exc)
    return text.splitlines()[0] if text else type(exc).__name__
