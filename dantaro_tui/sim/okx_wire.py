"""OKX v5 wire details for the simulator: instruments, number strings, book checksum, bars.

Written from the protocol reference (``docs/exchanges.md`` section 2) and the recorded real
frames, never from the client codec (design rule 7), so a mistake in one is caught by the
other. Everything here is pure: no sockets, no asyncio.
"""

from __future__ import annotations

import math
import random
import zlib
from collections.abc import Iterable, Sequence

from dantaro_tui.sim.market import Candle, Listing

NAME = "okx"
QUOTE = "USDT"
HOUR_MS = 3_600_000
DAY_MS = 86_400_000
UTC8_MS = 8 * HOUR_MS  # OKX aligns non-"utc" bars of 6 hours and more to UTC+8 (Hong Kong)
CHECKSUM_LEVELS = 25
QUOTE_DECIMALS = 8  # volCcy / volCcyQuote figures in USDT

# Real OKX spot markets (BASE-USDT) whose base the simulated Upbit lists in KRW too.
BASES: tuple[str, ...] = (
    "BTC", "ETH", "XRP", "SOL", "DOGE", "ADA", "TRX", "LINK", "DOT", "BCH", "ETC", "LTC",
    "XLM", "AVAX", "SHIB", "NEAR", "APT", "SUI", "ARB", "UNI", "AAVE", "ATOM", "HBAR", "ALGO",
    "SAND", "MANA", "AXS", "EOS", "THETA", "GRT", "IMX", "STX", "FLOW", "PEPE", "BONK",
    "TRUMP", "ONDO", "ENS", "PENDLE", "INJ", "POL", "TON", "MASK", "EGLD", "BLUR", "JUP", "W",
    "ZRO", "BERA", "MOVE", "1INCH", "COMP", "PENGU", "CELO", "ZIL", "USDC",
)  # fmt: skip

# Trades/s at intensity 1 for the busiest pairs; the rest get a quiet, seeded rate.
HOT: dict[str, float] = {
    "BTC": 4.0, "ETH": 3.0, "SOL": 1.5, "XRP": 1.5, "DOGE": 1.2, "SUI": 0.6, "PEPE": 0.6,
    "TRUMP": 0.5, "ADA": 0.5, "USDC": 0.5, "TON": 0.4, "LTC": 0.4, "LINK": 0.4,
}  # fmt: skip

# OKX's own tick sizes where the decade rule below would be too coarse.
TICKS: dict[str, float] = {"BTC": 0.1, "ETH": 0.01, "SOL": 0.01, "BCH": 0.1, "LTC": 0.01}


# ---------------------------------------------------------------------------- numbers


def decimals(step: float) -> int:
    """Decimals needed to write multiples of ``step`` (0.1 -> 1, 1e-8 -> 8, 1 -> 0)."""
    return max(0, -math.floor(math.log10(step) + 1e-9))


def num(x: float, dec: int) -> str:
    """A number as OKX writes it: fixed point, no exponent, trailing zeros dropped
    (``30236``, ``30243.5``, ``0.0002``)."""
    s = f"{x:.{dec}f}"
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    if s in ("-0", ""):
        s = "0"
    return s


class Instrument:
    """One OKX spot instrument: its listing on the market process plus its wire format."""

    __slots__ = (
        "base", "inst_id", "list_time", "listing", "lot_dec", "lot_sz", "min_sz", "px_dec",
        "seq", "sod8", "tick", "tick_sz",
    )  # fmt: skip

    def __init__(self, base: str, usd_price: float, seed: int) -> None:
        self.base = base
        self.inst_id = f"{base}-{QUOTE}"
        mag = math.floor(math.log10(usd_price))
        tick = TICKS.get(base, 10.0 ** (mag - 4))
        self.tick = float(num(tick, 12))
        self.px_dec = decimals(self.tick)
        self.tick_sz = num(self.tick, self.px_dec)
        self.lot_dec = min(8, max(0, 6 + mag))
        self.lot_sz = num(10.0**-self.lot_dec, self.lot_dec)
        min_sz = max(10.0 ** (-mag), 10.0**-self.lot_dec)
        self.min_sz = num(min_sz, self.lot_dec)
        rng = random.Random(f"okx:{seed}:{base}")
        # Real for BTC-USDT; a seeded date between 2018 and 2025 for the others.
        listed = rng.randrange(1_515_000_000, 1_735_000_000) * 1000
        self.list_time = 1548133413000 if base == "BTC" else listed
        # seqId: one counter per instrument over books and trades, starting high, as on OKX.
        self.seq = rng.randrange(10**9, 3 * 10**10)
        self.listing: Listing | None = None
        self.sod8: tuple[int, float] | None = None

    def tick_fn(self, _price: float) -> float:
        return self.tick

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def px(self, x: float) -> str:
        return num(x, self.px_dec)

    def sz(self, x: float) -> str:
        return num(x, self.lot_dec)

    def levels(self, side: Iterable[Sequence[float]]) -> list[tuple[str, str]]:
        """Book levels (best first) as (price, size) wire strings."""
        px, sz = self.px_dec, self.lot_dec
        return [(num(p, px), num(s, sz)) for p, s in side]

    def instrument_row(self) -> dict[str, str]:
        """The ``public/instruments`` object (field set of the recorded 2022 response plus
        the fields OKX added later)."""
        return {
            "alias": "", "auctionEndTime": "", "baseCcy": self.base, "category": "1",
            "ctMult": "", "ctType": "", "ctVal": "", "ctValCcy": "", "expTime": "",
            "instFamily": "", "instId": self.inst_id, "instType": "SPOT", "lever": "10",
            "listTime": str(self.list_time), "lotSz": self.lot_sz,
            "maxIcebergSz": "9999999999", "maxLmtAmt": "20000000", "maxLmtSz": "9999999999",
            "maxMktAmt": "1000000", "maxMktSz": "1000000", "maxStopSz": "1000000",
            "maxTriggerSz": "9999999999", "maxTwapSz": "9999999999", "minSz": self.min_sz,
            "optType": "", "quoteCcy": QUOTE, "ruleType": "normal", "settleCcy": "",
            "state": "live", "stk": "", "tickSz": self.tick_sz, "uly": "",
        }  # fmt: skip


# ---------------------------------------------------------------------------- books


def book_checksum(bids: Sequence[tuple[str, str]], asks: Sequence[tuple[str, str]]) -> int:
    """OKX's CRC32 over the best 25 levels of each side (exchanges.md 2.5 item 4).

    The string is ``bid1px:bid1sz:ask1px:ask1sz:bid2px:...``, level by level; past the end
    of the shorter side, the longer side's levels continue alone. The CRC is read as a
    signed 32-bit integer.
    """
    b = bids[:CHECKSUM_LEVELS]
    a = asks[:CHECKSUM_LEVELS]
    fields: list[str] = []
    for i in range(max(len(b), len(a))):
        if i < len(b):
            fields += b[i]
        if i < len(a):
            fields += a[i]
    crc = zlib.crc32(":".join(fields).encode("ascii"))
    return crc - (1 << 32) if crc & (1 << 31) else crc


def orders_at(px: str, sz: str) -> str:
    """A plausible, stable order count for a level (the fourth field of a book row)."""
    return str(1 + zlib.crc32(f"{px}/{sz}".encode()) % 7)


def rows(levels: Iterable[tuple[str, str]]) -> list[list[str]]:
    """``[price, size, "0", orders]`` rows (the third field is deprecated, always "0")."""
    return [[p, s, "0", orders_at(p, s)] for p, s in levels]


def diff_rows(
    old: dict[str, str], new: Sequence[tuple[str, str]], descending: bool
) -> list[list[str]]:
    """Rows turning side ``old`` (price -> size) into ``new``: changed or added levels with
    their size, vanished levels with size "0"; bids high to low, asks low to high."""
    out: list[tuple[float, list[str]]] = []
    seen = set()
    for p, s in new:
        seen.add(p)
        if old.get(p) != s:
            out.append((float(p), [p, s, "0", orders_at(p, s)]))
    for p in old:
        if p not in seen:
            out.append((float(p), [p, "0", "0", "0"]))
    out.sort(key=lambda r: -r[0] if descending else r[0])
    return [r for _, r in out]


class WireBook:
    """The ``books`` channel state of one instrument as subscribers have been told it."""

    __slots__ = ("asks", "bids", "checksum", "dirty", "last_ms", "seq_id")

    def __init__(self) -> None:
        self.bids: list[tuple[str, str]] = []
        self.asks: list[tuple[str, str]] = []
        self.seq_id = 0
        self.checksum = 0
        self.dirty = False
        self.last_ms = 0  # market time of the last push (update or heartbeat)

    def set(self, bids: list[tuple[str, str]], asks: list[tuple[str, str]], seq_id: int) -> None:
        self.bids = bids
        self.asks = asks
        self.seq_id = seq_id
        self.checksum = book_checksum(bids, asks)


# ---------------------------------------------------------------------------- candles

# bar -> (market candle unit in seconds, bar length in ms, alignment offset in ms).
# Bars the market keeps are served as they are; longer ones are folded from a shorter unit.
BARS: dict[str, tuple[int, int, int]] = {
    "1s": (1, 1000, 0),
    "1m": (60, 60_000, 0),
    "3m": (180, 180_000, 0),
    "5m": (300, 300_000, 0),
    "15m": (900, 900_000, 0),
    "30m": (1800, 1_800_000, 0),
    "1H": (3600, HOUR_MS, 0),
    "2H": (3600, 2 * HOUR_MS, 0),
    "4H": (14400, 4 * HOUR_MS, 0),
    "6H": (3600, 6 * HOUR_MS, UTC8_MS),
    "12H": (14400, 12 * HOUR_MS, UTC8_MS),
    "1D": (14400, DAY_MS, UTC8_MS),
    "6Hutc": (3600, 6 * HOUR_MS, 0),
    "12Hutc": (14400, 12 * HOUR_MS, 0),
    "1Dutc": (86400, DAY_MS, 0),
}
REST_ONLY_HISTORY = frozenset({"1s"})  # market/candles refuses 1s; history-candles serves it
CANDLE_CHANNELS: dict[str, str] = {f"candle{bar}": bar for bar in BARS}
BARS_OF_UNIT: dict[int, tuple[str, ...]] = {
    unit: tuple(bar for bar, spec in BARS.items() if spec[0] == unit)
    for unit in sorted({spec[0] for spec in BARS.values()})
}

Bar = tuple[int, float, float, float, float, float, float]  # start, o, h, l, c, vol, amount


def period_start(ts: int, length: int, offset: int) -> int:
    return (ts + offset) // length * length - offset


def bars(listing: Listing, bar: str, to_ms: int | None, count: int) -> list[Bar]:
    """Up to ``count`` bars starting before ``to_ms`` (None: up to now, the open bar
    included), newest first."""
    unit, length, offset = BARS[bar]
    if length == unit * 1000:
        return [
            (c.start, c.open, c.high, c.low, c.close, c.volume, c.amount)
            for c in listing.candles_before(unit, to_ms, count)
        ]
    per = length // (unit * 1000)
    if to_ms is not None:
        to_ms = period_start(to_ms - 1, length, offset) + length
    out: list[Bar] = []
    group: list[Candle] = []
    start = None
    for c in listing.candles_before(unit, to_ms, (count + 1) * per):  # newest first
        p = period_start(c.start, length, offset)
        if p != start:
            if group:
                out.append(_fold(start, group))  # type: ignore[arg-type]
                if len(out) >= count:
                    return out
            start, group = p, []
        group.append(c)
    if group and len(out) < count:
        out.append(_fold(start, group))  # type: ignore[arg-type]
    return out


def _fold(start: int, newest_first: list[Candle]) -> Bar:
    oldest, newest = newest_first[-1], newest_first[0]
    return (
        start,
        oldest.open,
        max(c.high for c in newest_first),
        min(c.low for c in newest_first),
        newest.close,
        sum(c.volume for c in newest_first),
        sum(c.amount for c in newest_first),
    )


def candle_row(inst: Instrument, bar: str, b: Bar, now_ms: int) -> list[str]:
    """``[ts, o, h, l, c, vol, volCcy, volCcyQuote, confirm]``; spot vol is in the base
    currency, volCcy and volCcyQuote in the quote currency."""
    length = BARS[bar][1]
    start, o, h, lo, c, vol, amount = b
    quote = num(amount, QUOTE_DECIMALS)
    return [
        str(start), inst.px(o), inst.px(h), inst.px(lo), inst.px(c), inst.sz(vol), quote, quote,
        "1" if start + length <= now_ms else "0",
    ]  # fmt: skip
