"""200 owners on one hub vs 200 owners with a socket each.

A server in another process (its CPU is not counted) sends about 2,000 Upbit frames/s:
ticker and trade of 20 KRW markets, each socket only the pairs it asked for (as Upbit does).
200 `WebSocketClient`s subscribe to ticker + trade of 3 of those markets each (overlapping:
every market has ~30 owners) and count what reaches their callbacks.

  A: the 200 clients on ONE `FeedHub` (one socket, the union requested, each frame decoded
     once and fanned out);
  B: the baseline, each client on its OWN `FeedHub` (200 sockets, each market's frames
     sent, parsed and decoded once per owner).

For ~15 s each: process CPU seconds per second, event-loop lag (a task sleeping 10 ms,
its overshoot), events that reached callbacks per second (and per second expected from
what the server sent), frames the client's sockets received, sockets open. Prints A/B.
Goals: loop lag p99 < 50 ms in A; A's CPU far below B's.

    python benchmarks/bench_hub.py [--seconds 15] [--owners 200] [--rate 2000] [--tick 0.002]
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

CODES = _common.KRW_CODES  # 20 markets


def markets_of(i: int) -> list[str]:
    """Three different markets per owner, spread so every market has ~30 owners."""
    n = len(CODES)
    return [CODES[i % n], CODES[(i + 7) % n], CODES[(i + 13) % n]]


@dataclass
class Figures:
    cpu: float  # CPU seconds per second
    lag: _common.LagProbe
    events: float  # callbacks per second
    expected: float  # events per second the owners' subscriptions asked for
    frames: float  # frames received by the process's sockets per second
    sockets: int
    conflated: float  # events superseded by a newer one before delivery, per second
    dropped: int

    @property
    def cpu_per_event(self) -> float:
        return self.cpu / (self.events + self.conflated) * 1e6


async def run_case(url: str, owners: int, rate: float, seconds: float, shared: bool) -> Figures:
    one_hub = FeedHub()
    hubs = [one_hub] if shared else [FeedHub() for _ in range(owners)]
    counts = [0] * owners

    def counter(i: int):
        def on_event(_ev: object) -> None:
            counts[i] += 1

        return on_event

    clients = [
        WebSocketClient(f"owner{i}", url=url, hub=hubs[0 if shared else i]) for i in range(owners)
    ]
    subscribing = []
    for i, client in enumerate(clients):
        subscribing.append(client.subscribe_ticker(markets_of(i), counter(i)))
        subscribing.append(client.subscribe_trade(markets_of(i), counter(i)))
    await asyncio.gather(*subscribing)
    deadline = time.perf_counter() + 30
    while not all(counts) and time.perf_counter() < deadline:
        await asyncio.sleep(0.1)
    await asyncio.sleep(2.0)  # warm-up

    def received() -> int:
        return sum(h.messages for hub in hubs for h in hub.connection_health())

    def conflated() -> int:
        return sum(c.health().conflated for c in clients)

    lag = _common.LagProbe().start()
    gc.collect()
    n0, f0, c0 = sum(counts), received(), conflated()
    cpu0, t0 = time.process_time(), time.perf_counter()
    await asyncio.sleep(seconds)
    wall = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    events, frames, superseded = sum(counts) - n0, received() - f0, conflated() - c0
    sockets = sum(hub.sockets() for hub in hubs)
    await lag.stop()
    snaps = [c.health() for c in clients]
    for client in clients:
        await client.cleanup()
    await asyncio.gather(*(hub.close() for hub in hubs))
    per_pair = rate / (2 * len(CODES))  # frames/s of one (channel, market)
    return Figures(
        cpu=cpu / wall,
        lag=lag,
        events=events / wall,
        expected=sum(2 * len(markets_of(i)) for i in range(owners)) * per_pair,
        frames=frames / wall,
        sockets=sockets,
        conflated=superseded / wall,
        dropped=sum(s.dropped for s in snaps),
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--owners", type=int, default=200)
    parser.add_argument("--rate", type=float, default=2000.0, help="frames/s the server makes")
    parser.add_argument("--tick", type=float, default=0.002, help="server writes every N s")
    args = parser.parse_args()
    proc, url = _common.run_paced_server(CODES, args.rate, args.tick)
    try:
        a = asyncio.run(run_case(url, args.owners, args.rate, args.seconds, shared=True))
        b = asyncio.run(run_case(url, args.owners, args.rate, args.seconds, shared=False))
    finally:
        _common.stop_server(proc)

    print(
        f"{args.owners} owners x ticker+trade of 3 of {len(CODES)} markets; server "
        f"{args.rate:,.0f} frames/s (written every {args.tick * 1000:g} ms); "
        f"{args.seconds:g} s each"
    )
    print(f"{'':30}{'A: one hub':>13}{'B: hub each':>13}{'A/B':>8}")

    def row(label: str, x: float, y: float, fmt: str, goal: str = "") -> None:
        ratio = f"{x / y:8.2f}" if y else f"{'n/a':>8}"
        print(f"{label:30}{x:>13{fmt}}{y:>13{fmt}}{ratio}  {goal}".rstrip())

    row("sockets open", a.sockets, b.sockets, "")
    row("frames received /s", a.frames, b.frames, ",.0f")
    row("CPU s/s (process)", a.cpu, b.cpu, ".2f", "(goal: far below 1)")
    row("CPU us per event handled", a.cpu_per_event, b.cpu_per_event, ".1f")
    row("loop lag p50 ms", a.lag.p(50), b.lag.p(50), ".1f")
    row("loop lag p99 ms", a.lag.p(99), b.lag.p(99), ".1f", "(goal A < 50 ms)")
    row("loop lag max ms", a.lag.p(100), b.lag.p(100), ".1f")
    row("events to callbacks /s", a.events, b.events, ",.0f", f"(asked for {a.expected:,.0f}/s)")
    row("events conflated /s", a.conflated, b.conflated, ",.0f")
    row("trades dropped", a.dropped, b.dropped, ",")
    met = a.lag.p(99) < 50 and a.cpu < b.cpu / 2
    print(f"goals: {'met' if met else 'MISSED'}")


if __name__ == "__main__":
    main()
