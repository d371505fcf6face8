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
