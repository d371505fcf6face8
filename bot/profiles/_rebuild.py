"""Recomputes profiles from the stored rows (after a bulk import, or to apply new settings)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.profiles._aggregate import unpack_vector
from bot.profiles._builder import fold_interaction, fold_message, fold_review, reset_profile
from bot.profiles._config import ProfileConfig
from bot.store import (
    ConversationMessage,
    Customer,
    Interaction,
    Product,
    Profile,
    Review,
    Store,
    utcnow,
)

#: Customers recomputed per batch of queries.
CHUNK = 500


def rebuild_profiles(
    store: Store,
    customer_ids: Sequence[int] | None = None,
    *,
    config: ProfileConfig | None = None,
    encoder_name: str | None = None,
    session: Session | None = None,
) -> int:
    """Recompute profiles from interactions, reviews and messages.

    The result equals what live updates would have produced from the same events, in any
    order. Texts without a stored embedding do not move the text vector.

    Args:
        store: the store.
        customer_ids: database ids of the customers to rebuild (default: everyone).
        config: decay and weight settings.
        encoder_name: the encoder the stored embeddings came from (default: keep the
            profile's).
        session: run inside this unit of work instead of a new one (the importer's
            single transaction).

    Returns:
        How many profiles were rebuilt.
    """
    cfg = config or ProfileConfig()
    if session is None:
        with store.session() as own:
            return _rebuild(store, own, customer_ids, cfg, encoder_name)
    return _rebuild(store, session, customer_ids, cfg, encoder_name)


def _rebuild(
    store: Store,
    session: Session,
    customer_ids: Sequence[int] | None,
    cfg: ProfileConfig,
    encoder_name: str | None,
) -> int:
    ids = (
        list(customer_ids)
        if customer_ids is not None
        else list(session.scalars(select(Customer.id)))
    )
    done = 0
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        done += _rebuild_chunk(store, session, chunk, cfg, encoder_name)
    return done


def _rebuild_chunk(
    store: Store, session: Session, chunk: list[int], cfg: ProfileConfig, encoder_name: str | None
) -> int:
    # (time, order, kind, payload): folded in time order so an encoder switch restarts cleanly.
    events: dict[int, list[tuple[datetime, int, str, Any]]] = defaultdict(list)
    for cid, kind, value, at, category, price, domain in session.execute(
        select(
            Interaction.customer_id,
            Interaction.kind,
            Interaction.value,
            Interaction.occurred_at,
            Product.category,
            Product.price,
            Product.domain,
        )
        .join(Product, Product.id == Interaction.product_id)
        .where(Interaction.customer_id.in_(chunk))
    ):
        events[cid].append((at, 0, "interaction", (kind, value, category, float(price), domain)))
    for cid, at, emb, score, aspects, category in session.execute(
        select(
            Review.customer_id,
            Review.created_at,
            Review.embedding,
            Review.sentiment_score,
            Review.aspects,
            Product.category,
        )
        .outerjoin(Product, Product.id == Review.product_id)
        .where(Review.customer_id.in_(chunk))
    ):
        events[cid].append((at, 1, "review", (emb, score, aspects, category)))
    for cid, at, emb, score, aspects, categories, intent in session.execute(
        select(
            ConversationMessage.customer_id,
            ConversationMessage.created_at,
            ConversationMessage.embedding,
            ConversationMessage.sentiment_score,
            ConversationMessage.aspects,
            ConversationMessage.categories,
            ConversationMessage.intent,
        ).where(ConversationMessage.customer_id.in_(chunk))
    ):
        events[cid].append((at, 2, "message", (emb, score, aspects, categories, intent)))

    now = utcnow()
    session.execute(
        store.insert_ignore(Profile, ["customer_id"]),
        [
            {
                "customer_id": cid,
                "version": 1,
                "text_weight": 0.0,
                "text_count": 0,
                "interests": {},
                "category_sentiment": {},
                "aspect_sentiment": {},
                "counts": {},
                "total_spend": 0.0,
                "created_at": now,
                "updated_at": now,
            }
            for cid in chunk
        ],
    )
    stmt = select(Profile).where(Profile.customer_id.in_(chunk))
    if store.dialect == "postgresql":
        stmt = stmt.with_for_update()
    for profile in session.scalars(stmt):
        name = encoder_name or profile.encoder_name
        reset_profile(profile)
        for at, _, kind, payload in sorted(
            events.get(profile.customer_id, ()), key=lambda e: (e[0], e[1])
        ):
            if kind == "interaction":
                ikind, value, category, price, domain = payload
                fold_interaction(
                    profile,
                    at=at,
                    kind=ikind,
                    category=category,
                    value=value,
                    price=price,
                    config=cfg,
                    domain=domain,
                )
            elif kind == "review":
                emb, score, aspects, category = payload
                fold_review(
                    profile,
                    at=at,
                    embedding=_vector(emb),
                    encoder_name=name,
                    sentiment=score,
                    aspects=dict(aspects or {}),
                    category=category,
                    config=cfg,
                )
            else:
                emb, score, aspects, categories, intent = payload
                fold_message(
                    profile,
                    at=at,
                    embedding=_vector(emb),
                    encoder_name=name,
                    sentiment=score,
                    aspects=dict(aspects or {}),
                    categories=list(categories or []),
                    config=cfg,
                    intent=intent,
                )
        profile.updated_at = now
    session.flush()
    return len(chunk)


def _vector(data: bytes | None) -> np.ndarray[Any, np.dtype[np.float32]] | None:
    vec = unpack_vector(data, np.float32)
    return None if vec is None else vec.astype(np.float32)
