"""Shop and bank product actions: recommendations, product questions, order status."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions._reply import say, service_unavailable
from actions.understanding import message_language
from bot.errors import IPMError
from bot.orders import latest_purchase
from bot.recommendation_service import parse_refinement
from bot.replies import date_text, product_details, product_line
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
        refinement = parse_refinement(text) if refining and previous else None
        services = get_services()
        try:
            profile = await asyncio.to_thread(services.profiles.get_profile, tracker.sender_id)
            picks = await asyncio.to_thread(
                services.recommendations.recommend,
                tracker.sender_id, text, profile, language, 3, previous if refining else (), refinement,
            )
        except IPMError as exc:
            return service_unavailable(dispatcher, language, "recommendations", exc)
        if not picks:
            say(dispatcher, language, "no_recommendations")
            return [SlotSet("recommended_skus", [])]
        say(dispatcher, language, "recommendations_intro")
        lines = [f"{i}. {product_line(p.product, language, p.reason)}" for i, p in enumerate(picks, 1)]
        dispatcher.utter_message(
            text="\n".join(lines),
            custom={"cards": [{"sku": p.product.sku, "title": p.product.name(language),
                               "subtitle": product_line(p.product, language), "reason": p.reason,
                               "reason_kind": p.reason_kind}
                              for p in picks]},
        )
        return [SlotSet("recommended_skus", [p.product.sku for p in picks])]


class ActionProductInfo(Action):
    def name(self) -> str:
        return "action_product_info"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        language = message_language(tracker)
        text = (tracker.latest_message or {}).get("text") or ""
        try:
            hits = await asyncio.to_thread(get_services().product_search.find, text, 3)
        except IPMError as exc:
            return service_unavailable(dispatcher, language, "product_search", exc)
        if not hits:
            say(dispatcher, language, "product_not_found")
            return []
        best = hits[0][0]
        dispatcher.utter_message(text=product_details(best, language))
        others = [p for p, _ in hits[1:]]
        if others:
            label = "您可能也想看看：" if language == "zh" else "You might also look at: "
            sep = "、" if language == "zh" else "; "
            dispatcher.utter_message(text=label + sep.join(product_line(p, language) for p in others))
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
            say(dispatcher, language, "order_not_found")
        else:
            say(
                dispatcher,
                language,
                "order_found",
                product=order.product.name(language),
                date=date_text(order.ordered_at, language),
            )
        return []
