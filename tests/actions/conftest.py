"""Helpers to run actions the way the SDK does: on stored tracker JSON, against domain.yml."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

ROOT = Path(__file__).resolve().parents[2]
TRACKERS = Path(__file__).parent / "trackers"


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))


def load_tracker(name: str, **overrides: Any) -> Tracker:
    """A tracker from tests/actions/trackers/NAME.json, with top-level keys overridden."""
    state = json.loads((TRACKERS / f"{name}.json").read_text(encoding="utf-8"))
    state.update(overrides)
    return Tracker.from_dict(state)


async def run_action(action: Any, tracker: Tracker, domain: dict[str, Any]) -> tuple[list[dict], list[dict]]:
    """Run ``action``; returns (events, messages the dispatcher collected)."""
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker, domain)
    return list(events or []), dispatcher.messages


def tracker_for(sender: str, text: str, intent: str, language: str, message_id: str = "m1", **message: Any) -> Tracker:
    """A tracker whose latest user message is ``text``."""
    latest = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": [], "language": language,
              **message}
    return Tracker.from_dict({
        "sender_id": sender,
        "slots": {"language": language},
        "latest_message": latest,
        "events": [{"event": "action", "name": "action_listen", "timestamp": 1.0},
                   {"event": "user", "text": text, "timestamp": 2.0, "parse_data": latest,
                    "message_id": message_id, "input_channel": "rest"}],
        "paused": False, "followup_action": None, "active_loop": {},
        "latest_action_name": "action_listen", "latest_input_channel": "rest",
    })
