"""Shop and bank product actions: recommendations, product questions, order status."""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions._reply import say, service_unavailable, tailored
from actions.understanding import latest_user_event, message_language
from bot import metrics
from bot.errors import IPMError
from bot.generation import generation_service
from bot.orders import latest_purchase
from bot.recommendation_service import (
    Budget,
    about_shown,
    brand_wishes,
    effective_budget,
    gift_interest,
    ordinal,
    parse_budget,
    parse_refinement,
)
from bot.replies import brand_list, category_list, date_text, product_details, product_line
from bot.services import get_services

logger = logging.getLogger(__name__)




class ActionRecommendProducts(Action):
    """Recommendations with reasons; a ``refine_recommendation`` follow-up changes the last ones."""

    def name(self) -> str:
        return "action_recommend_products"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        language = message_language(tracker)
        message = tracker.latest_message or {}
        text = message.get("text") or ""
        previous = list(tracker.get_slot("recommended_skus") or [])
        refining = (message.get("intent") or {}).get("name") == "refine_recommendation"
        services = get_services()
        # "Any cheap laptops?" after phones is a new request, whatever the intent.
        refining = refining and bool(previous) and not services.recommendations.names_new_category(text, previous)
        refinement = parse_refinement(text) if refining else None
        # A refinement keeps the request's budget and skips everything shown since it.
        state = _state(tracker.get_slot("recommendation_state"))
        budget = parse_budget(text)
        seen: list[str] = []
        avoid: list[str] = []
        wanted: set[str] = set()
        if refinement is not None:
            seen = state["seen"] or previous
            budget = effective_budget(budget or state["budget"], refinement)
            by_sku = {p.sku: p for p in services.product_search.products}
            shown = [by_sku[sku] for sku in previous if sku in by_sku]
            refused, wanted = brand_wishes(text, refinement, shown, services.product_search.products)
            avoid = sorted((set(state["avoid_brands"]) | refused) - wanted)
        try:
            profile = await asyncio.to_thread(services.profiles.get_profile, tracker.sender_id)
            picks = await asyncio.to_thread(
                functools.partial(services.recommendations.recommend, seen=seen, budget=budget, avoid_brands=avoid,
                                  interest=state["interest"] if refinement is not None else None,
                                  kinds=state["kinds"] if refinement is not None else ()),
                tracker.sender_id, text, profile, language, 3, previous, refinement,
            )
        except IPMError as exc:
            return service_unavailable(dispatcher, language, "recommendations", exc)
        if not picks and refinement is not None:
            # Nothing cheaper (pricier, of another brand...): say so, and keep the last picks,
            # which the customer may still take ("OK, I'll take the first one").
            if wanted:  # "any more from Zen?", and there are no more
                of_brand = [p for p in services.product_search.products if p.brand in wanted]
                await tailored(dispatcher, tracker, language, "refined_none_brand",
                               category=category_list(shown, language), brand=brand_list(of_brand, language))
                return []
            await tailored(dispatcher, tracker, language, f"refined_none_{refinement}",
                           category=category_list(shown, language), brand=brand_list(shown, language))
            return []
        if not picks:
            await tailored(dispatcher, tracker, language, "no_recommendations")
            return [SlotSet("recommended_skus", []), SlotSet("recommendation_state", None)]
        await tailored(dispatcher, tracker, language, "recommendations_intro")
        lines = [f"{i}. {product_line(p.product, language, p.reason)}" for i, p in enumerate(picks, 1)]
        dispatcher.utter_message(
            text="\n".join(lines),
            custom={"cards": [{"sku": p.product.sku, "title": p.product.name(language),
                               "subtitle": product_line(p.product, language), "reason": p.reason,
                               "reason_kind": p.reason_kind}
                              for p in picks]},
        )
        await _promote(dispatcher, tracker, picks[0].product.sku, language)
        skus = [p.product.sku for p in picks]
        return [SlotSet("recommended_skus", skus),
                SlotSet("recommendation_state", {"seen": list(dict.fromkeys(seen + skus)),
                                                 "budget": list(budget) if budget else None,
                                                 "avoid_brands": avoid,
                                                 "interest": state["interest"] if refinement is not None
                                                 else gift_interest(text),
                                                 # "A robot vacuum", then "cheaper?": robot vacuums.
                                                 "kinds": state["kinds"] if refinement is not None
                                                 else sorted({p.kind for p in picks if p.kind})})]


def _state(value: Any) -> dict[str, Any]:
    """The ``recommendation_state`` slot, checked: seen SKUs, budget ``(low, high)`` or None, refused
    brands, the interest of the person a present is for (or None), and the kinds of product asked for."""
    value = value if isinstance(value, dict) else {}
    seen = [s for s in value.get("seen") or [] if isinstance(s, str)]
    raw = value.get("budget")
    budget: Budget | None = None
    if isinstance(raw, list) and len(raw) == 2 and all(b is None or isinstance(b, (int, float)) for b in raw):
        budget = (raw[0], raw[1])
    avoid = [b for b in value.get("avoid_brands") or [] if isinstance(b, str)]
    interest = value.get("interest") if isinstance(value.get("interest"), str) else None
    kinds = [k for k in value.get("kinds") or [] if isinstance(k, str)]
    return {"seen": seen, "budget": budget, "avoid_brands": avoid, "interest": interest, "kinds": kinds}


async def _promote(dispatcher: CollectingDispatcher, tracker: Tracker, sku: str, language: str) -> None:
    """Add a personalized promotion of ``sku`` — only for customers with marketing consent.

    The generation service enforces consent, grounding and the guardrails itself; a failure
    here costs the customer the promotion, never the recommendations.
    """
    message = tracker.latest_message or {}
    event = latest_user_event(tracker) or {}
    try:
        promotion = await generation_service(get_services()).promote(
            tracker.sender_id,
            sku,
            language=language,
            mood=(message.get("sentiment") or {}).get("label"),
            event_id=f"rasa:{event.get('message_id') or event.get('timestamp')}",
        )
    except IPMError as exc:
        metrics.FALLBACKS.labels("promotion", type(exc).__name__).inc()
        logger.error("promotion failed: %s", exc)
        return
    if promotion is not None:
        dispatcher.utter_message(text=promotion.text, custom={"promotion": {
            "sku": promotion.sku, "campaign": promotion.campaign_id, "variant": promotion.variant}})


def chosen_index(text: str, count: int) -> int:
    """Which of ``count`` listed items the customer means ("the second one", "第三个"); first by default."""
    index = ordinal(text)
    return 0 if index is None or index >= count else index % count


class ActionAcceptOffer(Action):
    """``accept_offer``: the customer takes one of the items just recommended or promoted."""

    def name(self) -> str:
        return "action_accept_offer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        language = message_language(tracker)
        shown = list(tracker.get_slot("recommended_skus") or [])
        if not shown:
            say(dispatcher, language, "nothing_to_accept")
            return []
        text = (tracker.latest_message or {}).get("text") or ""
        sku = shown[chosen_index(text, len(shown))]
        event = latest_user_event(tracker) or {}
        event_id = f"rasa:{event.get('message_id') or event.get('timestamp')}"
        services = get_services()
        try:
            product = next((p for p in services.product_search.products if p.sku == sku), None)
            if product is None:
                say(dispatcher, language, "nothing_to_accept")
                return []
            # The customer's choice is behaviour: it feeds the profile and the recommender,
            # and counts as the conversion of the promotion experiment they are in.
            await asyncio.to_thread(services.profiles.record_interaction, tracker.sender_id, sku, "click",
                                    event_id=f"{event_id}:click")
            await asyncio.to_thread(generation_service(services).accept_offer, tracker.sender_id,
                                    goal="accepted_offer", sku=sku, event_id=event_id)
        except IPMError as exc:
            return service_unavailable(dispatcher, language, "offers", exc)
        say(dispatcher, language, "offer_accepted", product=product.name(language), sku=sku)
        return []


class ActionProductInfo(Action):
    def name(self) -> str:
        return "action_product_info"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        language = message_language(tracker)
        text = (tracker.latest_message or {}).get("text") or ""
        shown = list(tracker.get_slot("recommended_skus") or [])
        if shown and about_shown(text):
            try:
                return await _answer_about_shown(dispatcher, tracker, text, shown, language)
            except IPMError as exc:
                return service_unavailable(dispatcher, language, "product_search", exc)
        try:
            hits = await asyncio.to_thread(get_services().product_search.find, text, 3)
        except IPMError as exc:
            return service_unavailable(dispatcher, language, "product_search", exc)
        if not hits:
            await tailored(dispatcher, tracker, language, "product_not_found")
            return []
        best = hits[0][0]
        dispatcher.utter_message(text=product_details(best, language))
        others = [p for p, _ in hits[1:]]
        if others:
            label = "您可能也想看看：" if language == "zh" else "You might also look at: "
            sep = "、" if language == "zh" else "; "
            dispatcher.utter_message(text=label + sep.join(product_line(p, language) for p in others))
        return []


async def _answer_about_shown(
    dispatcher: CollectingDispatcher, tracker: Tracker, text: str, shown: list[str], language: str
) -> list[dict[str, Any]]:
    """ "Which one has GPS?" / "is the second one waterproof?" about the picks just shown."""
    services = get_services()
    by_sku = {p.sku: p for p in services.product_search.products}
    index = ordinal(text)
    pointed = by_sku.get(shown[index]) if index is not None and -len(shown) <= index < len(shown) else None
    answer = await asyncio.to_thread(services.recommendations.among_shown, text, shown, language)
    if pointed is not None:  # "is the second one waterproof?": yes or no, then what it is
        if answer is not None:
            having = {p.sku: trait for p, trait in answer[0]}
            if pointed.sku in having:
                say(dispatcher, language, "shown_yes", product=pointed.name(language), trait=having[pointed.sku]
                    or answer[1])
            else:
                say(dispatcher, language, "shown_no", product=pointed.name(language), details=answer[1])
        dispatcher.utter_message(text=product_details(pointed, language))
        return []
    if answer is None:  # "tell me about these": each of them
        for sku in shown:
            if sku in by_sku:
                dispatcher.utter_message(text=product_details(by_sku[sku], language))
        return []
    having, details = answer
    if not having:
        await tailored(dispatcher, tracker, language, "shown_none", details=details)
        return []
    sep = "；" if language == "zh" else "; "
    listed = sep.join(p.name(language) + (f" ({trait})" if trait else "") for p, trait in having)
    say(dispatcher, language, "shown_having", products=listed)
    return []


class ActionOrderStatus(Action):
    def name(self) -> str:
        return "action_order_status"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        language = message_language(tracker)
        try:
            order = await asyncio.to_thread(latest_purchase, get_services().store, tracker.sender_id)
        except IPMError as exc:
            return service_unavailable(dispatcher, language, "orders", exc)
        if order is None:
            await tailored(dispatcher, tracker, language, "order_not_found")
        else:
            await tailored(
                dispatcher,
                tracker,
                language,
                "order_found",
                product=order.product.name(language),
                date=date_text(order.ordered_at, language),
            )
        return []
