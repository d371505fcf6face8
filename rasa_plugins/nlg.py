"""Rasa's responses, rephrased for the customer's moment by the bot server (an open contextual rephraser).

Use it in endpoints.yml::

    nlg:
      type: rasa_plugins.nlg.RephrasingNLG
      url: "http://127.0.0.1:5055/v1/rephrase"
      timeout: 3            # seconds; past it the response goes out as written
      verbatim:             # responses never rephrased (legal or confirmation texts)
        - utter_ask_delete_confirm

Rasa still picks the response as it always does (variations, conditions on slots,
channel, slot filling: ``TemplatedNaturalLanguageGenerator``); its text is then sent with
the moment (language, the latest message, its sentiment and complaint aspects) to the bot
server's ``POST /v1/rephrase``, which keeps every fact (guardrails) and may leave the text
as it is (calm moments, the ``original`` arm of the rephrase experiment). Any failure,
timeout or bad answer sends the response as written and is logged: the customer never
loses a reply to the rephraser.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp
from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)
LANGUAGES = ("en", "zh")


def moment(tracker: DialogueStateTracker) -> dict[str, Any]:
    """What the rephraser needs to know about the turn: language, latest message, mood, aspect."""
    parse = dict(tracker.latest_message.parse_data) if tracker.latest_message else {}
    language = parse.get("language")
    if language not in LANGUAGES:
        language = tracker.get_slot("language")
    sentiment = parse.get("sentiment") or {}
    aspects = [a.get("aspect") for a in parse.get("aspects") or [] if isinstance(a, dict) and a.get("aspect")]
    body: dict[str, Any] = {
        "language": language if language in LANGUAGES else "en",
        "sender_id": tracker.sender_id,
        "message": (tracker.latest_message.text if tracker.latest_message else None) or None,
        "mood": sentiment.get("label") if sentiment.get("label") in ("positive", "negative", "neutral") else None,
        "aspect": aspects[0] if aspects else None,
    }
    return {k: v for k, v in body.items() if v is not None}


class RephrasingNLG(TemplatedNaturalLanguageGenerator):
    """The domain's responses, then ``POST {url}`` to rephrase their text (see the module docstring)."""

    def __init__(self, endpoint_config: EndpointConfig, domain: Domain, **_: Any) -> None:
        super().__init__(domain.responses)
        self.endpoint = endpoint_config
        self.timeout_s = float(endpoint_config.kwargs.get("timeout", 3.0))
        self.verbatim = set(endpoint_config.kwargs.get("verbatim") or [])

    async def generate(
        self, utter_action: str, tracker: DialogueStateTracker, output_channel: str, **kwargs: Any
    ) -> dict[str, Any] | None:
        response = await super().generate(utter_action, tracker, output_channel, **kwargs)
        if not response or not response.get("text") or utter_action in self.verbatim or not self.endpoint.url:
            return response
        body = {"text": response["text"], **moment(tracker)}
        try:
            answer = await self.endpoint.request(
                method="post", json=body, timeout=aiohttp.ClientTimeout(total=self.timeout_s)
            )
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            logger.warning("rephraser unavailable for %s (%s); sending it as written", utter_action, exc)
            return response
        except Exception as exc:  # Rasa's ClientResponseError on 4xx/5xx, and anything else
            logger.warning("rephraser failed for %s (%s); sending it as written", utter_action, exc)
            return response
        text = answer.get("text") if isinstance(answer, dict) else None
        if not isinstance(text, str) or not text.strip():
            logger.warning("rephraser gave no text for %s; sending it as written", utter_action)
            return response
        return {**response, "text": text}
