"""A SQL tracker store that redacts PII (phones, e-mails, card and ID numbers) before storing.

Use it in endpoints.yml in place of ``type: SQL`` (same options)::

    tracker_store:
      type: rasa_plugins.tracker_store.RedactingSQLTrackerStore
      dialect: postgresql
      ...

The live conversation keeps the original text for the current turn; what reaches the
database (and so every later turn, export or analysis) is redacted.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import BotUttered, Event, UserUttered

from bot.privacy import contains_pii, redact


def _redact_parse_data(parse_data: dict[str, Any] | None) -> dict[str, Any] | None:
    if not parse_data:
        return parse_data
    cleaned = dict(parse_data)
    if isinstance(cleaned.get("text"), str):
        cleaned["text"] = redact(cleaned["text"])
    # Entity values are spans of the text: drop the ones that are PII.
    cleaned["entities"] = [
        e for e in cleaned.get("entities") or [] if not (isinstance(e.get("value"), str) and contains_pii(e["value"]))
    ]
    return cleaned


def redact_event(event: Event) -> Event:
    """A copy of ``event`` without PII in its texts (other events are returned as they are)."""
    if isinstance(event, UserUttered) and event.text and contains_pii(event.text):
        return UserUttered(
            text=redact(event.text),
            intent=event.intent,
            entities=[e for e in event.entities if not (isinstance(e.get("value"), str) and contains_pii(e["value"]))],
            parse_data=_redact_parse_data(event.parse_data),  # type: ignore[arg-type]
            timestamp=event.timestamp,
            input_channel=event.input_channel,
            message_id=event.message_id,
            metadata=event.metadata,
        )
    if isinstance(event, BotUttered) and event.text and contains_pii(event.text):
        return BotUttered(
            text=redact(event.text),
            data=event.data,
            metadata=event.metadata,
            timestamp=event.timestamp,
        )
    return event


class RedactingSQLTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` whose stored user and bot texts carry no PII."""

    def _additional_events(self, session: Any, tracker: Any) -> Iterator[Event]:
        for event in super()._additional_events(session, tracker):
            yield redact_event(event)


__all__ = ["RedactingSQLTrackerStore", "redact_event"]
