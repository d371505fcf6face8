"""bench/sentiment.py on a tiny bilingual CSV (bot environment: encoder, snownlp, vaderSentiment)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.bench.conftest import write_csv

pytest.importorskip("snownlp")
pytest.importorskip("vaderSentiment")

ROWS = [
    ("这个手机太好用了，非常满意！", "1"),
    ("质量太差了，用了两天就坏了，再也不买了", "0"),
    ("物流很快，包装也很好，推荐购买", "1"),
    ("Absolutely love it, works perfectly", "1"),
    ("Terrible product, it broke after one day and support never answered", "0"),
    ("a gorgeous, witty and moving film", "1"),
    ("a dull, lifeless mess", "0"),
    ("this row has no usable label", "x"),
]


def test_one_line_per_system_with_languages_split(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from bench import sentiment

    path = write_csv(tmp_path / "test.csv", ROWS, header=("review", "polarity"))
    assert sentiment.main(["--test", str(path), "--text-col", "review", "--label-col", "polarity"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["system"] for line in lines] == ["ipm", "snownlp", "vader"]
    assert [line["n"] for line in lines] == [7, 3, 4]
    for line in lines:
        assert {"accuracy", "macro_f1", "ms_per_text"} <= set(line)
        assert 0 <= line["accuracy"] <= 1 and 0 <= line["macro_f1"] <= 1
        assert line["ms_per_text"] > 0
    ipm = lines[0]
    assert ipm["by_language"]["zh"]["n"] == 3 and ipm["by_language"]["en"]["n"] == 4
    assert ipm["accuracy"] == 1.0  # plain praise and complaints in both languages


def test_scores_are_binary_accuracy_and_macro_f1() -> None:
    from bench.sentiment import scores

    assert scores([1, 1, 0, 0], [1, 0, 0, 0]) == {"accuracy": 0.75, "macro_f1": round((2 / 3 + 0.8) / 2, 4)}
    assert scores([], []) == {"accuracy": None, "macro_f1": None}
