"""Mutated real frames: the codecs never raise, never deliver an impossible value, and never
let a control character through.

The recorded Upbit and OKX sessions are replayed through fresh codecs with thousands of
seeded, deterministic mutations: numbers replaced by NaN/Infinity/1e400/0/negatives, bid and
ask prices swapped, levels reordered or repeated, keys deleted, frames truncated, control
characters injected into strings, values of the wrong type. OKX streams are replayed both as
recorded (with checksums) and in today's shape (checksum 0, a seqId/prevSeqId chain), where
the chain and the value checks are the only guards. The properties are checked by code
written here, independently of ``exchanges/sanity.py``.
"""

from __future__ import annotations

import itertools
import math
import random
import re
import zlib
from collections.abc import Callable, Iterator
from typing import Any

import msgspec
import orjson
import pytest

from dantaro_tui.exchanges.okx import OkxCodec
from dantaro_tui.exchanges.upbit import UpbitCodec
from dantaro_tui.model import Candle, Event, OrderBook, Status, Ticker, Trade
from tests.recorded import load

SEED = 20260623
UPBIT_MUTATIONS = 4000
OKX_STREAMS = 60  # per shape; each mutates about one frame in twelve of the 410
OKX_RATE = 1 / 12

CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
INJECTED = [
    "\x1b]2;pwned\x07",
    "\x1b[2J",
    "\x9b2J",
    "\x00",
    "\n",
    "\x7f",
    "\x85",
    "\x1b]52;c;eA==\x07",
]
WRONG_TYPES: list[Any] = [None, True, "x", 1, 1.5, [], {}, {"a": 1}, [1, 2], ""]
UPBIT_NUMBERS: list[Any] = [0, 0.0, -1, -0.0, -5.5, 1e308, -1e308, 5e-324, 1e-300, "NaN", "1e400"]
OKX_NUMBERS: list[Any] = [
    "NaN",
    "nan",
    "Infinity",
    "-Infinity",
    "inf",
    "1e400",
    "-1e400",
    "-1",
    "0",
    "-0",
    "0.0",
    "1e-400",
    "-0.0001",
    "1e308",
    "",
    " 1",
    0,
    -1,
    1e308,
]
RAW_TOKENS = ["NaN", "Infinity", "-Infinity", "1e400", "-1e400", "nan", "0x10", "1_000"]
_NUMBER = re.compile(rb"(?<=[:\[,])-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")


# --------------------------------------------------------------------------- mutations

Path = tuple[Any, ...]


def walk(obj: Any, path: Path = ()) -> Iterator[tuple[Path, Any]]:
    yield path, obj
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from walk(v, (*path, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from walk(v, (*path, i))


def put(obj: Any, path: Path, value: Any) -> Any:
    if not path:
        return value
    parent = obj
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = value
    return obj


def is_number(v: Any, okx: bool) -> bool:
    if isinstance(v, bool):
        return False
    if isinstance(v, int | float):
        return True
    if okx and isinstance(v, str):
        try:
            float(v)
        except ValueError:
            return False
        return True
    return False


def level_lists(obj: Any) -> list[Path]:
    """Paths of lists of book levels: Upbit ``obu``/``orderbook_units``, OKX bids/asks."""
    return [
        p
        for p, v in walk(obj)
        if p and p[-1] in ("obu", "orderbook_units", "bids", "asks") and isinstance(v, list)
    ]


class Mutator:
    def __init__(self, rng: random.Random, okx: bool) -> None:
        self.rng = rng
        self.okx = okx
        self.numbers = OKX_NUMBERS if okx else UPBIT_NUMBERS
        self.ops: list[Callable[[Any], Any]] = [
            self.weird_number,
            self.weird_number,
            self.weird_number,
            self.swap_bid_ask,
            self.swap_bid_ask,
            self.reorder_levels,
            self.repeat_level,
            self.scale_price,
            self.scale_price,
            self.delete_key,
            self.inject_control,
            self.inject_control,
            self.wrong_type,
        ]

    def __call__(self, frame: str | bytes) -> str | bytes:
        rng = self.rng
        roll = rng.random()
        if roll < 0.06:  # truncated frame
            return frame[: rng.randrange(len(frame))]
        if roll < 0.10:  # a token JSON does not have, written in place of a number
            raw = frame.encode() if isinstance(frame, str) else frame
            spots = list(_NUMBER.finditer(raw))
            if spots:
                m = rng.choice(spots)
                token = rng.choice(RAW_TOKENS).encode()
                raw = raw[: m.start()] + token + raw[m.end() :]
            return raw.decode("utf-8", "replace") if isinstance(frame, str) else raw
        obj = orjson.loads(frame)
        for _ in range(rng.choice((1, 1, 1, 2, 3))):
            obj = rng.choice(self.ops)(obj)
        out = orjson.dumps(obj)
        return out.decode() if isinstance(frame, str) else out

    def weird_number(self, obj: Any) -> Any:
        spots = [p for p, v in walk(obj) if is_number(v, self.okx)]
        if not spots:
            return self.wrong_type(obj)
        return put(obj, self.rng.choice(spots), self.rng.choice(self.numbers))

    def swap_bid_ask(self, obj: Any) -> Any:
        rng = self.rng
        units = [p for p, v in walk(obj) if isinstance(v, dict) and "ap" in v and "bp" in v]
        units += [
            p for p, v in walk(obj) if isinstance(v, dict) and "ask_price" in v and "bid_price" in v
        ]
        if units:
            u = dict(walk(obj))[rng.choice(units)]
            a, b = ("ap", "bp") if "ap" in u else ("ask_price", "bid_price")
            u[a], u[b] = u[b], u[a]
            return obj
        sides = {p[-1]: p for p in level_lists(obj)}
        if "bids" in sides and "asks" in sides:
            nodes = dict(walk(obj))
            bids, asks = nodes[sides["bids"]], nodes[sides["asks"]]
            if bids and asks and rng.random() < 0.7:
                i, j = rng.randrange(len(bids)), rng.randrange(len(asks))
                if isinstance(bids[i], list) and isinstance(asks[j], list) and bids[i] and asks[j]:
                    bids[i][0], asks[j][0] = asks[j][0], bids[i][0]
                    return obj
            put(obj, sides["bids"], asks)
            put(obj, sides["asks"], bids)
            return obj
        return self.weird_number(obj)

    def reorder_levels(self, obj: Any) -> Any:
        lists = level_lists(obj)
        if not lists:
            return self.delete_key(obj)
        levels = dict(walk(obj))[self.rng.choice(lists)]
        if self.rng.random() < 0.5:
            levels.reverse()
        else:
            self.rng.shuffle(levels)
        return obj

    def repeat_level(self, obj: Any) -> Any:
        lists = [p for p in level_lists(obj) if dict(walk(obj))[p]]
        if not lists:
            return self.weird_number(obj)
        levels = dict(walk(obj))[self.rng.choice(lists)]
        i = self.rng.randrange(len(levels))
        levels.insert(i, orjson.loads(orjson.dumps(levels[i])))
        return obj

    def scale_price(self, obj: Any) -> Any:
        """Move one price by a factor: books cross, candles turn inside out."""
        spots = [
            p
            for p, v in walk(obj)
            if is_number(v, self.okx)
            and (
                (p and p[-1] in ("ap", "bp", "tp", "op", "hp", "lp", "ask_price", "bid_price"))
                or (self.okx and len(p) >= 2 and p[-1] == 0 and p[-2] != "data")
                or (self.okx and p and p[-1] in ("px", "last", "bidPx", "askPx", 1, 2, 3, 4))
            )
        ]
        if not spots:
            return self.weird_number(obj)
        path = self.rng.choice(spots)
        value = float(dict(walk(obj))[path]) * self.rng.choice((0.5, 0.9, 0.999, 1.001, 1.1, 2))
        return put(obj, path, repr(value) if self.okx else value)

    def delete_key(self, obj: Any) -> Any:
        dicts = [p for p, v in walk(obj) if isinstance(v, dict) and v]
        if not dicts:
            return self.wrong_type(obj)
        d = dict(walk(obj))[self.rng.choice(dicts)]
        del d[self.rng.choice(list(d))]
        return obj

    def inject_control(self, obj: Any) -> Any:
        rng = self.rng
        strings = [p for p, v in walk(obj) if isinstance(v, str)]
        if not strings or rng.random() < 0.15:  # a key, not a value
            dicts = [p for p, v in walk(obj) if isinstance(v, dict) and v]
            if not dicts:
                return obj
            d = dict(walk(obj))[rng.choice(dicts)]
            key = rng.choice(list(d))
            d[key + rng.choice(INJECTED)] = d.pop(key)
            return obj
        path = rng.choice(strings)
        text = dict(walk(obj))[path]
        at = rng.randrange(len(text) + 1)
        return put(obj, path, text[:at] + rng.choice(INJECTED) + text[at:])

    def wrong_type(self, obj: Any) -> Any:
        spots = [p for p, _ in walk(obj) if p]
        if not spots:
            return obj
        return put(
            obj, self.rng.choice(spots), orjson.loads(orjson.dumps(self.rng.choice(WRONG_TYPES)))
        )


# --------------------------------------------------------------------------- the properties


def finite(x: float) -> bool:
    return isinstance(x, float) and math.isfinite(x)


def problems(ev: Event) -> list[str]:
    """What is wrong with a delivered event (empty when nothing)."""
    out = [f"control character in {s!r}" for s in strings(ev) if CONTROL.search(s)]
    if isinstance(ev, Status):
        return out
    if not ev.symbol:
        out.append("no symbol")
    if isinstance(ev, Trade):
        if not (finite(ev.price) and ev.price > 0):
            out.append(f"trade price {ev.price}")
        if not (finite(ev.volume) and ev.volume > 0):
            out.append(f"trade volume {ev.volume}")
    elif isinstance(ev, Ticker):
        unpriced = ev.exchange == "okx" and ev.trade_price == 0.0  # OKX "last": "" = no trade
        if unpriced and (ev.change_rate, ev.change_price) != (0.0, 0.0):
            out.append(f"a change {ev.change_rate} {ev.change_price} without a last price")
        elif not unpriced and not (finite(ev.trade_price) and ev.trade_price > 0):
            out.append(f"ticker price {ev.trade_price}")
        if 0 < ev.best_ask <= ev.best_bid:
            out.append(f"ticker crossed {ev.best_bid} >= {ev.best_ask}")
        for name in (
            "opening_price",
            "high_price",
            "low_price",
            "prev_closing_price",
            "acc_trade_volume_24h",
            "acc_trade_price_24h",
            "trade_volume",
            "best_bid",
            "best_ask",
        ):
            v = getattr(ev, name)
            if not (finite(v) and v >= 0):
                out.append(f"ticker {name} {v}")
        for name in ("change_rate", "change_price"):
            if not finite(getattr(ev, name)):
                out.append(f"ticker {name} {getattr(ev, name)}")
    elif isinstance(ev, Candle):
        ohlc = (ev.open, ev.high, ev.low, ev.close)
        if not all(finite(v) and v > 0 for v in ohlc):
            out.append(f"candle prices {ohlc}")
        elif not (ev.low <= min(ev.open, ev.close) and max(ev.open, ev.close) <= ev.high):
            out.append(f"candle inside out {ohlc}")
        if not all(finite(v) and v >= 0 for v in (ev.volume, ev.quote_volume)):
            out.append(f"candle volume {ev.volume} {ev.quote_volume}")
    elif isinstance(ev, OrderBook):
        for side in (ev.bids, ev.asks):
            for lv in side:
                if not (finite(lv.price) and lv.price > 0 and finite(lv.size) and lv.size >= 0):
                    out.append(f"book level {lv}")
        bp = [lv.price for lv in ev.bids]
        ap = [lv.price for lv in ev.asks]
        if any(a <= b for a, b in itertools.pairwise(bp)):
            out.append(f"bids not strictly falling {bp}")
        if any(b <= a for a, b in itertools.pairwise(ap)):
            out.append(f"asks not strictly rising {ap}")
        if bp and ap and bp[0] >= ap[0]:
            out.append(f"crossed {bp[0]} >= {ap[0]}")
        for total in (ev.total_bid_size, ev.total_ask_size):
            if not (finite(total) and total >= 0):
                out.append(f"book total {total}")
    return out


def strings(obj: Any) -> list[str]:
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, msgspec.Struct):
        return strings(msgspec.structs.astuple(obj))
    if isinstance(obj, list | tuple):
        return [s for item in obj for s in strings(item)]
    return []


class Tally:
    def __init__(self) -> None:
        self.frames = 0
        self.market = 0
        self.invalid = 0
        self.resync = 0
        self.failures: list[str] = []

    def decode(self, codec: Any, frame: str | bytes, recv_ns: int) -> None:
        self.frames += 1
        try:
            events = codec.decode(frame, recv_ns)
        except Exception as exc:  # the property under test
            self.failures.append(f"decode raised {exc!r} on {frame[:300]!r}")
            return
        if not isinstance(events, list):
            self.failures.append(f"decode returned {type(events).__name__}")
            return
        for ev in events:
            if isinstance(ev, Status):
                self.invalid += ev.code == "invalid"
                self.resync += ev.kind == "resync"
            else:
                self.market += 1
            for p in problems(ev):
                self.failures.append(f"{p}: {ev!r} from {frame[:300]!r}")

    def check(self) -> None:
        assert not self.failures, f"{len(self.failures)} failures, first: {self.failures[:5]}"


# --------------------------------------------------------------------------- the runs


def test_upbit_mutations() -> None:
    frames = [f for _, f in load("upbit_ws.txt").received]
    rng = random.Random(SEED)
    mutate = Mutator(rng, okx=False)
    tally = Tally()
    codec = UpbitCodec()
    for i in range(UPBIT_MUTATIONS):
        if i % 50 == 0:
            codec = UpbitCodec(rng.choice(("SIMPLE", "DEFAULT")))  # a fresh codec per stream
        frame = rng.choice(frames)
        if rng.random() < 0.1:  # the text form takes the same paths
            frame = frame.decode() if isinstance(frame, bytes) else frame
        tally.decode(codec, mutate(frame), i)
    tally.check()
    # The mutations reached the checks, and most frames still delivered data.
    assert tally.invalid > UPBIT_MUTATIONS // 20
    assert tally.market > UPBIT_MUTATIONS // 3


def modern_okx(frames: list[str]) -> list[str]:
    """The recording in today's shape: checksum 0 and a seqId/prevSeqId chain per book."""
    seq: dict[str, int] = {}
    out = []
    for f in frames:
        msg = orjson.loads(f)
        if msg.get("arg", {}).get("channel") == "books" and "data" in msg:
            inst = msg["arg"]["instId"]
            d = msg["data"][0]
            prev = -1 if msg["action"] == "snapshot" else seq[inst]
            seq[inst] = (prev if prev > 0 else 10_000) + 1 + len(d["bids"]) % 3
            d |= {"checksum": 0, "prevSeqId": prev, "seqId": seq[inst]}
            f = orjson.dumps(msg).decode()
        out.append(f)
    return out


class ReferenceBooks:
    """The true books of the unmutated stream, to answer a resync with a fresh snapshot as
    OKX would (so a stream keeps exercising live books after each resync)."""

    def __init__(self, modern: bool) -> None:
        self.modern = modern
        self.books: dict[
            str, tuple[dict[float, tuple[str, str]], dict[float, tuple[str, str]]]
        ] = {}
        self.seq: dict[str, int] = {}
        self.ts: dict[str, str] = {}

    def apply(self, msg: dict[str, Any]) -> None:
        if msg.get("arg", {}).get("channel") != "books" or "data" not in msg:
            return
        inst = msg["arg"]["instId"]
        d = msg["data"][0]
        if msg["action"] == "snapshot":
            self.books[inst] = ({}, {})
        for side, levels in zip(self.books[inst], (d["bids"], d["asks"]), strict=True):
            for px, sz, *_ in levels:
                if float(sz) == 0:
                    side.pop(float(px), None)
                else:
                    side[float(px)] = (px, sz)
        self.seq[inst] = d.get("seqId", 0)
        self.ts[inst] = d["ts"]

    def snapshot(self, inst: str) -> str:
        bids, asks = self.books[inst]
        b = [bids[p] for p in sorted(bids, reverse=True)]
        a = [asks[p] for p in sorted(asks)]
        parts: list[str] = []
        for i in range(max(len(b[:25]), len(a[:25]))):
            parts += b[i] if i < len(b[:25]) else ()
            parts += a[i] if i < len(a[:25]) else ()
        crc = zlib.crc32(":".join(parts).encode())
        data = {
            "bids": [[p, s, "0", "1"] for p, s in b],
            "asks": [[p, s, "0", "1"] for p, s in a],
            "ts": self.ts[inst],
            "checksum": 0 if self.modern else (crc - 2**32 if crc >= 2**31 else crc),
        }
        if self.modern:
            data |= {"prevSeqId": -1, "seqId": self.seq[inst]}
        msg = {"arg": {"channel": "books", "instId": inst}, "action": "snapshot", "data": [data]}
        return orjson.dumps(msg).decode()


@pytest.mark.parametrize("shape", ["recorded", "modern"])
def test_okx_mutations(shape: str) -> None:
    recorded = [f for _, f in load("okx_ws.txt").received]
    frames = [f if isinstance(f, str) else f.decode() for f in recorded]
    frames = modern_okx(frames) if shape == "modern" else frames
    parsed = [orjson.loads(f) for f in frames]
    rng = random.Random(f"{SEED}-{shape}")
    mutate = Mutator(rng, okx=True)
    tally = Tally()
    mutated = resyncs = 0
    for _ in range(OKX_STREAMS):
        codec = OkxCodec(depth=rng.choice((5, 30, 400)))  # a fresh codec per stream
        ref = ReferenceBooks(modern=shape == "modern")
        for i, (frame, msg) in enumerate(zip(frames, parsed, strict=True)):
            ref.apply(msg)
            if rng.random() < OKX_RATE:
                frame = mutate(frame)
                mutated += 1
            tally.decode(codec, frame, i)
            # What the connection does after every decode; OKX answers with a snapshot.
            for sent in codec.frames_to_send():
                req = orjson.loads(sent)
                for arg in req["args"]:
                    if req["op"] == "subscribe" and arg["instId"] in ref.books:
                        resyncs += 1
                        tally.decode(codec, ref.snapshot(arg["instId"]), i)
    tally.check()
    assert mutated > 1500 and resyncs > 100
    assert tally.invalid > 50 and tally.resync > 100
    # Books recover after each resync: most of the 290 book messages a stream still show.
    assert tally.market > OKX_STREAMS * 300
