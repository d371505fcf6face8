"""The ORM models: customers, catalog, behaviour, reviews, conversation, profiles, segments, events."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Literal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bot.store._types import BigIntId, JSONType, UTCDateTime, utcnow

#: Deterministic constraint names, so migrations (and SQLite batch mode) can address them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Domain = Literal["shop", "bank"]
InteractionKind = Literal["view", "click", "cart", "purchase", "rating"]
EventKind = Literal["recommendation_shown", "promotion_shown", "conversion", "experiment_exposure"]

DOMAINS: tuple[str, ...] = ("shop", "bank")
INTERACTION_KINDS: tuple[str, ...] = ("view", "click", "cart", "purchase", "rating")
EVENT_KINDS: tuple[str, ...] = (
    "recommendation_shown",
    "promotion_shown",
    "conversion",
    "experiment_exposure",
)


class Base(DeclarativeBase):
    """Declarative base of every ipm-bot table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSONType,
        list[str]: JSONType,
    }


class Customer(Base):
    """A person, keyed by the channel's sender id (Rasa ``sender_id``)."""

    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    sender_id: Mapped[str] = mapped_column(String(255), unique=True)
    locale: Mapped[str] = mapped_column(String(16), default="zh")
    marketing_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_updated_at: Mapped[datetime | None] = mapped_column(nullable=True)
    #: Non-identifying facts used for bank eligibility (age, city, annual income, ...).
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Product(Base):
    """A catalog item of the shop or the bank."""

    __tablename__ = "products"
    __table_args__ = (
        CheckConstraint("domain IN ('shop', 'bank')", name="domain"),
        Index("ix_products_domain_category", "domain", "category"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    domain: Mapped[str] = mapped_column(String(8))
    category: Mapped[str] = mapped_column(String(64))
    name_zh: Mapped[str] = mapped_column(String(255))
    name_en: Mapped[str] = mapped_column(String(255))
    description_zh: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    price: Mapped[float] = mapped_column(Numeric(14, 2, asdecimal=False), default=0.0)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    #: ``None`` means not stock-managed (bank products).
    stock: Mapped[int | None] = mapped_column(Integer, nullable=True)
    brand: Mapped[str | None] = mapped_column(String(128), nullable=True)
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: Bank only: machine-readable eligibility rules (``min_age``, ``min_annual_income``, ...).
    eligibility: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    compliance_zh: Mapped[str | None] = mapped_column(Text, nullable=True)
    compliance_en: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: Bank only: regulator risk rating, ``R1`` (lowest) to ``R5``.
    risk_level: Mapped[str | None] = mapped_column(String(8), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Interaction(Base):
    """One behavioural event: a view, click, add-to-cart, purchase or rating."""

    __tablename__ = "interactions"
    __table_args__ = (
        CheckConstraint("kind IN ('view', 'click', 'cart', 'purchase', 'rating')", name="kind"),
        Index("ix_interactions_customer_occurred", "customer_id", "occurred_at"),
        Index("ix_interactions_product", "product_id"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    customer_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("customers.id", ondelete="CASCADE")
    )
    product_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("products.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    #: Rating (1-5) for ``rating``; amount paid for ``purchase``; quantity for ``cart``.
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: The id of the event this row came from (import row key or Rasa event), for idempotency.
    source_event_id: Mapped[str | None] = mapped_column(String(191), unique=True, nullable=True)


class Review(Base):
    """A written review; ``text`` is stored already redacted."""

    __tablename__ = "reviews"
    __table_args__ = (
        Index("ix_reviews_customer_created", "customer_id", "created_at"),
        Index("ix_reviews_product", "product_id"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    external_id: Mapped[str | None] = mapped_column(String(191), unique=True, nullable=True)
    customer_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("customers.id", ondelete="CASCADE")
    )
    product_id: Mapped[int | None] = mapped_column(
        BigIntId, ForeignKey("products.id", ondelete="SET NULL"), nullable=True
    )
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(8), nullable=True)
    rating: Mapped[int | None] = mapped_column(Integer, nullable=True)
    sentiment_label: Mapped[str | None] = mapped_column(String(16), nullable=True)
    #: In [-1, 1].
    sentiment_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    #: ``{aspect: score in [-1, 1]}``, e.g. ``{"delivery": -1.0}``.
    aspects: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: float32 embedding of ``text`` by the shared encoder (``None`` if not yet encoded).
    embedding: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ConversationMessage(Base):
    """A customer's chat message as understood by the NLU; ``text`` is stored redacted."""

    __tablename__ = "conversation_messages"
    __table_args__ = (
        Index("ix_conversation_messages_customer_created", "customer_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    customer_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("customers.id", ondelete="CASCADE")
    )
    #: The Rasa event id (or another id unique per message), for idempotency.
    event_id: Mapped[str | None] = mapped_column(String(191), unique=True, nullable=True)
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(8), nullable=True)
    intent: Mapped[str | None] = mapped_column(String(128), nullable=True)
    sentiment_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    aspects: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: Catalog categories the message asked about.
    categories: Mapped[list[str]] = mapped_column(default=list)
    embedding: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Segment(Base):
    """A named customer segment from the last ``ipm segments build``."""

    __tablename__ = "segments"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    name_en: Mapped[str] = mapped_column(String(255))
    name_zh: Mapped[str] = mapped_column(String(255))
    description_en: Mapped[str] = mapped_column(Text, default="")
    description_zh: Mapped[str] = mapped_column(Text, default="")
    size: Mapped[int] = mapped_column(Integer, default=0)
    #: Member statistics the description was computed from (top categories, sentiment, spend).
    stats: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: float32 cluster centre in the feature space described by ``stats["features"]``.
    centroid: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Profile(Base):
    """The running aggregate of what is known about one customer; updated live, O(1) per event.

    Decayed quantities are stored relative to a reference time (``*_ref_at``): an event at
    ``t`` contributes ``2 ** (-(ref - t) / half_life)``; moving the reference forward rescales
    the stored sums once, so an update never needs the history.
    """

    __tablename__ = "profiles"

    customer_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    #: Bumped on every write; also SQLAlchemy's optimistic-concurrency check.
    version: Mapped[int] = mapped_column(Integer, default=0)
    #: float64 recency-weighted sum of text embeddings at ``text_ref_at``.
    text_sum: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    text_weight: Mapped[float] = mapped_column(Float, default=0.0)
    text_count: Mapped[int] = mapped_column(Integer, default=0)
    text_ref_at: Mapped[datetime | None] = mapped_column(nullable=True)
    encoder_name: Mapped[str | None] = mapped_column(String(128), nullable=True)
    #: ``{category: decayed weight at interest_ref_at}``.
    interests: Mapped[dict[str, Any]] = mapped_column(default=dict)
    interest_ref_at: Mapped[datetime | None] = mapped_column(nullable=True)
    #: ``{category: {"n": count, "mean": score}}`` (running means, scores in [-1, 1]).
    category_sentiment: Mapped[dict[str, Any]] = mapped_column(default=dict)
    aspect_sentiment: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: ``{"message": n, "review": n, "view": n, ...}``.
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    total_spend: Mapped[float] = mapped_column(Float, default=0.0)
    segment_id: Mapped[int | None] = mapped_column(
        BigIntId, ForeignKey("segments.id", ondelete="SET NULL"), nullable=True
    )
    last_event_at: Mapped[datetime | None] = mapped_column(nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __mapper_args__ = {"version_id_col": version}


class ProcessedEvent(Base):
    """Ids of live events already applied, so a redelivered event never counts twice."""

    __tablename__ = "processed_events"

    event_key: Mapped[str] = mapped_column(String(255), primary_key=True)
    customer_id: Mapped[int | None] = mapped_column(
        BigIntId, ForeignKey("customers.id", ondelete="CASCADE"), nullable=True, index=True
    )
    processed_at: Mapped[datetime] = mapped_column(default=utcnow)


class MarketingEvent(Base):
    """Recommendation/promotion shown, conversion, experiment exposure (for later issues)."""

    __tablename__ = "marketing_events"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('recommendation_shown', 'promotion_shown', 'conversion', "
            "'experiment_exposure')",
            name="kind",
        ),
        Index("ix_marketing_events_customer_occurred", "customer_id", "occurred_at"),
        Index("ix_marketing_events_experiment_variant", "experiment", "variant"),
        Index("ix_marketing_events_kind_occurred", "kind", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    customer_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("customers.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(32))
    experiment: Mapped[str | None] = mapped_column(String(128), nullable=True)
    variant: Mapped[str | None] = mapped_column(String(64), nullable=True)
    product_id: Mapped[int | None] = mapped_column(
        BigIntId, ForeignKey("products.id", ondelete="SET NULL"), nullable=True
    )
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    event_id: Mapped[str | None] = mapped_column(String(191), unique=True, nullable=True)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)


class GeneratedText(Base):
    """A validated LLM text kept for reuse: the key is the digest of everything it depends on.

    Written when a draft passes the guardrails (live, after a deadline, or by the pre-write
    job), read before the LLM is asked again, by every server process and after restarts.
    A text is never served after ``expires_at`` (the campaign's end, or a time to live).
    """

    __tablename__ = "generated_texts"
    __table_args__ = (
        Index("ix_generated_texts_expires_at", "expires_at"),
        Index("ix_generated_texts_sku", "sku"),
    )

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(8))
    sku: Mapped[str | None] = mapped_column(String(64), nullable=True)
    campaign_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    variant: Mapped[str | None] = mapped_column(String(64), nullable=True)
    style: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    backend: Mapped[str] = mapped_column(String(32))
    model: Mapped[str | None] = mapped_column(String(255), nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
