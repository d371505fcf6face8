"""Generated promotions and rephrased replies: grounded in catalog and campaign facts, guarded, A/B-tested.

One interface (:class:`Generator`), three backends (:class:`TemplateGenerator`,
:class:`OpenAICompatibleGenerator`, :class:`LlamaCppGenerator`), and
:class:`GuardedGenerator`, which validates every text (:mod:`bot.generation.guardrails`),
regenerates once and falls back to the template. :class:`GenerationService` is what the
chat actions call.

Example:
    >>> import asyncio
    >>> from bot.catalog import ProductInfo
    >>> from bot.generation import GenerationRequest, build_generator
    >>> from bot.settings import LLMSettings
    >>> phone = ProductInfo(1, "SH-1", "shop", "phones", "诺瓦手机 A6", "Nova phone A6",
    ...                     "诺瓦手机 A6：5000毫安大电池。", "Nova phone A6: 5000 mAh battery.",
    ...                     1999.0, "CNY", 10, "Nova")
    >>> generator = build_generator(LLMSettings())
    >>> result = asyncio.run(generator.generate(GenerationRequest.promotion(phone, None, "zh")))
    >>> result.text, result.backend
    ('推荐您看看诺瓦手机 A6：5000毫安大电池，售价¥1,999。', 'template')
"""

from __future__ import annotations

from bot.generation._campaigns import (
    BANK_CATEGORIES,
    Campaign,
    best_campaign,
    load_campaigns,
)
from bot.generation._factory import build_backend, build_generator
from bot.generation._guarded import GuardedGenerator
from bot.generation._llama_cpp import LlamaCppGenerator
from bot.generation._openai import OpenAICompatibleGenerator, chat_completions_url, clean_completion
from bot.generation._prompts import build_messages
from bot.generation._service import (
    GenerationService,
    PrewriteReport,
    Promotion,
    generation_service,
    rephrase_style,
)
from bot.generation._stored import StoredTexts
from bot.generation._template import TemplateGenerator
from bot.generation._types import (
    BackendError,
    CustomerContext,
    Generation,
    GenerationRequest,
    Generator,
    GroundingFacts,
    Language,
    Mood,
    Purpose,
    Style,
)
from bot.generation.guardrails import (
    CatalogVocabulary,
    OutputValidator,
    Violation,
    validate_output,
)

__all__ = [
    "BANK_CATEGORIES",
    "BackendError",
    "Campaign",
    "CatalogVocabulary",
    "CustomerContext",
    "Generation",
    "GenerationRequest",
    "GenerationService",
    "Generator",
    "GroundingFacts",
    "GuardedGenerator",
    "Language",
    "LlamaCppGenerator",
    "Mood",
    "OpenAICompatibleGenerator",
    "OutputValidator",
    "PrewriteReport",
    "Promotion",
    "Purpose",
    "Style",
    "StoredTexts",
    "TemplateGenerator",
    "Violation",
    "best_campaign",
    "build_backend",
    "build_generator",
    "build_messages",
    "chat_completions_url",
    "clean_completion",
    "generation_service",
    "load_campaigns",
    "rephrase_style",
    "validate_output",
]
