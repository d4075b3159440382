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
import contextlib
import multiprocessing as mp
import struct
import time

import _common  # first: puts the repo root on sys.path
import orjson
import websockets
from websockets.asyncio.server import ServerConnection, serve

from dantaro_tui import WebSocketClient


def ws_frame(payload: bytes) -> bytes:
    """An unmasked server->client binary frame."""
    n = len(payload)
    if n < 126:
        header = struct.pack("!BB", 0x82, n)
    elif n < 65536:
        header = struct.pack("!BBH", 0x82, 126, n)
    else:
        header = struct.pack("!BBQ", 0x82, 127, n)
    return header + payload


def serve_blob(port_q: mp.Queue, total: int) -> None:
    frames = [
        f if isinstance(f, bytes) else f.encode() for f in _common.recorded_frames("upbit_ws.txt")
    ]
    frames = [f for f in frames if b'"ty":"trade"' in f or b'"ty":"orderbook"' in f]
    blob_frames = [ws_frame(frames[i % len(frames)]) for i in range(total)]
    blob = b"".join(blob_frames)

    async def handler(ws: ServerConnection) -> None:
        await ws.recv()  # the subscription request
        ws.transport.write(blob)
        with contextlib.suppress(Exception):
            await ws.wait_closed()

    async def main() -> None:
        async with serve(handler, "127.0.0.1", 0, compression=None, max_size=None) as server:
            port_q.put(server.sockets[0].getsockname()[1])
            await asyncio.Future()

    asyncio.run(main())


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
    done = asyncio.Event()
    count = 0
    t0 = 0.0

    def on_event(_ev: object) -> None:
        nonlocal count, t0
        count += 1
        if count == 1:
            t0 = time.perf_counter()
        elif count == total:
            done.set()

    client = WebSocketClient("bench", url=url)
    symbols = codes()
    # Both subscribe calls register before the connection's first request goes out, so the
    # server (which streams after the first request) is answered with the union.
    await asyncio.gather(
        client.subscribe_trade(symbols, on_event), client.subscribe_orderbook(symbols, on_event)
    )
    await asyncio.wait_for(done.wait(), 120)
    rate = (total - 1) / (time.perf_counter() - t0)
    await client.cleanup()
    return rate


def run_server(total: int) -> tuple[mp.Process, str]:
    q: mp.Queue = mp.Queue()
    proc = mp.Process(target=serve_blob, args=(q, total), daemon=True)
    proc.start()
    port = q.get(timeout=60)
    return proc, f"ws://127.0.0.1:{port}/"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--frames", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    proc, url = run_server(args.frames)
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
