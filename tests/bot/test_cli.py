"""The ``ipm`` command end to end on a real SQLite database with the demo data."""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot import cli
from bot.cli import main, register

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database with the demo data loaded once (texts not embedded: faster)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('cli') / 'demo.db'}"
    assert main(["--db", url, "demo", "load", "--no-embed", "-q"]) == 0
    return url


def test_demo_customer_profile_shows_phones_and_delivery(
    demo_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["--db", demo_db, "profile", "show", "demo-0001"]) == 0  # the customer's locale: zh
    zh = capsys.readouterr().out
    assert "手机" in zh and "物流配送" in zh and "不满意" in zh
    assert main(["profile", "show", "demo-0001", "--language", "en", "--db", demo_db]) == 0
    en = capsys.readouterr().out
    assert "most interested in phones" in en and "unhappy with delivery" in en
    assert main(["--db", demo_db, "profile", "show", "demo-0001", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert next(iter(data["profile"]["interests"])) == "phones"
    assert data["profile"]["aspect_sentiment"]["delivery"]["mean"] < 0


def test_export_then_delete(
    demo_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "export.json"
    assert main(["--db", demo_db, "profile", "export", "demo-0002", "-o", str(out)]) == 0
    export = json.loads(out.read_text(encoding="utf-8"))
    assert export["customer"]["sender_id"] == "demo-0002" and export["interactions"]
    capsys.readouterr()
    assert main(["--db", demo_db, "profile", "delete", "demo-0002"]) == 0
    assert "deleted" in capsys.readouterr().out
    assert main(["--db", demo_db, "profile", "show", "demo-0002"]) == 1
    assert "no customer" in capsys.readouterr().err
    assert main(["--db", demo_db, "profile", "export", "demo-0002"]) == 1


def test_segments_build_names_and_describes_k_segments(
    demo_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["--db", demo_db, "segments", "build", "--k", "4"]) == 0
    lines = capsys.readouterr().out.splitlines()
    headers = [line for line in lines if line.startswith("[")]
    assert len(headers) == 4
    assert all(" fans, " in h and "爱好者" in h for h in headers)
    assert any("customers; interested in" in line for line in lines)
    assert main(["--db", demo_db, "segments", "list"]) == 0
    assert len([line for line in capsys.readouterr().out.splitlines() if line.startswith("[")]) == 4


def test_bad_import_exits_2_and_lists_problems(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "customers.csv"
    bad.write_text("sender_id,age\nx,abc\n,5\n", encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'x.db'}"
    assert main(["--db", url, "import", "customers", str(bad), "-q"]) == 2
    err = capsys.readouterr().err
    assert (
        "row 1 (line 2), column age" in err
        and "row 2 (line 3), column sender_id: missing value" in err
    )


def test_db_upgrade_reports_the_revision(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--db", f"sqlite:///{tmp_path / 'y.db'}", "db", "upgrade"]) == 0
    assert "at revision 0002" in capsys.readouterr().out


def test_other_areas_can_register_subcommands(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cli, "_PARSERS", list(cli._PARSERS))

    def hello(args: argparse.Namespace) -> int:
        print(f"hello {args.name}")
        return 0

    @register
    def add_hello_parser(subcommands: cli.Subcommands) -> None:
        parser = subcommands.add_parser("hello")
        parser.add_argument("name")
        parser.set_defaults(handler=hello)

    assert main(["hello", "world"]) == 0
    assert capsys.readouterr().out == "hello world\n"


def test_python_dash_m_bot_runs_the_cli() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0
    for command in ("db", "import", "profile", "segments", "demo"):
        assert command in result.stdout


def test_demo_load_if_empty_skips_a_populated_catalog(tmp_path, capsys) -> None:
    from bot.cli import main

    db = f"sqlite:///{tmp_path / 'demo.db'}"
    assert main(["--db", db, "-q", "demo", "load", "--no-embed", "--no-segments", "--if-empty"]) == 0
    first = capsys.readouterr().out
    assert "data/catalog/shop.jsonl" in first
    assert main(["--db", db, "-q", "demo", "load", "--no-embed", "--no-segments", "--if-empty"]) == 0
    assert "already has products" in capsys.readouterr().out


def test_encoder_build_loads_the_configured_encoder_and_embeds_a_probe(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from bot.settings import EncoderSettings

    default_dir = EncoderSettings().onnx_model_dir()
    if not (default_dir / "onnx" / "model.onnx").is_file():
        pytest.skip("the default encoder is not built (make install)")
    assert main(["encoder", "build"]) == 0
    out = capsys.readouterr().out
    runtime = {"fp32": "onnx", "int8": "onnx-int8"}[EncoderSettings().resolved_precision]  # auto: by the CPU
    assert f"{runtime}/multilingual-e5-small-q4:query: (384 dimensions)" in out
    # A cross-lingual probe: the same question in Chinese and English is close.
    assert float(re.search(r"zh/en ([0-9.]+)", out).group(1)) > 0.7
    assert "int8 graph:" in out and (default_dir / "onnx" / "model_int8.onnx").is_file()

    monkeypatch.setenv("IPM_ENCODER__BACKEND", "onnx")
    monkeypatch.setenv("IPM_ENCODER__MODEL", str(tmp_path / "nothing-here"))
    assert main(["encoder", "build"]) == 1  # a clear error, no traceback
    assert "model.onnx is missing" in capsys.readouterr().err
