"""Profiles say what the customer likes, dislikes and wants, from what they wrote and did."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import event, func, select

from bot.encoder import Encoder
from bot.errors import NotFoundError, ValidationError
from bot.profiles import ProfileService, describe_profile, get_profile
from bot.store import (
    ConversationMessage,
    Customer,
    Interaction,
    MarketingEvent,
    ProcessedEvent,
    Product,
    Profile,
    Review,
    Store,
    open_store,
)

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def _catalog(store: Store) -> None:
    with store.session() as session:
        for sku, category, name_en, name_zh, price in [
            ("PH-1", "phones", "Nova X5 smartphone", "Nova X5 智能手机", 2999.0),
            ("HP-1", "headphones", "Echo wireless earbuds", "Echo 无线耳机", 399.0),
            ("BT-1", "beauty", "Rose lipstick", "玫瑰口红", 199.0),
            ("BK-1", "books", "Python cookbook", "Python 编程手册", 89.0),
        ]:
            session.add(
                Product(
                    sku=sku,
                    domain="shop",
                    category=category,
                    name_en=name_en,
                    name_zh=name_zh,
                    price=price,
                    stock=10,
                )
            )


def _phone_fan(profiles: ProfileService) -> None:
    """The issue's customer: talks about phones, complains about the delivery."""
    profiles.record_message(
        "fan",
        "I'm looking for a new smartphone with a great camera",
        "en",
        intent="ask_product",
        sentiment="neutral",
        categories=["phones"],
        event_id="m1",
        at=NOW - timedelta(hours=3),
    )
    profiles.record_message(
        "fan",
        "我很喜欢这款手机，拍照很好",
        "zh",
        intent="give_feedback",
        sentiment="positive",
        categories=["phones"],
        event_id="m2",
        at=NOW - timedelta(hours=2),
    )
    profiles.record_message(
        "fan",
        "The delivery took two weeks, terrible courier",
        "en",
        intent="complain",
        sentiment="negative",
        aspects={"delivery": "negative"},
        event_id="m3",
        at=NOW - timedelta(hours=1),
    )


def test_customer_who_talked_about_phones_and_complained_about_delivery(
    store: Store, encoder: Encoder
) -> None:
    _catalog(store)
    profiles = ProfileService(store, encoder)
    _phone_fan(profiles)
    view = profiles.get_profile("fan")
    assert view is not None
    assert view.top_interests(1)[0][0] == "phones"
    assert view.liked("category") == ["phones"]
    assert view.disliked("aspect") == ["delivery"]
    assert view.locale == "en"
    en = profiles.summary("fan", "en")
    zh = profiles.summary("fan", "zh")
    assert "phones" in en and "delivery" in en and "unhappy" in en
    assert "手机" in zh and "物流配送" in zh and "不满意" in zh

    # ... and it survives a restart of the process.
    url = store.engine.url.render_as_string(hide_password=False)
    reopened = open_store(url)
    again = get_profile(reopened, "fan")
    reopened.close()
    assert (
        again is not None
        and again.disliked("aspect") == ["delivery"]
        and again.liked("category") == ["phones"]
    )
    assert again.text_vector is not None and view.text_vector is not None
    assert np.allclose(again.text_vector, view.text_vector)


def test_cold_start_two_messages_give_a_useful_text_vector(store: Store, encoder: Encoder) -> None:
    profiles = ProfileService(store, encoder)
    profiles.record_message("new", "有没有拍照好的手机推荐", "zh", event_id="c1", at=NOW)
    profiles.record_message(
        "new", "I need a phone with a long battery life", "en", event_id="c2", at=NOW
    )
    view = profiles.get_profile("new")
    assert view is not None and view.text_vector is not None and view.text_count == 2
    assert np.linalg.norm(view.text_vector) == pytest.approx(1.0, abs=1e-5)
    items = encoder.encode(
        ["smartphone with a great camera and battery", "lipstick and face cream", "garden hose"]
    )
    sims = items @ view.text_vector
    assert sims[0] > sims[1] and sims[0] > sims[2]


def test_text_vector_prefers_recent_texts(store: Store, encoder: Encoder) -> None:
    profiles = ProfileService(store, encoder)
    profiles.record_message(
        "r",
        "I love lipstick and skincare products",
        "en",
        event_id="old",
        at=NOW - timedelta(days=365),
    )
    profiles.record_message(
        "r", "I want to buy a new laptop for programming", "en", event_id="new", at=NOW
    )
    view = profiles.get_profile("r")
    assert view is not None and view.text_vector is not None
    lipstick, laptop = encoder.encode(
        ["I love lipstick and skincare products", "I want to buy a new laptop for programming"]
    )
    assert float(laptop @ view.text_vector) > float(lipstick @ view.text_vector) + 0.05


def test_behaviour_weights_purchase_over_cart_over_click_over_view(store: Store) -> None:
    _catalog(store)
    profiles = ProfileService(store)
    for sku, kind in [("BK-1", "view"), ("BT-1", "click"), ("HP-1", "cart"), ("PH-1", "purchase")]:
        profiles.record_interaction("b", sku, kind, at=NOW)
    view = profiles.get_profile("b")
    assert view is not None
    assert list(view.interests) == ["phones", "headphones", "beauty", "books"]
    assert view.total_spend == pytest.approx(2999.0)
    assert sum(view.interests.values()) == pytest.approx(1.0)


def test_interests_decay_with_time(store: Store) -> None:
    _catalog(store)
    profiles = ProfileService(store)  # half-life 30 days
    profiles.record_interaction(
        "d", "BT-1", "purchase", at=NOW - timedelta(days=150)
    )  # 8 * 2**-5 = 0.25
    profiles.record_interaction("d", "PH-1", "view", at=NOW)  # 1
    view = profiles.get_profile("d")
    assert view is not None
    assert view.interests["phones"] == pytest.approx(1 / 1.25)
    assert view.interests["beauty"] == pytest.approx(0.25 / 1.25)


def test_reviews_and_ratings_give_sentiment_per_category_and_aspect(
    store: Store, encoder: Encoder
) -> None:
    _catalog(store)
    profiles = ProfileService(store, encoder)
    profiles.record_review(
        "rv",
        "Great sound but the packaging was crushed",
        sku="HP-1",
        rating=4,
        language="en",
        aspects={"sound": "positive", "packaging": "negative"},
        external_id="rev-1",
        at=NOW,
    )
    profiles.record_interaction("rv", "BT-1", "rating", 1, at=NOW)
    view = profiles.get_profile("rv")
    assert view is not None
    assert view.sentiment_about("headphones") == pytest.approx(
        1.0
    )  # the packaging is not the product
    assert view.sentiment_about("beauty") == pytest.approx(-1.0)
    assert view.liked("aspect") == ["sound"] and view.disliked("aspect") == ["packaging"]
    assert view.counts == {"review": 1, "rating": 1}


def test_the_same_event_never_counts_twice(store: Store) -> None:
    _catalog(store)
    profiles = ProfileService(store)
    assert profiles.record_message("i", "hello", "en", categories=["phones"], event_id="e1", at=NOW)
    assert not profiles.record_message(
        "i", "hello", "en", categories=["phones"], event_id="e1", at=NOW
    )
    assert profiles.record_interaction("i", "PH-1", "cart", event_id="e2", at=NOW)
    assert not profiles.record_interaction("i", "PH-1", "cart", event_id="e2", at=NOW)
    assert profiles.record_review("i", "ok", sku="PH-1", rating=3, external_id="e3", at=NOW)
    assert not profiles.record_review("i", "ok", sku="PH-1", rating=3, external_id="e3", at=NOW)
    assert profiles.record_event("i", "promotion_shown", sku="PH-1", event_id="e4")
    assert not profiles.record_event("i", "promotion_shown", sku="PH-1", event_id="e4")
    view = profiles.get_profile("i")
    assert view is not None and view.counts == {"message": 1, "cart": 1, "review": 1}
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(ConversationMessage)) == 1
        assert session.scalar(select(func.count()).select_from(Interaction)) == 1
        assert session.scalar(select(func.count()).select_from(Review)) == 1
        assert session.scalar(select(func.count()).select_from(MarketingEvent)) == 1


def test_live_updates_equal_a_rebuild_from_the_stored_rows(store: Store, encoder: Encoder) -> None:
    _catalog(store)
    profiles = ProfileService(store, encoder)
    _phone_fan(profiles)
    # out of order on purpose: an older event arriving late
    profiles.record_interaction("fan", "HP-1", "click", at=NOW - timedelta(days=40))
    profiles.record_interaction("fan", "PH-1", "purchase", 2799.0, at=NOW)
    profiles.record_review(
        "fan", "Battery is weak", sku="PH-1", rating=2, at=NOW - timedelta(days=2)
    )
    live = profiles.get_profile("fan")
    assert profiles.rebuild(["fan"]) == 1
    rebuilt = profiles.get_profile("fan")
    assert live is not None and rebuilt is not None
    assert rebuilt.counts == live.counts
    assert rebuilt.total_spend == pytest.approx(2799.0)
    assert rebuilt.interests.keys() == live.interests.keys()
    for k, share in live.interests.items():
        assert rebuilt.interests[k] == pytest.approx(share)
    assert rebuilt.text_vector is not None and live.text_vector is not None
    assert np.allclose(rebuilt.text_vector, live.text_vector, atol=1e-5)
    assert {k: o.mean for k, o in rebuilt.aspect_sentiment.items()} == pytest.approx(
        {k: o.mean for k, o in live.aspect_sentiment.items()}
    )


def test_free_text_is_stored_and_embedded_redacted(store: Store) -> None:
    profiles = ProfileService(store)
    profiles.record_message(
        "p", "call me on 13812345678 or mail wang@example.com", "en", event_id="x"
    )
    profiles.record_review("p", "退款请打到卡 6222021234567890128", rating=1, external_id="y")
    with store.session() as session:
        texts = list(session.scalars(select(ConversationMessage.text))) + list(
            session.scalars(select(Review.text))
        )
    assert texts == ["call me on [PHONE] or mail [EMAIL]", "退款请打到卡 [BANK_CARD]"]
    export = profiles.export("p")
    assert export is not None
    dumped = json.dumps(export, ensure_ascii=False)
    assert "13812345678" not in dumped and "[PHONE]" in dumped


def test_export_contains_everything_and_is_json(store: Store) -> None:
    _catalog(store)
    profiles = ProfileService(store)
    profiles.record_message(
        "x", "想看看耳机", "zh", categories=["headphones"], event_id="m", at=NOW
    )
    profiles.record_interaction("x", "HP-1", "purchase", 399.0, event_id="i", at=NOW)
    profiles.record_event("x", "experiment_exposure", experiment="reco-v2", variant="B", at=NOW)
    profiles.set_consent("x", True, at=NOW)
    export = profiles.export("x")
    assert export is not None
    data = json.loads(json.dumps(export))
    assert data["customer"]["sender_id"] == "x" and data["customer"]["marketing_consent"] is True
    assert [i["sku"] for i in data["interactions"]] == ["HP-1"]
    assert data["messages"][0]["text"] == "想看看耳机"
    assert data["events"][0]["experiment"] == "reco-v2"
    assert data["profile"]["counts"] == {"message": 1, "purchase": 1}
    assert profiles.export("nobody") is None


def test_erasure_leaves_nothing_and_spares_others(store: Store, encoder: Encoder) -> None:
    _catalog(store)
    profiles = ProfileService(store, encoder)
    _phone_fan(profiles)
    profiles.record_interaction("fan", "PH-1", "purchase", event_id="buy", at=NOW)
    profiles.record_review("fan", "Fast phone", sku="PH-1", rating=5, external_id="r", at=NOW)
    profiles.record_event("fan", "recommendation_shown", sku="PH-1", at=NOW)
    profiles.record_message("other", "hello", "en", event_id="o1", at=NOW)
    report = profiles.erase("fan")
    assert report.found
    assert report.deleted == {
        "events": 1,
        "processed_events": 5,
        "interactions": 1,
        "reviews": 1,
        "messages": 3,
        "profile": 1,
        "customer": 1,
    }
    assert profiles.get_profile("fan") is None
    assert profiles.export("fan") is None
    with store.session() as session:
        fan_rows = 0
        for model in (
            ConversationMessage,
            Interaction,
            Review,
            MarketingEvent,
            ProcessedEvent,
            Profile,
        ):
            fan_rows += (
                session.scalar(
                    select(func.count())
                    .select_from(model)
                    .join(Customer)
                    .where(Customer.sender_id == "fan")
                )
                or 0
            )
        assert fan_rows == 0
        assert session.scalar(select(func.count()).select_from(Customer)) == 1
        assert session.scalar(select(func.count()).select_from(ConversationMessage)) == 1
    assert profiles.erase("fan").found is False
    assert "don't know anything" in profiles.summary("fan", "en")


def test_marketing_consent_opt_out_and_in(store: Store) -> None:
    profiles = ProfileService(store)
    assert not profiles.has_marketing_consent("c")  # unknown customers: no promotions
    assert profiles.set_consent("c", True, event_id="opt-in")
    assert profiles.has_marketing_consent("c")
    assert not profiles.set_consent("c", True, event_id="opt-in")  # redelivered
    assert profiles.set_consent("c", False)  # "不要再给我推送了"
    assert not profiles.has_marketing_consent("c")
    assert "不要" not in profiles.summary("c", "zh") and "未订阅" in profiles.summary("c", "zh")


def test_bad_input_is_rejected(store: Store) -> None:
    _catalog(store)
    profiles = ProfileService(store)
    with pytest.raises(NotFoundError):
        profiles.record_interaction("z", "NOPE", "view")
    with pytest.raises(ValidationError):
        profiles.record_interaction("z", "PH-1", "wishlist")
    with pytest.raises(ValidationError):
        profiles.record_interaction("z", "PH-1", "rating", 9)
    with pytest.raises(ValidationError):
        profiles.record_message("z", "hi", sentiment="ecstatic")
    with pytest.raises(ValidationError):
        profiles.record_message("", "hi")
    view = profiles.get_profile("z")
    assert view is None or view.is_empty


def test_reading_a_profile_is_one_query(store: Store) -> None:
    _catalog(store)
    profiles = ProfileService(store)
    profiles.record_interaction("q", "PH-1", "view", at=NOW)
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(store.engine, "before_cursor_execute", count)
    try:
        view = profiles.get_profile("q")
    finally:
        event.remove(store.engine, "before_cursor_execute", count)
    assert view is not None and view.counts == {"view": 1}
    assert len(statements) == 1


def test_summary_of_a_customer_never_seen() -> None:
    assert describe_profile(None, "zh") == "我目前还不了解您的任何信息。"


def test_a_request_names_an_interest_but_is_no_opinion_of_it(store: Store) -> None:
    # A curt request ("我想买个耳机" reads as negative to a sentiment model) is interest in
    # headphones, not a complaint about them; a complaint is both. A rebuild agrees.
    _catalog(store)
    profiles = ProfileService(store)
    profiles.record_message("req", "我想买个耳机", "zh", intent="request_recommendation", sentiment=-0.5,
                            categories=["headphones"], event_id="r1", at=NOW)
    profiles.record_message("req", "show me lipstick", "en", intent="request_recommendation", sentiment=0.1,
                            categories=["beauty"], event_id="r2", at=NOW)
    profiles.record_message("req", "these books were awful", "en", intent="complain", sentiment=-0.9,
                            categories=["books"], event_id="r3", at=NOW)
    for view in (profiles.get_profile("req"), (profiles.rebuild(["req"]), profiles.get_profile("req"))[1]):
        assert view is not None
        assert {"headphones", "beauty", "books"} <= set(view.interests)
        assert set(view.category_sentiment) == {"books"}
        assert view.category_sentiment["books"].mean == pytest.approx(-0.9)
