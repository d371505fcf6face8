"""Runs after every user message: fills the ``language`` and ``sentiment`` slots from the NLU
annotations and folds the message into the customer's profile."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import ValidationAction
from rasa_sdk.types import DomainDict

from bot import metrics
from bot.errors import IPMError
from bot.services import get_services

logger = logging.getLogger(__name__)
LANGUAGES = ("en", "zh")


def message_language(tracker: Tracker) -> str:
    """The language of the latest user message, else the slot's, else English."""
    lang = (tracker.latest_message or {}).get("language")
    if lang in LANGUAGES:
        return str(lang)
    slot = tracker.get_slot("language")
    return str(slot) if slot in LANGUAGES else "en"


def latest_user_event(tracker: Tracker) -> dict[str, Any] | None:
    """The latest ``user`` event (it carries Rasa's ``message_id``)."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return event
    return None


def message_aspects(message: dict[str, Any]) -> dict[str, float]:
    """``{aspect: polarity in [-1, 1]}``: the message's sentiment credited to each aspect it names."""
    polarity = float((message.get("sentiment") or {}).get("polarity") or 0.0)
    return {a["aspect"]: polarity for a in message.get("aspects") or [] if a.get("aspect")}


def record_turn(tracker: Tracker) -> None:
    """Fold the latest user message into the sender's profile (idempotent on Rasa's message id)."""
    message = tracker.latest_message or {}
    text = message.get("text")
    event = latest_user_event(tracker)
    if not text or event is None:
        return
    services = get_services()
    categories = services.product_search.categories(text)
    event_id = event.get("message_id") or f"{tracker.sender_id}:{event.get('timestamp')}"
    services.profiles.record_message(
        tracker.sender_id,
        text,
        language=message_language(tracker),
        intent=(message.get("intent") or {}).get("name"),
        sentiment=(message.get("sentiment") or {}).get("polarity"),
        aspects=message_aspects(message),
        categories=categories,
        event_id=f"rasa:{event_id}",
    )


class ValidateSlotMappings(ValidationAction):
    """``action_validate_slot_mappings``: Rasa calls it after every user message."""

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        try:
            await asyncio.to_thread(record_turn, tracker)
        except IPMError as exc:
            # The conversation goes on without the profile update; the failure is counted.
            metrics.FALLBACKS.labels("profiles", type(exc).__name__).inc()
            logger.error("profile update failed for a turn: %s", exc)
        return await super().run(dispatcher, tracker, domain)

    async def extract_language(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        lang = (tracker.latest_message or {}).get("language")
        # Keep the previous language for messages without letters ("👍", "123").
        return {"language": lang} if lang in LANGUAGES else {}

    async def extract_sentiment(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        sentiment = (tracker.latest_message or {}).get("sentiment") or {}
        label = sentiment.get("label")
        return {"sentiment": label} if label in ("positive", "neutral", "negative") else {}
