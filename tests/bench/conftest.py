"""Fixtures for the benchmark-script tests: tiny CSV files and, for the intent bench, an embedding server."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.embedding_server import bot_server

ROOT = Path(__file__).resolve().parents[2]
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"


@pytest.fixture(scope="session")
def embeddings_url(tmp_path_factory):
    """``IPM_EMBEDDINGS_URL`` when it answers, else a bot server started for the session."""
    try:
        with bot_server(tmp_path_factory.mktemp("bench-bot")) as url:
            yield url
    except FileNotFoundError as exc:
        pytest.skip(str(exc))
    except RuntimeError as exc:
        pytest.fail(str(exc))


def write_csv(path: Path, rows: list[tuple[str, str]], header: tuple[str, str] = ("text", "label")) -> Path:
    import csv

    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


sys.path.insert(0, str(ROOT))
