"""End to end: the real bot server and Rasa server, 5-turn conversations over REST in each language.

Run by ``make test`` (stage 5) after the model is trained; set IPM_E2E=1 to run it by hand.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[1]
HAN = re.compile(r"[\u4e00-\u9fff]")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(url: str, proc: subprocess.Popen, log: Path, limit: float) -> None:
    deadline = time.monotonic() + limit
    while True:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"{url} did not come up:\n{log.read_text(errors='replace')[-3000:]}")
        time.sleep(1)


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    if os.environ.get("IPM_E2E") != "1":
        pytest.skip("end-to-end test: run `make test` (or set IPM_E2E=1 after `make train`)")
    model = ROOT / "models" / "ipm.tar.gz"
    if not model.exists():
        pytest.fail("models/ipm.tar.gz is missing: run `make train`")
    tmp = tmp_path_factory.mktemp("e2e")
    bot_port, rasa_port = _free_port(), _free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "OMP_NUM_THREADS": "1",
        "IPM_SERVER__PORT": str(bot_port),
        "IPM_EMBEDDINGS_URL": f"http://127.0.0.1:{bot_port}",
        "IPM_SERVER__RASA_URL": f"http://127.0.0.1:{rasa_port}",
        "IPM_DATABASE__URL": f"sqlite:///{tmp / 'ipm.db'}",
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "3",
    }
    endpoints = tmp / "endpoints.yml"
    endpoints.write_text(
        f'action_endpoint:\n  url: "http://127.0.0.1:{bot_port}/webhook"\n'
        f'tracker_store:\n  type: SQL\n  dialect: sqlite\n  db: "{tmp / "tracker.db"}"\n'
    )
    bot_log, rasa_log = tmp / "bot.log", tmp / "rasa.log"
    bot = subprocess.Popen([str(ROOT / ".venv/bin/python"), "-m", "actions", "--port", str(bot_port)],
                           cwd=ROOT, env=env, stdout=bot_log.open("w"), stderr=subprocess.STDOUT)
    rasa = subprocess.Popen(
        [str(ROOT / ".venv-rasa/bin/rasa"), "run", "--model", str(model), "--port", str(rasa_port),
         "--interface", "127.0.0.1", "--credentials", str(ROOT / "credentials.yml"),
         "--endpoints", str(endpoints)],
        cwd=ROOT, env=env, stdout=rasa_log.open("w"), stderr=subprocess.STDOUT,
    )
    try:
        _wait(f"http://127.0.0.1:{bot_port}/health", bot, bot_log, 120)
        _wait(f"http://127.0.0.1:{rasa_port}/", rasa, rasa_log, 240)
        yield {"rasa": f"http://127.0.0.1:{rasa_port}", "bot": f"http://127.0.0.1:{bot_port}"}
    finally:
        for proc in (rasa, bot):
            proc.terminate()
        for proc in (rasa, bot):
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


def _say(servers: dict, sender: str, text: str) -> list[dict]:
    resp = httpx.post(f"{servers['rasa']}/webhooks/rest/webhook", json={"sender": sender, "message": text},
                      timeout=60)
    assert resp.status_code == 200, resp.text
    return resp.json()


CONVERSATIONS = {
    "en": [
        "hi there",
        "can you recommend a good phone for me?",
        "where is my order? I bought something last week",
        "the delivery was really slow and the box arrived damaged, I'm annoyed",
        "thanks, bye",
    ],
    "zh": [
        "你好",
        "有什么手机推荐吗",
        "我上周买的东西，快递到哪了",
        "物流太慢了，包装还破了，很不满意",
        "谢谢，再见",
    ],
}


@pytest.mark.parametrize("language", ["en", "zh"])
def test_five_turn_conversation_in_the_customers_language(servers, language) -> None:
    sender = f"e2e-{language}-{time.time_ns()}"
    for text in CONVERSATIONS[language]:
        replies = _say(servers, sender, text)
        texts = [r.get("text", "") for r in replies if r.get("text")]
        assert texts, f"no text reply to {text!r}: {replies}"
        joined = " ".join(texts)
        if language == "zh":
            assert HAN.search(joined), f"reply to {text!r} is not in Chinese: {joined!r}"
        else:
            assert not HAN.search(joined), f"reply to {text!r} is not in English: {joined!r}"


def test_the_widget_proxy_reaches_rasa(servers) -> None:
    resp = httpx.post(f"{servers['bot']}/chat", json={"sender": "e2e-widget", "message": "hello"}, timeout=60)
    assert resp.status_code == 200
    replies = resp.json()
    assert replies and replies[0]["recipient_id"] == "e2e-widget" and replies[0]["text"]
