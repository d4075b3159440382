"""The premium matrix screen (``K``) with all six venues live, against the cockpit alone.

Both runs are the real app on ``--demo`` (Upbit 3.5 %, Bithumb 2.8 %; the simulator of all
six venues runs in the app's own process), headless at 180x50, measured in the same run:

* the cockpit alone (four charts, book, tape, scanner);
* the same cockpit with the premium matrix open on top: 30 coins x six venues of books
  and tickers through the app's hub, the matrix recomputed and repainted once a second.

Printed per run: process CPU over ``--seconds`` (app + in-process simulator) and how much of
it the simulator's stepping and fan-out took, sockets per (exchange, endpoint), and for the
matrix its refresh time (snapshot + paint) per tick; then the ratio matrix / cockpit.

    python benchmarks/bench_premium_matrix.py [--seconds 15]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench_tui import all_painted, fresh_config  # first: puts the repo root on sys.path

from dantaro_tui.ui.app import DantaroApp
from dantaro_tui.ui.run import DemoSession
from dantaro_tui.ui.screens.premium_matrix import PremiumMatrixScreen, pair_key

SIZE = (180, 50)


def matrix_ready(app: DantaroApp) -> bool:
    screen = app.screen
    if not isinstance(screen, PremiumMatrixScreen) or screen.snapshot is None:
        return False
    try:
        value = screen.table.get_cell("BTC", pair_key("bithumb", "binance"))
    except Exception:
        return False
    return any(ch.isdigit() for ch in str(getattr(value, "plain", value)))


def time_refreshes(ticks: list[float]) -> None:
    """Each matrix tick (snapshot + paint) is timed: the screen's timer calls the class's
    method, so it is wrapped there before the screen exists."""
    refresh = PremiumMatrixScreen.refresh_board

    def timed(self: PremiumMatrixScreen) -> None:
        c0 = time.perf_counter()
        refresh(self)
        ticks.append((time.perf_counter() - c0) * 1000)

    PremiumMatrixScreen.refresh_board = timed  # type: ignore[method-assign]


async def measure(with_matrix: bool, seconds: float, tmp: Path) -> dict[str, Any]:
    session = DemoSession(seed=1, kimchi_premium=3.5, premiums={"bithumb": 2.8})
    app = DantaroApp(fresh_config(tmp), mode="demo", session=session, persist=False)
    ticks: list[float] = []
    if with_matrix:
        time_refreshes(ticks)
    async with app.run_test(size=SIZE, headless=True) as pilot:
        t0 = time.perf_counter()
        while not all_painted(app) and time.perf_counter() - t0 < 60:
            await pilot.pause(0.05)
        ready = 0.0
        if with_matrix:
            await pilot.press("K")
            t1 = time.perf_counter()
            while not matrix_ready(app) and time.perf_counter() - t1 < 60:
                await pilot.pause(0.05)
            ready = time.perf_counter() - t1
        await asyncio.sleep(3.0)  # subscriptions settle, REST fallbacks quiet down
        ticks.clear()
        sim = session.sim
        step0 = sim.step_seconds if sim is not None else 0.0
        cpu0, wall0 = time.process_time(), time.perf_counter()
        await asyncio.sleep(seconds)
        cpu = time.process_time() - cpu0
        wall = time.perf_counter() - wall0
        step = (sim.step_seconds if sim is not None else 0.0) - step0
        per_endpoint = Counter(
            f"{c.exchange} {c.endpoint or '(default)'}" for c in app.hub.connections() if c._ws
        )
        coins = 0
        if with_matrix and isinstance(app.screen, PremiumMatrixScreen):
            board = app.screen.board
            coins = len(board.coins) if board is not None else 0
        result = {
            "ready": ready,
            "cpu": cpu / wall,
            "sim": step / wall,
            "sockets": app.hub.sockets(),
            "per_endpoint": dict(per_endpoint),
            "clients": len(app.hub.clients()),
            "ticks": list(ticks),
            "coins": coins,
        }
        app.exit(0)
    return result


def report(name: str, r: dict[str, Any]) -> None:
    print(f"{name}: {r['clients']} feed clients, {r['sockets']} sockets")
    for endpoint, n in sorted(r["per_endpoint"].items()):
        print(f"    {endpoint:<34} {n}")
    print(
        f"  process CPU: {r['cpu'] * 100:.0f} % of one core"
        f" (simulator stepping and fan-out: {r['sim'] * 100:.0f} %)"
    )
    if r["ticks"]:
        t = r["ticks"]
        print(
            f"  matrix: {r['coins']} coins, first figures {r['ready']:.1f} s after K;"
            f" refresh {statistics.median(t):.1f} ms median, {max(t):.1f} ms max"
            f" over {len(t)} ticks"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=15.0)
    args = parser.parse_args()
    tmp = Path(tempfile.gettempdir())
    os.environ["DANTARO_CONFIG"] = str(tmp / "bench-config.toml")
    base = asyncio.run(measure(False, args.seconds, tmp))
    matrix = asyncio.run(measure(True, args.seconds, tmp))
    report("cockpit alone", base)
    report("cockpit + premium matrix (six venues)", matrix)
    ratio = matrix["cpu"] / base["cpu"]
    app_ratio = (matrix["cpu"] - matrix["sim"]) / max(base["cpu"] - base["sim"], 1e-9)
    print(f"CPU, matrix / cockpit alone: {ratio:.2f}x (without the simulator: {app_ratio:.2f}x)")


if __name__ == "__main__":
    main()
