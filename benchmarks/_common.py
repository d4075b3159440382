"""Helpers shared by the benchmark scripts (run them from the repo root)."""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing as mp
import statistics
import struct
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from websockets.asyncio.server import ServerConnection, serve

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

if TYPE_CHECKING:
    from dantaro_tui import WebSocketClient


def recorded_frames(name: str) -> list[str | bytes]:
    from tests.recorded import load

    return [frame for _, frame in load(name).received]


def upbit_trade_book_frames() -> list[bytes]:
    """The recorded Upbit trade and order book frames, as bytes."""
    frames = [f if isinstance(f, bytes) else f.encode() for f in recorded_frames("upbit_ws.txt")]
    return [f for f in frames if b'"ty":"trade"' in f or b'"ty":"orderbook"' in f]


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


def _serve_blob(port_q: mp.Queue, make_blob: Callable[[int], bytes], total: int) -> None:
    blob = make_blob(total)

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


def run_blob_server(
    make_blob: Callable[[int], bytes], total: int, timeout: float
) -> tuple[mp.Process, str]:
    """A loopback WebSocket server in another process that answers the first request by
    writing ``make_blob(total)`` (pre-built frames) straight to the socket, so it is not the
    bottleneck: (the process, its URL). ``timeout``: seconds to wait for it to listen."""
    q: mp.Queue = mp.Queue()
    proc = mp.Process(target=_serve_blob, args=(q, make_blob, total), daemon=True)
    proc.start()
    port = q.get(timeout=timeout)
    return proc, f"ws://127.0.0.1:{port}/"


async def receive_events(
    client: WebSocketClient, symbols: list[str], total: int, timeout: float
) -> float:
    """Subscribe ``client`` to the trades and order books of ``symbols`` and wait for
    ``total`` events; returns the ``perf_counter`` time of the first one."""
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

    # Both subscribe calls register before the connection's first request goes out, so the
    # server (which streams after the first request) is answered with the union.
    await asyncio.gather(
        client.subscribe_trade(symbols, on_event), client.subscribe_orderbook(symbols, on_event)
    )
    await asyncio.wait_for(done.wait(), timeout)
    return t0


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    idx = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[idx]


def summary(values: list[float]) -> str:
    return (
        f"p50 {percentile(values, 50):.1f}  p95 {percentile(values, 95):.1f}  "
        f"p99 {percentile(values, 99):.1f}  max {max(values):.1f}  "
        f"mean {statistics.mean(values):.1f}"
    )
