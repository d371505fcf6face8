"""The experiment report: rates with Wilson intervals, tests against the control, SRM check, plot."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.experiments._assign import ArmCounts
from bot.experiments._config import Experiment, load_experiments
from bot.experiments._record import load_outcomes

if TYPE_CHECKING:
    from bot.store import Store

#: p-value under which a sample-ratio mismatch is reported (the usual, strict, threshold).
SRM_ALPHA = 0.001


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval of a proportion.

    Args:
        successes: conversions.
        n: trials (exposed customers).
        confidence: e.g. 0.95.

    Returns:
        ``(low, high)``; ``(0, 1)`` when ``n`` is 0.

    Example:
        >>> [round(x, 4) for x in wilson_interval(8, 100)]
        [0.0411, 0.15]
    """
    if n <= 0:
        return 0.0, 1.0
    from scipy.stats import norm

    z = float(norm.ppf(0.5 + confidence / 2))
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    low = 0.0 if successes <= 0 else max(0.0, centre - half)
    high = 1.0 if successes >= n else min(1.0, centre + half)
    return low, high


def two_proportion_z_test(x1: int, n1: int, x2: int, n2: int) -> tuple[float, float]:
    """Pooled two-proportion z-test of ``x2/n2`` against ``x1/n1`` (two-sided).

    Returns:
        ``(z, p_value)``; ``(0, 1)`` when either arm is empty or nothing varies.

    Example:
        >>> z, p = two_proportion_z_test(50, 1000, 80, 1000)
        >>> round(z, 2), p < 0.01
        (2.72, True)
    """
    if n1 <= 0 or n2 <= 0:
        return 0.0, 1.0
    from scipy.stats import norm

    pooled = (x1 + x2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return 0.0, 1.0
    z = (x2 / n2 - x1 / n1) / se
    return z, float(2 * norm.sf(abs(z)))


def srm_test(observed: Sequence[int], expected_shares: Sequence[float]) -> tuple[float, float]:
    """Chi-square goodness of fit of the arms' sizes to the intended split.

    Returns:
        ``(chi2, p_value)``; ``(0, 1)`` with no traffic.

    Example:
        >>> chi2, p = srm_test([600, 400], [0.5, 0.5])
        >>> round(chi2), p < 0.001
        (40, True)
    """
    total = sum(observed)
    if total == 0:
        return 0.0, 1.0
    from scipy.stats import chisquare

    expected = [s * total for s in expected_shares]
    result = chisquare(list(observed), f_exp=expected)
    return float(result.statistic), float(result.pvalue)


def _holm(p_values: Sequence[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values (same order as given)."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [1.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


@dataclass(frozen=True)
class VariantResult:
    """One arm's outcome.

    Attributes:
        name: the arm.
        exposed: customers who saw it.
        converted: of those, customers who converted afterwards.
        rate: ``converted / exposed``.
        ci_low: lower end of the 95 % Wilson interval.
        ci_high: upper end.
        expected_share: intended share of traffic.
        observed_share: actual share.
        diff: rate minus the control's rate (``None`` for the control).
        diff_ci_low: lower end of the difference's 95 % (Wald) interval.
        diff_ci_high: upper end.
        lift: relative difference to the control's rate.
        z: the two-proportion z statistic.
        p_value: its two-sided p-value.
        p_adjusted: Holm-adjusted over the comparisons with the control.
        significant: ``p_adjusted < alpha``.
    """

    name: str
    exposed: int
    converted: int
    rate: float
    ci_low: float
    ci_high: float
    expected_share: float
    observed_share: float
    diff: float | None = None
    diff_ci_low: float | None = None
    diff_ci_high: float | None = None
    lift: float | None = None
    z: float | None = None
    p_value: float | None = None
    p_adjusted: float | None = None
    significant: bool = False


@dataclass(frozen=True)
class ExperimentReport:
    """What an experiment found.

    Attributes:
        experiment: its name.
        goal: the conversion counted.
        control: the arm compared against.
        allocation: ``hash`` or ``thompson``.
        alpha: significance level.
        variants: one result per arm, in definition order.
        total_exposed: customers in the experiment.
        srm_chi2: chi-square statistic of the arms' sizes against the split.
        srm_p_value: its p-value.
        srm_detected: True when the split is broken (p < 0.001); ``None`` under a bandit,
            whose split is unequal on purpose.
        winner: the best arm significantly better than the control, if any.
    """

    experiment: str
    goal: str
    control: str
    allocation: str
    alpha: float
    variants: tuple[VariantResult, ...]
    total_exposed: int
    srm_chi2: float
    srm_p_value: float
    srm_detected: bool | None
    winner: str | None

    def variant(self, name: str) -> VariantResult:
        """The result of arm ``name``."""
        for v in self.variants:
            if v.name == name:
                return v
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        """The report as plain JSON-ready values."""
        return asdict(self)

    def format(self) -> str:
        """The report as a text table."""
        lines = [
            f"experiment {self.experiment}: goal {self.goal}, control {self.control}, "
            f"allocation {self.allocation}, {self.total_exposed} customers exposed",
            f"{'variant':<16}{'exposed':>9}{'conv.':>7}{'rate':>8}  {'95% CI':<17}"
            f"{'diff':>8}{'lift':>8}{'p':>9}{'p(Holm)':>9}",
        ]
        for v in self.variants:
            ci = f"[{v.ci_low:.2%}, {v.ci_high:.2%}]"
            if v.diff is None:
                rest = f"{'(control)':>8}"
            else:
                lift = f"{v.lift:+.1%}" if v.lift is not None else "-"
                rest = (
                    f"{v.diff:>+8.2%}{lift:>8}{v.p_value or 0:>9.4f}{v.p_adjusted or 0:>9.4f}"
                    + (" *" if v.significant else "")
                )
            lines.append(f"{v.name:<16}{v.exposed:>9}{v.converted:>7}{v.rate:>8.2%}  {ci:<17}{rest}")
        if self.srm_detected is None:
            lines.append("sample ratio check: not applicable (bandit allocation)")
        else:
            verdict = "MISMATCH: the split is broken, do not trust the results" if self.srm_detected else "ok"
            lines.append(
                f"sample ratio check: chi2={self.srm_chi2:.2f}, p={self.srm_p_value:.4g}: {verdict}"
            )
        lines.append(
            f"winner: {self.winner}" if self.winner else f"no variant beats {self.control} at alpha={self.alpha:g}"
        )
        return "\n".join(lines)


def analyze(
    experiment: Experiment,
    counts: Mapping[str, ArmCounts],
    *,
    alpha: float = 0.05,
    srm_alpha: float = SRM_ALPHA,
) -> ExperimentReport:
    """Compute the report from outcome counts (no database).

    Args:
        experiment: the definition (arms, split, control).
        counts: ``{arm: ArmCounts}``; missing arms count as empty.
        alpha: significance level of the comparisons (Holm-corrected).
        srm_alpha: p-value under which the split counts as broken.

    Returns:
        The report.
    """
    from scipy.stats import norm

    shares = experiment.shares()
    arms = {v.name: counts.get(v.name, ArmCounts()) for v in experiment.variants}
    total = sum(c.exposed for c in arms.values())
    control = arms[experiment.control]
    z_crit = float(norm.ppf(1 - alpha / 2))
    raw: dict[str, dict[str, float]] = {}
    for name, c in arms.items():
        if name == experiment.control:
            continue
        z, p = two_proportion_z_test(control.converted, control.exposed, c.converted, c.exposed)
        raw[name] = {"z": z, "p": p}
    adjusted = dict(zip(raw, _holm([r["p"] for r in raw.values()]), strict=True))
    results: list[VariantResult] = []
    for name, c in arms.items():
        rate = c.converted / c.exposed if c.exposed else 0.0
        low, high = wilson_interval(c.converted, c.exposed)
        base = {
            "name": name,
            "exposed": c.exposed,
            "converted": c.converted,
            "rate": rate,
            "ci_low": low,
            "ci_high": high,
            "expected_share": shares[name],
            "observed_share": c.exposed / total if total else 0.0,
        }
        if name == experiment.control:
            results.append(VariantResult(**base))  # type: ignore[arg-type]
            continue
        c_rate = control.converted / control.exposed if control.exposed else 0.0
        diff = rate - c_rate
        se = (
            math.sqrt(rate * (1 - rate) / c.exposed + c_rate * (1 - c_rate) / control.exposed)
            if c.exposed and control.exposed
            else 0.0
        )
        results.append(
            VariantResult(
                **base,  # type: ignore[arg-type]
                diff=diff,
                diff_ci_low=diff - z_crit * se,
                diff_ci_high=diff + z_crit * se,
                lift=diff / c_rate if c_rate else None,
                z=raw[name]["z"],
                p_value=raw[name]["p"],
                p_adjusted=adjusted[name],
                significant=adjusted[name] < alpha,
            )
        )
    chi2, srm_p = srm_test([arms[n].exposed for n in arms], [shares[n] for n in arms])
    better = [r for r in results if r.significant and (r.diff or 0) > 0]
    winner = max(better, key=lambda r: r.rate).name if better else None
    return ExperimentReport(
        experiment=experiment.name,
        goal=experiment.goal,
        control=experiment.control,
        allocation=experiment.allocation,
        alpha=alpha,
        variants=tuple(results),
        total_exposed=total,
        srm_chi2=chi2,
        srm_p_value=srm_p,
        srm_detected=None if experiment.allocation == "thompson" else srm_p < srm_alpha,
        winner=winner,
    )


def report(
    store: Store,
    name: str,
    *,
    experiments: Mapping[str, Experiment] | None = None,
    alpha: float = 0.05,
) -> ExperimentReport:
    """The report of experiment ``name`` from the exposures and conversions recorded in ``store``.

    Args:
        store: the store.
        name: the experiment.
        experiments: the definitions (default: ``Settings().experiments.path``). An
            experiment not defined there is reported over the arms found in the data, with
            an equal split, the goal of its conversions and the first arm as control.
        alpha: significance level.

    Returns:
        The report.

    Raises:
        NotFoundError: the experiment is neither defined nor in the data.
    """
    from bot.errors import NotFoundError

    if experiments is None:
        from bot.settings import Settings

        path = Settings().experiments.path
        experiments = load_experiments(path) if path.is_file() else {}
    experiment = experiments.get(name)
    if experiment is None:
        counts = load_outcomes(store, name)
        if not counts:
            raise NotFoundError(f"no experiment named {name!r} in the configuration or the data")
        experiment = Experiment(
            name=name,
            goal="accepted_offer",
            variants=[{"name": arm} for arm in sorted(counts)],  # type: ignore[arg-type]
        )
        return analyze(experiment, counts, alpha=alpha)
    return analyze(experiment, load_outcomes(store, name, experiment.goal), alpha=alpha)


def plot_report(result: ExperimentReport, path: str | Path) -> Path:
    """Draw conversion rates with their 95 % intervals, and the traffic split, as a PNG.

    Args:
        result: the report.
        path: the PNG file to write (its folder is created).

    Returns:
        The path written.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    names = [v.name for v in result.variants]
    rates = [v.rate * 100 for v in result.variants]
    lower = [(v.rate - v.ci_low) * 100 for v in result.variants]
    upper = [(v.ci_high - v.rate) * 100 for v in result.variants]
    colors = [
        "#7f7f7f" if v.name == result.control else ("#2ca02c" if v.significant and (v.diff or 0) > 0 else "#1f77b4")
        for v in result.variants
    ]
    fig, (ax_rate, ax_split) = plt.subplots(
        1, 2, figsize=(10, 4), gridspec_kw={"width_ratios": [2, 1]}
    )
    try:
        ax_rate.bar(names, rates, color=colors, yerr=[lower, upper], capsize=6)
        for i, v in enumerate(result.variants):
            label = f"{v.converted}/{v.exposed}"
            if v.p_adjusted is not None:
                label += f"\np={v.p_adjusted:.3g}"
            ax_rate.annotate(
                label, (i, (v.ci_high * 100)), ha="center", va="bottom", fontsize=8,
                xytext=(0, 3), textcoords="offset points",
            )
        ax_rate.set_ylabel(f"conversion rate ({result.goal}), %")
        ax_rate.set_title(f"{result.experiment}: rate with 95% Wilson interval")
        ax_rate.set_ylim(0, max([v.ci_high * 100 for v in result.variants] + [1]) * 1.3)
        x = range(len(names))
        ax_split.bar([i - 0.2 for i in x], [v.expected_share * 100 for v in result.variants],
                     width=0.4, label="planned", color="#c7c7c7")
        ax_split.bar([i + 0.2 for i in x], [v.observed_share * 100 for v in result.variants],
                     width=0.4, label="observed", color="#1f77b4")
        ax_split.set_xticks(list(x), names)
        ax_split.set_ylabel("share of customers, %")
        srm = (
            "bandit" if result.srm_detected is None
            else ("SRM!" if result.srm_detected else "split ok")
        )
        ax_split.set_title(f"traffic ({srm}, p={result.srm_p_value:.3g})")
        top = max([v.expected_share for v in result.variants] + [v.observed_share for v in result.variants])
        ax_split.set_ylim(0, top * 100 * 1.35)
        ax_split.legend(fontsize=8, loc="upper center", ncol=2)
        for ax in (ax_rate, ax_split):
            ax.tick_params(axis="x", labelrotation=15)
        fig.tight_layout()
        fig.savefig(path, dpi=100)
    finally:
        plt.close(fig)
    return path
