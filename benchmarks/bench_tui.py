"""The cockpit under full load, headless: keypress-to-repaint latency, frames/s, CPU.

    python benchmarks/bench_tui.py [--seconds 20] [--intensity 40] [--size 160x48]

Two phases:

1. **Startup** (like ``dantaro-tui --demo``): the simulator runs inside the app's event
   loop; time from creating the app to the first frame painted with data in every pane
   (4 charts with candles, book, tape, scanner rows). Goal: under 2 s.
2. **Load**: the simulator runs in its own process (so the app's CPU is the app's alone)
   at an intensity that sends the app at least 2,000 messages/s: the scanner on every KRW
   market, 4 charts (ticker + trades each), book and tape of KRW-BTC. After a warm-up,
   keys are pressed every 0.2-0.4 s (focus a chart, next interval, VWAP, Bollinger) and
   for each the time from posting the key event to the first frame painted after the
   key's action ran is taken. Goals: p95 under 100 ms, CPU under half a core.

Headless: the compositor builds every frame as it would for a terminal, and the frame's
terminal byte string is built too (``render_segments``); only the write is skipped.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from textual import events  # noqa: E402
from textual._compositor import CompositorUpdate  # noqa: E402

from dantaro_tui.config import Config  # noqa: E402
from dantaro_tui.feed.hub import FeedHub  # noqa: E402
from dantaro_tui.ui.app import DantaroApp  # noqa: E402
from dantaro_tui.ui.run import DemoSession  # noqa: E402


class FrameMeter:
    """Wraps ``App._display``: counts frames, builds their bytes, fires one-shot waiters."""

    def __init__(self, app: DantaroApp) -> None:
        self.app = app
        self.frames = 0
        self.bytes = 0
        self.waiters: list[tuple[Callable[[], bool], Callable[[float], None]]] = []
        original = app._display

        def display(screen: Any, renderable: Any) -> None:
            if renderable is not None:
                if isinstance(renderable, CompositorUpdate):
                    self.bytes += len(renderable.render_segments(app.console))
                self.frames += 1
                if self.waiters:
                    now = time.perf_counter()
                    keep = []
                    for cond, done in self.waiters:
                        if cond():
                            done(now)
                        else:
                            keep.append((cond, done))
                    self.waiters = keep
            original(screen, renderable)

        app._display = display  # type: ignore[method-assign]

    def when(self, cond: Callable[[], bool], done: Callable[[float], None]) -> None:
        self.waiters.append((cond, done))


def all_painted(app: DantaroApp) -> bool:
    cockpit = app.cockpit
    if cockpit is None:
        return False
    charts = cockpit.charts
    book = cockpit.query_one("#orderbook")
    tape = cockpit.query_one("#tape")
    scanner = cockpit.scanner
    return (
        bool(charts)
        and all(c.bars and c.painted for c in charts)
        and getattr(book, "book", None) is not None
        and bool(getattr(tape, "trades", None))
        and bool(scanner.order)
    )


def fresh_config(tmp: Path) -> Config:
    cfg = Config()
    cfg.path = tmp / "bench-config.toml"
    return cfg


async def startup(size: tuple[int, int], tmp: Path) -> float:
    t0 = time.perf_counter()
    app = DantaroApp(fresh_config(tmp), mode="demo", session=DemoSession(seed=1), persist=False)
    first: list[float] = []
    async with app.run_test(size=size, headless=True) as pilot:
        meter = FrameMeter(app)
        meter.when(lambda: all_painted(app), first.append)
        deadline = time.perf_counter() + 15
        while not first and time.perf_counter() < deadline:
            await pilot.pause(0.02)
        app.exit(0)
    return (first[0] - t0) if first else float("inf")


def start_sim(intensity: float, seed: int) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dantaro_tui",
            "sim",
            "--port",
            "0",
            "--seed",
            str(seed),
            "--intensity",
            str(intensity),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
        cwd=ROOT,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    try:
        info = json.loads(line)
    except json.JSONDecodeError:
        proc.kill()
        raise SystemExit(f"the simulator did not start: {line!r}") from None
    return proc, info


def endpoints_of(info: dict[str, Any]) -> dict[str, dict[str, str]]:
    eps = info.get("endpoints", info)
    return {k: v for k, v in eps.items() if isinstance(v, dict)}


KEYS: list[tuple[str, str]] = [
    ("2", "focus chart 2"),
    ("i", "next interval"),
    ("3", "focus chart 3"),
    ("v", "VWAP on/off"),
    ("4", "focus chart 4"),
    ("b", "Bollinger on/off"),
    ("1", "focus chart 1"),
    ("i", "next interval"),
]


def key_condition(app: DantaroApp, key: str) -> Callable[[], bool]:
    cockpit = app.cockpit
    assert cockpit is not None
    if key.isdigit():
        n = int(key)
        return lambda: cockpit.active_index == n and app.focused is cockpit.chart(n)
    if key == "i":
        chart = cockpit.active_chart
        assert chart is not None
        before = chart.interval
        return lambda: chart.interval != before
    if key in ("v", "b"):
        attr = "vwap" if key == "v" else "bollinger"
        before = getattr(app.config, attr)
        return lambda: getattr(app.config, attr) != before
    raise ValueError(key)


async def load(size: tuple[int, int], seconds: float, intensity: float, tmp: Path) -> dict:
    proc, info = start_sim(intensity, seed=1)
    try:
        hub = FeedHub()
        for exchange, urls in endpoints_of(info).items():
            hub.set_endpoint(exchange, ws=urls.get("ws"), rest=urls.get("rest"))
        app = DantaroApp(fresh_config(tmp), mode="demo", persist=False, hub=hub, tune_gc=True)
        async with app.run_test(size=size, headless=True) as pilot:
            meter = FrameMeter(app)
            deadline = time.perf_counter() + 20
            while not all_painted(app) and time.perf_counter() < deadline:
                await pilot.pause(0.05)
            await asyncio.sleep(5.0)  # warm-up: backfills done, scanner subscribed
            gc.collect()
            msgs0 = sum(h.messages for h in hub.connection_health())
            frames0, bytes0 = meter.frames, meter.bytes
            cpu0, wall0 = time.process_time(), time.perf_counter()
            latencies: list[float] = []
            per_key: dict[str, list[float]] = {}
            misses = 0
            rng = random.Random(7)
            i = 0
            end = wall0 + seconds
            while time.perf_counter() < end:
                key, _ = KEYS[i % len(KEYS)]
                i += 1
                cond = key_condition(app, key)
                got: list[float] = []
                t0 = time.perf_counter()
                meter.when(cond, got.append)
                app.post_message(events.Key(key, key))
                wait_until = t0 + 1.0
                while not got and time.perf_counter() < wait_until:
                    await asyncio.sleep(0.002)
                if got:
                    latencies.append((got[0] - t0) * 1000)
                    per_key.setdefault(key, []).append((got[0] - t0) * 1000)
                else:
                    misses += 1
                await asyncio.sleep(rng.uniform(0.2, 0.4))
            wall = time.perf_counter() - wall0
            cpu = time.process_time() - cpu0
            msgs = sum(h.messages for h in hub.connection_health()) - msgs0
            frames = meter.frames - frames0
            out_bytes = meter.bytes - bytes0
            snaps = {h.name: h for h in hub.health() if h.state != "closed"}
            sockets = hub.sockets()
            app.exit(0)
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
    lat = sorted(latencies)

    def pct(p: float) -> float:
        if not lat:
            return float("nan")
        return lat[min(len(lat) - 1, round(p / 100 * (len(lat) - 1)))]

    return {
        "seconds": wall,
        "msgs_per_s": msgs / wall,
        "frames_per_s": frames / wall,
        "bytes_per_s": out_bytes / wall,
        "cpu_cores": cpu / wall,
        "keys": len(latencies),
        "missed": misses,
        "p50": pct(50),
        "p95": pct(95),
        "max": lat[-1] if lat else float("nan"),
        "mean": statistics.fmean(lat) if lat else float("nan"),
        "per_key": {k: (statistics.median(v), max(v)) for k, v in per_key.items()},
        "clients": {n: (h.state, h.msgs_30s / 30.0) for n, h in sorted(snaps.items())},
        "sockets": sockets,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--intensity", type=float, default=40.0)
    parser.add_argument("--size", default="160x48")
    args = parser.parse_args()
    w, _, h = args.size.partition("x")
    size = (int(w), int(h))
    tmp = Path(os.environ.get("TMPDIR", "/tmp"))
    os.environ["DANTARO_CONFIG"] = str(tmp / "bench-config.toml")

    boot = asyncio.run(startup(size, tmp))
    print(f"startup to first painted data (demo, in-process sim): {boot:.2f} s  (goal < 2 s)")
    r = asyncio.run(load(size, args.seconds, args.intensity, tmp))
    print(
        f"load: {r['msgs_per_s']:,.0f} messages/s into the app over {r['seconds']:.0f} s "
        f"(sim intensity {args.intensity:g}, screen {args.size})"
    )
    print(
        f"sockets to the exchanges: {r['sockets']} for {len(r['clients'])} panes "
        "(one per exchange endpoint in use)"
    )
    for name, (state, rate) in r["clients"].items():
        print(f"  {name:<10} {state:<12} {rate:8.1f} msg/s")
    print(
        f"keypress -> repaint: p50 {r['p50']:.1f} ms  p95 {r['p95']:.1f} ms  "
        f"max {r['max']:.1f} ms  ({r['keys']} keys, {r['missed']} without a frame in 1 s)"
        "  (goal p95 < 100 ms)"
    )
    for key, (median, worst) in r["per_key"].items():
        label = dict(KEYS)[key]
        print(f"  key {key!r:<4} {label:<17} median {median:6.1f} ms  max {worst:6.1f} ms")
    print(f"frames painted: {r['frames_per_s']:.1f}/s  ({r['bytes_per_s'] / 1024:,.0f} KiB/s)")
    print(f"app CPU: {r['cpu_cores'] * 100:.0f} % of one core  (goal < 50 %)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
