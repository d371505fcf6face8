"""ExampleSupport: nearest-example similarity per label, the confidence factors, save/load."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bot.errors import ModelError
from bot.understanding.support import ExampleSupport


def _angle(degrees: float) -> list[float]:
    r = np.deg2rad(degrees)
    return [float(np.cos(r)), float(np.sin(r))]


# Two tight clusters on the unit circle: "a" around 0 degrees, "b" around 90 degrees.
VECTORS = np.array([_angle(d) for d in (0, 80, 5, 85, 10, 90)], dtype=np.float32)
LABELS = ["a", "b", "a", "b", "a", "b"]  # interleaved on purpose: fit sorts by label


def test_reference_is_the_quantile_of_leave_one_out_similarities() -> None:
    support = ExampleSupport.fit(VECTORS, LABELS, quantile=0.0)
    # Each example's nearest *other* example of its label is 5 degrees away (never itself).
    assert support.reference == pytest.approx(np.cos(np.deg2rad(5)), abs=1e-5)
    assert support.labels == ["a", "b"] and support.meta["reference_examples"] == 6


def test_similarities_take_the_nearest_example_of_each_label() -> None:
    support = ExampleSupport.fit(VECTORS, LABELS)
    sims = support.similarities(np.array([_angle(7), _angle(45)], dtype=np.float32) * 3)  # any length
    assert sims[0] == pytest.approx([np.cos(np.deg2rad(2)), np.cos(np.deg2rad(73))], abs=1e-5)
    assert sims[1] == pytest.approx([np.cos(np.deg2rad(35))] * 2, abs=1e-5)


def test_factors_keep_typical_messages_and_shrink_unlike_ones() -> None:
    support = ExampleSupport.fit(VECTORS, LABELS, weight=20.0)
    factors = support.factors(np.array([_angle(3), _angle(45)], dtype=np.float32), ["b", "a", "zzz"])
    assert factors[0, 1] == 1.0  # as close to a's examples as they are to each other
    assert factors[0, 0] < 1e-3  # nothing like b
    assert 0 < factors[1, 0] < 0.1 and 0 < factors[1, 1] < 0.1  # between the two: unlike both
    assert factors[:, 2].tolist() == [1.0, 1.0]  # a label without examples is left alone


def test_exempt_labels_and_weight_zero_leave_confidence_alone() -> None:
    probe = np.array([_angle(45)], dtype=np.float32)
    assert ExampleSupport.fit(VECTORS, LABELS, exempt=["b"]).factors(probe, ["a", "b"])[0, 1] == 1.0
    assert ExampleSupport.fit(VECTORS, LABELS, weight=0.0).factors(probe, ["a", "b"]).tolist() == [[1.0, 1.0]]


def test_save_load_round_trip(tmp_path) -> None:
    support = ExampleSupport.fit(VECTORS, LABELS, weight=15.0, quantile=0.2, exempt=["b"])
    support.save(tmp_path, "intent")
    assert ExampleSupport.exists(tmp_path, "intent") and not ExampleSupport.exists(tmp_path, "other")
    loaded = ExampleSupport.load(tmp_path, "intent")
    probe = np.array([_angle(20), _angle(60)], dtype=np.float32)
    assert loaded.labels == support.labels and loaded.exempt == {"b"} and loaded.weight == 15.0
    np.testing.assert_allclose(loaded.factors(probe, ["a", "b"]), support.factors(probe, ["a", "b"]), atol=1e-3)


def test_inconsistent_or_missing_files_are_model_errors(tmp_path) -> None:
    with pytest.raises(ModelError):
        ExampleSupport.load(tmp_path, "intent")
    ExampleSupport.fit(VECTORS, LABELS).save(tmp_path, "intent")
    info = json.loads((tmp_path / "intent_support.json").read_text(encoding="utf-8"))
    info["labels"] = ["a", "b", "c"]
    (tmp_path / "intent_support.json").write_text(json.dumps(info), encoding="utf-8")
    with pytest.raises(ModelError, match="inconsistent"):
        ExampleSupport.load(tmp_path, "intent")


@pytest.mark.parametrize(("vectors", "labels", "kwargs"), [
    (VECTORS, LABELS[:-1], {}),
    (VECTORS[:0], [], {}),
    (VECTORS, LABELS, {"quantile": 1.5}),
    (VECTORS, LABELS, {"weight": -1.0}),
])
def test_bad_input_is_rejected(vectors, labels, kwargs) -> None:
    with pytest.raises(ModelError):
        ExampleSupport.fit(vectors, labels, **kwargs)


def test_single_example_labels_are_scored_but_set_no_reference() -> None:
    support = ExampleSupport.fit(VECTORS[:3], ["a", "b", "c"])
    assert support.reference == 0.0 and support.meta["reference_examples"] == 0
    assert support.similarities(VECTORS[:1]).shape == (1, 3)


def test_factors_follow_the_callers_label_order_with_unknown_and_exempt_labels() -> None:
    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(60, 8)).astype(np.float32)
    labels = [f"intent{i % 6}" for i in range(60)]
    support = ExampleSupport.fit(vectors, labels, weight=20.0, exempt=["intent2"])
    probe = rng.normal(size=(4, 8)).astype(np.float32)
    order = ["intent5", "never_trained", "intent2", "intent0", "intent3", "intent1", "intent4"]
    factors = support.factors(probe, order)
    sims = support.similarities(probe)  # columns in support.labels order
    for j, label in enumerate(order):
        if label in ("never_trained", "intent2"):
            assert (factors[:, j] == 1.0).all()
        else:
            i = support.labels.index(label)
            expected = np.minimum(1.0, np.exp(20.0 * (sims[:, i] - support.reference)))
            assert np.allclose(factors[:, j], expected)
    assert (factors < 1.0).any()  # the probe is random: some intents lose confidence
