"""``action_handle_complaint``: an empathetic reply that names what the complaint is about."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions._reply import tailored
from actions.understanding import message_language
from bot.understanding.aspects import aspect_name


def join_names(names: list[str], language: str) -> str:
    """``delivery and packaging`` / ``物流配送和包装``."""
    if language == "zh":
        return "、".join(names[:-1]) + ("和" if len(names) > 1 else "") + names[-1]
    return ", ".join(names[:-1]) + (" and " if len(names) > 1 else "") + names[-1]


class ActionHandleComplaint(Action):
    def name(self) -> str:
        return "action_handle_complaint"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        language = message_language(tracker)
        aspects = [a["aspect"] for a in (tracker.latest_message or {}).get("aspects") or [] if a.get("aspect")]
        if aspects:
            names = [aspect_name(a, language) for a in dict.fromkeys(aspects)]
            await tailored(dispatcher, tracker, language, "complaint_aspect", aspects=join_names(names, language))
        else:
            await tailored(dispatcher, tracker, language, "complaint_general")
        return []
