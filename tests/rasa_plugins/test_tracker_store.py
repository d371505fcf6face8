"""The redacting tracker store keeps PII out of Rasa's database (run in the Rasa environment)."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import MetaData, Table, create_engine, select

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from rasa_plugins.tracker_store import RedactingSQLTrackerStore


def test_user_and_bot_texts_are_stored_redacted(tmp_path) -> None:
    asyncio.run(_store_and_check(tmp_path))


async def _store_and_check(tmp_path: Path) -> None:
    domain = Domain.empty()
    store = RedactingSQLTrackerStore(domain, dialect="sqlite", db=str(tmp_path / "tracker.db"))
    tracker = DialogueStateTracker.from_events("s1", [
        ActionExecuted("action_listen"),
        UserUttered("我的手机号是13812345678，邮箱 a.b@example.com", {"name": "ask_profile", "confidence": 0.9},
                    parse_data={"text": "我的手机号是13812345678，邮箱 a.b@example.com",
                                "intent": {"name": "ask_profile", "confidence": 0.9}, "entities": []}),
        BotUttered("We noted 13812345678"),
        UserUttered("hello there", {"name": "greet", "confidence": 0.9}),
    ])
    await store.save(tracker)
    engine = create_engine(f"sqlite:///{tmp_path / 'tracker.db'}")
    events = Table("events", MetaData(), autoload_with=engine)
    with engine.connect() as conn:
        rows = [json.loads(r[0]) for r in conn.execute(select(events.c.data).order_by(events.c.id))]
    dumped = json.dumps(rows, ensure_ascii=False)
    assert "13812345678" not in dumped and "a.b@example.com" not in dumped
    assert "[PHONE]" in dumped and "[EMAIL]" in dumped
    assert rows[-1]["text"] == "hello there"  # texts without PII are kept as they are
    restored = await store.retrieve("s1")
    assert restored is not None and len(restored.events) == 4
