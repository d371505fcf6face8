"""``ipm promotions prewrite``: write the LLM promotions the chat will need, ahead of time.

A small model on two CPU cores needs several seconds a promotion; the chat waits at most
``IPM_LLM__DEADLINE_S``. Run this job when the catalog, the campaigns or the segments
change (or nightly, e.g. from cron): it plans each consenting customer's promotion exactly
as the chat would (top recommendation, campaign, experiment arm, segment, language), writes
each distinct prompt once, most shared first, and keeps the validated texts in the database,
where every server process finds them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.services import Services

#: What a customer says to get recommendations (the chat's demand the job predicts).
ASK = {"zh": "有什么推荐", "en": "recommend something"}


def add_promotions_parser(subcommands: Any) -> None:
    """Register ``ipm promotions`` (called by ``bot.cli``)."""
    parser = subcommands.add_parser("promotions", help="LLM promotions written ahead of time")
    actions = parser.add_subparsers(dest="promotions_command", required=True)
    prewrite = actions.add_parser(
        "prewrite",
        help="write and keep the promotion each consenting customer's top recommendation needs",
    )
    prewrite.add_argument(
        "--languages",
        default="locale",
        help="'locale' (each customer's, default), or a list such as 'zh,en' (one text each)",
    )
    prewrite.add_argument("--limit", type=int, help="plan for at most this many customers")
    prewrite.add_argument(
        "--budget-minutes", type=float, help="stop starting new texts after this long"
    )
    prewrite.add_argument(
        "--dry-run", action="store_true", help="plan and count the texts needed; write nothing"
    )
    prewrite.add_argument("--json", action="store_true", help="print the report as JSON")
    prewrite.set_defaults(handler=run_prewrite)


def plan_demand(
    services: Services, languages: str = "locale", limit: int | None = None, progress: bool = True
) -> list[tuple[str, str, str | None]]:
    """Each consenting customer's top recommendation, as ``(sender_id, sku, language)``.

    Args:
        services: the process's services (store, profiles, recommender).
        languages: ``locale`` or a comma-separated list of languages.
        limit: at most this many customers (in sender id order).
        progress: show a progress bar.

    Returns:
        The promotions the chat is expected to ask for.
    """
    from sqlalchemy import select
    from tqdm import tqdm

    from bot.errors import ValidationError
    from bot.generation._types import as_language
    from bot.store import Customer

    wanted: list[str | None] = (
        [None] if languages == "locale" else [s.strip() for s in languages.split(",") if s.strip()]
    )
    unknown = [lang for lang in wanted if lang is not None and lang not in ASK]
    if unknown:
        raise ValidationError(
            "unknown language", problems=[f"--languages: {', '.join(map(str, unknown))} (use zh, en or locale)"]
        )
    with services.store.session() as session:
        stmt = (
            select(Customer.sender_id, Customer.locale)
            .where(Customer.marketing_consent.is_(True))
            .order_by(Customer.sender_id)
        )
        if limit is not None:
            stmt = stmt.limit(limit)
        customers = [(sender, locale) for sender, locale in session.execute(stmt)]
    demand: list[tuple[str, str, str | None]] = []
    for sender, locale in tqdm(
        customers, desc="planning", unit="customer", disable=None if progress else True
    ):
        language = as_language(locale)
        profile = services.profiles.get_profile(sender)
        picks = services.recommendations.recommend(sender, ASK[language], profile, language, 1)
        if picks:
            for lang in wanted:
                demand.append((sender, picks[0].product.sku, lang))
    return demand


def run_prewrite(args: argparse.Namespace) -> int:
    """Plan the demand, write what is missing, print the report."""
    from bot.cli import open_cli_store
    from bot.generation._service import GenerationService
    from bot.services import Services
    from bot.settings import Settings

    settings = Settings()
    services = Services(settings=settings, _store=open_cli_store(args))
    service = GenerationService.from_settings(settings, services.store)
    try:
        stored = service.kept_texts()
        purged = 0 if args.dry_run else stored.purge()
        demand = plan_demand(services, args.languages, args.limit, progress=not args.quiet)
        report = asyncio.run(
            _prewrite(service, demand, args.budget_minutes * 60 if args.budget_minutes else None,
                      progress=not args.quiet, dry_run=args.dry_run)
        )
    finally:
        services.store.close()
    data = {**report.as_dict(), "expired_purged": purged}
    if args.json:
        print(json.dumps(data))
    else:
        print(
            f"{data['requests']} customers' promotions planned: {data['keys']} distinct texts "
            f"({data['template_arm']} on the template arm, {data['not_eligible']} not eligible)"
        )
        print(
            f"kept before: {data['already_kept']}, written now: {data['written']}, "
            f"rejected by the guardrails: {data['rejected']}, left for lack of time: "
            f"{data['skipped_for_time']}; {data['covered_requests']} requests covered; "
            f"{data['seconds']} s, {data['tokens_per_s']} tokens/s"
        )
    return 0


async def _prewrite(
    service: Any,
    demand: list[tuple[str, str, str | None]],
    budget_s: float | None,
    progress: bool,
    dry_run: bool,
) -> Any:
    try:
        return await service.prewrite(demand, budget_s=budget_s, progress=progress, dry_run=dry_run)
    finally:
        await service.aclose()
