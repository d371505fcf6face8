"""bench/intent.py: its helpers (any environment) and a whole run on tiny CSVs.

The whole run needs the Rasa environment (.venv-rasa, run as a subprocess, so this file
works from either environment's pytest) and an embedding server (started if none answers).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from bench import intent
from tests.bench.conftest import RASA_PYTHON, ROOT, write_csv

TRAIN = {
    "greet": ["hello", "hi there", "good morning", "你好", "hey there, hello"],
    "order_status": ["where is my order", "when will my parcel arrive", "track my package", "我的快递到哪了",
                     "订单什么时候发货"],
    "card lost/stolen": ["I lost my debit card", "my card was stolen", "someone took my credit card",
                         "我的银行卡丢了", "信用卡被偷了"],
}
TEST = [("hi, hello!", "greet"), ("早上好", "greet"), ("where's my delivery", "order_status"),
        ("查一下物流", "order_status"), ("I can't find my card, I think I lost it", "card lost/stolen"),
        ("银行卡不见了", "card lost/stolen")]
OOS_TRAIN = ["what is the weather like", "tell me a joke"]
OOS_TEST = [("who won the football game yesterday", "oos")]


def run_bench(embeddings_url: str, *args: str) -> list[dict]:
    """Run bench/intent.py with the Rasa environment's Python; its JSON lines, parsed."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "IPM_EMBEDDINGS_URL": embeddings_url,
           "TF_CPP_MIN_LOG_LEVEL": "3", "RASA_TELEMETRY_ENABLED": "false", "PYTHONWARNINGS": "ignore"}
    done = subprocess.run([str(RASA_PYTHON), "bench/intent.py", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def test_intent_names_are_valid_rasa_intents() -> None:
    names = intent.intent_names(["card lost/stolen", "card lost stolen", "greet", "nlu_fallback"])
    assert names["greet"] == "greet"
    assert names["card lost/stolen"] != names["card lost stolen"]
    assert all("/" not in n and " " not in n for n in names.values())
    assert names["nlu_fallback"] != "nlu_fallback"


def test_yaml_keeps_bracketed_text_a_plain_example(tmp_path: Path) -> None:
    rows = [("my [card](bank) was blocked", "a"), ("hello", "b"), ("hello", "b")]
    path = tmp_path / "nlu.yml"
    intent.write_nlu_yaml(rows, intent.intent_names(["a", "b"]), path)
    text = path.read_text(encoding="utf-8")
    assert "[card](bank)" not in text and "(card)(bank)" in text
    assert text.count("- hello") == 1


def test_threshold_trades_in_scope_accuracy_for_oos_recall() -> None:
    parsed = intent.Parsed(gold=["a", "a", "oos", "oos"], top=["a", "b", "a", "b"], confidence=[0.9, 0.3, 0.2, 0.4])
    assert intent.choose_threshold(parsed, "oos") == pytest.approx(0.9)  # 0.4 < t <= 0.9: all but the wrong one
    scores = intent.oos_scores(parsed, "oos", 0.5)
    assert scores["oos_recall"] == 1.0 and scores["in_scope_accuracy"] == 0.5


@pytest.mark.skipif(not RASA_PYTHON.exists(), reason="the Rasa environment (.venv-rasa) is missing")
def test_whole_run_prints_one_line_per_system(tmp_path: Path, embeddings_url: str) -> None:
    train = write_csv(tmp_path / "train.csv",
                      [(t, i) for i, ts in TRAIN.items() for t in ts] + [(t, "oos") for t in OOS_TRAIN],
                      header=("utterance", "intent"))
    test = write_csv(tmp_path / "test.csv", TEST + OOS_TEST, header=("utterance", "intent"))
    lines = run_bench(embeddings_url, "--train", str(train), "--test", str(test), "--text-col", "utterance",
                      "--label-col", "intent", "--oos-label", "oos", "--val", str(test), "--diet-epochs", "1")
    assert [line["system"] for line in lines] == ["ipm", "rasa-diet"]
    for line in lines:
        assert {"accuracy", "macro_f1", "train_s", "parse_p50_ms", "parse_p95_ms", "oos_recall",
                "in_scope_accuracy", "threshold"} <= set(line)
        assert 0 <= line["accuracy"] <= 1 and 0 <= line["macro_f1"] <= 1 and line["train_s"] > 0
        assert 0 < line["parse_p50_ms"] <= line["parse_p95_ms"]
        assert line["n_test"] == len(TEST) + len(OOS_TEST)
    # The shared encoder knows these requests in both languages from five examples each.
    assert lines[0]["in_scope_accuracy_raw"] >= 5 / 6


def test_refit_rows_add_only_new_validation_texts() -> None:
    train = [("hello", "greet"), ("where is my order", "order_status")]
    val = [("hello", "order_status"), ("track my parcel", "order_status"), ("what's the weather", "oos")]
    assert intent.refit_rows(train, val) == [*train, ("track my parcel", "order_status"), ("what's the weather", "oos")]


@pytest.mark.skipif(not RASA_PYTHON.exists(), reason="the Rasa environment (.venv-rasa) is missing")
def test_refit_tests_a_model_trained_on_train_and_val(tmp_path: Path, embeddings_url: str) -> None:
    # Validation teaches an intent the training file lacks: only the refitted model can predict it.
    train = write_csv(tmp_path / "train.csv", [(t, i) for i, ts in TRAIN.items() for t in ts] +
                      [(t, "oos") for t in OOS_TRAIN])
    val_rows = [("I want to close my account", "close_account"), ("please cancel my account", "close_account"),
                ("注销我的账户", "close_account"), ("what is the weather like", "oos"), ("hi", "greet")]
    val = write_csv(tmp_path / "val.csv", val_rows)
    test = write_csv(tmp_path / "test.csv", [("close my bank account", "close_account"), ("我要注销账户", "close_account")])
    (line,) = run_bench(embeddings_url, "--train", str(train), "--test", str(test), "--val", str(val),
                        "--oos-label", "oos", "--refit", "--systems", "ipm")
    assert line["refit"] is True and line["n_train"] == sum(map(len, TRAIN.values())) + len(OOS_TRAIN) + 4  # the weather is known
    assert line["choose_train_s"] > 0 and line["train_s"] > 0
    assert line["in_scope_accuracy_raw"] == 1.0  # both test messages: the intent only validation taught


def test_threshold_can_keep_in_scope_accuracy_above_a_floor() -> None:
    parsed = intent.Parsed(gold=["a", "a", "a", "oos", "oos"], top=["a", "a", "a", "a", "a"],
                           confidence=[0.9, 0.8, 0.5, 0.6, 0.3])
    assert intent.choose_threshold(parsed, "oos", min_in_scope=0.6) == pytest.approx(0.8)  # drops one in-scope
    assert intent.choose_threshold(parsed, "oos", min_in_scope=1.0) == pytest.approx(0.5)


def test_rasa_nlu_yaml_is_read_as_training_rows(tmp_path: Path) -> None:
    folder = tmp_path / "nlu"
    folder.mkdir()
    (folder / "a.yml").write_text(
        'version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - hello\n    - hi [Anna](name)\n'
        '- synonym: NYC\n  examples: |\n    - new york\n', encoding="utf-8")
    (folder / "b.yaml").write_text(
        'nlu:\n- intent: order_status\n  examples: |\n    - 我的快递到哪了\n', encoding="utf-8")
    assert intent.read_rows(folder, "text", "label") == [
        ("hello", "greet"), ("hi Anna", "greet"), ("我的快递到哪了", "order_status")]
    assert intent.read_rows(folder / "b.yaml", "text", "label") == [("我的快递到哪了", "order_status")]
    (tmp_path / "empty.yml").write_text("nlu: []\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="no intent examples"):
        intent.read_rows(tmp_path / "empty.yml", "text", "label")


def test_the_bots_held_out_intent_sets_cover_every_intent_and_out_of_scope() -> None:
    trained = {label for _, label in intent.read_rows(ROOT / "data" / "nlu", "text", "label")}
    for split in ("val", "test"):
        rows = intent.read_rows(ROOT / "bench" / "data" / f"bot_intents_{split}.csv", "text", "label")
        assert {label for _, label in rows} == trained
        examples = {t.lower() for t, _ in intent.read_rows(ROOT / "data" / "nlu", "text", "label")}
        assert not [t for t, _ in rows if t.lower() in examples], "held-out messages must not be training examples"
