"""End-to-end throughput: socket -> connection -> codec -> client -> callback.

A server in another process writes pre-built WebSocket frames (the real recorded Upbit
frames) straight to the socket, so it is not the bottleneck. The same frames go to:
  * a bare `websockets` client that only runs `orjson.loads` on each frame (the baseline);
  * `WebSocketClient`, counting callback invocations.
Prints messages/s for both and the ratio (goal: >= 0.5).

    python benchmarks/bench_e2e.py [--frames 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import time

import _common  # first: puts the repo root on sys.path
import orjson
import websockets

from dantaro_tui import WebSocketClient


def blob(total: int) -> bytes:
    frames = _common.upbit_trade_book_frames()
    return b"".join(_common.ws_frame(frames[i % len(frames)]) for i in range(total))


def codes() -> list[str]:
    out = set()
    for f in _common.recorded_frames("upbit_ws.txt"):
        d = orjson.loads(f)
        out.add(d["cd"])
    return sorted(out)


async def bare(url: str, total: int) -> float:
    async with websockets.connect(url, compression=None, max_size=None, max_queue=None) as ws:
        await ws.send('[{"ticket":"bench"},{"type":"trade","codes":["KRW-BTC"]}]')
        first = await ws.recv()
        orjson.loads(first)
        t0 = time.perf_counter()
        for _ in range(total - 1):
            orjson.loads(await ws.recv())
        return (total - 1) / (time.perf_counter() - t0)


async def ours(url: str, total: int) -> float:
    client = WebSocketClient("bench", url=url)
    t0 = await _common.receive_events(client, codes(), total, timeout=120)
    rate = (total - 1) / (time.perf_counter() - t0)
    await client.cleanup()
    return rate


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--frames", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    proc, url = _common.run_blob_server(blob, args.frames, timeout=60)
    try:
        bare_rates, our_rates = [], []
        for _ in range(args.rounds):
            bare_rates.append(asyncio.run(bare(url, args.frames)))
            our_rates.append(asyncio.run(ours(url, args.frames)))
    finally:
        proc.kill()
    b, o = max(bare_rates), max(our_rates)
    print(f"frames per run             {args.frames}")
    print(f"bare websockets + orjson   {b:>10,.0f} msg/s")
    print(f"WebSocketClient callbacks  {o:>10,.0f} msg/s")
    print(f"ratio (goal >= 0.5)        {o / b:>10.2f}")


if __name__ == "__main__":
    main()
