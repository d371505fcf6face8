"""bench/generation.py on the demo data: the measured run and the served run with a deadline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import generation
from bot.catalog import list_products
from bot.generation import (
    CatalogVocabulary,
    OpenAICompatibleGenerator,
    OutputValidator,
    load_campaigns,
)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):
    store = generation.load_demo(tmp_path_factory.mktemp("gen-bench"))
    products = list_products(store)
    campaigns = load_campaigns(generation.ROOT / "data" / "campaigns.yml", products)
    yield store, campaigns, OutputValidator(CatalogVocabulary(products))
    store.close()


async def test_guardrails_catch_every_broken_synthetic_draft(demo) -> None:
    store, campaigns, validator = demo
    pairs = generation.pick_pairs(store, campaigns, 30)
    runner, url = await generation.start_fake_llm(0.5, 0.0, 1, ["Other laptop"])
    try:
        line = await generation.measure(
            "synthetic", store, OpenAICompatibleGenerator(url, "synthetic"), pairs, campaigns, validator,
            {"synthetic": True},
        )
    finally:
        await runner.cleanup()
    assert line["promotions"] == 30
    assert line["violation_rate_before"] > 0 and line["violation_rate_after"] == 0


async def test_serving_answers_past_the_deadline_with_the_template_and_counts_who_wrote_what(demo) -> None:
    store, campaigns, validator = demo
    pairs = generation.pick_pairs(store, campaigns, 8)
    pairs = pairs + pairs[:4]  # repeated prompts: served from the cache once their draft finished
    runner, url = await generation.start_fake_llm(0.0, 0.3, 1, ["Other laptop"])
    try:
        line = await generation.serve(
            "openai", store, OpenAICompatibleGenerator(url, "synthetic"), pairs, campaigns, validator,
            deadline_s=0.1, interval_s=0.05,
        )
    finally:
        await runner.cleanup()
    json.dumps(line)
    assert line["promotions"] == 12 and sum(line["sources"].values()) == 12
    assert line["sources"].get("template (deadline)", 0) >= 1
    assert line["violation_rate_after"] == 0
    assert 0 <= line["llm_written_rate"] <= 1


def test_script_runs_from_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert generation.asyncio.run(generation.main(["--n", "6", "--no-fake-llm"])) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    [template] = [x for x in lines if x.get("backend") == "template"]
    assert template["promotions"] == 6 and template["violation_rate_after"] == 0


async def test_prewritten_texts_are_served_within_the_deadline(demo) -> None:
    store, campaigns, validator = demo
    pairs = generation.pick_pairs(store, campaigns, 8)
    # every synthetic draft is valid and slower than the deadline: only pre-writing helps
    runner, url = await generation.start_fake_llm(0.0, 0.3, 1, ["Other laptop"])
    try:
        line = await generation.serve(
            "openai", store, OpenAICompatibleGenerator(url, "synthetic"), pairs, campaigns, validator,
            deadline_s=0.1, interval_s=0.01, prewrite=True,
        )
    finally:
        await runner.cleanup()
    written = line["prewritten"]
    assert written["requests"] == 8 and written["written"] == written["keys"] > 0
    assert written["covered_requests"] == 8
    assert line["sources"] == {"llm, cached": 8} and line["llm_written_rate"] == 1.0
    assert line["violation_rate_after"] == 0
