"""Recommendations and the reasons behind them, readable in English and Chinese."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class ReasonKind(str, Enum):
    """The signal a recommendation rests on (machine-readable)."""

    #: The customer rated the evidence item highly.
    RATED_HIGHLY = "rated_highly"
    #: The customer used, bought or viewed the evidence item.
    INTERACTED = "interacted"
    #: The customer asked about the evidence item in this conversation.
    SIMILAR_TO_ASKED = "similar_to_asked"
    #: Liked by customers who share the customer's attributes or tastes.
    POPULAR_WITH_SIMILAR = "popular_with_similar"
    #: Liked by many customers (no personal signal).
    POPULAR = "popular"
    #: The item belongs to a category the customer uses a lot.
    MATCHES_CATEGORY = "matches_category"
    #: The customer spoke well of the item's category.
    PRAISED_CATEGORY = "praised_category"
    #: Answer to ``similar_items``: the item resembles the evidence item.
    SIMILAR_ITEM = "similar_item"


_TEMPLATES: dict[ReasonKind, tuple[str, str]] = {
    ReasonKind.RATED_HIGHLY: ("Because you rated {item} highly", "因为您给{item}打了高分"),
    ReasonKind.INTERACTED: ("Because you showed interest in {item}", "因为您关注过{item}"),
    ReasonKind.SIMILAR_TO_ASKED: ("Similar to {item} you asked about", "与您咨询过的{item}相似"),
    ReasonKind.POPULAR_WITH_SIMILAR: (
        "Popular with customers like you",
        "与您相似的顾客都很喜欢",
    ),
    ReasonKind.POPULAR: ("Popular with our customers", "深受顾客欢迎"),
    ReasonKind.MATCHES_CATEGORY: (
        "Matches your interest in {category}",
        "符合您对{category}的兴趣",
    ),
    ReasonKind.PRAISED_CATEGORY: (
        "You spoke well of {category}",
        "您对{category}评价很好",
    ),
    ReasonKind.SIMILAR_ITEM: ("Similar to {item}", "与{item}相似"),
}


@dataclass(frozen=True)
class Reason:
    """Why an item is recommended.

    Attributes:
        kind: the signal.
        item: id of the evidence item (``None`` when the reason is not about an item).
        category: the evidence category, if any.
        text_en: the reason in English, for the customer.
        text_zh: the reason in Chinese, for the customer.
    """

    kind: ReasonKind
    item: str | None
    category: str | None
    text_en: str
    text_zh: str

    def text(self, language: str) -> str:
        """The reason in ``language`` (``"zh..."`` gives Chinese, anything else English)."""
        return self.text_zh if language.lower().startswith("zh") else self.text_en

    @classmethod
    def build(
        cls,
        kind: ReasonKind,
        *,
        item: str | None = None,
        item_name: str | None = None,
        item_name_zh: str | None = None,
        category: str | None = None,
        category_zh: str | None = None,
    ) -> Reason:
        """Fill the templates of ``kind`` with the evidence's display names.

        Example:
            >>> Reason.build(ReasonKind.RATED_HIGHLY, item="42", item_name="Heat").text_zh
            '因为您给《Heat》打了高分'
        """
        en, zh = _TEMPLATES[kind]
        name = item_name or item or ""
        name_zh = item_name_zh or name
        cat = category or ""
        return cls(
            kind=kind,
            item=item,
            category=category,
            text_en=en.format(item=f'"{name}"', category=cat),
            text_zh=zh.format(item=f"《{name_zh}》", category=f"“{category_zh or cat}”"),
        )


@dataclass(frozen=True)
class Recommendation:
    """One recommended item.

    Attributes:
        item: the item id.
        score: the model's score (higher is better; comparable within one list only).
        reason: why, machine-readable and in both languages.
    """

    item: str
    score: float
    reason: Reason
