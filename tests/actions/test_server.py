"""The bot server's Rasa action endpoint speaks Rasa's protocol (same codes as rasa_sdk's own server)."""

from __future__ import annotations

import json

import pytest

from actions._server import build_app
from tests.actions.conftest import TRACKERS


@pytest.fixture()
async def client(aiohttp_client, services):
    return await aiohttp_client(build_app(services))


def _call(action: str, domain: dict) -> dict:
    tracker = json.loads((TRACKERS / "zh_complaint.json").read_text(encoding="utf-8"))
    return {"next_action": action, "sender_id": tracker["sender_id"], "tracker": tracker,
            "domain": domain, "version": "3.6.21"}


async def test_webhook_runs_a_registered_action(client, domain) -> None:
    resp = await client.post("/webhook", json=_call("action_validate_slot_mappings", domain))
    assert resp.status == 200
    body = await resp.json()
    assert {"event": "slot", "name": "language", "value": "zh", "timestamp": None} in body["events"]
    assert body["responses"] == []


async def test_unknown_action_is_a_404(client, domain) -> None:
    resp = await client.post("/webhook", json=_call("action_does_not_exist", domain))
    assert resp.status == 404
    assert (await resp.json())["action_name"] == "action_does_not_exist"


async def test_bad_body_is_a_400(client) -> None:
    resp = await client.post("/webhook", data=b"[1,2", headers={"Content-Type": "application/json"})
    assert resp.status == 400


async def test_actions_are_listed(client) -> None:
    names = {a["name"] for a in await (await client.get("/actions")).json()}
    assert "action_validate_slot_mappings" in names


async def test_the_bot_server_also_serves_embeddings(client) -> None:
    assert (await client.post("/v1/embeddings", json={"input": "hi"})).status == 200


async def test_the_catalog_is_indexed_before_the_first_message(aiohttp_client, catalog_services) -> None:
    assert catalog_services._product_search is None
    await aiohttp_client(build_app(catalog_services))
    assert catalog_services._product_search is not None
    assert {p.sku for p in catalog_services._product_search.products} >= {"PH-1", "CC-1"}
