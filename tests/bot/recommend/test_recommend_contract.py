"""The contract every recommender honours, run for each implementation."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest

from bot.errors import ModelError, NotFoundError, ValidationError
from bot.recommend import (
    ALSRecommender,
    ContentRecommender,
    EASERecommender,
    HybridRecommender,
    Interactions,
    ItemKNNRecommender,
    PopularityRecommender,
    ReasonKind,
    RecommendContext,
    Recommender,
    load_recommender,
)
from tests.bot.recommend.synthetic import GROUP_A, ClusterData

USER = "ua0"


class RecommenderContract:
    """Mixin: subclasses set ``make`` and inherit every contract test.

    ``knows_clusters``: the model should recommend a user's unseen in-group items first
    (all but popularity, which should follow popularity instead).
    """

    knows_clusters: ClassVar[bool] = True

    def make(self) -> Recommender:
        raise NotImplementedError

    @pytest.fixture(scope="class")
    def model(self, cluster_data: ClusterData) -> Recommender:
        return self.make().fit(cluster_data.interactions, cluster_data.items, cluster_data.users)

    def test_recommends_what_the_data_implies(
        self, model: Recommender, cluster_data: ClusterData
    ) -> None:
        for user in ("ua0", "ua3", "ub1"):
            unseen = cluster_data.unseen(user)
            recs = model.recommend(user, k=len(unseen))
            if self.knows_clusters:
                assert {r.item for r in recs} == unseen
            else:
                counts = {i: 0 for i in model.item_ids}
                for items in cluster_data.history.values():
                    for i in items:
                        counts[i] += 1
                got = [counts[r.item] for r in recs]
                assert got == sorted(got, reverse=True)
                best_unseen = max(counts[i] for i in counts if i not in cluster_data.history[user])
                assert got[0] == best_unseen

    def test_excludes_seen_items(self, model: Recommender, cluster_data: ClusterData) -> None:
        for user in ("ua0", "ub2"):
            recs = model.recommend(user, k=20)
            assert not {r.item for r in recs} & cluster_data.history[user]
            assert len(recs) == 20 - len(cluster_data.history[user])

    @pytest.mark.parametrize("k", [1, 3, 7])
    def test_k_is_respected(self, model: Recommender, k: int) -> None:
        recs = model.recommend(USER, k=k)
        assert len(recs) == k
        scores = [r.score for r in recs]
        assert scores == sorted(scores, reverse=True)
        assert len({r.item for r in recs}) == k

    def test_rejects_bad_k(self, model: Recommender) -> None:
        with pytest.raises(ValidationError):
            model.recommend(USER, k=0)

    def test_deterministic(self, model: Recommender, cluster_data: ClusterData) -> None:
        again = self.make().fit(cluster_data.interactions, cluster_data.items, cluster_data.users)
        for user in ("ua0", "ub4", "stranger"):
            first = model.recommend(user, k=5)
            second = again.recommend(user, k=5)
            assert [r.item for r in first] == [r.item for r in second]
            np.testing.assert_allclose(
                [r.score for r in first], [r.score for r in second], rtol=1e-5
            )
            assert model.recommend(user, k=5) == first

    def test_save_load_round_trip(self, model: Recommender, tmp_path: Path) -> None:
        path = tmp_path / "model.npz"
        model.save(path)
        with np.load(path, allow_pickle=False) as npz:  # plain arrays only
            assert "__meta__" in npz.files
        loaded = type(model).load(path)
        generic = load_recommender(path)
        assert type(generic) is type(model)
        assert loaded.get_params() == model.get_params()
        context = RecommendContext(history=["a1"], asked_about=["a2"])
        for user, ctx in (("ua0", None), ("ub3", None), ("stranger", context), ("stranger", None)):
            assert loaded.recommend(user, k=6, context=ctx) == model.recommend(
                user, k=6, context=ctx
            )
        np.testing.assert_array_equal(loaded.scores(["ua1", "ub1"]), model.scores(["ua1", "ub1"]))
        assert loaded.similar_items("a3", k=4) == model.similar_items("a3", k=4)

    def test_load_rejects_other_kinds_and_garbage(self, model: Recommender, tmp_path: Path) -> None:
        path = tmp_path / "model.npz"
        model.save(path)
        other = EASERecommender if not isinstance(model, EASERecommender) else ItemKNNRecommender
        with pytest.raises(ModelError):
            other.load(path)
        bad = tmp_path / "bad.npz"
        bad.write_bytes(b"not a model")
        with pytest.raises(ModelError):
            Recommender.load(bad)
        with pytest.raises(ModelError):
            Recommender.load(tmp_path / "missing.npz")

    def test_similar_items(self, model: Recommender) -> None:
        similar = model.similar_items("a3", k=4)
        assert len(similar) == 4
        assert "a3" not in {s.item for s in similar}
        assert all(
            s.reason.kind is ReasonKind.SIMILAR_ITEM and s.reason.item == "a3" for s in similar
        )
        if self.knows_clusters:
            assert {s.item for s in similar} <= set(GROUP_A)
        with pytest.raises(NotFoundError):
            model.similar_items("no-such-item")

    def test_unknown_user_takes_cold_start_path(
        self, model: Recommender, cluster_data: ClusterData
    ) -> None:
        recs = model.recommend("stranger", k=5)
        assert len(recs) == 5
        assert all(
            r.reason.kind in (ReasonKind.POPULAR, ReasonKind.POPULAR_WITH_SIMILAR) for r in recs
        )
        # A stranger who brings history gets recommendations from it.
        warm = model.recommend(
            "stranger", k=4, context=RecommendContext(history=["a0", "a1", "a2"])
        )
        assert not {r.item for r in warm} & {"a0", "a1", "a2"}
        if self.knows_clusters:
            assert {r.item for r in warm} <= set(GROUP_A)

    def test_reasons_name_real_history_in_both_languages(
        self, model: Recommender, cluster_data: ClusterData
    ) -> None:
        for rec in model.recommend(USER, k=4):
            reason = rec.reason
            assert reason.text_en and reason.text_zh
            assert reason.text("zh-CN") == reason.text_zh and reason.text("en") == reason.text_en
            if reason.kind in (ReasonKind.INTERACTED, ReasonKind.RATED_HIGHLY):
                assert reason.item in cluster_data.history[USER]
                assert f"Item {reason.item.upper()}" in reason.text_en
                assert f"《商品{reason.item.upper()}》" in reason.text_zh

    def test_scores_matrix(self, model: Recommender, cluster_data: ClusterData) -> None:
        scores = model.scores(["ua0", "stranger"])
        assert scores.shape == (2, len(model.item_ids))
        seen = [list(model.item_ids).index(i) for i in cluster_data.history["ua0"]]
        assert np.all(np.isneginf(scores[0, seen]))
        assert np.all(np.isfinite(scores[1]))

    def test_unfitted_and_empty(self) -> None:
        with pytest.raises(ModelError):
            self.make().recommend(USER)
        empty = Interactions(users=np.asarray([], dtype=str), items=np.asarray([], dtype=str))
        with pytest.raises(ValidationError):
            self.make().fit(empty)


class TestPopularity(RecommenderContract):
    knows_clusters = False

    def make(self) -> Recommender:
        return PopularityRecommender()


class TestSegmentedPopularity(RecommenderContract):
    """Popularity within the user's segment is exactly the cluster structure here."""

    def make(self) -> Recommender:
        return PopularityRecommender(segment_by=["segment"], shrinkage=1.0)

    def test_unknown_user_takes_cold_start_path(
        self, model: Recommender, cluster_data: ClusterData
    ) -> None:
        recs = model.recommend(
            "stranger", k=5, context=RecommendContext(user_attributes={"segment": "beta"})
        )
        assert {r.item[0] for r in recs} == {"b"}
        assert all(r.reason.kind is ReasonKind.POPULAR_WITH_SIMILAR for r in recs)
        assert recs[0].reason.text_en == "Popular with customers like you"
        assert model.recommend("stranger", k=3)[0].reason.kind is ReasonKind.POPULAR

    def test_similar_items(self, model: Recommender) -> None:
        similar = model.similar_items("a3", k=4)
        assert "a3" not in {s.item for s in similar}
        with pytest.raises(NotFoundError):
            model.similar_items("no-such-item")


class TestItemKNN(RecommenderContract):
    def make(self) -> Recommender:
        return ItemKNNRecommender(neighbors=10)


class TestEASE(RecommenderContract):
    def make(self) -> Recommender:
        return EASERecommender(l2=5.0)


class TestTimeAwareEASE(RecommenderContract):
    def make(self) -> Recommender:
        return EASERecommender(
            l2=5.0, session_window_s=120.0, session_weight=1.0, recency_half_life_s=3600.0
        )


@pytest.mark.skipif(
    importlib.util.find_spec("implicit") is None, reason="needs the implicit package"
)
class TestALS(RecommenderContract):
    def make(self) -> Recommender:
        return ALSRecommender(factors=2, regularization=0.1, alpha=5.0, iterations=30, threads=1)


class TestContent(RecommenderContract):
    def make(self) -> Recommender:
        return ContentRecommender()

    def test_needs_vectors(self, cluster_data: ClusterData) -> None:
        with pytest.raises(ValidationError):
            ContentRecommender().fit(cluster_data.interactions)


class TestHybrid(RecommenderContract):
    def make(self) -> Recommender:
        return HybridRecommender(
            {
                "ease": EASERecommender(l2=5.0),
                "content": ContentRecommender(),
                "popularity": PopularityRecommender(segment_by=["segment"]),
            },
            weights={"ease": 1.0, "content": 0.5, "popularity": 0.1},
        )


def test_rated_highly_reason_uses_the_rating(cluster_data: ClusterData) -> None:
    # In the synthetic data each user's first item is rated 5, the others 1-3.
    model = EASERecommender(l2=5.0).fit(cluster_data.interactions)
    first_items = {}
    for u, i, r in zip(
        cluster_data.interactions.users,
        cluster_data.interactions.items,
        cluster_data.interactions.ratings,
        strict=True,
    ):
        if r == 5.0:
            first_items[str(u)] = str(i)
    kinds = set()
    for user in ("ua0", "ua1", "ub0"):
        for rec in model.recommend(user, k=4):
            kinds.add(rec.reason.kind)
            if rec.reason.kind is ReasonKind.RATED_HIGHLY:
                assert rec.reason.item == first_items[user]
                assert rec.reason.text_zh.startswith("因为您给《")
                assert rec.reason.text_zh.endswith("打了高分")
            else:
                assert rec.reason.item != first_items[user]
    assert ReasonKind.RATED_HIGHLY in kinds


def test_interactions_validate_lengths() -> None:
    with pytest.raises(ValidationError) as info:
        Interactions(users=np.asarray(["a", "b"]), items=np.asarray(["x"]))
    assert info.value.problems
    data = Interactions.from_records([("u", "i", 2.0, 10.0), ("u", "i", 1.0, 20.0)])
    assert data.weights.tolist() == [2.0, 1.0] and data.timestamps is not None
