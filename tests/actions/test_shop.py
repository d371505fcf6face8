"""Shop actions on a real store and the real encoder: product questions, orders, recommendations."""

from __future__ import annotations

from datetime import datetime, timezone

from actions.shop import ActionOrderStatus, ActionProductInfo, ActionRecommendProducts
from actions.understanding import ValidateSlotMappings
from bot.replies import default_replies
from tests.actions.conftest import run_action, tracker_for
from tests.conftest import PRODUCTS


async def test_product_question_answers_with_catalog_facts(catalog_services, domain) -> None:
    tracker = tracker_for("p1", "QuietPro 降噪耳机多少钱？", "ask_product", "zh")
    _, messages = await run_action(ActionProductInfo(), tracker, domain)
    assert "QuietPro 降噪耳机" in messages[0]["text"] and "¥1,299" in messages[0]["text"]


async def test_bank_product_answers_carry_the_compliance_text(catalog_services, domain) -> None:
    tracker = tracker_for("p2", "tell me about the platinum travel credit card", "ask_product", "en")
    _, messages = await run_action(ActionProductInfo(), tracker, domain)
    assert "Platinum travel credit card" in messages[0]["text"]
    assert "Interest is charged on unpaid balances" in messages[0]["text"]


async def test_unknown_product_is_said_plainly(catalog_services, domain) -> None:
    tracker = tracker_for("p3", "do you sell tractors?", "ask_product", "en")
    _, messages = await run_action(ActionProductInfo(), tracker, domain)
    assert [m["text"] for m in messages] == [default_replies().render("product_not_found", "en")]


async def test_order_status_finds_the_latest_purchase(catalog_services, domain) -> None:
    from bot.profiles import ensure_customer
    from bot.store import Interaction, Product

    store = catalog_services.store
    with store.session() as session:
        cid = ensure_customer(store, session, "buyer")
        ids = {p.sku: p.id for p in session.query(Product)}
        session.add(Interaction(customer_id=cid, product_id=ids["KT-1"], kind="purchase", value=399.0,
                                occurred_at=datetime(2026, 11, 2, tzinfo=timezone.utc)))
        session.add(Interaction(customer_id=cid, product_id=ids["PH-1"], kind="purchase", value=2999.0,
                                occurred_at=datetime(2026, 11, 20, tzinfo=timezone.utc)))
    _, messages = await run_action(ActionOrderStatus(), tracker_for("buyer", "我的快递到哪了", "order_status", "zh"), domain)
    assert messages[0]["text"] == default_replies().render("order_found", "zh", product="Nova X5 智能手机",
                                                           date="2026年11月20日")
    _, messages = await run_action(ActionOrderStatus(), tracker_for("stranger", "where is my order", "order_status", "en"), domain)
    assert messages[0]["text"] == default_replies().render("order_not_found", "en")


async def test_recommendations_follow_the_request_and_skip_out_of_stock(catalog_services, domain) -> None:
    tracker = tracker_for("r1", "can you recommend some headphones?", "request_recommendation", "en")
    _, messages = await run_action(ActionRecommendProducts(), tracker, domain)
    assert messages[0]["text"] == default_replies().render("recommendations_intro", "en")
    cards = messages[1]["custom"]["cards"]
    assert [c["sku"] for c in cards] == ["HP-1"]  # HP-2 is out of stock
    assert cards[0]["reason"] == "matches the headphones you asked for"


async def test_two_customers_with_different_histories_get_different_picks(catalog_services, domain) -> None:
    # One talked about cooking, the other about phones; both then ask for "something good".
    history = {"cook": ("我很喜欢做饭，电饭煲和空气炸锅都很好用", "zh", 0.6),
               "techie": ("I'm looking at new smartphones with good cameras", "en", 0.0)}
    for sender, (text, lang, polarity) in history.items():
        await run_action(ValidateSlotMappings(), tracker_for(sender, text, "ask_product", lang, message_id=f"h-{sender}",
                                                             sentiment={"label": "x", "polarity": polarity}), domain)
    picks = {}
    for sender, lang in (("cook", "zh"), ("techie", "en")):
        ask = "有什么好东西推荐吗" if lang == "zh" else "recommend me something good"
        _, messages = await run_action(ActionRecommendProducts(), tracker_for(sender, ask, "request_recommendation", lang,
                                                                              message_id=f"a-{sender}"), domain)
        picks[sender] = messages[1]["custom"]["cards"]
    assert {c["sku"][:2] for c in picks["cook"]} == {"KT"}
    assert {c["sku"][:2] for c in picks["techie"]} == {"PH"}
    assert picks["cook"][0]["reason"] == "您对厨房用品评价很好"  # praised, not just browsed
    assert picks["techie"][0]["reason"] == "you've been looking at phones"


async def test_a_follow_up_refines_the_last_recommendations(catalog_services, domain) -> None:
    first = tracker_for("z1", "推荐一款手机", "request_recommendation", "zh", message_id="q1")
    events, messages = await run_action(ActionRecommendProducts(), first, domain)
    shown = events[0]["value"]
    assert events[0]["name"] == "recommended_skus" and set(shown) == {"PH-1", "PH-2", "PH-3"}
    shown = ["PH-2", "PH-1"]  # say only the two dearer ones had been shown
    cheapest = min(p["price"] for p in PRODUCTS if p["sku"] in shown)
    follow = tracker_for("z1", "有便宜一点的吗", "refine_recommendation", "zh", message_id="q2")
    follow.slots["recommended_skus"] = shown
    events, messages = await run_action(ActionRecommendProducts(), follow, domain)
    cards = messages[1]["custom"]["cards"]
    prices = {p["sku"]: p["price"] for p in PRODUCTS}
    assert cards and all(prices[c["sku"]] < cheapest and c["sku"] not in shown for c in cards)
    assert events[0]["value"] == [c["sku"] for c in cards]


async def test_a_follow_up_with_nothing_left_says_why_and_keeps_the_last_picks(catalog_services, domain) -> None:
    # The cheapest phone and the only kitchen brand: nothing is cheaper or of another brand.
    for sender, text, refinement_text, expected in (
        ("y1", "有便宜一点的吗", "PH-3", "这些已经是目前能为您推荐的最实惠的手机了。要不要看看其他品类？"),
        ("y2", "not this brand", "KT-1",
         "All the kitchenware I can offer you right now are from ChefMate. Shall I look in another category?"),
    ):
        follow = tracker_for(sender, text, "refine_recommendation", "zh" if sender == "y1" else "en")
        follow.slots["recommended_skus"] = [refinement_text]
        events, messages = await run_action(ActionRecommendProducts(), follow, domain)
        assert [m["text"] for m in messages] == [expected]
        assert events == []  # the last picks stay, so "I'll take it" still finds them


async def test_follow_ups_keep_the_budget_and_never_repeat_a_pick(catalog_services, domain) -> None:
    first = tracker_for("x1", "推荐一款手机，预算3000以内", "request_recommendation", "zh", message_id="b1")
    events, messages = await run_action(ActionRecommendProducts(), first, domain)
    shown, state = events[0]["value"], events[1]["value"]
    assert set(shown) == {"PH-1", "PH-3"}  # PH-2 costs 4,599
    assert state == {"seen": shown, "budget": [None, 3000.0], "avoid_brands": [], "interest": None, "kinds": []}
    assert "¥3,000以内" in messages[1]["text"]
    # "Anything else?": the only other phone is over budget, so there is nothing more to show.
    more = tracker_for("x1", "还有别的吗", "refine_recommendation", "zh", message_id="b2")
    more.slots.update(recommended_skus=shown, recommendation_state=state)
    events, messages = await run_action(ActionRecommendProducts(), more, domain)
    assert events == [] and messages[0]["text"] == "目前能为您推荐的手机就是这些了。要不要看看其他品类？"
    # Without the budget, the next follow-up shows PH-2, and after it nothing again.
    more = tracker_for("x2", "other options?", "refine_recommendation", "en", message_id="b3")
    more.slots.update(recommended_skus=["PH-3"], recommendation_state={"seen": ["PH-1", "PH-3"], "budget": None})
    events, _ = await run_action(ActionRecommendProducts(), more, domain)
    assert events[0]["value"] == ["PH-2"] and events[1]["value"]["seen"] == ["PH-1", "PH-3", "PH-2"]
    more.slots.update(recommended_skus=["PH-2"], recommendation_state=events[1]["value"])
    events, messages = await run_action(ActionRecommendProducts(), more, domain)
    assert events == [] and messages[0]["text"].startswith("That's everything I can offer you in phones")


async def test_more_premium_drops_the_budget_ceiling_for_the_rest_of_the_follow_ups(catalog_services, domain) -> None:
    up = tracker_for("v1", "something more premium", "refine_recommendation", "en", message_id="p1")
    up.slots.update(recommended_skus=["PH-3"], recommendation_state={"seen": ["PH-3"], "budget": [None, 2000.0]})
    events, _ = await run_action(ActionRecommendProducts(), up, domain)
    assert set(events[0]["value"]) == {"PH-1", "PH-2"} and events[1]["value"]["budget"] is None


async def test_a_brand_turned_down_stays_out_of_the_follow_ups(catalog_services, domain) -> None:
    first = tracker_for("w1", "not Nova", "refine_recommendation", "en", message_id="n1")
    first.slots.update(recommended_skus=["PH-1"], recommendation_state={"seen": ["PH-1"], "budget": None})
    events, _ = await run_action(ActionRecommendProducts(), first, domain)
    assert "PH-1" not in events[0]["value"] and events[1]["value"]["avoid_brands"] == ["Nova"]


async def test_any_catalog_brand_can_be_turned_down_or_asked_for(catalog_services, domain) -> None:
    # Zen was not among the last picks: turned down all the same, and kept out afterwards.
    down = tracker_for("w2", "I don't want Zen", "refine_recommendation", "en", message_id="n2")
    down.slots.update(recommended_skus=["PH-1"], recommendation_state={"seen": ["PH-1"], "budget": None})
    events, messages = await run_action(ActionRecommendProducts(), down, domain)
    assert events[0]["value"] == ["PH-2"] and events[1]["value"]["avoid_brands"] == ["Zen"]
    assert "not Zen, as you asked" in messages[1]["text"]
    # Asked for later: the wish lifts the refusal.
    wish = tracker_for("w2", "actually, any Zen ones?", "refine_recommendation", "en", message_id="n3")
    wish.slots.update(recommended_skus=events[0]["value"], recommendation_state=events[1]["value"])
    events, messages = await run_action(ActionRecommendProducts(), wish, domain)
    assert events[0]["value"] == ["PH-3"] and events[1]["value"]["avoid_brands"] == []
    assert "from Zen, as you asked" in messages[1]["text"]
    # Nothing more of that brand: said plainly, the last picks kept.
    none = tracker_for("w3", "any more from Zen?", "refine_recommendation", "en", message_id="n4")
    none.slots.update(recommended_skus=["PH-3"], recommendation_state={"seen": ["PH-3"], "budget": None})
    events, messages = await run_action(ActionRecommendProducts(), none, domain)
    assert events == [] and [m["text"] for m in messages] == [
        "I have no more phones from Zen to offer you right now. Ask me for other products of Zen, "
        "or for phones of other brands."]
    # A brand of another kind of product is a new request for it.
    other = tracker_for("w4", "anything from ChefMate?", "refine_recommendation", "en", message_id="n5")
    other.slots.update(recommended_skus=["PH-1"], recommendation_state={"seen": ["PH-1"], "budget": None})
    events, _ = await run_action(ActionRecommendProducts(), other, domain)
    assert set(events[0]["value"]) == {"KT-1", "KT-2"}


async def test_a_question_about_the_picks_just_shown_is_answered_from_them(catalog_services, domain) -> None:
    def asked(text: str, language: str = "en"):
        tracker = tracker_for("q1", text, "ask_product", language)
        tracker.slots["recommended_skus"] = ["PH-2", "PH-1", "PH-3"]
        return run_action(ActionProductInfo(), tracker, domain)

    _, messages = await asked("which one has a 5000 mAh battery?")
    assert [m["text"] for m in messages] == [
        "Of the ones I just showed you: Nova X5 smartphone (6.5-inch phone with a 5000 mAh battery)."]
    _, messages = await asked("这几个哪个有5000毫安电池", "zh")
    assert messages[0]["text"].startswith("刚才推荐的里面符合的是：Nova X5 智能手机")
    # Asked of one of them by its place in the list: yes or no, then what it is.
    _, messages = await asked("does the second one have a 5000 mAh battery?")
    assert messages[0]["text"].startswith("Yes: Nova X5 smartphone has") and "5000 mAh" in messages[1]["text"]
    _, messages = await asked("does the first one have a 5000 mAh battery?")
    assert messages[0]["text"].startswith("Pixelon 8 camera phone doesn't list")
    # Nothing shown has it: said so, with what to ask instead.
    _, messages = await asked("which of these has wireless charging?")
    assert messages[0]["text"].startswith("None of the ones I just showed you has")
    # Without picks shown, a question is about the catalog as before.
    tracker = tracker_for("q2", "which one is the Nova X5?", "ask_product", "en")
    _, messages = await run_action(ActionProductInfo(), tracker, domain)
    assert messages[0]["text"].startswith("Nova X5 smartphone")


async def test_a_follow_up_keeps_to_the_kind_of_product_asked_for(catalog_services, domain) -> None:
    from bot.store import Product

    with catalog_services.store.session() as session:  # a kettle is kitchenware, but no rice cooker
        session.add_all([
            Product(sku="KT-3", domain="shop", category="kitchen", name_en="ChefMate kettle", name_zh="ChefMate 电水壶",
                    description_en="1.7-litre kettle.", description_zh="1.7升电水壶。", price=99.0,
                    currency="CNY", stock=9, brand="ChefMate"),
            Product(sku="KT-5", domain="shop", category="kitchen", name_en="Basic rice cooker", name_zh="简易电饭煲",
                    description_en="3-litre rice cooker.", description_zh="3升电饭煲。", price=199.0,
                    currency="CNY", stock=9, brand="Basic"),
        ])
    catalog_services.refresh_catalog()
    first = tracker_for("k1", "I'd like a rice cooker", "request_recommendation", "en", message_id="r1")
    events, _ = await run_action(ActionRecommendProducts(), first, domain)
    assert set(events[0]["value"][:2]) == {"KT-1", "KT-5"} and events[1]["value"]["kinds"] == ["rice cooker"]
    cheaper = tracker_for("k1", "anything cheaper?", "refine_recommendation", "en", message_id="r2")
    # Say only the dearer rice cooker had been shown.
    cheaper.slots.update(recommended_skus=["KT-1"], recommendation_state={**events[1]["value"], "seen": ["KT-1"]})
    events, _ = await run_action(ActionRecommendProducts(), cheaper, domain)
    assert events[0]["value"] == ["KT-5"]  # the cheaper rice cooker, not the cheaper kettle
    assert events[1]["value"]["kinds"] == ["rice cooker"]


async def test_order_status_after_an_angry_message_opens_with_understanding(catalog_services, domain) -> None:
    tracker = tracker_for("angry", "where is my parcel?? it is taking forever", "order_status", "en",
                          sentiment={"label": "negative", "confidence": 0.9, "polarity": -0.8},
                          aspects=[{"aspect": "delivery"}])
    _, messages = await run_action(ActionOrderStatus(), tracker, domain)
    written = default_replies().render("order_not_found", "en")
    text = messages[0]["text"]
    assert text != written and text.endswith(written)  # every word of the answer kept
    assert text.startswith("I'm sorry about the trouble with delivery")


async def test_a_calm_question_gets_the_reply_as_written(catalog_services, domain) -> None:
    tracker = tracker_for("calm", "where is my order", "order_status", "en",
                          sentiment={"label": "neutral", "confidence": 0.8, "polarity": 0.0})
    _, messages = await run_action(ActionOrderStatus(), tracker, domain)
    assert messages[0]["text"] == default_replies().render("order_not_found", "en")


async def test_a_follow_up_naming_another_category_is_a_new_request(catalog_services, domain) -> None:
    follow = tracker_for("z9", "any cheaper kitchenware?", "refine_recommendation", "en", message_id="q2")
    follow.slots["recommended_skus"] = ["PH-1", "PH-2"]
    _, messages = await run_action(ActionRecommendProducts(), follow, domain)
    cards = messages[1]["custom"]["cards"]
    # Kitchenware, not phones cheaper than the last ones; "cheaper" asks for its cheaper half.
    assert [c["sku"] for c in cards] == ["KT-1"]
    assert cards[0]["reason"] == "matches the kitchenware you asked for, at the affordable end of our range"


async def test_a_gift_requests_interest_is_kept_for_the_follow_ups(catalog_services, domain) -> None:
    first = tracker_for("g1", "a gift for my son, he loves smartphones", "request_recommendation", "en")
    events, _ = await run_action(ActionRecommendProducts(), first, domain)
    state = next(e["value"] for e in events if e["name"] == "recommendation_state")
    assert state["interest"] == "smartphones"
    follow = tracker_for("g1", "anything cheaper?", "refine_recommendation", "en", message_id="q2")
    follow.slots["recommended_skus"] = next(e["value"] for e in events if e["name"] == "recommended_skus")
    follow.slots["recommendation_state"] = state
    events, messages = await run_action(ActionRecommendProducts(), follow, domain)
    assert next(e["value"] for e in events if e["name"] == "recommendation_state")["interest"] == "smartphones"
    assert all(c["sku"].startswith("PH-") for c in messages[1]["custom"]["cards"])
