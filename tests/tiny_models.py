"""Tiny random checkpoints with the packaged encoder's tokenizer, for tests that need a real model fast."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from bot.settings import EncoderSettings


def write_tiny_bert(out: Path, layers: int = 2, seed: int = 0) -> Path:
    """A random BERT (hidden size 16) saved to ``out`` with the default encoder's tokenizer.

    Needs torch and the exported default model (``make install``); callers skip without torch.
    """
    import torch
    from transformers import BertConfig, BertModel

    torch.manual_seed(seed)
    default_dir = EncoderSettings().onnx_model_dir()
    vocab = json.loads((default_dir / "config.json").read_text())["vocab_size"]
    config = BertConfig(
        vocab_size=vocab, hidden_size=16, num_hidden_layers=layers, num_attention_heads=2,
        intermediate_size=32, max_position_embeddings=64, pad_token_id=1,
    )
    BertModel(config, add_pooling_layer=False).save_pretrained(out)
    shutil.copy(default_dir / "tokenizer.json", out / "tokenizer.json")
    (out / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": 64}))
    return out
