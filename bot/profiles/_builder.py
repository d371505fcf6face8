"""Live profile updates: each event is stored and folded into the profile atomically, once."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from bot.catalog import SERVICE_ASPECTS
from bot.encoder import Encoder, same_space
from bot.errors import NotFoundError, StoreError, ValidationError
from bot.privacy import redact
from bot.profiles._aggregate import (
    Aspects,
    Sentiment,
    add_counts,
    add_decayed,
    add_means,
    add_text,
    aspect_scores,
    pack_vector,
    rating_score,
    sentiment_label,
    sentiment_score,
)
from bot.profiles._config import ProfileConfig
from bot.profiles._data_rights import ErasureReport, erase_customer, export_customer
from bot.profiles._view import ProfileView, describe_profile, get_profile, has_marketing_consent
from bot.store import (
    EVENT_KINDS,
    INTERACTION_KINDS,
    ConversationMessage,
    Customer,
    Interaction,
    MarketingEvent,
    ProcessedEvent,
    Product,
    Profile,
    Review,
    Store,
    utcnow,
)
from bot.store._store import StaleWriteError

logger = logging.getLogger(__name__)

DEFAULT_LOCALE = "zh"


# --- folding one event into a Profile row (shared by live updates and rebuilds) -------------


def reset_profile(profile: Profile) -> None:
    """Empty every aggregate of ``profile`` (keeps the customer, segment and version)."""
    profile.text_sum = None
    profile.text_weight = 0.0
    profile.text_count = 0
    profile.text_ref_at = None
    profile.encoder_name = None
    profile.interests = {}
    profile.interest_ref_at = None
    profile.category_sentiment = {}
    profile.aspect_sentiment = {}
    profile.counts = {}
    profile.total_spend = 0.0
    profile.last_event_at = None


def _touch(profile: Profile, at: datetime) -> None:
    if profile.last_event_at is None or at > profile.last_event_at:
        profile.last_event_at = at


def _fold_text(
    profile: Profile,
    at: datetime,
    embedding: npt.NDArray[np.float32] | None,
    encoder_name: str | None,
    config: ProfileConfig,
) -> None:
    if embedding is None:
        return
    if profile.encoder_name and encoder_name and not same_space(profile.encoder_name, encoder_name):
        # Vectors of different encoders live in different spaces: start the mean afresh.
        logger.warning(
            "profile %s: encoder changed from %s to %s, text vector restarted",
            profile.customer_id,
            profile.encoder_name,
            encoder_name,
        )
        profile.text_sum, profile.text_weight, profile.text_count, profile.text_ref_at = (
            None,
            0.0,
            0,
            None,
        )
    profile.text_sum, profile.text_weight, profile.text_ref_at = add_text(
        profile.text_sum,
        profile.text_weight,
        profile.text_ref_at,
        at,
        embedding,
        config.text_half_life_s,
    )
    profile.text_count = (profile.text_count or 0) + 1
    profile.encoder_name = encoder_name or profile.encoder_name


def _fold_interest(
    profile: Profile, at: datetime, weights: Mapping[str, float], config: ProfileConfig
) -> None:
    if not weights:
        return
    profile.interests, profile.interest_ref_at = add_decayed(
        profile.interests or {}, profile.interest_ref_at, at, weights, config.half_life_s
    )


def category_score(sentiment: float | None, aspects: Mapping[str, float]) -> float | None:
    """The sentiment a message or review expresses about the product category it concerns.

    Without aspects, the overall sentiment. With aspects, the mean of the product aspects
    (quality, battery, ...) only: in "great phone, but the delivery took two weeks" the
    complaint is about the delivery, not about phones (service aspects such as delivery,
    packaging or fees say nothing about the category).

    Args:
        sentiment: overall score, if known.
        aspects: ``{aspect: score}``.

    Returns:
        The score, or ``None`` when the text says nothing about the product itself.
    """
    if not aspects:
        return sentiment
    product = [score for aspect, score in aspects.items() if aspect not in SERVICE_ASPECTS]
    return sum(product) / len(product) if product else None


def fold_message(
    profile: Profile,
    *,
    at: datetime,
    embedding: npt.NDArray[np.float32] | None,
    encoder_name: str | None,
    sentiment: float | None,
    aspects: Mapping[str, float],
    categories: Sequence[str],
    config: ProfileConfig,
    intent: str | None = None,
) -> None:
    """Fold one chat message into ``profile``.

    The categories it mentions gain interest and, unless ``intent`` is one of
    ``config.request_intents``, the sentiment from :func:`category_score`.
    """
    profile.counts = add_counts(profile.counts or {}, "message")
    _fold_text(profile, at, embedding, encoder_name, config)
    _fold_interest(profile, at, {c: config.chat_weight for c in categories}, config)
    score = category_score(sentiment, aspects)
    if score is not None and categories and intent not in config.request_intents:
        profile.category_sentiment = add_means(
            profile.category_sentiment or {}, {c: score for c in categories}
        )
    if aspects:
        profile.aspect_sentiment = add_means(profile.aspect_sentiment or {}, aspects)
    _touch(profile, at)


def fold_review(
    profile: Profile,
    *,
    at: datetime,
    embedding: npt.NDArray[np.float32] | None,
    encoder_name: str | None,
    sentiment: float | None,
    aspects: Mapping[str, float],
    category: str | None,
    config: ProfileConfig,
) -> None:
    """Fold one review into ``profile`` (text vector, category and aspect sentiment)."""
    profile.counts = add_counts(profile.counts or {}, "review")
    _fold_text(profile, at, embedding, encoder_name, config)
    score = category_score(sentiment, aspects)
    if score is not None and category:
        profile.category_sentiment = add_means(profile.category_sentiment or {}, {category: score})
    if aspects:
        profile.aspect_sentiment = add_means(profile.aspect_sentiment or {}, aspects)
    _touch(profile, at)


def fold_interaction(
    profile: Profile,
    *,
    at: datetime,
    kind: str,
    category: str,
    value: float | None,
    price: float,
    config: ProfileConfig,
    domain: str = "shop",
) -> None:
    """Fold one behavioural event into ``profile`` (interest, counts, spend, rating sentiment).

    Spend counts shop purchases only: a bank "purchase" opens an account or a loan, and
    its amount is not money spent.
    """
    profile.counts = add_counts(profile.counts or {}, kind)
    _fold_interest(profile, at, {category: config.behaviour_weights.get(kind, 0.0)}, config)
    if kind == "purchase" and domain == "shop":
        profile.total_spend = (profile.total_spend or 0.0) + (value if value is not None else price)
    elif kind == "rating" and value is not None:
        profile.category_sentiment = add_means(
            profile.category_sentiment or {}, {category: rating_score(value)}
        )
    _touch(profile, at)


# --- row helpers ---------------------------------------------------------------------------


def ensure_customer(
    store: Store, session: Session, sender_id: str, locale: str | None = None
) -> int:
    """The id of the customer with ``sender_id``, created (with ``locale``) if new.

    Args:
        store: the store (for its dialect's insert).
        session: the unit of work.
        sender_id: the channel's sender id.
        locale: locale of a new customer.

    Returns:
        The customer's database id.
    """
    stmt = select(Customer.id).where(Customer.sender_id == sender_id)
    customer_id = session.scalar(stmt)
    if customer_id is None:
        now = utcnow()
        session.execute(
            store.insert_ignore(Customer, ["sender_id"]).values(
                sender_id=sender_id,
                locale=_locale(locale),
                marketing_consent=False,
                attributes={},
                created_at=now,
                updated_at=now,
            )
        )
        customer_id = session.scalar(stmt)
    if customer_id is None:  # pragma: no cover - the row was just inserted or already there
        raise StoreError(f"could not create customer {sender_id!r}")
    return int(customer_id)


def lock_profile(store: Store, session: Session, customer_id: int) -> Profile:
    """Load (creating if needed) the customer's profile, locked for this unit of work.

    PostgreSQL takes a row lock (``SELECT ... FOR UPDATE``); SQLite's writers are already
    serialized because each unit of work writes before it reads the profile. The version
    column catches anything that slips through either way.

    Args:
        store: the store.
        session: the unit of work.
        customer_id: the customer.

    Returns:
        The profile, attached to ``session``.
    """
    stmt = select(Profile).where(Profile.customer_id == customer_id)
    if store.dialect == "postgresql":
        stmt = stmt.with_for_update()
    profile = session.scalars(stmt).one_or_none()
    if profile is None:
        now = utcnow()
        session.execute(
            store.insert_ignore(Profile, ["customer_id"]).values(
                customer_id=customer_id,
                version=1,
                text_weight=0.0,
                text_count=0,
                interests={},
                category_sentiment={},
                aspect_sentiment={},
                counts={},
                total_spend=0.0,
                created_at=now,
                updated_at=now,
            )
        )
        profile = session.scalars(stmt).one()
    return profile


def _locale(language: str | None) -> str:
    if not language:
        return DEFAULT_LOCALE
    return language.strip()[:16] or DEFAULT_LOCALE


def _clean_categories(categories: Iterable[str] | None) -> list[str]:
    out: list[str] = []
    for c in categories or ():
        c = str(c).strip()
        if c and c not in out:
            out.append(c)
    return out


def _embedding_bytes(vector: npt.NDArray[np.float32] | None) -> bytes | None:
    return None if vector is None else pack_vector(vector, np.float32)


@dataclass(frozen=True)
class _ProductFacts:
    id: int
    category: str
    price: float
    domain: str


# --- the service ---------------------------------------------------------------------------


class ProfileService:
    """Records what customers say and do, and keeps their profiles current.

    Every ``record_*`` method is idempotent on its event id (the same Rasa event never counts
    twice, even when redelivered concurrently) and atomic (the stored row and the profile
    change together or not at all; concurrent updates of one profile lose nothing). Free
    text is redacted before it is stored or embedded.

    Args:
        store: where profiles live.
        encoder: the shared sentence encoder; without one, texts are stored but do not
            move the text vector.
        config: decay and weight settings.

    Example:
        >>> profiles = ProfileService(store, encoder)                    # doctest: +SKIP
        >>> profiles.record_message("alice", "我想买个新手机", "zh", intent="ask_product",
        ...                         categories=["phones"], event_id="evt-1")  # doctest: +SKIP
        True
    """

    def __init__(
        self, store: Store, encoder: Encoder | None = None, config: ProfileConfig | None = None
    ) -> None:
        self.store = store
        self.encoder = encoder
        self.config = config or ProfileConfig()

    # -- writes -------------------------------------------------------------------------

    def record_message(
        self,
        sender_id: str,
        text: str,
        language: str | None = None,
        intent: str | None = None,
        sentiment: Sentiment = None,
        aspects: Aspects = None,
        categories: Sequence[str] | None = None,
        event_id: str | None = None,
        *,
        at: datetime | None = None,
    ) -> bool:
        """Store a chat message and fold it into the sender's profile.

        Args:
            sender_id: the channel's sender id (a new customer is created on first contact,
                with ``language`` as locale).
            text: what the customer wrote (redacted before storing or embedding).
            language: ``"zh"``/``"en"`` as detected by the NLU.
            intent: the NLU intent name.
            sentiment: overall sentiment, a label or a score in [-1, 1].
            aspects: ``{aspect: sentiment}`` or a list of aspects sharing ``sentiment``.
            categories: catalog categories the message asks about.
            event_id: the Rasa event id; a second call with the same id changes nothing.
            at: when it was written (default: now).

        Returns:
            True if recorded, False if ``event_id`` had been recorded before.

        Raises:
            ValidationError: bad sentiment or aspects.
            StoreError: the database failed.
        """
        when = at or utcnow()
        score = sentiment_score(sentiment)
        aspect_map = aspect_scores(aspects, score)
        cats = _clean_categories(categories)
        clean = redact(text or "")
        embedding = self._embed(clean)
        encoder_name = (
            self.encoder.name if self.encoder is not None and embedding is not None else None
        )

        def insert_row(session: Session, customer_id: int) -> bool:
            values: dict[str, Any] = {
                "customer_id": customer_id,
                "event_id": event_id,
                "text": clean,
                "language": language,
                "intent": intent,
                "sentiment_score": score,
                "aspects": aspect_map,
                "categories": cats,
                "embedding": _embedding_bytes(embedding),
                "created_at": when,
            }
            return self._insert_once(session, ConversationMessage, "event_id", event_id, values)

        def fold(profile: Profile) -> None:
            fold_message(
                profile,
                at=when,
                embedding=embedding,
                encoder_name=encoder_name,
                sentiment=score,
                aspects=aspect_map,
                categories=cats,
                config=self.config,
                intent=intent,
            )

        return self._update(sender_id, _key("message", event_id), insert_row, fold, locale=language)

    def record_review(
        self,
        sender_id: str,
        text: str,
        *,
        sku: str | None = None,
        rating: int | None = None,
        language: str | None = None,
        sentiment: Sentiment = None,
        aspects: Aspects = None,
        external_id: str | None = None,
        at: datetime | None = None,
    ) -> bool:
        """Store a review and fold it into the author's profile.

        Args:
            sender_id: the author.
            text: the review (redacted before storing or embedding).
            sku: the product reviewed, if any.
            rating: 1-5 stars; gives the sentiment when ``sentiment`` is not given.
            language: the review's language.
            sentiment: overall sentiment (label or score).
            aspects: ``{aspect: sentiment}`` or aspects sharing the overall sentiment.
            external_id: the review's id in its source system (idempotency key).
            at: when it was written (default: now).

        Returns:
            True if recorded, False if ``external_id`` was recorded before.

        Raises:
            ValidationError: bad rating or sentiment.
            NotFoundError: ``sku`` is not in the catalog.
        """
        when = at or utcnow()
        if rating is not None and not 1 <= int(rating) <= 5:
            raise ValidationError(
                "bad rating", problems=[f"rating: {rating!r} is not between 1 and 5"]
            )
        score = sentiment_score(sentiment)
        if score is None and rating is not None:
            score = rating_score(rating)
        aspect_map = aspect_scores(aspects, score)
        clean = redact(text or "")
        embedding = self._embed(clean)
        encoder_name = (
            self.encoder.name if self.encoder is not None and embedding is not None else None
        )
        category: list[str | None] = [None]

        def insert_row(session: Session, customer_id: int) -> bool:
            product = self._product(session, sku) if sku else None
            category[0] = product.category if product else None
            values: dict[str, Any] = {
                "external_id": external_id,
                "customer_id": customer_id,
                "product_id": product.id if product else None,
                "text": clean,
                "language": language,
                "rating": rating,
                "sentiment_label": sentiment_label(score) if score is not None else None,
                "sentiment_score": score,
                "aspects": aspect_map,
                "embedding": _embedding_bytes(embedding),
                "created_at": when,
            }
            return self._insert_once(session, Review, "external_id", external_id, values)

        def fold(profile: Profile) -> None:
            fold_review(
                profile,
                at=when,
                embedding=embedding,
                encoder_name=encoder_name,
                sentiment=score,
                aspects=aspect_map,
                category=category[0],
                config=self.config,
            )

        return self._update(
            sender_id, _key("review", external_id), insert_row, fold, locale=language
        )

    def record_interaction(
        self,
        sender_id: str,
        sku: str,
        kind: str,
        value: float | None = None,
        *,
        event_id: str | None = None,
        at: datetime | None = None,
    ) -> bool:
        """Store a view, click, add-to-cart, purchase or rating and update interests.

        Args:
            sender_id: the customer.
            sku: the product.
            kind: ``view``, ``click``, ``cart``, ``purchase`` or ``rating``.
            value: the rating (1-5) for ``rating``; the amount paid for ``purchase``
                (default: the list price); the quantity for ``cart``.
            event_id: the source event's id (idempotency key).
            at: when it happened (default: now).

        Returns:
            True if recorded, False if ``event_id`` was recorded before.

        Raises:
            ValidationError: unknown kind or a rating outside 1-5.
            NotFoundError: ``sku`` is not in the catalog.
        """
        when = at or utcnow()
        if kind not in INTERACTION_KINDS:
            raise ValidationError(
                "unknown interaction kind",
                problems=[f"kind: {kind!r} is not one of {', '.join(INTERACTION_KINDS)}"],
            )
        if kind == "rating" and (value is None or not 1 <= value <= 5):
            raise ValidationError(
                "bad rating", problems=[f"value: rating {value!r} is not between 1 and 5"]
            )
        facts: list[_ProductFacts] = []

        def insert_row(session: Session, customer_id: int) -> bool:
            product = self._product(session, sku)
            facts.append(product)
            values: dict[str, Any] = {
                "customer_id": customer_id,
                "product_id": product.id,
                "kind": kind,
                "value": value,
                "occurred_at": when,
                "source_event_id": event_id,
            }
            return self._insert_once(session, Interaction, "source_event_id", event_id, values)

        def fold(profile: Profile) -> None:
            product = facts[-1]
            fold_interaction(
                profile,
                at=when,
                kind=kind,
                category=product.category,
                value=value,
                price=product.price,
                config=self.config,
                domain=product.domain,
            )

        return self._update(sender_id, _key("interaction", event_id), insert_row, fold)

    def record_event(
        self,
        sender_id: str,
        kind: str,
        *,
        experiment: str | None = None,
        variant: str | None = None,
        sku: str | None = None,
        value: float | None = None,
        payload: Mapping[str, Any] | None = None,
        event_id: str | None = None,
        at: datetime | None = None,
    ) -> bool:
        """Log a recommendation/promotion shown, a conversion or an experiment exposure.

        These do not change the profile, so no profile lock is taken.

        Args:
            sender_id: the customer.
            kind: one of ``recommendation_shown``, ``promotion_shown``, ``conversion``,
                ``experiment_exposure``.
            experiment: the experiment's name.
            variant: the variant the customer saw.
            sku: the item shown or converted.
            value: e.g. the conversion's amount.
            payload: anything else worth keeping (no free text with PII).
            event_id: idempotency key.
            at: when it happened (default: now).

        Returns:
            True if recorded, False if ``event_id`` was recorded before.

        Raises:
            ValidationError: unknown kind.
            NotFoundError: ``sku`` is not in the catalog.
        """
        if kind not in EVENT_KINDS:
            raise ValidationError(
                "unknown event kind",
                problems=[f"kind: {kind!r} is not one of {', '.join(EVENT_KINDS)}"],
            )
        with self.store.session() as session:
            customer_id = ensure_customer(self.store, session, sender_id)
            product_id = self._product(session, sku).id if sku else None
            values: dict[str, Any] = {
                "customer_id": customer_id,
                "kind": kind,
                "experiment": experiment,
                "variant": variant,
                "product_id": product_id,
                "value": value,
                "payload": dict(payload or {}),
                "event_id": event_id,
                "occurred_at": at or utcnow(),
            }
            return self._insert_once(session, MarketingEvent, "event_id", event_id, values)

    def set_consent(
        self,
        sender_id: str,
        consent: bool,
        *,
        event_id: str | None = None,
        at: datetime | None = None,
    ) -> bool:
        """Record the customer's marketing opt-in or opt-out.

        Args:
            sender_id: the customer (created if new).
            consent: True to opt in to promotions, False to opt out.
            event_id: idempotency key.
            at: when they said so (default: now).

        Returns:
            True if the stored consent changed.
        """
        with self.store.session() as session:
            customer_id = ensure_customer(self.store, session, sender_id)
            if event_id is not None and not self._claim(
                session, f"consent:{event_id}", customer_id
            ):
                return False
            customer = session.get_one(
                Customer, customer_id, with_for_update=self.store.dialect == "postgresql"
            )
            if customer.marketing_consent == consent and customer.consent_updated_at is not None:
                return False
            customer.marketing_consent = consent
            customer.consent_updated_at = at or utcnow()
            return True

    def set_attributes(self, sender_id: str, **attributes: Any) -> None:
        """Merge non-identifying facts (``age``, ``city``, ``annual_income``) into the customer.

        Args:
            sender_id: the customer (created if new).
            **attributes: the facts; ``None`` removes one.
        """
        with self.store.session() as session:
            customer_id = ensure_customer(self.store, session, sender_id)
            customer = session.get_one(
                Customer, customer_id, with_for_update=self.store.dialect == "postgresql"
            )
            merged = dict(customer.attributes or {})
            for key, value in attributes.items():
                if value is None:
                    merged.pop(key, None)
                else:
                    merged[key] = value
            customer.attributes = merged

    # -- reads and data rights --------------------------------------------------------------

    def get_profile(self, sender_id: str) -> ProfileView | None:
        """The customer's profile for this turn (one indexed query); ``None`` if unknown."""
        return get_profile(self.store, sender_id, self.config)

    def summary(self, sender_id: str, language: str = "en") -> str:
        """A readable answer to "what do you know about me?" in ``language`` (zh/en)."""
        return describe_profile(self.get_profile(sender_id), language)

    def export(self, sender_id: str) -> dict[str, Any] | None:
        """Everything stored about the customer as JSON-ready data; ``None`` if unknown."""
        return export_customer(self.store, sender_id, self.config)

    def erase(self, sender_id: str) -> ErasureReport:
        """Delete everything stored about the customer; returns what was deleted."""
        return erase_customer(self.store, sender_id)

    def has_marketing_consent(self, sender_id: str) -> bool:
        """Whether promotions may be sent to the customer."""
        return has_marketing_consent(self.store, sender_id)

    def rebuild(self, sender_ids: Sequence[str] | None = None) -> int:
        """Recompute profiles from stored rows (all customers by default); returns how many."""
        from bot.profiles._rebuild import rebuild_profiles

        ids: list[int] | None = None
        if sender_ids is not None:
            with self.store.session() as session:
                ids = list(
                    session.scalars(
                        select(Customer.id).where(Customer.sender_id.in_(list(sender_ids)))
                    )
                )
        return rebuild_profiles(
            self.store,
            ids,
            config=self.config,
            encoder_name=self.encoder.name if self.encoder else None,
        )

    # -- internals ------------------------------------------------------------------------

    def _embed(self, text: str) -> npt.NDArray[np.float32] | None:
        if self.encoder is None or not text.strip():
            return None
        return np.asarray(self.encoder.encode([text])[0], dtype=np.float32)

    def _product(self, session: Session, sku: str) -> _ProductFacts:
        row = session.execute(
            select(Product.id, Product.category, Product.price, Product.domain).where(
                Product.sku == sku
            )
        ).one_or_none()
        if row is None:
            raise NotFoundError(f"no product with SKU {sku!r}")
        return _ProductFacts(int(row.id), str(row.category), float(row.price), str(row.domain))

    def _claim(self, session: Session, event_key: str, customer_id: int) -> bool:
        # RETURNING tells whether the row went in (psycopg reports no rowcount for it).
        stmt = (
            self.store.insert_ignore(ProcessedEvent, ["event_key"])
            .values(event_key=event_key, customer_id=customer_id, processed_at=utcnow())
            .returning(ProcessedEvent.event_key)
        )
        return session.execute(stmt).first() is not None

    def _insert_once(
        self,
        session: Session,
        model: type[Any],
        key: str,
        key_value: str | None,
        values: dict[str, Any],
    ) -> bool:
        if key_value is None:
            session.execute(insert(model).values(**values))
            return True
        stmt = (
            self.store.insert_ignore(model, [key]).values(**values).returning(model.__table__.c.id)
        )
        return session.execute(stmt).first() is not None

    def _update(
        self,
        sender_id: str,
        event_key: str | None,
        insert_row: Callable[[Session, int], bool],
        fold: Callable[[Profile], None],
        *,
        locale: str | None = None,
    ) -> bool:
        if not sender_id:
            raise ValidationError("missing sender id", problems=["sender_id: must not be empty"])
        for attempt in range(self.config.max_retries):
            try:
                with self.store.session() as session:
                    customer_id = ensure_customer(self.store, session, sender_id, locale)
                    # Writes come first: on SQLite the first write takes the database's write
                    # lock, so the profile read below sees every earlier commit.
                    if event_key is not None and not self._claim(session, event_key, customer_id):
                        return False
                    if not insert_row(session, customer_id):
                        return False
                    profile = lock_profile(self.store, session, customer_id)
                    fold(profile)
                    profile.updated_at = utcnow()
                    return True
            except StaleWriteError:
                # Lost an optimistic race (only possible without a row lock): try again.
                time.sleep(random.uniform(0, 0.005 * (attempt + 1)))
        raise StoreError(f"profile of {sender_id!r} kept changing under concurrent updates")


def _key(kind: str, event_id: str | None) -> str | None:
    return None if event_id is None else f"{kind}:{event_id}"
