"""The embeddings client against servers that answer in each of OpenAI's formats, or refuse one."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from nlu_models._client import EmbeddingClient, EmbeddingServiceError

VECTORS = np.array([[0.25, -1.5, 3.0], [1e-8, 2.0, -0.125]], dtype=np.float32)


class _FakeServer(BaseHTTPRequestHandler):
    """An OpenAI-style embeddings endpoint; ``formats`` are the encodings it serves."""

    formats: tuple[str, ...] = ("float", "base64")
    reply: str | None = None  # a fixed base64 vector to send instead of the real ones
    seen: list[str] = []

    def do_POST(self) -> None:  # http.server calls it by this name
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        fmt = body.get("encoding_format", "float")
        self.seen.append(fmt)
        if fmt not in self.formats:
            self._send(400, {"error": {"message": "only encoding_format 'float' is supported"}})
            return
        data = []
        for i, _ in enumerate(body["input"]):
            vec = VECTORS[i]
            emb = self.reply or (base64.b64encode(vec.astype("<f4").tobytes()).decode() if fmt == "base64"
                                 else vec.tolist())
            data.append({"object": "embedding", "index": i, "embedding": emb})
        self._send(200, {"object": "list", "model": "fake/enc", "data": data[::-1]})  # any order

    def _send(self, status: int, payload: dict) -> None:
        raw = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *args: object) -> None:
        pass


def _serve(formats: tuple[str, ...], reply: str | None = None) -> Iterator[tuple[str, list[str]]]:
    seen: list[str] = []
    handler = type("Handler", (_FakeServer,), {"formats": formats, "reply": reply, "seen": seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture()
def both_formats() -> Iterator[tuple[str, list[str]]]:
    yield from _serve(("float", "base64"))


@pytest.fixture()
def float_only() -> Iterator[tuple[str, list[str]]]:
    yield from _serve(("float",))


@pytest.mark.parametrize("fmt", ["base64", "float"])
def test_vectors_come_back_exactly_in_input_order(both_formats, fmt) -> None:
    url, seen = both_formats
    vectors, model = EmbeddingClient(url, encoding_format=fmt).embed(["a", "b"])
    assert seen == [fmt] and model == "fake/enc"
    assert vectors.dtype == np.float32 and np.array_equal(vectors, VECTORS)


def test_a_server_without_base64_is_asked_for_floats_once_and_from_then_on(float_only, caplog) -> None:
    url, seen = float_only
    client = EmbeddingClient(url)
    first, _ = client.embed(["a", "b"])
    second, _ = client.embed(["a", "b"])
    assert np.array_equal(first, VECTORS) and np.array_equal(second, VECTORS)
    assert seen == ["base64", "float", "float"]
    assert client.encoding_format == "float"
    assert sum("does not serve base64" in r.getMessage() for r in caplog.records) == 1


def test_an_unreadable_base64_vector_is_a_clear_error() -> None:
    for url, _ in _serve(("base64",), reply="not base64!"):
        with pytest.raises(EmbeddingServiceError, match="unreadable"):
            EmbeddingClient(url).embed(["a"])


def test_an_unknown_encoding_format_is_refused() -> None:
    with pytest.raises(ValueError, match="encoding_format"):
        EmbeddingClient("http://127.0.0.1:9", encoding_format="hex")


class _DropsSecondRequest(_FakeServer):
    """Keeps connections alive, and closes one without an answer: the second request it gets."""

    protocol_version = "HTTP/1.1"
    count = [0]

    def do_POST(self) -> None:  # http.server calls it by this name
        self.count[0] += 1
        if self.count[0] == 2:
            self.rfile.read(int(self.headers["Content-Length"]))
            self.close_connection = True  # as a server's keep-alive timeout does, mid-request
            return
        super().do_POST()


def test_a_kept_alive_connection_dropped_by_the_server_is_retried_once() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), type("Handler", (_DropsSecondRequest,), {"count": [0]}))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        client = EmbeddingClient(f"http://127.0.0.1:{server.server_address[1]}")
        for _ in range(3):  # the second request meets the dropped connection
            vectors, _ = client.embed(["a", "b"])
            assert np.array_equal(vectors, VECTORS)
    finally:
        server.shutdown()
        server.server_close()
    # A server that is really gone is still an error, at once.
    with pytest.raises(EmbeddingServiceError, match="cannot reach"):
        EmbeddingClient(f"http://127.0.0.1:{server.server_address[1]}").embed(["a"])
