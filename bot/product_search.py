"""Finds catalog products and categories a message talks about, by meaning, in either language.

Example:
    >>> search = ProductSearch(products, encoder)          # doctest: +SKIP
    >>> [(p.sku, round(s, 2)) for p, s in search.search("有没有降噪耳机", k=2)]  # doctest: +SKIP
    [('SHOP-HEAD-003', 0.91), ('SHOP-HEAD-001', 0.89)]
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from bot.catalog import CATEGORY_ALIASES, CATEGORY_LABELS, ProductInfo, category_label
from bot.encoder import Encoder

logger = logging.getLogger(__name__)


def _product_texts(product: ProductInfo) -> tuple[str, str]:
    brand = f"{product.brand} " if product.brand else ""
    return (
        f"{brand}{product.name_en}, {category_label(product.category, 'en')}",
        f"{brand}{product.name_zh}，{category_label(product.category, 'zh')}",
    )


def _names_category(text: str, category: str) -> bool:
    """Whether ``text`` names ``category`` in English (as a word, singular or plural) or Chinese."""
    labels = CATEGORY_LABELS.get(category, (category.replace("_", " "),)) + CATEGORY_ALIASES.get(category, ())
    for label in labels:
        if label.isascii():
            stem = re.escape(label.lower().removesuffix("s"))
            if re.search(rf"\b{stem}s?\b", text.lower()):
                return True
        elif label in text:
            return True
    return False


class ProductSearch:
    """Semantic search over product names and categories (English and Chinese texts of each).

    Args:
        products: the catalog.
        encoder: the shared encoder.
        cache_dir: where product vectors are cached between restarts (keyed by encoder and
            catalog content); ``None`` disables the cache.
    """

    def __init__(self, products: Sequence[ProductInfo], encoder: Encoder, cache_dir: Path | None = None) -> None:
        self.products = list(products)
        self._encoder = encoder
        texts = [t for p in self.products for t in _product_texts(p)]
        self._vectors = self._load_or_embed(texts, cache_dir).reshape(len(self.products), 2, encoder.dim)
        labels = sorted({c for p in self.products for c in [p.category]})
        self._category_ids = labels
        self._product_category = np.array([labels.index(p.category) for p in self.products], dtype=np.int64)
        self._category_vectors = (
            encoder.encode([f"{category_label(c, 'en')} / {category_label(c, 'zh')}" for c in labels])
            if labels else np.zeros((0, encoder.dim), np.float32)
        )

    def _load_or_embed(self, texts: list[str], cache_dir: Path | None) -> npt.NDArray[np.float32]:
        if not texts:
            return np.zeros((0, self._encoder.dim), np.float32)
        key = hashlib.sha256("\n".join([self._encoder.name, *texts]).encode()).hexdigest()[:20]
        path = cache_dir / f"product-vectors-{key}.npz" if cache_dir else None
        if path is not None and path.exists():
            with np.load(path, allow_pickle=False) as data:
                return np.asarray(data["vectors"], dtype=np.float32)
        logger.info("embedding %d product texts", len(texts))
        vectors = self._encoder.encode(texts)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            np.savez(path, vectors=vectors)
        return vectors

    def embed(self, text: str) -> npt.NDArray[np.float32]:
        """The query vector of ``text``."""
        vector: npt.NDArray[np.float32] = self._encoder.encode([text])[0]
        return vector

    def _query(self, text: str, vector: npt.NDArray[np.float32] | None) -> npt.NDArray[np.float32]:
        return vector if vector is not None else self.embed(text)

    @property
    def dim(self) -> int:
        """Vector size of the encoder the index was built with."""
        return int(self._encoder.dim)

    def product_vectors(self) -> npt.NDArray[np.float32]:
        """One unit vector per product (mean of its English and Chinese texts), in catalog order."""
        from bot.encoder import normalize_rows

        return normalize_rows(self._vectors.mean(axis=1))

    def similarities(self, vector: npt.NDArray[np.float32]) -> dict[str, float]:
        """``{sku: cosine}`` of every product to ``vector`` (best of its two language texts)."""
        if not self.products:
            return {}
        scores = (self._vectors @ vector).max(axis=1)
        return {p.sku: float(s) for p, s in zip(self.products, scores)}

    def search(
        self,
        text: str,
        k: int = 3,
        domain: str | None = None,
        vector: npt.NDArray[np.float32] | None = None,
    ) -> list[tuple[ProductInfo, float]]:
        """The ``k`` products most similar to ``text``, best first, with cosine scores."""
        if not self.products:
            return []
        scores = (self._vectors @ self._query(text, vector)).max(axis=1)
        order = np.argsort(-scores)
        hits = [(self.products[i], float(scores[i])) for i in order
                if domain is None or self.products[i].domain == domain]
        return hits[:k]

    def find(self, text: str, k: int = 3, min_margin: float = 0.06) -> list[tuple[ProductInfo, float]]:
        """Products ``text`` is about, best first; empty when it names none in the catalog.

        Absolute cosines mean little with E5-style encoders (unrelated texts score ~0.8), so
        a product counts when it stands out from the catalog: its similarity exceeds the
        catalog's mean similarity by ``min_margin``. Measured on the demo catalog: questions
        about catalog products clear the mean by 0.067-0.146, questions about products it
        lacks ("do you sell tractors?", "QuietPro headphones") by 0.027-0.052.

        Returns:
            ``[(product, cosine)]``, at most ``k``.
        """
        sims = self.similarities(self.embed(text))
        if not sims:
            return []
        mean = float(np.mean(list(sims.values())))
        by_sku = {p.sku: p for p in self.products}
        ranked = sorted(sims.items(), key=lambda kv: -kv[1])[:k]
        return [(by_sku[sku], score) for sku, score in ranked if score - mean >= min_margin]

    def categories(
        self,
        text: str,
        vector: npt.NDArray[np.float32] | None = None,
        threshold: float = 0.80,
        margin: float = 0.025,
    ) -> list[str]:
        """Catalog categories ``text`` mentions: by name in either language, else by meaning.

        E5-style encoders put all texts at high cosine to each other, so a category found by
        meaning must also beat the runner-up by ``margin`` ("recommend something good" names
        no category; "I love new smartphones" names phones).
        """
        named = [c for c in self._category_ids if _names_category(text, c)]
        if named:
            return named
        if len(self._category_ids) < 2:
            return []
        query = self._query(text, vector)
        # A category scores by its name or by its best product ("电饭煲" names kitchenware).
        product_scores = (self._vectors @ query).max(axis=1)
        scores = self._category_vectors @ query
        np.maximum.at(scores, self._product_category, product_scores)
        second, best = np.argsort(scores)[-2:]
        if scores[best] >= threshold and scores[best] - scores[second] >= margin:
            return [self._category_ids[int(best)]]
        return []
