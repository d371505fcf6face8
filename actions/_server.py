"""The bot server process: the Rasa action webhook mounted on ipm-bot's aiohttp app.

One process serves ``/webhook`` (Rasa's action endpoint protocol), ``/v1/embeddings``
(the shared encoder), ``/widget/`` and ``/metrics``; the encoder is loaded once, here.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import time
from typing import Any

from aiohttp import web

from bot import metrics
from bot.privacy import install_log_redaction
from bot.server import create_app, run_app
from bot.services import Services, get_services, set_services
from bot.settings import get_settings

logger = logging.getLogger(__name__)
EXECUTOR_KEY: web.AppKey[Any] = web.AppKey("action_executor", object)


def _build_executor() -> Any:
    from rasa_sdk.executor import ActionExecutor

    executor = ActionExecutor()
    executor.register_package("actions")
    return executor


async def _webhook(request: web.Request) -> web.Response:
    """Rasa's action server protocol (same status codes as rasa_sdk's own endpoint)."""
    from rasa_sdk.interfaces import (
        ActionExecutionRejection,
        ActionMissingDomainException,
        ActionNotFoundException,
    )

    executor = request.app[EXECUTOR_KEY]
    try:
        action_call = await request.json()
    except ValueError:
        return web.json_response({"error": "Invalid body request"}, status=400)
    if not isinstance(action_call, dict):
        return web.json_response({"error": "Invalid body request"}, status=400)
    action_name = str(action_call.get("next_action"))
    try:
        result = await executor.run(action_call)
    except ActionExecutionRejection as exc:
        metrics.ACTION_RUNS.labels(action_name, "rejected").inc()
        return web.json_response({"error": exc.message, "action_name": exc.action_name}, status=400)
    except ActionNotFoundException as exc:
        metrics.ACTION_RUNS.labels(action_name, "not_found").inc()
        logger.error("unknown action %s", exc.action_name)
        return web.json_response({"error": exc.message, "action_name": exc.action_name}, status=404)
    except ActionMissingDomainException as exc:
        return web.json_response({"error": exc.message, "action_name": exc.action_name}, status=449)
    except Exception:
        # Actions catch the project's errors themselves; anything reaching here is a bug.
        metrics.ACTION_RUNS.labels(action_name, "error").inc()
        logger.exception("action %s crashed", action_name)
        return web.json_response({"error": "action failed", "action_name": action_name}, status=500)
    metrics.ACTION_RUNS.labels(action_name, "ok").inc()
    return web.json_response(result.model_dump() if result else None)


async def _list_actions(request: web.Request) -> web.Response:
    executor = request.app[EXECUTOR_KEY]
    return web.json_response([item.model_dump() for item in executor.list_actions()])


async def _index_catalog(app: web.Application) -> None:
    """Index the catalog before serving: every message looks for the categories it names, and
    the first index of a catalog embeds its products and traits (seconds; cached on disk after)."""
    started = time.perf_counter()
    try:
        search = await asyncio.to_thread(lambda: get_services().product_search)
    except Exception:  # the first message retries, and reports the error to the customer's turn
        logger.exception("the catalog could not be indexed at start-up; indexing on first use")
        return
    logger.info("catalog indexed: %d products in %.1f s", len(search.products), time.perf_counter() - started)


def add_action_routes(app: web.Application) -> None:
    """Mount ``/webhook`` and ``/actions`` (Rasa's action server API) on ``app``."""
    app[EXECUTOR_KEY] = _build_executor()
    app.router.add_post("/webhook", _webhook)
    app.router.add_get("/actions", _list_actions)
    app.on_startup.append(_index_catalog)


def build_app(services: Services | None = None) -> web.Application:
    """The full bot server application."""
    services = services or Services(settings=get_settings())
    set_services(services)
    return create_app(services, extra_routes=add_action_routes)


def main(argv: list[str] | None = None) -> int:
    settings = get_settings()
    parser = argparse.ArgumentParser(prog="python -m actions", description="Run the ipm-bot server.")
    parser.add_argument("--host", default=settings.server.host)
    parser.add_argument("--port", type=int, default=settings.server.port)
    parser.add_argument("--log-level", default=os.environ.get("IPM_LOG_LEVEL", "INFO"))
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Customers' phone numbers, e-mails and card numbers never reach the logs.
    install_log_redaction()
    run_app(build_app(Services(settings=settings)), args.host, args.port)
    return 0
