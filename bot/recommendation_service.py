"""Recommendations for a chat turn: the hybrid recommender over the store, shaped by the request.

The offline-evaluated models live in ``bot.recommend``; this module fits the hybrid on the
store's interactions (refitting when they have grown), restricts it to what the customer
asks for (categories named in the message, "something cheaper", "not this brand"), applies
the business rules (in stock, not already bought, bank eligibility, diversity) and turns
each pick into a line with a reason the customer can read.
"""

from __future__ import annotations

import itertools
import logging
import re
import threading
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
from sqlalchemy import func, select

from bot.catalog import CATEGORY_LABELS, ProductInfo, category_label, eligibility_problems
from bot.product_search import ProductSearch, brand_zh
from bot.profiles import ProfileConfig, ProfileView
from bot.recommend import (
    ContentRecommender,
    EASERecommender,
    HybridRecommender,
    Interactions,
    ItemFeatures,
    PopularityRecommender,
    ReasonKind,
    Recommendation,
    RecommendContext,
    capped_per_category,
)
from bot.replies import price_text
from bot.store import Customer, Interaction, Product, Store

logger = logging.getLogger(__name__)

Refinement = Literal["cheaper", "pricier", "other_brand", "other"]

_REFINEMENTS: tuple[tuple[Refinement, re.Pattern[str]], ...] = (
    ("cheaper", re.compile(r"cheap|afford|budget|less (?:pricey|expensive)|lower price|too expensive|"
                           r"便宜|实惠|性价比|太贵|预算|价格低", re.IGNORECASE)),
    ("pricier", re.compile(r"premium|high[- ]?end|better one|more expensive|price doesn'?t matter|flagship|"
                           r"高端|高档|旗舰|贵一点|好一点", re.IGNORECASE)),
    ("other_brand", re.compile(r"brand|牌子|品牌", re.IGNORECASE)),
)


_GIFT = re.compile(r"\b(?:gifts?|presents?)\b|礼物|礼品|送给|送人|送他|送她", re.IGNORECASE)
#: Someone else the customer shops for ("for my dad", "给我妈妈"): bought in the shop, like a gift.
_FOR_SOMEONE = re.compile(
    r"\bfor (?:my|our|a) (?:mom|mum|mother|dad|father|parents|wife|husband|son|daughter|kids?|boyfriend|"
    r"girlfriend|friend|grandma|grandpa|grandmother|grandfather|sister|brother|colleague|boss)\b|"
    r"给(?:我)?(?:妈妈|爸爸|父母|老婆|老公|儿子|女儿|孩子|男朋友|女朋友|朋友|奶奶|爷爷|外婆|外公|姐姐|妹妹|哥哥|弟弟|同事|老板)",
    re.IGNORECASE,
)
#: What the person a present is for is into: "who loves cooking", "a coffee lover", "喜欢做饭的".
_INTERESTS = (
    re.compile(r"(?:\bloves|\blikes|\benjoys|(?:\bis|'s|’s) (?:really )?into|(?:\bis|'s|’s) a (?:big )?fan of|"
               r"\bwho (?:loves?|likes?|enjoys?))"
               r"\s+(?:to\s+)?([a-z][a-z\-]{2,})", re.IGNORECASE),
    re.compile(r"\b([a-z][a-z\-]{2,})\s+(?:lovers?|fans?|enthusiasts?)\b", re.IGNORECASE),
    re.compile(r"(?:喜欢|热爱|喜爱|爱好是|爱好)([\u4e00-\u9fff]{2,5}?)(?=的|，|,|。|！|？|$|\s)"),
)
_NOT_INTERESTS = frozenset({"it", "its", "this", "that", "them", "you", "your", "me", "the", "all", "everything",
                            "anything", "something", "stuff", "things", "these", "those", "her", "him"})


def parse_interest(text: str) -> str | None:
    """What someone a customer shops for is into ("my mom loves cooking" → "cooking").

    Example:
        >>> parse_interest("a gift for my dad, he loves hiking"), parse_interest("送给喜欢做饭的妈妈")
        ('hiking', '做饭')
        >>> parse_interest("a present for a coffee lover"), parse_interest("I'd like a phone")
        ('coffee', None)
    """
    for pattern in _INTERESTS:
        match = pattern.search(text)
        if match and match.group(1).lower() not in _NOT_INTERESTS:
            return match.group(1)
    return None


def for_someone_else(text: str) -> bool:
    """Whether a request is for someone else: a present, or "for my dad" / "给我妈妈"."""
    return bool(_GIFT.search(text) or _FOR_SOMEONE.search(text))


def gift_interest(text: str) -> str | None:
    """What the person a request shops for is into, when it shops for someone else ("a gift for
    my mom who loves cooking" → "cooking"; "I love cooking, any rice cookers?" → ``None``)."""
    return parse_interest(text) if for_someone_else(text) else None


def parse_refinement(text: str) -> Refinement:
    """How a follow-up wants the last recommendations changed ("other" when unsure).

    Example:
        >>> parse_refinement("有便宜一点的吗"), parse_refinement("not this brand")
        ('cheaper', 'other_brand')
    """
    for kind, pattern in _REFINEMENTS:
        if pattern.search(text):
            return kind
    return "other"


_MULTIPLIERS = {"k": 1e3, "千": 1e3, "w": 1e4, "万": 1e4}
_ZH_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
#: An amount: digits (with thousands separators or a decimal point) or one Chinese digit, then
#: an optional multiplier (5k, 1.5万, 三千) and currency.
#: Not an amount when a unit follows ("4-6岁", "at least 8GB", "under 6 inches").
_AMOUNT = (r"[¥￥$]?\s*(\d+(?:,\d{3})*(?:\.\d+)?(?![\d.,]*\d)|[一二两三四五六七八九])\s*(k|千|w|万)?\s*"
           r"(?:元|块钱|块|rmb|yuan|cny|dollars?|bucks)?"
           r"(?!\s*(?:岁|周岁|个月|years?|yrs?|-year|months?|gb|tb|mah|寸|英寸|inch|cm|mm|kg|hz|mp|号|人|个|件|本|天|days?))")
_BUDGETS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern, re.IGNORECASE))
    for kind, pattern in (
        ("between", rf"(?:between|from)\s*{_AMOUNT}\s*(?:and|to|-|–)\s*{_AMOUNT}"),
        ("between", rf"{_AMOUNT}\s*(?:到|至|-|–|~|～)\s*{_AMOUNT}"),
        ("around", rf"(?:around|about|roughly|approximately)\s*{_AMOUNT}"),
        ("around", rf"{_AMOUNT}\s*左右"),
        ("max", rf"(?:under|below|less than|within|up to|no more than|not more than|at most|max(?:imum)?|"
                rf"budget(?: is| of)?)\s*(?:of\s*)?{_AMOUNT}"),
        ("max", rf"{_AMOUNT}\s*(?:以内|以下|之内|or less|or under|max)"),
        ("max", rf"(?:不超过|低于|少于|不到|预算)\s*{_AMOUNT}"),
        ("min", rf"(?:over|above|more than|at least)\s*{_AMOUNT}"),
        ("min", rf"{_AMOUNT}\s*(?:以上|起|or more)"),
        ("min", rf"(?:高于|超过|不低于)\s*{_AMOUNT}"),
    )
)

Budget = tuple[float | None, float | None]


def _amount(number: str, multiplier: str | None) -> float:
    value = float(_ZH_DIGITS[number]) if number in _ZH_DIGITS else float(number.replace(",", ""))
    return value * _MULTIPLIERS.get((multiplier or "").lower(), 1.0)


def parse_budget(text: str) -> Budget | None:
    """The price range a message asks for, ``(low, high)`` with ``None`` for an open end.

    "Around" means within 20 %. Amounts are in the catalog's currency.

    Example:
        >>> parse_budget("headphones under 300 yuan"), parse_budget("预算1500以内的手机")
        ((None, 300.0), (None, 1500.0))
        >>> parse_budget("a laptop around 5k"), parse_budget("1000到2000之间"), parse_budget("hi")
        ((4000.0, 6000.0), (1000.0, 2000.0), None)
    """
    for kind, pattern in _BUDGETS:
        match = pattern.search(text)
        if match is None:
            continue
        groups = match.groups()
        first = _amount(groups[0], groups[1])
        if kind == "between":
            second = _amount(groups[2], groups[3])
            return (min(first, second), max(first, second))
        if kind == "around":
            return (round(first * 0.8, 2), round(first * 1.2, 2))
        return (None, first) if kind == "max" else (first, None)
    return None


def _without_prices(text: str) -> str:
    """``text`` less its budget and "cheaper"/"premium" words (they filter; they describe nothing)."""
    for _, pattern in (*_BUDGETS, *_REFINEMENTS):
        text = pattern.sub(" ", text)
    return text


def budget_text(budget: Budget, language: str) -> str:
    """``under ¥1,500`` / ``¥1,500以内``, ``¥1,000–¥2,000``, ``from ¥800`` / ``¥800以上``."""
    low, high = budget
    lo = price_text(low, "CNY", language) if low else None
    hi = price_text(high, "CNY", language) if high is not None else None
    zh = language == "zh"
    if lo and hi:
        return f"{lo}–{hi}"
    if hi:
        return f"{hi}以内" if zh else f"under {hi}"
    return f"{lo}以上" if zh else f"from {lo}"


@dataclass(frozen=True)
class Pick:
    """One recommended product and the reason shown to the customer."""

    product: ProductInfo
    score: float
    reason_kind: str
    reason: str
    #: The kind of product the request asked for, where the pick was chosen as one
    #: ("robot vacuum"): follow-ups keep to it (``recommend(..., kinds=...)``).
    kind: str = ""


def _mentions(word: str, text: str) -> bool:
    """Whether ``word`` stands on its own in ``text`` (Chinese characters around it count as space)."""
    return re.search(rf"(?<![a-z0-9]){re.escape(word.lower())}(?![a-z0-9])", text.lower()) is not None


def _names_brand(text: str, product: ProductInfo) -> bool:
    """Whether ``text`` names ``product``'s brand (in English, or as its Chinese name starts)."""
    chinese = brand_zh(product)
    return bool((product.brand and _mentions(product.brand, text)) or (chinese and chinese in text))


def _names_product(text: str, product: ProductInfo) -> bool:
    """Whether ``text`` names ``product`` by brand or model (English or Chinese name)."""
    model = product.name_en.split()[-1].lower() if product.name_en else ""
    return _names_brand(text, product) or (
        len(model) >= 2 and _mentions(model, text) and any(c.isdigit() for c in model)
    )


def _asked_reason(category: str, language: str) -> str:
    label = category_label(category, language)
    return f"符合您想要的{label}" if language == "zh" else f"matches the {label} you asked for"


_REFINED_REASONS: dict[str, tuple[str, str]] = {
    "cheaper": ("cheaper than the ones I just showed you", "比刚才推荐的更实惠"),
    "pricier": ("a step up from the ones I just showed you", "比刚才推荐的更高端"),
    "other_brand": ("a different brand from the ones I just showed you", "换了个品牌"),
}


def _interest_reason(interest: str, language: str) -> str:
    return f"适合喜欢{interest}的人" if language == "zh" else f"for someone who loves {interest}"


def _band_cut(prices: Sequence[float], band: Refinement) -> float:
    """The price that bounds the cheapest (``"cheaper"``) or dearest (``"pricier"``) third of ``prices``."""
    return float(np.quantile(list(prices) or [0.0], 1 / 3 if band == "cheaper" else 2 / 3))


def _in_band(price: float, cut: float, band: Refinement) -> bool:
    return price <= cut if band == "cheaper" else price >= cut


def _kind_reason(kind: str, language: str) -> str:
    return f"符合您想要的{kind}" if language == "zh" else f"matches the {kind} you asked for"


def _described_reason(trait: str, language: str) -> str:
    """Why a pick answers a description: the trait that shows it ("" when its name does)."""
    zh = language == "zh"
    if not trait:
        return "符合您描述的要求" if zh else "matches what you described"
    return f"{trait}，符合您的要求" if zh else f"{trait} — what you asked for"


def _more_reason(category: str, language: str) -> str:
    label = category_label(category, language)
    return f"更多{label}，和刚才推荐的同类" if language == "zh" else f"more {label} like the ones I just showed you"


def effective_budget(budget: Budget | None, refinement: Refinement | None) -> Budget | None:
    """The budget a follow-up keeps: "more premium" lifts its ceiling, "cheaper" its floor.

    Example:
        >>> effective_budget((100.0, 500.0), "pricier"), effective_budget((100.0, 500.0), "cheaper")
        ((100.0, None), (None, 500.0))
    """
    if budget is None:
        return None
    low, high = budget
    if refinement == "pricier":
        high = None
    elif refinement == "cheaper":
        low = None
    return None if low is None and high is None else (low, high)


def _refined_reason(refinement: str, language: str, named: Collection[str] = ()) -> str:
    if refinement == "other_brand" and named:
        brands = "、".join(sorted(named)) if language == "zh" else " or ".join(sorted(named))
        return f"不是您不想要的{brands}" if language == "zh" else f"not {brands}, as you asked"
    english, chinese = _REFINED_REASONS[refinement]
    return chinese if language == "zh" else english


#: Words that turn a brand down ("not Zento", "anything but Vela", "不要臻拓的", "除了诺瓦").
_REFUSING = re.compile(
    r"\b(?:not|no|don'?t|doesn'?t|never|without|except|but|besides|instead of|apart from|rather than|"
    r"other than|dislike|hate|avoid|skip|exclude)\b|n't\b|不要|不想|不喜欢|不用|不考虑|别|除了|除去|以外|之外|排除|换掉",
    re.IGNORECASE,
)
#: Words that keep to a brand even with "brand" in the message ("only Zento's brand").
_ONLY = re.compile(r"\b(?:only|just)\b|只要|只看|仅", re.IGNORECASE)


#: A question about the picks just shown: "which one has GPS?", "do any of them...", "第二个防水吗".
_ABOUT_SHOWN = re.compile(
    r"\bwhich (?:one|ones|of)\b|\b(?:any|either|all|none|each|both) of (?:these|them|those|the)\b|"
    r"\b(?:the|that) (?:first|second|third|last|1st|2nd|3rd) (?:one|item|option|pick)\b|"
    r"哪个|哪款|哪一款|哪一个|这几[个款]|这[两三]款|这些|其中|刚才[的那]|第[一二三123][个款]",
    re.IGNORECASE,
)
#: The words of such a question that say which picks, not what about them.
_SHOWN_WORDS = re.compile(
    r"\b(?:which|one|ones|of|these|them|those|any|either|all|none|each|both|first|second|third|last|1st|2nd|"
    r"3rd|is|are|has|have|does|do|got|comes?|with)\b|哪个|哪款|哪一款|哪一个|这几个|这几款|这[两三]款|这些|其中|"
    r"刚才的|刚才那|第[一二三123][个款]|有没有|是不是|支持|带",
    re.IGNORECASE,
)
_ORDINALS = (
    (0, re.compile(r"\b(?:first|1st)\b|第一|第1|头一", re.IGNORECASE)),
    (1, re.compile(r"\b(?:second|2nd)\b|第二|第2", re.IGNORECASE)),
    (2, re.compile(r"\b(?:third|3rd)\b|第三|第3", re.IGNORECASE)),
    (-1, re.compile(r"\blast (?:one|item|option|pick)\b|最后一", re.IGNORECASE)),
)


def about_shown(text: str) -> bool:
    """Whether ``text`` asks about the picks just shown ("which one has GPS?", "第二个防水吗").

    Example:
        >>> about_shown("which one has GPS?"), about_shown("这几个哪个防水"), about_shown("any with GPS?")
        (True, True, False)
    """
    return bool(_ABOUT_SHOWN.search(text))


def ordinal(text: str) -> int | None:
    """Which of a list ``text`` points at ("the second one": 1, "the last one": -1), if any.

    Example:
        >>> ordinal("I'll take the second one"), ordinal("第三个怎么样"), ordinal("this one")
        (1, 2, None)
    """
    for index, pattern in _ORDINALS:
        if pattern.search(text):
            return index
    return None


def brand_wishes(
    text: str, refinement: Refinement | None, shown: Sequence[ProductInfo], catalog: Sequence[ProductInfo] = ()
) -> tuple[set[str], set[str]]:
    """What a follow-up says about brands: ``(refused, wanted)``.

    A brand of ``catalog`` (or of ``shown``) that the follow-up names is refused when the
    message turns it down ("not Zento", "anything but Vela?", "除了诺瓦还有别的吗", "other
    brands than Nova") and wanted otherwise ("any from Zento?", "有臻拓的吗"). "Another
    brand" naming none refuses every brand of ``shown``.

    Example:
        >>> from bot.catalog import ProductInfo
        >>> def phone(brand):
        ...     return ProductInfo(id=1, sku=brand, domain="shop", category="phones", name_zh="", name_en=brand,
        ...                        description_zh="", description_en="", price=1.0, currency="CNY", stock=1,
        ...                        brand=brand)
        >>> shown, catalog = [phone("Nova")], [phone("Nova"), phone("Zento")]
        >>> brand_wishes("not Zento", "other", shown, catalog), brand_wishes("any Zento ones?", "other", shown, catalog)
        (({'Zento'}, set()), (set(), {'Zento'}))
        >>> brand_wishes("a different brand please", "other_brand", shown, catalog)
        ({'Nova'}, set())
    """
    return _wishes(text, refinement, shown, _brands_named(text, catalog or shown))


def _wishes(text: str, refinement: Refinement | None, shown: Sequence[ProductInfo], named: set[str]
            ) -> tuple[set[str], set[str]]:
    """:func:`brand_wishes`, given the brands ``text`` names."""
    if not named:
        return ({p.brand for p in shown if p.brand} if refinement == "other_brand" else set()), set()
    if _REFUSING.search(text) or (refinement == "other_brand" and not _ONLY.search(text)):
        return named, set()
    return set(), named


def _brands_named(text: str, products: Sequence[ProductInfo]) -> set[str]:
    """Brands of ``products`` that ``text`` names."""
    return {p.brand for p in products if p.brand and _names_brand(text, p)}


def _brand_reason(brands: Collection[str], language: str, refinement: Refinement | None) -> str:
    """ "from Zento, as you asked", after how the pick differs from the last ones if it was asked."""
    names = "、".join(sorted(brands)) if language == "zh" else " or ".join(sorted(brands))
    if refinement in _REFINED_REASONS and refinement != "other_brand":
        first = _refined_reason(str(refinement), language)
        return f"{first}，您想要的{names}" if language == "zh" else f"{first}, from {names} as you asked"
    return f"您想要的{names}" if language == "zh" else f"from {names}, as you asked"


_BAND_TEXT: dict[str, tuple[str, str]] = {
    "cheaper": ("at the affordable end of our range", "价位实惠"),
    "pricier": ("at the premium end of our range", "高端款"),
}


def _within(pick: Pick, budget: Budget | None, language: str, band: Refinement | None = None) -> Pick:
    """``pick`` whose "you asked for" reason also names the budget (or price band) it keeps to."""
    if (budget is None and band not in _BAND_TEXT) or pick.reason_kind not in ("asked", "described", "kind", "interest"):
        return pick
    sep = "，" if language == "zh" else ", "
    if budget is None:
        english, chinese = _BAND_TEXT[str(band)]
        return replace(pick, reason=pick.reason + sep + (chinese if language == "zh" else english))
    return replace(pick, reason=pick.reason + sep + budget_text(budget, language))


def _welcome_interests(profile: ProfileView | None) -> list[str]:
    """The customer's top interests, less the categories they spoke badly of."""
    if profile is None:
        return []
    return [c for c, _ in profile.top_interests(3)
            if c not in profile.category_sentiment or profile.category_sentiment[c].mean >= 0]


def _meaning_reason(kind: str, category: str, language: str) -> str:
    label = category_label(category, language)
    zh = language == "zh"
    if kind == "asked":
        return _asked_reason(category, language)
    if kind == "more_like_these":
        return _more_reason(category, language)
    if kind == "praised_category":
        return f"您对{label}评价很好" if zh else f"you spoke highly of {label}"
    if kind == "matches_category":
        return f"您最近常看{label}" if zh else f"you've been looking at {label}"
    if kind == "popular":
        return f"热门{label}" if zh else f"popular in {label}"
    return "与您的需求相近" if zh else "close to what you're looking for"


class RecommendationService:
    """Serves the hybrid recommender for chat turns.

    Args:
        store: where interactions and the catalog live.
        search: the product index (its vectors are the content signal).
        refit_growth: refit when the interactions have grown by this share since the last fit.
        max_age_s: refit at least this often.
        config: behaviour weights (the same as the profiles use).
        match_descriptions: put the products that have what a request describes ("a phone
            with a long battery life") first; off, the request's category and price filter
            only (the baseline of ``bench/descriptive_requests.py``).
    """

    def __init__(
        self,
        store: Store,
        search: ProductSearch,
        refit_growth: float = 0.05,
        max_age_s: float = 3600.0,
        config: ProfileConfig | None = None,
        match_descriptions: bool = True,
    ) -> None:
        self.store = store
        self._match_descriptions = match_descriptions
        self.search = search
        self._refit_growth = refit_growth
        self._max_age_s = max_age_s
        self._weights = (config or ProfileConfig()).behaviour_weights
        self._lock = threading.Lock()
        self._model: HybridRecommender | None = None
        self._fitted_rows = 0
        self._fitted_at = 0.0
        self._bought: dict[str, set[str]] = {}
        self._known: set[str] = set()

    # -- model ------------------------------------------------------------------------

    def _interaction_count(self) -> int:
        with self.store.session() as session:
            return int(session.scalar(select(func.count(Interaction.id))) or 0)

    def _load_interactions(self) -> tuple[Interactions, dict[str, set[str]]]:
        stmt = (
            select(Customer.sender_id, Product.sku, Interaction.kind, Interaction.value, Interaction.occurred_at)
            .join(Customer, Customer.id == Interaction.customer_id)
            .join(Product, Product.id == Interaction.product_id)
        )
        users, items, weights, stamps = [], [], [], []
        bought: dict[str, set[str]] = {}
        with self.store.session() as session:
            for sender, sku, kind, value, at in session.execute(stmt):
                if kind == "rating":
                    # A rating counts like a click, scaled by how much they liked it (1-5 stars).
                    weight = self._weights.get("click", 2.0) * max(float(value or 3.0) - 2.0, 0.0) / 3.0
                else:
                    weight = self._weights.get(kind, 1.0)
                if weight <= 0:
                    continue
                if kind == "purchase":
                    bought.setdefault(sender, set()).add(sku)
                users.append(sender)
                items.append(sku)
                weights.append(weight)
                stamps.append(at.timestamp())
        data = Interactions(
            users=np.asarray(users, dtype=np.str_),
            items=np.asarray(items, dtype=np.str_),
            weights=np.asarray(weights, dtype=np.float32),
            timestamps=np.asarray(stamps, dtype=np.float64),
        )
        return data, bought

    def _item_features(self) -> ItemFeatures:
        products = self.search.products
        return ItemFeatures(
            ids=[p.sku for p in products],
            vectors=self.search.product_vectors(),
            categories={p.sku: [p.category] for p in products},
            names={p.sku: p.name_en for p in products},
            names_zh={p.sku: p.name_zh for p in products},
            category_names_zh={c: labels[1] for c, labels in CATEGORY_LABELS.items()},
        )

    def model(self) -> HybridRecommender | None:
        """The fitted hybrid (refitted when stale); ``None`` while there are no interactions."""
        with self._lock:
            count = self._interaction_count()
            fresh = (
                self._model is not None
                and count <= self._fitted_rows * (1 + self._refit_growth)
                and time.monotonic() - self._fitted_at < self._max_age_s
            )
            if fresh:
                return self._model
            if count == 0:
                return None
            started = time.perf_counter()
            data, bought = self._load_interactions()
            model = HybridRecommender(
                {
                    "ease": EASERecommender(l2=50.0),
                    "content": ContentRecommender(),
                    "popularity": PopularityRecommender(),
                },
                weights={"ease": 1.0, "content": 0.4, "popularity": 0.2},
                # Few interactions: item-to-item signals still hold; content and popularity count more.
                cold_weights={"ease": 1.0, "content": 0.6, "popularity": 0.4},
            ).fit(data, self._item_features())
            self._model, self._bought = model, bought
            self._known = set(data.users.tolist())
            self._fitted_rows, self._fitted_at = count, time.monotonic()
            logger.info("recommender fitted on %d interactions in %.2f s", count, time.perf_counter() - started)
            return model

    # -- serving ----------------------------------------------------------------------

    def names_new_category(self, text: str, previous: Sequence[str]) -> bool:
        """Whether a follow-up names a category none of the ``previous`` picks belongs to
        ("any cheap laptops?" after phones): a new request, not a refinement of those picks."""
        shown = {p.category for p in self.search.products if p.sku in set(previous)}
        named = self.search.categories(text)
        return bool(named) and not set(named) <= shown

    def recommend(
        self,
        sender_id: str,
        text: str,
        profile: ProfileView | None,
        language: str,
        k: int = 3,
        previous: Sequence[str] = (),
        refinement: Refinement | None = None,
        content_only: bool = False,
        *,
        seen: Sequence[str] = (),
        budget: Budget | None = None,
        avoid_brands: Collection[str] = (),
        interest: str | None = None,
        kinds: Collection[str] = (),
    ) -> list[Pick]:
        """Picks for a recommendation request or a follow-up refining ``previous`` picks.

        Args:
            sender_id: the customer.
            text: what they wrote.
            profile: what we know about them (``None`` for a stranger).
            language: ``"zh"`` or ``"en"``.
            k: how many picks.
            previous: SKUs shown last time: a refinement or a request naming no category
                ("anything else to recommend?") excludes them.
            refinement: ``None`` for a fresh request, else how to change ``previous``.
            content_only: rank by meaning only (what a catalog without behaviour gets).
            seen: every SKU shown since the request being refined (a refinement skips them
                all, so "more options" twice does not bring the first picks back).
            budget: the price range asked for (:func:`parse_budget`), ``None`` for any.
            avoid_brands: brands turned down earlier in the follow-ups (with a refinement).
            interest: what the person a present is for is into, from the request a refinement
                follows ("something cheaper?" after gifts for a runner stays with running).
            kinds: the kinds of product the request a refinement follows asked for (the ``kind``
                of its picks): "something cheaper?" after robot vacuums stays with robot vacuums.

        Returns:
            Up to ``k`` picks, best first, each with a reason.
        """
        model = None if content_only else self.model()
        by_sku = {p.sku: p for p in self.search.products}
        shown = [by_sku[s] for s in previous if s in by_sku]
        # "Not Zento" / "any from Zento?": brands of the whole catalog, turned down or asked for.
        mentioned = _brands_named(text, self.search.products) if refinement is not None else set()
        refusing, brands = _wishes(text, refinement, shown, mentioned) if refinement is not None else (set(), set())
        named = refusing & mentioned  # turned down by name
        if refinement == "other" and named:
            refinement = "other_brand"  # "not Nova": a brand turned down by name
        named = self._brands_as_read(named, language)  # what the reasons say
        if refinement is not None and shown:
            categories = sorted({p.category for p in shown})
        else:
            categories = self.search.categories(text)
        domain = None
        category_domain = {p.category: p.domain for p in self.search.products} if not categories else {}
        for_someone = refinement is None and for_someone_else(text)
        if refinement is None:
            interest = parse_interest(text) if for_someone else None  # as gift_interest(text)
        if not categories and for_someone:
            domain = "shop"  # a present is bought in the shop, whatever the customer's bank products
        elif not categories and profile is not None and profile.interests:
            # "Recommend something" stays on the side of the business the customer uses most.
            domain = category_domain.get(next(iter(profile.interests)))
        refused = (refusing | set(avoid_brands)) - brands if refinement is not None else set()
        wording = parse_refinement(text) if refinement is None and budget is None else "other"
        band = wording if wording in ("cheaper", "pricier") else None
        anyprice = self._filter(categories, shown, refinement, profile, domain, budget, refused, brands,
                                kinds if refinement is not None else ())
        allowed = anyprice if band is None else self._in_price_band(anyprice, band)
        # Products count as "asked about" only when the customer names them (brand or model),
        # not when a category request ("recommend me a phone") resembles one of them.
        asked = (
            [p.sku for p, _ in self.search.find(text, k=3) if _names_product(text, p)]
            if refinement is None
            else []
        )
        context = RecommendContext(
            asked_about=asked,
            sentiment=self._sentiment(profile),
            exclude=(set(previous) if refinement is not None or not categories else set())
            | (set(seen) if refinement is not None else set())
            | self._bought.get(sender_id, set()),
            in_stock=lambda sku: sku in by_sku and by_sku[sku].in_stock,
            eligible=allowed,
            max_per_category=2 if not categories else None,
        )
        # A customer known only from the chat (interests, what they wrote, no behaviour) gets
        # nothing personal from the behaviour models: "recommend something" after asking about
        # phones should stay with phones, not fall back to what is popular with everyone.
        chat_only = (
            model is not None
            and not categories
            and refinement is None
            and any(domain is None or category_domain.get(c) == domain for c in _welcome_interests(profile))
            and sender_id not in self._known
        )
        if interest:
            # "A gift for my mom who loves cooking": what is closest to cooking in the shop (rice
            # cookers, woks, cookbooks), not what the customer bought for themselves.
            for_interest = self._rank_for_interest(interest, language, k, allowed, context)
            if for_interest and refinement in _REFINED_REASONS:
                # A follow-up: say how each pick answers it ("cheaper than the ones I just showed you").
                reason = _refined_reason(str(refinement), language, named)
                for_interest = [replace(p, reason_kind=str(refinement), reason=reason) for p in for_interest]
            if for_interest:
                return [_within(p, budget, language, band) for p in for_interest]
        # "A phone with a long battery life": the products that have what the request describes
        # come first (ranked as usual among themselves), each saying which of its traits answers.
        wanted: dict[str, str] = {}  # sku -> the reason it answers the request
        of_kind: dict[str, str] = {}  # sku -> the kind of product asked for, where one was
        first: set[str] = set()  # those of ``wanted`` that come before the others
        kind_only: set[str] = set()  # those of ``wanted`` that are the kind asked for, no more
        if self._match_descriptions and refinement in (None, "other"):
            plain = _without_prices(text)
            details = self.search.details(plain)
            kind = "" if details else self.search.kind(plain)  # "a robot vacuum", "有没有跑鞋"
            if details or kind:
                # "A cheap robot vacuum": the cheap third of the robot vacuums, not of the appliances.
                pool = [p.sku for p in self.search.products
                        if anyprice(p.sku) and p.in_stock and p.sku not in context.exclude]
                # "A quiet vacuum cleaner": the kind of product the names say first (the robot
                # vacuums), then what the rest describes among them ("quiet"), if any has it.
                of_kind, rest = self.search.kind_of(details or kind, pool, language)
                if of_kind:
                    found = self.search.wanted(rest, list(of_kind), language) if rest else {}
                else:
                    found = self.search.wanted(details or kind, pool, language, names_only=bool(kind))
                    if kind and not found:  # "a GPS watch": no name says it all, some features do
                        found, kind = self.search.wanted(kind, pool, language), ""
                # What each one's reason says: the trait that answers, or the kind asked for.
                reasons = {sku: _kind_reason(kind, language) if kind else _described_reason(trait, language)
                           for sku, trait in found.items()}
                if of_kind:
                    # Those that have it first, then the rest of that kind ("a robot vacuum with a
                    # HEPA filter": the one that has it, then other robot vacuums, not fans).
                    first = set(reasons)
                    kind_only = set(of_kind) - set(reasons)
                    reasons |= {sku: _kind_reason(of_kind[sku], language) for sku in kind_only}
                if band is not None and reasons:
                    cut = _band_cut([by_sku[sku].price for sku in reasons], band)
                    reasons = {sku: r for sku, r in reasons.items() if _in_band(by_sku[sku].price, cut, band)}
                wanted, first = reasons, first & set(reasons)
        if brands and not wanted:
            # "Any from Zento?": every pick is of that brand, and says so.
            wanted = {p.sku: _brand_reason(self._brands_as_read(brands, language), language, refinement)
                      for p in self.search.products
                      if allowed(p.sku)}
        if wanted and not categories:
            # "Something organic": the rest of the picks stay with the kinds of product that have it.
            kinds = {by_sku[sku].category for sku in wanted}
            unrestricted = allowed

            def allowed(sku: str) -> bool:
                return unrestricted(sku) and by_sku[sku].category in kinds

            context = replace(context, eligible=allowed)
        if model is None or chat_only:
            # A catalog without any behaviour yet: rank by meaning (request and profile).
            if model is None and not content_only:
                logger.info("no interactions yet: content-only recommendations")
            by_meaning = self._rank_by_meaning(text, profile, language, k, allowed, context, categories, refinement,
                                               named, wanted, first, kind_only)
            return [self._of_kind(_within(p, budget, language, band), of_kind) for p in by_meaning]
        if wanted:
            tiers: list[Callable[[str], bool]] = [
                *([first.__contains__] if first else []),
                lambda sku: sku in wanted and sku not in first,
                lambda sku: sku not in wanted and allowed(sku),
            ]
            picks: list[Recommendation] = []
            for tier in tiers:
                if len(picks) < k:
                    picks += model.recommend(sender_id, k=k - len(picks), context=replace(
                        context, exclude={*context.exclude, *(r.item for r in picks)}, eligible=tier))
        else:
            picks = model.recommend(sender_id, k=k, context=context)
        interests = [c for c, _ in profile.top_interests(3)] if profile is not None else []
        out = []
        for rec in picks:
            product = by_sku[rec.item]
            evidence = by_sku.get(rec.reason.item) if rec.reason.item else None
            generic = rec.reason.kind in (ReasonKind.POPULAR, ReasonKind.POPULAR_WITH_SIMILAR)
            # Evidence from the other side of the business (a deposit explaining headphones)
            # is a real signal but not a reason a customer would accept.
            foreign = evidence is not None and evidence.domain != product.domain
            reason_kind: str
            if rec.item in wanted:
                reason_kind, reason = "kind" if rec.item in kind_only else "described", wanted[rec.item]
            elif refinement is not None and refinement in _REFINED_REASONS:
                # The customer asked for this change: say how the pick differs from the last ones,
                # not that they asked for its category (the last picks may have been unasked).
                reason_kind, reason = refinement, _refined_reason(refinement, language, named)
            elif refinement is not None and (generic or foreign):
                # "Show me more": the category came from the last picks, not from the customer.
                reason_kind, reason = "more_like_these", _more_reason(product.category, language)
            elif product.category in categories and (generic or foreign):
                reason_kind, reason = "asked", _asked_reason(product.category, language)
            elif foreign:
                kind = "matches_category" if product.category in interests else "popular"
                reason_kind, reason = kind, _meaning_reason(kind, product.category, language)
            else:
                reason_kind, reason = rec.reason.kind.value, rec.reason.text(language)
            out.append(_within(Pick(product, float(rec.score), reason_kind, reason), budget, language, band))
        return [self._of_kind(p, of_kind) for p in out]

    def _filter(
        self,
        categories: Sequence[str],
        shown: Sequence[ProductInfo],
        refinement: Refinement | None,
        profile: ProfileView | None,
        domain: str | None = None,
        budget: Budget | None = None,
        refused: Collection[str] = (),
        brands: Collection[str] = (),
        kinds: Collection[str] = (),
    ) -> Callable[[str], bool]:
        by_sku = {p.sku: p for p in self.search.products}
        attributes = profile.attributes if profile is not None else {}
        # "Cheaper" compares like with like: a deposit's minimum amount says nothing about an
        # insurance premium, so prices are compared within each category of the last picks.
        low: dict[str, float] = {}
        high: dict[str, float] = {}
        for p in shown:
            low[p.category] = min(low.get(p.category, p.price), p.price)
            high[p.category] = max(high.get(p.category, p.price), p.price)
        floor, ceiling = effective_budget(budget, refinement) or (None, None)

        def allowed(sku: str) -> bool:
            product = by_sku.get(sku)
            if product is None:
                return False
            if categories and product.category not in categories:
                return False
            if domain is not None and product.domain != domain:
                return False
            if product.domain == "bank" and eligibility_problems(product, attributes):
                return False
            if (floor is not None and product.price < floor) or (ceiling is not None and product.price > ceiling):
                return False
            if refinement == "cheaper" and product.category in low and product.price >= low[product.category]:
                return False
            if refinement == "pricier" and product.category in high and product.price <= high[product.category]:
                return False
            if brands and product.brand not in brands:
                return False
            if kinds and self.search.kind_name(sku) not in kinds:
                return False
            return product.brand not in refused

        return allowed

    def _in_price_band(self, allowed: Callable[[str], bool], band: Refinement) -> Callable[[str], bool]:
        """``allowed`` within a price band: "a cheap phone" (no amount named) is the cheapest third
        of the phones on sale, "a premium phone" the dearest third."""
        by_sku = {p.sku: p for p in self.search.products}
        cut = {c: _band_cut([p.price for p in self.search.products if p.category == c and p.in_stock], band)
               for c in {p.category for p in self.search.products}}
        return lambda sku: allowed(sku) and _in_band(by_sku[sku].price, cut[by_sku[sku].category], band)

    def _rank_for_interest(
        self,
        interest: str,
        language: str,
        k: int,
        allowed: Callable[[str], bool],
        context: RecommendContext,
        min_margin: float = 0.04,
    ) -> list[Pick]:
        """Products whose names are closest to ``interest``, at most two of a category, each
        standing out by ``min_margin`` from the mean similarity of that side of the business
        (the shop); none when nothing does ("music" in a shop that sells no instruments). The
        margin was chosen on 25 interests written for it (docs/benchmarks.md, "Gifts")."""
        scores = self.search.similarities(self.search.embed(interest))
        candidates = [p for p in self.search.products if allowed(p.sku)]
        if not candidates:
            return []
        # Against the whole side of the business: within one category everything is "cooking".
        sides = {p.domain for p in candidates}
        mean = float(np.mean([scores[p.sku] for p in self.search.products if p.domain in sides]))
        ranked = sorted(candidates, key=lambda p: -scores[p.sku])
        if scores[ranked[0].sku] - mean < min_margin:
            logger.info("nothing in the catalog stands out for the interest %r: plain gift picks", interest)
            return []
        # Past the margin the rest are no closer to the interest than anything else.
        close = itertools.takewhile(lambda p: scores[p.sku] - mean >= min_margin, ranked)
        available = (p for p in close if p.in_stock and p.sku not in context.exclude)
        reason = _interest_reason(interest, language)
        return [Pick(p, scores[p.sku], "interest", reason)
                for p in capped_per_category(available, lambda p: p.category, k, cap=2)]

    def _rank_by_meaning(
        self,
        text: str,
        profile: ProfileView | None,
        language: str,
        k: int,
        allowed: Callable[[str], bool],
        context: RecommendContext,
        categories: Sequence[str],
        refinement: Refinement | None = None,
        named: Collection[str] = (),
        wanted: Mapping[str, str] | None = None,
        first: Collection[str] = (),
        kind_only: Collection[str] = (),
    ) -> list[Pick]:
        wanted = wanted or {}
        request = self.search.similarities(self.search.embed(text))
        vector = profile.text_vector if profile is not None else None
        personal = self.search.similarities(vector) if vector is not None and len(vector) == self.search.dim else {}
        interests = [c for c, _ in profile.top_interests(3)] if profile is not None else []
        liked = set(profile.liked("category")) if profile is not None else set()
        # Unasked, a category the customer complained about is not offered again.
        described = {p.category for p in self.search.products if p.sku in wanted}
        pool = set(categories) or described or set(_welcome_interests(profile))
        scored = []
        for product in self.search.products:
            if not (allowed(product.sku) or product.sku in wanted) or not product.in_stock \
                    or product.sku in context.exclude:
                continue
            if pool and product.category not in pool:
                continue
            score = request[product.sku] + 0.5 * personal.get(product.sku, 0.0)
            score += 0.3 * context.sentiment.get(product.category, 0.0)
            score += 10.0 if product.sku in wanted else 0.0  # what the request describes comes first
            score += 5.0 if product.sku in first else 0.0  # ...and what has all of it before the rest
            scored.append((score, product))
        scored.sort(key=lambda row: -row[0])
        picks: list[Pick] = []
        spread = len({product.category for _, product in scored}) > 1
        for score, product in capped_per_category(scored, lambda row: row[1].category, k, 2 if spread else None):
            if product.sku in wanted:
                kind = "kind" if product.sku in kind_only else "described"
                picks.append(Pick(product, float(score), kind, wanted[product.sku]))
            elif refinement is not None and refinement in _REFINED_REASONS:
                picks.append(Pick(product, float(score), refinement, _refined_reason(refinement, language, named)))
            else:
                kind = ("more_like_these" if refinement is not None else "asked" if product.category in categories
                        else "praised_category" if product.category in liked
                        else "matches_category" if product.category in interests else "content")
                picks.append(Pick(product, float(score), kind, _meaning_reason(kind, product.category, language)))
        return picks

    def among_shown(
        self, text: str, shown: Sequence[str], language: str
    ) -> tuple[list[tuple[ProductInfo, str]], str] | None:
        """Which of the ``shown`` SKUs have what a question about them asks ("which one has
        GPS?"): ``(having, details)``, each with the feature that shows it ("" where its name
        does), best first as shown; ``None`` when the question names nothing to look for.

        A product has it when ``ProductSearch.wanted`` finds it among the products of the kinds
        shown, as for a request describing it ("a watch with GPS").
        """
        details = self.search.details(_SHOWN_WORDS.sub(" ", text))
        by_sku = {p.sku: p for p in self.search.products}
        products = [by_sku[sku] for sku in shown if sku in by_sku]
        if not details or not products:
            return None
        categories = {p.category for p in products}
        found = self.search.wanted(details, [p.sku for p in self.search.products if p.category in categories],
                                   language)
        return [(p, found[p.sku]) for p in products if p.sku in found], details

    def _of_kind(self, pick: Pick, of_kind: Mapping[str, str]) -> Pick:
        """``pick`` marked with the kind of product asked for, if it was chosen as one."""
        sku = pick.product.sku
        return replace(pick, kind=self.search.kind_name(sku)) if sku in of_kind else pick

    def _brands_as_read(self, brands: Collection[str], language: str) -> set[str]:
        """``brands`` as a reason names them: by their Chinese names in Chinese ("臻拓", not "Zento")."""
        if language != "zh":
            return set(brands)
        chinese = {p.brand: brand_zh(p) for p in self.search.products if p.brand in brands and brand_zh(p)}
        return {chinese.get(b, b) for b in brands}

    @staticmethod
    def _sentiment(profile: ProfileView | None) -> dict[str, float]:
        if profile is None:
            return {}
        return {c: o.mean for c, o in profile.category_sentiment.items()}
