"""Runs the Alembic migrations in ``bot/store/migrations`` programmatically (no alembic.ini)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from bot.errors import StoreError

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(engine: Engine | None = None) -> object:
    """An Alembic ``Config`` for the store's migrations.

    Args:
        engine: when given, migrations run on a connection of this engine.

    Returns:
        The ``alembic.config.Config`` (typed loosely to keep alembic out of import time).

    Example:
        A new revision after changing the models (against a database at head)::

            from alembic import command
            config = alembic_config(create_store_engine("sqlite:///var/ipm.db"))
            command.revision(config, message="add column x", autogenerate=True, rev_id="0002")
    """
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if engine is not None:
        config.set_main_option(
            "sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%")
        )
    return config


def upgrade_engine(engine: Engine, revision: str = "head") -> None:
    """Migrate the database behind ``engine`` to ``revision``.

    Args:
        engine: the store's engine.
        revision: target revision, ``"head"`` for the newest.

    Raises:
        StoreError: the database cannot be reached or a migration failed.
    """
    from alembic import command
    from alembic.config import Config
    from alembic.util import CommandError

    config = alembic_config()
    assert isinstance(config, Config)
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    except (SQLAlchemyError, CommandError) as exc:
        raise StoreError(f"database migration failed: {exc}") from exc


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (``None`` before the first migration).

    Args:
        engine: the store's engine.

    Returns:
        The revision id.
    """
    from alembic.runtime.migration import MigrationContext

    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot read the database revision: {exc}") from exc
