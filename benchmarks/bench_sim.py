"""Simulator throughput: messages/s reaching N clients subscribed to every KRW market
(ticker + trade + orderbook), and the share of one core the server spends stepping the
market and fanning frames out, at several intensities.

    python benchmarks/bench_sim.py [--seconds 5] [--clients 1,4] [--intensity 1,10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

import aiohttp

from dantaro_tui.sim.server import SimServer


async def _client(
    url: str, codes: list[str], counts: list[int], i: int, stop: asyncio.Event
) -> None:
    async with aiohttp.ClientSession() as session, session.ws_connect(url, max_msg_size=0) as ws:
        req = [{"ticket": f"bench-{i}"}]
        req += [
            {"type": t, "codes": codes, "is_only_realtime": True}
            for t in ("ticker", "trade", "orderbook")
        ]
        req.append({"format": "SIMPLE"})
        await ws.send_str(json.dumps(req))
        while not stop.is_set():
            try:
                msg = await asyncio.wait_for(ws.receive(), 0.5)
            except TimeoutError:
                continue
            if msg.type is not aiohttp.WSMsgType.BINARY:
                break
            counts[i] += 1


async def measure(intensity: float, clients: int, seconds: float) -> dict[str, float]:
    sim = SimServer(seed=1, intensity=intensity, rate_limits=False)
    await sim.start()
    try:
        url = sim.endpoints["upbit"]["ws"]
        codes = [
            lst.symbol for lst in sim.market.listings("upbit") if lst.symbol.startswith("KRW-")
        ]
        counts = [0] * clients
        stop = asyncio.Event()
        tasks = [
            asyncio.ensure_future(_client(url, codes, counts, i, stop)) for i in range(clients)
        ]
        await asyncio.sleep(1.0)  # warm up: snapshots, connection set-up
        start_counts, start_cpu = sum(counts), sim.step_seconds
        t0 = time.perf_counter()
        await asyncio.sleep(seconds)
        elapsed = time.perf_counter() - t0
        received = sum(counts) - start_counts
        busy = sim.step_seconds - start_cpu
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        await sim.stop()
    return {
        "per_client_msgs_s": received / clients / elapsed,
        "total_msgs_s": received / elapsed,
        "server_core_share": busy / elapsed,
    }


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--clients", default="1,4")
    ap.add_argument("--intensity", default="1,10")
    args = ap.parse_args()
    base: float | None = None
    print(f"{'intensity':>9} {'clients':>7} {'msgs/s/client':>13} {'total msgs/s':>12} "
          f"{'server core':>11} {'vs first':>8}")  # fmt: skip
    for intensity in (float(x) for x in args.intensity.split(",")):
        for clients in (int(x) for x in args.clients.split(",")):
            r = await measure(intensity, clients, args.seconds)
            base = base or r["per_client_msgs_s"]
            print(
                f"{intensity:>9g} {clients:>7d} {r['per_client_msgs_s']:>13.0f} "
                f"{r['total_msgs_s']:>12.0f} {r['server_core_share']:>10.0%} "
                f"{r['per_client_msgs_s'] / base:>7.1f}x"
            )


if __name__ == "__main__":
    asyncio.run(main())
