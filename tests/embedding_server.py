"""A real bot server for tests that need the embeddings API; standard library only, so that
both the bot environment and the Rasa environment can use it."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BOT_PYTHON = ROOT / ".venv" / "bin" / "python"


def healthy(url: str) -> bool:
    """Whether the bot server at ``url`` answers ``/health``."""
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as resp:
            return bool(resp.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def bot_server(state_dir: Path, timeout_s: float = 120) -> Iterator[str]:
    """``IPM_EMBEDDINGS_URL`` when it answers, else a bot server started in ``state_dir``.

    Raises:
        FileNotFoundError: the bot environment (.venv) is missing.
        RuntimeError: the server did not become healthy (the message holds its log's tail).
    """
    url = os.environ.get("IPM_EMBEDDINGS_URL")
    if url and healthy(url):
        yield url
        return
    if not BOT_PYTHON.exists():
        raise FileNotFoundError("the bot environment (.venv) is missing: run `make install`")
    port = free_port()
    log = state_dir / "bot.log"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1",
           "IPM_DATABASE__URL": f"sqlite:///{state_dir / 'ipm.db'}"}
    with log.open("w") as fh:
        proc = subprocess.Popen([str(BOT_PYTHON), "-m", "actions", "--port", str(port)],
                                cwd=ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout_s
    while not healthy(url):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"bot server did not start:\n{log.read_text()[-2000:]}")
        time.sleep(0.5)
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)
