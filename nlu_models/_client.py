"""Client of the OpenAI-compatible embeddings endpoint the components share (requests, keep-alive)."""

from __future__ import annotations

import logging
import os
import time
from typing import Any

import numpy as np
import requests
from rasa.shared.exceptions import RasaException

from bot.encoder._wire import ENCODING_FORMATS, decode_embeddings, post_in_format

DEFAULT_URL = "http://127.0.0.1:5055"
logger = logging.getLogger(__name__)


class EmbeddingServiceError(RasaException):
    """The embedding endpoint failed or serves a different encoder than the model was trained on."""


class ServerSession:
    """A kept-alive ``requests`` session to ``url``: the bearer token from ``token_env``, and
    requests that wait up to ``wait`` seconds for the server to come up and retry once a
    connection the server dropped while idle.

    Args:
        url: server root (no trailing slash).
        token_env: environment variable with a bearer token, if the server needs one.
        error: raised when the server cannot be reached.
        what: the server's name in that error ("embedding server").
        hint: what to do about it, appended to the error.
    """

    def __init__(self, url: str, token_env: str, error: type[Exception], what: str, hint: str = "") -> None:
        self.url = url
        self._error, self._what, self._hint = error, what, hint
        self._session = requests.Session()
        token = os.environ.get(token_env, "") if token_env else ""
        if token:
            self._session.headers["Authorization"] = f"Bearer {token}"

    def request(self, method: str, path: str, wait: float = 0.0, **kwargs: Any) -> requests.Response:
        deadline = time.monotonic() + wait
        retried = False
        while True:
            try:
                return self._session.request(method, f"{self.url}{path}", **kwargs)
            except requests.ConnectionError as exc:
                if not retried:
                    # A kept-alive connection the server closed as we sent (idle between parses):
                    # once more, on a new connection, before calling the server unreachable.
                    retried = True
                    logger.info("%s request failed (%s); retrying once", self._what, exc.__class__.__name__)
                    continue
                if time.monotonic() >= deadline:
                    raise self._error(
                        f"cannot reach the {self._what} at {self.url} ({exc.__class__.__name__}){self._hint}"
                    ) from exc
                time.sleep(1.0)


class EmbeddingClient:
    """``POST {url}/v1/embeddings``; returns ``(vectors, encoder name)``.

    Args:
        url: server root; default ``$IPM_EMBEDDINGS_URL`` or the local bot server.
        model: model name sent with each request ("" lets the server choose).
        token_env: environment variable with a bearer token, if the server needs one.
        timeout: seconds per request.
        encoding_format: ``"base64"`` (little-endian float32, what OpenAI's own client asks for:
            smaller and faster to decode) or ``"float"`` (JSON numbers). A server that rejects
            base64 with a 400 is asked again with ``"float"`` from then on (logged once).
    """

    def __init__(
        self,
        url: str | None,
        model: str = "",
        token_env: str = "",
        timeout: float = 120,
        encoding_format: str = "base64",
    ) -> None:
        if encoding_format not in ENCODING_FORMATS:
            raise ValueError(f"encoding_format must be one of {', '.join(ENCODING_FORMATS)}, not {encoding_format!r}")
        self.url = (url or os.environ.get("IPM_EMBEDDINGS_URL") or DEFAULT_URL).rstrip("/")
        self._model = model
        self._timeout = timeout
        self.encoding_format = encoding_format
        self._server = ServerSession(
            self.url, token_env, EmbeddingServiceError, "embedding server",
            "; start the bot server first (make run) or set IPM_EMBEDDINGS_URL",
        )

    def embed(self, texts: list[str], wait: float = 0.0) -> tuple[np.ndarray, str]:
        """Embed ``texts``, retrying connection errors for up to ``wait`` seconds (server start-up)."""
        resp, self.encoding_format = post_in_format(
            lambda fmt: self._post(texts, wait, fmt), self.encoding_format, self.url
        )
        if resp.status_code != 200:
            raise EmbeddingServiceError(f"embedding server {self.url} answered {resp.status_code}: {resp.text[:300]}")
        payload = resp.json()
        rows = sorted(payload["data"], key=lambda d: d["index"])
        try:
            vectors = decode_embeddings([r["embedding"] for r in rows])
        except ValueError as exc:
            raise EmbeddingServiceError(f"the embedding server {self.url} sent an unreadable vector: {exc}") from exc
        return vectors, str(payload.get("model", ""))

    def _post(self, texts: list[str], wait: float, encoding_format: str) -> requests.Response:
        body = {"input": texts, "model": self._model, "encoding_format": encoding_format}
        return self._server.request("POST", "/v1/embeddings", wait, json=body, timeout=self._timeout)
