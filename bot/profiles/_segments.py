"""Customer segments: k-means over profile features, named and described from their members."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import delete, select, update

from bot.catalog import aspect_label, category_label
from bot.errors import ValidationError
from bot.profiles._aggregate import mean_direction, pack_vector
from bot.profiles._view import OPINION_THRESHOLD
from bot.store import Profile, Segment, Store, utcnow

logger = logging.getLogger(__name__)

#: Relative weight of each feature block (interest shares sum to 1, so they set the scale).
TEXT_WEIGHT = 0.35
SENTIMENT_WEIGHT = 0.3
SPEND_WEIGHT = 0.3
#: k tried when none is given (the best silhouette wins).
K_RANGE = range(3, 9)


@dataclass(frozen=True)
class SegmentInfo:
    """A segment as built (or read back).

    Attributes:
        id: database id.
        name_en: short English name, e.g. "Phones & laptops fans, high spend".
        name_zh: the Chinese name.
        description_en: one sentence on who is in it.
        description_zh: the Chinese description.
        size: members.
        stats: what the description was computed from.
    """

    id: int
    name_en: str
    name_zh: str
    description_en: str
    description_zh: str
    size: int
    stats: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Member:
    customer_id: int
    interests: dict[str, float]
    text: npt.NDArray[np.float32] | None
    sentiment: float
    spend: float
    purchases: int
    complaints: list[str]


def _load_members(store: Store) -> list[_Member]:
    members: list[_Member] = []
    with store.session() as session:
        for profile in session.scalars(select(Profile).order_by(Profile.customer_id)):
            raw = {k: float(v) for k, v in (profile.interests or {}).items() if float(v) > 0}
            total = sum(raw.values())
            cat_sent = profile.category_sentiment or {}
            asp_sent = profile.aspect_sentiment or {}
            opinions = [float(v["mean"]) for v in list(cat_sent.values()) + list(asp_sent.values())]
            if not total and profile.text_sum is None:
                continue
            members.append(
                _Member(
                    customer_id=profile.customer_id,
                    interests={k: v / total for k, v in raw.items()} if total else {},
                    text=mean_direction(profile.text_sum),
                    sentiment=sum(opinions) / len(opinions) if opinions else 0.0,
                    spend=float(profile.total_spend or 0.0),
                    purchases=int((profile.counts or {}).get("purchase", 0)),
                    complaints=[
                        a for a, v in asp_sent.items() if float(v["mean"]) <= -OPINION_THRESHOLD
                    ],
                )
            )
    return members


def _features(members: list[_Member]) -> tuple[npt.NDArray[np.float64], list[str]]:
    categories = sorted({c for m in members for c in m.interests})
    index = {c: i for i, c in enumerate(categories)}
    interests = np.zeros((len(members), len(categories)))
    for row, m in enumerate(members):
        for c, share in m.interests.items():
            interests[row, index[c]] = share
    texts = [m.text for m in members if m.text is not None]
    dim = texts[0].shape[0] if texts else 0
    text_block = np.zeros((len(members), dim))
    if texts:
        # Customers who never wrote anything get the average text vector: "no text" is
        # missing data, not a taste of its own.
        mean = np.mean(np.stack(texts), axis=0)
        for row, m in enumerate(members):
            text_block[row] = m.text if m.text is not None else mean
        text_block -= text_block.mean(axis=0)
    spend = np.log1p(np.array([m.spend for m in members]))
    spend = spend / spend.max() if spend.max() > 0 else spend
    sentiment = np.array([m.sentiment for m in members])
    features = np.hstack(
        [
            interests,
            TEXT_WEIGHT * text_block,
            SENTIMENT_WEIGHT * sentiment[:, None],
            SPEND_WEIGHT * spend[:, None],
        ]
    )
    return features, categories


def _cluster(
    features: npt.NDArray[np.float64], k: int | None, seed: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64], int]:
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    n = features.shape[0]
    distinct = len(np.unique(features.round(9), axis=0))
    candidates = [k] if k is not None else [c for c in K_RANGE if c < n and c <= distinct]
    if not candidates:
        candidates = [max(1, min(2, n))]
    best: tuple[float, npt.NDArray[np.int64], npt.NDArray[np.float64], int] | None = None
    for c in candidates:
        model = KMeans(n_clusters=c, n_init=10, random_state=seed).fit(features)
        labels = model.labels_.astype(np.int64)
        score = silhouette_score(features, labels) if 1 < len(set(labels)) < n else -1.0
        if best is None or score > best[0]:
            best = (float(score), labels, model.cluster_centers_, c)
    assert best is not None
    return best[1], best[2], best[3]


def _tier(avg_spend: float, overall: float) -> tuple[str, str]:
    if overall <= 0 or avg_spend <= 0:
        return "browsers", "浏览为主"
    ratio = avg_spend / overall
    if ratio >= 1.5:
        return "high spend", "高消费"
    if ratio <= 0.5:
        return "low spend", "低消费"
    return "mid spend", "中等消费"


def _describe(members: list[_Member], overall_spend: float) -> dict[str, Any]:
    size = len(members)
    shares: Counter[str] = Counter()
    for m in members:
        shares.update(m.interests)
    top = [(c, s / size) for c, s in shares.most_common(3)]
    complaints: Counter[str] = Counter(a for m in members for a in m.complaints)
    avg_spend = sum(m.spend for m in members) / size
    avg_sent = sum(m.sentiment for m in members) / size
    writers = sum(m.text is not None for m in members)
    tier_en, tier_zh = _tier(avg_spend, overall_spend)
    return {
        "size": size,
        "top_categories": [{"category": c, "share": round(s, 4)} for c, s in top],
        "complaints": [
            {"aspect": a, "share": round(n / size, 4)} for a, n in complaints.most_common(3)
        ],
        "avg_spend": round(avg_spend, 2),
        "avg_purchases": round(sum(m.purchases for m in members) / size, 2),
        "avg_sentiment": round(avg_sent, 4),
        "with_text": writers,
        "tier": [tier_en, tier_zh],
    }


def _names(stats: dict[str, Any]) -> tuple[str, str]:
    cats = [t["category"] for t in stats["top_categories"] if t["share"] >= 0.15][:2] or [
        t["category"] for t in stats["top_categories"][:1]
    ]
    tier_en, tier_zh = stats["tier"]
    en = " & ".join(category_label(c, "en") for c in cats)
    zh = "与".join(category_label(c, "zh") for c in cats)
    return f"{en[:1].upper()}{en[1:]} fans, {tier_en}", f"{zh}爱好者 · {tier_zh}"


def _descriptions(stats: dict[str, Any]) -> tuple[str, str]:
    top_en = ", ".join(
        f"{category_label(t['category'], 'en')} ({t['share']:.0%})" for t in stats["top_categories"]
    )
    top_zh = "、".join(
        f"{category_label(t['category'], 'zh')}（{t['share']:.0%}）"
        for t in stats["top_categories"]
    )
    mood = stats["avg_sentiment"]
    mood_en = "mostly positive" if mood >= 0.2 else ("mostly negative" if mood <= -0.2 else "mixed")
    mood_zh = "整体正面" if mood >= 0.2 else ("整体负面" if mood <= -0.2 else "褒贬不一")
    en = (
        f"{stats['size']} customers; interested in {top_en}; sentiment {mood_en} ({mood:+.2f}); "
        f"average spend CNY {stats['avg_spend']:,.0f} over {stats['avg_purchases']:.1f} purchases"
    )
    zh = (
        f"{stats['size']}位客户；关注{top_zh}；评价{mood_zh}（{mood:+.2f}）；"
        f"人均消费¥{stats['avg_spend']:,.0f}，人均购买{stats['avg_purchases']:.1f}次"
    )
    if stats["complaints"]:
        en += "; common complaints: " + ", ".join(
            f"{aspect_label(c['aspect'], 'en')} ({c['share']:.0%})" for c in stats["complaints"]
        )
        zh += "；常见抱怨：" + "、".join(
            f"{aspect_label(c['aspect'], 'zh')}（{c['share']:.0%}）" for c in stats["complaints"]
        )
    return en + ".", zh + "。"


def build_segments(store: Store, k: int | None = None, *, seed: int = 0) -> list[SegmentInfo]:
    """Cluster every profile into named segments and store them (replacing the previous ones).

    Features: interest shares per category, the text vector (customers who never wrote
    get the average), overall sentiment and log spend. Each segment is named after its
    top categories and spend level, and described from its members.

    Args:
        store: the store.
        k: number of segments; ``None`` picks 3-8 by silhouette score.
        seed: k-means seed (same data and seed give the same segments).

    Returns:
        The segments, largest first.

    Raises:
        ValidationError: fewer profiles than segments asked for.
    """
    members = _load_members(store)
    if k is not None and k < 1:
        raise ValidationError("bad k", problems=[f"k: {k} must be at least 1"])
    if not members or (k is not None and len(members) < k):
        raise ValidationError(
            "not enough profiles to segment",
            problems=[f"profiles: {len(members)} with data, need at least {k or 1}"],
        )
    features, categories = _features(members)
    labels, centers, chosen_k = _cluster(features, k, seed)
    overall_spend = sum(m.spend for m in members) / len(members)
    groups: dict[int, list[int]] = {}
    for row, label in enumerate(labels):
        groups.setdefault(int(label), []).append(row)
    ordered = sorted(groups.items(), key=lambda item: -len(item[1]))
    built: list[tuple[Segment, list[int]]] = []
    used: Counter[str] = Counter()
    for label, rows in ordered:
        stats = _describe([members[r] for r in rows], overall_spend)
        stats["features"] = {"categories": categories, "text_weight": TEXT_WEIGHT, "k": chosen_k}
        name_en, name_zh = _names(stats)
        used[name_en] += 1
        if used[name_en] > 1:
            name_en, name_zh = f"{name_en} ({used[name_en]})", f"{name_zh}（{used[name_en]}）"
        desc_en, desc_zh = _descriptions(stats)
        segment = Segment(
            name_en=name_en,
            name_zh=name_zh,
            description_en=desc_en,
            description_zh=desc_zh,
            size=len(rows),
            stats=stats,
            centroid=pack_vector(centers[label], np.float32),
            created_at=utcnow(),
        )
        built.append((segment, [members[r].customer_id for r in rows]))
    with store.session() as session:
        session.execute(
            update(Profile).where(Profile.segment_id.is_not(None)).values(segment_id=None)
        )
        session.execute(delete(Segment))
        for segment, _ in built:
            session.add(segment)
        session.flush()
        for segment, customer_ids in built:
            for start in range(0, len(customer_ids), 500):
                chunk = customer_ids[start : start + 500]
                session.execute(
                    update(Profile)
                    .where(Profile.customer_id.in_(chunk))
                    .values(segment_id=segment.id)
                )
        out = [
            SegmentInfo(
                s.id,
                s.name_en,
                s.name_zh,
                s.description_en,
                s.description_zh,
                s.size,
                dict(s.stats),
            )
            for s, _ in built
        ]
    logger.info("built %d segments over %d profiles", len(out), len(members))
    return out


def list_segments(store: Store) -> list[SegmentInfo]:
    """The segments of the last build, largest first.

    Args:
        store: the store.

    Returns:
        The segments.
    """
    with store.session() as session:
        return [
            SegmentInfo(
                s.id,
                s.name_en,
                s.name_zh,
                s.description_en,
                s.description_zh,
                s.size,
                dict(s.stats),
            )
            for s in session.scalars(select(Segment).order_by(Segment.size.desc(), Segment.id))
        ]
