"""A/B tests of what the bot says: config, deterministic or bandit assignment, recording, reports.

Example:
    >>> from bot.store import open_store
    >>> from bot.experiments import Experiment, Experiments, report
    >>> store = open_store("sqlite:///:memory:")
    >>> e = Experiment(name="promo", goal="accepted_offer",
    ...                variants=[{"name": "template"}, {"name": "llm-friendly"}])
    >>> experiments = Experiments(store, experiments=[e])
    >>> arm = experiments.expose("promo", "alice", sku=None)
    >>> experiments.convert("promo", "alice")
    True
    >>> report(store, "promo", experiments={"promo": e}).variant(arm).converted
    1
"""

from __future__ import annotations

from bot.experiments._assign import (
    ArmCounts,
    allocate,
    assign_variant,
    bucket,
    customer_rng,
    thompson_choice,
)
from bot.experiments._config import (
    GOALS,
    Allocation,
    Experiment,
    Goal,
    Variant,
    load_experiments,
    parse_experiments,
)
from bot.experiments._record import Experiments, load_outcomes
from bot.experiments._report import (
    ExperimentReport,
    VariantResult,
    analyze,
    plot_report,
    report,
    srm_test,
    two_proportion_z_test,
    wilson_interval,
)

__all__ = [
    "GOALS",
    "Allocation",
    "ArmCounts",
    "Experiment",
    "ExperimentReport",
    "Experiments",
    "Goal",
    "Variant",
    "VariantResult",
    "allocate",
    "analyze",
    "assign_variant",
    "bucket",
    "customer_rng",
    "load_experiments",
    "load_outcomes",
    "parse_experiments",
    "plot_report",
    "report",
    "srm_test",
    "thompson_choice",
    "two_proportion_z_test",
    "wilson_interval",
]
