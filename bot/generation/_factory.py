"""Builds the configured backend, guarded: switching to an LLM server is a settings change."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.errors import ConfigurationError
from bot.generation._guarded import GuardedGenerator
from bot.generation._stored import StoredTexts
from bot.generation._template import TemplateGenerator
from bot.generation._types import Generator
from bot.generation.guardrails import CatalogVocabulary, OutputValidator
from bot.settings import LLMSettings

if TYPE_CHECKING:
    from bot.store import Store


def build_backend(settings: LLMSettings) -> Generator:
    """The raw (unguarded) backend ``settings.backend`` names.

    Args:
        settings: ``Settings().llm``.

    Returns:
        A template, OpenAI-compatible or llama.cpp generator.

    Raises:
        ConfigurationError: the backend lacks its URL/model or model path.
    """
    if settings.backend == "template":
        return TemplateGenerator(settings.templates_path)
    if settings.backend == "openai":
        if not settings.base_url or not settings.model:
            raise ConfigurationError(
                "the openai backend needs IPM_LLM__BASE_URL and IPM_LLM__MODEL"
            )
        from bot.generation._openai import OpenAICompatibleGenerator

        return OpenAICompatibleGenerator(
            settings.base_url,
            settings.model,
            api_key=settings.api_key.get_secret_value() if settings.api_key else None,
            timeout_s=settings.timeout_s,
            max_retries=settings.max_retries,
            backoff_s=settings.backoff_s,
            stream=settings.stream,
            temperature=settings.temperature,
            max_tokens=settings.max_tokens,
        )
    if settings.backend == "llama-cpp":
        if not settings.model_path.is_file():
            raise ConfigurationError(
                f"the llama-cpp backend needs a GGUF model: none at {settings.model_path} "
                "(run 'make install-llm', or set IPM_LLM__MODEL_PATH)"
            )
        from bot.generation._llama_cpp import LlamaCppGenerator

        return LlamaCppGenerator(
            settings.model_path,
            n_ctx=settings.n_ctx,
            threads=settings.threads,
            max_tokens=settings.max_tokens,
            temperature=settings.temperature,
            timeout_s=settings.timeout_s,
            repack=settings.repack,
            repeat_penalty=settings.repeat_penalty,
        )
    raise ConfigurationError(f"unknown LLM backend {settings.backend!r}")


def build_generator(
    settings: LLMSettings,
    vocabulary: CatalogVocabulary | None = None,
    store: Store | None = None,
) -> GuardedGenerator:
    """The configured backend behind the guardrails, with the template as fallback.

    Args:
        settings: ``Settings().llm``.
        vocabulary: the catalog's names and brands, for the product check.
        store: where validated promotions are kept for every process (``settings.keep_texts``;
            an LLM backend only).

    Returns:
        The guarded generator.

    Example:
        >>> build_generator(LLMSettings()).name
        'template'
    """
    template = TemplateGenerator(settings.templates_path)
    primary = template if settings.backend == "template" else build_backend(settings)
    return GuardedGenerator(
        primary,
        template,
        validator=OutputValidator(vocabulary),
        regenerate=settings.regenerate,
        draft_from_template=settings.draft_from_template,
        cache_size=settings.cache_size,
        cache_ttl_s=settings.cache_ttl_s,
        deadline_s=settings.deadline_s or None,
        max_background=settings.max_background,
        stored=(
            StoredTexts(store, ttl_s=settings.kept_text_ttl_s)
            if store is not None and settings.keep_texts and primary is not template
            else None
        ),
    )
