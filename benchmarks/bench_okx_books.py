"""OKX order-book throughput: how many `books` updates one core applies and verifies.

(a) Synthetic 400-level book, update sizes shaped like the recorded BTC-USDT stream (median
    ~37 changed levels, ~45 % deletes, far levels dropped when the book exceeds 400):
    - book apply + checksum + top-30 read, for our L2Book and for two baselines measured in
      the same run (a plain dict sorted on read; sortedcontainers.SortedDict if installed);
    - the full codec path: JSON text frame -> OkxCodec.decode -> OrderBook event.
(b) The recorded OKX session: full decode (incl. book apply + checksum) vs bare
    ``orjson.loads`` of the same frames, as a ratio.

Run from the repo root: ``python benchmarks/bench_okx_books.py [--updates N]``.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import orjson  # noqa: E402

from dantaro_tui.exchanges.books import L2Book  # noqa: E402
from dantaro_tui.exchanges.okx import OkxCodec, okx_checksum  # noqa: E402
from dantaro_tui.model import Level, OrderBook, Status  # noqa: E402

DEPTH = 400
TICK = 0.1
VIEW = 30  # levels a side the codec emits
RECORDED = REPO.parent / "shared" / "fixtures" / "recorded" / "okx_ws.txt"

RawLevel = list[str]
Update = tuple[list[RawLevel], list[RawLevel], int]  # bids, asks, checksum


# -- synthetic stream ------------------------------------------------------------------------


def _px(ticks: int) -> str:
    return f"{ticks * TICK:.1f}".rstrip("0").rstrip(".")


def _sz(rng: random.Random) -> str:
    return f"{rng.lognormvariate(-2.0, 1.5):.8f}".rstrip("0").rstrip(".") or "0.00000001"


def _ref_checksum(bids: dict[int, tuple[str, str]], asks: dict[int, tuple[str, str]]) -> int:
    b = [bids[k] for k in sorted(bids, reverse=True)[:25]]
    a = [asks[k] for k in sorted(asks)[:25]]
    parts: list[str] = []
    for i in range(max(len(b), len(a))):
        if i < len(b):
            parts += b[i]
        if i < len(a):
            parts += a[i]
    crc = zlib.crc32(":".join(parts).encode())
    return crc - 2**32 if crc >= 2**31 else crc


def synthetic_stream(
    n_updates: int, seed: int = 1
) -> tuple[list[RawLevel], list[RawLevel], int, list[Update]]:
    """A 400-level snapshot and ``n_updates`` deltas with correct OKX checksums (computed by
    an independent dict-and-sort reference, so the benchmark also checks correctness)."""
    rng = random.Random(seed)
    mid = 300_000  # ticks: 30,000.0
    bids = {mid - 1 - i * rng.randint(1, 3): ("", "") for i in range(DEPTH)}
    asks = {mid + i * rng.randint(1, 3): ("", "") for i in range(DEPTH)}
    for side in (bids, asks):
        for k in side:
            side[k] = (_px(k), _sz(rng))
    snap_bids = [[p, s, "0", "1"] for k, (p, s) in sorted(bids.items(), reverse=True)]
    snap_asks = [[p, s, "0", "1"] for k, (p, s) in sorted(asks.items())]
    snap_cs = _ref_checksum(bids, asks)

    updates: list[Update] = []
    for _ in range(n_updates):
        n = max(1, min(160, int(rng.lognormvariate(3.65, 0.6))))  # median ~38, mean ~46
        changes: dict[str, dict[int, str]] = {"b": {}, "a": {}}
        ranked = {"b": sorted(bids, reverse=True), "a": sorted(asks)}
        best_bid, best_ask = ranked["b"][0], ranked["a"][0]
        cut = (best_bid + best_ask + 1) // 2  # bids stay below, asks at or above
        for _ in range(n):
            key = "b" if rng.random() < 0.5 else "a"
            keys = ranked[key]
            r = rng.random()
            if r < 0.25:  # new size at an existing level
                changes[key][rng.choice(keys)] = _sz(rng)
            elif r < 0.6 and len(keys) > DEPTH - 10:  # delete, biased to the top
                changes[key][rng.choice(keys[: rng.choice((30, 100, 400))])] = "0"
            else:  # insert near the top, never crossing the other side
                off = int(rng.expovariate(1 / 30))
                bid_k = min(best_bid + 3 - off, cut - 1)
                k = bid_k if key == "b" else max(best_ask - 3 + off, cut)
                changes[key][k] = _sz(rng)
        for key, side in (("b", bids), ("a", asks)):
            for k, s in changes[key].items():
                if s == "0":
                    side.pop(k, None)
                else:
                    side[k] = (_px(k), s)
            extra = len(side) - DEPTH  # OKX keeps 400 levels: the farthest fall out
            if extra > 0:
                far = sorted(side, reverse=key == "a")[:extra]
                for k in far:
                    side.pop(k)
                    changes[key][k] = "0"
        ub = [[_px(k), s, "0", "0" if s == "0" else "1"] for k, s in changes["b"].items()]
        ua = [[_px(k), s, "0", "0" if s == "0" else "1"] for k, s in changes["a"].items()]
        updates.append((ub, ua, _ref_checksum(bids, asks)))
    return snap_bids, snap_asks, snap_cs, updates


# -- baselines (same operations as L2Book, other structures) ---------------------------------


class DictSortedBook:
    """A plain dict per side, sorted on every read."""

    def __init__(self) -> None:
        self.bids: dict[float, tuple[str, str, float]] = {}
        self.asks: dict[float, tuple[str, str, float]] = {}

    def snapshot(self, bids: list[RawLevel], asks: list[RawLevel]) -> None:
        self.bids = {float(p): (p, s, float(s)) for p, s, *_ in bids}
        self.asks = {float(p): (p, s, float(s)) for p, s, *_ in asks}

    def update(self, bids: list[RawLevel], asks: list[RawLevel]) -> None:
        for side, levels in ((self.bids, bids), (self.asks, asks)):
            parsed = [(float(lv[0]), lv[0], lv[1], float(lv[1])) for lv in levels]
            for price, p, s, size in parsed:
                if size == 0.0:
                    side.pop(price, None)
                else:
                    side[price] = (p, s, size)

    def read(self, n: int) -> tuple[list[tuple[str, str]], list[tuple[str, str]], tuple, tuple]:
        bk = sorted(self.bids, reverse=True)[:n]
        ak = sorted(self.asks)[:n]
        b, a = self.bids, self.asks
        raw_b = [b[k][:2] for k in bk[:25]]
        raw_a = [a[k][:2] for k in ak[:25]]
        return (
            raw_b,
            raw_a,
            tuple(Level(k, b[k][2]) for k in bk),
            tuple(Level(k, a[k][2]) for k in ak),
        )


class SortedDictBook:
    """sortedcontainers.SortedDict per side (bids keyed by negated price)."""

    def __init__(self) -> None:
        from sortedcontainers import SortedDict

        self._cls = SortedDict
        self.bids = SortedDict()
        self.asks = SortedDict()

    def snapshot(self, bids: list[RawLevel], asks: list[RawLevel]) -> None:
        self.bids = self._cls({-float(p): (p, s, float(s)) for p, s, *_ in bids})
        self.asks = self._cls({float(p): (p, s, float(s)) for p, s, *_ in asks})

    def update(self, bids: list[RawLevel], asks: list[RawLevel]) -> None:
        for side, levels, sign in ((self.bids, bids, -1.0), (self.asks, asks, 1.0)):
            parsed = [(sign * float(lv[0]), lv[0], lv[1], float(lv[1])) for lv in levels]
            for key, p, s, size in parsed:
                if size == 0.0:
                    side.pop(key, None)
                else:
                    side[key] = (p, s, size)

    def read(self, n: int) -> tuple[list[tuple[str, str]], list[tuple[str, str]], tuple, tuple]:
        bk = self.bids.keys()[:n]
        ak = self.asks.keys()[:n]
        b, a = self.bids, self.asks
        raw_b = [b[k][:2] for k in bk[:25]]
        raw_a = [a[k][:2] for k in ak[:25]]
        return (
            raw_b,
            raw_a,
            tuple(Level(-k, b[k][2]) for k in bk),
            tuple(Level(k, a[k][2]) for k in ak),
        )


# -- timing ------------------------------------------------------------------------------------


def best_of(fn: Callable[[], Any], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def run_l2book(snap: tuple, updates: list[Update]) -> None:
    book = L2Book()
    book.snapshot(snap[0], snap[1])
    for ub, ua, cs in updates:
        book.update(ub, ua)
        if okx_checksum(book.bids.top_raw(25), book.asks.top_raw(25)) != cs:
            raise AssertionError("checksum mismatch (L2Book)")
        book.top(VIEW)


def run_baseline(cls: type, snap: tuple, updates: list[Update]) -> None:
    book = cls()
    book.snapshot(snap[0], snap[1])
    for ub, ua, cs in updates:
        book.update(ub, ua)
        raw_b, raw_a, _, _ = book.read(VIEW)
        if okx_checksum(raw_b, raw_a) != cs:
            raise AssertionError(f"checksum mismatch ({cls.__name__})")


def synthetic_frames(snap: tuple, updates: list[Update]) -> list[str]:
    arg = {"channel": "books", "instId": "BTC-USDT"}
    out = []
    d = {"asks": snap[1], "bids": snap[0], "ts": "1700000000000", "checksum": snap[2]}
    d |= {"prevSeqId": -1, "seqId": 1}
    out.append(orjson.dumps({"arg": arg, "action": "snapshot", "data": [d]}).decode())
    for i, (ub, ua, cs) in enumerate(updates, start=1):
        d = {"asks": ua, "bids": ub, "ts": str(1700000000000 + i * 100), "checksum": cs}
        d |= {"prevSeqId": i, "seqId": i + 1}
        out.append(orjson.dumps({"arg": arg, "action": "update", "data": [d]}).decode())
    return out


def run_codec(frames: list[str]) -> int:
    codec = OkxCodec()
    books = 0
    for f in frames:
        for ev in codec.decode(f, 0):
            if ev.__class__ is OrderBook:
                books += 1
            elif ev.__class__ is Status:
                raise AssertionError(f"unexpected status: {ev}")
    return books


def loads_all(frames: list[str]) -> None:
    loads = orjson.loads
    for f in frames:
        loads(f)


def recorded_frames() -> list[str]:
    from tests.recorded import load

    return [f for _, f in load("okx_ws.txt").received if isinstance(f, str)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--updates", type=int, default=20_000, help="synthetic updates (default 20000)")
    ap.add_argument("--repeat", type=int, default=5, help="timing runs, best kept (default 5)")
    args = ap.parse_args()

    print(f"python {sys.version.split()[0]}, one thread")
    t0 = time.perf_counter()
    sb, sa, scs, updates = synthetic_stream(args.updates)
    snap = (sb, sa, scs)
    levels = sorted(len(ub) + len(ua) for ub, ua, _ in updates)
    print(
        f"\n(a) synthetic: {len(updates):,} updates on a {DEPTH}-level book "
        f"(changed levels per update: median {levels[len(levels) // 2]}, "
        f"mean {sum(levels) / len(levels):.1f}, max {levels[-1]}); "
        f"generated and reference-checked in {time.perf_counter() - t0:.1f} s"
    )
    n = len(updates)
    results: list[tuple[str, float]] = []
    t = best_of(lambda: run_l2book(snap, updates), args.repeat)
    results.append(("L2Book (dict + bisect-kept key list)", n / t))
    t = best_of(lambda: run_baseline(DictSortedBook, snap, updates), args.repeat)
    results.append(("baseline: plain dict sorted on read", n / t))
    try:
        import sortedcontainers  # noqa: F401

        t = best_of(lambda: run_baseline(SortedDictBook, snap, updates), args.repeat)
        results.append(("baseline: sortedcontainers.SortedDict", n / t))
    except ImportError:
        print("    (sortedcontainers not installed: that baseline is skipped)")
    ours = results[0][1]
    print("    apply + checksum verify + top-30 read, updates/s:")
    for name, rate in results:
        print(f"      {name:<40} {rate:>10,.0f}/s  ({rate / ours:.2f}x of L2Book)")

    frames = synthetic_frames(snap, updates)
    assert run_codec(frames) == len(frames)
    t = best_of(lambda: run_codec(frames), args.repeat)
    parse = best_of(lambda: loads_all(frames), args.repeat)
    goal = 20_000
    rate = len(frames) / t
    print(
        f"    full OkxCodec.decode (JSON text -> verified book -> OrderBook event): "
        f"{rate:,.0f} updates/s ({t / len(frames) * 1e6:.1f} us each; goal >= {goal:,}/s: "
        f"{'met' if rate >= goal else 'NOT met'})"
    )
    print(f"      of which orjson.loads alone: {parse / len(frames) * 1e6:.1f} us each")

    if not RECORDED.exists():
        print(f"\n(b) skipped: {RECORDED.name} not found beside the checkout")
        return
    rec = recorded_frames()
    rounds = max(1, 20_000 // len(rec))
    events = sum(len(OkxCodec().decode(f, 0)) for f in rec)

    def decode_rounds() -> None:
        for _ in range(rounds):
            codec = OkxCodec()
            for f in rec:
                codec.decode(f, 0)

    def loads_rounds() -> None:
        for _ in range(rounds):
            loads_all(rec)

    td = best_of(decode_rounds, args.repeat)
    tl = best_of(loads_rounds, args.repeat)
    total = rounds * len(rec)
    n_books = sum(1 for f in rec if '"channel":"books"' in f and '"data"' in f)
    print(
        f"\n(b) recorded okx_ws.txt: {len(rec)} frames ({n_books} books, {events} events), "
        f"x{rounds} rounds"
    )
    print(f"    full decode  : {total / td:>10,.0f} frames/s ({td / total * 1e6:.1f} us/frame)")
    print(f"    orjson.loads : {total / tl:>10,.0f} frames/s ({tl / total * 1e6:.1f} us/frame)")
    print(f"    ratio full decode / bare orjson.loads: {td / tl:.1f}x")


if __name__ == "__main__":
    main()
