"""The chat's recommendation service: the hybrid on the store, requests, refinements, business rules."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from bot.recommendation_service import budget_text, parse_budget, parse_refinement


@pytest.fixture()
def shop(catalog_services):
    """Customers who buy a phone with noise-cancelling headphones, others who cook."""
    from bot.profiles import ensure_customer
    from bot.store import Interaction, Product

    store = catalog_services.store
    start = datetime(2026, 10, 1, tzinfo=timezone.utc)
    with store.session() as session:
        ids = {p.sku: p.id for p in session.query(Product)}
        plan = {f"tech-{i}": ["PH-1", "HP-1"] for i in range(12)}
        plan |= {f"cook-{i}": ["KT-1", "KT-2"] for i in range(8)}
        plan |= {"alice": ["PH-1"], "bob": ["KT-1"]}
        for n, (sender, skus) in enumerate(plan.items()):
            cid = ensure_customer(store, session, sender)
            for j, sku in enumerate(skus):
                session.add(Interaction(customer_id=cid, product_id=ids[sku], kind="purchase",
                                        value=1.0, occurred_at=start + timedelta(hours=n, minutes=j)))
    return catalog_services


def test_customers_with_different_histories_get_different_explained_picks(shop) -> None:
    service = shop.recommendations
    alice = service.recommend("alice", "recommend me something", None, "en")
    bob = service.recommend("bob", "有什么推荐吗", None, "zh")
    assert alice[0].product.sku == "HP-1"  # bought with phones by customers like her
    assert "Nova X5 smartphone" in alice[0].reason  # explained by her own purchase
    assert bob[0].product.sku == "KT-2"
    assert "ChefMate 电饭煲" in bob[0].reason
    # Never what they already bought, never out of stock.
    assert "PH-1" not in {p.product.sku for p in alice} and "HP-2" not in {p.product.sku for p in alice}
    assert "KT-1" not in {p.product.sku for p in bob}


def test_a_named_category_restricts_the_picks(shop) -> None:
    picks = shop.recommendations.recommend("bob", "recommend me a phone", None, "en")
    assert picks and {p.product.category for p in picks} == {"phones"}


def test_refinements_change_the_last_picks(shop) -> None:
    service = shop.recommendations
    first = service.recommend("carol", "I'm looking for a new phone", None, "en")
    shown = [p.product.sku for p in first]
    assert set(shown) <= {"PH-1", "PH-2", "PH-3"} and shown
    cheaper = service.recommend("carol", "something cheaper", None, "en", previous=shown, refinement="cheaper")
    assert all(p.product.price < min(q.product.price for q in first) for p in cheaper)
    other = service.recommend("carol", "not this brand", None, "en", previous=["PH-1"], refinement="other_brand")
    assert other and all(p.product.brand != "Nova" and p.product.category == "phones" for p in other)
    # The reason says how the pick answers the follow-up.
    assert all(p.reason == "cheaper than the ones I just showed you" for p in cheaper)
    assert other[0].reason_kind == "other_brand"
    assert other[0].reason == "a different brand from the ones I just showed you"
    zh = service.recommend("carol", "有便宜一点的吗", None, "zh", previous=["PH-2"], refinement="cheaper")
    assert zh and zh[0].reason == "比刚才推荐的更实惠"


def test_cheaper_compares_prices_within_each_category_of_the_last_picks(shop) -> None:
    # Unasked picks from two categories: a cheaper headphone must be cheaper than the headphones
    # shown, not than the cheapest thing shown (a rice cooker), and no pick claims the customer
    # asked for its category.
    service = shop.recommendations
    shown = ["HP-1", "KT-2", "PH-2"]
    cheaper = service.recommend("erin", "anything cheaper?", None, "en", previous=shown, refinement="cheaper")
    picks = {p.product.sku for p in cheaper}
    assert picks == {"KT-1", "PH-1", "PH-3"} - {"HP-2"}  # HP-2 is cheaper but out of stock
    assert all(p.reason_kind == "cheaper" and "asked" not in p.reason for p in cheaper)
    pricier = service.recommend("erin", "something more premium", None, "en", previous=["PH-1", "KT-1"],
                                refinement="pricier")
    assert {p.product.sku for p in pricier} == {"PH-2", "KT-2"}


def test_complaints_demote_a_category(shop) -> None:
    from bot.profiles import ProfileService

    profiles = ProfileService(shop.store)
    profiles.record_message("dan", "the kitchen stuff I bought was terrible", "en", sentiment=-0.9,
                            categories=["kitchen"], event_id="d1")
    profiles.record_message("dan", "and I also like phones", "en", sentiment=0.0, categories=["phones"], event_id="d2")
    picks = shop.recommendations.recommend("dan", "recommend me something", profiles.get_profile("dan"), "en")
    assert picks[0].product.category != "kitchen"


def test_refitting_sees_new_interactions(shop) -> None:
    service = shop.recommendations
    first = service.model()
    assert service.model() is first  # cached while nothing changed
    from bot.profiles import ProfileService

    profiles = ProfileService(shop.store)
    for i in range(5):
        profiles.record_interaction(f"new-{i}", "PH-3", "purchase", event_id=f"n{i}")
    assert service.model() is not first


@pytest.mark.parametrize(
    ("text", "kind"),
    [("something cheaper please", "cheaper"), ("太贵了，有没有便宜点的", "cheaper"), ("不要这个牌子", "other_brand"),
     ("any other brands?", "other_brand"), ("有没有更高端的", "pricier"), ("show me something else", "other")],
)
def test_parse_refinement(text: str, kind: str) -> None:
    assert parse_refinement(text) == kind


def test_evidence_from_the_other_side_of_the_business_is_not_given_as_a_reason(catalog_services) -> None:
    from bot.profiles import ProfileService

    profiles = ProfileService(catalog_services.store)
    for i in range(10):  # card holders who also buy headphones
        profiles.record_interaction(f"cc-{i}", "CC-1", "click", event_id=f"c{i}")
        profiles.record_interaction(f"cc-{i}", "HP-1", "purchase", event_id=f"h{i}")
    profiles.record_interaction("erin", "CC-1", "click", event_id="e1")
    picks = catalog_services.recommendations.recommend("erin", "recommend some headphones", None, "en")
    assert picks[0].product.sku == "HP-1"
    assert picks[0].reason == "matches the headphones you asked for"
    assert all("credit card" not in p.reason.lower() for p in picks)


def test_a_category_request_is_not_explained_as_asking_about_one_product(shop) -> None:
    picks = shop.recommendations.recommend("bob", "recommend me a phone", None, "en")
    assert all(p.reason_kind != "similar_to_asked" for p in picks)
    named = shop.recommendations.recommend("zed", "anything like the Nova X5?", None, "en")
    assert any(p.reason_kind == "similar_to_asked" and "Nova X5" in p.reason for p in named)


def test_a_customer_known_only_from_the_chat_keeps_to_their_interests(shop) -> None:
    # No behaviour, so the behaviour models know nothing of them; what they asked about in the
    # chat does. Picks shown just before are not shown again for "anything else?".
    from bot.profiles import ProfileService

    profiles = ProfileService(shop.store)
    profiles.record_message("frank", "I want a phone", "en", intent="request_recommendation", sentiment=0.0,
                            categories=["phones"], event_id="f1")
    profile = profiles.get_profile("frank")
    picks = shop.recommendations.recommend("frank", "recommend me something", profile, "en", previous=["PH-1"])
    assert picks and {p.product.category for p in picks} == {"phones"}
    assert "PH-1" not in {p.product.sku for p in picks}
    assert all(p.reason == "you've been looking at phones" for p in picks)
    # Once they complain about phones, phones are no longer offered unasked.
    profiles.record_message("frank", "the phone I got is awful", "en", intent="complain", sentiment=-0.9,
                            categories=["phones"], event_id="f2")
    after = shop.recommendations.recommend("frank", "recommend me something", profiles.get_profile("frank"), "en")
    assert after and "phones" not in {p.product.category for p in after}
    # A customer with behaviour still gets the behaviour models' picks and reasons.
    alice = shop.recommendations.recommend("alice", "recommend me something", profile, "en")
    assert alice[0].product.sku == "HP-1" and "Nova X5 smartphone" in alice[0].reason


@pytest.mark.parametrize(("text", "budget"), [
    ("headphones under 300 yuan", (None, 300.0)),
    ("推荐个手机，预算1500以内", (None, 1500.0)),
    ("any laptops below 5,000?", (None, 5000.0)),
    ("a laptop around 5k", (4000.0, 6000.0)),
    ("预算三千左右", (2400.0, 3600.0)),
    ("1000到2000之间的耳机", (1000.0, 2000.0)),
    ("between ¥1,000 and ¥2,500", (1000.0, 2500.0)),
    ("1.5万以内的电脑", (None, 15000.0)),
    ("不超过两千", (None, 2000.0)),
    ("something over 800 please", (800.0, None)),
    ("2000以上的", (2000.0, None)),
    # numbers that are not prices
    ("a phone with a 5000 mAh battery", None),
    ("toys for 4-6岁的孩子", None),
    ("at least 8GB of RAM", None),
    ("a screen under 6 inches", None),
    ("over 1,000 years old", None),
    ("a phone from 2023", None),
    ("recommend me something", None),
])
def test_parse_budget(text: str, budget) -> None:
    assert parse_budget(text) == budget


def test_budget_text_in_both_languages() -> None:
    assert budget_text((None, 1500.0), "en") == "under ¥1,500"
    assert budget_text((None, 1500.0), "zh") == "¥1,500以内"
    assert budget_text((1000.0, 2000.0), "en") == "¥1,000–¥2,000"
    assert budget_text((800.0, None), "zh") == "¥800以上"


def test_a_budget_keeps_the_picks_within_it_and_says_so(shop) -> None:
    service = shop.recommendations
    picks = service.recommend("gina", "a phone under 3000 yuan", None, "en", budget=(None, 3000.0))
    assert {p.product.sku for p in picks} == {"PH-1", "PH-3"}
    assert all(p.reason == "matches the phones you asked for, under ¥3,000" for p in picks)
    zh = service.recommend("gina", "3000元以上的手机", None, "zh", budget=(3000.0, None))
    assert [p.product.sku for p in zh] == ["PH-2"] and zh[0].reason == "符合您想要的手机，¥3,000以上"


def test_a_refinement_skips_everything_shown_since_the_request(shop) -> None:
    service = shop.recommendations
    more = service.recommend("hal", "other options?", None, "en", previous=["PH-2"], refinement="other",
                             seen=["PH-1", "PH-2"])
    assert [p.product.sku for p in more] == ["PH-3"]
    # The category came from the last picks: the customer never asked for it.
    assert more[0].reason == "more phones like the ones I just showed you"


def test_naming_a_brand_of_the_last_picks_drops_only_that_brand(shop) -> None:
    picks = shop.recommendations.recommend("ivy", "not Nova", None, "en", previous=["PH-1", "PH-2"],
                                           refinement="other")
    assert {p.product.sku for p in picks} == {"PH-3"}  # not Nova; Pixelon (PH-2) was just shown
    again = shop.recommendations.recommend("ivy", "不要Pixelon的", None, "zh", previous=["PH-2", "PH-3"],
                                           refinement="other")
    assert {p.product.sku for p in again} == {"PH-1"} and again[0].reason == "不是您不想要的Pixelon"
    assert picks[0].reason == "not Nova, as you asked"
    # Brands turned down earlier in the follow-ups stay out.
    later = shop.recommendations.recommend("ivy", "another brand", None, "en", previous=["PH-3"],
                                           refinement="other_brand", avoid_brands=["Nova"])
    assert {p.product.sku for p in later} == {"PH-2"}


def test_a_brand_turned_down_need_not_be_among_the_last_picks(shop) -> None:
    # Zen was not shown: "not Zen" still keeps it out, and says so.
    picks = shop.recommendations.recommend("jon", "I don't want Zen", None, "en", previous=["PH-1"],
                                           refinement="other")
    assert [p.product.sku for p in picks] == ["PH-2"] and picks[0].reason == "not Zen, as you asked"
    zh = shop.recommendations.recommend("jon", "除了Zen还有别的吗", None, "zh", previous=["PH-2"], refinement="other")
    assert [p.product.sku for p in zh] == ["PH-1"]


def test_a_brand_asked_for_in_a_follow_up_is_all_the_picks(shop) -> None:
    picks = shop.recommendations.recommend("kai", "any from Zen?", None, "en", previous=["PH-1", "PH-2"],
                                           refinement="other")
    assert [p.product.sku for p in picks] == ["PH-3"] and picks[0].reason == "from Zen, as you asked"
    # Asked for after turning it down: the wish wins over the earlier refusal.
    again = shop.recommendations.recommend("kai", "有Zen的吗", None, "zh", previous=["PH-1"], refinement="other",
                                           avoid_brands=["Zen"])
    assert [p.product.sku for p in again] == ["PH-3"] and again[0].reason == "您想要的Zen"
    # With "cheaper", both are said.
    cheaper = shop.recommendations.recommend("kai", "a cheaper Zen one?", None, "en", previous=["PH-1"],
                                             refinement="cheaper")
    assert [p.product.sku for p in cheaper] == ["PH-3"]
    assert cheaper[0].reason == "cheaper than the ones I just showed you, from Zen as you asked"
    # A brand that makes none of the kinds just shown: nothing (the chat says so), not other brands.
    assert shop.recommendations.recommend("kai", "anything from ChefMate?", None, "en", previous=["PH-1"],
                                          refinement="other") == []


def test_a_brand_is_named_in_chinese_in_a_chinese_reason(shop) -> None:
    from bot.store import Product

    with shop.store.session() as session:
        session.add(Product(sku="PH-9", domain="shop", category="phones", name_en="Zento D7 camera phone",
                            name_zh="臻拓D7 影像手机", description_en="", description_zh="", price=3489.0,
                            currency="CNY", stock=3, brand="Zento"))
    shop.refresh_catalog()
    down = shop.recommendations.recommend("lee", "不要Zento的", None, "zh", previous=["PH-9"], refinement="other")
    assert down and down[0].reason == "不是您不想要的臻拓"
    wish = shop.recommendations.recommend("lee", "有Zento的吗", None, "zh", previous=["PH-1"], refinement="other")
    assert [p.product.sku for p in wish] == ["PH-9"] and wish[0].reason == "您想要的臻拓"


@pytest.mark.parametrize(
    ("text", "refinement", "refused", "wanted"),
    [("not Zen", "other", {"Zen"}, set()), ("anything but Pixelon?", "other", {"Pixelon"}, set()),
     ("不要Zen的", "other", {"Zen"}, set()), ("除了Nova还有别的吗", "other", {"Nova"}, set()),
     ("other brands than Nova", "other_brand", {"Nova"}, set()), ("only the Zen brand", "other_brand", set(), {"Zen"}),
     ("any Zen ones?", "other", set(), {"Zen"}), ("有Pixelon的吗", "other", set(), {"Pixelon"}),
     ("another brand please", "other_brand", {"Nova"}, set()), ("something cheaper", "cheaper", set(), set())],
)
def test_brand_wishes_tell_refusals_from_requests(shop, text, refinement, refused, wanted) -> None:
    from bot.recommendation_service import brand_wishes

    catalog = shop.product_search.products
    shown = [p for p in catalog if p.sku == "PH-1"]
    assert brand_wishes(text, refinement, shown, catalog) == (refused, wanted)


def test_a_gift_is_looked_for_in_the_shop(shop) -> None:
    # Her interests are on the bank side; a present still comes from the shop.
    from bot.profiles import ProfileService

    profiles = ProfileService(shop.store)
    profiles.record_message("kim", "which credit card suits me", "en", intent="request_recommendation",
                            sentiment=0.0, categories=["credit_card"], event_id="k1")
    profile = profiles.get_profile("kim")
    assert {p.product.domain for p in shop.recommendations.recommend("kim", "recommend something", profile, "en")} \
        == {"bank"}
    gift = shop.recommendations.recommend("kim", "a gift for my mom", profile, "en")
    assert gift and {p.product.domain for p in gift} == {"shop"}


def test_more_premium_goes_past_the_budget_ceiling(shop) -> None:
    picks = shop.recommendations.recommend("lee", "something more premium", None, "en", previous=["PH-3"],
                                           refinement="pricier", seen=["PH-3"], budget=(None, 2000.0))
    assert {p.product.sku for p in picks} == {"PH-1", "PH-2"}


def test_what_a_request_describes_comes_first_with_the_trait_that_answers(shop) -> None:
    from bot.recommendation_service import RecommendationService

    service = shop.recommendations
    plain = RecommendationService(shop.store, shop.product_search, match_descriptions=False)
    assert plain.recommend("bob", "a phone with a good camera", None, "en")[0].product.sku == "PH-1"
    picks = service.recommend("bob", "a phone with a good camera", None, "en")
    # Only the camera phone's name and description speak of a camera: it is the kind asked for.
    assert (picks[0].product.sku, picks[0].reason_kind) == ("PH-2", "kind")
    assert picks[0].reason == "matches the camera phone you asked for"
    # The others are still phones, with the usual reasons, not claimed to match the description.
    assert {p.product.category for p in picks} == {"phones"}
    assert all(p.reason_kind not in ("described", "kind") for p in picks[1:])
    zh = service.recommend("bob", "想要一个拍照好的手机", None, "zh")
    assert (zh[0].product.sku, zh[0].reason_kind, zh[0].reason) == ("PH-2", "kind", "符合您想要的拍照")


def test_a_trait_answers_even_when_no_category_is_named(shop) -> None:
    picks = shop.recommendations.recommend("bob", "something with airport lounge access", None, "en")
    assert [p.product.sku for p in picks] == ["CC-1"]  # the rest of the picks stay in its category
    assert "lounge access" in picks[0].reason.lower()


def test_a_budget_is_no_description_and_filters_first(shop) -> None:
    picks = shop.recommendations.recommend("bob", "a camera phone under 3000 yuan", None, "en",
                                           budget=(None, 3000.0))
    assert {p.product.sku for p in picks} == {"PH-1", "PH-3"}  # the camera phone costs more
    generic = shop.recommendations.recommend("bob", "a phone under 3000 yuan", None, "en", budget=(None, 3000.0))
    assert generic and all(p.reason_kind != "described" for p in generic)


def test_cheap_or_premium_in_a_request_asks_for_that_third_of_the_category(shop) -> None:
    service = shop.recommendations
    cheap = service.recommend("gina", "a cheap phone", None, "en")  # phones at 1,599, 2,999 and 4,599
    assert {p.product.sku for p in cheap} == {"PH-3"}
    assert all(p.reason == "matches the phones you asked for, at the affordable end of our range" for p in cheap)
    premium = service.recommend("gina", "有没有高端一点的手机", None, "zh")
    assert {p.product.sku for p in premium} == {"PH-2"}
    assert all(p.reason == "符合您想要的手机，高端款" for p in premium)
    # A budget named with it decides instead.
    assert {p.product.sku for p in service.recommend("gina", "a cheap phone under 5000", None, "en",
                                                     budget=(None, 5000.0))} == {"PH-1", "PH-2", "PH-3"}


def test_a_follow_up_naming_a_category_of_no_last_pick_is_a_new_request(shop) -> None:
    service = shop.recommendations
    assert service.names_new_category("any cheaper kitchenware?", ["PH-1", "PH-2"])
    assert not service.names_new_category("anything cheaper?", ["PH-1", "PH-2"])
    assert not service.names_new_category("cheaper phones?", ["PH-1", "PH-2"])


@pytest.mark.parametrize(("text", "interest"), [
    ("a gift for my mom who loves cooking", "cooking"),
    ("something for my dad, he loves to hike", "hike"),
    ("my son is into gaming, any gift ideas?", "gaming"),
    ("a gift for my brother, he's into photography", "photography"),
    ("a present for a coffee lover", "coffee"),
    ("送给喜欢做饭的妈妈", "做饭"),
    ("我老公喜欢运动，送他什么好", "运动"),
    ("I'd like a phone", None),                    # the customer's own wish, not someone's interest
    ("a gift for my mom, she likes it", None),
    ("a gift for my mom", None),
])
def test_parse_interest(text: str, interest: str | None) -> None:
    from bot.recommendation_service import parse_interest

    assert parse_interest(text) == interest


def test_a_gift_for_someone_who_loves_something_is_what_is_closest_to_it(shop) -> None:
    service = shop.recommendations
    # Bob's own history is kitchenware; his present for a phone lover is not.
    picks = service.recommend("bob", "a gift for my son, he loves smartphones", None, "en")
    assert picks and {p.product.category for p in picks} == {"phones"}
    assert all(p.reason == "for someone who loves smartphones" for p in picks)
    zh = service.recommend("gina", "送给喜欢做饭的妈妈", None, "zh")
    assert {p.product.sku for p in zh} <= {"KT-1", "KT-2"} and zh[0].reason == "适合喜欢做饭的人"
    # Nothing in the shop is about fishing: plain gift picks, with no claim about fishing.
    plain = service.recommend("gina", "a gift for my dad who loves fishing", None, "en")
    assert plain and all(p.product.domain == "shop" and "fishing" not in p.reason for p in plain)


def test_a_cheap_kind_of_product_is_the_cheap_end_of_that_kind(shop) -> None:
    from bot.store import Product

    with shop.store.session() as session:  # two more kitchen appliances, both cheaper than any cooker
        session.add_all([
            Product(sku="KT-3", domain="shop", category="kitchen", name_en="ChefMate kettle", name_zh="ChefMate 电水壶",
                    description_en="1.7-litre kettle.", description_zh="1.7升电水壶。", price=99.0,
                    currency="CNY", stock=9, brand="ChefMate"),
            Product(sku="KT-4", domain="shop", category="kitchen", name_en="ChefMate toaster", name_zh="ChefMate 烤面包机",
                    description_en="Two-slice toaster.", description_zh="双片烤面包机。", price=129.0,
                    currency="CNY", stock=9, brand="ChefMate"),
            Product(sku="KT-5", domain="shop", category="kitchen", name_en="Budget rice cooker", name_zh="简易电饭煲",
                    description_en="3-litre rice cooker.", description_zh="3升电饭煲。", price=199.0,
                    currency="CNY", stock=9, brand="Basic"),
        ])
    shop.refresh_catalog()
    picks = shop.recommendations.recommend("gina", "有没有便宜点的电饭煲", None, "zh")
    # The cheaper rice cooker, though the kettle and toaster are the cheapest kitchenware.
    assert picks[0].product.sku == "KT-5" and picks[0].reason_kind == "described" and "价位实惠" in picks[0].reason


def test_a_follow_up_to_gift_picks_keeps_to_the_interest(shop) -> None:
    service = shop.recommendations
    first = service.recommend("gina", "a gift for my son, he loves smartphones", None, "en")
    shown = [p.product.sku for p in first]
    cheaper = service.recommend("gina", "something cheaper?", None, "en", previous=shown, refinement="cheaper",
                                seen=shown, interest="smartphones")
    floor = min(p.product.price for p in first)
    assert cheaper and all(p.product.category == "phones" and p.product.price < floor for p in cheaper)
    assert all(p.reason == "cheaper than the ones I just showed you" for p in cheaper)


def test_a_kind_named_with_a_feature_keeps_to_that_kind(shop) -> None:
    from bot.store import Product

    def appliance(sku: str, name_en: str, name_zh: str, description_en: str, description_zh: str) -> Product:
        return Product(sku=sku, domain="shop", category="home_appliances", name_en=name_en, name_zh=name_zh,
                       description_en=description_en, description_zh=description_zh, price=999.0, currency="CNY",
                       stock=5, brand="Haven")

    with shop.store.session() as session:
        session.add_all([
            appliance("HA-1", "Haven robot vacuum A1", "和风扫地机器人 A1", "HEPA filter. App control.", "HEPA滤网。App控制。"),
            appliance("HA-2", "Haven robot vacuum B2", "和风扫地机器人 B2", "Quiet operation.", "静音运行。"),
            appliance("HA-3", "Haven hair dryer C3", "和风吹风机 C3", "Quiet operation.", "静音运行。"),
            appliance("HA-4", "Haven electric fan D4", "和风电风扇 D4", "Quiet operation.", "静音运行。"),
        ])
    shop.refresh_catalog()
    # The vacuum that is quiet, then the other vacuum: not the quiet hair dryer or fan.
    picks = shop.recommendations.recommend("vic", "a quiet robot vacuum", None, "en")
    assert [p.product.sku for p in picks[:2]] == ["HA-2", "HA-1"]
    assert (picks[0].reason_kind, picks[0].reason) == ("described", "Quiet operation — what you asked for")
    assert (picks[1].reason_kind, picks[1].reason) == ("kind", "matches the robot vacuum you asked for")
    hepa = shop.recommendations.recommend("vic", "a robot vacuum with a HEPA filter", None, "en")
    assert [(p.product.sku, p.reason_kind) for p in hepa[:2]] == [("HA-1", "described"), ("HA-2", "kind")]
    zh = shop.recommendations.recommend("vic", "静音的扫地机器人", None, "zh")
    assert [p.product.sku for p in zh[:2]] == ["HA-2", "HA-1"] and zh[1].reason == "符合您想要的扫地机器人"
    # No vacuum is waterproof: the vacuums all the same, said to be the kind asked for, no more.
    wet = shop.recommendations.recommend("vic", "a waterproof robot vacuum", None, "en")
    assert {p.product.sku for p in wet[:2]} == {"HA-1", "HA-2"} and {p.reason_kind for p in wet[:2]} == {"kind"}
    dryer = shop.recommendations.recommend("vic", "any hair dryer?", None, "en")
    assert dryer[0].product.sku == "HA-3"
