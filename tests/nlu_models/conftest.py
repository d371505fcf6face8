"""Fixtures for the Rasa component tests (run in the Rasa environment, .venv-rasa).

They need the embedding endpoint: IPM_EMBEDDINGS_URL if it answers, else a real bot
server started from .venv for the session.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _healthy(url: str) -> bool:
    try:
        return requests.get(f"{url}/health", timeout=2).status_code == 200
    except requests.RequestException:
        return False


@pytest.fixture(scope="session")
def embeddings_url(tmp_path_factory):
    url = os.environ.get("IPM_EMBEDDINGS_URL")
    if url and _healthy(url):
        yield url
        return
    python = ROOT / ".venv" / "bin" / "python"
    if not python.exists():
        pytest.fail("the bot environment (.venv) is missing: run `make install`")
    port = _free_port()
    log = tmp_path_factory.mktemp("bot") / "bot.log"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1",
           "IPM_DATABASE__URL": f"sqlite:///{log.parent / 'ipm.db'}"}
    with log.open("w") as fh:
        proc = subprocess.Popen([str(python), "-m", "actions", "--port", str(port)],
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
