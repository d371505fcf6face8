"""Recommenders: one interface, popularity / ItemKNN / EASE / ALS / content / hybrid behind it.

Every recommendation carries a machine-readable reason and readable English and
Chinese text built from the signal behind it. Models save to ``.npz`` without pickle.

Example:
    >>> from bot.recommend import EASERecommender, Interactions, RecommendContext
    >>> data = Interactions.from_records(
    ...     [("ann", "tea"), ("ann", "cup"), ("bob", "tea"), ("bob", "pot"), ("cy", "tea")])
    >>> model = EASERecommender(l2=1.0).fit(data)
    >>> rec = model.recommend("cy", k=1, context=RecommendContext(exclude={"pot"}))[0]
    >>> rec.item, rec.reason.kind.value, rec.reason.text_en
    ('cup', 'interacted', 'Because you showed interest in "tea"')
"""

from __future__ import annotations

from bot.recommend._als import ALSRecommender
from bot.recommend._base import RecommendContext, Recommender, capped_per_category, load_recommender
from bot.recommend._content import ContentRecommender
from bot.recommend._data import IdIndex, Interactions, ItemFeatures, UserFeatures
from bot.recommend._ease import EASERecommender
from bot.recommend._hybrid import HybridRecommender
from bot.recommend._itemknn import ItemKNNRecommender
from bot.recommend._metrics import (
    average_precision_at_k,
    hit_rate_at_k,
    ndcg_at_k,
    precision_at_k,
    recall_at_k,
)
from bot.recommend._popularity import PopularityRecommender
from bot.recommend._reasons import Reason, ReasonKind, Recommendation

__all__ = [
    "ALSRecommender",
    "ContentRecommender",
    "EASERecommender",
    "HybridRecommender",
    "IdIndex",
    "Interactions",
    "ItemFeatures",
    "ItemKNNRecommender",
    "PopularityRecommender",
    "Reason",
    "ReasonKind",
    "RecommendContext",
    "Recommendation",
    "Recommender",
    "UserFeatures",
    "average_precision_at_k",
    "capped_per_category",
    "hit_rate_at_k",
    "load_recommender",
    "ndcg_at_k",
    "precision_at_k",
    "recall_at_k",
]
