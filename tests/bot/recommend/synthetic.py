"""Synthetic catalogs where the right recommendations are known (shared by the tests)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bot.recommend import Interactions, ItemFeatures, UserFeatures

GROUP_A = [f"a{i}" for i in range(10)]
GROUP_B = [f"b{i}" for i in range(10)]
CATEGORY = {
    **{i: "tea" if int(i[1:]) < 5 else "coffee" for i in GROUP_A},
    **{i: "tools" if int(i[1:]) < 5 else "garden" for i in GROUP_B},
}
CATEGORY_ZH = {"tea": "茶", "coffee": "咖啡", "tools": "工具", "garden": "园艺"}


@dataclass(frozen=True)
class ClusterData:
    """Two taste groups that never mix: A users use only A items, B users only B items."""

    interactions: Interactions
    items: ItemFeatures
    users: UserFeatures
    history: dict[str, set[str]]

    def unseen(self, user: str) -> set[str]:
        group = GROUP_A if user.startswith("ua") else GROUP_B
        return set(group) - self.history[user]


def make_cluster_data(seed: int = 0, per_group: int = 15, picks: int = 6) -> ClusterData:
    rng = np.random.default_rng(seed)
    records: list[tuple[str, str, float, float]] = []
    history: dict[str, set[str]] = {}
    for group, items in (("a", GROUP_A), ("b", GROUP_B)):
        for u in range(per_group):
            user = f"u{group}{u}"
            chosen = rng.choice(items, size=picks, replace=False).tolist()
            history[user] = set(chosen)
            start = 1_000_000.0 + 86_400.0 * u
            for j, item in enumerate(chosen):
                rating = 5.0 if j == 0 else float(rng.integers(1, 4))
                records.append((user, item, rating, start + 60.0 * j))
    interactions = Interactions(
        users=np.asarray([r[0] for r in records]),
        items=np.asarray([r[1] for r in records]),
        ratings=np.asarray([r[2] for r in records], np.float32),
        timestamps=np.asarray([r[3] for r in records]),
    )
    ids = GROUP_A + GROUP_B
    base = {"a": np.array([1.0, 0.0, 0.0]), "b": np.array([0.0, 1.0, 0.0])}
    vectors = np.stack([base[i[0]] + 0.05 * rng.standard_normal(3) for i in ids]).astype(np.float32)
    items = ItemFeatures(
        ids=ids,
        vectors=vectors,
        categories={i: [CATEGORY[i]] for i in ids},
        names={i: f"Item {i.upper()}" for i in ids},
        names_zh={i: f"商品{i.upper()}" for i in ids},
        category_names_zh=CATEGORY_ZH,
    )
    user_ids = sorted(history)
    users = UserFeatures(
        ids=user_ids,
        attributes={"segment": ["alpha" if u.startswith("ua") else "beta" for u in user_ids]},
    )
    return ClusterData(interactions, items, users, history)
