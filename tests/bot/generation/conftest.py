"""Fixtures of the generation tests: the demo catalog and campaigns as values, a fake LLM server."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from bot.catalog import ProductInfo, ProductRecord
from bot.generation import Campaign, CatalogVocabulary, OutputValidator, load_campaigns
from bot.settings import PROJECT_ROOT

#: A day on which the demo campaigns run (Double 12 festival, winter sale, bank offers).
CAMPAIGN_DAY = date(2026, 12, 5)


def _catalog() -> list[ProductInfo]:
    products = []
    for name in ("shop.jsonl", "bank.jsonl"):
        path = PROJECT_ROOT / "data" / "catalog" / name
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
            record = ProductRecord.model_validate(json.loads(line))
            row = record.to_row()
            products.append(ProductInfo(id=len(products) + i, **row))
    return products


@pytest.fixture(scope="session")
def catalog() -> dict[str, ProductInfo]:
    """The demo shop and bank catalogs by SKU."""
    return {p.sku: p for p in _catalog()}


@pytest.fixture(scope="session")
def campaigns(catalog: dict[str, ProductInfo]) -> dict[str, Campaign]:
    """The demo campaigns by id (validated against the catalog)."""
    return {c.id: c for c in load_campaigns(PROJECT_ROOT / "data" / "campaigns.yml", catalog.values())}


@pytest.fixture(scope="session")
def validator(catalog: dict[str, ProductInfo]) -> OutputValidator:
    """The guardrails with the demo catalog's vocabulary."""
    return OutputValidator(CatalogVocabulary(catalog.values()))


class FakeLLM:
    """A scripted OpenAI-compatible server: each request takes the next scripted answer.

    An answer is a string (the message), an int (an HTTP error status), ``("sleep", s)``
    (answer after ``s`` seconds) or a callable of the request body.
    """

    def __init__(self) -> None:
        self.script: list[Any] = []
        self.requests: list[dict[str, Any]] = []
        self.default: Any = "ok"

    def answer(self, *answers: Any) -> None:
        self.script.extend(answers)


@pytest.fixture
async def fake_llm(aiohttp_server: Callable[..., Any]) -> Any:
    """``(server_url, FakeLLM)``: an aiohttp test server speaking ``/v1/chat/completions``."""
    import asyncio

    from aiohttp import web

    fake = FakeLLM()

    async def completions(request: web.Request) -> web.StreamResponse:
        body = await request.json()
        fake.requests.append({"body": body, "headers": dict(request.headers)})
        answer = fake.script.pop(0) if fake.script else fake.default
        if callable(answer):
            answer = answer(body)
        if isinstance(answer, tuple) and answer[0] == "sleep":
            await asyncio.sleep(answer[1])
            answer = answer[2] if len(answer) > 2 else fake.default
        if isinstance(answer, int):
            return web.json_response({"error": {"message": "scripted failure"}}, status=answer)
        if body.get("stream"):
            response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
            await response.prepare(request)
            words = answer.split(" ")
            for i, word in enumerate(words):
                piece = word if i == 0 else " " + word
                event = {"choices": [{"index": 0, "delta": {"content": piece}}]}
                await response.write(f"data: {json.dumps(event, ensure_ascii=False)}\n\n".encode())
            usage = {"choices": [], "usage": {"completion_tokens": len(words)}}
            await response.write(f"data: {json.dumps(usage)}\n\n".encode())
            await response.write(b"data: [DONE]\n\n")
            await response.write_eof()
            return response
        return web.json_response(
            {
                "id": "chatcmpl-test",
                "object": "chat.completion",
                "choices": [
                    {"index": 0, "message": {"role": "assistant", "content": answer}, "finish_reason": "stop"}
                ],
                "usage": {"prompt_tokens": 100, "completion_tokens": len(answer.split())},
            }
        )

    app = web.Application()
    app.router.add_post("/v1/chat/completions", completions)
    server = await aiohttp_server(app)
    return str(server.make_url("/v1")), fake
