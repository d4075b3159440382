"""Bithumb codec throughput: decode + normalise vs bare ``orjson.loads`` on the same frames.

(a) The recorded legacy session (``bithumb_ws.txt``: status frames and 1-4 trades a frame)
    through ``LegacyDecoder`` (strings to numbers, Korean times, checked Trade events).
(b) v1 frames in both key formats, as the simulator writes them from its market (ticker,
    trade, 15-level orderbook), through ``BithumbCodec`` (msgspec fast path with Upbit's
    constraints, µs book times, 0-size levels dropped). There is no recorded v1 session, so
    the frames come from a seeded simulated market.
(c) The recorded Upbit trades (real traffic, the same wire format) through ``BithumbCodec``
    and ``UpbitCodec``: the cost of the shared code under Bithumb's name.

Run from the repo root: ``python benchmarks/bench_decode_bithumb.py [--rounds N]``.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence
from typing import Any

import orjson
from _common import recorded_frames

from dantaro_tui.exchanges.base import Frame
from dantaro_tui.exchanges.bithumb import BithumbCodec
from dantaro_tui.exchanges.bithumb_legacy import LegacyDecoder
from dantaro_tui.exchanges.upbit import UpbitCodec
from dantaro_tui.model import Status
from dantaro_tui.sim import bithumb as sim_bithumb
from dantaro_tui.sim.market import MarketProcess


def best_of(fn: Callable[[], Any], rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def compare(
    label: str, frames: Sequence[Frame], decode: Callable[[Frame, int], list[Any]], rounds: int
) -> None:
    batch = list(frames) * max(1, 20_000 // len(frames))

    def run_codec() -> None:
        for f in batch:
            decode(f, 1)

    def run_json() -> None:
        loads = orjson.loads
        for f in batch:
            loads(f)

    tc, tj = best_of(run_codec, rounds), best_of(run_json, rounds)
    n = len(batch)
    print(
        f"    {label:<26} {tc / n * 1e6:6.2f} us/frame codec, {tj / n * 1e6:5.2f} orjson"
        f"   ratio {tc / tj:4.2f}x"
    )


def simulated_frames(simple: bool, steps: int = 300) -> dict[str, list[bytes]]:
    """v1 frames per kind, written by the simulator's own encoders from a seeded market."""
    market = MarketProcess(seed=1, intensity=4.0)
    specs = sim_bithumb.listing_specs(["KRW-BTC", "KRW-ETH", "KRW-XRP", "KRW-SOL"], 1)
    for spec in specs:
        market.add_listing(spec)
    out: dict[str, list[bytes]] = {"ticker": [], "trade": [], "orderbook": []}
    for _ in range(steps):
        step = market.step(0.1)
        now = step.now_ms
        for t in step.trades:
            obj = sim_bithumb.trade_obj(t, "REALTIME", now)
            out["trade"].append(sim_bithumb._keyed(obj, simple, sim_bithumb.TRADE_DATE_KEYS))
        for lst in step.tickers:
            obj = sim_bithumb.ticker_obj(lst, "REALTIME", now)
            out["ticker"].append(sim_bithumb._keyed(obj, simple, sim_bithumb.TICKER_DATE_KEYS))
        for lst in step.books:
            out["orderbook"].append(sim_bithumb.book_frame(lst, 15, simple, "REALTIME"))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    rounds = parser.parse_args().rounds

    legacy = recorded_frames("bithumb_ws.txt")
    decoder = LegacyDecoder()
    events = [e for f in legacy for e in decoder.decode(f, 1)]
    assert not [e for e in events if isinstance(e, Status) and e.kind == "error"]
    print(f"(a) recorded legacy session: {len(legacy)} frames, {len(events)} events")
    compare("pubwss (trades, status)", legacy, decoder.decode, rounds)

    print("(b) v1 frames from the simulated market")
    for fmt in ("SIMPLE", "DEFAULT"):
        frames = simulated_frames(fmt == "SIMPLE")
        codec = BithumbCodec(format=fmt)
        for kind, fs in frames.items():
            assert all(not isinstance(e, Status) for f in fs for e in codec.decode(f, 1)), kind
            compare(f"{fmt:<7} {kind} ({len(fs)})", fs, codec.decode, rounds)

    upbit_trades = [f for f in recorded_frames("upbit_ws.txt") if b'"ty":"trade"' in f]
    print(f"(c) recorded Upbit trades ({len(upbit_trades)}), the shared wire format")
    compare("BithumbCodec", upbit_trades, BithumbCodec().decode, rounds)
    compare("UpbitCodec", upbit_trades, UpbitCodec().decode, rounds)


if __name__ == "__main__":
    main()
