"""Reading a profile for a turn (one indexed query) and describing it to the customer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import select

from bot.catalog import aspect_label, category_label
from bot.profiles._aggregate import decay_factor, mean_direction
from bot.profiles._config import ProfileConfig
from bot.store import Customer, Profile, Segment, Store, utcnow

#: Mean sentiment at or above which something counts as liked (at or below minus: disliked).
OPINION_THRESHOLD = 0.25


#: Interests with a smaller share are left out of the summary.
MIN_SHARE_SHOWN = 0.05


@dataclass(frozen=True)
class Opinion:
    """The customer's average sentiment about a category or aspect.

    Attributes:
        mean: average score in [-1, 1].
        count: how many observations it rests on.
    """

    mean: float
    count: int


@dataclass(frozen=True)
class SegmentRef:
    """The segment a customer belongs to."""

    id: int
    name_en: str
    name_zh: str

    def name(self, language: str = "en") -> str:
        """The segment's name in ``language``."""
        return self.name_zh if language.startswith("zh") else self.name_en


@dataclass(frozen=True)
class ProfileView:
    """Everything known about a customer, as plain values (read once per turn).

    Attributes:
        sender_id: the channel's sender id.
        locale: preferred language.
        marketing_consent: whether promotions may be sent.
        consent_updated_at: when consent was last given or withdrawn.
        attributes: non-identifying facts (age, city, income) for eligibility.
        text_vector: unit-length recency-weighted mean embedding of what they wrote, or None.
        text_count: how many texts went into it.
        encoder_name: the encoder the vector came from.
        interests: ``{category: share}``, shares of decayed interest weight summing to 1,
            largest first.
        interest_strength: total interest weight decayed to now (activity level).
        category_sentiment: ``{category: Opinion}``.
        aspect_sentiment: ``{aspect: Opinion}``.
        counts: events seen, ``{"message": n, "purchase": n, ...}``.
        total_spend: sum of purchase amounts.
        segment: the segment from the last ``ipm segments build``.
        last_event_at: when the latest event happened.
        version: bumped on every update.
    """

    sender_id: str
    locale: str
    marketing_consent: bool
    consent_updated_at: datetime | None
    attributes: dict[str, Any] = field(default_factory=dict)
    text_vector: npt.NDArray[np.float32] | None = None
    text_count: int = 0
    encoder_name: str | None = None
    interests: dict[str, float] = field(default_factory=dict)
    interest_strength: float = 0.0
    category_sentiment: dict[str, Opinion] = field(default_factory=dict)
    aspect_sentiment: dict[str, Opinion] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    total_spend: float = 0.0
    segment: SegmentRef | None = None
    last_event_at: datetime | None = None
    version: int = 0

    @property
    def is_empty(self) -> bool:
        """Nothing has been learned about this customer yet."""
        return not self.counts

    def top_interests(self, k: int = 3) -> list[tuple[str, float]]:
        """The ``k`` categories with the largest interest share."""
        return list(self.interests.items())[:k]

    def liked(self, kind: str = "category") -> list[str]:
        """Categories (or aspects, ``kind="aspect"``) with mean sentiment >= the threshold."""
        source = self.category_sentiment if kind == "category" else self.aspect_sentiment
        return _ranked(source, positive=True)

    def disliked(self, kind: str = "category") -> list[str]:
        """Categories (or aspects) with mean sentiment <= minus the threshold."""
        source = self.category_sentiment if kind == "category" else self.aspect_sentiment
        return _ranked(source, positive=False)

    def sentiment_about(self, key: str) -> float | None:
        """Mean sentiment about a category or aspect (categories checked first)."""
        opinion = self.category_sentiment.get(key) or self.aspect_sentiment.get(key)
        return opinion.mean if opinion else None


def _ranked(source: dict[str, Opinion], *, positive: bool) -> list[str]:
    if positive:
        picked = [(k, o) for k, o in source.items() if o.mean >= OPINION_THRESHOLD]
    else:
        picked = [(k, o) for k, o in source.items() if o.mean <= -OPINION_THRESHOLD]
    picked.sort(key=lambda item: -abs(item[1].mean) * item[1].count)
    return [k for k, _ in picked]


def _opinions(raw: dict[str, Any] | None) -> dict[str, Opinion]:
    return {k: Opinion(mean=float(v["mean"]), count=int(v["n"])) for k, v in (raw or {}).items()}


def build_view(
    customer: Customer,
    profile: Profile | None,
    segment: SegmentRef | None,
    config: ProfileConfig | None = None,
    now: datetime | None = None,
) -> ProfileView:
    """Turn rows into a :class:`ProfileView` (no database access).

    Args:
        customer: the customer row.
        profile: the profile row, if any.
        segment: the customer's segment.
        config: for the interest half-life.
        now: the time interests are decayed to (default: now).

    Returns:
        The view.
    """
    cfg = config or ProfileConfig()
    base: dict[str, Any] = {
        "sender_id": customer.sender_id,
        "locale": customer.locale,
        "marketing_consent": customer.marketing_consent,
        "consent_updated_at": customer.consent_updated_at,
        "attributes": dict(customer.attributes or {}),
    }
    if profile is None:
        return ProfileView(**base)
    raw = {k: float(v) for k, v in (profile.interests or {}).items() if float(v) > 0}
    total = sum(raw.values())
    interests = (
        {k: v / total for k, v in sorted(raw.items(), key=lambda kv: -kv[1])} if total else {}
    )
    strength = 0.0
    if total and profile.interest_ref_at is not None:
        age = ((now or utcnow()) - profile.interest_ref_at).total_seconds()
        strength = total * decay_factor(age, cfg.half_life_s)
    return ProfileView(
        **base,
        text_vector=mean_direction(profile.text_sum),
        text_count=profile.text_count or 0,
        encoder_name=profile.encoder_name,
        interests=interests,
        interest_strength=strength,
        category_sentiment=_opinions(profile.category_sentiment),
        aspect_sentiment=_opinions(profile.aspect_sentiment),
        counts={k: int(v) for k, v in (profile.counts or {}).items()},
        total_spend=float(profile.total_spend or 0.0),
        segment=segment,
        last_event_at=profile.last_event_at,
        version=profile.version,
    )


def get_profile(
    store: Store, sender_id: str, config: ProfileConfig | None = None
) -> ProfileView | None:
    """Read a customer's profile for this turn: one indexed query.

    Args:
        store: the store.
        sender_id: the channel's sender id.
        config: for the interest half-life.

    Returns:
        The profile, or ``None`` for a customer never seen.

    Example:
        >>> view = get_profile(store, "alice")                 # doctest: +SKIP
        >>> view.top_interests(2)                               # doctest: +SKIP
        [('phones', 0.71), ('headphones', 0.18)]
    """
    stmt = (
        select(Customer, Profile, Segment.id, Segment.name_en, Segment.name_zh)
        .outerjoin(Profile, Profile.customer_id == Customer.id)
        .outerjoin(Segment, Segment.id == Profile.segment_id)
        .where(Customer.sender_id == sender_id)
    )
    with store.session() as session:
        row = session.execute(stmt).one_or_none()
        if row is None:
            return None
        customer, profile, seg_id, seg_en, seg_zh = row
        segment = SegmentRef(int(seg_id), seg_en, seg_zh) if seg_id is not None else None
        return build_view(customer, profile, segment, config)


def has_marketing_consent(store: Store, sender_id: str) -> bool:
    """Whether promotions may be sent to this customer (False for unknown customers).

    Args:
        store: the store.
        sender_id: the channel's sender id.

    Returns:
        The stored opt-in.
    """
    with store.session() as session:
        consent = session.scalar(
            select(Customer.marketing_consent).where(Customer.sender_id == sender_id)
        )
        return bool(consent)


def _money(amount: float, language: str) -> str:
    return f"¥{amount:,.2f}" if language.startswith("zh") else f"CNY {amount:,.2f}"


def _join(items: list[str], language: str) -> str:
    if language.startswith("zh"):
        return "、".join(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def describe_profile(view: ProfileView | None, language: str = "en") -> str:
    """A readable answer to "what do you know about me?".

    Args:
        view: the profile (``None`` for an unknown customer).
        language: ``"zh"`` or ``"en"``.

    Returns:
        A few short lines in ``language``.

    Example:
        >>> print(describe_profile(None, "en"))
        I don't know anything about you yet.
    """
    zh = language.startswith("zh")
    if view is None or view.is_empty:
        lines = ["我目前还不了解您的任何信息。" if zh else "I don't know anything about you yet."]
        if view is not None:
            lines.append(_consent_line(view, zh))
        return "\n".join(lines)
    lines = ["以下是我了解到的关于您的信息：" if zh else "Here is what I know about you:"]
    top = [(c, share) for c, share in view.top_interests(3) if share >= MIN_SHARE_SHOWN]
    if top:
        parts = [
            f"{category_label(c, language)}（{share:.0%}）"
            if zh
            else f"{category_label(c, language)} ({share:.0%})"
            for c, share in top
        ]
        lines.append(
            ("- 您最感兴趣的是：" + _join(parts, language) + "。")
            if zh
            else ("- You are most interested in " + _join(parts, language) + ".")
        )
    liked = [category_label(c, language) for c in view.liked("category")[:3]]
    happy = [aspect_label(a, language) for a in view.liked("aspect")[:3]]
    unhappy = [aspect_label(a, language) for a in view.disliked("aspect")[:3]]
    unhappy += [category_label(c, language) for c in view.disliked("category")[:3]]
    if liked:
        lines.append(
            ("- 您喜欢：" + _join(liked, language) + "。")
            if zh
            else ("- You like " + _join(liked, language) + ".")
        )
    if happy:
        text = _join(happy, language)
        lines.append(f"- 您满意的方面：{text}。" if zh else f"- You were happy with {text}.")
    if unhappy:
        text = _join(unhappy, language)
        lines.append(f"- 您不满意的方面：{text}。" if zh else f"- You were unhappy with {text}.")
    lines.append(_activity_line(view, zh, language))
    if view.segment is not None:
        lines.append(
            f"- 客户群：{view.segment.name_zh}。"
            if zh
            else f"- Customer group: {view.segment.name_en}."
        )
    lines.append(_consent_line(view, zh))
    return "\n".join(lines)


_ACTIVITY = (
    ("view", "view", "views", "浏览"),
    ("click", "click", "clicks", "点击"),
    ("cart", "add-to-cart", "add-to-carts", "加购"),
    ("purchase", "purchase", "purchases", "购买"),
    ("rating", "rating", "ratings", "评分"),
    ("message", "message", "messages", "聊天消息"),
    ("review", "review", "reviews", "评价"),
)


def _activity_line(view: ProfileView, zh: bool, language: str) -> str:
    parts: list[str] = []
    for key, one, many, cn in _ACTIVITY:
        n = view.counts.get(key, 0)
        if not n:
            continue
        unit = "条" if key in ("message", "review") else "次"
        en = f"{n} {one if n == 1 else many}"
        if key == "purchase" and view.total_spend:
            spend = _money(view.total_spend, language)
            parts.append(f"{cn}{n}{unit}（共{spend}）" if zh else f"{en} ({spend} in total)")
        else:
            parts.append(f"{cn}{n}{unit}" if zh else en)
    if zh:
        return "- 您的记录：" + "，".join(parts) + "。"
    return "- Your activity: " + ", ".join(parts) + "."


def _consent_line(view: ProfileView, zh: bool) -> str:
    if view.marketing_consent:
        return (
            "- 营销消息：您已同意接收优惠信息（说“不要再给我推送了”即可退订）。"
            if zh
            else (
                '- Offers: you agreed to receive offers (say "stop sending me offers" to opt out).'
            )
        )
    return (
        "- 营销消息：您未订阅优惠信息（说“给我发优惠”即可订阅）。"
        if zh
        else ('- Offers: you do not receive offers (say "send me offers" to opt in).')
    )
