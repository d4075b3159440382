"""The cockpit in a browser: ``dantaro-tui serve --demo`` in its own process and a real
headless Chromium (the system's package) opening it, as a desk without a terminal would.

The page draws the terminal on a canvas, so what the cockpit shows is read where the
browser reads it: the bytes the page's WebSocket receives, stripped of escape codes.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import aiohttp
import pytest

from tests.services.receiver import free_port

CHROMIUM = "/usr/bin/chromium"
ESCAPES = re.compile(r"\x1b(\[[0-9;?<>=$]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[()][0-9A-B]|.)")
PRICE_MOVE = re.compile(r"\d{1,3}(,\d{3})+ [▲▼][+-]\d+\.\d\d%")  # "145,002,000 ▼-0.82%"


def chart_title(code: str) -> re.Pattern[str]:
    """A chart's title on ``code``: ``4 KRW-DOGE 도지코인 · 1m`` (the name once listed)."""
    return re.compile(re.escape(code) + r"[^·\n│┃]{0,30}· 1m")


class Screen:
    """What the page's WebSocket brought, as text."""

    def __init__(self) -> None:
        self.raw = bytearray()

    def feed(self, payload: str | bytes) -> None:
        if isinstance(payload, bytes):
            self.raw.extend(payload)

    @property
    def text(self) -> str:
        return ESCAPES.sub("", self.raw.decode("utf-8", "replace"))


async def until(cond: Callable[[], bool], what: str, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not appear within {timeout:.0f} s")
        await asyncio.sleep(0.2)


async def serving(port: int) -> bool:
    try:
        async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/") as r:
            return r.status == 200
    except aiohttp.ClientError:
        return False


async def test_the_cockpit_in_chromium(tmp_path: Path) -> None:
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        pytest.skip("playwright is not installed, so no browser can be driven")
    if not shutil.which(CHROMIUM):
        pytest.skip("Chromium is not installed (the system package at /usr/bin/chromium)")
    port = free_port()
    server = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "dantaro_tui",
        "serve",
        "--demo",
        "--port",
        str(port),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    screen = Screen()
    shot = tmp_path / "cockpit-in-chromium.png"
    try:
        deadline = time.monotonic() + 60
        while not await serving(port):
            assert server.returncode is None, "dantaro-tui serve exited"
            assert time.monotonic() < deadline, "dantaro-tui serve did not answer"
            await asyncio.sleep(0.2)
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            try:
                page = await browser.new_page(viewport={"width": 1600, "height": 1000})
                page.on("websocket", lambda ws: ws.on("framereceived", screen.feed))
                await page.goto(f"http://127.0.0.1:{port}/")
                await until(lambda: "DEMO" in screen.text, "the DEMO badge")
                await until(lambda: PRICE_MOVE.search(screen.text) is not None, "a live price")
                assert chart_title("KRW-BTC").search(screen.text)  # the first chart
                assert not chart_title("KRW-DOGE").search(screen.text)  # no chart on it yet
                # A keypress switches the focused chart's market: s, a name, Enter.
                await page.click("#terminal")
                await page.keyboard.press("s")
                await page.keyboard.type("doge", delay=50)
                await until(lambda: "KRW-DOGE" in screen.text, "the market search")
                await asyncio.sleep(0.5)  # the search settles on its best match
                await page.keyboard.press("Enter")
                doge = chart_title("KRW-DOGE")
                await until(lambda: doge.search(screen.text) is not None, "a chart on KRW-DOGE")
                await page.screenshot(path=str(shot))
            finally:
                await browser.close()
    finally:
        if server.returncode is None:
            server.send_signal(signal.SIGINT)
        try:
            _, err = await asyncio.wait_for(server.communicate(), 30)
        except TimeoutError:
            server.kill()
            _, err = await server.communicate()
    print(f"screenshot: {shot}")
    assert shot.stat().st_size > 10_000
    assert b"Traceback" not in err, err.decode(errors="replace")[-2000:]


def test_serving_beyond_loopback_says_what_it_means() -> None:
    """Bound elsewhere than loopback, the server warns first; a port in use is one
    sentence, not a traceback. (The port is held here, so nothing is ever exposed.)"""
    with socket.socket() as held:
        held.bind(("0.0.0.0", 0))
        held.listen()
        port = held.getsockname()[1]
        argv = ["serve", "--host", "0.0.0.0", "--port", str(port), "--demo"]
        run = subprocess.run(
            [sys.executable, "-m", "dantaro_tui", *argv],
            capture_output=True,
            text=True,
            timeout=120,
        )
    out = " ".join((run.stdout + run.stderr).split())  # the console wraps long lines
    assert run.returncode == 1
    assert "warning: serving on 0.0.0.0" in out and "no login" in out
    assert f"cannot listen on 0.0.0.0:{port}" in out
    assert "Traceback" not in out
