"""The hybrid's re-ranking (sentiment, business rules, diversity), reasons and weight learning."""

from __future__ import annotations

import numpy as np
import pytest

from bot.errors import ValidationError
from bot.recommend import (
    ContentRecommender,
    EASERecommender,
    HybridRecommender,
    Interactions,
    ItemKNNRecommender,
    PopularityRecommender,
    ReasonKind,
    RecommendContext,
)
from tests.bot.recommend.synthetic import CATEGORY, GROUP_A, ClusterData, make_cluster_data

USER = "ua0"


def make_hybrid(**kwargs: object) -> HybridRecommender:
    return HybridRecommender(
        {
            "ease": EASERecommender(l2=5.0),
            "content": ContentRecommender(),
            "popularity": PopularityRecommender(segment_by=["segment"]),
        },
        weights={"ease": 1.0, "content": 0.5, "popularity": 0.1},
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.fixture(scope="module")
def hybrid(cluster_data: ClusterData) -> HybridRecommender:
    return make_hybrid(sentiment_strength=5.0).fit(
        cluster_data.interactions, cluster_data.items, cluster_data.users
    )


def ranked(model: HybridRecommender, ctx: RecommendContext | None = None, k: int = 14) -> list[str]:
    return [r.item for r in model.recommend(USER, k=k, context=ctx)]


def test_complained_category_is_demoted(
    hybrid: HybridRecommender, cluster_data: ClusterData
) -> None:
    unseen = cluster_data.unseen(USER)
    plain = ranked(hybrid)
    complained = ranked(hybrid, RecommendContext(sentiment={"coffee": -1.0}))
    coffee = {i for i in unseen if CATEGORY[i] == "coffee"}
    assert coffee, "the fixture should leave some coffee unseen"
    # Every unseen coffee item drops, and none stays in the top of the list.
    for item in coffee:
        assert complained.index(item) > plain.index(item) or plain.index(item) >= len(unseen)
    assert not set(complained[: len(unseen) - len(coffee)]) & coffee


def test_praised_category_is_boosted_and_explained(
    hybrid: HybridRecommender, cluster_data: ClusterData
) -> None:
    recs = hybrid.recommend(USER, k=3, context=RecommendContext(sentiment={"garden": 1.0}))
    # Garden items belong to the other taste group: only the praise can lift them this high.
    assert any(CATEGORY[r.item] == "garden" for r in recs)
    praised = [r for r in recs if r.reason.kind is ReasonKind.PRAISED_CATEGORY]
    assert praised and all(r.reason.category == "garden" for r in praised)
    assert praised[0].reason.text_en == "You spoke well of garden"
    assert praised[0].reason.text_zh == "您对“园艺”评价很好"


def test_out_of_stock_and_ineligible_items_are_skipped(hybrid: HybridRecommender) -> None:
    plain = ranked(hybrid, k=5)
    out = {plain[0], plain[2]}
    recs = ranked(hybrid, RecommendContext(in_stock=lambda item: item not in out), k=5)
    assert len(recs) == 5 and not set(recs) & out
    recs = ranked(hybrid, RecommendContext(eligible=lambda item: item.startswith("b")), k=5)
    assert len(recs) == 5 and all(i.startswith("b") for i in recs)


def test_already_bought_items_are_excluded(hybrid: HybridRecommender) -> None:
    plain = ranked(hybrid, k=3)
    recs = ranked(hybrid, RecommendContext(exclude={plain[0]}), k=3)
    assert plain[0] not in recs and recs[:2] == plain[1:3]


def test_max_per_category_is_respected(hybrid: HybridRecommender) -> None:
    recs = ranked(hybrid, RecommendContext(max_per_category=1), k=4)
    cats = [CATEGORY[i] for i in recs]
    assert len(recs) == 4 and len(set(cats)) == 4
    recs = ranked(hybrid, RecommendContext(max_per_category=2), k=8)
    assert max(sum(CATEGORY[i] == c for i in recs) for c in set(CATEGORY.values())) <= 2


def test_mmr_diversifies(hybrid: HybridRecommender) -> None:
    plain = ranked(hybrid, k=4)
    diverse = ranked(hybrid, RecommendContext(diversity=0.9), k=4)
    assert len(diverse) == 4 and diverse[0] == plain[0]
    assert len({i[0] for i in diverse}) > len({i[0] for i in plain})


def test_reasons_follow_the_signals(hybrid: HybridRecommender, cluster_data: ClusterData) -> None:
    # Asked about an item: the reason names it, in both languages.
    ctx = RecommendContext(asked_about=["b2"])
    stranger = hybrid.recommend("stranger", k=3, context=ctx)
    assert all(r.item != "b2" for r in stranger)
    asked = [r for r in stranger if r.reason.kind is ReasonKind.SIMILAR_TO_ASKED]
    assert asked and asked[0].reason.item == "b2"
    assert asked[0].reason.text_en == 'Similar to "Item B2" you asked about'
    assert asked[0].reason.text_zh == "与您咨询过的《商品B2》相似"
    # Known customer: the evidence is in their history.
    for rec in hybrid.recommend(USER, k=4):
        if rec.reason.item is not None:
            assert rec.reason.item in cluster_data.history[USER]
    # New customer with attributes: "customers like you", from their segment.
    recs = hybrid.recommend(
        "new", k=3, context=RecommendContext(user_attributes={"segment": "alpha"})
    )
    assert all(r.item in GROUP_A for r in recs)
    assert recs[0].reason.kind is ReasonKind.POPULAR_WITH_SIMILAR
    assert recs[0].reason.text_zh == "与您相似的顾客都很喜欢"


def test_cold_customers_use_cold_weights(cluster_data: ClusterData) -> None:
    model = make_hybrid(
        cold_weights={"ease": 0.0, "content": 0.0, "popularity": 1.0}, cold_start_max=3
    )
    model.fit(cluster_data.interactions, cluster_data.items, cluster_data.users)
    short = model.recommend("stranger", k=3, context=RecommendContext(history=["a1"]))
    assert all(
        r.reason.kind in (ReasonKind.POPULAR, ReasonKind.POPULAR_WITH_SIMILAR) for r in short
    )
    long = model.recommend(
        "stranger", k=3, context=RecommendContext(history=["a1", "a2", "a3", "a4"])
    )
    assert all(r.item in GROUP_A for r in long)


def test_tune_weights_learns_from_held_out() -> None:
    data = make_cluster_data(seed=1, per_group=20, picks=8)
    inter = data.interactions
    rng = np.random.default_rng(0)
    held = rng.random(len(inter)) < 0.25
    model = HybridRecommender(
        {"knn": ItemKNNRecommender(), "popularity": PopularityRecommender()},
        weights={"knn": 0.0, "popularity": 1.0},
    ).fit(inter.subset(~held))
    before = model.tune_weights(inter.subset(held), k=3, rounds=0)
    after = model.tune_weights(inter.subset(held), k=3)
    assert after > before
    assert model.weights["knn"] > 0
    model.cold_start_max = 0  # nobody is that cold
    with pytest.raises(ValidationError):
        model.tune_weights(inter.subset(held), cold=True)


def test_rank_normalization_and_validation(cluster_data: ClusterData) -> None:
    model = HybridRecommender(
        {"ease": EASERecommender(l2=5.0), "popularity": PopularityRecommender()},
        weights={"ease": 1.0, "popularity": 0.2},
        normalization="rank",
    ).fit(cluster_data.interactions, cluster_data.items)
    assert {r.item for r in model.recommend(USER, k=4)} == cluster_data.unseen(USER)
    with pytest.raises(ValidationError):
        HybridRecommender({"ease": EASERecommender()}, weights={"nope": 1.0})
    with pytest.raises(ValidationError):
        HybridRecommender({})
    empty = Interactions(users=np.asarray(["u"]), items=np.asarray(["i"]))
    assert HybridRecommender({"p": PopularityRecommender()}).fit(empty).recommend("u", k=1) == []
