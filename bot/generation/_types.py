"""The generation interface: requests, grounding facts, results and the ``Generator`` base class."""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from bot.catalog import ProductInfo
from bot.errors import GenerationError
from bot.privacy import redact

if TYPE_CHECKING:
    from bot.generation._campaigns import Campaign
    from bot.profiles import ProfileView

Language = Literal["zh", "en"]
Purpose = Literal["promotion", "rephrase"]
#: friendly/concise/neutral: promotions; empathetic/brief/neutral: rephrased replies.
Style = Literal["neutral", "friendly", "concise", "empathetic", "brief"]
Mood = Literal["positive", "neutral", "negative"]

#: The longest stretch of the customer's message a prompt quotes.
MAX_MESSAGE_CHARS = 400


def as_language(language: str | None) -> Language:
    """``"zh"`` for anything starting with zh, else ``"en"``."""
    return "zh" if (language or "").lower().startswith("zh") else "en"


@dataclass(frozen=True)
class GroundingFacts:
    """What a generated text may state: the products, the campaign, or the reply it rephrases.

    Attributes:
        products: catalog items the text is about (their names, prices, features, compliance).
        campaign: the campaign offered, if any.
        source_text: the reply being rephrased: every fact in it must survive, nothing may be
            added to it.
    """

    products: tuple[ProductInfo, ...] = ()
    campaign: Campaign | None = None
    source_text: str | None = None

    @property
    def bank(self) -> bool:
        """Whether any product is a bank product (compliance text, no promises)."""
        return any(p.domain == "bank" for p in self.products)


@dataclass(frozen=True)
class CustomerContext:
    """What a generator may know about the customer: no identifiers, no contact data, no PII.

    Attributes:
        interests: category ids, strongest first.
        segment: the segment's display name.
        mood: the sentiment of the customer's latest message or of their history.
        liked_aspects: aspects they were happy with.
        disliked_aspects: aspects they complained about.
    """

    interests: tuple[str, ...] = ()
    segment: str | None = None
    mood: Mood | None = None
    liked_aspects: tuple[str, ...] = ()
    disliked_aspects: tuple[str, ...] = ()

    @classmethod
    def from_profile(
        cls, view: ProfileView | None, language: str = "en", mood: Mood | None = None
    ) -> CustomerContext:
        """Summarise a profile for a prompt (interests, segment, opinions; nothing identifying).

        Args:
            view: the customer's profile (``None``: nothing known).
            language: the segment name's language.
            mood: the latest message's sentiment, if the caller knows it.

        Returns:
            The context.
        """
        if view is None:
            return cls(mood=mood)
        return cls(
            interests=tuple(c for c, share in view.top_interests(3) if share >= 0.05),
            segment=view.segment.name(language) if view.segment else None,
            mood=mood,
            liked_aspects=tuple(view.liked("aspect")[:3]),
            disliked_aspects=tuple(view.disliked("aspect")[:3]),
        )

    def coarse(self) -> CustomerContext:
        """Segment and a negative mood only: what a promotion's text is personalised by.

        The product itself is already personal (the recommender picked it from the
        customer's history and interests). Customers of a segment who ask in the same
        language get the same prompt for the same product, campaign and variant, so a
        validated text can be written ahead of time (``ipm promotions prewrite``) and served
        to all of them at once. A customer who is upset gets a gentler text of its own.
        """
        return CustomerContext(segment=self.segment, mood="negative" if self.mood == "negative" else None)

    def summary(self, language: str = "en") -> str:
        """One redacted line per known fact, in ``language``, for a prompt."""
        from bot.catalog import aspect_label, category_label

        zh = language.startswith("zh")
        lines: list[str] = []
        sep = "、" if zh else ", "
        if self.interests:
            names = sep.join(category_label(c, language) for c in self.interests)
            lines.append(f"感兴趣的品类：{names}" if zh else f"Interested in: {names}")
        if self.segment:
            lines.append(f"客户群：{self.segment}" if zh else f"Customer group: {self.segment}")
        if self.liked_aspects:
            names = sep.join(aspect_label(a, language) for a in self.liked_aspects)
            lines.append(f"满意：{names}" if zh else f"Happy with: {names}")
        if self.disliked_aspects:
            names = sep.join(aspect_label(a, language) for a in self.disliked_aspects)
            lines.append(f"不满意：{names}" if zh else f"Unhappy with: {names}")
        if self.mood:
            moods = {"positive": "积极", "neutral": "平和", "negative": "不满"}
            lines.append(f"当前情绪：{moods[self.mood]}" if zh else f"Current mood: {self.mood}")
        return redact("\n".join(lines))


@dataclass(frozen=True)
class GenerationRequest:
    """One text to write.

    Build it with :meth:`promotion` or :meth:`rephrase`.

    Attributes:
        purpose: ``promotion`` or ``rephrase``.
        language: the language to write in.
        facts: what the text may state.
        customer: what is known about the customer.
        style: how to write it.
        message: the customer's latest message: untrusted data, quoted, never obeyed.
        aspect: what a complaint was about (empathetic rephrasing names it).
        max_chars: longest text accepted (a bank product's compliance text not counted).
        variant: the experiment variant that asked for it.
        feedback: problems of a rejected earlier draft, for the regeneration.
        draft: a grounded text to rewrite (the template's), which keeps small models to
            the facts; ``None``: write from the facts alone.
    """

    purpose: Purpose
    language: Language
    facts: GroundingFacts
    customer: CustomerContext = field(default_factory=CustomerContext)
    style: Style = "neutral"
    message: str | None = None
    aspect: str | None = None
    max_chars: int = 360
    variant: str | None = None
    feedback: tuple[str, ...] = ()
    draft: str | None = None

    @classmethod
    def promotion(
        cls,
        product: ProductInfo,
        campaign: Campaign | None,
        language: str,
        *,
        customer: CustomerContext | None = None,
        style: Style = "friendly",
        message: str | None = None,
        max_chars: int = 360,
        variant: str | None = None,
    ) -> GenerationRequest:
        """A promotion of ``product`` under ``campaign``.

        Example:
            >>> from bot.catalog import ProductInfo
            >>> p = ProductInfo(1, "S1", "shop", "phones", "手机", "Phone", "", "", 100.0,
            ...                 "CNY", 5, "Nova")
            >>> GenerationRequest.promotion(p, None, "en").purpose
            'promotion'
        """
        return cls(
            purpose="promotion",
            language=as_language(language),
            facts=GroundingFacts(products=(product,), campaign=campaign),
            customer=customer or CustomerContext(),
            style=style,
            message=message,
            max_chars=max_chars,
            variant=variant,
        )

    @classmethod
    def rephrase(
        cls,
        text: str,
        language: str,
        *,
        style: Style = "neutral",
        aspect: str | None = None,
        customer: CustomerContext | None = None,
        message: str | None = None,
        products: tuple[ProductInfo, ...] = (),
        max_chars: int | None = None,
        variant: str | None = None,
    ) -> GenerationRequest:
        """A rewrite of the bot's reply ``text`` that keeps every fact of it."""
        return cls(
            purpose="rephrase",
            language=as_language(language),
            facts=GroundingFacts(products=products, source_text=text),
            customer=customer or CustomerContext(),
            style=style,
            message=message,
            aspect=aspect,
            max_chars=max_chars or max(120, int(len(text) * 1.6) + 60),
            variant=variant,
        )

    @property
    def safe_message(self) -> str | None:
        """The customer's message, redacted and cut to :data:`MAX_MESSAGE_CHARS`."""
        if not self.message:
            return None
        return redact(self.message.strip())[:MAX_MESSAGE_CHARS]

    def cache_key(self) -> str:
        """A digest of everything the text depends on (two equal keys: one text serves both)."""
        campaign = self.facts.campaign
        parts = {
            "purpose": self.purpose,
            "language": self.language,
            "style": self.style,
            "variant": self.variant,
            "products": [
                [p.sku, p.price, p.name_en, p.name_zh, p.description_en, p.description_zh]
                for p in self.facts.products
            ],
            "campaign": campaign.model_dump(mode="json") if campaign else None,
            "source": self.facts.source_text,
            "customer": self.customer.summary(self.language),
            "message": self.safe_message,
            "aspect": self.aspect,
            "max_chars": self.max_chars,
            "feedback": list(self.feedback),
            "draft": self.draft,
        }
        blob = json.dumps(parts, ensure_ascii=False, sort_keys=True, default=str)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Generation:
    """A generated text and how it came about.

    Attributes:
        text: what to send.
        backend: which backend wrote the text that was sent (``template``, ``openai``,
            ``llama-cpp``, or ``original`` when a reply was left as it was).
        style: the style asked for.
        variant: the experiment variant, if any.
        model: the model name, for LLM backends.
        fell_back: the template replaced the primary backend's output.
        fallback_reason: why (``timeout``, ``backend_error``, ``invalid_output``, ...).
        attempts: drafts asked of the primary backend.
        draft_violations: for each rejected draft, the kinds of problems found.
        latency_s: wall time, all attempts included.
        completion_tokens: tokens the LLM generated over all attempts (``None``: unknown).
        generation_s: time spent inside the LLM backend (for tokens/s).
        cached: served from the cache of validated texts.
    """

    text: str
    backend: str
    style: str = "neutral"
    variant: str | None = None
    model: str | None = None
    fell_back: bool = False
    fallback_reason: str | None = None
    attempts: int = 1
    draft_violations: tuple[tuple[str, ...], ...] = ()
    latency_s: float = 0.0
    completion_tokens: int | None = None
    generation_s: float = 0.0
    cached: bool = False


class BackendError(GenerationError):
    """A backend failed; ``reason`` is the label counted in ``ipm_fallbacks_total``.

    Attributes:
        reason: ``timeout``, ``rate_limited``, ``server_error``, ``bad_request``,
            ``bad_response``, ``connection`` or ``unavailable``.
        retry_after: seconds the server asked to wait (``Retry-After``), if it did.
    """

    def __init__(self, message: str, reason: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.retry_after = retry_after


class Generator(ABC):
    """Writes a text for a :class:`GenerationRequest`; one interface, several backends.

    Backends return the raw text; :class:`~bot.generation.GuardedGenerator` validates it,
    regenerates and falls back. ``name`` is the backend's label in results and metrics.
    """

    name: str = "generator"
    model: str | None = None

    @abstractmethod
    async def generate(self, request: GenerationRequest) -> Generation:
        """Write the text.

        Args:
            request: what to write.

        Returns:
            The text, unvalidated.

        Raises:
            GenerationError: the backend failed (after its own retries).
        """

    async def aclose(self) -> None:  # noqa: B027 - optional hook, most backends hold nothing
        """Release connections or models (optional)."""
