"""action_validate_slot_mappings turns the NLU annotations into the language and sentiment slots."""

from __future__ import annotations

from actions.understanding import ValidateSlotMappings, message_language
from tests.actions.conftest import load_tracker, run_action


async def test_sets_language_and_sentiment_from_the_parsed_message(domain) -> None:
    events, messages = await run_action(ValidateSlotMappings(), load_tracker("zh_complaint"), domain)
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert slots == {"language": "zh", "sentiment": "negative"}
    assert messages == []


async def test_keeps_the_language_for_messages_without_letters(domain) -> None:
    events, _ = await run_action(ValidateSlotMappings(), load_tracker("emoji_after_english"), domain)
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert "language" not in slots
    assert slots["sentiment"] == "positive"


def test_message_language_prefers_the_message_then_the_slot() -> None:
    assert message_language(load_tracker("zh_complaint")) == "zh"
    assert message_language(load_tracker("emoji_after_english")) == "en"
