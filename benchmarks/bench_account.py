"""Time from a simulated fill to the account screen showing it (goal: < 100 ms on loopback).

A paper account on the built-in simulator; a headless cockpit screen (Textual Pilot) shows
it. Each round places a market buy over REST; the simulator fills it at once and pushes
``myOrder`` / ``myAsset``. Measured from the fill (the order's acceptance, when the
simulator matches it) to:

* baseline: the library delivering the fill to a plain callback (same process, same loop);
* screen:   the account screen having painted a fills table that holds it.

The ratio screen / baseline says what the screen adds on top of the feed. Both are measured from
the moment the order request is sent (the fill happens while it is served), so they bound the
fill-to-screen time from above; "painted" = the tables were updated, Textual's compositor
puts them on the terminal at its next frame.

    python benchmarks/bench_account.py [--rounds 30] [--venue upbit|bithumb]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from textual.app import App  # noqa: E402
from textual.widgets import DataTable  # noqa: E402

from dantaro_tui.feed.client import WebSocketClient  # noqa: E402
from dantaro_tui.feed.hub import FeedHub  # noqa: E402
from dantaro_tui.model import MyOrder  # noqa: E402
from dantaro_tui.ui.screens.account import AccountScreen  # noqa: E402
from tests.private.helpers import call, creds_of, exchange, new_key  # noqa: E402


class Host(App[None]):
    def __init__(self, hub: FeedHub, screen: AccountScreen) -> None:
        super().__init__()
        self._hub = hub
        self.account = screen

    @property
    def hub(self) -> FeedHub:
        return self._hub

    def on_mount(self) -> None:
        self.push_screen(self.account)


def pct(xs: list[float], p: float) -> float:
    ordered = sorted(xs)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


async def main(rounds: int, venue: str = "upbit") -> None:
    key = new_key(balances={"KRW": 900_000_000.0})
    seen: dict[str, float] = {}

    def on_order(order: MyOrder) -> None:
        if order.state == "trade":
            seen.setdefault(order.uuid, time.perf_counter())

    async for ex in exchange(key, venue=venue):
        creds = creds_of(key, venue)
        bot = WebSocketClient("bench", venue, hub=ex.hub, credentials=creds)
        await bot.subscribe_my_order(on_order)
        screen = AccountScreen(creds)
        base: list[float] = []
        shown: list[float] = []
        async with Host(ex.hub, screen).run_test(size=(160, 60)):
            fills = screen.query_one("#fills", DataTable)
            while not screen.holdings:
                await asyncio.sleep(0.01)
            for _ in range(rounds):
                before = fills.row_count
                t0 = time.perf_counter()
                status, placed = await call(ex.rest, "POST", "/v1/orders", creds, {
                    "market": "KRW-BTC", "side": "bid", "ord_type": "price", "price": "20000",
                })  # fmt: skip
                assert status == 201, placed
                # The fill happened while the request was served: the reply's arrival bounds it.
                while fills.row_count <= before or placed["uuid"] not in seen:
                    await asyncio.sleep(0.001)
                painted = screen.painted_at
                base.append((seen[placed["uuid"]] - t0) * 1000)
                shown.append((painted - t0) * 1000)
                await asyncio.sleep(0.05)
        await bot.cleanup()
    b, s = statistics.median(base), statistics.median(shown)
    print(f"venue: {venue}, rounds: {rounds}")
    print(f"fill -> library callback   p50 {b:6.1f} ms   p95 {pct(base, 0.95):6.1f} ms")
    print(f"fill -> account screen     p50 {s:6.1f} ms   p95 {pct(shown, 0.95):6.1f} ms")
    print(f"screen / callback (p50)    {s / b:.2f}x   goal: screen < 100 ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--venue", choices=("upbit", "bithumb"), default="upbit")
    args = parser.parse_args()
    asyncio.run(main(args.rounds, args.venue))
