"""``ipm promotions prewrite`` end to end: a small shop, the real encoder and recommender, a fake LLM server."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from bot.importer import import_file
from tests.bot.generation.test_service import echo_draft

CUSTOMERS = """sender_id,locale,marketing_consent,consent_at,age,city,annual_income,employment
c1,zh,true,2026-01-02T00:00:00Z,31,Suzhou,250000,employed
c2,en,true,2026-01-02T00:00:00Z,35,Shenzhen,200000,employed
c3,en,true,2026-01-02T00:00:00Z,28,Beijing,150000,employed
c4,zh,false,,45,Beijing,90000,employed
"""
INTERACTIONS = """event_id,sender_id,sku,kind,value,occurred_at
e1,c1,PH-1,view,,2026-11-01T10:00:00Z
e2,c1,PH-2,view,,2026-11-01T10:01:00Z
e3,c2,KT-1,purchase,,2026-11-02T10:00:00Z
e4,c2,KT-2,view,,2026-11-02T10:01:00Z
e5,c3,HP-1,view,,2026-11-03T10:00:00Z
e6,c3,PH-3,view,,2026-11-03T10:01:00Z
e7,c4,PH-1,purchase,,2026-11-04T10:00:00Z
"""


@pytest.fixture
def shop_db(catalog_services: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The small bilingual catalog with four customers (three consenting) and their behaviour."""
    for kind, text in (("customers", CUSTOMERS), ("interactions", INTERACTIONS)):
        path = tmp_path / f"{kind}.csv"
        path.write_text(text, encoding="utf-8")
        import_file(kind, path, catalog_services.store, progress=False)
    monkeypatch.setenv("IPM_DATA_DIR", str(catalog_services.settings.data_dir))
    return str(catalog_services.settings.database.url)


def test_prewrite_says_it_needs_an_llm_backend(
    shop_db: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("IPM_LLM__BACKEND", "template")
    assert main(["--db", shop_db, "-q", "promotions", "prewrite"]) == 1
    assert "IPM_LLM__BACKEND=llama-cpp or openai" in capsys.readouterr().err


def test_prewrite_rejects_an_unknown_language(
    shop_db: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("IPM_LLM__BACKEND", "openai")
    monkeypatch.setenv("IPM_LLM__BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("IPM_LLM__MODEL", "m")
    assert main(["--db", shop_db, "-q", "promotions", "prewrite", "--languages", "zh,fr"]) == 2
    assert "fr (use zh, en or locale)" in capsys.readouterr().err


async def test_prewrite_plans_each_consenting_customers_top_pick_and_writes_it_once(
    shop_db: str, fake_llm: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url, fake = fake_llm
    fake.default = echo_draft
    for name, value in {"IPM_LLM__BACKEND": "openai", "IPM_LLM__BASE_URL": url, "IPM_LLM__MODEL": "m",
                        "IPM_EXPERIMENTS__PROMOTION_EXPERIMENT": ""}.items():
        monkeypatch.setenv(name, value)
    argv = ["--db", shop_db, "-q", "promotions", "prewrite", "--json", "--languages", "zh,en"]
    assert await asyncio.to_thread(main, [*argv, "--dry-run"]) == 0
    planned = json.loads(capsys.readouterr().out)
    assert planned["keys"] >= 2 and planned["written"] == 0 and fake.requests == []
    # the command runs its own event loop: in a thread, while this loop serves the fake LLM
    assert await asyncio.to_thread(main, argv) == 0
    first = json.loads(capsys.readouterr().out)
    # three consenting customers (c4 has not consented), one top pick each, in both languages
    assert first["requests"] == 6 and first["not_eligible"] == 0 and first["template_arm"] == 0
    assert planned["keys"] == first["keys"] == first["written"] == len(fake.requests)
    assert first["covered_requests"] == 6 and first["rejected"] == 0
    asked = {json.dumps(r["body"]["messages"], ensure_ascii=False) for r in fake.requests}
    assert any("Nova X5" in a or "Pixelon" in a or "Zen Lite" in a for a in asked)  # c1's phones
    assert await asyncio.to_thread(main, argv) == 0
    second = json.loads(capsys.readouterr().out)
    assert second["already_kept"] == first["keys"] and second["written"] == 0
    assert len(fake.requests) == first["written"]
