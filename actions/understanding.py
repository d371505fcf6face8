"""Fills the ``language`` and ``sentiment`` slots from what the NLU pipeline put on the message."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import ValidationAction
from rasa_sdk.types import DomainDict

LANGUAGES = ("en", "zh")


def message_language(tracker: Tracker) -> str:
    """The language of the latest user message, else the slot's, else English."""
    lang = (tracker.latest_message or {}).get("language")
    if lang in LANGUAGES:
        return str(lang)
    slot = tracker.get_slot("language")
    return str(slot) if slot in LANGUAGES else "en"


class ValidateSlotMappings(ValidationAction):
    """``action_validate_slot_mappings``: runs after every user message."""

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
