"""Data rights in conversation: what we know, export, erasure, and marketing consent."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions._reply import say, service_unavailable
from actions.understanding import latest_user_event, message_language
from bot import metrics
from bot.errors import IPMError
from bot.services import get_services
from bot.tracker_erasure import erase_conversation

logger = logging.getLogger(__name__)
#: Background erasures still running (kept referenced so they are not garbage-collected).
_PENDING: set[asyncio.Task[Any]] = set()




class ActionShowProfile(Action):
    def name(self) -> str:
        return "action_show_profile"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        language = message_language(tracker)
        try:
            summary = await asyncio.to_thread(get_services().profiles.summary, tracker.sender_id, language)
        except IPMError as exc:
            return service_unavailable(dispatcher, language, "profiles", exc)
        dispatcher.utter_message(text=summary)
        return []


class ActionExportData(Action):
    def name(self) -> str:
        return "action_export_data"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        language = message_language(tracker)
        try:
            data = await asyncio.to_thread(get_services().profiles.export, tracker.sender_id)
        except IPMError as exc:
            return service_unavailable(dispatcher, language, "export", exc)
        if not data:
            say(dispatcher, language, "no_data")
            return []
        count = sum(len(v) for v in data.values() if isinstance(v, list))
        say(dispatcher, language, "data_exported", count=count)
        dispatcher.utter_message(
            text=json.dumps(data, ensure_ascii=False, indent=1, default=str),
            json_message={"export": data},
        )
        return []


async def _erase_conversation_later(url: str, sender_id: str, delay_s: float) -> None:
    await asyncio.sleep(delay_s)
    try:
        await asyncio.to_thread(erase_conversation, url, sender_id)
    except IPMError as exc:
        metrics.FALLBACKS.labels("tracker_erasure", type(exc).__name__).inc()
        logger.error("conversation erasure failed: %s", exc)


class ActionDeleteData(Action):
    def name(self) -> str:
        return "action_delete_data"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        language = message_language(tracker)
        services = get_services()
        try:
            report = await asyncio.to_thread(services.profiles.erase, tracker.sender_id)
        except IPMError as exc:
            return service_unavailable(dispatcher, language, "erasure", exc)
        history = sum(1 for e in tracker.events if e.get("event") in ("user", "bot"))
        say(dispatcher, language, "data_deleted", count=report.total + history)
        url = services.settings.tracker_store.url
        if url:
            # Rasa stores this very turn after the action returns: erase once it has.
            task = asyncio.create_task(
                _erase_conversation_later(url, tracker.sender_id, services.settings.tracker_store.erase_delay_s)
            )
            _PENDING.add(task)
            task.add_done_callback(_PENDING.discard)
        return []


class ActionSetMarketingConsent(Action):
    def name(self) -> str:
        return "action_set_marketing_consent"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        language = message_language(tracker)
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        consent = intent == "opt_in_marketing"
        event = latest_user_event(tracker) or {}
        event_id = event.get("message_id") or f"{tracker.sender_id}:{event.get('timestamp')}"
        try:
            await asyncio.to_thread(
                get_services().profiles.set_consent, tracker.sender_id, consent, event_id=f"rasa:{event_id}"
            )
        except IPMError as exc:
            return service_unavailable(dispatcher, language, "consent", exc)
        say(dispatcher, language, "marketing_opted_in" if consent else "marketing_opted_out")
        return []
