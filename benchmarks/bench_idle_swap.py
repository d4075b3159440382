"""A swap that lets go of everything before asking for the next market, on loopback against
the simulator (in its own process).

A pane often swaps its market in two steps: ``unsubscribe`` (nothing left on the socket),
some awaited work (a REST call for the new market's candles), then ``subscribe``. The hub
keeps a socket with nothing to carry open for ``idle_grace`` seconds, so the second step
reuses it. Measured: call -> first ticker of the new market, and the sockets opened, with
the default grace against a grace of 0 (the socket closes at once: the behaviour before the
grace existed, the baseline), in the same run.

    python benchmarks/bench_idle_swap.py [--swaps 20] [--gap 0.05]
"""

from __future__ import annotations

import argparse
import asyncio
import time

import _common  # first: puts the repo root on sys.path

from dantaro_tui import Ticker, WebSocketClient
from dantaro_tui.feed.hub import IDLE_GRACE, FeedHub

MARKETS = ["KRW-BTC", "KRW-ETH", "KRW-XRP", "KRW-SOL", "KRW-DOGE", "KRW-ADA"]


async def swaps(url: str, grace: float, count: int, gap: float) -> tuple[list[float], int]:
    """(ms from subscribe to the first ticker of the new market, per swap; sockets opened)."""
    hub = FeedHub(idle_grace=grace)
    seen: dict[str, asyncio.Event] = {m: asyncio.Event() for m in MARKETS}
    sessions: set[str] = set()

    def on_ticker(t: Ticker) -> None:
        seen[t.symbol].set()

    client = WebSocketClient(f"swap-{grace}", url=url, hub=hub)
    out: list[float] = []
    try:
        await client.subscribe_ticker([MARKETS[0]], on_ticker)
        await asyncio.wait_for(seen[MARKETS[0]].wait(), 10.0)
        for i in range(1, count + 1):
            market = MARKETS[i % len(MARKETS)]
            sessions.update(c.conn_id for c in hub.connections())
            await client.unsubscribe("ticker")
            await asyncio.sleep(gap)  # the pane's other awaited work
            seen[market].clear()
            t0 = time.perf_counter()
            await client.subscribe_ticker([market], on_ticker)
            await asyncio.wait_for(seen[market].wait(), 10.0)
            out.append((time.perf_counter() - t0) * 1000.0)
            sessions.update(c.conn_id for c in hub.connections())
            await asyncio.sleep(0.25)  # inside Upbit's 5 requests (and connects) a second
    finally:
        await client.cleanup()
        await hub.close()
    return out, len(sessions - {""})


async def main(count: int, gap: float) -> None:
    proc, endpoints = _common.run_sim(intensity=1.0)
    try:
        url = endpoints["upbit"]["ws"]
        base, base_sockets = await swaps(url, 0.0, count, gap)
        kept, kept_sockets = await swaps(url, IDLE_GRACE, count, gap)
    finally:
        _common.stop_sim(proc)
    print(f"{count} swaps, {gap * 1000:.0f} ms between unsubscribe and subscribe")
    print(f"  grace 0 (baseline): {_common.summary(base)} ms; {base_sockets} sockets opened")
    print(f"  grace {IDLE_GRACE:g} s:         {_common.summary(kept)} ms; {kept_sockets} sockets")
    p50 = _common.percentile(base, 50) / max(_common.percentile(kept, 50), 1e-9)
    print(f"  p50 ratio baseline/grace: {p50:.1f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--swaps", type=int, default=20)
    parser.add_argument("--gap", type=float, default=0.05)
    args = parser.parse_args()
    asyncio.run(main(args.swaps, args.gap))
