"""OpenAI-compatible ``/v1/chat/completions`` backend over aiohttp (vLLM, Ollama, llama.cpp server, hosted APIs)."""

from __future__ import annotations

import asyncio
import json
import logging
import random
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any

from bot.generation._prompts import PROMPT_LABELS, STOP_SEQUENCES, ChatMessage, build_messages
from bot.generation._types import BackendError, Generation, GenerationRequest, Generator
from bot.metrics import LLM_REQUESTS

if TYPE_CHECKING:
    import aiohttp

logger = logging.getLogger(__name__)

#: Statuses worth another try: rate limited, or the server is (temporarily) failing.
RETRY_STATUSES = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
#: Longest wait a ``Retry-After`` header may impose.
MAX_RETRY_AFTER_S = 5.0

_THINK = re.compile(r"<think>.*?</think>", re.DOTALL | re.IGNORECASE)


def clean_completion(text: str) -> str:
    """The message from a model's raw answer: reasoning blocks, echoed prompt sections, wrapping
    quotes and labels removed.

    Example:
        >>> clean_completion('<think>hmm</think>\\n"Hello there!"')
        'Hello there!'
    """
    text = _THINK.sub("", text).strip()
    cut = min((i for i in (text.find(label) for label in PROMPT_LABELS) if i >= 0), default=-1)
    if cut >= 0:
        text = text[:cut].strip()  # the model began echoing the prompt: that is not the message
    text = re.sub(r"^(?:message|reply|answer|消息|回复)\s*[:：]\s*", "", text, flags=re.IGNORECASE)
    if len(text) >= 2 and text[0] in "\"“'「" and text[-1] in "\"”'」":
        text = text[1:-1].strip()
    elif text and text[0] in "\"“「" and text.count(text[0]) == 1:
        text = text[1:].strip()  # an opening quote the model never closed
    elif text and text[-1] in "\"”」" and text.count(text[-1]) == 1:
        text = text[:-1].strip()
    return text


def chat_completions_url(base_url: str) -> str:
    """The chat completions endpoint of a server given as ``http://host:port[/v1]``.

    Example:
        >>> chat_completions_url("http://127.0.0.1:8000/v1/")
        'http://127.0.0.1:8000/v1/chat/completions'
        >>> chat_completions_url("http://127.0.0.1:11434")
        'http://127.0.0.1:11434/v1/chat/completions'
    """
    url = base_url.rstrip("/")
    if url.endswith("/chat/completions"):
        return url
    if re.search(r"/v\d+$", url):
        return url + "/chat/completions"
    return url + "/v1/chat/completions"


class OpenAICompatibleGenerator(Generator):
    """Asks an OpenAI-compatible server for the text, with timeouts and bounded retries.

    429 and 5xx answers, timeouts and connection errors are retried ``max_retries`` times,
    waiting ``backoff_s`` then twice as long each time (with jitter; a ``Retry-After``
    header up to 5 s is honoured); other 4xx answers fail at once. With ``stream=True``
    the answer is read as server-sent events.

    Args:
        base_url: e.g. ``http://127.0.0.1:8000/v1``.
        model: the model name the server expects.
        api_key: sent as a bearer token (from ``IPM_LLM__API_KEY``; never in files).
        timeout_s: limit for one request, connection to last byte.
        max_retries: extra attempts after the first.
        backoff_s: first wait between attempts.
        stream: read the answer as a stream of server-sent events.
        temperature: sampling temperature.
        max_tokens: longest answer.
        sleep: the waiting function (tests replace it).

    Example:
        >>> gen = OpenAICompatibleGenerator("http://127.0.0.1:8000/v1", "qwen2.5-1.5b-instruct")
        >>> gen.url
        'http://127.0.0.1:8000/v1/chat/completions'
    """

    name = "openai"

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str | None = None,
        timeout_s: float = 10.0,
        max_retries: int = 1,
        backoff_s: float = 0.5,
        stream: bool = False,
        temperature: float = 0.7,
        max_tokens: int = 200,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.url = chat_completions_url(base_url)
        self.model = model
        self._api_key = api_key
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.stream_default = stream
        self.temperature = temperature
        self.max_tokens = max_tokens
        self._sleep = sleep
        self._session: aiohttp.ClientSession | None = None
        self._session_loop: asyncio.AbstractEventLoop | None = None

    async def _client(self) -> aiohttp.ClientSession:
        import aiohttp

        loop = asyncio.get_running_loop()
        if self._session is None or self._session.closed or self._session_loop is not loop:
            headers = {"Content-Type": "application/json"}
            if self._api_key:
                headers["Authorization"] = f"Bearer {self._api_key}"
            self._session = aiohttp.ClientSession(headers=headers)
            self._session_loop = loop
        return self._session

    async def aclose(self) -> None:
        """Close the HTTP connection pool."""
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    def _payload(self, messages: list[ChatMessage], stream: bool) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "stop": list(STOP_SEQUENCES),
            "stream": stream,
        }
        if stream:
            payload["stream_options"] = {"include_usage": True}
        return payload

    async def generate(self, request: GenerationRequest) -> Generation:
        """Ask the server for the text (unvalidated).

        Raises:
            BackendError: the server failed, timed out or answered nonsense on every attempt.
        """
        started = time.perf_counter()
        text, tokens = await self.complete(build_messages(request), stream=self.stream_default)
        elapsed = time.perf_counter() - started
        return Generation(
            text=clean_completion(text),
            backend=self.name,
            style=request.style,
            variant=request.variant,
            model=self.model,
            latency_s=elapsed,
            completion_tokens=tokens,
            generation_s=elapsed,
        )

    async def complete(
        self, messages: list[ChatMessage], *, stream: bool = False
    ) -> tuple[str, int | None]:
        """One chat completion with retries.

        Args:
            messages: the chat.
            stream: read server-sent events.

        Returns:
            The answer's text and its completion token count (``None`` if unknown).

        Raises:
            BackendError: every attempt failed, or the server refused the request.
        """
        import aiohttp

        last: BackendError | None = None
        for attempt in range(self.max_retries + 1):
            retry_after: float | None = None
            try:
                return await self._once(messages, stream)
            except BackendError as exc:
                last = exc
                if exc.reason in ("bad_request", "bad_response"):
                    LLM_REQUESTS.labels(self.name, "error").inc()
                    raise
                retry_after = exc.retry_after
            except (TimeoutError, asyncio.TimeoutError) as exc:
                last = BackendError(f"no answer within {self.timeout_s:g} s", "timeout")
                last.__cause__ = exc
            except aiohttp.ClientError as exc:
                last = BackendError(f"connection failed: {type(exc).__name__}", "connection")
                last.__cause__ = exc
            status = "timeout" if last.reason == "timeout" else "retry"
            if attempt == self.max_retries:
                LLM_REQUESTS.labels(self.name, "error" if status == "retry" else status).inc()
                break
            LLM_REQUESTS.labels(self.name, status).inc()
            wait = self.backoff_s * (2**attempt) * (1.0 + 0.25 * random.random())
            if retry_after is not None:
                wait = max(wait, min(retry_after, MAX_RETRY_AFTER_S))
            logger.info("LLM %s (attempt %d), retrying in %.2f s", last.reason, attempt + 1, wait)
            await self._sleep(wait)
        assert last is not None
        raise last

    async def _once(self, messages: list[ChatMessage], stream: bool) -> tuple[str, int | None]:
        import aiohttp

        session = await self._client()
        timeout = aiohttp.ClientTimeout(total=self.timeout_s)
        async with session.post(
            self.url, json=self._payload(messages, stream), timeout=timeout
        ) as response:
            if response.status != 200:
                await response.read()
                reason = (
                    "rate_limited"
                    if response.status == 429
                    else "server_error"
                    if response.status in RETRY_STATUSES
                    else "bad_request"
                )
                raise BackendError(
                    f"LLM server answered HTTP {response.status}",
                    reason,
                    retry_after=_seconds(response.headers.get("Retry-After")),
                )
            if stream:
                chunks: list[str] = []
                tokens: int | None = None
                async for piece, usage in _sse_chunks(response):
                    chunks.append(piece)
                    if usage is not None:
                        tokens = usage
                LLM_REQUESTS.labels(self.name, "ok").inc()
                return "".join(chunks), tokens if tokens is not None else len(chunks) or None
            try:
                body = await response.json(content_type=None)
                text = body["choices"][0]["message"]["content"]
            except (ValueError, KeyError, IndexError, TypeError) as exc:
                raise BackendError("LLM server answered without a message", "bad_response") from exc
            if not isinstance(text, str):
                raise BackendError("LLM server answered without a message", "bad_response")
            usage_info = body.get("usage") or {}
            count = usage_info.get("completion_tokens") if isinstance(usage_info, dict) else None
            LLM_REQUESTS.labels(self.name, "ok").inc()
            return text, int(count) if isinstance(count, int) else None

    async def stream(self, request: GenerationRequest) -> AsyncIterator[str]:
        """The answer's text as it arrives (no retries once text has flowed; unvalidated).

        Only for channels that show text as it comes and for texts that need no
        guardrails; promotions and rephrased replies go through ``GuardedGenerator``.

        Yields:
            Pieces of text.
        """
        import aiohttp

        session = await self._client()
        timeout = aiohttp.ClientTimeout(total=self.timeout_s)
        try:
            async with session.post(
                self.url, json=self._payload(build_messages(request), True), timeout=timeout
            ) as response:
                if response.status != 200:
                    raise BackendError(f"LLM server answered HTTP {response.status}", "server_error")
                async for piece, _ in _sse_chunks(response):
                    if piece:
                        yield piece
        except (TimeoutError, asyncio.TimeoutError) as exc:
            raise BackendError(f"no answer within {self.timeout_s:g} s", "timeout") from exc
        except aiohttp.ClientError as exc:
            raise BackendError(f"connection failed: {type(exc).__name__}", "connection") from exc


def _seconds(header: str | None) -> float | None:
    try:
        return float(header) if header else None
    except ValueError:
        return None


async def _sse_chunks(response: aiohttp.ClientResponse) -> AsyncIterator[tuple[str, int | None]]:
    """``(text, completion_tokens or None)`` for each ``data:`` event of a chat stream."""
    async for raw in response.content:
        line = raw.decode("utf-8", errors="replace").strip()
        if not line.startswith("data:"):
            continue
        data = line[5:].strip()
        if data == "[DONE]":
            return
        try:
            event = json.loads(data)
        except ValueError as exc:
            raise BackendError("LLM stream sent invalid JSON", "bad_response") from exc
        usage = event.get("usage") if isinstance(event, dict) else None
        tokens = usage.get("completion_tokens") if isinstance(usage, dict) else None
        piece = ""
        choices = event.get("choices") if isinstance(event, dict) else None
        if choices:
            delta = choices[0].get("delta") or {}
            piece = delta.get("content") or ""
        if piece or tokens is not None:
            yield piece, tokens if isinstance(tokens, int) else None
