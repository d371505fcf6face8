"""Linear heads: training, prediction, the encoder check and the pickle-free round trip."""

from __future__ import annotations

import numpy as np
import pytest

from bot.errors import ModelError
from bot.understanding.heads import LinearHead, fit_logistic_head


def _blobs(seed: int = 0) -> tuple[np.ndarray, list[str]]:
    rng = np.random.default_rng(seed)
    centers = np.eye(3, 8, dtype=np.float32) * 3
    x = np.concatenate([c + 0.3 * rng.standard_normal((20, 8)) for c in centers]).astype(np.float32)
    y = ["a"] * 20 + ["b"] * 20 + ["c"] * 20
    return x, y


def test_fit_predict_save_load_round_trip(tmp_path) -> None:
    x, y = _blobs()
    head = fit_logistic_head(x, y, encoder="enc-1", meta={"task": "t"})
    proba = head.predict_proba(x)
    assert proba.shape == (60, 3) and np.allclose(proba.sum(axis=1), 1.0, atol=1e-5)
    assert (np.array(head.labels)[proba.argmax(axis=1)] == np.array(y)).mean() == 1.0
    head.save(tmp_path / "h.npz")
    loaded = LinearHead.load(tmp_path / "h.npz")
    assert loaded.labels == head.labels and loaded.encoder == "enc-1" and loaded.meta == {"task": "t"}
    assert np.allclose(loaded.predict_proba(x), proba, atol=1e-6)


def test_binary_head_with_one_row_is_logistic() -> None:
    head = LinearHead(np.array([[2.0, 0.0]], np.float32), np.zeros(1, np.float32), ["neg", "pos"], "e")
    proba = head.predict_proba(np.array([[1.0, 0.0], [-1.0, 0.0]], np.float32))
    assert proba[0, 1] > 0.85 and proba[1, 1] < 0.15


def test_head_refuses_another_encoder() -> None:
    x, y = _blobs()
    head = fit_logistic_head(x, y, encoder="enc-1")
    head.check_encoder("enc-1", 8)
    with pytest.raises(ModelError, match="retrain"):
        head.check_encoder("enc-2", 8)
    with pytest.raises(ModelError):
        head.check_encoder("enc-1", 16)


def test_missing_or_corrupt_files_are_model_errors(tmp_path) -> None:
    with pytest.raises(ModelError):
        LinearHead.load(tmp_path / "missing.npz")
    (tmp_path / "bad.npz").write_bytes(b"not an npz")
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(ModelError):
        LinearHead.load(tmp_path / "bad.npz")


def test_one_label_cannot_train() -> None:
    with pytest.raises(ModelError):
        fit_logistic_head(np.zeros((3, 2), np.float32), ["a", "a", "a"], encoder="e")
