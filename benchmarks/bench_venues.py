"""The cockpit with one chart on each of the four venues, against the default cockpit.

Both runs are the real app on ``--demo`` (the simulator in the app's own process, so CPU
includes the simulated exchanges), headless at 160x48, measured in the same run:

* the default layout: four Upbit charts, book, tape, scanner of every KRW market;
* the same with charts 2-4 on Binance, Gate.io and OKX (``binance:BTCUSDT`` style).

Printed: sockets per (exchange, endpoint) (goal: one per venue endpoint; a pane never
opens its own), feed clients, and the process CPU over ``--seconds`` with the ratio of
the four-venue cockpit to the default one.

    python benchmarks/bench_venues.py [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from collections import Counter
from pathlib import Path

from bench_tui import all_painted, fresh_config  # first: puts the repo root on sys.path

from dantaro_tui.ui.app import DantaroApp
from dantaro_tui.ui.run import DemoSession

FOUR_VENUES = ["KRW-BTC", "binance:BTCUSDT", "gateio:BTC_USDT", "okx:BTC-USDT"]


async def measure(symbols: list[str] | None, seconds: float, tmp: Path) -> dict[str, object]:
    cfg = fresh_config(tmp)
    if symbols:
        cfg.symbols = [*symbols, *cfg.symbols[len(symbols) :]]
    app = DantaroApp(cfg, mode="demo", session=DemoSession(seed=1), persist=False)
    async with app.run_test(size=(160, 48), headless=True) as pilot:
        t0 = time.perf_counter()
        while not all_painted(app) and time.perf_counter() - t0 < 40:
            await pilot.pause(0.05)
        painted = time.perf_counter() - t0
        await asyncio.sleep(3.0)  # the scanner subscribes once the market list is in
        cpu0, wall0 = time.process_time(), time.perf_counter()
        await asyncio.sleep(seconds)
        cpu = time.process_time() - cpu0
        wall = time.perf_counter() - wall0
        hub = app.hub
        per_endpoint = Counter(
            f"{c.exchange} {c.endpoint or '(default)'}" for c in hub.connections() if c._ws
        )
        charts = app.cockpit.charts if app.cockpit is not None else []
        result = {
            "painted": painted,
            "charts": [f"{c.exchange}:{c.symbol} {len(c.bars)} bars" for c in charts],
            "clients": len(hub.clients()),
            "sockets": hub.sockets(),
            "per_endpoint": dict(per_endpoint),
            "cpu": cpu / wall,
        }
        app.exit(0)
    return result


def report(name: str, r: dict[str, object]) -> None:
    print(f"{name}: data painted {r['painted']:.1f} s after mount; {r['clients']} feed clients")
    print(f"  charts: {', '.join(r['charts'])}")  # type: ignore[arg-type]
    print(f"  sockets open: {r['sockets']}")
    for endpoint, n in sorted(r["per_endpoint"].items()):  # type: ignore[union-attr]
        print(f"    {endpoint:<28} {n}")
    print(f"  process CPU (app + in-process simulator): {r['cpu'] * 100:.0f} % of one core")  # type: ignore[operator]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    tmp = Path(os.environ.get("TMPDIR", "/tmp"))
    os.environ["DANTARO_CONFIG"] = str(tmp / "bench-config.toml")
    base = asyncio.run(measure(None, args.seconds, tmp))
    venues = asyncio.run(measure(FOUR_VENUES, args.seconds, tmp))
    report("default cockpit (all Upbit)", base)
    report("one chart per venue (Upbit, Binance, Gate.io, OKX)", venues)
    ratio = venues["cpu"] / base["cpu"]  # type: ignore[operator]
    print(f"CPU, four venues / default: {ratio:.2f}x")


if __name__ == "__main__":
    main()
