"""The bot server's HTTP surface (aiohttp): embeddings API, health, metrics and the chat widget."""

from __future__ import annotations

from bot.server._app import create_app, run_app

__all__ = ["create_app", "run_app"]
