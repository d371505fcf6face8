"""Assigning customers to arms and recording exposures and conversions in the store."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from bot.errors import NotFoundError
from bot.experiments._assign import ArmCounts, allocate
from bot.experiments._config import Experiment, load_experiments
from bot.metrics import EXPERIMENT_EVENTS
from bot.store import Customer, MarketingEvent, Store

if TYPE_CHECKING:
    from bot.profiles import ProfileService
    from bot.settings import ExperimentsSettings

logger = logging.getLogger(__name__)

EXPOSURE = "experiment_exposure"
CONVERSION = "conversion"


def load_outcomes(store: Store, experiment: str, goal: str | None = None) -> dict[str, ArmCounts]:
    """Customers exposed to each arm and how many converted afterwards, from the store.

    A customer counts once, in the arm of their first exposure; a conversion counts when it
    is of the ``goal`` kind (payload ``goal``; any kind when ``goal`` is None) and happened at
    or after that first exposure.

    Args:
        store: the store.
        experiment: the experiment's name.
        goal: the conversion kind that counts.

    Returns:
        ``{arm: ArmCounts}`` for every arm with at least one exposure.
    """
    first: dict[int, tuple[datetime, str]] = {}
    converted_at: dict[int, list[datetime]] = {}
    with store.session() as session:
        exposures = session.execute(
            select(MarketingEvent.customer_id, MarketingEvent.variant, MarketingEvent.occurred_at)
            .where(MarketingEvent.experiment == experiment, MarketingEvent.kind == EXPOSURE)
            .order_by(MarketingEvent.occurred_at, MarketingEvent.id)
        )
        for customer_id, variant, at in exposures:
            if customer_id not in first and variant is not None:
                first[customer_id] = (at, variant)
        conversions = session.execute(
            select(MarketingEvent.customer_id, MarketingEvent.occurred_at, MarketingEvent.payload)
            .where(MarketingEvent.experiment == experiment, MarketingEvent.kind == CONVERSION)
        )
        for customer_id, at, payload in conversions:
            if goal is None or (payload or {}).get("goal") == goal:
                converted_at.setdefault(customer_id, []).append(at)
    exposed: dict[str, int] = {}
    converted: dict[str, int] = {}
    for customer_id, (at, variant) in first.items():
        exposed[variant] = exposed.get(variant, 0) + 1
        if any(c >= at for c in converted_at.get(customer_id, ())):
            converted[variant] = converted.get(variant, 0) + 1
    return {v: ArmCounts(n, converted.get(v, 0)) for v, n in exposed.items()}


class Experiments:
    """The experiments of a deployment over one store: assign, expose, convert.

    Args:
        store: where exposures and conversions live (``marketing_events``).
        profiles: records events (``ProfileService.record_event``); built from ``store``
            when omitted.
        experiments: the definitions (``{name: Experiment}`` or a list).
        seed: seeds the bandit's draws.
        refresh_s: how long the bandit reuses outcome counts before reading them again.

    Example:
        >>> from bot.store import open_store
        >>> from bot.experiments import Experiment
        >>> e = Experiment(name="t", goal="click", variants=[{"name": "a"}, {"name": "b"}])
        >>> ex = Experiments(open_store("sqlite:///:memory:"), experiments=[e])
        >>> v = ex.expose("t", "alice")
        >>> ex.assign("t", "alice") == v, ex.convert("t", "alice")
        (True, True)
    """

    def __init__(
        self,
        store: Store,
        profiles: ProfileService | None = None,
        experiments: Mapping[str, Experiment] | Sequence[Experiment] = (),
        *,
        seed: int = 0,
        refresh_s: float = 30.0,
    ) -> None:
        from bot.profiles import ProfileService

        self.store = store
        self.profiles = profiles or ProfileService(store)
        if isinstance(experiments, Mapping):
            self.experiments: dict[str, Experiment] = dict(experiments)
        else:
            self.experiments = {e.name: e for e in experiments}
        self.seed = seed
        self.refresh_s = refresh_s
        self._counts: dict[str, tuple[float, dict[str, ArmCounts]]] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_settings(
        cls, settings: ExperimentsSettings, store: Store, profiles: ProfileService | None = None
    ) -> Experiments:
        """The experiments of ``settings.path`` (none if the file does not exist)."""
        definitions = load_experiments(settings.path) if settings.path.is_file() else {}
        return cls(
            store, profiles, definitions, seed=settings.seed, refresh_s=settings.refresh_s
        )

    def get(self, name: str) -> Experiment:
        """The experiment called ``name``.

        Raises:
            NotFoundError: no such experiment.
        """
        experiment = self.experiments.get(name)
        if experiment is None:
            raise NotFoundError(f"no experiment named {name!r}")
        return experiment

    def counts(self, name: str, *, fresh: bool = False) -> dict[str, ArmCounts]:
        """Outcome counts per arm (cached ``refresh_s`` seconds unless ``fresh``)."""
        experiment = self.get(name)
        now = time.monotonic()
        with self._lock:
            hit = self._counts.get(name)
            if hit is not None and not fresh and now - hit[0] < self.refresh_s:
                return hit[1]
        counts = load_outcomes(self.store, name, experiment.goal)
        with self._lock:
            self._counts[name] = (now, counts)
        return counts

    def exposed_variant(self, name: str, sender_id: str) -> str | None:
        """The arm of the customer's first exposure, or ``None`` if never exposed."""
        with self.store.session() as session:
            return session.scalar(
                select(MarketingEvent.variant)
                .join(Customer, Customer.id == MarketingEvent.customer_id)
                .where(
                    Customer.sender_id == sender_id,
                    MarketingEvent.experiment == name,
                    MarketingEvent.kind == EXPOSURE,
                )
                .order_by(MarketingEvent.occurred_at, MarketingEvent.id)
                .limit(1)
            )

    def assign(self, name: str, sender_id: str) -> str:
        """The customer's arm: the one they were first exposed to, else a new allocation.

        Nothing is recorded; call :meth:`expose` when the customer actually sees the arm.

        Raises:
            NotFoundError: no such experiment.
        """
        experiment = self.get(name)
        if not experiment.active:
            return experiment.control
        known = self.exposed_variant(name, sender_id)
        if known is not None and known in {v.name for v in experiment.variants}:
            return known
        counts = self.counts(name) if experiment.allocation == "thompson" else None
        return allocate(experiment, sender_id, counts, seed=self.seed)

    def expose(
        self,
        name: str,
        sender_id: str,
        *,
        variant: str | None = None,
        sku: str | None = None,
        payload: Mapping[str, Any] | None = None,
        event_id: str | None = None,
        at: datetime | None = None,
    ) -> str:
        """Record that the customer saw their arm; returns the arm.

        Args:
            name: the experiment.
            sender_id: the customer.
            variant: the arm shown, when the caller already assigned it (else :meth:`assign`).
            sku: the product shown with it.
            payload: anything else worth keeping (no free text, no PII).
            event_id: idempotency key (a redelivered event is recorded once).
            at: when (default: now).

        Raises:
            NotFoundError: no such experiment or arm.
        """
        experiment = self.get(name)
        arm = variant or self.assign(name, sender_id)
        experiment.variant(arm)
        if not experiment.active:
            return arm
        recorded = self.profiles.record_event(
            sender_id,
            EXPOSURE,
            experiment=name,
            variant=arm,
            sku=sku,
            payload=payload,
            event_id=event_id,
            at=at,
        )
        if recorded:
            EXPERIMENT_EVENTS.labels(name, arm, "exposure").inc()
        return arm

    def convert(
        self,
        name: str,
        sender_id: str,
        *,
        goal: str | None = None,
        sku: str | None = None,
        value: float | None = None,
        event_id: str | None = None,
        at: datetime | None = None,
    ) -> bool:
        """Record a conversion of an exposed customer, with the arm they saw.

        Args:
            name: the experiment.
            sender_id: the customer.
            goal: the kind of conversion (default: the experiment's goal; others are kept
                but not counted by the report).
            sku: the product converted on.
            value: e.g. the amount paid.
            event_id: idempotency key.
            at: when (default: now).

        Returns:
            True if recorded; False when the customer was never exposed (nothing to
            attribute it to) or the event was recorded before.

        Raises:
            NotFoundError: no such experiment.
        """
        experiment = self.get(name)
        arm = self.exposed_variant(name, sender_id)
        if arm is None:
            logger.debug("conversion in %s by a customer never exposed: not recorded", name)
            return False
        recorded = self.profiles.record_event(
            sender_id,
            CONVERSION,
            experiment=name,
            variant=arm,
            sku=sku,
            value=value,
            payload={"goal": goal or experiment.goal},
            event_id=event_id,
            at=at,
        )
        if recorded:
            EXPERIMENT_EVENTS.labels(name, arm, "conversion").inc()
        return recorded
