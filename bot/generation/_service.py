"""What the chat actions call: a promotion for a customer (consent enforced here) and rephrased replies."""

from __future__ import annotations

import asyncio
import functools
import logging
import re
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.catalog import ProductInfo, eligibility_problems, get_product
from bot.errors import ConfigurationError, GenerationError, NotFoundError, ValidationError
from bot.generation._campaigns import Campaign, best_campaign, load_campaigns
from bot.generation._factory import build_generator
from bot.generation._guarded import GuardedGenerator
from bot.generation._stored import StoredTexts
from bot.generation._template import TemplateGenerator
from bot.generation._types import (
    CustomerContext,
    Generation,
    GenerationRequest,
    Mood,
    Style,
    as_language,
)
from bot.generation.guardrails import CatalogVocabulary, OutputValidator
from bot.metrics import FALLBACKS
from bot.profiles import ProfileService, get_profile, has_marketing_consent
from bot.store import Store, utcnow

if TYPE_CHECKING:
    from bot.experiments import Experiments
    from bot.settings import Settings

logger = logging.getLogger(__name__)

_HURRY = re.compile(
    r"\b(?:quick(?:ly)?|hurry|asap|in a rush|rushed|no time|short answer|just tell me|briefly|tl;?dr)\b"
    r"|快点|赶时间|着急|急着|急用|简短|长话短说|直接说|没时间",
    re.IGNORECASE,
)


def rephrase_style(
    mood: Mood | str | None = None, aspect: str | None = None, message: str | None = None
) -> Style:
    """How to rephrase a reply for the moment: empathetic after a complaint, brief for a hurry.

    Args:
        mood: the latest message's sentiment.
        aspect: what a complaint named.
        message: the latest message (hurry words: "quick", "asap", "赶时间", ...).

    Returns:
        ``empathetic``, ``brief`` or ``neutral`` (neutral: leave the reply as it is).

    Example:
        >>> rephrase_style("negative", "delivery"), rephrase_style(None, None, "快点告诉我")
        ('empathetic', 'brief')
    """
    if mood == "negative" or aspect:
        return "empathetic"
    if message and _HURRY.search(message):
        return "brief"
    return "neutral"


@dataclass(frozen=True)
class _Planned:
    request: GenerationRequest
    arm: str | None
    template: bool


@dataclass
class PrewriteReport:
    """What :meth:`GenerationService.prewrite` did.

    Attributes:
        requests: (customer, product) pairs asked for.
        not_eligible: no promotion for them (no consent, out of stock, not eligible).
        template_arm: their experiment arm is the template (nothing to write).
        keys: distinct prompts among the rest (one text serves every request of a key).
        already_kept: keys with an LLM text kept from before.
        written: texts written and kept now.
        rejected: keys where no draft passed the guardrails (the template's text is kept
            in their place, so the chat answers them at once; the next run tries again).
        skipped_for_time: keys left when the time budget ran out.
        covered_requests: LLM requests that will be served a kept LLM text.
        completion_tokens: tokens generated.
        generation_s: time inside the backend.
        seconds: wall time.
    """

    requests: int = 0
    not_eligible: int = 0
    template_arm: int = 0
    keys: int = 0
    already_kept: int = 0
    written: int = 0
    rejected: int = 0
    skipped_for_time: int = 0
    covered_requests: int = 0
    completion_tokens: int = 0
    generation_s: float = 0.0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON-ready numbers (plus ``tokens_per_s``)."""
        data = {k: (round(v, 2) if isinstance(v, float) else v) for k, v in vars(self).items()}
        data["tokens_per_s"] = (
            round(self.completion_tokens / self.generation_s, 1) if self.generation_s else None
        )
        return data


@dataclass(frozen=True)
class Promotion:
    """A promotion ready to send.

    Attributes:
        text: the message (validated; a bank product's compliance text included).
        sku: the product promoted.
        language: the message's language.
        campaign_id: the campaign offered, if any.
        experiment: the experiment that chose how it was written, if any.
        variant: that experiment's arm.
        generation: how the text came about (backend, fallback, latency).
    """

    text: str
    sku: str
    language: str
    campaign_id: str | None
    experiment: str | None
    variant: str | None
    generation: Generation


class GenerationService:
    """Promotions and rephrased replies over a store, a guarded generator and the campaigns.

    Consent is enforced here: :meth:`promote` returns ``None`` for a customer without
    marketing consent (or unknown), whatever the caller checked.

    Args:
        store: customers, catalog, events.
        generator: the configured backend behind the guardrails.
        template: the guarded template backend (the ``template`` arm of experiments).
        campaigns: the campaigns to offer.
        profiles: records promotion events (built from ``store`` when omitted).
        experiments: the deployment's experiments (none: no A/B tests).
        promotion_experiment: the experiment whose arms choose how promotions are written.
        rephrase_experiment: the experiment whose arms choose whether replies are rephrased.
        max_chars: length limit of promotions.
    """

    def __init__(
        self,
        store: Store,
        generator: GuardedGenerator,
        *,
        template: GuardedGenerator | None = None,
        campaigns: Sequence[Campaign] = (),
        profiles: ProfileService | None = None,
        experiments: Experiments | None = None,
        promotion_experiment: str | None = None,
        rephrase_experiment: str | None = None,
        max_chars: int = 360,
    ) -> None:
        self.store = store
        self.generator = generator
        self.template = template or GuardedGenerator(
            generator.fallback, generator.fallback, validator=generator.validator, cache_size=0
        )
        self.campaigns = list(campaigns)
        self.profiles = profiles or ProfileService(store)
        self.experiments = experiments
        self.promotion_experiment = promotion_experiment
        self.rephrase_experiment = rephrase_experiment
        self.max_chars = max_chars

    @classmethod
    def from_settings(
        cls, settings: Settings, store: Store, profiles: ProfileService | None = None
    ) -> GenerationService:
        """The service as configured: backend, campaigns, catalog vocabulary, experiments.

        Args:
            settings: the settings (``llm`` and ``experiments`` sections).
            store: the store.
            profiles: the process's profile service (built from ``store`` when omitted).

        Returns:
            The service.

        Raises:
            ConfigurationError: the backend is misconfigured.
            ValidationError: the campaigns or experiments file is invalid.
        """
        from bot.catalog import list_products
        from bot.experiments import Experiments

        products = list_products(store)
        vocabulary = CatalogVocabulary(products)
        generator = build_generator(settings.llm, vocabulary, store)
        campaigns = (
            load_campaigns(settings.llm.campaigns_path, products, strict=False)
            if settings.llm.campaigns_path.is_file()
            else []
        )
        profiles = profiles or ProfileService(store)
        experiments = Experiments.from_settings(settings.experiments, store, profiles)
        template = GuardedGenerator(
            TemplateGenerator(settings.llm.templates_path),
            validator=OutputValidator(vocabulary),
            cache_size=0,
        )
        names = experiments.experiments
        return cls(
            store,
            generator,
            template=template,
            campaigns=campaigns,
            profiles=profiles,
            experiments=experiments,
            promotion_experiment=(
                settings.experiments.promotion_experiment
                if settings.experiments.promotion_experiment in names
                else None
            ),
            rephrase_experiment=(
                settings.experiments.rephrase_experiment
                if settings.experiments.rephrase_experiment in names
                else None
            ),
            max_chars=settings.llm.max_chars,
        )

    async def aclose(self) -> None:
        """Close the backend's connections."""
        await self.generator.aclose()

    # --- promotions --------------------------------------------------------------------------

    def campaign_for(
        self, product: ProductInfo, campaign_id: str | None = None, now: datetime | None = None
    ) -> Campaign | None:
        """The campaign to offer with ``product`` (the named one, or the best active one).

        Raises:
            NotFoundError: ``campaign_id`` is unknown.
            ValidationError: the named campaign does not apply to the product or is not running.
        """
        moment = now or utcnow()
        if campaign_id is None:
            return best_campaign(product, self.campaigns, moment)
        for campaign in self.campaigns:
            if campaign.id == campaign_id:
                if not campaign.applies_to(product) or not campaign.is_active(moment):
                    raise ValidationError(
                        "campaign does not apply",
                        problems=[f"campaign {campaign_id} does not cover {product.sku} now"],
                    )
                return campaign
        raise NotFoundError(f"no campaign {campaign_id!r}")

    def _arm(self, experiment: str | None, sender_id: str) -> tuple[str | None, dict[str, Any]]:
        if self.experiments is None or experiment is None:
            return None, {}
        arm = self.experiments.assign(experiment, sender_id)
        return arm, dict(self.experiments.get(experiment).variant(arm).params)

    def _eligible(self, sender_id: str, sku: str) -> tuple[ProductInfo, Any] | None:
        """Consent, product and eligibility checks (blocking: run in a thread)."""
        if not has_marketing_consent(self.store, sender_id):
            logger.debug("no promotion: no marketing consent")
            return None
        product = get_product(self.store, sku)
        if not product.in_stock:
            return None
        view = get_profile(self.store, sender_id)
        attributes = view.attributes if view is not None else {}
        if product.domain == "bank" and eligibility_problems(product, attributes):
            return None
        return product, view

    def _plan(
        self,
        sender_id: str,
        sku: str,
        language: str | None,
        mood: Mood | None,
        campaign_id: str | None,
        now: datetime | None,
    ) -> _Planned | None:
        """What :meth:`promote` would ask the generator (blocking: run in a thread), or ``None``."""
        checked = self._eligible(sender_id, sku)
        if checked is None:
            return None
        product, view = checked
        lang = as_language(language or (view.locale if view is not None else None))
        campaign = self.campaign_for(product, campaign_id, now)
        arm, params = self._arm(self.promotion_experiment, sender_id)
        style = params.get("style", "friendly")
        request = GenerationRequest.promotion(
            product,
            campaign,
            lang,
            customer=CustomerContext.from_profile(view, lang, mood).coarse(),
            style=style if style in ("friendly", "concise", "neutral") else "friendly",
            max_chars=self.max_chars,
            variant=arm,
        )
        return _Planned(request, arm, params.get("backend") == "template")

    async def promote(
        self,
        sender_id: str,
        sku: str,
        *,
        language: str | None = None,
        mood: Mood | None = None,
        campaign_id: str | None = None,
        now: datetime | None = None,
        record: bool = True,
        event_id: str | None = None,
    ) -> Promotion | None:
        """A personalized, validated promotion of ``sku`` for the customer, or ``None``.

        ``None`` when the customer has not given marketing consent (or is unknown), the
        product is out of stock, or the customer is not eligible for the bank product.
        Under the promotion experiment, the customer's arm picks the backend (``template``
        or ``llm``) and style; the exposure and a ``promotion_shown`` event are recorded.
        The text is personalised by the product, the customer's segment, language and mood
        (see :meth:`CustomerContext.coarse`); the customer's own words never reach the prompt,
        so it can be written ahead of time (:meth:`prewrite`).

        Args:
            sender_id: the customer.
            sku: the product (e.g. the top recommendation).
            language: ``zh``/``en`` (default: the customer's locale).
            mood: the latest message's sentiment.
            campaign_id: a campaign to offer (default: the best active one, if any).
            now: the moment (campaign validity; default now).
            record: record the exposure and the ``promotion_shown`` event.
            event_id: idempotency key of the turn (e.g. the Rasa event id).

        Returns:
            The promotion, or ``None``.

        Raises:
            NotFoundError: unknown product or campaign.
            GenerationError: not even the template produced a valid text (a data error).

        Example:
            >>> promo = await service.promote("demo-0001", "SH-PHON-003")  # doctest: +SKIP
            >>> promo.text if promo else "no consent"                      # doctest: +SKIP
        """
        planned = await asyncio.to_thread(
            self._plan, sender_id, sku, language, mood, campaign_id, now
        )
        if planned is None:
            return None
        request = planned.request
        generator = self.template if planned.template else self.generator
        generation = await generator.generate(request)
        campaign = request.facts.campaign
        promotion = Promotion(
            text=generation.text,
            sku=sku,
            language=request.language,
            campaign_id=campaign.id if campaign else None,
            experiment=self.promotion_experiment if planned.arm else None,
            variant=planned.arm,
            generation=generation,
        )
        if record:
            await asyncio.to_thread(self._record_promotion, sender_id, promotion, event_id)
        return promotion

    def kept_texts(self) -> StoredTexts:
        """Where the generator keeps validated promotions.

        Raises:
            ConfigurationError: it keeps none (template backend, or ``IPM_LLM__KEEP_TEXTS`` off).
        """
        if self.generator.stored is None:
            raise ConfigurationError(
                "pre-writing needs an LLM backend (IPM_LLM__BACKEND=llama-cpp or openai) "
                "that keeps its texts (IPM_LLM__KEEP_TEXTS=true)"
            )
        return self.generator.stored

    async def prewrite(
        self,
        demand: Sequence[tuple[str, str, str | None]],
        *,
        now: datetime | None = None,
        budget_s: float | None = None,
        progress: bool = False,
        dry_run: bool = False,
    ) -> PrewriteReport:
        """Write ahead of time the LLM promotions ``demand`` will ask for, most shared first.

        Each ``(sender_id, sku, language)`` is planned exactly as :meth:`promote` would
        (consent, stock, eligibility, campaign, experiment arm, segment); requests that
        share a prompt are written once; texts already kept, and requests the template
        arm answers, are skipped. Every text passes the guardrails before it is kept.

        Args:
            demand: the promotions expected, e.g. each consenting customer's top
                recommendation (``ipm promotions prewrite`` builds it); ``language`` ``None``
                is the customer's locale.
            now: the moment (campaign validity).
            budget_s: stop starting new texts after this many seconds.
            progress: show a progress bar.
            dry_run: plan and count only; write nothing.

        Returns:
            What was planned, found, written and rejected.

        Raises:
            ConfigurationError: the generator keeps no texts (template backend, or no store).
        """
        from tqdm import tqdm

        stored = self.kept_texts()
        started = time.perf_counter()
        report = PrewriteReport(requests=len(demand))
        shared: Counter[str] = Counter()
        requests: dict[str, GenerationRequest] = {}
        for sender_id, sku, language in demand:
            try:
                planned = await asyncio.to_thread(
                    self._plan, sender_id, sku, language, None, None, now
                )
            except (NotFoundError, ValidationError) as exc:
                logger.info("not pre-written: %s", exc)
                planned = None
            if planned is None:
                report.not_eligible += 1
                continue
            if planned.template:
                report.template_arm += 1
                continue
            key = planned.request.cache_key()
            shared[key] += 1
            requests.setdefault(key, planned.request)
        report.keys = len(requests)
        llm_texts = functools.partial(
            stored.present, requests, except_backend=self.generator.fallback.name
        )
        kept = await asyncio.to_thread(llm_texts)
        report.already_kept = len(kept)
        todo = [] if dry_run else [key for key, _ in shared.most_common() if key not in kept]
        for key in tqdm(todo, desc="pre-writing", unit="text", disable=None if progress else True):
            if budget_s is not None and time.perf_counter() - started > budget_s:
                report.skipped_for_time = len(todo) - report.written - report.rejected
                break
            generation = await self.generator.prewrite(requests[key])
            if generation is None:
                report.rejected += 1
            else:
                report.written += 1
                report.completion_tokens += generation.completion_tokens or 0
                report.generation_s += generation.generation_s
        covered = await asyncio.to_thread(llm_texts)
        report.covered_requests = sum(shared[key] for key in covered)
        report.seconds = time.perf_counter() - started
        return report

    def _record_promotion(self, sender_id: str, promotion: Promotion, event_id: str | None) -> None:
        payload = {
            "campaign": promotion.campaign_id,
            "backend": promotion.generation.backend,
            "fell_back": promotion.generation.fell_back,
            "language": promotion.language,
        }
        if self.experiments is not None and promotion.experiment and promotion.variant:
            self.experiments.expose(
                promotion.experiment,
                sender_id,
                variant=promotion.variant,
                sku=promotion.sku,
                payload=payload,
                event_id=f"{event_id}:exposure" if event_id else None,
            )
        self.profiles.record_event(
            sender_id,
            "promotion_shown",
            experiment=promotion.experiment,
            variant=promotion.variant,
            sku=promotion.sku,
            payload=payload,
            event_id=f"{event_id}:promotion" if event_id else None,
        )

    def accept_offer(
        self,
        sender_id: str,
        *,
        goal: str | None = None,
        sku: str | None = None,
        value: float | None = None,
        event_id: str | None = None,
    ) -> bool:
        """Record that the customer acted on a promotion (a conversion of the promotion test).

        Args:
            sender_id: the customer.
            goal: ``click``, ``cart``, ``purchase`` or ``accepted_offer`` (default: the
                experiment's goal).
            sku: the product.
            value: e.g. the amount paid.
            event_id: idempotency key.

        Returns:
            True if a conversion was recorded (False: no experiment, or never exposed).
        """
        if self.experiments is None or self.promotion_experiment is None:
            return False
        return self.experiments.convert(
            self.promotion_experiment, sender_id, goal=goal, sku=sku, value=value, event_id=event_id
        )

    # --- rephrasing --------------------------------------------------------------------------

    async def rephrase(
        self,
        text: str,
        *,
        language: str,
        sender_id: str | None = None,
        style: Style | None = None,
        mood: Mood | None = None,
        aspect: str | None = None,
        message: str | None = None,
        products: Sequence[ProductInfo] = (),
        record: bool = True,
    ) -> Generation:
        """The reply ``text`` rewritten for the moment, every fact kept, or unchanged.

        The style is ``style`` or :func:`rephrase_style` of the mood, aspect and message;
        a neutral moment keeps the reply as it is. Under the rephrase experiment, the
        ``original`` arm keeps it too (and the exposure is recorded).

        Args:
            text: the bot's reply (from domain.yml or data/replies.yml).
            language: the reply's language.
            sender_id: the customer (profile context, experiment arm).
            style: force a style.
            mood: the latest message's sentiment.
            aspect: what the complaint named (the empathetic text names it).
            message: the customer's latest message (untrusted).
            products: catalog items the reply mentions (their facts may be used).
            record: record the experiment exposure.

        Returns:
            The text to send (``backend="original"`` when unchanged).
        """
        lang = as_language(language)
        chosen = style or rephrase_style(mood, aspect, message)
        arm: str | None = None
        params: dict[str, Any] = {}
        if sender_id is not None and self.rephrase_experiment is not None:
            arm, params = await asyncio.to_thread(self._arm, self.rephrase_experiment, sender_id)
            if record and self.experiments is not None and arm is not None:
                await asyncio.to_thread(
                    self.experiments.expose, self.rephrase_experiment, sender_id, variant=arm
                )
        if chosen == "neutral" or params.get("rephrase") is False:
            return Generation(text=text, backend="original", style=chosen, variant=arm)
        view = await asyncio.to_thread(get_profile, self.store, sender_id) if sender_id else None
        request = GenerationRequest.rephrase(
            text,
            lang,
            style=chosen,
            aspect=aspect,
            customer=CustomerContext.from_profile(view, lang, mood),
            message=message,
            products=tuple(products),
            variant=arm,
        )
        try:
            return await self.generator.generate(request)
        except GenerationError as exc:
            # the original reply is always safe to send: never lose the answer over a rephrase
            FALLBACKS.labels(component="rephrase", reason="error").inc()
            logger.warning("rephrasing failed (%s); sending the original reply", exc)
            return Generation(
                text=text, backend="original", style=chosen, variant=arm,
                fell_back=True, fallback_reason="error",
            )


_services_cache: tuple[Any, GenerationService] | None = None


def generation_service(services: Any) -> GenerationService:
    """The process's :class:`GenerationService` over a ``bot.services.Services`` container.

    Built on first use from the container's settings and store, then reused (one backend
    connection pool and cache per process). It records events without the encoder, so
    using it never loads the sentence model.

    Args:
        services: ``bot.services.get_services()``.

    Returns:
        The service.
    """
    global _services_cache
    if _services_cache is None or _services_cache[0] is not services:
        _services_cache = (
            services,
            GenerationService.from_settings(services.settings, services.store),
        )
    return _services_cache[1]
