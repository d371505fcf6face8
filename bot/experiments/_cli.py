"""``ipm experiments {list,report}``: the experiments in the configuration and their results."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any


def add_experiments_parser(subcommands: Any) -> None:
    """Register ``ipm experiments`` (called by ``bot.cli``)."""
    parser = subcommands.add_parser("experiments", help="A/B tests: definitions and reports")
    actions = parser.add_subparsers(dest="experiments_command", required=True)
    listing = actions.add_parser("list", help="the experiments defined in the configuration")
    listing.add_argument("--config", type=Path, help="experiments file (default: settings)")
    listing.set_defaults(handler=run_experiments_list)
    report = actions.add_parser(
        "report", help="per-variant exposures, conversions, rates, significance, SRM check"
    )
    report.add_argument("name", help="the experiment's name")
    report.add_argument("--png", type=Path, help="also draw the results into this PNG file")
    report.add_argument("--json", action="store_true", help="print JSON instead of a table")
    report.add_argument("--alpha", type=float, default=0.05, help="significance level (0.05)")
    report.add_argument("--config", type=Path, help="experiments file (default: settings)")
    report.set_defaults(handler=run_experiments_report)


def _definitions(path: Path | None) -> dict[str, Any]:
    from bot.experiments._config import load_experiments
    from bot.settings import Settings

    path = path or Settings().experiments.path
    return dict(load_experiments(path)) if path.is_file() else {}


def run_experiments_list(args: argparse.Namespace) -> int:
    """Print each experiment: goal, allocation, arms and their split."""
    for experiment in _definitions(args.config).values():
        arms = ", ".join(f"{name} {share:.0%}" for name, share in experiment.shares().items())
        state = "" if experiment.active else " (inactive)"
        print(f"{experiment.name}{state}: goal {experiment.goal}, {experiment.allocation}; {arms}")
    return 0


def run_experiments_report(args: argparse.Namespace) -> int:
    """Compute the report from the database; print it; draw the PNG if asked."""
    from bot.cli import open_cli_store
    from bot.errors import ConfigurationError
    from bot.experiments._report import plot_report, report

    store = open_cli_store(args)
    try:
        result = report(store, args.name, experiments=_definitions(args.config), alpha=args.alpha)
    finally:
        store.close()
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(result.format())
    if args.png:
        try:
            written = plot_report(result, args.png)
        except ImportError as exc:
            raise ConfigurationError("drawing the PNG needs matplotlib: pip install matplotlib") from exc
        if not args.json:
            print(f"plot written to {written}")
    return 0
