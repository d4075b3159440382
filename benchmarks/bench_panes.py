"""Scanner paint cost: the Line-API ``ScannerView`` vs a Textual ``DataTable`` baseline.

Both run headless (``App.run_test``) in this process, one after the other, on a 200x60
screen with 250 markets x 8 columns, fed the same pre-generated ticker stream: about 10
tickers a second per market (2,500/s in batches of 50 every 20 ms, like socket frames).
The baseline is given the same help the scanner has: tickers only update state, a 4 Hz
timer applies the changed cells (``update_cell``), and a 1 Hz timer re-sorts (``sort``).

Measured per variant:
- frame: one screen update (Textual's ``Screen._on_timer_update``: layout if needed,
  compositor update, line rendering): wall ms (mean, median, p95), CPU ms of the thread
  (steadier when other processes share the cores), and frames per second;
- pane: the widget's own work per second (feed callbacks + its repaint timer);
- CPU: process time / wall time over the phase (100 % = one core).

Run from the repo root: ``python benchmarks/bench_panes.py [--seconds 4] [--rows 250]``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, ClassVar

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from textual.app import App, ComposeResult  # noqa: E402
from textual.screen import Screen  # noqa: E402
from textual.widget import Widget  # noqa: E402
from textual.widgets import DataTable  # noqa: E402

from dantaro_tui.analytics.scanner import ScannerModel  # noqa: E402
from dantaro_tui.model import Market, Ticker  # noqa: E402
from dantaro_tui.ui.format import format_compact, market_price  # noqa: E402
from dantaro_tui.ui.widgets.base import PANE_THEME_DEFAULTS  # noqa: E402
from dantaro_tui.ui.widgets.scanner import COLUMNS, ScannerView  # noqa: E402

SIZE = (200, 60)
BATCH_EVERY = 0.02  # s


# -- the stream -----------------------------------------------------------------------------
def make_markets(n: int) -> list[Market]:
    return [
        Market("upbit", f"KRW-C{i:03d}", f"C{i:03d}", "KRW", f"코인{i}", f"Coin number {i}")
        for i in range(n)
    ]


def make_batches(markets: list[Market], seconds: float, per_row_hz: float) -> list[list[Ticker]]:
    rng = random.Random(7)
    price = {m.symbol: rng.uniform(10, 100_000) for m in markets}
    value = {m.symbol: rng.uniform(1e8, 5e11) for m in markets}
    per_batch = max(1, round(len(markets) * per_row_hz * BATCH_EVERY))
    batches: list[list[Ticker]] = []
    t = 1_700_000_000_000
    for _ in range(round(seconds / BATCH_EVERY)):
        batch = []
        for m in rng.sample(markets, min(per_batch, len(markets))):
            p = price[m.symbol] = price[m.symbol] * (1 + rng.gauss(0, 0.002))
            v = value[m.symbol] = value[m.symbol] + rng.uniform(0, 1e6)
            change = rng.gauss(0, 0.04)
            batch.append(
                Ticker(
                    "upbit",
                    m.symbol,
                    m.base,
                    "KRW",
                    round(p, 2),
                    change,
                    0.0,
                    p,
                    p,
                    p,
                    p,
                    1.0,
                    v,
                    t,
                )
            )
        t += int(BATCH_EVERY * 1000)
        batches.append(batch)
    return batches


# -- instrumentation -----------------------------------------------------------------------
class Meter:
    def __init__(self) -> None:
        self.frames: list[float] = []  # wall ms
        self.frame_cpu: list[float] = []  # CPU (thread) ms: robust when cores are shared
        self.pane_s = 0.0

    def timed(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.pane_s += time.perf_counter() - t0

        return wrapper


METER = Meter()
_original_update = Screen._on_timer_update


def _timed_update(self: Screen[Any]) -> Any:
    t0, c0 = time.perf_counter(), time.thread_time()
    try:
        return _original_update(self)
    finally:
        METER.frames.append((time.perf_counter() - t0) * 1000)
        METER.frame_cpu.append((time.thread_time() - c0) * 1000)


Screen._on_timer_update = _timed_update  # type: ignore[method-assign]


# -- the two panes ---------------------------------------------------------------------------
class NullClient:
    """No network: the benchmark delivers tickers itself."""

    name = "bench"
    on_status = None
    subscriptions: ClassVar[dict[str, frozenset[str]]] = {}

    async def subscribe_ticker(self, symbols: Iterable[str], callback: Any) -> None:
        return None

    async def unsubscribe(self, channel: str, symbols: Iterable[str] | None = None) -> None:
        return None

    async def cleanup(self) -> None:
        return None


class BaselineTable(DataTable[str]):
    """A DataTable scanner done carefully: coalesced 4 Hz cell updates, 1 Hz sort."""

    def __init__(self, markets: list[Market]) -> None:
        super().__init__(cursor_type="row")
        self.model = ScannerModel(markets)
        self.dirty: set[str] = set()

    def on_mount(self) -> None:
        for c in COLUMNS:
            self.add_column(c.title, width=c.width, key=c.title)
        for i, m in enumerate(sorted(self.model.markets("KRW"))):
            self.add_row(str(i + 1), m, m, m, "-", "-", "-", "-", key=m)
            row = self.model.get(m)
            assert row is not None
            self.update_cell(m, "한글명", row.korean)
            self.update_cell(m, "English", row.english)
        self.set_interval(1 / ScannerView.REFRESH_HZ, METER.timed(self.paint))
        self.set_interval(1 / ScannerView.SORT_HZ, METER.timed(self.resort))

    def on_ticker(self, ticker: Ticker) -> None:
        if self.model.apply(ticker):
            self.dirty.add(ticker.symbol)

    def paint(self) -> None:
        for market in self.dirty:
            row = self.model.get(market)
            assert row is not None
            self.update_cell(market, "Price", market_price(market, row.price))
            self.update_cell(market, "Change", f"{row.change_rate * 100:+.2f}%")
            self.update_cell(market, "Value 24h", format_compact(row.value_24h))
            self.update_cell(market, "Spike", f"{row.spike:.1f}x" if row.spike else "-")
        self.dirty.clear()

    def resort(self) -> None:
        self.sort(key=lambda r: self.model.get(r[1]).value_24h, reverse=True)  # type: ignore[union-attr]


class BenchApp(App[None]):
    def __init__(self, pane: Widget) -> None:
        super().__init__()
        self.pane = pane

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return {**super().get_theme_variable_defaults(), **PANE_THEME_DEFAULTS}

    def compose(self) -> ComposeResult:
        self.pane.styles.height = "1fr"
        yield self.pane


async def run_phase(
    name: str, pane: Widget, feed: Callable[[Ticker], None], batches: list[list[Ticker]]
) -> dict[str, float]:
    app = BenchApp(pane)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.5)  # mounted, first frame painted
        gc.collect()  # the previous phase's garbage must not land in this one's frames
        METER.frames.clear()
        METER.frame_cpu.clear()
        METER.pane_s = 0.0
        wall0, cpu0 = time.perf_counter(), time.process_time()
        timed_feed = METER.timed(feed)
        for i, batch in enumerate(batches):
            for ticker in batch:
                timed_feed(ticker)
            delay = wall0 + (i + 1) * BATCH_EVERY - time.perf_counter()
            await asyncio.sleep(max(0.0, delay))
        wall = time.perf_counter() - wall0
        cpu = time.process_time() - cpu0
        frames = sorted(METER.frames)
        frame_cpu = METER.frame_cpu[:]
    return {
        "frames/s": len(frames) / wall,
        "ms/frame": statistics.fmean(frames) if frames else 0.0,
        "median ms": statistics.median(frames) if frames else 0.0,
        "cpu ms/frame": statistics.fmean(frame_cpu) if frame_cpu else 0.0,
        "p95 ms": frames[int(len(frames) * 0.95) - 1] if frames else 0.0,
        "pane ms/s": METER.pane_s * 1000 / wall,
        "CPU %": cpu / wall * 100,
        "name": name,  # type: ignore[dict-item]
    }


async def main(seconds: float, rows: int, per_row_hz: float) -> None:
    markets = make_markets(rows)
    batches = make_batches(markets, seconds, per_row_hz)
    ticks = sum(len(b) for b in batches)
    print(
        f"scanner paint cost: {rows} rows x {len(COLUMNS)} columns, {ticks / seconds:,.0f} "
        f"tickers/s (~{per_row_hz:g}/s per row), {SIZE[0]}x{SIZE[1]} screen, {seconds:g} s each"
    )

    table = BaselineTable(markets)
    base = await run_phase("DataTable (baseline)", table, table.on_ticker, batches)

    scanner = ScannerView(markets, client=NullClient())  # type: ignore[arg-type]
    scanner._tick = METER.timed(scanner._tick)  # type: ignore[method-assign]
    line = await run_phase("ScannerView (Line API)", scanner, scanner.on_ticker, batches)

    cols = ("frames/s", "ms/frame", "median ms", "p95 ms", "cpu ms/frame", "pane ms/s", "CPU %")
    print(f"{'':24}" + "".join(f"{c:>13}" for c in cols))
    for r in (base, line):
        print(f"{r['name']:<24}" + "".join(f"{r[c]:>13.1f}" for c in cols))
    ratio_frame = base["ms/frame"] / line["ms/frame"] if line["ms/frame"] else float("inf")
    ratio_cpu = base["CPU %"] / line["CPU %"] if line["CPU %"] else float("inf")
    ratio_fcpu = (
        base["cpu ms/frame"] / line["cpu ms/frame"] if line["cpu ms/frame"] else float("inf")
    )
    print(
        f"ratio DataTable / ScannerView: {ratio_frame:.1f}x ms per frame "
        f"({ratio_fcpu:.1f}x in CPU ms per frame), {ratio_cpu:.1f}x process CPU"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--rows", type=int, default=250)
    parser.add_argument("--per-row-hz", type=float, default=10.0)
    args = parser.parse_args()
    asyncio.run(main(args.seconds, args.rows, args.per_row_hz))
