"""Resubscribe-to-first-event latency on loopback against the built-in simulator.

A client subscribed to ticker + trade + orderbook on one market switches to another with
``resubscribe``; the time from the call to the first event of the new market is measured
(Upbit answers a subscription with a snapshot). Also the seed system's approach, a fresh
connection per switch (cleanup + new client), in the same run as the baseline.
Goal: p99 under 100 ms.

    python benchmarks/bench_resubscribe.py [--switches 40]
"""

from __future__ import annotations

import argparse
import asyncio
import time

import _common  # first: puts the repo root on sys.path

from dantaro_tui import WebSocketClient
from dantaro_tui.sim.server import SimServer

MARKETS = ["KRW-BTC", "KRW-ETH", "KRW-XRP", "KRW-SOL", "KRW-DOGE", "KRW-ADA", "KRW-TRX"]


async def measure(switches: int, fresh_client: bool, url: str) -> list[float]:
    latencies: list[float] = []
    arrived = asyncio.Event()
    target = ""

    def on_event(ev: object) -> None:
        if getattr(ev, "symbol", None) == target:
            arrived.set()

    async def subscribe_all(client: WebSocketClient, symbol: str) -> None:
        await client.subscribe_ticker([symbol], on_event)
        await client.subscribe_trade([symbol], on_event)
        await client.subscribe_orderbook([symbol], on_event)

    client = WebSocketClient("bench", url=url)
    await subscribe_all(client, MARKETS[0])
    for i in range(1, switches + 1):
        target = MARKETS[i % len(MARKETS)]
        arrived.clear()
        t0 = time.perf_counter()
        if fresh_client:
            await client.cleanup()
            client = WebSocketClient("bench", url=url)
            await subscribe_all(client, target)
        else:
            await client.resubscribe([target])
        await asyncio.wait_for(arrived.wait(), 10)
        latencies.append((time.perf_counter() - t0) * 1000)
        # Upbit allows 5 connects/s, and 5 messages/s + 100/min per connection: pace the
        # switches like a fast trader would, inside the limits, so queueing is not measured.
        await asyncio.sleep(0.25 if fresh_client else 0.65)
    await client.cleanup()
    return latencies


async def main(switches: int) -> None:
    sim = SimServer(host="127.0.0.1", port=0, seed=3)
    await sim.start()
    url = sim.endpoints["upbit"]["ws"]
    try:
        ours = await measure(switches, False, url)
        fresh = await measure(max(10, switches // 5), True, url)
    finally:
        await sim.stop()
    print(f"switches                       {len(ours)}")
    print(f"resubscribe -> first event ms  {_common.summary(ours)}")
    print(f"new connection per switch ms   {_common.summary(fresh)}  (baseline)")
    print(f"p99 goal < 100 ms: {'met' if _common.percentile(ours, 99) < 100 else 'MISSED'}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--switches", type=int, default=40)
    asyncio.run(main(parser.parse_args().switches))
