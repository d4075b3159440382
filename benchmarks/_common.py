"""Helpers shared by the benchmark scripts (run them from the repo root)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing as mp
import os
import statistics
import struct
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
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


# -- Upbit frames (the SIMPLE format the codec asks for) --------------------------------

KRW_CODES = [
    "KRW-BTC", "KRW-ETH", "KRW-XRP", "KRW-SOL", "KRW-DOGE", "KRW-ADA", "KRW-TRX", "KRW-AVAX",
    "KRW-LINK", "KRW-DOT", "KRW-BCH", "KRW-ETC", "KRW-NEAR", "KRW-SUI", "KRW-APT", "KRW-ARB",
    "KRW-SAND", "KRW-HBAR", "KRW-XLM", "KRW-SHIB",
]  # fmt: skip


def upbit_ticker(code: str, price: float, ts_ms: int, stream: str = "REALTIME") -> bytes:
    return (
        f'{{"ty":"ticker","cd":"{code}","op":{price * 0.99},"hp":{price * 1.02},'
        f'"lp":{price * 0.98},"tp":{price},"pcp":{price * 0.99},"atp":123456789.0,'
        f'"c":"RISE","cp":{price * 0.01},"scp":{price * 0.01},"cr":0.0101,"scr":0.0101,'
        f'"ab":"BID","tv":0.5,"atv":1234.5,"tdt":"20260101","ttm":"000000","ttms":{ts_ms},'
        f'"aav":600.0,"abv":634.5,"ms":"ACTIVE","its":false,"mw":"NONE","tms":{ts_ms},'
        f'"atp24h":987654321.0,"atv24h":9876.5,"st":"{stream}"}}'
    ).encode()


def upbit_trade(code: str, price: float, ts_ms: int, sid: int, stream: str = "REALTIME") -> bytes:
    return (
        f'{{"ty":"trade","cd":"{code}","tms":{ts_ms},"td":"2026-01-01","ttm":"00:00:00",'
        f'"ttms":{ts_ms},"tp":{price},"tv":0.01234,"ab":"{"BID" if sid % 2 else "ASK"}",'
        f'"pcp":{price * 0.99},"c":"RISE","cp":{price * 0.01},"sid":{sid},"st":"{stream}"}}'
    ).encode()


def upbit_frame(channel: str, code: str, ts_ms: int, seq: int, stream: str = "REALTIME") -> bytes:
    """A ticker or trade frame of ``code`` (prices wander with ``seq``)."""
    price = 1000.0 + sum(code.encode()) + (seq % 50)
    if channel == "ticker":
        return upbit_ticker(code, price, ts_ms, stream)
    return upbit_trade(code, price, ts_ms, seq, stream)


def requested_pairs(text: str | bytes) -> set[tuple[str, str]] | None:
    """(channel, code) pairs of an Upbit subscription request; None for anything else."""
    try:
        request = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None  # "PING"
    if not isinstance(request, list):
        return None
    return {(o["type"], c) for o in request if "type" in o for c in o.get("codes", ())}


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


# -- loopback servers in another process (their CPU is not the client's) -----------------

Handler = Callable[[ServerConnection], Awaitable[None]]


def _serve(port_q: mp.Queue, make_handler: Callable[..., Handler], args: tuple[Any, ...]) -> None:
    async def main() -> None:
        handler = make_handler(*args)
        async with serve(handler, "127.0.0.1", 0, compression=None, max_size=None) as server:
            port_q.put(server.sockets[0].getsockname()[1])
            await asyncio.Future()

    asyncio.run(main())


def run_server(
    make_handler: Callable[..., Handler], *args: Any, timeout: float = 60
) -> tuple[mp.Process, str]:
    """Serve ``make_handler(*args)`` (called in the server process; module-level, so it
    survives any start method) on loopback in another process: (the process, its URL).
    ``timeout``: seconds to wait for it to listen."""
    q: mp.Queue = mp.Queue()
    proc = mp.Process(target=_serve, args=(q, make_handler, args), daemon=True)
    proc.start()
    port = q.get(timeout=timeout)
    return proc, f"ws://127.0.0.1:{port}/"


def stop_server(proc: mp.Process) -> None:
    proc.kill()
    proc.join(5)


def _blob_handler(make_blob: Callable[[int], bytes], total: int) -> Handler:
    blob = make_blob(total)

    async def handler(ws: ServerConnection) -> None:
        await ws.recv()  # the subscription request
        ws.transport.write(blob)
        with contextlib.suppress(Exception):
            await ws.wait_closed()

    return handler


def run_blob_server(
    make_blob: Callable[[int], bytes], total: int, timeout: float
) -> tuple[mp.Process, str]:
    """A server that answers the first request by writing ``make_blob(total)`` (pre-built
    frames) straight to the socket, so it is not the bottleneck."""
    return run_server(_blob_handler, make_blob, total, timeout=timeout)


class _PacedFeed:
    """Upbit-like: ``rate`` frames/s over ticker + trade of ``codes`` (round robin, written
    every ``tick`` seconds); each
    connection gets the frames of the pairs its latest request named (a snapshot of each
    when it asks). A socket whose client stops reading (4 MB unsent) skips frames."""

    BACKLOG = 4 * 1024 * 1024

    def __init__(self, codes: list[str], rate: float, tick: float) -> None:
        self.rate = rate
        self.tick = tick
        self.combos = [(ch, c) for c in codes for ch in ("ticker", "trade")]
        self.index: dict[tuple[str, str], set[ServerConnection]] = {}
        self.seq = 0
        self.pump: asyncio.Task[None] | None = None

    async def handler(self, ws: ServerConnection) -> None:
        if self.pump is None:
            self.pump = asyncio.create_task(self._pump())
        mine: set[tuple[str, str]] = set()
        try:
            async for text in ws:
                pairs = requested_pairs(text)
                if pairs is None:
                    continue
                for pair in mine - pairs:
                    self.index[pair].discard(ws)
                for pair in pairs:
                    self.index.setdefault(pair, set()).add(ws)
                mine = pairs
                ts = int(time.time() * 1000)
                self.seq += 1
                snaps = [ws_frame(upbit_frame(ch, c, ts, self.seq, "SNAPSHOT")) for ch, c in pairs]
                ws.transport.write(b"".join(snaps))
        except Exception:
            pass
        finally:
            for pair in mine:
                self.index[pair].discard(ws)

    async def _pump(self) -> None:
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        made = 0
        combos, n = self.combos, len(self.combos)
        while True:
            await asyncio.sleep(self.tick)
            due = int((loop.time() - t0) * self.rate) - made
            made += due
            ts = int(time.time() * 1000)
            out: dict[ServerConnection, list[bytes]] = {}
            for _ in range(due):
                self.seq += 1
                ch, code = combos[self.seq % n]
                conns = self.index.get((ch, code))
                if conns:
                    frame = ws_frame(upbit_frame(ch, code, ts, self.seq))
                    for ws in conns:
                        out.setdefault(ws, []).append(frame)
            for ws, frames in out.items():
                transport = ws.transport
                if not transport.is_closing() and transport.get_write_buffer_size() < self.BACKLOG:
                    transport.write(b"".join(frames))


def _paced_handler(codes: list[str], rate: float, tick: float) -> Handler:
    return _PacedFeed(codes, rate, tick).handler


def run_paced_server(codes: list[str], rate: float, tick: float) -> tuple[mp.Process, str]:
    """An Upbit-like server sending ``rate`` ticker/trade frames per second over ``codes``
    (each socket only the pairs it asked for), in a batch every ``tick`` seconds."""
    return run_server(_paced_handler, codes, rate, tick)


def _flood_handler(codes: list[str]) -> Handler:
    async def handler(ws: ServerConnection) -> None:
        await ws.recv()  # the subscription request: then frames, as fast as they are taken
        seq = 0
        with contextlib.suppress(Exception):
            while not ws.transport.is_closing():
                ts = int(time.time() * 1000)
                chunk = []
                for _ in range(200):
                    seq += 1
                    ch = "ticker" if seq % 2 else "trade"
                    chunk.append(ws_frame(upbit_frame(ch, codes[seq % len(codes)], ts, seq)))
                ws.transport.write(b"".join(chunk))
                await ws.drain()  # waits while the client's socket is full

    return handler


def run_flood_server(codes: list[str]) -> tuple[mp.Process, str]:
    """A hostile server: ticker and trade frames of ``codes`` as fast as the client takes
    them (every frame stamped with the time it was made)."""
    return run_server(_flood_handler, codes)


def run_sim(
    intensity: float = 1.0, seed: int = 1
) -> tuple[subprocess.Popen[str], dict[str, dict[str, str]]]:
    """``dantaro-tui sim`` in its own process: (the process, exchange -> {"ws", "rest"})."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "dantaro_tui", "sim", "--port", "0", "--seed", str(seed),
         "--intensity", str(intensity)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
    )  # fmt: skip
    assert proc.stdout is not None
    line = proc.stdout.readline()
    try:
        info = json.loads(line)
    except json.JSONDecodeError:
        proc.kill()
        raise SystemExit(f"the simulator did not start: {line!r}") from None
    info = info.get("endpoints", info)
    return proc, {k: v for k, v in info.items() if isinstance(v, dict)}


def stop_sim(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()


# -- measuring ----------------------------------------------------------------------------


class LagProbe:
    """Event-loop lag: a task that sleeps ``period`` and records how late it woke (ms)."""

    def __init__(self, period: float = 0.01) -> None:
        self.period = period
        self.samples: list[float] = []
        self._task: asyncio.Task[None] | None = None

    def start(self) -> LagProbe:
        self._task = asyncio.create_task(self._run())
        return self

    async def _run(self) -> None:
        perf = time.perf_counter
        while True:
            t0 = perf()
            await asyncio.sleep(self.period)
            self.samples.append((perf() - t0 - self.period) * 1000)

    def reset(self) -> None:
        self.samples.clear()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.wait([self._task])

    def p(self, q: float) -> float:
        return percentile(self.samples, q)

    def text(self) -> str:
        s = self.samples
        return f"p50 {self.p(50):.1f}  p99 {self.p(99):.1f}  max {max(s, default=0):.1f} ms"


async def receive_events(
    client: WebSocketClient, symbols: list[str], total: int, timeout: float
) -> tuple[float, float]:
    """Subscribe ``client`` to the trades and order books of ``symbols`` and wait until its
    hub's sockets received ``total`` frames and everything they brought was handled (the
    callbacks went quiet). Not every frame reaches a callback: a book superseded by a newer
    one of the same market before the callback's turn is conflated, an impossible one is an
    error (both counted in health). Returns the ``perf_counter`` times of the first and of
    the last callback."""
    count = 0
    t0 = t1 = 0.0
    perf = time.perf_counter

    def on_event(_ev: object) -> None:
        nonlocal count, t0, t1
        count += 1
        t1 = perf()
        if count == 1:
            t0 = t1

    # Both subscribe calls register before the connection's first request goes out, so the
    # server (which streams after the first request) is answered with the union.
    await asyncio.gather(
        client.subscribe_trade(symbols, on_event), client.subscribe_orderbook(symbols, on_event)
    )
    deadline = perf() + timeout
    while sum(h.messages for h in client.hub.connection_health()) < total or perf() - t1 < 0.05:
        if perf() > deadline:
            raise TimeoutError(f"{count:,} events of {total:,} frames in {timeout} s")
        await asyncio.sleep(0.005)
    return t0, t1


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
