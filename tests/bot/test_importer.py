"""Imports validate everything first, write all or nothing, and can be repeated safely."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.catalog import CATEGORY_LABELS, load_catalog_file
from bot.encoder import Encoder
from bot.errors import StoreError, ValidationError
from bot.importer import import_file
from bot.profiles import get_profile
from bot.store import Customer, Interaction, Product, Profile, Review, Store

ROOT = Path(__file__).resolve().parents[2]
SHOP = ROOT / "data/catalog/shop.jsonl"
BANK = ROOT / "data/catalog/bank.jsonl"

INTERACTIONS = """event_id,sender_id,sku,kind,value,occurred_at
e1,alice,SH-PHON-001,view,,2025-06-01T10:00:00Z
e2,alice,SH-PHON-001,purchase,2999,2025-06-01T10:05:00Z
e3,bob,SH-BEAU-001,cart,1,2025-06-02T09:00:00+08:00
,bob,SH-BEAU-001,rating,5,2025-06-03T09:00:00
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _count(store: Store, model: type) -> int:
    with store.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_demo_catalogs_are_valid_bilingual_and_complete() -> None:
    shop = load_catalog_file(SHOP)
    bank = load_catalog_file(BANK)
    assert len(shop) >= 200
    assert len({p.category for p in shop}) >= 8
    assert all(
        p.name_zh and p.name_en and p.description_zh and p.description_en and p.stock is not None
        for p in shop
    )
    assert {p.category for p in bank} >= {
        "credit_card",
        "debit_card",
        "deposit",
        "loan",
        "insurance",
    }
    assert all(p.compliance_zh and p.compliance_en and p.risk_level and p.eligibility for p in bank)
    assert {p.category for p in shop + bank} <= set(CATEGORY_LABELS)


def test_catalog_import_and_reimport(store: Store) -> None:
    first = import_file("catalog", SHOP, store, progress=False)
    assert (first.inserted, first.updated) == (first.rows, 0)
    again = import_file("catalog", SHOP, store, progress=False)
    assert (again.inserted, again.updated) == (0, first.rows)
    assert _count(store, Product) == first.rows


def test_interactions_import_builds_profiles_and_is_idempotent(
    store: Store, tmp_path: Path
) -> None:
    import_file("catalog", SHOP, store, progress=False)
    path = _write(tmp_path, "interactions.csv", INTERACTIONS)
    report = import_file("interactions", path, store, progress=False)
    assert (report.rows, report.inserted, report.profiles_rebuilt) == (4, 4, 2)
    alice = get_profile(store, "alice")
    assert (
        alice is not None
        and alice.counts == {"view": 1, "purchase": 1}
        and alice.total_spend == 2999
    )
    bob = get_profile(store, "bob")
    assert bob is not None and bob.sentiment_about("beauty") == 1.0

    again = import_file("interactions", path, store, progress=False)
    assert (again.inserted, again.unchanged) == (0, 4)
    assert _count(store, Interaction) == 4 and _count(store, Customer) == 2
    alice_again = get_profile(store, "alice")
    assert alice_again is not None and alice_again.counts == alice.counts
    assert alice_again.interests == pytest.approx(alice.interests)


def test_a_bad_file_writes_nothing_and_names_every_row_and_column(
    store: Store, tmp_path: Path
) -> None:
    import_file("catalog", SHOP, store, progress=False)
    bad = INTERACTIONS + (
        "e5,carol,SH-PHON-001,wishlist,,2025-06-01T10:00:00Z\n"
        "e6,carol,NO-SUCH-SKU,view,,2025-06-01T10:00:00Z\n"
        "e7,carol,SH-PHON-001,view,,yesterday\n"
        "e8,carol,SH-PHON-001,rating,,2025-06-01T10:00:00Z\n"
        "e1,carol,SH-PHON-001,click,,2025-06-01T10:00:00Z\n"
    )
    path = _write(tmp_path, "bad.csv", bad)
    with pytest.raises(ValidationError) as caught:
        import_file("interactions", path, store, progress=False)
    problems = caught.value.problems
    assert any(p.startswith("row 5 (line 6), column kind:") for p in problems)
    assert "row 6 (line 7), column sku: unknown product 'NO-SUCH-SKU'" in problems
    assert any(p.startswith("row 7 (line 8), column occurred_at:") for p in problems)
    assert any(p.startswith("row 8 (line 9), column value:") and "rating" in p for p in problems)
    assert "row 9 (line 10), column event_id: 'e1' already used by row 1" in problems
    assert len(problems) == 5
    assert (
        _count(store, Interaction) == 0
        and _count(store, Customer) == 0
        and _count(store, Profile) == 0
    )


def test_jsonl_problems_and_unknown_columns(store: Store, tmp_path: Path) -> None:
    rows = [
        '{"sender_id": "a", "locale": "en", "marketing_consent": true}',
        "not json",
        "[1, 2]",
        '{"sender_id": "b", "colour": "red"}',
    ]
    path = _write(tmp_path, "customers.jsonl", "\n".join(rows) + "\n")
    with pytest.raises(ValidationError) as caught:
        import_file("customers", path, store, progress=False)
    assert caught.value.problems == [
        "row 2 (line 2): invalid JSON (Expecting value)",
        "row 3 (line 3): expected a JSON object",
        "row 4 (line 4), column colour: unknown column",
    ]
    assert _count(store, Customer) == 0


def test_bank_products_need_compliance_text_and_may_not_promise_returns(
    store: Store, tmp_path: Path
) -> None:
    good = json.loads(BANK.read_text(encoding="utf-8").splitlines()[0])
    no_compliance = dict(good, sku="B-2", compliance_en=None)
    promise = dict(good, sku="B-3", description_en="Guaranteed returns of 8% a year, zero risk!")
    path = _write(
        tmp_path,
        "bank.jsonl",
        "\n".join(json.dumps(r) for r in (good, no_compliance, promise)) + "\n",
    )
    with pytest.raises(ValidationError) as caught:
        import_file("catalog", path, store, progress=False)
    assert len(caught.value.problems) == 2
    assert "compliance_en" in caught.value.problems[0]
    assert caught.value.problems[1].startswith(
        "row 3 (line 3), column description_en: must not promise returns"
    )
    assert _count(store, Product) == 0


def test_reviews_are_redacted_embedded_and_upserted(
    store: Store, tmp_path: Path, encoder: Encoder
) -> None:
    import_file("catalog", SHOP, store, progress=False)
    text = (
        "review_id,sender_id,sku,rating,language,text,sentiment,aspects,created_at\n"
        'r1,dan,SH-PHON-001,2,en,Slow delivery. Call me on 13812345678,,"{""delivery"": ""negative""}",2025-06-01T00:00:00Z\n'
        "r2,dan,SH-PHON-002,5,zh,手机很好用,positive,,2025-06-02T00:00:00Z\n"
    )
    path = _write(tmp_path, "reviews.csv", text)
    report = import_file("reviews", path, store, encoder=encoder, progress=False)
    assert (report.inserted, report.profiles_rebuilt) == (2, 1)
    with store.session() as session:
        stored = {r.external_id: r for r in session.scalars(select(Review))}
    assert stored["r1"].text == "Slow delivery. Call me on [PHONE]"
    assert stored["r1"].sentiment_label == "negative" and stored["r1"].aspects == {"delivery": -1.0}
    assert all(r.embedding is not None for r in stored.values())
    dan = get_profile(store, "dan")
    assert (
        dan is not None and dan.text_vector is not None and dan.disliked("aspect") == ["delivery"]
    )

    again = import_file("reviews", path, store, encoder=encoder, progress=False)
    assert (again.inserted, again.updated) == (0, 2)
    assert _count(store, Review) == 2


def test_a_failure_while_writing_rolls_everything_back(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import_file("catalog", SHOP, store, progress=False)
    import bot.profiles

    def broken(*args: object, **kwargs: object) -> int:
        raise StoreError("disk full")

    monkeypatch.setattr(bot.profiles, "rebuild_profiles", broken)
    path = _write(tmp_path, "interactions.csv", INTERACTIONS)
    with pytest.raises(StoreError):
        import_file("interactions", path, store, progress=False)
    assert _count(store, Interaction) == 0 and _count(store, Customer) == 0


def test_unknown_kind_and_missing_file(store: Store, tmp_path: Path) -> None:
    with pytest.raises(ValidationError):
        import_file("orders", SHOP, store, progress=False)
    with pytest.raises(ValidationError):
        import_file("catalog", tmp_path / "missing.csv", store, progress=False)
    with pytest.raises(ValidationError):
        import_file("catalog", _write(tmp_path, "catalog.xlsx", ""), store, progress=False)
