"""A hostile feed: the event loop under a flood, and leaving it.

A server in another process sends ticker and trade frames of 5 markets as fast as the client
takes them (each stamped with the time it was made). One `WebSocketClient` on its own
`FeedHub` subscribes to both channels with a sync callback that works for 2 ms per event;
the baseline is the same with a no-op callback. Over ~10 s: event-loop lag (a task sleeping
10 ms, its overshoot) p50/p99/max, frames received per second, events delivered, the age of
the newest ticker delivered by the end (now - the time the server made it: conflation should
keep it fresh), trades dropped and tickers conflated (health), and how long
`await client.cleanup()` takes (and until the socket is closed).
Goals: lag p99 < 50 ms; cleanup well under 1 s.

    python benchmarks/bench_flood.py [--seconds 10] [--work-ms 2]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import time
from dataclasses import dataclass

import _common  # first: puts the repo root on sys.path

from dantaro_tui import WebSocketClient
from dantaro_tui.feed.hub import FeedHub
from dantaro_tui.model import Ticker

CODES = _common.KRW_CODES[:5]


@dataclass
class Figures:
    lag: _common.LagProbe
    frames: float  # received by the socket, per second
    delivered: int
    ticker_age_ms: float  # at the end: now - when the server made the newest delivered ticker
    ticker_seen_ms: float  # at the end: since a ticker last reached the callback
    dropped: int
    conflated: int
    cleanup_ms: float
    closed_ms: float  # cleanup call -> no socket open


async def run(url: str, seconds: float, work: float) -> Figures:
    hub = FeedHub()
    client = WebSocketClient("flooded", url=url, hub=hub)
    delivered = 0
    newest = 0  # exchange time (ms) of the newest ticker delivered
    newest_at = 0.0
    perf = time.perf_counter

    def on_event(ev: object) -> None:
        nonlocal delivered, newest, newest_at
        delivered += 1
        if ev.__class__ is Ticker:
            newest = max(newest, ev.timestamp)  # type: ignore[attr-defined]
            newest_at = perf()
        if work:
            end = perf() + work
            while perf() < end:  # CPU work, as a real owner's would be
                pass

    gc.collect()
    lag = _common.LagProbe().start()
    await asyncio.gather(
        client.subscribe_ticker(CODES, on_event), client.subscribe_trade(CODES, on_event)
    )
    t0 = perf()
    await asyncio.sleep(seconds)
    now_ms, end, last_ts, last_at = time.time() * 1000, perf(), newest, newest_at
    health = client.health()
    frames = sum(h.messages for h in hub.connection_health())
    await lag.stop()
    c0 = perf()
    await client.cleanup()
    cleanup = perf() - c0
    while hub.sockets() and perf() - c0 < 10:
        await asyncio.sleep(0.001)
    closed = perf() - c0
    await hub.close()
    return Figures(
        lag=lag,
        frames=frames / (end - t0),
        delivered=delivered,
        ticker_age_ms=now_ms - last_ts if last_ts else float("inf"),
        ticker_seen_ms=(end - last_at) * 1000 if last_at else float("inf"),
        dropped=health.dropped,
        conflated=health.conflated,
        cleanup_ms=cleanup * 1000,
        closed_ms=closed * 1000,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--work-ms", type=float, default=2.0, help="the slow callback's work")
    args = parser.parse_args()
    proc, url = _common.run_flood_server(CODES)
    try:
        base = asyncio.run(run(url, args.seconds, 0.0))
        slow = asyncio.run(run(url, args.seconds, args.work_ms / 1000))
    finally:
        _common.stop_server(proc)

    print(f"flood of ticker + trade frames of {len(CODES)} markets, {args.seconds:g} s each")
    print(f"{'':34}{f'{args.work_ms:g} ms callback':>16}{'no-op (base)':>14}{'ratio':>8}")

    def row(label: str, x: float, y: float, fmt: str, goal: str = "", ratio: bool = True) -> None:
        ratio_text = f"{x / y:8.2f}" if ratio and y else f"{'':>8}"
        print(f"{label:34}{x:>16{fmt}}{y:>14{fmt}}{ratio_text}  {goal}".rstrip())

    row("frames received /s", slow.frames, base.frames, ",.0f")
    row("events delivered", slow.delivered, base.delivered, ",")
    row("loop lag p50 ms", slow.lag.p(50), base.lag.p(50), ".1f")
    row("loop lag p99 ms", slow.lag.p(99), base.lag.p(99), ".1f", "(goal < 50 ms)")
    row("loop lag max ms", slow.lag.p(100), base.lag.p(100), ".1f")
    fresh = "(conflation: near the base's, the wire backlog)"
    row(
        "newest delivered ticker age ms",
        slow.ticker_age_ms,
        base.ticker_age_ms,
        ",.0f",
        fresh,
        False,
    )
    row(
        "  since a ticker was delivered ms",
        slow.ticker_seen_ms,
        base.ticker_seen_ms,
        ",.0f",
        "",
        False,
    )
    row("trades dropped (health)", slow.dropped, base.dropped, ",")
    row("updates conflated (health)", slow.conflated, base.conflated, ",")
    row("cleanup() ms", slow.cleanup_ms, base.cleanup_ms, ".1f", "(goal well under 1,000)")
    row("cleanup() -> socket closed ms", slow.closed_ms, base.closed_ms, ".1f")
    met = slow.lag.p(99) < 50 and slow.cleanup_ms < 500
    print(f"goals: {'met' if met else 'MISSED'}")


if __name__ == "__main__":
    main()
