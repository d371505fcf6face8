"""The SQL store: models, Alembic migrations, and a session-per-unit-of-work ``Store``.

Example:
    >>> from bot.store import open_store, Customer
    >>> store = open_store("sqlite:///:memory:")
    >>> with store.session() as session:
    ...     session.add(Customer(sender_id="alice", locale="en"))
    >>> with store.session() as session:
    ...     session.query(Customer).count()
    1
"""

from __future__ import annotations

from bot.store._migrate import current_revision, upgrade_engine
from bot.store._models import (
    DOMAINS,
    EVENT_KINDS,
    INTERACTION_KINDS,
    Base,
    ConversationMessage,
    Customer,
    Domain,
    EventKind,
    GeneratedText,
    Interaction,
    InteractionKind,
    MarketingEvent,
    ProcessedEvent,
    Product,
    Profile,
    Review,
    Segment,
)
from bot.store._store import StaleWriteError, Store, create_store_engine, open_store
from bot.store._types import utcnow

__all__ = [
    "DOMAINS",
    "EVENT_KINDS",
    "INTERACTION_KINDS",
    "Base",
    "ConversationMessage",
    "Customer",
    "Domain",
    "EventKind",
    "GeneratedText",
    "Interaction",
    "InteractionKind",
    "MarketingEvent",
    "ProcessedEvent",
    "Product",
    "Profile",
    "Review",
    "Segment",
    "StaleWriteError",
    "Store",
    "create_store_engine",
    "current_revision",
    "open_store",
    "upgrade_engine",
    "utcnow",
]
