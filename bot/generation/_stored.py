"""Validated LLM texts kept in the database: shared by every server process, kept across restarts.

The guarded generator reads here before it asks the LLM and writes every draft that passed
the guardrails (live, after a deadline, or from ``ipm promotions prewrite``). A promotion's
prompt holds no identifier of the customer (segment, language, style and mood only: see
:meth:`bot.generation.CustomerContext.coarse`), so one text serves every customer whose
request has the same key, and nothing here belongs to one customer.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, select

from bot.generation._types import Generation, GenerationRequest
from bot.store import GeneratedText, utcnow

if TYPE_CHECKING:
    from collections.abc import Iterable

    from bot.store import Store

logger = logging.getLogger(__name__)


class StoredTexts:
    """Validated generated texts in the ``generated_texts`` table.

    A text expires at the end of its campaign's last day, or ``ttl_s`` after it was written,
    whichever comes first; an expired text is never returned. The caller validates what it
    gets again (the catalog or the rules may have changed since).

    Args:
        store: the database.
        ttl_s: longest life of a text.

    Example:
        >>> from bot.store import open_store
        >>> texts = StoredTexts(open_store("sqlite:///:memory:"))
        >>> texts.get("0" * 64) is None
        True
    """

    def __init__(self, store: Store, ttl_s: float = 7 * 86400.0) -> None:
        if ttl_s <= 0:
            raise ValueError("ttl_s must be positive")
        self.store = store
        self.ttl_s = ttl_s

    def expiry(self, request: GenerationRequest, now: datetime | None = None) -> datetime:
        """When a text written now for ``request`` stops being served."""
        moment = now or utcnow()
        expires = moment + timedelta(seconds=self.ttl_s)
        campaign = request.facts.campaign
        if campaign is not None:
            end = datetime.combine(campaign.valid_until + timedelta(days=1), time.min, tzinfo=UTC)
            expires = min(expires, end)
        return expires

    def get(self, key: str, now: datetime | None = None) -> Generation | None:
        """The stored text for ``key`` if it has not expired."""
        with self.store.session() as session:
            row = session.get(GeneratedText, key)
            if row is None or row.expires_at <= (now or utcnow()):
                return None
            return Generation(
                text=row.text,
                backend=row.backend,
                style=row.style,
                variant=row.variant,
                model=row.model,
                cached=True,
            )

    def present(
        self, keys: Iterable[str], now: datetime | None = None, *, except_backend: str | None = None
    ) -> set[str]:
        """Which of ``keys`` have a text that has not expired (and was not written by
        ``except_backend``, e.g. the template kept in place of rejected drafts)."""
        wanted = list(dict.fromkeys(keys))
        found: set[str] = set()
        moment = now or utcnow()
        with self.store.session() as session:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                stmt = select(GeneratedText.key).where(
                    GeneratedText.key.in_(chunk), GeneratedText.expires_at > moment
                )
                if except_backend is not None:
                    stmt = stmt.where(GeneratedText.backend != except_backend)
                found.update(session.scalars(stmt))
        return found

    def put(
        self, key: str, request: GenerationRequest, generation: Generation, now: datetime | None = None
    ) -> None:
        """Keep ``generation`` (already validated) for ``key``; replaces an older text."""
        moment = now or utcnow()
        product = request.facts.products[0] if request.facts.products else None
        campaign = request.facts.campaign
        with self.store.session() as session:
            row = session.get(GeneratedText, key)
            if row is None:
                row = GeneratedText(key=key)
                session.add(row)
            row.purpose = request.purpose
            row.language = request.language
            row.sku = product.sku if product is not None else None
            row.campaign_id = campaign.id if campaign is not None else None
            row.variant = request.variant
            row.style = request.style
            row.text = generation.text
            row.backend = generation.backend
            row.model = generation.model
            row.created_at = moment
            row.expires_at = self.expiry(request, moment)

    def purge(self, now: datetime | None = None) -> int:
        """Delete expired texts; returns how many."""
        with self.store.session() as session:
            result = session.execute(
                delete(GeneratedText).where(GeneratedText.expires_at <= (now or utcnow()))
            )
            return int(result.rowcount or 0)  # type: ignore[attr-defined]
