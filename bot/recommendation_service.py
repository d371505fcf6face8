"""Recommendations for a chat turn: what the customer asks for, shaped by what we know about them.

This is the serving side; the offline-evaluated models live in ``bot.recommend``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bot.catalog import ProductInfo, category_label
from bot.product_search import ProductSearch
from bot.profiles import ProfileView


@dataclass(frozen=True)
class Pick:
    """One recommended product and the reason shown to the customer."""

    product: ProductInfo
    score: float
    reason_kind: str
    reason: str


def _reason(kind: str, category: str, language: str) -> str:
    label = category_label(category, language)
    if kind == "asked":
        return f"符合您想要的{label}" if language == "zh" else f"matches the {label} you asked for"
    if kind == "interest":
        return f"您最近常看{label}" if language == "zh" else f"you've been looking at {label}"
    if kind == "liked":
        return f"您对{label}评价很好" if language == "zh" else f"you spoke highly of {label}"
    return "顾客热门之选" if language == "zh" else "a popular choice"


def recommend_for_turn(
    search: ProductSearch,
    text: str,
    profile: ProfileView | None,
    language: str,
    k: int = 3,
    max_per_category: int = 2,
) -> list[Pick]:
    """Rank in-stock shop or bank products for a recommendation request.

    Candidates come from the categories the message names, else the customer's interests,
    else the whole catalog. Scores blend similarity to the request and to the customer's
    text profile; categories the customer complained about are demoted, praised ones boosted.

    Args:
        search: the product index.
        text: the customer's request.
        profile: what we know about them (``None`` for a stranger).
        language: ``"zh"`` or ``"en"`` for the reasons.
        k: how many picks.
        max_per_category: diversity cap.

    Returns:
        Up to ``k`` picks, best first.
    """
    asked = search.categories(text)
    interests = [c for c, _ in profile.top_interests(3)] if profile else []
    disliked = set(profile.disliked("category")) if profile else set()
    liked = set(profile.liked("category")) if profile else set()
    pool = asked or interests
    candidates = [p for p in search.products if p.in_stock and (not pool or p.category in pool)]
    if not candidates:
        return []
    hits = search.similarities(search.embed(text))
    profile_vec = profile.text_vector if profile is not None else None
    profile_hits = (
        search.similarities(profile_vec) if profile_vec is not None and len(profile_vec) == search.dim else {}
    )
    scored = []
    for product in candidates:
        score = hits.get(product.sku, 0.0) + 0.5 * profile_hits.get(product.sku, 0.0)
        if product.category in disliked:
            score -= 0.3
        if product.category in liked:
            score += 0.1
        if product.category in asked:
            kind = "asked"
        elif product.category in liked:
            kind = "liked"
        elif product.category in interests:
            kind = "interest"
        else:
            kind = "popular"
        scored.append((score, product, kind))
    scored.sort(key=lambda row: -row[0])
    picks: list[Pick] = []
    per_category: dict[str, int] = {}
    for score, product, kind in scored:
        if per_category.get(product.category, 0) >= max_per_category:
            continue
        per_category[product.category] = per_category.get(product.category, 0) + 1
        picks.append(Pick(product, float(np.round(score, 4)), kind, _reason(kind, product.category, language)))
        if len(picks) == k:
            break
    return picks
