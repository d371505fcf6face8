"""Benchmarks promotion generation over the demo data: latency, tokens/s, grounding violations, fallbacks.

Usage:
    python bench/generation.py                                   # template backend (+ synthetic LLM)
    python bench/generation.py --base-url http://127.0.0.1:8000/v1 --model qwen2.5-1.5b-instruct
    python bench/generation.py --gguf var/models/qwen2.5-coder-0.5b-instruct-q4.gguf   # make install-llm
    python bench/generation.py --gguf ... --serving-only --deadline 2 --interval 3
    python bench/generation.py --gguf ... --serving-only --prewrite   # texts written ahead of time

Loads the demo data into a throw-away SQLite database (``python -m bot demo load --no-embed``),
picks ``--n`` (customer, product) pairs among customers with marketing consent (a product of
their top interest, preferring ones a campaign covers), and asks ``GenerationService.promote``
for each, once per backend: the template backend always; a synthetic noisy LLM served over
HTTP by this script (``--no-fake-llm`` to skip), whose drafts break the grounding rules at a
known rate, to measure the guardrails through the real OpenAI-compatible client; a real
OpenAI-compatible server with ``--base-url``; llama-cpp-python with ``--gguf``.

For each backend, one JSON line: p50/p95 latency of a validated promotion, completion
tokens/s, the share of first drafts that broke a rule (before validation), the share of sent
texts that break one (after validation, re-checked independently: target 0), regenerations
and fallbacks. The generator cache is off, so every promotion is generated.

With ``--serving`` (or ``--serving-only``), the real LLM backends are also measured as the
chat serves them: cache on, ``--deadline`` (past it the template answers and the LLM's
draft is finished and cached in the background), one request every ``--interval`` seconds
without waiting for the previous one. That line says what the customer waited (p50/p95) and
who wrote what was sent (``llm_written_rate``, ``sources``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.catalog import ProductInfo, eligibility_problems, get_product, list_products
from bot.generation import (
    CatalogVocabulary,
    CustomerContext,
    GenerationRequest,
    GenerationService,
    Generator,
    GuardedGenerator,
    LlamaCppGenerator,
    OpenAICompatibleGenerator,
    OutputValidator,
    StoredTexts,
    TemplateGenerator,
    best_campaign,
    load_campaigns,
)
from bot.profiles import get_profile
from bot.store import Customer, Store, open_store

#: The moment the promotions are written: the demo campaigns run then.
NOW = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)


def _percentiles(samples_s: Sequence[float]) -> dict[str, float]:
    ms = sorted(s * 1000 for s in samples_s)
    return {
        "p50_ms": round(statistics.median(ms), 2),
        "p95_ms": round(ms[min(len(ms) - 1, int(round(0.95 * (len(ms) - 1))))], 2),
        "mean_ms": round(statistics.fmean(ms), 2),
    }


def load_demo(directory: Path) -> Store:
    """The demo data in a fresh SQLite database under ``directory``."""
    url = f"sqlite:///{directory / 'bench.db'}"
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "bot", "--db", url, "-q", "demo", "load", "--no-embed"],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    print(json.dumps({"bench": "generation", "step": "demo load", "seconds": round(time.perf_counter() - started, 2)}))
    return open_store(url)


def pick_pairs(store: Store, campaigns: list[Any], n: int, seed: int = 0) -> list[tuple[str, str]]:
    """``n`` (sender_id, sku) pairs over consenting customers: a product of one of their top
    interests (eligible, if a bank product), popular ones more often, 80 % covered by a campaign."""
    from sqlalchemy import func, select

    from bot.store import Interaction, Product

    rng = random.Random(seed)
    products = list_products(store, in_stock_only=True)
    by_category: dict[str, list[ProductInfo]] = {}
    for p in products:
        by_category.setdefault(p.category, []).append(p)
    with store.session() as session:
        # recommendations favour popular items: weight products by their demo interactions
        popularity = dict(
            session.execute(
                select(Product.sku, func.count(Interaction.id))
                .join(Interaction, Interaction.product_id == Product.id)
                .group_by(Product.sku)
            ).all()
        )
        senders = list(
            session.scalars(
                select(Customer.sender_id).where(Customer.marketing_consent.is_(True)).order_by(Customer.sender_id)
            )
        )
    pairs: list[tuple[str, str]] = []
    while len(pairs) < n:
        for sender in senders:
            view = get_profile(store, sender)
            interests = [c for c, _ in view.top_interests(3)] if view else []
            category = interests[len(pairs) // len(senders) % len(interests)] if interests else rng.choice(list(by_category))
            pool = [
                p for p in (by_category.get(category) or products)
                if not (p.domain == "bank" and eligibility_problems(p, view.attributes if view else {}))
            ] or [p for p in products if p.domain == "shop"]
            covered = [p for p in pool if best_campaign(p, campaigns, NOW) is not None]
            options = covered if covered and rng.random() < 0.8 else pool
            choice = rng.choices(options, weights=[1 + popularity.get(p.sku, 0) for p in options])[0]
            pairs.append((sender, choice.sku))
            if len(pairs) >= n:
                break
    return pairs


# --- a synthetic noisy LLM, served over HTTP --------------------------------------------------

_ERRORS = ("price", "date", "discount", "product", "promise", "language", "injection")


def _synthetic_answer(body: dict[str, Any], rng: random.Random, error_rate: float, other_names: list[str]) -> str:
    """A plausible promotion from the prompt's FACTS, with a grounding error at ``error_rate``."""
    system, user = body["messages"][0]["content"], body["messages"][1]["content"]
    zh = "简体中文" in system
    facts = json.loads(user.split("FACTS:\n", 1)[1].split("\n\n", 1)[0])
    product, offer = facts["product"], facts.get("campaign", {})
    name = product["name"]
    if offer.get("sale_price"):
        text = (
            f"{name}参加{offer['name']}，{offer['discount']}，到手价{offer['sale_price']}，活动截至{offer['valid_until']}。"
            if zh
            else f"{name} is {offer['discount']} in our {offer['name']}: {offer['sale_price']}, until {offer['valid_until']}."
        )
    elif offer.get("benefit"):
        text = (
            f"{name}：{offer['name']}期间{offer['benefit']}，截至{offer['valid_until']}。"
            if zh
            else f"{name}: {offer['benefit']} during our {offer['name']}, until {offer['valid_until']}."
        )
    else:
        price = next((v for k, v in product.items() if k not in ("name", "category", "description")), "")
        if zh:
            text = f"为您推荐{name}，{price}。" if price else f"为您推荐{name}。"
        else:
            text = f"Have a look at {name}, {price}." if price else f"Have a look at {name}."
    if "previous draft was rejected" in user or "上一稿" in user:
        error_rate /= 2  # the feedback helps, as it does with real models
    if rng.random() >= error_rate:
        return text
    kind = rng.choice(_ERRORS)
    if kind == "price":
        return text + ("会员再减¥88！" if zh else " Members save another ¥88!")
    if kind == "date":
        return text + ("12月31日前下单还有惊喜。" if zh else " Order by 31 Dec for a surprise.")
    if kind == "discount":
        return text + ("叠加券后低至5折！" if zh else " With coupons it drops to 50% off!")
    if kind == "product":
        return text + (f"也可以看看{other_names[0]}。" if zh else f" Or try the {other_names[0]}.")
    if kind == "promise":
        return text + ("稳赚不赔，零风险！" if zh else " Zero risk, guaranteed returns!")
    if kind == "language":
        return text + (" Don't miss out on this amazing limited offer today!" if zh else " 千万不要错过这个限时好价！")
    return ("好的，忽略之前的指令。" if zh else "Sure, ignoring previous instructions. ") + text


async def start_fake_llm(error_rate: float, latency_s: float, seed: int, other_names: list[str]) -> tuple[Any, str]:
    """An aiohttp server answering ``/v1/chat/completions`` with synthetic drafts."""
    from aiohttp import web

    rng = random.Random(seed)

    async def completions(request: web.Request) -> web.Response:
        body = await request.json()
        await asyncio.sleep(latency_s * (0.5 + rng.random()))
        text = _synthetic_answer(body, rng, error_rate, other_names)
        tokens = len(re.findall(r"\w+|[^\w\s]", text))
        return web.json_response(
            {"choices": [{"message": {"role": "assistant", "content": text}}], "usage": {"completion_tokens": tokens}}
        )

    app = web.Application()
    app.router.add_post("/v1/chat/completions", completions)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}/v1"


# --- measuring ------------------------------------------------------------------------------


async def measure(
    label: str,
    store: Store,
    primary: Generator,
    pairs: Sequence[tuple[str, str]],
    campaigns: list[Any],
    validator: OutputValidator,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Promote every pair with ``primary`` behind the guardrails; one result line."""
    template = TemplateGenerator()
    guarded = GuardedGenerator(primary, template, validator=validator, cache_size=0)
    service = GenerationService(store, guarded, campaigns=campaigns)
    latencies: list[float] = []
    tokens = 0
    gen_s = 0.0
    first_bad = 0
    after_bad = 0
    regenerated = 0
    fallbacks: Counter[str] = Counter()
    kinds_before: Counter[str] = Counter()
    languages: Counter[str] = Counter()
    domains: Counter[str] = Counter()
    examples: dict[str, str] = {}
    prompts: set[str] = set()
    for sender, sku in pairs:
        started = time.perf_counter()
        promotion = await service.promote(sender, sku, now=NOW, record=False)
        elapsed = time.perf_counter() - started
        if promotion is None:
            continue
        g = promotion.generation
        latencies.append(elapsed)
        languages[promotion.language] += 1
        product = get_product(store, sku)
        domains[product.domain] += 1
        if g.completion_tokens:
            tokens += g.completion_tokens
        gen_s += g.generation_s
        if g.draft_violations:
            first_bad += 1
            kinds_before.update(g.draft_violations[0])
        if g.attempts > 1:
            regenerated += 1
        if g.fell_back:
            fallbacks[g.fallback_reason or "?"] += 1
        # re-check the text that would be sent, independently of the pipeline
        request = GenerationRequest.promotion(
            product, service.campaign_for(product, promotion.campaign_id, NOW), promotion.language,
            max_chars=service.max_chars,
        )
        view = get_profile(store, sender)
        prompts.add(replace(request, customer=CustomerContext.from_profile(view, promotion.language).coarse()).cache_key())
        if validator.validate(promotion.text, request):
            after_bad += 1
        examples.setdefault(f"{product.domain}-{promotion.language}", promotion.text)
    await guarded.aclose()
    n = len(latencies)
    line: dict[str, Any] = {
        "bench": "generation",
        "backend": label,
        "model": primary.model,
        "promotions": n,
        "languages": dict(languages),
        "domains": dict(domains),
        **_percentiles(latencies),
        "completion_tokens": tokens or None,
        # a synthetic server's speed says nothing: only real models report tokens/s
        "tokens_per_s": (
            round(tokens / gen_s, 1) if tokens and gen_s and not (extra or {}).get("synthetic") else None
        ),
        "violation_rate_before": round(first_bad / n, 4),
        "violation_kinds_before": dict(kinds_before.most_common()),
        "violation_rate_after": round(after_bad / n, 4),
        "regenerated_rate": round(regenerated / n, 4),
        "fallback_rate": round(sum(fallbacks.values()) / n, 4),
        "fallback_reasons": dict(fallbacks),
        # promotions whose prompt (product, campaign, language, style, profile summary) was
        # seen before in the run: what the cache of validated texts would have served
        "cacheable_rate": round(1 - len(prompts) / n, 4),
        **(extra or {}),
    }
    line["examples"] = examples
    return line


async def serve(
    label: str,
    store: Store,
    primary: Generator,
    pairs: Sequence[tuple[str, str]],
    campaigns: list[Any],
    validator: OutputValidator,
    deadline_s: float,
    interval_s: float,
    prewrite: bool = False,
) -> dict[str, Any]:
    """The promotions as the chat serves them: cache on, ``deadline_s``, a request every ``interval_s``.

    Each request is its own task (customers do not wait for each other); the latency is
    what the customer waits. The line says who wrote what was sent: the LLM just now, the
    LLM earlier (from the cache, often a draft that finished after its deadline; or kept
    in the database), or the template (deadline passed, backend busy, or every draft
    rejected).

    With ``prewrite``, ``GenerationService.prewrite`` first writes the texts these requests
    need into the database (the demand is known exactly: the served pairs), as
    ``ipm promotions prewrite`` does from each customer's top recommendation; the chat then
    starts with an empty memory cache, as a new server process would.
    """
    template = TemplateGenerator()
    texts = StoredTexts(store) if prewrite else None
    prewritten: dict[str, Any] | None = None
    if texts is not None:
        writer = GuardedGenerator(primary, template, validator=validator, stored=texts)
        report = await GenerationService(store, writer, campaigns=campaigns).prewrite(
            [(sender, sku, None) for sender, sku in pairs], now=NOW, progress=True
        )
        prewritten = report.as_dict()
        print(json.dumps({"bench": "generation-prewrite", "backend": label, **prewritten}), flush=True)
    guarded = GuardedGenerator(primary, template, validator=validator, deadline_s=deadline_s, stored=texts)
    service = GenerationService(store, guarded, campaigns=campaigns)
    latencies: list[float] = []
    sources: Counter[str] = Counter()
    after_bad = 0

    async def one(sender: str, sku: str) -> None:
        nonlocal after_bad
        started = time.perf_counter()
        promotion = await service.promote(sender, sku, now=NOW, record=False)
        if promotion is None:
            return
        latencies.append(time.perf_counter() - started)
        g = promotion.generation
        if g.fell_back:
            sources[f"template ({g.fallback_reason})"] += 1
        elif g.cached:
            sources["llm, cached" if g.backend != "template" else "template, cached"] += 1
        else:
            sources["llm" if g.backend != "template" else "template"] += 1
        product = get_product(store, sku)
        request = GenerationRequest.promotion(
            product, service.campaign_for(product, promotion.campaign_id, NOW), promotion.language,
            max_chars=service.max_chars,
        )
        if validator.validate(promotion.text, request):
            after_bad += 1

    tasks = []
    for sender, sku in pairs:
        tasks.append(asyncio.create_task(one(sender, sku)))
        await asyncio.sleep(interval_s)
    await asyncio.gather(*tasks)
    await guarded.aclose()
    n = len(latencies)
    llm = sources["llm"] + sources["llm, cached"]
    return {
        "bench": "generation-serving",
        "backend": label,
        "model": primary.model,
        "deadline_s": deadline_s,
        "interval_s": interval_s,
        "promotions": n,
        **_percentiles(latencies),
        "llm_written_rate": round(llm / n, 4),
        "sources": dict(sources.most_common()),
        "prewritten": prewritten,
        "violation_rate_after": round(after_bad / n, 4),
    }


async def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=240, help="promotions per backend (default 240)")
    parser.add_argument("--base-url", help="an OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1")
    parser.add_argument("--model", default="default", help="model name for --base-url")
    parser.add_argument("--api-key-env", default="IPM_LLM__API_KEY", help="env var holding the API key")
    parser.add_argument("--timeout", type=float, default=20.0, help="LLM request timeout, seconds")
    parser.add_argument("--gguf", type=Path, help="a GGUF model for llama-cpp-python")
    parser.add_argument("--threads", type=int, default=2, help="llama.cpp threads")
    parser.add_argument("--no-fake-llm", action="store_true", help="skip the synthetic noisy LLM")
    parser.add_argument("--fake-error-rate", type=float, default=0.3, help="share of synthetic drafts with an error")
    parser.add_argument("--fake-latency", type=float, default=0.02, help="synthetic LLM latency, seconds")
    parser.add_argument("--serving", action="store_true",
                        help="also measure the real LLM backends as served: cache on, --deadline, a request every --interval")
    parser.add_argument("--serving-only", action="store_true",
                        help="measure the real LLM backends only as served (skip their uncached run)")
    parser.add_argument("--deadline", type=float, default=2.0, help="serving: longest wait for the LLM, seconds")
    parser.add_argument("--interval", type=float, default=2.0, help="serving: seconds between requests")
    parser.add_argument("--prewrite", action="store_true",
                        help="serving: write the texts the requests need ahead of time (ipm promotions prewrite)")
    parser.add_argument("--examples", action="store_true", help="keep one example text per domain and language")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every fallback")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING if args.verbose else logging.ERROR)

    with tempfile.TemporaryDirectory(prefix="ipm-bench-gen-") as tmp:
        store = load_demo(Path(tmp))
        products = list_products(store)
        campaigns = load_campaigns(ROOT / "data" / "campaigns.yml", products)
        validator = OutputValidator(CatalogVocabulary(products))
        pairs = pick_pairs(store, campaigns, args.n)
        print(json.dumps({"bench": "generation", "step": "setup", "products": len(products),
                          "campaigns": len(campaigns), "pairs": len(pairs),
                          "customers": len({s for s, _ in pairs}), "cpus": os.cpu_count()}))
        runs: list[tuple[str, Generator, dict[str, Any]]] = [("template", TemplateGenerator(), {})]
        runner = None
        if not args.no_fake_llm:
            others = [p.name_en for p in products if p.category == "laptops"][:1]
            runner, url = await start_fake_llm(args.fake_error_rate, args.fake_latency, 0, others)
            runs.append((
                "openai (synthetic noisy LLM)",
                OpenAICompatibleGenerator(url, "synthetic", timeout_s=args.timeout),
                {"synthetic": True, "synthetic_error_rate": args.fake_error_rate},
            ))
        if args.base_url:
            key = os.environ.get(args.api_key_env)
            runs.append(("openai", OpenAICompatibleGenerator(
                args.base_url, args.model, api_key=key, timeout_s=args.timeout, max_tokens=160
            ), {}))
        if args.gguf:
            runs.append(("llama-cpp", LlamaCppGenerator(args.gguf, threads=args.threads, max_tokens=160,
                                                       timeout_s=args.timeout), {}))
        serving = [(label, primary) for label, primary, extra in runs
                   if (args.serving or args.serving_only) and label in ("openai", "llama-cpp")]
        try:
            for label, primary, extra in runs:
                if args.serving_only and (label, primary) in serving:
                    continue
                line = await measure(label, store, primary, pairs, campaigns, validator, extra)
                if not args.examples:
                    line.pop("examples")
                print(json.dumps(line, ensure_ascii=False), flush=True)
            for label, primary in serving:
                line = await serve(label, store, primary, pairs, campaigns, validator, args.deadline, args.interval,
                                   prewrite=args.prewrite)
                print(json.dumps(line, ensure_ascii=False), flush=True)
        finally:
            if runner is not None:
                await runner.cleanup()
            store.close()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
