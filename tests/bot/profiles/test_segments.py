"""Segments group customers with the same tastes and are named after what their members do."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.errors import ValidationError
from bot.profiles import ProfileService, build_segments, list_segments
from bot.store import Product, Store

AT = datetime(2025, 6, 1, tzinfo=UTC)
GROUPS = {
    # category: (sku, price, customers, purchases each)
    "phones": ("PH", 4000.0, 12, 2),
    "beauty": ("BT", 100.0, 10, 1),
    "books": ("BK", 50.0, 8, 0),
}


def _populate(store: Store) -> ProfileService:
    with store.session() as session:
        for category, (sku, price, _, _) in GROUPS.items():
            session.add(
                Product(
                    sku=sku,
                    domain="shop",
                    category=category,
                    name_zh=category,
                    name_en=category,
                    price=price,
                    stock=5,
                )
            )
        session.add(
            Product(
                sku="HP",
                domain="shop",
                category="headphones",
                name_zh="耳机",
                name_en="hp",
                price=300.0,
                stock=5,
            )
        )
    profiles = ProfileService(store)
    for category, (sku, _, customers, purchases) in GROUPS.items():
        for i in range(customers):
            sender = f"{category}-{i}"
            for _ in range(3):
                profiles.record_interaction(sender, sku, "view", at=AT)
            for _ in range(purchases):
                profiles.record_interaction(sender, sku, "purchase", at=AT)
            if i % 3 == 0:
                profiles.record_interaction(sender, "HP", "view", at=AT)
    return profiles


def test_k_means_recovers_the_taste_groups_and_names_them(store: Store) -> None:
    profiles = _populate(store)
    segments = build_segments(store, k=3, seed=1)
    assert [s.size for s in segments] == [12, 10, 8]
    phones, beauty, books = segments
    assert phones.name_en == "Phones fans, high spend" and phones.name_zh == "手机爱好者 · 高消费"
    assert beauty.name_en.startswith("Beauty & skincare fans")
    assert books.name_en == "Books fans, browsers"
    assert "12 customers" in phones.description_en and "CNY 8,000" in phones.description_en
    assert "人均消费¥8,000" in phones.description_zh
    assert phones.stats["top_categories"][0]["category"] == "phones"
    for i in range(12):
        view = profiles.get_profile(f"phones-{i}")
        assert (
            view is not None and view.segment is not None and view.segment.name_en == phones.name_en
        )
    assert "Phones fans" in profiles.summary("phones-0", "en")
    assert [s.name_en for s in list_segments(store)] == [s.name_en for s in segments]


def test_rebuilding_replaces_the_old_segments(store: Store) -> None:
    _populate(store)
    build_segments(store, k=3)
    again = build_segments(store, k=2)
    assert len(list_segments(store)) == 2 and sum(s.size for s in again) == 30


def test_k_is_chosen_when_not_given(store: Store) -> None:
    _populate(store)
    segments = build_segments(store)
    assert 3 <= len(segments) <= 8
    assert sum(s.size for s in segments) == 30


def test_too_few_profiles(store: Store) -> None:
    with pytest.raises(ValidationError):
        build_segments(store, k=3)
