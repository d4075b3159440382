"""Coinone codec throughput: decode + normalise vs bare ``orjson.loads``.

No recorded Coinone traffic exists, so the frames are captured once, at the start, from
the built-in simulator over a real loopback socket (ORDERBOOK, TRADE and TICKER of the
busiest KRW markets, as a client subscribed to them receives them). Every captured frame is
then decoded, in receive order, by a fresh ``CoinoneCodec`` (frame -> msgspec struct ->
checked, best-first ``OrderBook`` / ``Ticker`` / ``Trade``) and by ``orjson.loads`` alone,
best of ``--rounds``; also per channel. The ratio is the cost of the codec over parsing
the JSON it has to parse anyway.

Run from the repo root: ``python benchmarks/bench_decode_coinone.py [--frames N]``.
The goal is at most 2x bare ``orjson.loads``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

import _common  # noqa: F401 - first: puts the repo root on sys.path
import aiohttp
import orjson

from dantaro_tui.exchanges.coinone import CoinoneCodec
from dantaro_tui.model import Status
from dantaro_tui.sim.server import SimServer

COINS = ("BTC", "ETH", "XRP", "SOL", "DOGE", "USDT", "SUI", "ADA")
CHANNELS = ("ORDERBOOK", "TRADE", "TICKER")


async def capture(n: int) -> list[str]:
    sim = SimServer(seed=3, intensity=20.0, step_interval=0.05, venues=["coinone"])
    await sim.start()
    out: list[str] = []
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.ws_connect(sim.endpoints["coinone"]["ws"]) as ws,
        ):
            for coin in COINS:
                for channel in CHANNELS:
                    topic = {"quote_currency": "KRW", "target_currency": coin}
                    req = {"request_type": "SUBSCRIBE", "channel": channel, "topic": topic}
                    await ws.send_str(json.dumps(req))
            deadline = time.monotonic() + 120.0
            while len(out) < n and time.monotonic() < deadline:
                msg = await ws.receive(timeout=10.0)
                if msg.type is aiohttp.WSMsgType.TEXT and '"DATA"' in msg.data:
                    out.append(msg.data)
    finally:
        await sim.stop()
    return out


def best_pair(a: Callable[[], Any], b: Callable[[], Any], rounds: int) -> tuple[float, float]:
    """Best time of ``a`` and of ``b``, run alternately so a neighbour's load on a shared
    machine weighs on both sides of the ratio alike."""
    best = [float("inf"), float("inf")]
    for _ in range(rounds):
        for i, fn in enumerate((a, b)):
            t0 = time.perf_counter()
            fn()
            best[i] = min(best[i], time.perf_counter() - t0)
    return best[0], best[1]


def run_codec(frames: list[str]) -> None:
    decode = CoinoneCodec().decode
    for i, f in enumerate(frames):
        decode(f, i)


def run_orjson(frames: list[str]) -> None:
    loads = orjson.loads
    for f in frames:
        loads(f)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--frames", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=11)
    args = parser.parse_args()
    frames = asyncio.run(capture(args.frames))
    errors: list[Status] = []
    codec = CoinoneCodec()
    for i, f in enumerate(frames):
        errors += [e for e in codec.decode(f, i) if isinstance(e, Status)]
    assert not errors, errors[:3]  # every captured frame decodes to market data
    print(f"{len(frames)} frames captured from the simulator ({len(COINS)} coins x {CHANNELS})")
    tc, tj = best_pair(lambda: run_codec(frames), lambda: run_orjson(frames), args.rounds)
    print(
        f"  all        codec {tc / len(frames) * 1e6:5.2f} us/frame   orjson.loads "
        f"{tj / len(frames) * 1e6:5.2f} us/frame   ratio {tc / tj:4.2f}x"
    )
    for channel in CHANNELS:
        some = [f for f in frames if f'"channel":"{channel}"' in f]
        if not some:
            continue
        tc, tj = best_pair(
            lambda some=some: run_codec(some), lambda some=some: run_orjson(some), args.rounds
        )
        print(
            f"  {channel:<10} codec {tc / len(some) * 1e6:5.2f} us/frame   orjson.loads "
            f"{tj / len(some) * 1e6:5.2f} us/frame   ratio {tc / tj:4.2f}x   ({len(some)} frames)"
        )


if __name__ == "__main__":
    main()
