"""The customer's data rights: a JSON export of everything stored, and erasure of all of it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select

from bot.profiles._config import ProfileConfig
from bot.profiles._view import SegmentRef, build_view
from bot.store import (
    ConversationMessage,
    Customer,
    Interaction,
    MarketingEvent,
    ProcessedEvent,
    Product,
    Profile,
    Review,
    Segment,
    Store,
    utcnow,
)

EXPORT_FORMAT = "ipm-customer-export/1"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def export_customer(
    store: Store, sender_id: str, config: ProfileConfig | None = None
) -> dict[str, Any] | None:
    """Everything stored about a customer, as JSON-ready data ("export my data").

    Embeddings are summarized (their size), not dumped: they are derived from the texts
    that are included.

    Args:
        store: the store.
        sender_id: the channel's sender id.
        config: for the interest half-life in the profile section.

    Returns:
        The export, or ``None`` for a customer never seen.
    """
    with store.session() as session:
        customer = session.scalars(
            select(Customer).where(Customer.sender_id == sender_id)
        ).one_or_none()
        if customer is None:
            return None
        cid = customer.id
        profile = session.get(Profile, cid)
        segment = (
            session.get(Segment, profile.segment_id) if profile and profile.segment_id else None
        )
        interactions = session.execute(
            select(
                Product.sku,
                Interaction.kind,
                Interaction.value,
                Interaction.occurred_at,
                Interaction.source_event_id,
            )
            .join(Product, Product.id == Interaction.product_id)
            .where(Interaction.customer_id == cid)
            .order_by(Interaction.occurred_at, Interaction.id)
        ).all()
        reviews = session.execute(
            select(Review, Product.sku)
            .outerjoin(Product, Product.id == Review.product_id)
            .where(Review.customer_id == cid)
            .order_by(Review.created_at, Review.id)
        ).all()
        messages = session.scalars(
            select(ConversationMessage)
            .where(ConversationMessage.customer_id == cid)
            .order_by(ConversationMessage.created_at, ConversationMessage.id)
        ).all()
        events = session.execute(
            select(MarketingEvent, Product.sku)
            .outerjoin(Product, Product.id == MarketingEvent.product_id)
            .where(MarketingEvent.customer_id == cid)
            .order_by(MarketingEvent.occurred_at, MarketingEvent.id)
        ).all()
        seg_ref = SegmentRef(segment.id, segment.name_en, segment.name_zh) if segment else None
        view = build_view(customer, profile, seg_ref, config)
        return {
            "format": EXPORT_FORMAT,
            "exported_at": utcnow().isoformat(),
            "customer": {
                "sender_id": customer.sender_id,
                "locale": customer.locale,
                "marketing_consent": customer.marketing_consent,
                "consent_updated_at": _iso(customer.consent_updated_at),
                "attributes": dict(customer.attributes or {}),
                "created_at": _iso(customer.created_at),
            },
            "profile": {
                "interests": view.interests,
                "category_sentiment": {
                    k: {"mean": o.mean, "count": o.count}
                    for k, o in view.category_sentiment.items()
                },
                "aspect_sentiment": {
                    k: {"mean": o.mean, "count": o.count} for k, o in view.aspect_sentiment.items()
                },
                "counts": view.counts,
                "total_spend": view.total_spend,
                "text_vector": (
                    {
                        "dimensions": int(view.text_vector.shape[0]),
                        "texts": view.text_count,
                        "encoder": view.encoder_name,
                    }
                    if view.text_vector is not None
                    else None
                ),
                "segment": {"name_en": segment.name_en, "name_zh": segment.name_zh}
                if segment
                else None,
                "last_event_at": _iso(view.last_event_at),
            },
            "interactions": [
                {"sku": sku, "kind": kind, "value": value, "occurred_at": _iso(at), "event_id": eid}
                for sku, kind, value, at, eid in interactions
            ],
            "reviews": [
                {
                    "id": r.external_id,
                    "sku": sku,
                    "text": r.text,
                    "language": r.language,
                    "rating": r.rating,
                    "sentiment": r.sentiment_label,
                    "aspects": dict(r.aspects or {}),
                    "created_at": _iso(r.created_at),
                }
                for r, sku in reviews
            ],
            "messages": [
                {
                    "event_id": m.event_id,
                    "text": m.text,
                    "language": m.language,
                    "intent": m.intent,
                    "sentiment": m.sentiment_score,
                    "aspects": dict(m.aspects or {}),
                    "categories": list(m.categories or []),
                    "created_at": _iso(m.created_at),
                }
                for m in messages
            ],
            "events": [
                {
                    "kind": e.kind,
                    "experiment": e.experiment,
                    "variant": e.variant,
                    "sku": sku,
                    "value": e.value,
                    "payload": dict(e.payload or {}),
                    "occurred_at": _iso(e.occurred_at),
                }
                for e, sku in events
            ],
        }


@dataclass(frozen=True)
class ErasureReport:
    """What an erasure deleted.

    Attributes:
        sender_id: whose data.
        found: whether the customer existed.
        deleted: rows deleted per kind (``profile``, ``interactions``, ``reviews``,
            ``messages``, ``events``, ``processed_events``, ``customer``).
    """

    sender_id: str
    found: bool
    deleted: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """Rows deleted in all."""
        return sum(self.deleted.values())


def erase_customer(store: Store, sender_id: str) -> ErasureReport:
    """Delete everything stored about a customer, in one transaction ("delete my data").

    Deletes the profile, interactions, reviews, conversation messages, marketing and
    experiment events, processed-event ids and the customer row itself. Erasing an unknown
    customer deletes nothing and says so. (Rasa's tracker store is erased by the action
    that calls this.)

    Args:
        store: the store.
        sender_id: the channel's sender id.

    Returns:
        The counts of what was deleted.
    """
    with store.session() as session:
        cid = session.scalar(select(Customer.id).where(Customer.sender_id == sender_id))
        if cid is None:
            return ErasureReport(sender_id=sender_id, found=False)
        deleted: dict[str, int] = {}
        for name, model in (
            ("events", MarketingEvent),
            ("processed_events", ProcessedEvent),
            ("interactions", Interaction),
            ("reviews", Review),
            ("messages", ConversationMessage),
            ("profile", Profile),
        ):
            column = model.__table__.c.customer_id
            result = session.execute(delete(model).where(column == cid))
            deleted[name] = int(getattr(result, "rowcount", 0) or 0)
        result = session.execute(delete(Customer).where(Customer.id == cid))
        deleted["customer"] = int(getattr(result, "rowcount", 0) or 0)
        return ErasureReport(sender_id=sender_id, found=True, deleted=deleted)
