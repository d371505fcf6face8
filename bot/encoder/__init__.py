"""Sentence encoders: one small interface, several backends, one instance per process.

Example:
    >>> from bot.encoder import build_encoder
    >>> from bot.settings import EncoderSettings
    >>> enc = build_encoder(EncoderSettings())          # multilingual-e5-small on ONNX Runtime, offline
    >>> vectors = enc.encode(["我想买手机", "I want a phone"])
    >>> vectors.shape
    (2, 384)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.encoder._base import Encoder, normalize_rows, same_space, vector_space

if TYPE_CHECKING:
    from bot.encoder._factory import build_encoder

__all__ = ["Encoder", "build_encoder", "normalize_rows", "same_space", "vector_space"]


def __getattr__(name: str) -> Any:
    # The factory needs the settings (pydantic 2); the Rasa environment imports this package
    # for ``same_space`` only, so the factory loads on first use.
    if name == "build_encoder":
        from bot.encoder._factory import build_encoder

        return build_encoder
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
