"""SmoothQuant for the int8 graph: move activation outliers into the weights before quantizing.

Dynamic int8 quantization gives each activation tensor one scale per call, so a few channels
with large values (transformers have them: the inputs of the feed-forward output projection
after GELU most of all) squeeze every other channel into a handful of int8 steps. SmoothQuant
(Xiao et al., 2023) divides each input channel ``j`` of a matrix product by ``s_j`` and
multiplies row ``j`` of its weight by ``s_j``: the fp32 result is unchanged, but activations and
weights now share the range, and both quantize with less error. ``s_j = a_j**alpha / w_j**(1 -
alpha)``, with ``a_j`` the largest ``|activation|`` of the channel over calibration texts and
``w_j`` the largest ``|weight|`` of its row.

On the packaged multilingual-e5-small (docs/benchmarks.md, "Encoder: int8 with SmoothQuant"),
smoothing every matrix product with ``alpha = 0.8`` brings the int8 vectors from a mean cosine of
0.9976 with the fp32 graph's to 0.9996 for about 0.4 ms more per message; the sentiment head
then scores within one to three texts of fp32 where plain int8 lost up to seven.

The division is a ``Mul`` inserted before each smoothed product (one per input tensor, shared by
the products that read it: Q, K and V of an unfused attention), so residual connections that read
the same tensor keep the unscaled values.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

logger = logging.getLogger(__name__)

ALPHA = 0.8
"""Migration strength: how much of each channel's range moves to the weights (0.5 to 1 is usual;
0.8 agreed best with fp32 on the calibration texts, docs/benchmarks.md)."""

CALIBRATION_FILE = Path(__file__).with_name("assets") / "calibration.txt"
"""520 Chinese and English texts of this project's own (demo reviews, catalog, NLU examples,
aspect sentences): one per line."""

_BATCH = 16


def calibration_texts(path: Path = CALIBRATION_FILE) -> list[str]:
    """The non-empty lines of ``path``."""
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _smoothable(graph: Any) -> dict[str, list[Any]]:
    """Products with a constant 2-D weight (MatMul, fused Attention), grouped by input tensor."""
    weights = {init.name: init for init in graph.initializer}
    groups: dict[str, list[Any]] = {}
    for node in graph.node:
        if node.op_type not in ("MatMul", "Attention") or len(node.input) < 2:
            continue
        weight = weights.get(node.input[1])
        if weight is None or len(weight.dims) != 2:
            continue
        groups.setdefault(node.input[0], []).append(node)
    return groups


def _channel_maxima(
    model: Any, tensors: Sequence[str], batches: Sequence[tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]],
) -> dict[str, npt.NDArray[np.float32]]:
    """The largest ``|value|`` of each channel of ``tensors`` over the real (unpadded) tokens."""
    import onnxruntime as ort
    from onnx import TensorProto, helper

    probe = type(model)()
    probe.CopyFrom(model)
    for name in tensors:
        probe.graph.output.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, None))
    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(probe.SerializeToString(), options, providers=["CPUExecutionProvider"])
    maxima: dict[str, npt.NDArray[np.float32]] = {}
    for ids, mask in batches:
        outputs = session.run(list(tensors), {"input_ids": ids, "attention_mask": mask})
        real = mask.reshape(-1).astype(bool)
        for name, value in zip(tensors, outputs):
            rows = value.reshape(-1, value.shape[-1])
            if rows.shape[0] == real.shape[0]:
                rows = rows[real]  # padded positions carry values no real message produces
            peak = np.abs(rows).max(axis=0).astype(np.float32)
            maxima[name] = peak if name not in maxima else np.maximum(maxima[name], peak)
    return maxima


def _batches(
    tokenizer: Any, texts: Sequence[str], pad_id: int,
) -> list[tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]]:
    encoded = sorted((e.ids for e in tokenizer.encode_batch(list(texts))), key=len)
    out = []
    for start in range(0, len(encoded), _BATCH):
        rows = encoded[start:start + _BATCH]
        width = max(len(r) for r in rows)
        ids = np.full((len(rows), width), pad_id, dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.int64)
        for k, row in enumerate(rows):
            ids[k, : len(row)] = row
            mask[k, : len(row)] = 1
        out.append((ids, mask))
    return out


def smooth_graph(
    source: Path, target: Path, tokenizer: Any, texts: Sequence[str], *, pad_id: int = 0, alpha: float = ALPHA,
) -> int:
    """Write ``source``'s graph to ``target`` with every constant-weight product smoothed.

    Args:
        source: an fp32 encoder graph with ``input_ids`` and ``attention_mask`` inputs.
        target: where the smoothed fp32 graph goes (same outputs, up to float rounding).
        tokenizer: a ``tokenizers.Tokenizer`` for the model, truncation set, no padding.
        texts: calibration texts, prefix included.
        pad_id: the padding token's id.
        alpha: migration strength (see ``ALPHA``).

    Returns:
        How many input tensors were smoothed.
    """
    import onnx
    from onnx import numpy_helper

    if not texts:
        raise ValueError("smoothing needs calibration texts")
    model = onnx.load(str(source))
    groups = _smoothable(model.graph)
    if not groups:
        onnx.save(model, str(target))
        return 0
    maxima = _channel_maxima(model, list(groups), _batches(tokenizer, texts, pad_id))
    weights = {init.name: init for init in model.graph.initializer}
    position = {id(node): i for i, node in enumerate(model.graph.node)}
    inserts: list[tuple[int, Any]] = []
    for k, (tensor, nodes) in enumerate(groups.items()):
        arrays = {node.input[1]: numpy_helper.to_array(weights[node.input[1]]) for node in nodes}
        row_peak = np.max([np.abs(w).max(axis=1) for w in arrays.values()], axis=0)
        scale = (np.maximum(maxima[tensor], 1e-5) ** alpha / np.maximum(row_peak, 1e-5) ** (1 - alpha))
        scale = scale.astype(np.float32)
        for name, array in arrays.items():
            weights[name].CopyFrom(numpy_helper.from_array((array * scale[:, None]).astype(array.dtype), name))
        inverse = numpy_helper.from_array((1.0 / scale).astype(np.float32), f"smooth_{k}_inverse")
        model.graph.initializer.append(inverse)
        smoothed = f"{tensor}_smooth_{k}"
        first = min(position[id(node)] for node in nodes)
        inserts.append((first, onnx.helper.make_node("Mul", [tensor, inverse.name], [smoothed], name=f"smooth_{k}")))
        for node in nodes:
            node.input[0] = smoothed
    for index, mul in sorted(inserts, key=lambda item: item[0], reverse=True):
        model.graph.node.insert(index, mul)  # before its first reader: the graph stays sorted
    onnx.save(model, str(target))
    logger.info("smoothed %d input tensors on %d calibration texts (alpha %.2f)", len(groups), len(texts), alpha)
    return len(groups)
