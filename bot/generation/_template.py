"""The deterministic backend: bilingual templates filled from catalog and campaign facts."""

from __future__ import annotations

import re
import time
from pathlib import Path

from bot.catalog import aspect_label
from bot.errors import ConfigurationError
from bot.generation._facts import fact_values
from bot.generation._types import Generation, GenerationRequest, Generator
from bot.replies import Replies
from bot.settings import PROJECT_ROOT

TEMPLATES_PATH = PROJECT_ROOT / "data" / "promotions.yml"

_APOLOGY = re.compile(r"sorry|apolog|抱歉|对不起|不好意思", re.IGNORECASE)
_SPACES = re.compile(r"[ \t]{2,}")


def with_compliance(text: str, compliance: str) -> str:
    """``text`` followed by ``compliance`` on its own line, unless it already contains it."""
    if not compliance or compliance in text:
        return text
    return f"{text.rstrip()}\n{compliance}"


class TemplateGenerator(Generator):
    """Fills ``data/promotions.yml`` with the request's facts: same request, same text.

    Promotions pick a template by domain (shop/bank), offer (discount, other benefit, none)
    and style (friendly or concise; neutral is friendly without the personal opener); when
    the result is longer than ``max_chars`` the opener, then the friendly form, are dropped.
    Rephrasing prefixes an apology that names the aspect (empathetic), or keeps the reply as
    it is (brief, neutral): only an LLM can shorten text without losing facts.

    Args:
        path: the templates file.

    Raises:
        ConfigurationError: the file is unreadable or a template lacks a language.

    Example:
        >>> import asyncio
        >>> gen = TemplateGenerator()
        >>> req = GenerationRequest.rephrase("Your parcel left today.", "en",
        ...                                  style="empathetic", aspect="delivery")
        >>> asyncio.run(gen.generate(req)).text
        "I'm sorry about the trouble with delivery. Your parcel left today."
    """

    name = "template"

    def __init__(self, path: str | Path = TEMPLATES_PATH) -> None:
        self.templates = Replies.load(Path(path))
        required = [
            f"promotion.{domain}.{offer}.{style}"
            for domain in ("shop", "bank")
            for offer in ("discount", "benefit", "plain")
            for style in ("friendly", "concise")
        ] + ["opener.none", "rephrase.neutral", "rephrase.empathetic", "rephrase.empathetic_general"]
        missing = [name for name in required if name not in self.templates.names()]
        if missing:
            raise ConfigurationError(f"{path}: missing templates {', '.join(missing)}")

    async def generate(self, request: GenerationRequest) -> Generation:
        """Render the request's template (never fails for a valid request)."""
        started = time.perf_counter()
        if request.purpose == "rephrase":
            text = self._rephrase(request)
        else:
            text = self._promotion(request)
        return Generation(
            text=text,
            backend=self.name,
            style=request.style,
            variant=request.variant,
            latency_s=time.perf_counter() - started,
        )

    def _render(self, name: str, language: str, values: dict[str, str]) -> str:
        text = self.templates.render(name, language, **values)
        text = _SPACES.sub(" ", text).strip()
        return text.replace("（）", "").replace(" ()", "")

    def _opener(self, request: GenerationRequest, values: dict[str, str]) -> str:
        if (
            values["interest"]
            and request.facts.products
            and request.customer.interests[0] == request.facts.products[0].category
        ):
            space = "" if request.language == "zh" else " "
            return self._render("opener.interest", request.language, values) + space
        if request.customer.mood in ("negative", "positive"):
            return self.templates.render(f"opener.{request.customer.mood}", request.language)
        return ""

    def _promotion(self, request: GenerationRequest) -> str:
        if not request.facts.products:
            raise ConfigurationError("a promotion needs a product")
        product = request.facts.products[0]
        values = fact_values(request)
        if values["sale_price"]:
            offer = "discount"
        elif values["benefit"]:
            offer = "benefit"
        else:
            offer = "plain"
        domain = "bank" if product.domain == "bank" else "shop"
        concise = f"promotion.{domain}.{offer}.concise"
        friendly = f"promotion.{domain}.{offer}.friendly"
        candidates: list[tuple[str, str]] = []
        if request.style == "concise" or request.style == "brief":
            candidates.append((concise, ""))
        else:
            opener = self._opener(request, values) if request.style == "friendly" else ""
            if opener:
                candidates.append((friendly, opener))
            candidates += [(friendly, ""), (concise, "")]
        text = ""
        for name, opener in candidates:
            text = self._render(name, request.language, {**values, "opener": opener})
            if len(text) <= request.max_chars:
                break
        return with_compliance(text, values["compliance"])

    def _rephrase(self, request: GenerationRequest) -> str:
        original = (request.facts.source_text or "").strip()
        if request.style != "empathetic" or _APOLOGY.search(original):
            return original
        if request.aspect:
            label = aspect_label(request.aspect, request.language)
            return self._render(
                "rephrase.empathetic", request.language, {"aspect": label, "text": original}
            )
        return self._render("rephrase.empathetic_general", request.language, {"text": original})
