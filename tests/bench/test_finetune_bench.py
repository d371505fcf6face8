"""bench/finetune.py on a tiny random BERT: both systems reported, only the top layers learn."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.bench.conftest import write_csv

torch = pytest.importorskip("torch")

REFUND = ["I want a refund", "refund my money please", "give me my money back", "refund the order now",
          "money back for this order", "please refund me", "I demand a refund", "refund refund refund"]
PARCEL = ["where is my parcel", "my parcel has not arrived", "track my parcel", "parcel delivery status",
          "when does the parcel arrive", "the parcel is late", "parcel still missing", "parcel parcel parcel"]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    from tests.tiny_models import write_tiny_bert

    return write_tiny_bert(tmp_path_factory.mktemp("ft") / "tiny-bert")


def _files(tmp_path: Path) -> tuple[Path, Path]:
    rows = [(t, "refund") for t in REFUND] + [(t, "parcel") for t in PARCEL]
    return write_csv(tmp_path / "train.csv", rows), write_csv(tmp_path / "test.csv", rows[::3])


def test_reports_frozen_then_tuned_and_the_tuned_head_learns(tmp_path: Path, tiny: Path, capsys) -> None:
    from bench import finetune

    train, test = _files(tmp_path)
    out = tmp_path / "vectors.npz"
    argv = ["--train", str(train), "--test", str(test), "--model", str(tiny), "--prefix", "", "--top", "1",
            "--epochs", "40", "--batch", "8", "--lr", "1e-3", "--head-lr", "5e-2", "--threads", "1",
            "--save-vectors", str(out)]
    assert finetune.main(argv) == 0
    frozen, tuned = (json.loads(line) for line in capsys.readouterr().out.splitlines())
    assert frozen["system"] == "frozen" and tuned["system"] == "top1"
    for line in (frozen, tuned):
        assert {"accuracy", "macro_f1", "train_s", "n_train", "n_test"} <= set(line)
        assert line["n_train"] == 16 and line["n_test"] == 6
    assert tuned["steps"] == 2 * 40 and tuned["extra_encoder_share"] == 0.5
    assert tuned["accuracy"] == 1.0 and tuned["macro_f1"] == 1.0  # two word-disjoint intents, 40 epochs
    import numpy as np

    with np.load(out) as arrays:
        assert arrays["frozen_train"].shape == arrays["tuned_train"].shape == (16, 16)
        assert not np.allclose(arrays["frozen_test"], arrays["tuned_test"])


def test_only_the_top_layers_change(tiny: Path) -> None:
    from bench.finetune import TopLayers, fine_tune

    net = TopLayers(tiny, top=1, prefix="")
    before = {name: p.detach().clone() for name, p in net.model.named_parameters()}
    states = net.lower_states(REFUND + PARCEL)
    assert [len(s) for s in states] == [len(e.ids) for e in net.tokenizer.encode_batch(REFUND + PARCEL)]
    _, steps = fine_tune(net, states, [0] * 8 + [1] * 8, 2, epochs=2, lr=1e-3, head_lr=1e-2, batch=4)
    assert steps == 8
    changed = {name for name, p in net.model.named_parameters() if not torch.equal(p, before[name])}
    assert changed and all(name.startswith("encoder.layer.1.") for name in changed)


def test_missing_column_is_a_clear_error(tmp_path: Path, tiny: Path) -> None:
    from bench import finetune

    path = write_csv(tmp_path / "bad.csv", [("hello", "greet")], header=("utterance", "intent"))
    with pytest.raises(SystemExit, match="no column"):
        finetune.main(["--train", str(path), "--test", str(path), "--model", str(tiny)])
