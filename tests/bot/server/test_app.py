"""The bot server's HTTP API, driven through aiohttp's test client with the real encoder."""

from __future__ import annotations

import base64

import numpy as np
import pytest
from aiohttp import web

from bot.server import create_app
from bot.services import Services


@pytest.fixture()
async def client(aiohttp_client, services: Services):
    return await aiohttp_client(create_app(services))


async def test_embeddings_follow_the_openai_shape(client, encoder) -> None:
    resp = await client.post("/v1/embeddings", json={"input": ["你好", "hello there"], "model": "x"})
    assert resp.status == 200
    body = await resp.json()
    assert body["object"] == "list" and body["model"] == encoder.name
    assert [d["index"] for d in body["data"]] == [0, 1]
    got = np.array([d["embedding"] for d in body["data"]], dtype=np.float32)
    assert np.allclose(got, encoder.encode(["你好", "hello there"]), atol=1e-5)


async def test_base64_embeddings_are_the_same_little_endian_float32_vectors(client, encoder) -> None:
    # The OpenAI client asks for base64 unless told otherwise; Rasa's featurizer does too.
    texts = ["退款什么时候到账", "where is my card"]
    body = await (await client.post("/v1/embeddings", json={"input": texts, "encoding_format": "base64"})).json()
    got = np.stack([np.frombuffer(base64.b64decode(d["embedding"]), dtype="<f4") for d in body["data"]])
    assert got.shape == (2, encoder.dim)
    assert np.allclose(got, encoder.encode(texts), atol=1e-5)


async def test_single_string_input_is_accepted(client, encoder) -> None:
    body = await (await client.post("/v1/embeddings", json={"input": "hi"})).json()
    assert len(body["data"]) == 1 and len(body["data"][0]["embedding"]) == encoder.dim


@pytest.mark.parametrize(
    "payload",
    [{"input": 5}, {"input": []}, {"input": ["ok", 3]}, {"input": "x" * 9000}, [1, 2],
     {"input": "ok", "encoding_format": "hex"}],
)
async def test_bad_embedding_requests_get_a_clear_400(client, payload) -> None:
    resp = await client.post("/v1/embeddings", json=payload)
    assert resp.status == 400
    body = await resp.json()
    assert body["error"]["type"] == "invalid_request_error" and body["error"]["message"]


async def test_invalid_json_is_a_400(client) -> None:
    resp = await client.post("/v1/embeddings", data=b"{not json", headers={"Content-Type": "application/json"})
    assert resp.status == 400


async def test_api_token_protects_v1_when_configured(aiohttp_client, services: Services) -> None:
    from pydantic import SecretStr

    services.settings.server.api_token = SecretStr("tok")
    client = await aiohttp_client(create_app(services))
    assert (await client.post("/v1/embeddings", json={"input": "hi"})).status == 401
    wrong = await client.post("/v1/embeddings", json={"input": "hi"}, headers={"Authorization": "Bearer no"})
    assert wrong.status == 401
    ok = await client.post("/v1/embeddings", json={"input": "hi"}, headers={"Authorization": "Bearer tok"})
    assert ok.status == 200
    assert (await client.get("/health")).status == 200  # liveness stays open


async def test_catalog_names_list_the_shop_brands_in_both_languages(aiohttp_client, catalog_services) -> None:
    from bot.store import Product

    client = await aiohttp_client(create_app(catalog_services))
    names = await (await client.get("/v1/catalog/names")).json()
    assert names == {"brands": ["AirBeat", "ChefMate", "Nova", "Pixelon", "QuietPro", "Zen"]}
    # Read from the catalog at each request: a brand imported since is there at once.
    with catalog_services.store.session() as session:
        session.add(Product(sku="PH-9", domain="shop", category="phones", name_en="Zento D7 camera phone",
                            name_zh="臻拓D7 影像手机", description_en="", description_zh="", price=3489.0,
                            currency="CNY", stock=3, brand="Zento"))
    names = await (await client.get("/v1/catalog/names")).json()
    assert {"Zento", "臻拓"} <= set(names["brands"])


async def test_admin_endpoints_are_disabled_without_a_token(client) -> None:
    assert (await client.get("/admin/anything")).status == 404


async def test_health_models_and_metrics(client, encoder) -> None:
    health = await (await client.get("/health")).json()
    assert health == {"status": "ok", "encoder": encoder.name, "dim": encoder.dim}
    models = await (await client.get("/v1/models")).json()
    assert models["data"][0]["id"] == encoder.name
    await client.post("/v1/embeddings", json={"input": ["a", "b"]})
    await client.post("/v1/embeddings", json={"input": 1})
    text = await (await client.get("/metrics")).text()
    assert 'ipm_embedding_requests_total{status="ok"}' in text
    assert 'ipm_embedding_requests_total{status="bad_request"}' in text


async def test_widget_is_served_and_renders_text_safely(client) -> None:
    page = await client.get("/widget/")
    assert page.status == 200 and "widget.js" in await page.text()
    js = await (await client.get("/widget/widget.js")).text()
    assert "innerHTML" not in js.replace("never innerHTML", "")  # bot text is set with textContent only
    assert (await client.get("/widget/widget.css")).status == 200


@pytest.mark.parametrize(
    "payload",
    [{"sender": "", "message": "hi"}, {"sender": "a b", "message": "hi"}, {"sender": "ok", "message": ""},
     {"sender": "ok", "message": "x" * 2001}, {"message": "hi"}],
)
async def test_chat_validates_input(client, payload) -> None:
    assert (await client.post("/chat", json=payload)).status == 400


async def test_chat_proxies_to_rasa_rest_channel(aiohttp_client, aiohttp_server, services: Services) -> None:
    received = []

    async def rest(request: web.Request) -> web.Response:
        received.append(await request.json())
        return web.json_response([{"recipient_id": "u1", "text": "您好！"}])

    fake_rasa = web.Application()
    fake_rasa.router.add_post("/webhooks/rest/webhook", rest)
    server = await aiohttp_server(fake_rasa)
    services.settings.server.rasa_url = str(server.make_url(""))
    client = await aiohttp_client(create_app(services))
    resp = await client.post("/chat", json={"sender": "u1", "message": "你好"})
    assert resp.status == 200
    assert await resp.json() == [{"recipient_id": "u1", "text": "您好！"}]
    assert received == [{"sender": "u1", "message": "你好"}]


async def test_chat_reports_an_unreachable_rasa_without_details(aiohttp_client, services: Services) -> None:
    services.settings.server.rasa_url = "http://127.0.0.1:9"
    client = await aiohttp_client(create_app(services))
    resp = await client.post("/chat", json={"sender": "u1", "message": "hi"})
    assert resp.status == 503
    body = await resp.json()
    assert "Traceback" not in str(body) and body["error"]["type"] == "server_error"


async def test_rephrase_opens_with_understanding_after_a_complaint(client) -> None:
    resp = await client.post("/v1/rephrase", json={
        "text": "Your parcel left our warehouse today.", "language": "en", "sender_id": "c-1",
        "message": "this delivery is so slow!!", "mood": "negative", "aspect": "delivery"})
    assert resp.status == 200
    body = await resp.json()
    assert body["text"].startswith("I'm sorry about the trouble with delivery")
    assert body["text"].endswith("Your parcel left our warehouse today.")
    assert body["style"] == "empathetic" and body["fell_back"] is False


async def test_rephrase_leaves_a_calm_moment_alone(client) -> None:
    body = await (await client.post("/v1/rephrase", json={"text": "Hi! How can I help?", "language": "zh"})).json()
    assert body == {"text": "Hi! How can I help?", "backend": "original", "style": "neutral",
                    "fell_back": False, "variant": None}


@pytest.mark.parametrize(
    "payload",
    [{"language": "en"}, {"text": "", "language": "en"}, {"text": "ok"}, {"text": "ok", "language": "fr"},
     {"text": "ok", "language": "en", "mood": "furious"}, {"text": "ok", "language": "en", "sender_id": "a b"},
     {"text": "ok", "language": "en", "message": "x" * 3000}, ["ok"]],
)
async def test_bad_rephrase_requests_get_a_clear_400(client, payload) -> None:
    resp = await client.post("/v1/rephrase", json=payload)
    assert resp.status == 400
    assert (await resp.json())["error"]["message"]
