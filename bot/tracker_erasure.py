"""Erases a customer's conversation history from Rasa's SQL tracker store ("delete my data")."""

from __future__ import annotations

import logging

from sqlalchemy import MetaData, Table, create_engine, delete, inspect
from sqlalchemy.exc import SQLAlchemyError

from bot.errors import StoreError

logger = logging.getLogger(__name__)


def erase_conversation(url: str, sender_id: str) -> int:
    """Delete every tracker event of ``sender_id`` from the tracker store at ``url``.

    Args:
        url: SQLAlchemy URL of the database behind Rasa's SQL tracker store.
        sender_id: the conversation id (the channel's sender id).

    Returns:
        How many event rows were deleted (0 when the store has no ``events`` table yet).

    Raises:
        StoreError: the database failed.
    """
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            if not inspect(conn).has_table("events"):
                return 0
            events = Table("events", MetaData(), autoload_with=conn)
            result = conn.execute(delete(events).where(events.c.sender_id == sender_id))
            deleted = int(result.rowcount or 0)
    except SQLAlchemyError as exc:
        raise StoreError(f"could not erase the conversation history: {exc.__class__.__name__}") from exc
    finally:
        engine.dispose()
    logger.info("erased %d tracker events of one conversation", deleted)
    return deleted
