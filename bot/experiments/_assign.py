"""Variant allocation: a deterministic hash split, and Thompson sampling over Beta posteriors."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from bot.experiments._config import Experiment


@dataclass(frozen=True)
class ArmCounts:
    """Customers exposed to an arm and how many of them converted."""

    exposed: int = 0
    converted: int = 0


def bucket(experiment: str, sender_id: str) -> float:
    """A uniform number in [0, 1) fixed by the experiment and the customer (sha256).

    Example:
        >>> bucket("promo-copy", "alice") == bucket("promo-copy", "alice")
        True
    """
    digest = hashlib.sha256(f"{experiment}\x1f{sender_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def assign_variant(experiment: Experiment, sender_id: str) -> str:
    """The arm the traffic split gives this customer: same inputs, same arm, on every machine.

    Args:
        experiment: the experiment.
        sender_id: the customer.

    Returns:
        The variant's name.

    Example:
        >>> from bot.experiments import Experiment
        >>> e = Experiment(name="t", goal="click", variants=[{"name": "a"}, {"name": "b"}])
        >>> assign_variant(e, "alice") in ("a", "b")
        True
    """
    point = bucket(experiment.name, sender_id)
    total = sum(v.weight for v in experiment.variants)
    edge = 0.0
    for v in experiment.variants:
        edge += v.weight / total
        if point < edge:
            return v.name
    return experiment.variants[-1].name


def customer_rng(seed: int, experiment: str, sender_id: str) -> np.random.Generator:
    """A random generator fixed by the seed, the experiment and the customer."""
    key = int.from_bytes(hashlib.sha256(f"{experiment}\x1f{sender_id}".encode()).digest()[:8], "big")
    return np.random.default_rng([seed, key])


def thompson_choice(
    counts: Mapping[str, ArmCounts],
    rng: np.random.Generator,
    prior: tuple[float, float] = (1.0, 1.0),
) -> str:
    """Thompson sampling: draw each arm's rate from its Beta posterior, pick the largest draw.

    Args:
        counts: ``{arm: ArmCounts}`` (arms in a fixed order: ties go to the first).
        rng: the random generator.
        prior: Beta prior ``(alpha, beta)``; the default is uniform.

    Returns:
        The chosen arm.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> picks = [thompson_choice({"a": ArmCounts(1000, 10), "b": ArmCounts(1000, 90)}, rng)
        ...          for _ in range(20)]
        >>> picks.count("b")
        20
    """
    names = list(counts)
    draws = [
        rng.beta(prior[0] + c.converted, prior[1] + max(c.exposed - c.converted, 0))
        for c in (counts[n] for n in names)
    ]
    return names[int(np.argmax(draws))]


def allocate(
    experiment: Experiment,
    sender_id: str,
    counts: Mapping[str, ArmCounts] | None = None,
    *,
    seed: int = 0,
) -> str:
    """The arm for a customer not yet exposed, under the experiment's allocation.

    ``hash``: :func:`assign_variant`. ``thompson``: the split until every arm has
    ``min_exposures`` customers, then a Thompson draw from ``counts`` with a generator seeded
    by ``seed``, the experiment's seed and the customer (deterministic given the data).
    Inactive experiments give everyone the control.

    Args:
        experiment: the experiment.
        sender_id: the customer.
        counts: recorded outcomes per arm (needed for ``thompson``).
        seed: the deployment's seed (``ExperimentsSettings.seed``).

    Returns:
        The arm's name.
    """
    if not experiment.active:
        return experiment.control
    if experiment.allocation == "hash" or counts is None:
        return assign_variant(experiment, sender_id)
    arms = {v.name: counts.get(v.name, ArmCounts()) for v in experiment.variants}
    if any(c.exposed < experiment.min_exposures for c in arms.values()):
        return assign_variant(experiment, sender_id)
    rng = customer_rng(seed * 1_000_003 + experiment.seed, experiment.name, sender_id)
    return thompson_choice(arms, rng)
