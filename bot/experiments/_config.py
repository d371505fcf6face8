"""Experiment definitions (variants, traffic split, goal, allocation) read from YAML."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic import ValidationError as PydanticValidationError

from bot.errors import NotFoundError, ValidationError

#: What counts as a conversion: a click on the offer, an add-to-cart, a purchase, an accepted offer.
Goal = Literal["click", "cart", "purchase", "accepted_offer"]
GOALS: tuple[str, ...] = ("click", "cart", "purchase", "accepted_offer")
Allocation = Literal["hash", "thompson"]


class Variant(BaseModel):
    """One arm of an experiment.

    Attributes:
        name: e.g. ``template``, ``llm-friendly``.
        weight: relative share of traffic under hash allocation.
        params: what the arm does, read by the code that serves it (e.g. ``backend``,
            ``style`` for promotion copy, ``rephrase`` for replies).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
    weight: float = Field(default=1.0, gt=0)
    params: dict[str, Any] = Field(default_factory=dict)


class Experiment(BaseModel):
    """An A/B test.

    Attributes:
        name: unique name, stored with every exposure and conversion.
        description: what it tests.
        goal: the conversion that counts.
        variants: two or more arms.
        control: the arm the others are compared with (default: the first).
        allocation: ``hash`` (fixed split by a hash of experiment and customer) or
            ``thompson`` (bandit: Beta posteriors from the recorded outcomes).
        min_exposures: under ``thompson``, customers per arm assigned by the split first.
        seed: seeds the bandit's draws.
        active: inactive experiments assign everyone the control and record nothing new.

    Example:
        >>> e = Experiment(name="x", goal="click", variants=[{"name": "a"}, {"name": "b", "weight": 3}])
        >>> e.control, e.shares()
        ('a', {'a': 0.25, 'b': 0.75})
    """

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,127}$")
    description: str = ""
    goal: Goal
    variants: tuple[Variant, ...] = Field(min_length=2)
    control_variant: str | None = Field(default=None, alias="control")
    allocation: Allocation = "hash"
    min_exposures: int = Field(default=20, ge=0)
    seed: int = 0
    active: bool = True

    @model_validator(mode="after")
    def _consistent(self) -> Experiment:
        names = [v.name for v in self.variants]
        if len(set(names)) != len(names):
            raise ValueError("variant names must be unique")
        if self.control_variant is not None and self.control_variant not in names:
            raise ValueError(f"control {self.control_variant!r} is not a variant")
        return self

    @property
    def control(self) -> str:
        """The control arm's name."""
        return self.control_variant or self.variants[0].name

    def variant(self, name: str) -> Variant:
        """The arm called ``name``.

        Raises:
            NotFoundError: no such arm.
        """
        for v in self.variants:
            if v.name == name:
                return v
        raise NotFoundError(f"experiment {self.name!r} has no variant {name!r}")

    def shares(self) -> dict[str, float]:
        """Each arm's intended share of traffic (weights normalised)."""
        total = sum(v.weight for v in self.variants)
        return {v.name: v.weight / total for v in self.variants}


def parse_experiments(items: Iterable[Any], source: str = "experiments") -> dict[str, Experiment]:
    """Validate experiment definitions.

    Args:
        items: mappings as in ``data/experiments.yml``.
        source: named in error messages.

    Returns:
        ``{name: Experiment}`` in the given order.

    Raises:
        ValidationError: invalid or duplicate definitions.
    """
    out: dict[str, Experiment] = {}
    problems: list[str] = []
    for index, raw in enumerate(items):
        label = raw.get("name", f"#{index + 1}") if isinstance(raw, dict) else f"#{index + 1}"
        try:
            experiment = Experiment.model_validate(raw)
        except PydanticValidationError as exc:
            for err in exc.errors():
                where = ".".join(str(p) for p in err["loc"]) or "experiment"
                problems.append(f"experiment {label}, {where}: {err['msg']}")
            continue
        if experiment.name in out:
            problems.append(f"experiment {experiment.name}: duplicate name")
        out[experiment.name] = experiment
    if problems:
        raise ValidationError(f"invalid experiments in {source}", problems=problems)
    return out


def load_experiments(path: str | Path) -> dict[str, Experiment]:
    """Read ``data/experiments.yml`` (a top-level ``experiments:`` list).

    Args:
        path: the YAML file.

    Returns:
        ``{name: Experiment}``.

    Raises:
        ValidationError: unreadable file or invalid definitions.

    Example:
        >>> from bot.settings import PROJECT_ROOT
        >>> "promo-copy" in load_experiments(PROJECT_ROOT / "data" / "experiments.yml")
        True
    """
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ValidationError(f"cannot read experiments {path}", problems=[str(exc)]) from exc
    if not isinstance(data, dict) or not isinstance(data.get("experiments"), list):
        raise ValidationError(f"{path}: expected a top-level 'experiments:' list", problems=[])
    return parse_experiments(data["experiments"], str(path))
