"""End-to-end throughput: socket -> hub connection -> codec -> owner mailbox -> callback.

A server in another process writes pre-built WebSocket frames (the real recorded Upbit
trade and order book frames) straight to the socket, so it is not the bottleneck. The same
frames go to:
  * a bare `websockets` client that only runs `orjson.loads` on each frame (the baseline);
  * one `WebSocketClient` on its own `FeedHub`: a frame counts once its event reached the
    callback, or was superseded by a newer book of the same market before the callback's
    turn came (conflation, counted in health).
Prints messages/s for both and the ratio (goal: >= 0.7).

    python benchmarks/bench_e2e.py [--frames 100000] [--rounds 3] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import time

import _common  # first: puts the repo root on sys.path
import orjson
import websockets

from dantaro_tui import WebSocketClient
from dantaro_tui.feed.hub import FeedHub

GOAL = 0.7


def blob(total: int) -> bytes:
    frames = _common.upbit_trade_book_frames()
    return b"".join(_common.ws_frame(frames[i % len(frames)]) for i in range(total))


def codes() -> list[str]:
    return sorted({orjson.loads(f)["cd"] for f in _common.recorded_frames("upbit_ws.txt")})


async def bare(url: str, total: int) -> float:
    async with websockets.connect(url, compression=None, max_size=None, max_queue=None) as ws:
        await ws.send('[{"ticket":"bench"},{"type":"trade","codes":["KRW-BTC"]}]')
        first = await ws.recv()
        orjson.loads(first)
        t0 = time.perf_counter()
        for _ in range(total - 1):
            orjson.loads(await ws.recv())
        return (total - 1) / (time.perf_counter() - t0)


async def ours(url: str, total: int) -> tuple[float, float]:
    """(frames/s first -> last callback, share of frames that reached a callback)."""
    hub = FeedHub()
    client = WebSocketClient("bench", url=url, hub=hub)
    t0, t1 = await _common.receive_events(client, codes(), total, timeout=120)
    delivered = client.health().messages
    await client.cleanup()
    await hub.close()
    return (total - 1) / (t1 - t0), delivered / total


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--frames", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="cProfile one client run")
    args = parser.parse_args()
    proc, url = _common.run_blob_server(blob, args.frames, timeout=60)
    try:
        bare_rates, our_rates, shares, bare_cpu, our_cpu = [], [], [], [], []
        for _ in range(args.rounds):
            c0 = time.process_time()
            bare_rates.append(asyncio.run(bare(url, args.frames)))
            c1 = time.process_time()
            rate, share = asyncio.run(ours(url, args.frames))
            c2 = time.process_time()
            our_rates.append(rate)
            shares.append(share)
            bare_cpu.append((c1 - c0) / args.frames * 1e6)
            our_cpu.append((c2 - c1) / args.frames * 1e6)
        if args.profile:
            prof = cProfile.Profile()
            prof.enable()
            asyncio.run(ours(url, args.frames))
            prof.disable()
    finally:
        _common.stop_server(proc)
    b, o = max(bare_rates), max(our_rates)
    print(f"frames per run             {args.frames:,}  (best of {args.rounds})")
    print(
        f"bare websockets + orjson   {b:>10,.0f} msg/s  {min(bare_cpu):5.2f} us CPU/frame  (base)"
    )
    print(f"WebSocketClient (hub)      {o:>10,.0f} msg/s  {min(our_cpu):5.2f} us CPU/frame")
    print(f"  frames that reached the callback (the rest conflated): {min(shares):.0%}")
    print(f"ratio (goal >= {GOAL})        {o / b:>10.2f}  {'met' if o / b >= GOAL else 'MISSED'}"
          f"   (CPU per frame, bare / ours: {min(bare_cpu) / min(our_cpu):.2f})")  # fmt: skip
    if args.profile:
        pstats.Stats(prof).sort_stats("tottime").print_stats(18)


if __name__ == "__main__":
    main()
