"""Fixtures for the benchmark-script tests: tiny CSV files and, for the intent bench, an embedding server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BOT_PYTHON = ROOT / ".venv" / "bin" / "python"
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"


def _healthy(url: str) -> bool:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as resp:
            return bool(resp.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def embeddings_url(tmp_path_factory):
    """``IPM_EMBEDDINGS_URL`` when it answers, else a bot server started for the session."""
    url = os.environ.get("IPM_EMBEDDINGS_URL")
    if url and _healthy(url):
        yield url
        return
    if not BOT_PYTHON.exists():
        pytest.skip("the bot environment (.venv) is missing: run `make install`")
    port = _free_port()
    log = tmp_path_factory.mktemp("bench-bot") / "bot.log"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1",
           "IPM_DATABASE__URL": f"sqlite:///{log.parent / 'ipm.db'}"}
    with log.open("w") as fh:
        proc = subprocess.Popen([str(BOT_PYTHON), "-m", "actions", "--port", str(port)],
                                cwd=ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while not _healthy(url):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"bot server did not start:\n{log.read_text()[-2000:]}")
        time.sleep(0.5)
    yield url
    proc.terminate()
    proc.wait(timeout=30)


def write_csv(path: Path, rows: list[tuple[str, str]], header: tuple[str, str] = ("text", "label")) -> Path:
    import csv

    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


sys.path.insert(0, str(ROOT))
