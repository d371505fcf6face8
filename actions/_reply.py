"""How actions answer: the bilingual templates of data/replies.yml, tailored to the moment, and the counted fallback."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot import metrics
from bot.errors import IPMError
from bot.generation import generation_service
from bot.replies import default_replies
from bot.services import get_services

logger = logging.getLogger(__name__)


def say(dispatcher: CollectingDispatcher, language: str, name: str, **values: Any) -> str:
    """Send reply ``name`` in ``language`` word for word; returns the text sent.

    For texts that must not change: consent, export and erasure confirmations.
    """
    text = default_replies().render(name, language, **values)
    dispatcher.utter_message(text=text)
    return text


async def tailored(
    dispatcher: CollectingDispatcher, tracker: Tracker, language: str, name: str, **values: Any
) -> str:
    """Send reply ``name`` rephrased for the customer's moment; returns the text sent.

    After a negative message it opens with understanding (naming the aspect complained
    about), for a customer in a hurry it is brief; otherwise, or under the ``original`` arm
    of the rephrase experiment, it is sent as written. The generation service keeps every
    fact of the reply (guardrails) and falls back to the written reply on any failure, so
    this never costs the customer the answer.
    """
    text = default_replies().render(name, language, **values)
    message = tracker.latest_message or {}
    aspects = [a.get("aspect") for a in message.get("aspects") or [] if a.get("aspect")]
    try:
        generation = await generation_service(get_services()).rephrase(
            text,
            language=language,
            sender_id=tracker.sender_id,
            mood=(message.get("sentiment") or {}).get("label"),
            aspect=aspects[0] if aspects else None,
            message=message.get("text"),
        )
        text = generation.text
    except IPMError as exc:
        metrics.FALLBACKS.labels("rephrase", type(exc).__name__).inc()
        logger.error("rephrasing %s failed, sending it as written: %s", name, exc)
    dispatcher.utter_message(text=text)
    return text


def service_unavailable(
    dispatcher: CollectingDispatcher, language: str, component: str, exc: Exception
) -> list[dict[str, Any]]:
    """Tell the customer a service failed (never the details), log it and count it."""
    metrics.FALLBACKS.labels(component, type(exc).__name__).inc()
    logger.error("%s failed: %s", component, exc)
    say(dispatcher, language, "service_unavailable")
    return []
