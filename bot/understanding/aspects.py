"""Improvement points: which aspects a complaint is about (delivery, service, quality, price, ...).

Two signals, both bilingual: a keyword lexicon (precise, explainable) and, for wording
the lexicon misses, similarity between the message and short aspect descriptions under
the shared encoder. Pure numpy + stdlib.

Example:
    >>> detect_aspects_by_keywords("快递太慢了，包装也破了")
    ["delivery", "packaging"]
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

#: aspect -> (English name, Chinese name, keyword patterns)
ASPECTS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "delivery": ("delivery", "物流配送", (
        r"deliver", r"shipping", r"shipped", r"courier", r"parcel", r"package (?:arrived|never|was late|is late)",
        r"\blate\b", r"tracking", r"arriv", r"dispatch",
        r"快递", r"物流", r"配送", r"送货", r"发货", r"到货", r"派送", r"运输", r"慢递", r"还没到", r"没收到", r"收到货")),
    "service": ("customer service", "服务态度", (
        r"customer service", r"\bstaff\b", r"\bagent\b", r"rude", r"attitude", r"unhelpful", r"impolite",
        r"nobody (?:answer|help|repl)", r"no one (?:answer|help|repl)", r"support team", r"\bseller\b",
        r"客服", r"服务态度", r"态度", r"店员", r"柜员", r"不理人", r"不回复", r"敷衍", r"售后")),
    "quality": ("product quality", "产品质量", (
        r"quality", r"broke", r"broken", r"defect", r"faulty", r"stopped working", r"doesn'?t work", r"cheap(?:ly)? made",
        r"fake", r"scratch", r"malfunction", r"poor(?:ly)? made", r"fell apart",
        r"质量", r"坏了", r"故障", r"做工", r"假货", r"劣质", r"破损", r"不能用", r"用不了", r"掉色", r"瑕疵", r"次品")),
    "price": ("price", "价格", (
        r"price", r"expensive", r"overpriced", r"too much money", r"rip-?off", r"cheaper (?:elsewhere|at)", r"cost",
        r"价格", r"太贵", r"贵了", r"降价", r"价钱", r"不值", r"差价", r"性价比")),
    "packaging": ("packaging", "包装", (
        r"packag", r"\bbox\b", r"wrapping", r"crushed", r"dented",
        r"包装", r"盒子", r"外箱", r"纸箱", r"压坏", r"漏了")),
    "fees": ("fees", "收费", (
        r"\bfees?\b", r"charge[sd]?\b", r"annual fee", r"interest rate", r"commission", r"overdraft",
        r"手续费", r"年费", r"扣费", r"收费", r"利息", r"乱扣", r"服务费")),
    "waiting_time": ("waiting time", "等待时间", (
        r"\bwait", r"queue", r"on hold", r"hours? (?:in line|to get)", r"took forever",
        r"排队", r"等了", r"等太久", r"等待", r"半天", r"占线")),
    "app": ("app", "手机银行App", (
        r"\bapp\b", r"\bapplication\b", r"log ?in", r"crash", r"website", r"online banking", r"password reset", r"update",
        r"闪退", r"登录", r"登不上", r"手机银行", r"网银", r"打不开", r"卡顿", r"验证码")),
}

#: Short descriptions embedded once per encoder for the similarity signal.
ASPECT_PROTOTYPES: dict[str, list[str]] = {
    "delivery": ["the delivery was late and the parcel has not arrived", "快递太慢了，包裹还没到"],
    "service": ["the customer service staff was rude and unhelpful", "客服态度很差，不理人"],
    "quality": ["the product is poor quality and broke quickly", "质量太差，用两天就坏了"],
    "price": ["the price is too high, it is overpriced", "价格太贵了，不值这个钱"],
    "packaging": ["the packaging was damaged and the box was crushed", "包装破损，盒子被压坏了"],
    "fees": ["the bank charged me unexpected fees", "银行乱扣手续费和年费"],
    "waiting_time": ["I had to wait in line for hours", "排队等了很久"],
    "app": ["the banking app keeps crashing and I cannot log in", "手机银行App闪退，登录不上"],
}

_COMPILED = {a: re.compile("|".join(pats), re.IGNORECASE) for a, (_, _, pats) in ASPECTS.items()}


def detect_aspects_by_keywords(text: str) -> list[str]:
    """Aspects whose keywords occur in ``text``, in a fixed order."""
    return [aspect for aspect, pattern in _COMPILED.items() if pattern.search(text)]


def prototype_texts() -> list[str]:
    """All prototype descriptions, aspect by aspect (the order ``group_prototype_vectors`` expects)."""
    return [t for texts in ASPECT_PROTOTYPES.values() for t in texts]


def group_prototype_vectors(vectors: np.ndarray) -> dict[str, np.ndarray]:
    """Split the vectors of ``prototype_texts()`` back into ``{aspect: (n, dim)}``."""
    out, start = {}, 0
    for aspect, texts in ASPECT_PROTOTYPES.items():
        out[aspect] = vectors[start : start + len(texts)]
        start += len(texts)
    return out


def aspect_name(aspect: str, language: str) -> str:
    """The customer-facing name of ``aspect`` in ``language`` ("zh" or "en")."""
    en, zh, _ = ASPECTS[aspect]
    return zh if language == "zh" else en


@dataclass
class AspectDetector:
    """Keyword lexicon plus encoder similarity to the aspect prototypes.

    Args:
        prototype_vectors: ``{aspect: (n, dim) array}`` from ``AspectDetector.embed_prototypes``.
        threshold: cosine above which a prototype's aspect counts when no keyword matched.
    """

    prototype_vectors: dict[str, np.ndarray]
    threshold: float = 0.86

    @classmethod
    def from_encoder(cls, encoder: Any, threshold: float = 0.86) -> AspectDetector:
        """Embed the prototypes with ``encoder`` (once per process)."""
        return cls(group_prototype_vectors(encoder.encode(prototype_texts())), threshold)

    def detect(self, text: str, vector: np.ndarray | None = None, negative: bool = True) -> list[dict[str, Any]]:
        """Aspects of one message: ``[{"aspect", "source", "score"}]``.

        Args:
            text: the message.
            vector: its embedding, for the similarity signal.
            negative: whether the message is a complaint; the prototypes describe complaints,
                so similarity is only trusted for negative messages (keywords always count).
        """
        found = [{"aspect": a, "source": "keyword", "score": 1.0} for a in detect_aspects_by_keywords(text)]
        if found or vector is None or not negative:
            return found
        scores = {a: float(np.max(p @ vector)) for a, p in self.prototype_vectors.items()}
        best = max(scores, key=scores.__getitem__)
        if scores[best] >= self.threshold:
            return [{"aspect": best, "source": "similarity", "score": round(scores[best], 4)}]
        return []

    def detect_many(
        self, texts: Sequence[str], vectors: np.ndarray, negative: Sequence[bool] | None = None
    ) -> list[list[dict[str, Any]]]:
        flags = list(negative) if negative is not None else [True] * len(texts)
        return [self.detect(t, v, n) for t, v, n in zip(texts, vectors, flags)]
