"""Data rights in conversation, on a real store: summary, export, erasure (incl. the tracker store), consent."""

from __future__ import annotations

import asyncio

from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, func, insert, select

from actions.privacy import (
    ActionDeleteData,
    ActionExportData,
    ActionSetMarketingConsent,
    ActionShowProfile,
)
from actions.understanding import ValidateSlotMappings
from bot.replies import default_replies
from tests.actions.conftest import run_action, tracker_for


async def _talk(sender: str, domain, text: str, language: str, polarity: float, aspects: list[str], n: int) -> None:
    tracker = tracker_for(sender, text, "complain", language, message_id=f"{sender}-{n}",
                          sentiment={"label": "x", "polarity": polarity},
                          aspects=[{"aspect": a} for a in aspects])
    await run_action(ValidateSlotMappings(), tracker, domain)


async def test_profile_summary_says_what_was_learned(catalog_services, domain) -> None:
    await _talk("alice", domain, "I'm looking for new smartphones", "en", 0.0, [], 1)
    await _talk("alice", domain, "the delivery was terribly slow", "en", -0.8, ["delivery"], 2)
    _, messages = await run_action(ActionShowProfile(), tracker_for("alice", "what do you know about me", "ask_profile", "en"), domain)
    summary = messages[0]["text"].lower()
    assert "phones" in summary and "delivery" in summary


async def test_the_same_rasa_message_is_recorded_once(catalog_services, domain) -> None:
    for _ in range(3):
        await _talk("bob", domain, "I like headphones", "en", 0.5, [], 1)
    profile = catalog_services.profiles.get_profile("bob")
    assert profile.counts.get("message") == 1


async def test_export_returns_json_with_the_customers_data(catalog_services, domain) -> None:
    await _talk("carol", domain, "我想买电饭煲，我的电话是13812345678", "zh", 0.0, [], 1)
    _, messages = await run_action(ActionExportData(), tracker_for("carol", "导出我的数据", "export_data", "zh"), domain)
    assert messages[0]["text"].startswith("这是我们保存的关于您的全部数据")
    exported = messages[1]["custom"]["export"]
    dumped = str(exported)
    assert "电饭煲" in dumped and "13812345678" not in dumped  # stored text is redacted
    _, messages = await run_action(ActionExportData(), tracker_for("nobody", "export my data", "export_data", "en"), domain)
    assert messages[0]["text"] == default_replies().render("no_data", "en")


async def test_delete_erases_profile_and_conversation_history(catalog_services, domain, tmp_path) -> None:
    # A stand-in for Rasa's SQL tracker store: its "events" table, two conversations.
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    engine = create_engine(url)
    events = Table("events", MetaData(), Column("id", Integer, primary_key=True), Column("sender_id", String(255)),
                   Column("type_name", String(255)), Column("data", String))
    events.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(events), [{"sender_id": s, "type_name": "user", "data": "{}"}
                                      for s in ("dave", "dave", "erin")])
    catalog_services.settings.tracker_store.url = url
    catalog_services.settings.tracker_store.erase_delay_s = 0.05

    await _talk("dave", domain, "I want a new phone", "en", 0.2, [], 1)
    assert catalog_services.profiles.get_profile("dave") is not None
    _, messages = await run_action(ActionDeleteData(), tracker_for("dave", "yes", "affirm", "en"), domain)
    assert messages[0]["text"].startswith("Your data has been permanently deleted")
    assert catalog_services.profiles.get_profile("dave") is None
    assert catalog_services.profiles.export("dave") is None
    await asyncio.sleep(0.5)  # the tracker is erased after Rasa has saved the turn
    with engine.connect() as conn:
        left = dict(conn.execute(select(events.c.sender_id, func.count()).group_by(events.c.sender_id)).all())
    assert left == {"erin": 1}


async def test_consent_follows_what_the_customer_says(catalog_services, domain) -> None:
    profiles = catalog_services.profiles
    _, messages = await run_action(ActionSetMarketingConsent(),
                                   tracker_for("fay", "我愿意接收优惠信息", "opt_in_marketing", "zh", message_id="c1"), domain)
    assert messages[0]["text"] == default_replies().render("marketing_opted_in", "zh")
    assert profiles.has_marketing_consent("fay")
    _, messages = await run_action(ActionSetMarketingConsent(),
                                   tracker_for("fay", "不要再给我推送了", "opt_out_marketing", "zh", message_id="c2"), domain)
    assert messages[0]["text"] == default_replies().render("marketing_opted_out", "zh")
    assert not profiles.has_marketing_consent("fay")
