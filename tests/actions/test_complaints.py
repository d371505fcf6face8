"""action_handle_complaint names what the complaint is about, in the customer's language."""

from __future__ import annotations

from actions.complaints import ActionHandleComplaint
from bot.replies import default_replies
from tests.actions.conftest import run_action, tracker_for


async def test_names_the_aspects_in_chinese(domain) -> None:
    tracker = tracker_for("c1", "快递太慢了，包装也破了", "complain", "zh",
                          aspects=[{"aspect": "delivery"}, {"aspect": "packaging"}])
    events, messages = await run_action(ActionHandleComplaint(), tracker, domain)
    assert events == []
    assert messages[0]["text"] == default_replies().render("complaint_aspect", "zh", aspects="物流配送和包装")


async def test_names_the_aspect_in_english(domain) -> None:
    tracker = tracker_for("c2", "the staff was rude", "complain", "en", aspects=[{"aspect": "service"}])
    _, messages = await run_action(ActionHandleComplaint(), tracker, domain)
    assert messages[0]["text"].startswith("I'm really sorry about the customer service")


async def test_asks_what_went_wrong_when_no_aspect_is_known(domain) -> None:
    tracker = tracker_for("c3", "I'm not happy at all", "complain", "en", aspects=[])
    _, messages = await run_action(ActionHandleComplaint(), tracker, domain)
    assert messages[0]["text"] == default_replies().render("complaint_general", "en")
