"""RephrasingNLG: Rasa picks the response, the bot server rephrases it, and any failure sends it as written."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

from aiohttp import web
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from rasa_plugins.nlg import RephrasingNLG

DOMAIN = Domain.from_yaml("""
version: "3.1"
slots:
  language:
    type: categorical
    values: [en, zh]
    influence_conversation: false
    mappings: [{type: custom}]
responses:
  utter_default:
    - text: "不好意思，我没太明白。"
      condition: [{type: slot, name: language, value: zh}]
    - text: "Sorry, I didn't get that."
  utter_ask_delete_confirm:
    - text: "Delete everything? yes or no"
""")


def tracker(language: str, text: str, parse: dict[str, Any]) -> DialogueStateTracker:
    return DialogueStateTracker.from_events("cust-1", [
        SlotSet("language", language),
        UserUttered(text, {"name": "complain", "confidence": 0.9}, parse_data={"text": text, **parse}),
    ], slots=DOMAIN.slots)


async def with_server(handler: Any, body: Any) -> Any:
    app = web.Application()
    app.router.add_post("/v1/rephrase", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    try:
        return await body(f"http://127.0.0.1:{port}/v1/rephrase")
    finally:
        await runner.cleanup()


def nlg(url: str, **options: Any) -> RephrasingNLG:
    return RephrasingNLG(EndpointConfig(url=url, type="rasa_plugins.nlg.RephrasingNLG", **options), DOMAIN)


def test_the_response_rasa_picks_is_rephrased_with_the_moment() -> None:
    seen: list[dict[str, Any]] = []

    async def rephrase(request: web.Request) -> web.Response:
        seen.append(await request.json())
        return web.json_response({"text": "很抱歉让您不满意。" + seen[-1]["text"]})

    async def run(url: str) -> Any:
        t = tracker("zh", "快递太慢了", {"language": "zh", "sentiment": {"label": "negative"},
                                      "aspects": [{"aspect": "delivery"}]})
        return await nlg(url).generate("utter_default", t, "rest")

    response = asyncio.run(with_server(rephrase, run))
    assert response["text"] == "很抱歉让您不满意。不好意思，我没太明白。"  # the zh variation, rephrased
    assert seen == [{"text": "不好意思，我没太明白。", "language": "zh", "sender_id": "cust-1",
                     "message": "快递太慢了", "mood": "negative", "aspect": "delivery"}]


def test_verbatim_responses_are_not_sent_to_the_rephraser() -> None:
    calls: list[int] = []

    async def rephrase(request: web.Request) -> web.Response:
        calls.append(1)
        return web.json_response({"text": "changed"})

    async def run(url: str) -> Any:
        return await nlg(url, verbatim=["utter_ask_delete_confirm"]).generate(
            "utter_ask_delete_confirm", tracker("en", "delete my data", {}), "rest")

    assert asyncio.run(with_server(rephrase, run))["text"] == "Delete everything? yes or no"
    assert calls == []


def test_errors_slowness_and_bad_answers_send_the_response_as_written() -> None:
    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(1.0)
        return web.json_response({"text": "too late"})

    async def failing(request: web.Request) -> web.Response:
        return web.json_response({"error": "boom"}, status=500)

    async def empty(request: web.Request) -> web.Response:
        return web.json_response({"text": ""})

    async def run(url: str) -> Any:
        return await nlg(url, timeout=0.2).generate("utter_default", tracker("en", "hm", {}), "rest")

    for handler in (slow, failing, empty):
        assert asyncio.run(with_server(handler, run))["text"] == "Sorry, I didn't get that."

    async def unreachable() -> Any:
        return await nlg("http://127.0.0.1:9/v1/rephrase").generate("utter_default", tracker("en", "hm", {}), "rest")

    assert asyncio.run(unreachable())["text"] == "Sorry, I didn't get that."
