"""The encoder interface: the default backend's behaviour and the HTTP client's contract."""

from __future__ import annotations

import base64
import json

import httpx
import numpy as np
import pytest

from bot.encoder import Encoder, build_encoder, normalize_rows
from bot.encoder._http import HttpEncoder
from bot.encoder._wire import decode_embeddings, encode_embedding
from bot.errors import ConfigurationError, EncoderError, EncoderUnavailableError
from bot.settings import EncoderSettings


def test_default_encoder_is_multilingual_and_normalized(encoder: Encoder) -> None:
    vectors = encoder.encode(["我的快递什么时候到", "where is my package", "推荐一款手机", ""])
    assert vectors.shape == (4, encoder.dim)
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    # Cross-lingual: the same request in two languages is closer than two different requests.
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]


def test_encoder_is_deterministic_and_nearly_batch_independent(encoder: Encoder) -> None:
    one = encoder.encode(["the delivery was late"])
    assert np.array_equal(one, encoder.encode(["the delivery was late"]))
    batch = encoder.encode(["hello", "the delivery was late"])
    # fp32 gives the same vector in any batch (tests/bot/encoder/test_onnx.py); the int8 graph,
    # which the default runs on CPUs with VNNI, quantizes activations per call, so a batch
    # moves a vector by rounding only.
    assert float(one[0] @ batch[1]) > 0.999
    assert encoder.encode([]).shape == (0, encoder.dim)


def test_unknown_backend_and_missing_url_are_configuration_errors() -> None:
    with pytest.raises(ConfigurationError):
        build_encoder(EncoderSettings(backend="http"))


def test_sentence_transformers_backend_reports_a_bad_path() -> None:
    with pytest.raises(EncoderError):
        build_encoder(EncoderSettings(backend="sentence-transformers", model="/nonexistent/model", prefix=""))


def test_normalize_rows_keeps_zero_rows() -> None:
    out = normalize_rows([[3.0, 4.0], [0.0, 0.0]])
    assert np.allclose(out, [[0.6, 0.8], [0.0, 0.0]])


def _fake_embedding_server(dim: int = 3, fail: bool = False, base64_ok: bool = True) -> httpx.MockTransport:
    seen: list[dict] = []

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        seen.append({"body": body, "auth": request.headers.get("Authorization")})
        if fail:
            return httpx.Response(500, json={"error": {"message": "boom"}})
        fmt = body.get("encoding_format", "float")
        if fmt == "base64" and not base64_ok:
            return httpx.Response(400, json={"error": {"message": "only encoding_format 'float' is supported"}})
        rows = [np.array([float(len(t)), 1.0, 0.0][:dim], dtype="<f4") for t in body["input"]]
        data = [
            {"object": "embedding", "index": i,
             "embedding": base64.b64encode(row.tobytes()).decode() if fmt == "base64" else row.tolist()}
            for i, row in enumerate(rows)
        ]
        return httpx.Response(200, json={"object": "list", "model": "remote-e5", "data": data[::-1]})

    transport = httpx.MockTransport(handler)
    transport.seen = seen  # type: ignore[attr-defined]
    return transport


def test_http_encoder_batches_orders_and_authenticates() -> None:
    transport = _fake_embedding_server()
    enc = HttpEncoder("http://embed.test", model="e5", api_key="s3cret", batch_size=2, transport=transport)
    vectors = enc.encode(["a", "bbb", "cc"])
    assert enc.dim == 3 and enc.name == "remote-e5"
    # Rows come back in input order although the server listed them reversed.
    expected = normalize_rows([[1, 1, 0], [3, 1, 0], [2, 1, 0]])
    assert np.allclose(vectors, expected)
    calls = transport.seen  # type: ignore[attr-defined]
    assert [c["body"]["input"] for c in calls[1:]] == [["a", "bbb"], ["cc"]]
    assert all(c["auth"] == "Bearer s3cret" and c["body"]["model"] == "e5" for c in calls)


def test_http_encoder_translates_server_errors() -> None:
    with pytest.raises(EncoderUnavailableError):
        HttpEncoder("http://embed.test", model="e5", transport=_fake_embedding_server(fail=True))


def test_http_encoder_asks_for_base64_and_falls_back_to_floats_once(caplog) -> None:
    both = _fake_embedding_server()
    HttpEncoder("http://embed.test", model="e5", transport=both).encode(["a"])
    assert {c["body"]["encoding_format"] for c in both.seen} == {"base64"}  # type: ignore[attr-defined]
    floats_only = _fake_embedding_server(base64_ok=False)
    enc = HttpEncoder("http://embed.test", model="e5", transport=floats_only)
    vectors = enc.encode(["a", "bbb"])
    assert np.allclose(vectors, normalize_rows([[1, 1, 0], [3, 1, 0]]))
    formats = [c["body"]["encoding_format"] for c in floats_only.seen]  # type: ignore[attr-defined]
    assert formats == ["base64", "float", "float"]  # probe refused once, then floats only
    assert sum("does not serve base64" in r.getMessage() for r in caplog.records) == 1


def test_decode_embeddings_reads_both_formats_and_rejects_garbage() -> None:
    vec = np.array([0.5, -2.0, 1e-7], dtype="<f4")
    packed = base64.b64encode(vec.tobytes()).decode()
    assert np.array_equal(decode_embeddings([packed, packed]), np.stack([vec, vec]))
    assert np.array_equal(decode_embeddings([[0.5, -2.0, 1e-7]]), vec[None, :])
    assert encode_embedding(vec, "base64") == packed  # what the bot server sends
    assert np.array_equal(decode_embeddings([encode_embedding(vec, "float")]), vec[None, :])
    for bad in (["not base64!"], [base64.b64encode(b"12345").decode()], [packed, base64.b64encode(b"1234").decode()]):
        with pytest.raises(ValueError):
            decode_embeddings(bad)
