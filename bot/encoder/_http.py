"""Client of any OpenAI-compatible embeddings endpoint (``POST {base_url}/v1/embeddings``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from bot.encoder._base import normalize_rows
from bot.encoder._wire import decode_embeddings, post_in_format
from bot.errors import EncoderUnavailableError

if TYPE_CHECKING:
    import httpx


class HttpEncoder:
    """Embeds through a remote server (ipm-bot's own, vLLM, TEI, Ollama, a hosted API).

    Args:
        base_url: server root, e.g. ``http://127.0.0.1:5055`` (``/v1/embeddings`` is appended).
        model: model name sent in each request.
        api_key: sent as a bearer token when set.
        timeout_s: per-request timeout.
        batch_size: texts per request.
        transport: an ``httpx`` transport, for tests.

    Vectors are asked for as base64 (float32 bytes, as OpenAI's own client does); a server
    that refuses that with a 400 naming ``encoding_format`` is asked for JSON floats from then
    on, with one warning.
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str | None = None,
        timeout_s: float = 30.0,
        batch_size: int = 64,
        transport: object | None = None,
    ) -> None:
        import httpx

        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers=headers,
            timeout=timeout_s,
            transport=transport,  # type: ignore[arg-type]
        )
        self._model = model
        self._batch_size = batch_size
        self._encoding_format = "base64"
        probe = self._post(["dimension probe"])
        self.dim = int(probe.shape[1])
        self.name = self._remote_name or model

    _remote_name: str | None = None

    def _post(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        import httpx

        try:
            resp, self._encoding_format = post_in_format(
                lambda fmt: self._request(texts, fmt), self._encoding_format, self._client.base_url
            )
            resp.raise_for_status()
            body = resp.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise EncoderUnavailableError(f"embedding server failed: {exc}") from exc
        data = sorted(body.get("data", []), key=lambda d: d["index"])
        if len(data) != len(texts):
            raise EncoderUnavailableError(
                f"embedding server returned {len(data)} vectors for {len(texts)} texts"
            )
        self._remote_name = body.get("model")
        try:
            return normalize_rows(decode_embeddings([d["embedding"] for d in data]))
        except ValueError as exc:
            raise EncoderUnavailableError(f"embedding server sent an unreadable vector: {exc}") from exc

    def _request(self, texts: Sequence[str], encoding_format: str) -> httpx.Response:
        body = {"input": list(texts), "model": self._model, "encoding_format": encoding_format}
        return self._client.post("/v1/embeddings", json=body)

    def encode(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        parts = [
            self._post(texts[i : i + self._batch_size]) for i in range(0, len(texts), self._batch_size)
        ]
        return np.concatenate(parts, axis=0)

    def close(self) -> None:
        self._client.close()
