"""Fixtures of the recommender tests."""

from __future__ import annotations

import pytest

from tests.bot.recommend.synthetic import ClusterData, make_cluster_data


@pytest.fixture(scope="session")
def cluster_data() -> ClusterData:
    return make_cluster_data()
