"""Validated texts kept in the database: expiry with the campaign or a time to live, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.catalog import ProductInfo
from bot.generation import Campaign, Generation, GenerationRequest, StoredTexts
from bot.store import Store

NOW = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)


def promotion(catalog: dict[str, ProductInfo], campaign: Campaign | None, language: str = "en") -> GenerationRequest:
    return GenerationRequest.promotion(catalog["SH-PHON-001"], campaign, language, variant="llm-friendly")


def test_a_kept_text_comes_back_until_its_campaign_ends(
    store: Store, catalog: dict[str, ProductInfo], campaigns: dict[str, Campaign]
) -> None:
    texts = StoredTexts(store, ttl_s=30 * 86400)
    request = promotion(catalog, campaigns["shop-double12"])  # valid until 14 Dec 2026
    written = Generation(text="Nova Pro smartphone A6, 12% off.", backend="openai", style="friendly",
                         variant="llm-friendly", model="m")
    texts.put(request.cache_key(), request, written, now=NOW)

    kept = texts.get(request.cache_key(), now=NOW + timedelta(days=9))
    assert kept is not None and kept.cached
    assert (kept.text, kept.backend, kept.model, kept.variant, kept.style) == (
        written.text, "openai", "m", "llm-friendly", "friendly",
    )
    assert texts.get(request.cache_key(), now=datetime(2026, 12, 15, 0, 0, tzinfo=UTC)) is None
    assert texts.get("f" * 64, now=NOW) is None


def test_without_a_campaign_the_time_to_live_ends_it_and_purge_deletes_only_expired(
    store: Store, catalog: dict[str, ProductInfo], campaigns: dict[str, Campaign]
) -> None:
    texts = StoredTexts(store, ttl_s=3600)
    plain = promotion(catalog, None)
    offer = promotion(catalog, campaigns["shop-double12"], "zh")
    texts.put(plain.cache_key(), plain, Generation(text="a", backend="openai"), now=NOW)
    texts.put(offer.cache_key(), offer, Generation(text="b", backend="openai"), now=NOW)
    later = NOW + timedelta(hours=2)
    assert texts.present([plain.cache_key(), offer.cache_key(), "x" * 64], now=NOW) == {
        plain.cache_key(), offer.cache_key(),
    }
    assert texts.present([plain.cache_key(), offer.cache_key()], now=later) == set()  # 1 h ttl
    assert texts.purge(now=later) == 2
    assert texts.purge(now=later) == 0


def test_writing_a_key_again_replaces_its_text(store: Store, catalog: dict[str, ProductInfo]) -> None:
    texts = StoredTexts(store)
    request = promotion(catalog, None)
    texts.put(request.cache_key(), request, Generation(text="old", backend="openai"), now=NOW)
    texts.put(request.cache_key(), request, Generation(text="new", backend="llama-cpp"), now=NOW)
    kept = texts.get(request.cache_key(), now=NOW)
    assert kept is not None and (kept.text, kept.backend) == ("new", "llama-cpp")


def test_time_to_live_must_be_positive(sqlite_store: Store) -> None:
    with pytest.raises(ValueError, match="ttl_s"):
        StoredTexts(sqlite_store, ttl_s=0)
