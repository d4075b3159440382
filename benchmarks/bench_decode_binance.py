"""Binance codec throughput: decode + normalise vs bare ``orjson.loads``, and book deltas/s.

(a) The recorded session (``binance_ws.txt`` + the REST snapshots of
    ``binance_depth_rest.txt``), replayed in receive order through a fresh ``BinanceCodec``
    (frames decoded to checked events, snapshots synced through ``on_rest``, 172 deltas
    applied with the U/u checks), against ``orjson.loads`` of the same frames and bodies.
    Also per stream kind, on the frames alone (stateless kinds repeated; depth deltas on a
    synced book).
(b) Book deltas applied per second with the sync checks on: a synthetic 1,000-level book
    fed chained ``depthUpdate`` frames (U == previous u + 1) shaped like the recorded
    NKNUSDT stream (1-8 levels a delta, ~25 % deletes), through ``BinanceCodec.decode``
    (JSON -> msgspec struct -> sequence check -> LevelBook apply -> top-30 OrderBook event).

Run from the repo root: ``python benchmarks/bench_decode_binance.py [--rounds N]``.
The goal for (a) is at most 2x bare ``orjson.loads``.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import orjson  # noqa: E402

from dantaro_tui.exchanges.base import RestRequest  # noqa: E402
from dantaro_tui.exchanges.binance import BinanceCodec  # noqa: E402
from tests.recorded import load  # noqa: E402

GOAL = 2.0  # decode + normalise at most twice a bare orjson.loads


def best_of(fn: Callable[[], Any], rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def session() -> tuple[list[tuple[int, int, Any]], dict[str, bytes]]:
    ws = load("binance_ws.txt")
    rest = load("binance_depth_rest.txt")
    bodies = {u.split("symbol=")[1].split("&")[0]: b.encode() for u, _, b in rest.rest}
    timeline: list[tuple[int, int, Any]] = [(int(t * 1e9), 0, f) for t, f in ws.received]
    timeline += [(int(t * 1e9), 1, u.split("symbol=")[1].split("&")[0]) for u, t, _ in rest.rest]
    timeline.sort(key=lambda x: (x[0], x[1]))
    return timeline, bodies


def replay_codec(
    timeline: list[tuple[int, int, Any]], bodies: dict[str, bytes]
) -> tuple[float, float]:
    """(seconds in decode, seconds in on_rest) for one replay through a fresh codec."""
    codec = BinanceCodec()
    asked: dict[str, RestRequest] = {}
    decode = codec.decode
    clock = time.perf_counter
    t_frames = t_rest = 0.0
    for ns, kind, item in timeline:
        if kind == 0:
            t0 = clock()
            decode(item, ns)
            dt = clock() - t0
            t_frames += dt
            if "@depth" in item:
                DEPTH_TIMES.append(dt)
            for req in codec.rest_requests():
                asked[req.key] = req
        else:
            t0 = clock()
            codec.on_rest(asked.pop(f"depth:{item}"), 200, bodies[item], ns)
            t_rest += clock() - t0
    assert codec.stats.applied == 172 and codec.stats.resyncs == 0 and codec.errors == 0
    return t_frames, t_rest


DEPTH_TIMES: list[float] = []


def replay_orjson(
    timeline: list[tuple[int, int, Any]], bodies: dict[str, bytes]
) -> tuple[float, float]:
    loads = orjson.loads
    clock = time.perf_counter
    t_frames = t_rest = 0.0
    for _, kind, item in timeline:
        t0 = clock()
        loads(item if kind == 0 else bodies[item])
        if kind == 0:
            t_frames += clock() - t0
        else:
            t_rest += clock() - t0
    return t_frames, t_rest


def best_pair(fn: Callable[[], tuple[float, float]], rounds: int) -> tuple[float, float]:
    runs = [fn() for _ in range(rounds)]
    return min(r[0] for r in runs), min(r[1] for r in runs)


def part_a(rounds: int) -> None:
    timeline, bodies = session()
    frames = [item for _, kind, item in timeline if kind == 0]
    print(f"(a) recorded session: {len(frames)} frames + {len(bodies)} REST snapshots")
    cf, cr = best_pair(lambda: replay_codec(timeline, bodies), rounds)
    jf, jr = best_pair(lambda: replay_orjson(timeline, bodies), rounds)
    verdict = "meets" if cf / jf <= GOAL else "MISSES"
    print(
        f"    265 frames     codec {cf * 1e3:6.3f} ms   orjson.loads {jf * 1e3:6.3f} ms"
        f"   ratio {cf / jf:4.2f}x   (172 deltas applied to synced books, 0 gaps;"
        f" goal <= {GOAL:.0f}x: {verdict})"
    )
    print(
        f"    4 snapshots    codec {cr * 1e3:6.3f} ms   orjson.loads {jr * 1e3:6.3f} ms"
        f"   ratio {cr / jr:4.2f}x   (LevelBook of 1,000-1,600 levels each; once per sync)"
    )
    n_depth = sum("@depth" in f for f in frames)
    per_round = [sum(DEPTH_TIMES[i : i + n_depth]) for i in range(0, len(DEPTH_TIMES), n_depth)]
    depth_json = best_of(lambda: [orjson.loads(f) for f in frames if "@depth" in f], rounds)
    print(
        f"    depth@100ms  {min(per_round) / n_depth * 1e6:5.2f} us/frame codec,"
        f" {depth_json / n_depth * 1e6:5.2f} orjson   ratio {min(per_round) / depth_json:4.2f}x"
        "   (sync checks, LevelBook apply, top-30 OrderBook event)"
    )
    kinds: dict[str, list[str]] = {}
    for f in frames:
        kind = orjson.loads(f)["stream"].split("@", 1)[1]
        kinds.setdefault("kline" if kind.startswith("kline") else kind, []).append(f)
    for kind, fs in sorted(kinds.items()):
        if kind == "depth@100ms":
            continue
        codec = BinanceCodec()
        batch = fs * max(1, 4000 // len(fs))

        def run_codec(batch: list[str] = batch, codec: BinanceCodec = codec) -> None:
            decode = codec.decode
            for f in batch:
                decode(f, 1)

        def run_json(batch: list[str] = batch) -> None:
            loads = orjson.loads
            for f in batch:
                loads(f)

        tc, tj = best_of(run_codec, rounds), best_of(run_json, rounds)
        print(
            f"    {kind:<12} {tc / len(batch) * 1e6:5.2f} us/frame codec,"
            f" {tj / len(batch) * 1e6:5.2f} orjson   ratio {tc / tj:4.2f}x"
        )


def synthetic(levels: int, n: int, seed: int = 7) -> tuple[bytes, list[str]]:
    rng = random.Random(seed)
    tick = 0.0001
    mid = 10_000
    bids = {mid - i: rng.randint(1, 50_000) for i in range(1, levels + 1)}
    asks = {mid + i: rng.randint(1, 50_000) for i in range(1, levels + 1)}

    def px(t: int) -> str:
        return f"{t * tick:.8f}"

    snap = orjson.dumps(
        {
            "lastUpdateId": 1000,
            "bids": [[px(t), f"{q}.00000000"] for t, q in sorted(bids.items(), reverse=True)],
            "asks": [[px(t), f"{q}.00000000"] for t, q in sorted(asks.items())],
        }
    )
    frames = []
    u = 1000
    for _ in range(n):
        b, a = [], []
        for _ in range(rng.randint(1, 8)):
            side, book, sign = (b, bids, -1) if rng.random() < 0.5 else (a, asks, 1)
            # Most changes near the top (mean 30 ticks away), a few beyond the book's edge.
            t = mid + sign * min(levels + 20, 1 + int(rng.expovariate(1 / 30)))
            if rng.random() < 0.25 and t in book:
                del book[t]
                side.append([px(t), "0.00000000"])
            else:
                book[t] = rng.randint(1, 50_000)
                side.append([px(t), f"{book[t]}.00000000"])
        k = rng.randint(1, 4)
        d = {"e": "depthUpdate", "E": 1, "s": "SYNUSDT", "U": u + 1, "u": u + k, "b": b, "a": a}
        u += k
        frames.append(orjson.dumps({"stream": "synusdt@depth@100ms", "data": d}).decode())
    return snap, frames


def part_b(rounds: int, n: int) -> None:
    snap, frames = synthetic(1000, n)
    best = 0.0
    events = 0
    for _ in range(rounds):
        codec = BinanceCodec(depth=30)
        codec.decode(frames[0], 1)
        (req,) = codec.rest_requests()
        codec.on_rest(req, 200, snap, 1)
        decode = codec.decode
        t0 = time.perf_counter()
        out = 0
        for f in frames[1:]:
            out += len(decode(f, 1))
        dt = time.perf_counter() - t0
        assert codec.stats.resyncs == 0 and codec.stats.applied == n, codec.stats
        best = max(best, (n - 1) / dt)
        events = out

    def parse_all(frames: list[str] = frames[1:]) -> None:
        loads = orjson.loads
        for f in frames:  # results not kept: keeping 50,000 dicts alive times the GC
            loads(f)

    t_json = best_of(parse_all, rounds)
    print(
        f"(b) synthetic 1,000-level book, {n - 1} chained deltas (1-8 levels, 25 % deletes,"
        " prices ~30 ticks from the top on average)"
    )
    print(
        f"    {best:,.0f} deltas/s applied and emitted (top 30), sync checks on"
        f"  ({events} OrderBook events)"
    )
    per_delta = 1 / best
    per_parse = t_json / (n - 1)
    print(
        f"    orjson.loads alone: {(n - 1) / t_json:,.0f} frames/s"
        f"   ratio codec/orjson {per_delta / per_parse:4.2f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--updates", type=int, default=50_000)
    args = parser.parse_args()
    part_a(args.rounds)
    part_b(args.rounds, args.updates)


if __name__ == "__main__":
    main()
