"""aiohttp application factory for the bot server.

Routes:
    ``GET  /health``           liveness + which encoder is loaded.
    ``POST /v1/embeddings``    OpenAI-compatible embeddings from the shared encoder
                               (``encoding_format`` ``float`` or ``base64``: little-endian float32).
    ``GET  /v1/models``        OpenAI-compatible model list (the loaded encoder).
    ``POST /v1/rephrase``      a reply rewritten for the customer's moment, every fact kept
                               (Rasa's responses come through it: ``rasa_plugins.nlg``).
    ``GET  /metrics``          Prometheus metrics.
    ``GET  /widget/``          the embeddable chat widget and a demo page.
    ``POST /chat``             the widget's same-origin proxy to Rasa's REST channel.
Adapters add more routes (the Rasa action webhook) through ``extra_routes``.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import re
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.typedefs import Middleware
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot import metrics
from bot.encoder._wire import ENCODING_FORMATS, encode_embedding
from bot.errors import EncoderError, IPMError, ValidationError
from bot.services import Services

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"
SERVICES_KEY = web.AppKey("services", Services)
HTTP_KEY = web.AppKey("http_session", aiohttp.ClientSession)
SENDER_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")
MAX_MESSAGE_CHARS = 2000
MAX_INPUTS = 2048
MAX_CHARS = 8192

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _error(status: int, message: str, kind: str = "invalid_request_error") -> web.Response:
    return web.json_response({"error": {"message": message, "type": kind}}, status=status)


@web.middleware
async def _errors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Project errors become clear JSON; anything else a generic 500 (details only in the log)."""
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except ValidationError as exc:
        return web.json_response(
            {"error": {"message": str(exc), "type": "invalid_request_error", "problems": exc.problems}},
            status=400,
        )
    except EncoderError as exc:
        logger.error("encoder failure on %s: %s", request.path, exc)
        return _error(503, "the encoder is unavailable", "server_error")
    except IPMError as exc:
        logger.error("request %s failed: %s", request.path, exc)
        return _error(500, "internal error", "server_error")
    except Exception:
        logger.exception("unhandled error on %s", request.path)
        return _error(500, "internal error", "server_error")


def _auth_middleware(services: Services) -> Middleware:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        settings = services.settings.server
        token = None
        if request.path.startswith("/v1/"):
            token = settings.api_token
        elif request.path.startswith("/admin/"):
            if settings.admin_token is None:
                return _error(404, "admin endpoints are disabled (set IPM_SERVER__ADMIN_TOKEN)")
            token = settings.admin_token
        if token is not None:
            header = request.headers.get("Authorization", "")
            given = header[7:] if header.startswith("Bearer ") else ""
            if not hmac.compare_digest(given.encode(), token.get_secret_value().encode()):
                return _error(401, "missing or invalid bearer token", "authentication_error")
        return await handler(request)

    return middleware


def _parse_inputs(body: Any) -> tuple[list[str], str]:
    if not isinstance(body, dict):
        raise ValidationError("request body must be a JSON object")
    raw = body.get("input")
    if isinstance(raw, str):
        texts = [raw]
    elif isinstance(raw, list) and all(isinstance(t, str) for t in raw):
        texts = list(raw)
    else:
        raise ValidationError("'input' must be a string or a list of strings")
    if not texts:
        raise ValidationError("'input' must not be empty")
    if len(texts) > MAX_INPUTS:
        raise ValidationError(f"at most {MAX_INPUTS} inputs per request")
    too_long = [i for i, t in enumerate(texts) if len(t) > MAX_CHARS]
    if too_long:
        raise ValidationError(
            f"inputs longer than {MAX_CHARS} characters",
            problems=[f"input[{i}] is too long" for i in too_long[:20]],
        )
    fmt = body.get("encoding_format") or "float"
    if fmt not in ENCODING_FORMATS:
        raise ValidationError(f"encoding_format must be one of {', '.join(ENCODING_FORMATS)}")
    return texts, fmt


async def _embeddings(request: web.Request) -> web.Response:
    services = request.app[SERVICES_KEY]
    try:
        body = await request.json()
    except ValueError:
        metrics.EMBED_REQUESTS.labels("bad_request").inc()
        return _error(400, "request body is not valid JSON")
    try:
        texts, fmt = _parse_inputs(body)
    except ValidationError:
        metrics.EMBED_REQUESTS.labels("bad_request").inc()
        raise
    encoder = services.encoder
    started = time.perf_counter()
    try:
        vectors = await asyncio.to_thread(encoder.encode, texts)
    except EncoderError:
        metrics.EMBED_REQUESTS.labels("error").inc()
        raise
    metrics.EMBED_SECONDS.observe(time.perf_counter() - started)
    metrics.EMBED_REQUESTS.labels("ok").inc()
    metrics.EMBED_TEXTS.inc(len(texts))
    n_chars = sum(len(t) for t in texts)
    return web.json_response(
        {
            "object": "list",
            "model": encoder.name,
            "data": [
                {"object": "embedding", "index": i, "embedding": encode_embedding(vec, fmt)}
                for i, vec in enumerate(vectors)
            ],
            "usage": {"prompt_tokens": n_chars, "total_tokens": n_chars},
        }
    )


_MOODS = ("positive", "negative", "neutral")
_STYLES = ("empathetic", "brief", "neutral")


def _optional_text(body: dict[str, Any], key: str, limit: int) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise ValidationError(f"'{key}' must be text of at most {limit} characters")
    return value


def _choice(body: dict[str, Any], key: str, options: tuple[str, ...]) -> str | None:
    value = body.get(key)
    if value is not None and value not in options:
        raise ValidationError(f"'{key}' must be one of {', '.join(options)}")
    return value


async def _rephrase(request: web.Request) -> web.Response:
    """The reply ``text`` rewritten for the moment (``GenerationService.rephrase``), or unchanged.

    Body: ``text`` and ``language`` (``en``/``zh``) required; ``sender_id``, ``message``
    (the customer's latest message), ``mood``, ``aspect``, ``style`` optional. Never loses
    the reply: any failure of the backend answers with ``text`` itself.
    """
    try:
        body = await request.json()
    except ValueError:
        return _error(400, "request body is not valid JSON")
    if not isinstance(body, dict):
        return _error(400, "request body must be a JSON object")
    text = body.get("text")
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_CHARS:
        raise ValidationError(f"'text' must be non-empty text of at most {MAX_CHARS} characters")
    language = _choice(body, "language", ("en", "zh"))
    if language is None:
        raise ValidationError("'language' is required: en or zh")
    sender = body.get("sender_id")
    if sender is not None and (not isinstance(sender, str) or not SENDER_RE.match(sender)):
        raise ValidationError("'sender_id' must be 1-128 characters of letters, digits, _ . : -")
    from bot.generation import generation_service

    generation = await generation_service(request.app[SERVICES_KEY]).rephrase(
        text,
        language=language,
        sender_id=sender,
        mood=_choice(body, "mood", _MOODS),  # type: ignore[arg-type]
        aspect=_optional_text(body, "aspect", 64),
        message=_optional_text(body, "message", MAX_MESSAGE_CHARS),
        style=_choice(body, "style", _STYLES),  # type: ignore[arg-type]
    )
    return web.json_response({
        "text": generation.text,
        "backend": generation.backend,
        "style": generation.style,
        "fell_back": generation.fell_back,
        "variant": generation.variant,
    })


async def _models(request: web.Request) -> web.Response:
    encoder = request.app[SERVICES_KEY].encoder
    return web.json_response(
        {"object": "list", "data": [{"id": encoder.name, "object": "model", "owned_by": "ipm-bot",
                                     "dim": encoder.dim}]}
    )


async def _catalog_names(request: web.Request) -> web.Response:
    """The names the NLU pipeline masks before classifying intents (``bot.understanding.names``):
    ``{"brands": [...]}``, every shop brand in English and Chinese, read from the catalog now."""
    from bot.catalog import list_products
    from bot.product_search import brand_names

    products = await asyncio.to_thread(list_products, request.app[SERVICES_KEY].store)
    return web.json_response({"brands": brand_names(products)})


async def _health(request: web.Request) -> web.Response:
    encoder = request.app[SERVICES_KEY].encoder
    return web.json_response({"status": "ok", "encoder": encoder.name, "dim": encoder.dim})


async def _metrics(_: web.Request) -> web.Response:
    return web.Response(body=generate_latest(metrics.REGISTRY), headers={"Content-Type": CONTENT_TYPE_LATEST})


async def _chat(request: web.Request) -> web.Response:
    """Forward one widget message to Rasa's REST channel and return Rasa's replies."""
    try:
        body = await request.json()
    except ValueError:
        return _error(400, "request body is not valid JSON")
    if not isinstance(body, dict):
        return _error(400, "request body must be a JSON object")
    sender, message = body.get("sender"), body.get("message")
    if not isinstance(sender, str) or not SENDER_RE.match(sender):
        return _error(400, "'sender' must be 1-128 characters of letters, digits, _ . : -")
    if not isinstance(message, str) or not message.strip() or len(message) > MAX_MESSAGE_CHARS:
        return _error(400, f"'message' must be non-empty text of at most {MAX_MESSAGE_CHARS} characters")
    rasa_url = request.app[SERVICES_KEY].settings.server.rasa_url.rstrip("/")
    try:
        async with request.app[HTTP_KEY].post(
            f"{rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": message}
        ) as resp:
            if resp.status != 200:
                logger.error("rasa answered %s to a chat message", resp.status)
                return _error(502, "the dialogue server failed", "server_error")
            replies = await resp.json()
    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
        logger.error("rasa unreachable at %s: %s", rasa_url, exc)
        return _error(503, "the dialogue server is unavailable", "server_error")
    return web.json_response(replies)


async def _widget_index(_: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC_DIR / "index.html")


async def _root(_: web.Request) -> web.Response:
    raise web.HTTPFound("/widget/")


def create_app(
    services: Services,
    extra_routes: Callable[[web.Application], None] | None = None,
) -> web.Application:
    """Build the bot server application.

    Args:
        services: the process's services; the encoder is loaded at start-up.
        extra_routes: called with the app to add adapter routes (e.g. the action webhook).

    Returns:
        The aiohttp application (run it with ``run_app`` or an aiohttp test client).
    """
    app = web.Application(
        middlewares=[_errors_middleware, _auth_middleware(services)],
        client_max_size=8 * 1024 * 1024,
    )
    app[SERVICES_KEY] = services
    app.router.add_get("/", _root)
    app.router.add_get("/health", _health)
    app.router.add_post("/v1/embeddings", _embeddings)
    app.router.add_get("/v1/models", _models)
    app.router.add_get("/v1/catalog/names", _catalog_names)
    app.router.add_post("/v1/rephrase", _rephrase)
    app.router.add_get("/metrics", _metrics)
    app.router.add_post("/chat", _chat)
    app.router.add_get("/widget/", _widget_index)
    app.router.add_static("/widget/", STATIC_DIR, show_index=False)
    if extra_routes is not None:
        extra_routes(app)

    async def _load_models(app: web.Application) -> None:
        # Load before serving, so the first customer does not pay for it.
        await asyncio.to_thread(lambda: app[SERVICES_KEY].encoder)

    async def _http_session(app: web.Application):  # type: ignore[no-untyped-def]
        app[HTTP_KEY] = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60))
        yield
        await app[HTTP_KEY].close()

    app.on_startup.append(_load_models)
    app.cleanup_ctx.append(_http_session)
    return app


def run_app(app: web.Application, host: str, port: int) -> None:
    """Serve ``app`` until SIGINT/SIGTERM."""
    logger.info("bot server listening on http://%s:%d", host, port)
    web.run_app(app, host=host, port=port, print=None, access_log=None)
