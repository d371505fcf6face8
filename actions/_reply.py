"""How actions answer: the bilingual templates of data/replies.yml, and the counted fallback."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk.executor import CollectingDispatcher

from bot import metrics
from bot.replies import default_replies

logger = logging.getLogger(__name__)


def say(dispatcher: CollectingDispatcher, language: str, name: str, **values: Any) -> str:
    """Send reply ``name`` in ``language``; returns the text sent."""
    text = default_replies().render(name, language, **values)
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
