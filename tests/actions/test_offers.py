"""Promotions in conversation (consent first) and accepting an offer (the experiment's conversion)."""

from __future__ import annotations

from actions.shop import ActionAcceptOffer, ActionRecommendProducts, chosen_index
from bot.replies import default_replies
from tests.actions.conftest import run_action, tracker_for


async def _recommend(sender: str, domain, language: str = "en") -> tuple[list[dict], list[dict]]:
    text = "recommend me some headphones" if language == "en" else "推荐几款耳机"
    return await run_action(ActionRecommendProducts(), tracker_for(sender, text, "request_recommendation", language,
                                                                   message_id=f"{sender}-r"), domain)


async def test_a_consenting_customer_gets_a_grounded_promotion_in_their_language(catalog_services, domain) -> None:
    catalog_services.profiles.set_consent("yes-zh", True)
    _, messages = await _recommend("yes-zh", domain, "zh")
    promos = [m for m in messages if (m.get("custom") or {}).get("promotion")]
    assert len(promos) == 1
    promo = promos[0]
    assert promo["custom"]["promotion"]["sku"] == "HP-1"
    assert "QuietPro" in promo["text"] and any("\u4e00" <= ch <= "\u9fff" for ch in promo["text"])
    assert "¥1,299" in promo["text"] or "1299" in promo["text"]  # the catalog's price, nothing invented


async def test_no_promotion_without_consent(catalog_services, domain) -> None:
    _, unknown = await _recommend("never-asked", domain)
    catalog_services.profiles.set_consent("opted-out", False)
    _, opted_out = await _recommend("opted-out", domain)
    for messages in (unknown, opted_out):
        assert messages  # the recommendations themselves are still there
        assert not [m for m in messages if (m.get("custom") or {}).get("promotion")]


async def test_accepting_an_offer_records_the_choice_and_the_conversion(catalog_services, domain) -> None:
    from sqlalchemy import select

    from bot.store import MarketingEvent

    catalog_services.profiles.set_consent("buyer", True)
    events, _ = await _recommend("buyer", domain)
    tracker = tracker_for("buyer", "I'll take the first one", "accept_offer", "en", message_id="buyer-a")
    tracker.slots["recommended_skus"] = events[0]["value"]
    _, messages = await run_action(ActionAcceptOffer(), tracker, domain)
    assert messages[0]["text"].startswith('Great choice! "QuietPro noise-cancelling headphones"')
    with catalog_services.store.session() as session:
        kinds = [e.kind for e in session.scalars(select(MarketingEvent))]
    assert "promotion_shown" in kinds and "conversion" in kinds
    profile = catalog_services.profiles.get_profile("buyer")
    assert profile.counts.get("click") == 1


async def test_accepting_with_nothing_offered_asks_what_they_want(catalog_services, domain) -> None:
    _, messages = await run_action(ActionAcceptOffer(), tracker_for("x", "我要了", "accept_offer", "zh"), domain)
    assert messages[0]["text"] == default_replies().render("nothing_to_accept", "zh")


def test_ordinals_in_both_languages() -> None:
    assert chosen_index("the second one please", 3) == 1
    assert chosen_index("第三个", 3) == 2
    assert chosen_index("I'll take it", 3) == 0
    assert chosen_index("the third", 2) == 0
