"""The chat widget in a real headless Chromium: it talks to the server and never renders markup from messages."""

from __future__ import annotations

import shutil

import pytest
from aiohttp import web

from bot.server import create_app
from bot.services import Services

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (apt-get install chromium)")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
HOSTILE = '<img src=x onerror="window.__pwned=1">Hello <b>there</b>'


async def test_widget_round_trip_renders_bot_text_as_text(aiohttp_server, services: Services, tmp_path) -> None:
    from playwright.async_api import async_playwright

    received: list[dict] = []

    async def rest(request: web.Request) -> web.Response:
        received.append(await request.json())
        return web.json_response([
            {"recipient_id": "x", "text": HOSTILE},
            {"recipient_id": "x", "buttons": [{"title": "<i>Yes</i>", "payload": "/affirm"}]},
            {"recipient_id": "x", "custom": {"cards": [{"title": "QuietPro <script>", "subtitle": "¥1,299",
                                                        "reason": "matches the headphones you asked for"}]}},
        ])

    fake_rasa = web.Application()
    fake_rasa.router.add_post("/webhooks/rest/webhook", rest)
    rasa = await aiohttp_server(fake_rasa)
    services.settings.server.rasa_url = str(rasa.make_url(""))
    bot = await aiohttp_server(create_app(services))

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = await browser.new_page()
        await page.goto(str(bot.make_url("/widget/")))
        await page.click(".ipm-toggle")
        await page.fill(".ipm-input", "你好 <b>bold</b>")
        await page.press(".ipm-input", "Enter")
        await page.wait_for_selector(".ipm-card-title")
        await page.screenshot(path=str(tmp_path / "widget.png"))
        if shot := __import__("os").environ.get("IPM_WIDGET_SCREENSHOT"):
            await page.screenshot(path=shot)
        bot_texts = await page.locator(".ipm-bot").all_inner_texts()
        user_texts = await page.locator(".ipm-user").all_inner_texts()
        button = await page.locator(".ipm-button").inner_text()
        card = await page.locator(".ipm-card-title").inner_text()
        pwned = await page.evaluate("window.__pwned === 1")
        injected = await page.locator(".ipm-log img, .ipm-log b, .ipm-log i, .ipm-log script").count()
        # Clicking a button sends its payload.
        await page.click(".ipm-button")
        await page.wait_for_function("document.querySelectorAll('.ipm-card').length >= 2")
        await browser.close()

    assert received[0]["message"] == "你好 <b>bold</b>" and received[0]["sender"].startswith("web-")
    assert received[1]["message"] == "/affirm" and received[1]["sender"] == received[0]["sender"]
    assert user_texts[0] == "你好 <b>bold</b>"
    assert HOSTILE in bot_texts
    assert button == "<i>Yes</i>" and card == "QuietPro <script>"
    assert not pwned and injected == 0
