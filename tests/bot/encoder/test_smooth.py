"""SmoothQuant before int8: the fp32 function is kept, and an outlier channel stops costing accuracy."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from bot.encoder._smooth import CALIBRATION_FILE, calibration_texts, smooth_graph

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

VOCAB, WIDTH, OUT = 64, 32, 8


@dataclass
class _Encoding:
    ids: list[int]


class _CharTokenizer:
    """One id per character: enough to drive a graph whose only input is ``input_ids``."""

    def encode_batch(self, texts: list[str]) -> list[_Encoding]:
        return [_Encoding([1 + ord(c) % (VOCAB - 1) for c in text]) for text in texts]


def _outlier_graph(path: Path) -> None:
    """Token embeddings (one channel 50 times the others) -> MatMul -> the output."""
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    table = rng.normal(size=(VOCAB, WIDTH)).astype(np.float32)
    weight = rng.normal(size=(WIDTH, OUT)).astype(np.float32)
    # The kind of channel transformers grow, and per-call int8 handles worst: 50 times the
    # others' range, with small weights, so it matters no more than they do in the output.
    table[:, 3] *= 50.0
    weight[3] /= 50.0
    graph = helper.make_graph(
        [
            helper.make_node("Gather", ["table", "input_ids"], ["embedded"]),
            helper.make_node("Cast", ["attention_mask"], ["mask_f"], to=TensorProto.FLOAT),
            helper.make_node("Unsqueeze", ["mask_f", "axes"], ["mask_3d"]),
            helper.make_node("Mul", ["embedded", "mask_3d"], ["masked"]),
            helper.make_node("MatMul", ["masked", "weight"], ["hidden"]),
        ],
        "outlier",
        [
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["b", "t"]),
            helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["b", "t"]),
        ],
        [helper.make_tensor_value_info("hidden", TensorProto.FLOAT, ["b", "t", OUT])],
        [
            numpy_helper.from_array(table, "table"),
            numpy_helper.from_array(weight, "weight"),
            numpy_helper.from_array(np.array([2], dtype=np.int64), "axes"),
        ],
    )
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))


def _run(path: Path, ids: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {"input_ids": ids, "attention_mask": np.ones_like(ids)})[0]


def _quantize(source: Path, target: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8, per_channel=True,
                     op_types_to_quantize=["MatMul"])  # as quantize_onnx does


def test_smoothing_keeps_the_function_and_shrinks_the_int8_error(tmp_path: Path) -> None:
    plain, smoothed = tmp_path / "plain.onnx", tmp_path / "smoothed.onnx"
    _outlier_graph(plain)
    texts = ["calibration text one", "另一句校准文本", "short"]
    assert smooth_graph(plain, smoothed, _CharTokenizer(), texts) == 1
    ops = [node.op_type for node in onnx.load(str(smoothed)).graph.node]
    assert ops.count("Mul") == 2 and ops.index("MatMul") > len(ops) - 2  # the new Mul sits before it

    ids = np.array([[1 + ord(c) % (VOCAB - 1) for c in "a message never seen in calibration"]], dtype=np.int64)
    reference = _run(plain, ids)
    assert np.allclose(_run(smoothed, ids), reference, rtol=1e-4, atol=1e-3)  # same fp32 function

    _quantize(plain, tmp_path / "plain_int8.onnx")
    _quantize(smoothed, tmp_path / "smoothed_int8.onnx")
    error_plain = np.abs(_run(tmp_path / "plain_int8.onnx", ids) - reference).mean()
    error_smoothed = np.abs(_run(tmp_path / "smoothed_int8.onnx", ids) - reference).mean()
    assert error_smoothed < error_plain / 3, (error_smoothed, error_plain)


def test_smoothing_without_calibration_texts_is_an_error(tmp_path: Path) -> None:
    _outlier_graph(tmp_path / "plain.onnx")
    with pytest.raises(ValueError, match="calibration texts"):
        smooth_graph(tmp_path / "plain.onnx", tmp_path / "out.onnx", _CharTokenizer(), [])


def test_packaged_calibration_texts_are_bilingual() -> None:
    texts = calibration_texts()
    assert CALIBRATION_FILE.is_file() and len(texts) >= 500
    chinese = sum(any("\u4e00" <= ch <= "\u9fff" for ch in t) for t in texts)
    assert 0.2 < chinese / len(texts) < 0.8  # both languages the encoder serves


def test_a_graph_without_constant_weight_products_is_written_unchanged(tmp_path: Path) -> None:
    from onnx import TensorProto, helper, numpy_helper

    table = numpy_helper.from_array(np.ones((VOCAB, WIDTH), dtype=np.float32), "table")
    graph = helper.make_graph(
        [helper.make_node("Gather", ["table", "input_ids"], ["hidden"])], "lookup",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["b", "t"]),
         helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["b", "t"])],
        [helper.make_tensor_value_info("hidden", TensorProto.FLOAT, ["b", "t", WIDTH])], [table],
    )
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(tmp_path / "in.onnx"))
    assert smooth_graph(tmp_path / "in.onnx", tmp_path / "out.onnx", _CharTokenizer(), ["text"]) == 0
    assert [n.op_type for n in onnx.load(str(tmp_path / "out.onnx")).graph.node] == ["Gather"]
