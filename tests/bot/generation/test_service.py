"""GenerationService on a real store: consent enforced, grounded promotions, events recorded, rephrasing."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.catalog import list_products
from bot.experiments import Experiments, load_experiments, report
from bot.generation import (
    CatalogVocabulary,
    GenerationService,
    GuardedGenerator,
    OutputValidator,
    TemplateGenerator,
    load_campaigns,
)
from bot.importer import import_file
from bot.profiles import ProfileService
from bot.settings import PROJECT_ROOT, Settings
from bot.store import MarketingEvent, Store

NOW = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)
SKUS = ("SH-PHON-001", "SH-HOME-002", "SH-GROC-001", "BK-CC-TRAVEL", "BK-DEP-1Y")
CUSTOMERS = """sender_id,locale,marketing_consent,consent_at,age,city,annual_income,employment
alice,zh,true,2026-01-02T00:00:00Z,31,Suzhou,250000,employed
bob,en,false,,45,Beijing,90000,employed
teen,en,true,2026-01-02T00:00:00Z,17,Shanghai,0,student
emma,en,true,2026-01-02T00:00:00Z,35,Shenzhen,200000,employed
"""


def load_small_demo(store: Store, tmp_path: Path) -> None:
    lines = []
    for name in ("shop.jsonl", "bank.jsonl"):
        for line in (PROJECT_ROOT / "data" / "catalog" / name).read_text(encoding="utf-8").splitlines():
            if json.loads(line)["sku"] in SKUS:
                lines.append(line)
    catalog = tmp_path / "catalog.jsonl"
    catalog.write_text("\n".join(lines) + "\n", encoding="utf-8")
    customers = tmp_path / "customers.csv"
    customers.write_text(CUSTOMERS, encoding="utf-8")
    import_file("catalog", catalog, store, progress=False)
    import_file("customers", customers, store, progress=False)


def make_service(store: Store) -> GenerationService:
    products = list_products(store)
    validator = OutputValidator(CatalogVocabulary(products))
    template = GuardedGenerator(TemplateGenerator(), validator=validator, cache_size=0)
    profiles = ProfileService(store)
    experiments = Experiments(
        store, profiles, load_experiments(PROJECT_ROOT / "data" / "experiments.yml")
    )
    return GenerationService(
        store,
        template,
        template=template,
        campaigns=load_campaigns(PROJECT_ROOT / "data" / "campaigns.yml", products, strict=False),
        profiles=profiles,
        experiments=experiments,
        promotion_experiment="promo-copy",
        rephrase_experiment="reply-rephrase",
    )


def events(store: Store) -> list[tuple[str, str | None, str | None]]:
    with store.session() as session:
        rows = session.execute(
            select(MarketingEvent.kind, MarketingEvent.experiment, MarketingEvent.variant).order_by(
                MarketingEvent.id
            )
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


async def test_consent_is_enforced_by_the_service(store: Store, tmp_path: Path) -> None:
    load_small_demo(store, tmp_path)
    service = make_service(store)
    promotion = await service.promote("alice", "SH-PHON-001", now=NOW, event_id="turn-1")
    assert promotion is not None
    assert promotion.language == "zh" and "诺瓦Pro 智能手机 A6" in promotion.text
    assert promotion.campaign_id == "shop-double12" and "8.8折" in promotion.text
    assert promotion.experiment == "promo-copy" and promotion.variant in {"template", "llm-friendly", "llm-concise"}
    assert [e[0] for e in events(store)] == ["experiment_exposure", "promotion_shown"]
    assert {e[2] for e in events(store)} == {promotion.variant}

    # no consent, unknown customer, consent withdrawn: no promotion and nothing recorded
    assert await service.promote("bob", "SH-PHON-001", now=NOW) is None
    assert await service.promote("stranger", "SH-PHON-001", now=NOW) is None
    ProfileService(store).set_consent("alice", False)
    assert await service.promote("alice", "SH-PHON-001", now=NOW) is None
    assert len(events(store)) == 2


async def test_bank_promotions_need_eligibility_and_carry_compliance(sqlite_store: Store, tmp_path: Path) -> None:
    load_small_demo(sqlite_store, tmp_path)
    service = make_service(sqlite_store)
    assert await service.promote("teen", "BK-CC-TRAVEL", now=NOW) is None  # minimum age 22
    promotion = await service.promote("emma", "BK-CC-TRAVEL", now=NOW)
    assert promotion is not None and promotion.language == "en"
    assert "¥300" in promotion.text and "31 Jan 2027" in promotion.text
    assert promotion.text.endswith("as set out in the cardholder agreement.")


async def test_accepted_offer_is_a_conversion_in_the_report(sqlite_store: Store, tmp_path: Path) -> None:
    load_small_demo(sqlite_store, tmp_path)
    service = make_service(sqlite_store)
    assert service.accept_offer("emma") is False  # never exposed: nothing to attribute
    promotion = await service.promote("emma", "SH-HOME-002", now=NOW)
    assert promotion is not None and promotion.campaign_id == "shop-winter-home"
    assert service.accept_offer("emma", sku="SH-HOME-002", event_id="click-1") is True
    assert service.accept_offer("emma", sku="SH-HOME-002", event_id="click-1") is False
    result = report(sqlite_store, "promo-copy", experiments=service.experiments.experiments)  # type: ignore[union-attr]
    arm = result.variant(promotion.variant or "")
    assert (arm.exposed, arm.converted) == (1, 1)


async def test_switching_to_an_llm_server_is_configuration_only(
    sqlite_store: Store, tmp_path: Path, fake_llm
) -> None:
    load_small_demo(sqlite_store, tmp_path)
    url, fake = fake_llm
    fake.answer("为您推荐绿谷有机大米5公斤 A2，售价¥129，生鲜周期间所有生鲜订单免费冷链配送，活动截至2027年1月31日。")
    settings = Settings(
        data_dir=tmp_path,
        llm={"backend": "openai", "base_url": url, "model": "qwen2.5-1.5b-instruct"},
        experiments={"promotion_experiment": None},
    )
    service = GenerationService.from_settings(settings, sqlite_store)
    promotion = await service.promote("alice", "SH-GROC-001", now=NOW)
    await service.aclose()
    assert promotion is not None
    assert promotion.generation.backend == "openai" and not promotion.generation.fell_back
    assert promotion.variant is None and promotion.campaign_id == "shop-fresh-delivery"
    prompt = fake.requests[0]["body"]["messages"]
    assert "alice" not in json.dumps(prompt, ensure_ascii=False)


async def test_rephrasing_is_empathetic_brief_or_left_alone(sqlite_store: Store, tmp_path: Path, fake_llm) -> None:
    load_small_demo(sqlite_store, tmp_path)
    service = make_service(sqlite_store)
    service.rephrase_experiment = None
    reply = "Your parcel left our warehouse on 3 Dec 2026. You can follow it under My orders."
    same = await service.rephrase(reply, language="en", mood="neutral")
    assert (same.text, same.backend) == (reply, "original")
    sorry = await service.rephrase(reply, language="en", mood="negative", aspect="delivery")
    assert sorry.text == "I'm sorry about the trouble with delivery. " + reply

    url, fake = fake_llm
    backend_service = GenerationService.from_settings(
        Settings(data_dir=tmp_path, llm={"backend": "openai", "base_url": url, "model": "m"},
                 experiments={"promotion_experiment": None}),
        sqlite_store,
    )
    fake.answer(
        "Parcel left the warehouse on 3 Dec 2026; track it under My orders.",  # brief, every fact kept
        "Your parcel is on its way.",  # drops the date
        "Your parcel is on its way!",
    )
    brief = await backend_service.rephrase(reply, language="en", message="quick, where is it?")
    assert brief.backend == "openai" and brief.style == "brief" and "3 Dec 2026" in brief.text
    dropped = await backend_service.rephrase(reply, language="en", aspect="delivery")
    await backend_service.aclose()
    assert dropped.fell_back and dropped.text == "I'm sorry about the trouble with delivery. " + reply


async def test_the_original_arm_of_the_rephrase_test_keeps_the_reply(sqlite_store: Store, tmp_path: Path) -> None:
    load_small_demo(sqlite_store, tmp_path)
    service = make_service(sqlite_store)
    reply = "抱歉让您久等了，您的包裹已于12月3日发出。"
    arms = {}
    for sender in ("alice", "bob", "emma", "teen", "x1", "x2", "x3", "x4"):
        result = await service.rephrase(reply, language="zh", sender_id=sender, aspect="delivery")
        arms[sender] = result.variant
        if result.variant == "original":
            assert result.text == reply and result.backend == "original"
    assert set(arms.values()) == {"original", "rephrased"}
    exposures = [e for e in events(sqlite_store) if e[0] == "experiment_exposure"]
    assert len(exposures) == 8 and {e[1] for e in exposures} == {"reply-rephrase"}


@pytest.mark.parametrize("sku", ["SH-PHON-001", "BK-DEP-1Y"])
async def test_promotions_pass_the_guardrails(sqlite_store: Store, tmp_path: Path, sku: str) -> None:
    load_small_demo(sqlite_store, tmp_path)
    service = make_service(sqlite_store)
    promotion = await service.promote("emma", sku, now=NOW, record=False)
    assert promotion is not None
    assert service.generator.validator.validate(
        promotion.text, _request_of(service, promotion.sku, promotion.language)
    ) == []
    assert events(sqlite_store) == []


def _request_of(service: GenerationService, sku: str, language: str):
    from bot.catalog import get_product
    from bot.generation import GenerationRequest

    product = get_product(service.store, sku)
    return GenerationRequest.promotion(product, service.campaign_for(product, now=NOW), language)


def echo_draft(body: dict) -> str:
    """A fake LLM that sends back the template's draft it was given (always grounded)."""
    content = body["messages"][1]["content"]
    block = content.split("DRAFT", 1)[1].split("\n", 1)[1].split("\n\n", 1)[0]
    return json.loads(block)


def llm_settings(tmp_path: Path, url: str, **llm) -> Settings:
    return Settings(
        data_dir=tmp_path,
        llm={"backend": "openai", "base_url": url, "model": "m", **llm},
        experiments={"promotion_experiment": None},
    )


async def test_prewritten_promotions_reach_every_customer_of_a_prompt_at_once(
    store: Store, tmp_path: Path, fake_llm
) -> None:
    load_small_demo(store, tmp_path)
    url, fake = fake_llm
    fake.default = echo_draft
    service = GenerationService.from_settings(llm_settings(tmp_path, url), store)
    demand = [
        ("alice", "SH-GROC-001", None),
        ("emma", "SH-HOME-002", None),
        ("emma", "SH-HOME-002", None),  # the same prompt again: written once
        ("emma", "SH-HOME-002", "zh"),  # another language: another text
        ("bob", "SH-PHON-001", None),  # no consent
        ("teen", "BK-CC-TRAVEL", None),  # not eligible
    ]
    report = await service.prewrite(demand, now=NOW)
    assert (report.requests, report.not_eligible, report.keys) == (6, 2, 3)
    assert (report.already_kept, report.written, report.rejected) == (0, 3, 0)
    assert report.covered_requests == 4 and len(fake.requests) == 3
    again = await service.prewrite(demand, now=NOW)
    await service.aclose()
    assert (again.already_kept, again.written) == (3, 0) and len(fake.requests) == 3

    # a chat process started later, with a deadline the small model could never meet
    chat = GenerationService.from_settings(llm_settings(tmp_path, url, deadline_s=0.01), store)
    promotion = await chat.promote("emma", "SH-HOME-002", now=NOW, record=False)
    await chat.aclose()
    assert promotion is not None and promotion.language == "en"
    assert promotion.generation.backend == "openai" and promotion.generation.cached
    assert not promotion.generation.fell_back and len(fake.requests) == 3


async def test_prewrite_stops_starting_texts_when_the_budget_is_spent(
    sqlite_store: Store, tmp_path: Path, fake_llm
) -> None:
    load_small_demo(sqlite_store, tmp_path)
    url, fake = fake_llm
    fake.default = echo_draft
    service = GenerationService.from_settings(llm_settings(tmp_path, url), sqlite_store)
    report = await service.prewrite(
        [("alice", "SH-GROC-001", None), ("emma", "SH-HOME-002", None)], now=NOW, budget_s=0.0
    )
    await service.aclose()
    assert (report.keys, report.written, report.skipped_for_time) == (2, 0, 2)
    assert fake.requests == []


async def test_prewrite_skips_the_template_arm_and_needs_an_llm(sqlite_store: Store, tmp_path: Path, fake_llm) -> None:
    from bot.errors import ConfigurationError

    load_small_demo(sqlite_store, tmp_path)
    with pytest.raises(ConfigurationError, match="IPM_LLM__BACKEND"):
        await make_service(sqlite_store).prewrite([("alice", "SH-GROC-001", None)], now=NOW)

    url, fake = fake_llm
    fake.default = echo_draft
    settings = Settings(data_dir=tmp_path, llm={"backend": "openai", "base_url": url, "model": "m"})
    service = GenerationService.from_settings(settings, sqlite_store)  # with the promo-copy test
    senders = [f"x{i}" for i in range(12)]
    for sender in senders:
        service.profiles.set_consent(sender, True)
    assert service.experiments is not None
    arms = [service.experiments.assign("promo-copy", s) for s in senders]
    assert "template" in arms and len(set(arms)) == 3  # the hash split gives every arm here
    report = await service.prewrite([(s, "SH-HOME-002", None) for s in senders], now=NOW)
    await service.aclose()
    # the template arm needs no text; each LLM arm's style is one prompt for these customers
    assert report.template_arm == arms.count("template")
    assert report.keys == 2 and report.written == 2 and len(fake.requests) == 2
