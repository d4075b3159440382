"""What the simulated Binance and Gate.io venues share: their USDT pairs on the market
process, number strings, order books chained by update ids, and candles folded to any
interval. Pure: no sockets, no asyncio. Written from ``docs/exchanges.md`` sections 3 and 4
and the recorded real frames, never from the client codecs (design rule 7).

A pair's book as subscribers and REST callers see it is a :class:`DepthBook`: the levels as
wire strings and the id of the last update applied to them. :meth:`DepthBook.sync` turns
the market's current book into the next updates: each changed level (added, resized or
removed) takes the next update id, so a delta carries ``U`` = its first id and ``u`` = its
last, and a REST snapshot's ``lastUpdateId`` / ``id`` is the id of the last change it
includes. A book is synced when someone can see it (a subscriber of its depth or best bid /
ask stream, a REST request), so ids only advance when the book is looked at, but they never
disagree between the stream and REST.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

from dantaro_tui.sim.market import MEAN_NOTIONAL, Candle, Listing, ListingSpec, MarketProcess

QUOTE = "USDT"

# Majors and a few dozen USDT pairs that both exchanges list.
BASES: tuple[str, ...] = (
    "BTC", "ETH", "XRP", "SOL", "DOGE", "ADA", "TRX", "LINK", "BCH", "LTC", "DOT", "ETC",
    "XLM", "AVAX", "SHIB", "NEAR", "APT", "SUI", "ARB", "UNI", "AAVE", "ATOM", "HBAR",
    "ALGO", "SAND", "MANA", "AXS", "THETA", "GRT", "IMX", "STX", "PEPE", "BONK", "TRUMP",
    "ONDO", "ENS", "PENDLE", "INJ", "POL", "TON", "JUP", "USDC",
)  # fmt: skip
HOT: dict[str, float] = {
    "BTC": 5.0, "ETH": 3.5, "SOL": 1.8, "XRP": 1.5, "DOGE": 1.2, "SUI": 0.6, "PEPE": 0.6,
    "USDC": 0.5, "ADA": 0.5, "LINK": 0.4, "LTC": 0.4, "TRUMP": 0.4,
}  # fmt: skip


def decimals(step: float) -> int:
    return max(0, -math.floor(math.log10(step) + 1e-9))


def plain(x: float, dec: int) -> str:
    """Fixed point, no exponent, trailing zeros dropped (Gate.io: ``0.0001052``)."""
    s = f"{x:.{dec}f}"
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def fixed8(x: float) -> str:
    """Binance spot writes every price and quantity with 8 decimals (``0.35130000``)."""
    return f"{x:.8f}"


class Pair:
    """One USDT pair of one venue: its listing, grid and wire state."""

    def __init__(self, base: str, symbol: str, usd_price: float, seed: int, venue: str) -> None:
        self.base = base
        self.quote = QUOTE
        self.symbol = symbol
        mag = math.floor(math.log10(usd_price))
        self.tick = float(plain(min(0.01, max(1e-8, 10.0 ** (mag - 4))), 10))
        self.px_dec = decimals(self.tick)
        self.lot_dec = min(8, max(0, 5 + mag))
        self.step = float(plain(10.0**-self.lot_dec, 8))
        rng = random.Random(f"{venue}:{seed}:{base}")
        self.trade_id = rng.randrange(10**7, 4 * 10**9)  # the last trade's id
        self.first_trade_id = self.trade_id + 1  # the first live trade's id
        self.depth = DepthBook(rng.randrange(10**8, 5 * 10**10))
        self.listing: Listing | None = None

    def tick_fn(self, _price: float) -> float:
        return self.tick

    def spec(self, venue: str, seed: int, scale: float = 1.0) -> ListingSpec:
        rng = random.Random(f"{venue}-rates:{seed}:{self.base}")
        rate = HOT.get(self.base) or min(0.4, 0.08 * math.exp(rng.gauss(0.0, 0.8)))
        return ListingSpec(
            venue, self.symbol, self.base, QUOTE, self.tick_fn, rate * scale, 30, False,
            self.lot_dec,
        )  # fmt: skip

    def levels(self, side: Sequence[Sequence[float]], fmt: str) -> list[tuple[str, str]]:
        if fmt == "fixed8":
            return [(fixed8(p), fixed8(s)) for p, s in side]
        px, sz = self.px_dec, self.lot_dec
        return [(plain(p, px), plain(s, sz)) for p, s in side]

    def estimate_trades(self, volume: float, price: float) -> int:
        """How many trades a volume took (candle and 24 h counts are estimates)."""
        lst = self.listing
        if lst is None or volume <= 0:
            return 0
        per_trade = lst.trade_usd * MEAN_NOTIONAL / max(price * lst.quote.usd, 1e-18)
        return max(1, round(volume / per_trade))


def list_pairs(
    market: MarketProcess, venue: str, bases: Sequence[str], symbol_fmt: str, scale: float = 1.0
) -> tuple[dict[str, Pair], dict[Listing, Pair]]:
    """One USDT pair per base, listed on ``market`` (``symbol_fmt`` spells the symbol from
    ``base`` and ``quote``; ``scale`` sizes the venue's activity): symbol -> pair and
    listing -> pair, in ``bases`` order."""
    pairs: dict[str, Pair] = {}
    by_listing: dict[Listing, Pair] = {}
    for base in bases:
        sym = symbol_fmt.format(base=base, quote=QUOTE)
        pair = Pair(base, sym, market.fair_usd(base) / market.fair_usd(QUOTE), market.seed, venue)
        pair.listing = market.add_listing(pair.spec(venue, market.seed, scale))
        pairs[sym] = pair
        by_listing[pair.listing] = pair
    return pairs, by_listing


# ---------------------------------------------------------------------------- books


class Pending:
    """Changes not yet pushed at one speed: first update id, and price -> size per side."""

    __slots__ = ("asks", "bids", "first", "last_push")

    def __init__(self) -> None:
        self.first = 0
        self.bids: dict[str, str] = {}
        self.asks: dict[str, str] = {}
        self.last_push = 0

    def take(self) -> tuple[int, list[list[str]], list[list[str]]]:
        bids = sorted(self.bids.items(), key=lambda kv: -float(kv[0]))
        asks = sorted(self.asks.items(), key=lambda kv: float(kv[0]))
        first = self.first
        self.first = 0
        self.bids = {}
        self.asks = {}
        return first, [[p, s] for p, s in bids], [[p, s] for p, s in asks]


class DepthBook:
    """A pair's book as the wire has told it: levels (best first) and the last update id."""

    def __init__(self, first_id: int) -> None:
        self.last_id = first_id
        self.bids: list[tuple[str, str]] = []
        self.asks: list[tuple[str, str]] = []
        self.pending: dict[str, Pending] = {}  # speed -> changes not yet pushed at it
        self.synced = False

    def sync(self, pair: Pair, fmt: str, zero: str) -> int:
        """Bring the wire book to the market's book; the number of changed levels."""
        lst = pair.listing
        assert lst is not None
        bids = pair.levels(lst.bids, fmt)
        asks = pair.levels(lst.asks, fmt)
        if not self.synced:
            self.synced = True
            self.bids, self.asks = bids, asks
            return 0
        changes = 0
        for old, new, side in ((self.bids, bids, "b"), (self.asks, asks, "a")):
            if old == new:
                continue
            was = dict(old)
            diff: dict[str, str] = {}
            for p, s in new:
                if was.pop(p, None) != s:
                    diff[p] = s
            for p in was:
                diff[p] = zero
            if not diff:
                continue
            changes += len(diff)
            for pend in self.pending.values():
                if not pend.first:
                    pend.first = self.last_id + 1
                (pend.bids if side == "b" else pend.asks).update(diff)
        self.last_id += changes
        self.bids, self.asks = bids, asks
        return changes


# ---------------------------------------------------------------------------- candles

Bar = tuple[int, float, float, float, float, float, float]  # start, o, h, l, c, vol, amount
DAY_MS = 86_400_000
MONDAY_MS = 4 * DAY_MS  # 1970-01-01 was a Thursday: weeks from Monday start 4 days later


def period_start(ts: int, length: int, offset: int) -> int:
    return (ts - offset) // length * length + offset


def fold_bars(
    listing: Listing, unit: int, length: int, offset: int, to_ms: int | None, count: int
) -> list[Bar]:
    """Up to ``count`` bars of ``length`` ms (aligned to ``offset``) made of the market's
    ``unit``-second candles, starting before ``to_ms`` (None: now, the open bar included),
    newest first."""
    if length == unit * 1000:
        return [_bar(c) for c in listing.candles_before(unit, to_ms, count)]
    per = length // (unit * 1000)
    if to_ms is not None:
        to_ms = period_start(to_ms - 1, length, offset) + length
    out: list[Bar] = []
    group: list[Candle] = []
    start: int | None = None
    for c in listing.candles_before(unit, to_ms, (count + 1) * per):
        p = period_start(c.start, length, offset)
        if p != start:
            if group and start is not None:
                out.append(_fold(start, group))
                if len(out) >= count:
                    return out
            start, group = p, []
        group.append(c)
    if group and start is not None and len(out) < count:
        out.append(_fold(start, group))
    return out


def _bar(c: Candle) -> Bar:
    return (c.start, c.open, c.high, c.low, c.close, c.volume, c.amount)


def _fold(start: int, newest_first: list[Candle]) -> Bar:
    return (
        start,
        newest_first[-1].open,
        max(c.high for c in newest_first),
        min(c.low for c in newest_first),
        newest_first[0].close,
        sum(c.volume for c in newest_first),
        sum(c.amount for c in newest_first),
    )
