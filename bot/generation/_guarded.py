"""The guarded pipeline: generate, validate, regenerate once, fall back to the template; cache what passed."""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from bot.errors import GenerationError, StoreError
from bot.generation._template import TemplateGenerator, with_compliance
from bot.generation._types import BackendError, Generation, GenerationRequest, Generator
from bot.generation.guardrails import OutputValidator, Violation, violation_kinds
from bot.metrics import FALLBACKS, GENERATION_SECONDS, GENERATIONS, GUARDRAIL_VIOLATIONS

if TYPE_CHECKING:
    from bot.generation._stored import StoredTexts

logger = logging.getLogger(__name__)


class _TTLCache:
    """A small thread-safe LRU of validated texts with an expiry."""

    def __init__(self, size: int, ttl_s: float) -> None:
        self.size = size
        self.ttl_s = ttl_s
        self._items: OrderedDict[str, tuple[float, Generation]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> Generation | None:
        if self.size <= 0:
            return None
        with self._lock:
            hit = self._items.get(key)
            if hit is None:
                return None
            stored_at, generation = hit
            if self.ttl_s and time.monotonic() - stored_at > self.ttl_s:
                del self._items[key]
                return None
            self._items.move_to_end(key)
            return generation

    def put(self, key: str, generation: Generation) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._items[key] = (time.monotonic(), generation)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


@dataclass(frozen=True)
class _NoDraft:
    """Why the backend produced no valid text for a request."""

    reason: str
    drafts: tuple[tuple[str, ...], ...]
    attempts: int
    tokens: int | None
    generation_s: float


def _postprocess(text: str, request: GenerationRequest) -> str:
    """Append what code, not the model, is responsible for: a bank product's compliance text."""
    text = text.strip()
    if request.purpose == "promotion" and text:
        for product in request.facts.products:
            if product.domain == "bank":
                text = with_compliance(text, product.compliance(request.language) or "")
    return text


class GuardedGenerator(Generator):
    """Wraps a backend so that only validated text comes out.

    For each request: serve a cached validated text if the same prompt passed before (from
    memory, or for promotions from ``stored``, the database every process shares, after
    validating it again); otherwise ask ``primary`` for a draft, validate it, ask once more (``regenerate``
    times) with the problems listed in the prompt, and if no draft passes (or the backend
    fails) render the template instead. Every fallback is logged and counted in
    ``ipm_fallbacks_total{component="generation", reason=...}``; the returned
    :class:`Generation` says which backend wrote the text and whether it fell back.

    Args:
        primary: the backend (a :class:`TemplateGenerator` too: then it is only validated).
        fallback: the template backend (default: a new one over ``data/promotions.yml``).
        validator: the guardrails (give it the catalog vocabulary).
        regenerate: extra drafts after a rejected one.
        draft_from_template: give the backend the template's text of a promotion to rewrite
            (small models stay far closer to the facts when rewriting than when writing).
        cache_size: validated texts kept (0: no cache).
        cache_ttl_s: how long a cached text may be reused.
        deadline_s: the longest a customer waits for the backend (``None``: no limit).
            When it passes, the template's text is sent (fallback reason ``deadline``)
            while the backend's draft is finished, validated and cached in the background,
            so the next identical request gets it; at most ``max_background`` such drafts
            run at once (beyond that: reason ``busy``, nothing started).
        max_background: drafts allowed to finish after their deadline.
        stored: validated promotions kept in the database (read before the backend is
            asked, written when a draft passes; :meth:`prewrite` fills it ahead of time).

    Example:
        >>> import asyncio
        >>> guarded = GuardedGenerator(TemplateGenerator())
        >>> req = GenerationRequest.rephrase("Your order shipped.", "en")
        >>> asyncio.run(guarded.generate(req)).text
        'Your order shipped.'
    """

    def __init__(
        self,
        primary: Generator,
        fallback: TemplateGenerator | None = None,
        *,
        validator: OutputValidator | None = None,
        regenerate: int = 1,
        draft_from_template: bool = True,
        cache_size: int = 1024,
        cache_ttl_s: float = 3600.0,
        deadline_s: float | None = None,
        max_background: int = 4,
        stored: StoredTexts | None = None,
    ) -> None:
        if deadline_s is not None and deadline_s <= 0:
            raise ValueError("deadline_s must be positive (or None for no limit)")
        self.primary = primary
        self.fallback = fallback or (
            primary if isinstance(primary, TemplateGenerator) else TemplateGenerator()
        )
        self.validator = validator or OutputValidator()
        self.regenerate = regenerate
        self.draft_from_template = draft_from_template
        self.cache = _TTLCache(cache_size, cache_ttl_s)
        self.deadline_s = deadline_s
        self.max_background = max_background
        self.stored = stored
        self.name = primary.name
        self.model = primary.model
        # drafts in flight by cache key: an identical request waits for the same draft
        self._pending: dict[str, asyncio.Task[Generation | _NoDraft]] = {}

    async def aclose(self) -> None:
        """Drop the drafts still running after their deadline (they only fill the cache), close the backend."""
        pending = list(self._pending.values())
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
        await self.primary.aclose()

    async def drain(self) -> None:
        """Wait until the drafts still running after their deadline are done (and cached)."""
        while self._pending:
            await asyncio.gather(*list(self._pending.values()), return_exceptions=True)

    async def generate(self, request: GenerationRequest) -> Generation:
        """A validated text for ``request`` (see the class docstring).

        Raises:
            GenerationError: even the template's text fails validation (a data error: a
                campaign or catalog text breaks the rules); callers send their plain reply.
        """
        started = time.perf_counter()
        key = request.cache_key()
        cached = self.cache.get(key)
        if cached is not None:
            GENERATIONS.labels(cached.backend, request.purpose, "cached").inc()
            return replace(cached, cached=True, latency_s=time.perf_counter() - started)
        if self.primary is self.fallback:
            return await self._template(request, started, reason=None, drafts=(), attempts=0)
        stored = await self._from_store(key, request)
        if stored is not None:
            GENERATIONS.labels(stored.backend, request.purpose, "stored").inc()
            return replace(stored, latency_s=time.perf_counter() - started)
        task = self._pending.get(key)
        if task is None:
            if self.deadline_s is not None and len(self._pending) >= self.max_background:
                return await self._template(request, started, reason="busy", drafts=(), attempts=0)
            task = self._start(request, key, started)
        try:
            outcome = await asyncio.wait_for(asyncio.shield(task), self.deadline_s)
        except TimeoutError:
            logger.info(
                "%s missed the %.1f s deadline for a %s; the template answers, the draft "
                "is finished in the background", self.primary.name, self.deadline_s, request.purpose,
            )
            return await self._template(request, started, reason="deadline", drafts=(), attempts=0)
        if isinstance(outcome, Generation):
            return replace(outcome, latency_s=time.perf_counter() - started)
        return await self._template(
            request, started, reason=outcome.reason, drafts=outcome.drafts,
            attempts=outcome.attempts, tokens=outcome.tokens, generation_s=outcome.generation_s,
        )

    async def prewrite(self, request: GenerationRequest) -> Generation | None:
        """Write and keep the backend's validated text for ``request`` now, with no deadline.

        What ``ipm promotions prewrite`` calls ahead of the chat, so that customers get the
        LLM's text at once. A request whose LLM text is already kept is not written again.
        When no draft passes, the template's text is kept in its place (counted as a
        fallback): the chat then answers at once instead of waiting out its deadline for
        a model that failed this prompt; the next pre-write run tries the model again.

        Returns:
            The kept LLM text, or ``None`` when no draft passed the guardrails (or the
            backend failed).
        """
        started = time.perf_counter()
        key = request.cache_key()
        known = self.cache.get(key) or await self._from_store(key, request)
        if known is not None and known.backend != self.fallback.name:
            return known
        task = self._pending.get(key) or self._start(request, key, started)
        outcome = await asyncio.shield(task)
        if isinstance(outcome, Generation):
            return outcome
        try:
            template = await self._template(
                request, started, reason=outcome.reason, drafts=outcome.drafts,
                attempts=outcome.attempts, tokens=outcome.tokens, generation_s=outcome.generation_s,
            )
        except GenerationError:
            return None  # a data error, logged by _template: nothing valid to keep
        await self._keep(key, request, template)
        return None

    def _start(
        self, request: GenerationRequest, key: str, started: float
    ) -> asyncio.Task[Generation | _NoDraft]:
        task = asyncio.get_running_loop().create_task(self._draft(request, key, started))
        self._pending[key] = task
        task.add_done_callback(functools.partial(self._finished, key))
        return task

    async def _from_store(self, key: str, request: GenerationRequest) -> Generation | None:
        """A kept promotion for ``key`` that still passes the guardrails (then cached in memory)."""
        if self.stored is None or request.purpose != "promotion":
            return None
        try:
            kept = await asyncio.to_thread(self.stored.get, key)
        except StoreError as exc:
            logger.warning("stored texts unavailable (%s); asking the backend", exc)
            return None
        if kept is None:
            return None
        violations = self.validator.validate(kept.text, request)
        if violations:
            # the rules or the facts changed since it was written: never send it
            logger.warning(
                "stored text for %s no longer passes the guardrails: %s",
                request.purpose, "; ".join(str(v) for v in violations[:3]),
            )
            return None
        self.cache.put(key, kept)
        return kept

    async def _keep(self, key: str, request: GenerationRequest, generation: Generation) -> None:
        if self.stored is None or request.purpose != "promotion":
            return
        try:
            await asyncio.to_thread(self.stored.put, key, request, generation)
        except StoreError as exc:
            logger.warning("could not keep a generated text (%s)", exc)

    def _finished(self, key: str, task: asyncio.Task[Any]) -> None:
        self._pending.pop(key, None)
        if not task.cancelled() and task.exception() is not None:
            # a waiting caller re-raises it too; this covers drafts nobody waits for any more
            logger.error("generation draft failed: %r", task.exception())

    async def _draft(
        self, request: GenerationRequest, key: str, started: float
    ) -> Generation | _NoDraft:
        """The backend's validated text (cached), or why there is none."""
        drafts: list[tuple[str, ...]] = []
        tokens = 0
        tokens_known = False
        generation_s = 0.0
        reason = "invalid_output"
        base = request
        if self.draft_from_template and request.purpose == "promotion" and request.draft is None:
            template = await self.fallback.generate(request)
            base = replace(request, draft=_without_compliance(template.text, request))
        current = base
        for attempt in range(self.regenerate + 1):
            try:
                draft = await self.primary.generate(current)
            except BackendError as exc:
                reason = exc.reason
                logger.warning("generation backend %s failed: %s", self.primary.name, exc)
                break
            except GenerationError as exc:
                reason = "backend_error"
                logger.warning("generation backend %s failed: %s", self.primary.name, exc)
                break
            except Exception:
                # a bug in a backend must cost the customer the LLM's text, not the answer
                reason = "backend_error"
                logger.exception("generation backend %s crashed", self.primary.name)
                break
            if draft.completion_tokens is not None:
                tokens += draft.completion_tokens
                tokens_known = True
            generation_s += draft.generation_s
            text = _postprocess(draft.text, request)
            violations = self.validator.validate(text, request)
            if not violations:
                result = replace(
                    draft,
                    text=text,
                    attempts=attempt + 1,
                    draft_violations=tuple(drafts),
                    latency_s=time.perf_counter() - started,
                    completion_tokens=tokens if tokens_known else None,
                    generation_s=generation_s,
                )
                self.cache.put(key, result)
                await self._keep(key, request, result)
                GENERATIONS.labels(self.primary.name, request.purpose, "ok").inc()
                GENERATION_SECONDS.labels(self.primary.name).observe(result.latency_s)
                return result
            kinds = violation_kinds(violations)
            drafts.append(kinds)
            for kind in kinds:
                GUARDRAIL_VIOLATIONS.labels(kind).inc()
            logger.info(
                "draft %d of %s rejected: %s",
                attempt + 1,
                self.primary.name,
                "; ".join(str(v) for v in violations[:5]),
            )
            current = replace(base, feedback=_feedback(violations))
        return _NoDraft(
            reason=reason,
            drafts=tuple(drafts),
            attempts=len(drafts) + (0 if reason == "invalid_output" else 1),
            tokens=tokens if tokens_known else None,
            generation_s=generation_s,
        )

    async def _template(
        self,
        request: GenerationRequest,
        started: float,
        *,
        reason: str | None,
        drafts: tuple[tuple[str, ...], ...],
        attempts: int,
        tokens: int | None = None,
        generation_s: float = 0.0,
    ) -> Generation:
        generation = await self.fallback.generate(request)
        text = _postprocess(generation.text, request)
        violations = self.validator.validate(text, request)
        if violations:
            FALLBACKS.labels(component="generation", reason="template_invalid").inc()
            logger.error(
                "template output for %s fails the guardrails: %s",
                request.purpose,
                "; ".join(str(v) for v in violations),
            )
            raise GenerationError(
                "the template text breaks the guardrails: "
                + "; ".join(str(v) for v in violations[:3])
            )
        if reason is not None:
            FALLBACKS.labels(component="generation", reason=reason).inc()
            logger.warning(
                "generation fell back to the template: backend=%s reason=%s purpose=%s drafts=%s",
                self.primary.name,
                reason,
                request.purpose,
                [",".join(d) for d in drafts],
            )
        outcome = "fallback" if reason is not None else "ok"
        GENERATIONS.labels(self.fallback.name, request.purpose, outcome).inc()
        result = replace(
            generation,
            text=text,
            fell_back=reason is not None,
            fallback_reason=reason,
            attempts=attempts,
            draft_violations=drafts,
            latency_s=time.perf_counter() - started,
            completion_tokens=tokens,
            generation_s=generation_s,
        )
        GENERATION_SECONDS.labels(self.fallback.name).observe(result.latency_s)
        return result


def _without_compliance(text: str, request: GenerationRequest) -> str:
    for product in request.facts.products:
        compliance = product.compliance(request.language)
        if compliance:
            text = text.replace(compliance, "")
    return text.strip()


def _feedback(violations: list[Violation]) -> tuple[str, ...]:
    """What to tell the model about its rejected draft (details only, at most five)."""
    seen: list[str] = []
    for v in violations:
        line = str(v)
        if line not in seen:
            seen.append(line)
    return tuple(seen[:5])
