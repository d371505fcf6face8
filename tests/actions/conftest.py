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


PRODUCTS = [
    dict(sku="PH-1", domain="shop", category="phones", name_en="Nova X5 smartphone", name_zh="Nova X5 智能手机",
         description_en="6.5-inch phone with a 5000 mAh battery.", description_zh="6.5英寸大屏，5000毫安电池。",
         price=2999.0, currency="CNY", stock=40, brand="Nova"),
    dict(sku="PH-2", domain="shop", category="phones", name_en="Pixelon 8 camera phone", name_zh="Pixelon 8 拍照手机",
         description_en="Flagship camera phone.", description_zh="旗舰拍照手机。",
         price=4599.0, currency="CNY", stock=12, brand="Pixelon"),
    dict(sku="HP-1", domain="shop", category="headphones", name_en="QuietPro noise-cancelling headphones",
         name_zh="QuietPro 降噪耳机", description_en="Over-ear active noise cancelling.",
         description_zh="头戴式主动降噪耳机。", price=1299.0, currency="CNY", stock=25, brand="QuietPro"),
    dict(sku="HP-2", domain="shop", category="headphones", name_en="AirBeat wireless earbuds",
         name_zh="AirBeat 无线耳机", description_en="True wireless earbuds.", description_zh="真无线蓝牙耳机。",
         price=499.0, currency="CNY", stock=0, brand="AirBeat"),
    dict(sku="KT-1", domain="shop", category="kitchen", name_en="ChefMate rice cooker", name_zh="ChefMate 电饭煲",
         description_en="4-litre smart rice cooker.", description_zh="4升智能电饭煲。",
         price=399.0, currency="CNY", stock=30, brand="ChefMate"),
    dict(sku="KT-2", domain="shop", category="kitchen", name_en="ChefMate air fryer", name_zh="ChefMate 空气炸锅",
         description_en="5-litre air fryer.", description_zh="5升空气炸锅。",
         price=459.0, currency="CNY", stock=18, brand="ChefMate"),
    dict(sku="CC-1", domain="bank", category="credit_card", name_en="Platinum travel credit card",
         name_zh="白金旅行信用卡", description_en="Airport lounge access and travel insurance.",
         description_zh="机场贵宾厅和旅行保险。", price=0.0, currency="CNY", stock=None,
         compliance_en="Interest is charged on unpaid balances; see the fee schedule.",
         compliance_zh="未还清余额将计收利息，详见收费标准。", risk_level="R2"),
]


@pytest.fixture()
def catalog_services(services):
    """``services`` with a small bilingual catalog in its (SQLite) store."""
    from bot.store import Product

    with services.store.session() as session:
        session.add_all(Product(**p) for p in PRODUCTS)
    services.refresh_catalog()
    return services


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
