"""The cockpit in a browser: from opening the page to the first market data on it.

    python benchmarks/bench_browser.py [--runs 5]

Starts ``dantaro-tui serve --demo`` and a headless Chromium (the system's package), and
opens the page ``--runs`` times, each a new tab (and so a new cockpit process). Per run:
the page's own load (HTML, script, stylesheet: the baseline, measured in the same run), the
first bytes from the cockpit, the DEMO badge, and the first live price with its change
("145,002,000 ▼-0.82%"), read from what the page's WebSocket received.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import signal
import socket
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

CHROMIUM = "/usr/bin/chromium"
ESCAPES = re.compile(r"\x1b(\[[0-9;?<>=$]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[()][0-9A-B]|.)")
PRICE_MOVE = re.compile(r"\d{1,3}(,\d{3})+ [▲▼][+-]\d+\.\d\d%")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def one_run(browser: object, url: str) -> dict[str, float]:
    page = await browser.new_page(viewport={"width": 1600, "height": 1000})  # type: ignore[attr-defined]
    raw = bytearray()
    marks: dict[str, float] = {}
    t0 = time.perf_counter()

    def feed(payload: str | bytes) -> None:
        if isinstance(payload, bytes):
            raw.extend(payload)
            marks.setdefault("first bytes", time.perf_counter() - t0)

    page.on("websocket", lambda ws: ws.on("framereceived", feed))
    await page.goto(url, wait_until="load")
    marks["page load"] = time.perf_counter() - t0
    deadline = time.monotonic() + 120
    while "market data" not in marks and time.monotonic() < deadline:
        text = ESCAPES.sub("", raw.decode("utf-8", "replace"))
        if "DEMO" in text:
            marks.setdefault("DEMO badge", time.perf_counter() - t0)
        if PRICE_MOVE.search(text):
            marks["market data"] = time.perf_counter() - t0
        await asyncio.sleep(0.02)
    await page.close()
    return marks


async def main(runs: int) -> None:
    from playwright.async_api import async_playwright

    port = free_port()
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "dantaro_tui", "serve", "--demo", "--port", str(port),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/"
    results: list[dict[str, float]] = []
    try:
        await asyncio.sleep(2.0)
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            for _ in range(runs):
                results.append(await one_run(browser, url))
                await asyncio.sleep(1.0)  # the closed tab's cockpit exits
            await browser.close()
    finally:
        server.send_signal(signal.SIGINT)
        await asyncio.wait_for(server.wait(), 30)
    print(f"serve --demo in headless Chromium, {runs} tabs one after another (median, max):")
    base = statistics.median(r["page load"] for r in results)
    for key in ("page load", "first bytes", "DEMO badge", "market data"):
        values = [r[key] for r in results if key in r]
        if not values:
            print(f"  {key:12s}: never")
            continue
        med = statistics.median(values)
        print(
            f"  {key:12s}: {med * 1000:7.0f} ms  (max {max(values) * 1000:6.0f} ms)"
            f"  {med / base:5.1f}x the page load"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    asyncio.run(main(parser.parse_args().runs))
