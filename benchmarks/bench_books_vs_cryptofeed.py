"""Book deltas applied per second with the sync checks on: our Binance and Gate.io codecs
against cryptofeed's own feed handlers, on the same recorded messages, in the same run.

For each venue, every round starts fresh on both sides: the books are loaded from the
recorded REST snapshots (``binance_depth_rest.txt``, ``gateio_depth_rest.txt``; untimed),
then every recorded diff-depth frame of the session is handed over in receive order
(timed). The ones the snapshot already holds are dropped by both; the rest are applied.

* Ours: ``BinanceCodec.decode`` / ``GateioCodec.decode`` on the frame text: JSON, the U/u
  chain, the level checks (no NaN, negative or crossed book), the ``LevelBook`` update and
  an ``OrderBook`` event with the top 30 levels a side for every applied delta.
* cryptofeed: its ``Binance`` / ``Gateio`` feed's ``message_handler`` (JSON with Decimal
  numbers, its U/u check, its C sorted-dict book, its ``book_callback`` into a callback
  that only counts). The snapshot is injected where cryptofeed fetches it: its
  ``http_conn.read`` returns the recorded body and ``_snapshot(pair)`` runs as on the
  first delta. Its symbol table is filled from the recorded ``exchangeInfo`` and
  ``currency_pairs`` replies, so nothing goes to the network. Its crossed-book check
  (``cross_check``) is off by default: that is the figure the goal is measured against
  (cryptofeed's best); the run also shows it with the check on, as ours always has it.

Rounds alternate between the two, so load on a shared machine falls on both alike; the
rate is the best round's. Goal: ours at least 2.5x cryptofeed's.

Run from the repo root: ``python benchmarks/bench_books_vs_cryptofeed.py [--rounds N]``.
Needs cryptofeed: ``pip install -e ".[bench]"``.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from importlib.metadata import version
from typing import Any

import _common  # noqa: F401 - first: puts the repo root on sys.path
import orjson

try:
    from cryptofeed.defines import L2_BOOK
    from cryptofeed.exchanges import Binance, Gateio
    from cryptofeed.symbols import Symbols
except ImportError:  # an extra, not a dependency of the app
    raise SystemExit(
        "bench_books_vs_cryptofeed.py compares with cryptofeed: "
        'pip install -e ".[bench]" (or pip install "cryptofeed>=2.4,<2.5")'
    ) from None

from dantaro_tui.exchanges.base import ExchangeCodec
from dantaro_tui.exchanges.binance import BinanceCodec
from dantaro_tui.exchanges.gateio import GateioCodec
from dantaro_tui.model import OrderBook, Status
from tests.recorded import load

GOAL = 2.5


@dataclass
class Venue:
    name: str
    frames: list[str]  # the diff-depth frames, in receive order
    snapshots: dict[str, bytes]  # exchange symbol -> REST snapshot body
    feed_class: Any
    make_codec: Callable[[], ExchangeCodec]
    symbol_reply: bytes  # the exchange's symbol list, for cryptofeed's table
    # Gate.io's recorded subscription acks: our codec asks for the snapshots on them. None:
    # Binance, whose sync starts at the first delta of each symbol.
    acks: list[str] | None


def binance() -> Venue:
    frames = [f for _, f in load("binance_ws.txt").received if isinstance(f, str)]
    snaps = {
        url.split("symbol=")[1].split("&")[0]: body.encode()
        for url, _, body in load("binance_depth_rest.txt").rest
    }
    return Venue(
        "Binance",
        [f for f in frames if "@depth" in f[:64]],
        snaps,
        Binance,
        BinanceCodec,
        load("binance_rest.txt").rest[0][2].encode(),
        None,
    )


def gateio() -> Venue:
    frames = [f for _, f in load("gateio_ws.txt").received if isinstance(f, str)]
    snaps = {
        url.split("currency_pair=")[1].split("&")[0]: body.encode()
        for url, _, body in load("gateio_depth_rest.txt").rest
    }
    return Venue(
        "Gate.io",
        [f for f in frames if '"spot.order_book_update"' in f and '"event":"update"' in f],
        snaps,
        Gateio,
        lambda: GateioCodec(clock=lambda: 1619093532.0),
        load("gateio_rest.txt").rest[0][2].encode(),
        [f for f in frames if '"spot.order_book_update"' in f and '"event":"subscribe"' in f],
    )


# -- ours ------------------------------------------------------------------------------------


def ours_round(v: Venue) -> tuple[float, int]:
    """(seconds, deltas applied) for the session through a fresh codec."""
    codec = v.make_codec()
    if v.acks is not None:  # subscribed and confirmed: the snapshots are asked for
        codec.subscribe_frames({"orderbook": frozenset(v.snapshots)}, {})
        for f in v.acks:
            codec.decode(f, 0)
    else:  # a first delta per symbol starts the sync (buffered, the snapshot asked for)
        firsts: dict[str, str] = {}
        for f in v.frames:
            firsts.setdefault(_symbol_of(f), f)
        for f in firsts.values():
            codec.decode(f, 0)
    for req in codec.rest_requests():
        for e in codec.on_rest(req, 200, v.snapshots[req.key.partition(":")[2]], 0):
            if isinstance(e, Status):
                raise SystemExit(f"{v.name}: the snapshot did not sync: {e.message}")
    decode = codec.decode
    frames = v.frames
    t0 = time.perf_counter()
    outs = [decode(f, 0) for f in frames]
    dt = time.perf_counter() - t0
    applied = 0
    for out in outs:
        for e in out:
            if e.__class__ is OrderBook:
                applied += 1
            else:
                raise SystemExit(f"{v.name}: the codec resynced or refused a frame: {e}")
    return dt, applied


def _symbol_of(frame: str) -> str:
    msg = orjson.loads(frame)
    data = msg.get("data") or msg.get("result")
    return str(data["s"])


# -- cryptofeed ------------------------------------------------------------------------------


def cryptofeed_round(
    v: Venue, loop: asyncio.AbstractEventLoop, cross_check: bool = False
) -> tuple[float, int]:
    """(seconds, deltas applied) for the session through a fresh cryptofeed feed."""
    counted = [0]

    async def on_book(book: Any, receipt_timestamp: float) -> None:
        counted[0] += 1

    std = _std_symbols(v)
    feed = v.feed_class(
        symbols=list(std.values()), channels=[L2_BOOK], callbacks={}, cross_check=cross_check
    )
    feed.callbacks[L2_BOOK] = [on_book]

    async def read(address: str, *args: Any, **kwargs: Any) -> bytes:
        for sym, body in v.snapshots.items():  # the recorded reply instead of the network
            if f"={sym}&" in address:
                return body
        raise KeyError(f"no recorded snapshot for {address}")

    feed.http_conn.read = read
    feed._reset()  # what its ``subscribe`` does first (Gate.io keeps its books there)

    async def run() -> float:
        for sym in std:
            await feed._snapshot(sym)  # what its first delta would do
        counted[0] = 0
        handler: Callable[[str, Any, float], Awaitable[None]] = feed.message_handler
        t0 = time.perf_counter()
        for f in v.frames:
            await handler(f, None, 0.0)
        return time.perf_counter() - t0

    dt = loop.run_until_complete(run())
    return dt, counted[0]


_STD: dict[str, dict[str, str]] = {}


def _std_symbols(v: Venue) -> dict[str, str]:
    """Exchange symbol -> cryptofeed's symbol, for the symbols of the session."""
    if v.name not in _STD:
        cls = v.feed_class
        if not Symbols.populated(cls.id):
            Symbols.set(cls.id, *cls._parse_symbol_data(orjson.loads(v.symbol_reply)))
        normalized, _ = Symbols.get(cls.id)
        by_exchange = {ex: std for std, ex in normalized.items()}
        _STD[v.name] = {sym: by_exchange[sym] for sym in v.snapshots}
    return _STD[v.name]


# -- the comparison --------------------------------------------------------------------------


def compare(v: Venue, rounds: int, loop: asyncio.AbstractEventLoop) -> float:
    best = {"ours": float("inf"), "cf": float("inf"), "cf+cross": float("inf")}
    applied = dict.fromkeys(best, 0)
    runs: dict[str, Callable[[], tuple[float, int]]] = {
        "ours": lambda: ours_round(v),
        "cf": lambda: cryptofeed_round(v, loop),
        "cf+cross": lambda: cryptofeed_round(v, loop, cross_check=True),
    }
    for _ in range(rounds):
        for name, run in runs.items():
            dt, applied[name] = run()
            best[name] = min(best[name], dt)
    rate = {name: applied[name] / best[name] for name in best}
    print(
        f"\n{v.name}: {len(v.frames)} recorded diff-depth frames, {len(v.snapshots)} books "
        f"synced from the recorded snapshots, best of {rounds} rounds"
    )
    labels = {
        "ours": "dantaro-tui        ",
        "cf": "cryptofeed         ",
        "cf+cross": "cryptofeed + cross ",
    }
    notes = {
        "ours": "top-30 OrderBook event per delta, crossed check always",
        "cf": "as shipped: cross_check off; its callback only counts",
        "cf+cross": "cross_check=True, the check ours always makes",
    }
    for name in best:
        print(
            f"  {labels[name]} {applied[name]:4d} deltas applied  {rate[name]:>10,.0f} deltas/s"
            f"  ({best[name] / applied[name] * 1e6:5.2f} us each; {notes[name]})"
        )
    ratio = rate["ours"] / rate["cf"]
    verdict = "meets" if ratio >= GOAL else "MISSES"
    print(
        f"  ratio ours/cryptofeed {ratio:5.2f}x as shipped (goal >= {GOAL}x: {verdict}),"
        f" {rate['ours'] / rate['cf+cross']:5.2f}x with its crossed check on"
    )
    if len(set(applied.values())) != 1:
        print(f"  note: they applied different numbers of deltas: {applied}")
    return ratio


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    logging.getLogger("feedhandler").setLevel(logging.ERROR)  # its gap warnings: not here
    print(f"cryptofeed {version('cryptofeed')}, same recorded frames, one core")
    loop = asyncio.new_event_loop()
    try:
        ratios = [compare(v, args.rounds, loop) for v in (binance(), gateio())]
    finally:
        loop.close()
    return 0 if min(ratios) >= GOAL else 1


if __name__ == "__main__":
    raise SystemExit(main())
