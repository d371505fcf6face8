"""The per-process service container: settings plus the models and stores built from them.

The bot server builds one ``Services`` at start-up and installs it with ``set_services``;
actions and handlers reach it through ``get_services``. Everything is built lazily, once:
nothing connects or loads a model at import time. Tests install their own.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from bot.settings import Settings, get_settings

if TYPE_CHECKING:
    from bot.encoder import Encoder
    from bot.product_search import ProductSearch
    from bot.profiles import ProfileService
    from bot.recommendation_service import RecommendationService
    from bot.store import Store

logger = logging.getLogger(__name__)


class CachingEncoder:
    """An encoder with a small LRU cache: Rasa's NLU and the actions embed the same message
    within one turn, so the second call is free.

    Args:
        inner: the real encoder.
        size: how many texts to remember.
    """

    def __init__(self, inner: Encoder, size: int = 4096) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self._size = size
        self._cache: OrderedDict[str, npt.NDArray[np.float32]] = OrderedDict()
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        out: list[npt.NDArray[np.float32] | None] = []
        missing: list[str] = []
        with self._lock:
            for t in texts:
                hit = self._cache.get(t)
                if hit is not None:
                    self._cache.move_to_end(t)
                else:
                    missing.append(t)
                out.append(hit)
        if missing:
            unique = list(dict.fromkeys(missing))
            fresh = dict(zip(unique, self.inner.encode(unique)))
            with self._lock:
                for t, v in fresh.items():
                    self._cache[t] = v
                    if len(self._cache) > self._size:
                        self._cache.popitem(last=False)
            out = [fresh[t] if v is None else v for t, v in zip(texts, out)]
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([v for v in out if v is not None]).astype(np.float32, copy=False)


@dataclass
class Services:
    """Everything a request handler or action needs, built lazily, once per process."""

    settings: Settings
    _encoder: Any = None
    _store: Store | None = None
    _profiles: ProfileService | None = None
    _product_search: ProductSearch | None = None
    _recommendations: RecommendationService | None = None
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    @property
    def encoder(self) -> Encoder:
        """The shared sentence encoder (loaded on first use, with a per-text cache)."""
        if self._encoder is None:
            with self._lock:
                if self._encoder is None:
                    from bot.encoder import build_encoder

                    logger.info("loading encoder backend=%s model=%s",
                                self.settings.encoder.backend, self.settings.encoder.model)
                    self._encoder = CachingEncoder(build_encoder(self.settings.encoder))
        return self._encoder  # type: ignore[no-any-return]

    @property
    def store(self) -> Store:
        """The profile/catalog database, migrated to the latest schema on first use."""
        if self._store is None:
            with self._lock:
                if self._store is None:
                    from bot.store import open_store

                    self.settings.data_dir.mkdir(parents=True, exist_ok=True)
                    self._store = open_store(self.settings.database.url)
        return self._store

    @property
    def profiles(self) -> ProfileService:
        """Customer profiles over ``store``, embedding text with the shared encoder."""
        if self._profiles is None:
            with self._lock:
                if self._profiles is None:
                    from bot.profiles import ProfileService

                    self._profiles = ProfileService(self.store, self.encoder)
        return self._profiles

    @property
    def product_search(self) -> ProductSearch:
        """Semantic search over the current catalog (rebuilt with ``refresh_catalog``)."""
        if self._product_search is None:
            with self._lock:
                if self._product_search is None:
                    from bot.catalog import list_products
                    from bot.product_search import ProductSearch

                    self._product_search = ProductSearch(
                        list_products(self.store), self.encoder, self.settings.data_dir / "cache"
                    )
        return self._product_search

    @property
    def recommendations(self) -> RecommendationService:
        """The hybrid recommender over the store (fitted on first use, refitted when stale)."""
        if self._recommendations is None:
            with self._lock:
                if self._recommendations is None:
                    from bot.recommendation_service import RecommendationService

                    self._recommendations = RecommendationService(self.store, self.product_search)
        return self._recommendations

    def refresh_catalog(self) -> None:
        """Forget the product index (and the recommender built on it) so the next use sees
        catalog changes."""
        with self._lock:
            self._product_search = None
            self._recommendations = None


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
