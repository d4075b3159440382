"""Many terminals, one collector: what Redis costs and what it saves, against direct clients
measured in the same run.

A redis-server is started on a free loopback port in a temporary folder (no persistence);
the collector runs in a process of its own (as on a desk), the exchange is a server in a
third process.

* throughput: N recorded Upbit trade/book frames written at once. Direct: one client on the
  server. Via Redis: the collector publishes them and one consumer (then 20) reads them.
  Prints events/s and the ratio to direct (goal >= 0.5, and >= 50,000/s).
* latency: a paced Upbit-like feed; a direct client and a Redis consumer side by side.
  exchange -> callback p50/p99 for both, and collector receive -> consumer callback (what
  Redis adds; goal p99 < 5 ms on loopback).
* sockets: exchange connections opened for 20 consumers on one collector.
* ``--memory M``: Redis memory each minute for M minutes of the simulator at the demo's rate
  with the default caps (flat once the streams are full).

    python benchmarks/bench_redis.py [--frames 100000] [--consumers 20] [--memory 10]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import _common  # first: puts the repo root on sys.path
import orjson
import redis

from dantaro_tui import WebSocketClient
from dantaro_tui.feed.hub import FeedHub

CODES = ["KRW-BTC", "KRW-ETH", "KRW-XRP", "KRW-SOL", "KRW-DOGE"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_redis(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    exe = shutil.which("redis-server")
    if exe is None:
        raise SystemExit("redis-server is not installed")
    port = free_port()
    proc = subprocess.Popen(
        [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 20
    while True:
        try:
            redis.Redis(port=port).ping()
            return proc, f"redis://127.0.0.1:{port}/0"
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def blob(total: int) -> bytes:
    frames = _common.upbit_trade_book_frames()
    return b"".join(_common.ws_frame(frames[i % len(frames)]) for i in range(total))


def recorded_codes() -> list[str]:
    return sorted({orjson.loads(f)["cd"] for f in _common.recorded_frames("upbit_ws.txt")})


# -- the collector, in its own process ----------------------------------------------------


def _collector_main(
    url: str, ws_url: str, rest_url: str, codes: list[str], channels: list[str], q: Any
) -> None:
    from dantaro_tui.feed.collector_redis import RedisCollector

    async def main() -> None:
        hub = FeedHub()
        hub.set_endpoint("upbit", ws=ws_url, rest=rest_url)
        collector = RedisCollector(url, {"upbit": codes}, channels, hub=hub)
        await collector.start()
        q.put(("started", 0))
        first = last = 0.0
        seen = 0
        while True:
            await asyncio.sleep(0.05)
            n = collector.stats.published
            if n != seen:
                now = time.perf_counter()
                first = first or now
                last, seen = now, n
            q.put(("stats", (n, last - first, hub.sockets())))

    asyncio.run(main())


def start_collector(
    url: str, ws_url: str, codes: list[str], channels: list[str], rest: str = ""
) -> tuple[mp.Process, Any]:
    q: Any = mp.Queue()
    rest = rest or "http://127.0.0.1:9"
    proc = mp.Process(
        target=_collector_main, args=(url, ws_url, rest, codes, channels, q), daemon=True
    )
    proc.start()
    kind, _ = q.get(timeout=60)
    assert kind == "started"
    return proc, q


def latest_stats(q: Any) -> tuple[int, float, int]:
    stats = (0, 0.0, 0)
    while not q.empty():
        _, stats = q.get()
    return stats


# -- throughput -----------------------------------------------------------------------------


class Counter:
    def __init__(self) -> None:
        self.n = 0
        self.t0 = self.t1 = 0.0

    def __call__(self, _ev: object) -> None:
        self.n += 1
        self.t1 = time.perf_counter()
        if self.n == 1:
            self.t0 = self.t1

    @property
    def rate(self) -> float:
        return (self.n - 1) / (self.t1 - self.t0) if self.n > 1 and self.t1 > self.t0 else 0.0


async def settle(counters: list[Counter], quiet: float = 1.0, timeout: float = 300) -> None:
    deadline = time.perf_counter() + timeout
    while True:
        await asyncio.sleep(0.1)
        now = time.perf_counter()
        if all(c.n and now - c.t1 > quiet for c in counters) or now > deadline:
            return


async def direct_throughput(total: int, codes: list[str]) -> float:
    server, ws_url = _common.run_blob_server(blob, total, timeout=120)
    hub = FeedHub()
    client = WebSocketClient("direct", url=ws_url, hub=hub)
    t0, t1 = await _common.receive_events(client, codes, total, timeout=300)
    delivered = client.health().messages
    await client.cleanup()
    await hub.close()
    _common.stop_server(server)
    return (delivered - 1) / (t1 - t0)


async def redis_throughput(
    url: str, total: int, codes: list[str], consumers: int
) -> dict[str, Any]:
    redis.Redis.from_url(url).flushall()
    hubs = [FeedHub(source=url) for _ in range(consumers)]  # one per terminal
    counters = [Counter() for _ in range(consumers)]
    clients = [WebSocketClient(f"t{i}", hub=h) for i, h in enumerate(hubs)]
    for client, counter in zip(clients, counters, strict=True):
        await client.subscribe_trade(codes, counter)
        await client.subscribe_orderbook(codes, counter)
    server, ws_url = _common.run_blob_server(blob, total, timeout=120)
    proc, q = start_collector(url, ws_url, codes, ["trade", "orderbook"])
    await settle(counters)
    published, publish_s, sockets = latest_stats(q)
    for client in clients:
        await client.cleanup()
    for hub in hubs:
        await hub.close()
    proc.kill()
    _common.stop_server(server)
    return {
        "published": published,
        "publish_rate": published / publish_s if publish_s else 0.0,
        "rates": [c.rate for c in counters],
        "received": [c.n for c in counters],
        "exchange_sockets": sockets,
        "consumer_sockets": sum(h.sockets() for h in hubs),
    }


# -- latency --------------------------------------------------------------------------------


async def latency(url: str, seconds: float, rate: float) -> dict[str, list[float]]:
    redis.Redis.from_url(url).flushall()
    server, ws_url = _common.run_paced_server(CODES, rate, 0.005)
    out: dict[str, list[float]] = {"direct": [], "redis": [], "added": []}

    def on_direct(ev: Any) -> None:
        if not ev.snapshot:
            out["direct"].append(time.time() * 1000 - ev.timestamp)

    def on_redis(ev: Any) -> None:
        if not ev.snapshot:
            now_ns = time.time_ns()
            out["redis"].append(now_ns / 1e6 - ev.timestamp)
            out["added"].append((now_ns - ev.recv_ns) / 1e6)

    direct_hub, redis_hub = FeedHub(), FeedHub(source=url)
    direct = WebSocketClient("direct", url=ws_url, hub=direct_hub)
    consumer = WebSocketClient("redis", hub=redis_hub)
    proc, _ = start_collector(url, ws_url, CODES, ["ticker", "trade"])
    await consumer.subscribe_ticker(CODES, on_redis)
    await consumer.subscribe_trade(CODES, on_redis)
    await direct.subscribe_ticker(CODES, on_direct)
    await direct.subscribe_trade(CODES, on_direct)
    await asyncio.sleep(2.0)  # warm up
    for values in out.values():
        values.clear()
    await asyncio.sleep(seconds)
    for client in (direct, consumer):
        await client.cleanup()
    await direct_hub.close()
    await redis_hub.close()
    proc.kill()
    _common.stop_server(server)
    return out


# -- memory ---------------------------------------------------------------------------------


async def memory(url: str, minutes: int) -> list[tuple[int, int]]:
    """Redis used_memory each minute while a collector publishes the simulator (all KRW
    markets, ticker + trade + orderbook, default caps)."""
    redis.Redis.from_url(url).flushall()
    sim, endpoints = _common.run_sim(intensity=1.0)
    upbit = endpoints["upbit"]
    r = redis.Redis.from_url(url)
    from dantaro_tui.recording.cli import fetch_markets

    codes, _, _ = await fetch_markets("upbit", upbit["rest"], ["KRW"])
    proc, _ = start_collector(
        url, upbit["ws"], codes, ["ticker", "trade", "orderbook"], rest=upbit["rest"]
    )
    samples = []
    for minute in range(1, minutes + 1):
        await asyncio.sleep(60)
        samples.append((minute, int(r.info("memory")["used_memory"])))
        print(f"  after {minute:2d} min: {samples[-1][1] / 1e6:7.1f} MB", flush=True)
    proc.kill()
    _common.stop_sim(sim)
    return samples


def pct(values: list[float], q: float) -> float:
    return _common.percentile(values, q)


async def main(args: argparse.Namespace) -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench-redis-"))
    server, url = start_redis(folder)
    try:
        codes = recorded_codes()
        print(f"throughput: {args.frames:,} recorded Upbit trade/book frames, {len(codes)} markets")
        direct = await direct_throughput(args.frames, codes)
        one = await redis_throughput(url, args.frames, codes, 1)
        rate = one["rates"][0]
        print(f"  direct client                   {direct:12,.0f} events/s")
        print(f"  collector publishes             {one['publish_rate']:12,.0f} events/s")
        print(
            f"  via Redis, 1 consumer           {rate:12,.0f} events/s  "
            f"ratio {rate / direct:.2f} (goal >= 0.5 and >= 50,000/s)"
        )
        many = await redis_throughput(url, args.frames, codes, args.consumers)
        rates = many["rates"]
        print(
            f"  via Redis, {args.consumers} consumers in one process: each "
            f"{min(rates):,.0f}-{max(rates):,.0f} events/s, together "
            f"{sum(rates):,.0f}/s; each got {min(many['received']):,}-"
            f"{max(many['received']):,} of {many['published']:,}"
        )
        print(
            f"sockets: {args.consumers} consumers opened {many['consumer_sockets']} exchange "
            f"sockets; the collector {many['exchange_sockets']} (direct: one per terminal, "
            f"{args.consumers})"
        )
        print(f"latency: paced feed, {args.rate:,.0f} frames/s, {args.seconds:.0f} s")
        lat = await latency(url, args.seconds, args.rate)
        for name, label in (
            ("direct", "exchange -> callback, direct   "),
            ("redis", "exchange -> callback, via Redis"),
            ("added", "collector receive -> consumer  "),
        ):
            v = lat[name]
            print(f"  {label} p50 {pct(v, 50):6.2f}  p99 {pct(v, 99):6.2f} ms  ({len(v):,} events)")
        added = pct(lat["redis"], 99) - pct(lat["direct"], 99)
        print(f"  added by Redis at p99: {added:.2f} ms (goal < 5 ms)")
        if args.memory:
            print(f"memory: simulator (all KRW markets), default caps, {args.memory} min")
            await memory(url, args.memory)
    finally:
        server.terminate()
        server.wait(10)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=100_000)
    parser.add_argument("--consumers", type=int, default=20)
    parser.add_argument("--rate", type=float, default=2000.0, help="latency feed frames/s")
    parser.add_argument("--seconds", type=float, default=10.0, help="latency window")
    parser.add_argument("--memory", type=int, default=0, help="minutes of the memory figure")
    asyncio.run(main(parser.parse_args()))
