"""The per-process service container: settings plus the models and stores built from them.

The bot server builds one ``Services`` at start-up and installs it with ``set_services``;
actions and handlers reach it through ``get_services``. Tests install their own.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.settings import Settings, get_settings

if TYPE_CHECKING:
    from bot.encoder import Encoder

logger = logging.getLogger(__name__)


@dataclass
class Services:
    """Everything a request handler or action needs, built lazily, once per process."""

    settings: Settings
    _encoder: Encoder | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def encoder(self) -> Encoder:
        """The shared sentence encoder (loaded on first use)."""
        if self._encoder is None:
            with self._lock:
                if self._encoder is None:
                    from bot.encoder import build_encoder

                    logger.info("loading encoder backend=%s model=%s",
                                self.settings.encoder.backend, self.settings.encoder.model)
                    self._encoder = build_encoder(self.settings.encoder)
        return self._encoder


_current: Services | None = None
_current_lock = threading.Lock()


def get_services() -> Services:
    """The process's services (created from ``get_settings()`` on first call)."""
    global _current
    if _current is None:
        with _current_lock:
            if _current is None:
                _current = Services(settings=get_settings())
    return _current


def set_services(services: Services | None) -> None:
    """Install ``services`` as the process's container (``None`` resets it)."""
    global _current
    with _current_lock:
        _current = services
