"""The encoder interface every backend implements."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt


@runtime_checkable
class Encoder(Protocol):
    """Turns texts into L2-normalized float32 vectors.

    Attributes:
        name: identifies the model (and prefix); heads trained on one encoder's vectors
            record it and refuse to run on another's.
        dim: vector size.
    """

    name: str
    dim: int

    def encode(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Embed ``texts``.

        Args:
            texts: the texts, in any language the model supports.

        Returns:
            An array of shape ``(len(texts), dim)``, each row of unit length.
        """
        ...


def normalize_rows(matrix: npt.ArrayLike) -> npt.NDArray[np.float32]:
    """Scale each row to unit L2 norm (zero rows stay zero)."""
    arr = np.asarray(matrix, dtype=np.float32)
    if arr.ndim == 1:
        arr = arr[None, :]
    norms = np.linalg.norm(arr, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    out: npt.NDArray[np.float32] = arr / norms
    return out
