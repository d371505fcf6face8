"""The ``ipm`` command: a thin dispatcher over the library (one ``add_*_parser`` per area).

Other areas add their subcommands with :func:`register`::

    @register
    def add_train_parser(subcommands: Subcommands) -> None:
        parser = subcommands.add_parser("train", help="train the NLU heads")
        parser.set_defaults(handler=run_training)     # handler(args) -> exit code

Example:
    $ ipm demo load
    $ ipm profile show demo-0001 --language zh
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.errors import IPMError, ValidationError

if TYPE_CHECKING:
    from bot.encoder import Encoder
    from bot.store import Store

Subcommands = Any  # argparse's private _SubParsersAction
Handler = Callable[[argparse.Namespace], int]
AddParser = Callable[[Subcommands], None]

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEMO_FILES: tuple[tuple[str, str], ...] = (
    ("catalog", "data/catalog/shop.jsonl"),
    ("catalog", "data/catalog/bank.jsonl"),
    ("customers", "data/demo/customers.csv"),
    ("interactions", "data/demo/interactions.csv"),
    ("reviews", "data/demo/reviews.csv"),
)

_PARSERS: list[AddParser] = []


def register(add_parser: AddParser) -> AddParser:
    """Add a subcommand group to ``ipm`` (usable as a decorator).

    Args:
        add_parser: called with the subparsers object; sets ``handler`` on its parsers.

    Returns:
        ``add_parser`` unchanged.
    """
    _PARSERS.append(add_parser)
    return add_parser


# --- shared helpers ------------------------------------------------------------------------


def open_cli_store(args: argparse.Namespace) -> Store:
    """The store named by ``--db`` (default: ``Settings().database.url``), migrated."""
    from bot.store import open_store

    return open_store(args.db)


def cli_encoder() -> Encoder:
    """The configured encoder (loads the model)."""
    from bot.encoder import build_encoder
    from bot.settings import Settings

    return build_encoder(Settings().encoder)


def _print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


# --- db ------------------------------------------------------------------------------------


@register
def add_db_parser(subcommands: Subcommands) -> None:
    """``ipm db upgrade``."""
    db = subcommands.add_parser("db", help="database schema")
    actions = db.add_subparsers(dest="db_command", required=True)
    upgrade = actions.add_parser("upgrade", help="apply the Alembic migrations up to the newest")
    upgrade.set_defaults(handler=run_db_upgrade)


def run_db_upgrade(args: argparse.Namespace) -> int:
    """Migrate the database to head and print its revision."""
    from bot.store import current_revision

    store = open_cli_store(args)
    print(f"{store.url}: at revision {current_revision(store.engine)}")
    store.close()
    return 0


# --- encoder -------------------------------------------------------------------------------


@register
def add_encoder_parser(subcommands: Subcommands) -> None:
    """``ipm encoder build``."""
    encoder = subcommands.add_parser("encoder", help="the shared sentence encoder")
    actions = encoder.add_subparsers(dest="encoder_command", required=True)
    build = actions.add_parser(
        "build", help="build (export) and load the configured encoder once; make install runs it"
    )
    build.set_defaults(handler=run_encoder_build)


def run_encoder_build(args: argparse.Namespace) -> int:
    """Load the configured encoder (exporting the packaged default when missing) and embed a probe.

    For the packaged ONNX default both precisions are built, so that switching
    ``IPM_ENCODER__PRECISION`` needs no build at start-up.
    """
    from bot.encoder import build_encoder
    from bot.settings import DEFAULT_ENCODER_MODEL, Settings

    started = time.perf_counter()
    settings = Settings().encoder
    encoder = build_encoder(settings)
    vectors = encoder.encode(["我的快递什么时候到", "where is my parcel"])
    print(
        f"{encoder.name} ({encoder.dim} dimensions) ready in {time.perf_counter() - started:.1f} s "
        f"(probe similarity zh/en {float(vectors[0] @ vectors[1]):.2f})"
    )
    if settings.backend == "onnx" and settings.model == DEFAULT_ENCODER_MODEL:
        from bot.encoder._onnx import quantize_onnx

        print(f"int8 graph: {quantize_onnx(settings.onnx_model_dir(), settings.prefix)}")
    return 0


# --- import --------------------------------------------------------------------------------


@register
def add_import_parser(subcommands: Subcommands) -> None:
    """``ipm import {catalog,customers,interactions,reviews} FILE``."""
    from bot.importer import IMPORT_KINDS

    parser = subcommands.add_parser(
        "import", help="import a CSV or JSONL file (validated first; all or nothing; idempotent)"
    )
    parser.add_argument("kind", choices=IMPORT_KINDS)
    parser.add_argument("file", type=Path)
    parser.add_argument(
        "--no-embed", action="store_true", help="reviews: skip embedding the texts (faster)"
    )
    parser.set_defaults(handler=run_import)


def run_import(args: argparse.Namespace) -> int:
    """Import one file and print what it did."""
    from bot.importer import import_file

    store = open_cli_store(args)
    try:
        encoder = cli_encoder() if args.kind == "reviews" and not args.no_embed else None
        report = import_file(args.kind, args.file, store, encoder=encoder, progress=not args.quiet)
    finally:
        store.close()
    print(
        f"{report.kind}: {report.rows} rows, {report.inserted} new, {report.updated} updated, "
        f"{report.unchanged} unchanged, {report.profiles_rebuilt} profiles rebuilt in {report.seconds:.1f} s"
    )
    return 0


# --- profile -------------------------------------------------------------------------------


@register
def add_profile_parser(subcommands: Subcommands) -> None:
    """``ipm profile {show,export,delete} SENDER_ID``."""
    profile = subcommands.add_parser("profile", help="what the bot knows about a customer")
    actions = profile.add_subparsers(dest="profile_command", required=True)
    show = actions.add_parser("show", help='the "what do you know about me" summary')
    show.add_argument("sender_id")
    show.add_argument("--language", choices=["zh", "en"], help="default: the customer's locale")
    show.add_argument("--json", action="store_true", help="print the profile as JSON instead")
    show.set_defaults(handler=run_profile_show)
    export = actions.add_parser("export", help="everything stored about the customer, as JSON")
    export.add_argument("sender_id")
    export.add_argument("-o", "--output", type=Path, help="write to this file instead of stdout")
    export.set_defaults(handler=run_profile_export)
    delete = actions.add_parser("delete", help="erase everything stored about the customer")
    delete.add_argument("sender_id")
    delete.set_defaults(handler=run_profile_delete)


def run_profile_show(args: argparse.Namespace) -> int:
    """Print the readable summary (or the profile as JSON)."""
    from bot.errors import NotFoundError
    from bot.profiles import describe_profile, export_customer, get_profile

    store = open_cli_store(args)
    try:
        view = get_profile(store, args.sender_id)
        if view is None:
            raise NotFoundError(f"no customer with sender id {args.sender_id!r}")
        if args.json:
            export = export_customer(store, args.sender_id)
            assert export is not None
            _print_json({"customer": export["customer"], "profile": export["profile"]})
        else:
            print(describe_profile(view, args.language or view.locale))
    finally:
        store.close()
    return 0


def run_profile_export(args: argparse.Namespace) -> int:
    """Print (or write) the JSON export."""
    from bot.errors import NotFoundError
    from bot.profiles import export_customer

    store = open_cli_store(args)
    try:
        export = export_customer(store, args.sender_id)
    finally:
        store.close()
    if export is None:
        raise NotFoundError(f"no customer with sender id {args.sender_id!r}")
    if args.output:
        args.output.write_text(json.dumps(export, ensure_ascii=False, indent=2), encoding="utf-8")
        print(f"wrote {args.output}")
    else:
        _print_json(export)
    return 0


def run_profile_delete(args: argparse.Namespace) -> int:
    """Erase the customer and print what was deleted."""
    from bot.profiles import erase_customer

    store = open_cli_store(args)
    try:
        report = erase_customer(store, args.sender_id)
    finally:
        store.close()
    if not report.found:
        print(f"no data stored for {args.sender_id!r}; nothing deleted")
        return 0
    detail = ", ".join(f"{n} {name}" for name, n in report.deleted.items())
    print(f"deleted {report.total} rows for {args.sender_id!r}: {detail}")
    return 0


# --- segments ------------------------------------------------------------------------------


@register
def add_segments_parser(subcommands: Subcommands) -> None:
    """``ipm segments build [--k N]``."""
    segments = subcommands.add_parser("segments", help="customer segments")
    actions = segments.add_subparsers(dest="segments_command", required=True)
    build = actions.add_parser(
        "build", help="cluster the profiles into named segments (replaces the old ones)"
    )
    build.add_argument(
        "--k", type=int, help="number of segments (default: chosen by silhouette, 3-8)"
    )
    build.add_argument("--seed", type=int, default=0)
    build.set_defaults(handler=run_segments_build)
    show = actions.add_parser("list", help="the segments of the last build")
    show.set_defaults(handler=run_segments_list)


def _print_segments(segments: Sequence[Any]) -> None:
    for s in segments:
        print(f"[{s.size:>4}] {s.name_en} / {s.name_zh}")
        print(f"       {s.description_en}")
        print(f"       {s.description_zh}")


def run_segments_build(args: argparse.Namespace) -> int:
    """Build and print the segments."""
    from bot.profiles import build_segments

    store = open_cli_store(args)
    try:
        _print_segments(build_segments(store, args.k, seed=args.seed))
    finally:
        store.close()
    return 0


def run_segments_list(args: argparse.Namespace) -> int:
    """Print the stored segments."""
    from bot.profiles import list_segments

    store = open_cli_store(args)
    try:
        _print_segments(list_segments(store))
    finally:
        store.close()
    return 0


# --- demo ----------------------------------------------------------------------------------


@register
def add_demo_parser(subcommands: Subcommands) -> None:
    """``ipm demo load``."""
    demo = subcommands.add_parser("demo", help="the demo data set")
    actions = demo.add_subparsers(dest="demo_command", required=True)
    load = actions.add_parser(
        "load", help="import the demo catalogs, customers, interactions and reviews"
    )
    load.add_argument(
        "--root",
        type=Path,
        default=PROJECT_ROOT,
        help="project root holding data/ (default: this one)",
    )
    load.add_argument(
        "--no-embed", action="store_true", help="skip embedding review texts (faster)"
    )
    load.add_argument("--no-segments", action="store_true", help="do not build segments afterwards")
    load.add_argument(
        "--if-empty", action="store_true", help="do nothing when the catalog already has products"
    )
    load.set_defaults(handler=run_demo_load)


def run_demo_load(args: argparse.Namespace) -> int:
    """Import every demo file, then build segments."""
    from bot.catalog import list_products
    from bot.importer import import_file
    from bot.profiles import build_segments

    store = open_cli_store(args)
    try:
        if args.if_empty and list_products(store, limit=1):
            print("the catalog already has products: demo data not loaded")
            return 0
        encoder = None if args.no_embed else cli_encoder()
        for kind, relative in DEMO_FILES:
            report = import_file(
                kind, args.root / relative, store, encoder=encoder, progress=not args.quiet
            )
            print(
                f"{relative}: {report.rows} rows ({report.inserted} new) in {report.seconds:.1f} s"
            )
        if not args.no_segments:
            segments = build_segments(store)
            print(f"built {len(segments)} segments:")
            _print_segments(segments)
    finally:
        store.close()
    return 0


# --- experiments ---------------------------------------------------------------------------


@register
def add_experiments_parser(subcommands: Subcommands) -> None:
    """``ipm experiments {list,report}`` (defined in ``bot.experiments``)."""
    from bot.experiments._cli import add_experiments_parser as add

    add(subcommands)


@register
def add_promotions_parser(subcommands: Subcommands) -> None:
    """``ipm promotions prewrite`` (defined in ``bot.generation``)."""
    from bot.generation._cli import add_promotions_parser as add

    add(subcommands)


# --- entry point ---------------------------------------------------------------------------


def _global_options() -> argparse.ArgumentParser:
    options = argparse.ArgumentParser(prog="ipm", add_help=False)
    options.add_argument("--db", help="database URL (default: IPM_DATABASE__URL or settings)")
    options.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    options.add_argument("-v", "--verbose", action="store_true", help="log at INFO level")
    return options


def build_parser() -> argparse.ArgumentParser:
    """The full ``ipm`` argument parser (every registered subcommand)."""
    parser = argparse.ArgumentParser(
        prog="ipm", description="ipm-bot administration", parents=[_global_options()]
    )
    subcommands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add_parser in _PARSERS:
        add_parser(subcommands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``ipm`` with ``argv`` (default: the process arguments).

    Args:
        argv: arguments without the program name.

    Returns:
        The exit status: 0 on success, 1 on an ipm-bot error, 2 on invalid input.
    """
    parser = build_parser()
    args, rest = parser.parse_known_args(argv)
    if rest:
        # global options may also follow the subcommand: "ipm demo load -q"
        _, unknown = _global_options().parse_known_args(rest, namespace=args)
        if unknown:
            parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    from bot.privacy import install_log_redaction

    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    install_log_redaction()
    handler: Handler = args.handler
    try:
        return handler(args)
    except ValidationError as exc:
        print(f"error: {str(exc).splitlines()[0]}", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    except IPMError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # "ipm profile export X | head": the reader went away; that is not an error.
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - keeps the interpreter's final flush quiet
        return 0


if __name__ == "__main__":
    sys.exit(main())
