"""The simulated market: one fair-value process per asset, one order book and tape per listing.

Exchange-neutral. A venue module (``upbit.py``, later ``okx.py``) registers its listings with
:meth:`MarketProcess.add_listing` (symbol, base, quote, tick table, activity) and turns what
:meth:`MarketProcess.step` reports into its own wire format.

* Every asset has a **global fair value in USD**. BTC carries the market factor; the others
  follow it with a correlation, plus their own shocks. Variance clusters (a GARCH-like
  log-variance that jumps after large shocks and decays back, ~20 min time constant).
  Occasional pumps and dumps of 5-20 % drive one asset up (or down) for tens of seconds to
  minutes, then partly retrace; the pumped market trades many times more while it lasts.
* ``KRW`` is an asset too (fair value 1 / USD-KRW rate); the dollar coins (``STABLES``) stay
  within a few hundredths of a percent of 1 USD. Every listed coin has an approximate USD
  price (``REFERENCE_USD``), so it stands at one price on every quote and venue.
  A listing's target price is ``fair(base) / fair(quote)``, times ``1 + kimchi_premium / 100``
  when the listing is flagged ``premium`` (Upbit's KRW and USDT markets of coins, not of the
  dollar coins), times a small venue-local deviation. So an OKX ``BASE-USDT`` price equals
  the Upbit KRW price / KRW-USDT rate / (1 + premium / 100), up to each venue's own noise.
  The premium is defined against the **bank rate**, the KRW asset's fair value
  (:attr:`MarketProcess.krw_per_usd`, which the server publishes as ``/fx/usdkrw``); the
  dollar coins carry none, so the tether rate (``KRW-USDT``) sits at the bank rate and both
  premiums agree up to the venues' noise. Each Korean venue may have its own premium
  (``premiums={"bithumb": 2.8}``); the others take ``kimchi_premium``. ``venue_noise``
  scales the venue-local deviation (0 turns it off: a test can then hold a premium exact).
* Each listing keeps a book of ``depth`` (<= 30) levels a side on its tick grid (best bid <
  best ask). Makers quote around the target, a tick apart wherever the tick is coarser than
  the natural level spacing (almost every Upbit KRW market) and on the top ``DENSE_TOP``
  levels of any liquid book, with a one-tick spread on a coarse tick. Noise takers hit the
  book, and an arbitrageur takes quotes fair value has left behind by more than the taker
  fee, one :class:`Trade` per price level matched; makers then requote and churn sizes.
  Tickers (day figures, rolling 24 h) and candles (1 s ... 1 day) are folded from those
  trades, so they agree.
* Deterministic for a seed and a sequence of ``step(dt)`` calls; every listing draws from its
  own random stream, so adding a venue does not change another venue's path.
* Candles before the start are generated on demand, deterministically, ending at the start
  price (:meth:`Listing.candles`), so REST can page 200 candles back at any unit.
"""

from __future__ import annotations

import math
import random
import time
import zlib
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

TickFn = Callable[[float], float]

YEAR_S = 365.0 * 86400.0
DAY_MS = 86_400_000
HOUR_MS = 3_600_000
# Candle units in seconds: 1s, 1m, 3m, 5m, 10m, 15m, 30m, 60m, 240m, 1 day (UTC midnight).
CANDLE_UNITS: tuple[int, ...] = (1, 60, 180, 300, 600, 900, 1800, 3600, 14400, 86400)
MAX_DEPTH = 30
LIVE_CANDLES = 400  # completed live candles kept per listing and unit
TAPE = 500  # trades kept per listing (REST backfill)
HISTORY_MAX = 2000  # generated candles before the start, per listing and unit

_KAPPA = 1.0 / 1200.0  # log-variance mean reversion (1/s)
_ALPHA = 0.04  # log-variance response to squared shocks
_PUMP_RATE = 1.0 / 300.0  # pumps per second, market-wide
_MAX_PUMPS = 3
_PEG_S = 300.0  # a dollar coin's deviation from 1 USD reverts with this time constant (s)
_PEG_SIGMA = 0.00015 / math.sqrt(_PEG_S / 2.0)  # ... and stays within ~0.015 % (1 sd)
# A noise taker's order: trade_usd x lognormal(0, 1.4), 1 % of them 30 x larger. Its mean:
MEAN_NOTIONAL = math.exp(1.4**2 / 2) * (0.99 + 0.01 * 30.0)
# Levels kept on consecutive ticks at the top of a liquid book whose tick is finer than the
# natural level spacing (KRW-BTC: 1,000 KRW on ~140,000,000); a coarser tick fills every
# level of the book, as on Upbit, where a queue waits at each price unit.
DENSE_TOP = 5
LIQUID_RATE = 0.5  # trades/s (at intensity 1) from which a book counts as liquid

# Approximate USD prices (late 2025): BTC ~ 140,000,000 KRW and ETH ~ 5,000,000 KRW at
# ~1,410 KRW/USD. Every base the simulated venues list has one (a test checks it), so a coin
# stands at its own magnitude on every quote (KRW-X, BTC-X, USDT-X agree through it). A base
# missing here gets a seeded price between 0.005 and 5 USD.
REFERENCE_USD: dict[str, float] = {
    "BTC": 100_000.0, "ETH": 3_570.0, "XRP": 2.3, "SOL": 170.0, "DOGE": 0.2, "ADA": 0.7,
    "TRX": 0.25, "LINK": 15.0, "DOT": 4.5, "BCH": 450.0, "ETC": 20.0, "LTC": 90.0,
    "XLM": 0.3, "AVAX": 22.0, "SHIB": 0.000013, "NEAR": 2.8, "APT": 5.5, "SUI": 3.5,
    "ARB": 0.4, "UNI": 8.0, "AAVE": 250.0, "ATOM": 4.5, "HBAR": 0.2, "ALGO": 0.22,
    "VET": 0.025, "SAND": 0.3, "MANA": 0.3, "AXS": 2.5, "EOS": 0.7, "NEO": 6.5, "QTUM": 2.3,
    "ICX": 0.12, "ZIL": 0.012, "THETA": 0.8, "CHZ": 0.04, "ENJ": 0.07, "BAT": 0.15,
    "STX": 0.7, "FLOW": 0.4, "GRT": 0.1, "IMX": 0.5, "SEI": 0.25, "PEPE": 0.00001,
    "BONK": 0.00002, "TRUMP": 10.0, "ONDO": 0.9, "ENS": 20.0, "PENDLE": 4.0, "INJ": 12.0,
    "POL": 0.22, "CRO": 0.1, "KAVA": 0.4, "TON": 1.2, "XEM": 0.02, "WAVES": 1.2, "BSV": 35.0,
    "BTG": 1.5, "STEEM": 0.17, "ARK": 0.4, "LSK": 0.5, "STORJ": 0.3, "KNC": 0.35, "ZRX": 0.25,
    "SC": 0.003, "ONT": 0.15, "GAS": 3.0, "IOTA": 0.2, "IOST": 0.004, "HIVE": 0.22,
    "T": 0.02, "CELO": 0.35, "GMT": 0.06, "MASK": 1.3, "EGLD": 15.0, "BLUR": 0.1,
    "MINA": 0.2, "ASTR": 0.03, "CTC": 0.5, "AKT": 1.2, "PYTH": 0.12, "ID": 0.2, "MNT": 0.8,
    "ZETA": 0.25, "JUP": 0.5, "W": 0.1, "ZRO": 2.2, "BLAST": 0.003, "VIRTUAL": 1.5,
    "BERA": 3.0, "MOVE": 0.15, "ME": 1.0, "LAYER": 0.7, "KAITO": 1.2, "ANIME": 0.02,
    "SONIC": 0.2, "WAL": 0.4, "NXPC": 1.0, "COMP": 45.0, "RENDER": 3.5, "PENGU": 0.012,
    "USUAL": 0.08, "COW": 0.35, "RAY": 2.5, "IP": 3.5, "DEEP": 0.1, "CARV": 0.3,
    "MEW": 0.003, "OMNI": 2.5, "GLMR": 0.08, "VTHO": 0.002, "AXL": 0.35, "ALT": 0.03,
    "BIGTIME": 0.06, "ARKM": 0.5, "DRIFT": 0.5, "AGLD": 0.8, "UXLINK": 0.3, "ATH": 0.03,
    "ORCA": 2.5, "TAIKO": 0.5, "AUCTION": 10.0, "BEAM": 0.007, "STG": 0.2, "HIFI": 0.1,
    "XEC": 0.00002, "SAFE": 0.45, "POLYX": 0.15, "HPO": 0.05, "G": 0.01, "CKB": 0.005,
    "VANA": 6.0, "1INCH": 0.22, "WEMIX": 0.6, "MTL": 0.9, "OMG": 0.3, "SNT": 0.03,
    "SXP": 0.2, "DKA": 0.02, "MED": 0.01, "META": 0.02, "BORA": 0.1, "HUNT": 0.3,
    "AERGO": 0.1, "AHT": 0.003, "AQT": 0.8, "ARDR": 0.07, "BFC": 0.04,
    "BFT": 0.02, "BNT": 0.4, "BTT": 0.0000007, "CBK": 0.35, "CHR": 0.1, "CRE": 0.004,
    "CRV": 0.6, "CTSI": 0.08, "CVC": 0.08, "DAD": 0.01, "DENT": 0.001, "DGB": 0.008,
    "DNT": 0.03, "ELF": 0.3, "FCT2": 0.02, "FIL": 3.0, "FOR": 0.002, "FSN": 0.02, "FX": 0.1,
    "GAME2": 0.01, "GLM": 0.25, "GO": 0.003, "GRS": 0.3, "GXC": 0.3, "IOTX": 0.03,
    "IQ": 0.004, "ITAM": 0.001, "JST": 0.03, "JUV": 1.0, "LINA": 0.002, "LOOM": 0.05,
    "LRC": 0.12, "MBL": 0.002, "MKR": 1_500.0, "MLK": 0.15, "MOC": 0.06, "MVL": 0.004,
    "NKN": 0.05, "NMR": 15.0, "NXT": 0.002, "OGN": 0.06, "ONG": 0.2,
    "ONIT": 0.001, "ORBS": 0.02, "OXT": 0.06, "PICA": 0.001, "POWR": 0.15,
    "PRO": 0.9, "PROM": 6.0, "PSG": 2.0, "PUNDIX": 0.3, "QKC": 0.008, "RCN": 0.001,
    "RINGX": 0.001, "RLC": 1.2, "RSR": 0.008, "RVN": 0.015, "SBD": 0.8,
    "SNX": 1.0, "SSX": 0.001, "STMX": 0.004, "STPT": 0.07, "STRK": 10.0, "SUN": 0.02,
    "SYS": 0.05, "TFUEL": 0.03, "TT": 0.003, "UPP": 0.03, "VAL": 0.2, "VITE": 0.002,
    "WAXP": 0.03, "XTZ": 0.6, "ANKR": 0.015,
}  # fmt: skip
# Dollar-pegged coins: they stay within a few hundredths of a percent of 1 USD.
STABLES = frozenset(
    {"USDT", "USDC", "DAI", "USD", "TUSD", "PAX", "USDP", "BUSD", "FDUSD", "USDS", "USDE",
     "PYUSD", "HBD"}
)  # fmt: skip
FIAT_RATES = {"KRW": 1410.0}  # units of fiat per USD
MAJORS = frozenset({"BTC", "ETH", "XRP", "SOL", "DOGE", "ADA", "TRX", "LINK", "BCH", "LTC"})


# ---------------------------------------------------------------------------- tick grid


def tick_decimals(tick: float) -> int:
    """Decimals needed to write prices on a grid of ``tick``."""
    return max(0, -math.floor(math.log10(tick) + 1e-9))


def snap_down(x: float, tick: TickFn) -> float:
    t = tick(x)
    return float(round(math.floor(x / t + 1e-9) * t, tick_decimals(t)))


def snap_up(x: float, tick: TickFn) -> float:
    t = tick(x)
    return float(round(math.ceil(x / t - 1e-9) * t, tick_decimals(t)))


def tick_above(p: float, tick: TickFn) -> float:
    return snap_up(p + tick(p) * 0.999, tick)


def tick_below(p: float, tick: TickFn) -> float:
    """The grid price just below ``p`` (0.0 when there is none)."""
    t = tick(p * (1.0 - 1e-9))
    below = float(round(p - t, tick_decimals(t)))
    return below if below > 0 else 0.0


# ---------------------------------------------------------------------------- records


@dataclass(frozen=True, slots=True)
class ListingSpec:
    """One market of one venue. ``rate`` = trades/s at intensity 1 (before vol and pumps)."""

    venue: str
    symbol: str  # the venue's own code: "KRW-BTC", "BTC-USDT"
    base: str
    quote: str
    tick: TickFn
    rate: float = 0.05
    depth: int = MAX_DEPTH  # levels kept per side; < 30 gives a thin book
    premium: bool = False  # apply the market's kimchi premium
    size_decimals: int = 8
    # Expected turnover in USD a day at intensity 1 (0: follows from ``rate``). Sets the
    # size of trades and book levels, not how often trades happen.
    turnover_usd: float = 0.0
    taker_fee: float = 0.001  # fraction of the traded value; arbitrage must beat it


class Trade:
    """One match. ``side`` is the taker's: "buy" or "sell". ``seq`` increases per listing."""

    __slots__ = (
        "best_ask", "best_ask_size", "best_bid", "best_bid_size", "listing", "prev_close",
        "price", "seq", "side", "size", "ts",
    )  # fmt: skip

    def __init__(
        self, listing: Listing, price: float, size: float, side: str, ts: int, seq: int,
        prev_close: float, best: tuple[float, float, float, float],
    ) -> None:  # fmt: skip
        self.listing = listing
        self.price = price
        self.size = size
        self.side = side
        self.ts = ts
        self.seq = seq
        self.prev_close = prev_close
        self.best_ask, self.best_ask_size, self.best_bid, self.best_bid_size = best

    def __repr__(self) -> str:
        return f"Trade({self.listing.symbol} {self.side} {self.size}@{self.price} #{self.seq})"


class Candle:
    """OHLC of one period; ``start`` and ``last_ts`` in ms, volume in base, amount in quote."""

    __slots__ = ("amount", "close", "high", "last_ts", "low", "open", "start", "volume")

    def __init__(
        self, start: int, open_: float, high: float, low: float, close: float,
        volume: float = 0.0, amount: float = 0.0, last_ts: int = 0,
    ) -> None:  # fmt: skip
        self.start = start
        self.open = open_
        self.high = high
        self.low = low
        self.close = close
        self.volume = volume
        self.amount = amount
        self.last_ts = last_ts or start

    def add(self, price: float, size: float, ts: int) -> None:
        if price > self.high:
            self.high = price
        elif price < self.low:
            self.low = price
        self.close = price
        self.volume += size
        self.amount += price * size
        self.last_ts = ts

    def __repr__(self) -> str:
        return (
            f"Candle({self.start} o={self.open} h={self.high} l={self.low} c={self.close} "
            f"v={self.volume:.8f})"
        )


@dataclass(slots=True)
class StepResult:
    """What happened during one :meth:`MarketProcess.step`."""

    now_ms: int
    trades: list[Trade] = field(default_factory=list)  # in time order
    tickers: list[Listing] = field(default_factory=list)  # traded this step (day stats moved)
    books: list[Listing] = field(default_factory=list)  # book changed this step
    # (listing, unit seconds, candle): candles a trade changed, at most once a second per
    # listing, plus the final state of candles that closed meanwhile.
    candles: list[tuple[Listing, int, Candle]] = field(default_factory=list)


class Asset:
    __slots__ = ("anchor", "h", "kind", "pump", "rho", "sigma", "symbol", "usd", "x")

    def __init__(self, symbol: str, usd: float, sigma: float, rho: float, kind: str) -> None:
        self.symbol = symbol
        self.usd = usd
        self.anchor = usd  # where a stable or fiat value reverts to
        self.sigma = sigma  # per sqrt(second)
        self.rho = rho  # correlation with the market factor
        self.kind = kind  # "crypto" | "stable" | "fiat"
        self.h = 0.0  # log-variance multiplier
        self.x = 0.0  # OU state (stable / fiat)
        self.pump: Pump | None = None

    @property
    def activity(self) -> float:
        mult = math.exp(0.375 * self.h)
        return mult * self.pump.activity if self.pump else mult


class Pump:
    """A pump (or dump): drift ``log_move`` over ``rise_s``, then retrace part of it."""

    __slots__ = ("elapsed", "log_move", "retrace", "retrace_s", "rise_s")

    def __init__(self, move: float, rise_s: float, retrace: float, retrace_s: float) -> None:
        self.log_move = math.log1p(move)
        self.rise_s = rise_s
        self.retrace = retrace
        self.retrace_s = retrace_s
        self.elapsed = 0.0

    @property
    def done(self) -> bool:
        return self.elapsed >= self.rise_s + self.retrace_s

    @property
    def drift(self) -> float:
        if self.elapsed < self.rise_s:
            return self.log_move / self.rise_s
        return -self.retrace * self.log_move / self.retrace_s

    @property
    def activity(self) -> float:
        if self.elapsed < self.rise_s:
            return 12.0
        left = 1.0 - (self.elapsed - self.rise_s) / self.retrace_s
        return 1.0 + 8.0 * max(0.0, left) ** 2


class _History:
    """Generated candles of one listing and unit, newest first, as arrays (raw prices)."""

    __slots__ = (
        "amount", "anchor", "close", "close_", "high", "k", "last", "low", "open", "rng",
        "start", "volume",
    )  # fmt: skip

    def __init__(self, seed: int, anchor: int, close: float) -> None:
        self.rng = np.random.default_rng(seed)
        self.anchor = anchor  # start (ms) of the candle that contains the start time
        self.close = close  # close of the next older period to generate
        self.k = 0  # periods generated so far (gaps included)
        empty_i, empty_f = np.empty(0, np.int64), np.empty(0)
        self.start, self.last = empty_i, empty_i
        self.open = self.high = self.low = self.close_ = self.volume = self.amount = empty_f

    def extend(self, *cols: np.ndarray) -> None:
        names = ("start", "open", "high", "low", "close_", "volume", "amount", "last")
        for name, col in zip(names, cols, strict=True):
            setattr(self, name, np.concatenate((getattr(self, name), col)))


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0.0:
        return 0
    if lam > 30.0:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


# ---------------------------------------------------------------------------- listing


class Listing:
    """State of one market: book, tape, day/24 h statistics and candles."""

    def __init__(self, spec: ListingSpec, market: MarketProcess) -> None:
        self.spec = spec
        self.market = market
        self.symbol = spec.symbol
        self.venue = spec.venue
        self.tick = spec.tick
        self.depth = max(1, min(MAX_DEPTH, spec.depth))
        self.rng = random.Random(f"{market.seed}:{spec.venue}:{spec.symbol}")
        self.base = market.asset(spec.base)
        self.quote = market.asset(spec.quote)
        self.noise = 0.0
        # Venue-local deviation from fair value (its standard deviation): 0.08 % for a coin,
        # 0.005 % between two dollars (KRW-USDC and KRW-USDT agree to a tick).
        pegged = self.base.kind != "crypto" and self.quote.kind != "crypto"
        self.noise_amp = 0.00005 if pegged else 0.0008
        rate = max(spec.rate, 0.001)
        self.spacing = 0.00005 * (1.0 / rate) ** 0.25  # mean level spacing, fraction of price
        # Makers quote this far (fraction of price) each side of fair value, then round
        # outwards to the tick: on a coarse tick that is a one-tick spread; busy books quote
        # tighter (KRW-BTC: about a quarter of its 1,000 KRW tick).
        self.half_spread = 0.00001 / max(rate, math.sqrt(rate))
        self.dense_top = DENSE_TOP if rate >= LIQUID_RATE else 0
        self.trade_usd = 40.0 * (rate + 0.05) ** 0.3
        self.level_usd = 6000.0 * math.sqrt(rate + 0.02)
        if spec.turnover_usd > 0:
            usd = spec.turnover_usd / (rate * 86400.0 * MEAN_NOTIONAL)
            self.level_usd *= usd / self.trade_usd
            self.trade_usd = usd
        if pegged:  # dollar books are deep: a large order moves KRW-USDT a tick, not ten
            self.level_usd *= 5.0
        self.asks: list[list[float]] = []  # [price, size], best (lowest) first
        self.bids: list[list[float]] = []  # best (highest) first
        self.book_ts = int(market.now_ms)
        self.seq = 0
        self.tape: deque[Trade] = deque(maxlen=TAPE)
        self.candles: dict[int, Candle] = {}
        self.closed: dict[int, deque[Candle]] = {
            u: deque(maxlen=LIVE_CANDLES) for u in CANDLE_UNITS
        }
        self._history: dict[int, _History] = {}
        self._prehistory: list[Trade] | None = None
        self._closing: list[tuple[int, Candle]] = []
        self._candle_emit = 0
        self._52w: tuple[float, int, float, int] | None = None
        p0 = self.target()
        self.last = p0
        self._requote(p0)
        self.start_price = self._snap(self.mid())
        self.last = self.start_price
        # The last trade before the start (the newest trade of the generated tape).
        self.last_size = max(round(self.trade_usd / (self.last * self.quote.usd), 8), 1e-8)
        self.last_side = "buy" if self.rng.random() < 0.5 else "sell"
        self.last_ts = int(market.start_ms) - 1 - int(self.rng.expovariate(max(rate, 0.01)) * 1000)
        self._first_ts, self._first_side, self._first_size = (
            self.last_ts,
            self.last_side,
            self.last_size,
        )
        self._seed_day()

    # -- prices
    def target(self) -> float:
        m = self.market
        price = self.base.usd / self.quote.usd * (1.0 + self.noise)
        if self.spec.premium:
            price *= 1.0 + m.premium_pct(self.venue) / 100.0
        return price

    def mid(self) -> float:
        if self.asks and self.bids:
            return (self.asks[0][0] + self.bids[0][0]) / 2.0
        return self.last

    def best(self) -> tuple[float, float, float, float]:
        a = self.asks[0] if self.asks else (0.0, 0.0)
        b = self.bids[0] if self.bids else (0.0, 0.0)
        return a[0], a[1], b[0], b[1]

    def book(
        self, depth: int = MAX_DEPTH
    ) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
        """(asks, bids), best first, at most ``depth`` levels each (no padding)."""
        return (
            [(p, s) for p, s in self.asks[:depth]],
            [(p, s) for p, s in self.bids[:depth]],
        )

    # -- day and 24 h figures
    @property
    def day(self) -> Candle:
        return self.candles[86400]

    @property
    def prev_close(self) -> float:
        return self._prev_close

    def change(self) -> tuple[str, float, float]:
        """("RISE"|"EVEN"|"FALL", signed change, signed rate) of the last price vs prev close."""
        diff = self.last - self._prev_close
        rate = diff / self._prev_close if self._prev_close else 0.0
        if diff > 0:
            return "RISE", diff, rate
        if diff < 0:
            return "FALL", diff, rate
        return "EVEN", 0.0, 0.0

    def rolling_24h(self, now_ms: int | None = None) -> tuple[float, float]:
        """(volume, amount) over the last 24 h, the oldest hour prorated."""
        now = int(self.market.now_ms) if now_ms is None else now_ms
        lo = now - DAY_MS
        vol = amt = 0.0
        for start, v, a, *_ in self._hours:
            if start + HOUR_MS <= lo:
                continue
            share = 1.0 if start >= lo else (start + HOUR_MS - lo) / HOUR_MS
            vol += v * share
            amt += a * share
        return vol, amt

    def range_24h(self, now_ms: int | None = None) -> tuple[float, float, float]:
        """(open, high, low) over the last 24 h, at hourly resolution before the last hour."""
        now = int(self.market.now_ms) if now_ms is None else now_ms
        rows = [h for h in self._hours if h[0] + HOUR_MS > now - DAY_MS]
        if not rows:
            return self.last, self.last, self.last
        return rows[0][3], max(h[4] for h in rows), min(h[5] for h in rows)

    @property
    def acc_ask_volume(self) -> float:
        return self._acc_ask

    @property
    def acc_bid_volume(self) -> float:
        return self._acc_bid

    def week52(self) -> tuple[float, int, float, int]:
        """(highest price, its day start ms, lowest price, its day start ms) over 52 weeks."""
        if self._52w is None:
            hist = self._history_for(86400)
            if hist.k < 400:
                self._generate(86400, hist, 400 - hist.k)
            year = hist.start > hist.anchor - 365 * DAY_MS
            highs, lows = hist.high[year], hist.low[year]
            i, j = int(np.argmax(highs)), int(np.argmin(lows))
            low = snap_down(float(lows[j]), self.tick)
            self._52w = (
                snap_up(float(highs[i]), self.tick), int(hist.start[year][i]),
                low if low > 0 else self.tick(float(lows[j])), int(hist.start[year][j]),
            )  # fmt: skip
        hp, hd, lp, ld = self._52w
        day = self.day
        if day.high > hp:
            hp, hd = day.high, day.start
        if day.low < lp:
            lp, ld = day.low, day.start
        self._52w = (hp, hd, lp, ld)
        return self._52w

    # -- seeding the pre-start day
    def _seed_day(self) -> None:
        m, rng = self.market, self.rng
        start = int(m.start_ms)
        day_start = start - start % DAY_MS
        frac = (start - day_start) / DAY_MS
        sig_day = self.base.sigma * math.sqrt(86400.0) if self.base.kind == "crypto" else 0.002
        p0 = self.start_price
        open_ = self._snap(p0 * math.exp(-rng.gauss(0.0, sig_day * math.sqrt(frac) + 1e-9)))
        high = snap_up(
            max(open_, p0) * math.exp(abs(rng.gauss(0.0, sig_day * 0.4 * math.sqrt(frac)))),
            self.tick,
        )
        low = snap_down(
            min(open_, p0) * math.exp(-abs(rng.gauss(0.0, sig_day * 0.4 * math.sqrt(frac)))),
            self.tick,
        )
        low = min(low, open_, p0) if low > 0 else min(open_, p0)
        per_day = self._expected_volume(86400.0, p0)
        vol = round(per_day * frac * math.exp(rng.gauss(0.0, 0.2)), 8)
        day = Candle(
            day_start, open_, max(high, open_, p0), low, p0, vol, vol * (open_ + p0) / 2, start
        )
        self.candles[86400] = day
        self._prev_close = self._snap(open_ * (1.0 + rng.gauss(0.0, 0.002)))
        buy_share = rng.uniform(0.4, 0.6)
        self._acc_bid = vol * buy_share
        self._acc_ask = vol - self._acc_bid
        # Hourly buckets for the rolling 24 h: yesterday's volume and today's pre-start part.
        yesterday = per_day * math.exp(rng.gauss(0.0, 0.3))
        hours: deque[list[float]] = deque()
        first_hour = start - start % HOUR_MS - 24 * HOUR_MS
        for i in range(25):
            h0 = first_hour + i * HOUR_MS
            if h0 < day_start:
                v = yesterday / 24.0
                w = (h0 - (day_start - DAY_MS)) / DAY_MS
                px = self._prev_close * (1.0 + (w - 1.0) * rng.gauss(0.0, sig_day * 0.3))
            else:
                span = min(HOUR_MS, start - h0) / HOUR_MS
                v = vol * span / max(frac * 24.0, 1e-9) if frac > 0 else 0.0
                w = (h0 - day_start) / max(start - day_start, 1)
                px = open_ + (p0 - open_) * w
            px = self._snap(max(px, self.tick(p0)))
            hours.append([h0, v, v * px, px, px, px])
        today = [h for h in hours if h[0] >= day_start]
        if today:  # the day's extremes fall in some hour before the start
            hi, lo = rng.choice(today), rng.choice(today)
            hi[4] = max(hi[4], day.high)
            lo[5] = min(lo[5], day.low)
        self._hours = hours
        self._yesterday_volume = yesterday

    def _expected_volume(self, seconds: float, price: float) -> float:
        """Expected base volume traded in ``seconds`` at the listing's base activity."""
        m = self.market
        notional_usd = self.trade_usd * MEAN_NOTIONAL
        base_usd = self.base.usd if self.base.usd > 0 else price * self.quote.usd
        return self.spec.rate * m.intensity * seconds * notional_usd / base_usd

    def _snap(self, x: float) -> float:
        lo = snap_down(x, self.tick)
        hi = snap_up(x, self.tick)
        p = lo if x - lo <= hi - x else hi
        return p if p > 0 else hi

    # -- the book
    def _coarse(self, price: float) -> bool:
        """Is the tick at ``price`` at least the natural level spacing (every tick quoted)?"""
        return self.tick(price) >= price * self.spacing

    def _level_size(self, price: float) -> float:
        rng = self.rng
        # A coarse tick gathers the liquidity of several natural levels into one queue.
        queue = self.tick(price) / (price * self.spacing)
        usd = self.level_usd * min(5.0, max(1.0, math.sqrt(queue))) * math.exp(rng.gauss(0.0, 0.9))
        size = usd / (price * self.quote.usd)
        if rng.random() < 0.25:
            size = float(f"{size:.2g}")
        return max(round(size, self.spec.size_decimals), 10.0**-self.spec.size_decimals)

    def _gap(self, price: float, level: int) -> float:
        """Distance to the next level after ``price``, the ``level``-th of its side (0 = best):
        one tick among the top levels of a liquid book, else the natural spacing."""
        t = self.tick(price)
        if level < self.dense_top:
            return t
        ticks = 1 + int(self.rng.expovariate(1.0) * max(0.0, price * self.spacing / t - 1.0))
        return ticks * t

    def _close_holes(self, side: list[list[float]], up: bool) -> bool:
        """Fill every missing tick among the top ``dense_top`` levels of ``side``."""
        tick, changed, i = self.tick, False, 0
        while i + 1 < min(len(side), self.dense_top):
            p = side[i][0]
            nxt = tick_above(p, tick) if up else tick_below(p, tick)
            if nxt > 0 and side[i + 1][0] != nxt:
                side.insert(i + 1, [nxt, self._level_size(nxt)])
                changed = True
            i += 1
        if changed and len(side) > self.depth:
            del side[self.depth :]
        return changed

    def _requote(self, q: float) -> bool:
        """Makers step in around the target ``q``; keep ``depth`` levels a side."""
        tick, asks, bids, depth = self.tick, self.asks, self.bids, self.depth
        hs = self.half_spread
        tb = snap_down(q * (1.0 - hs), tick)
        ta = snap_up(q * (1.0 + hs), tick)
        if ta <= tb:
            ta = tick_above(tb, tick)
        changed = False
        # Makers pull quotes that fair value has run through (the arbitrage took some first).
        rng = self.rng
        while asks and asks[0][0] < q and rng.random() < 0.7:
            del asks[0]
            changed = True
        while bids and bids[0][0] > q and rng.random() < 0.7:
            del bids[0]
            changed = True
        # New quotes join the ones left, never crossing them.
        if asks and tb >= asks[0][0]:
            tb = tick_below(asks[0][0], tick)
        if bids and ta <= bids[0][0]:
            ta = tick_above(bids[0][0], tick)
        if tb > 0 and (not bids or bids[0][0] < tb):
            floor = bids[0][0] if bids else 0.0
            new: list[list[float]] = []
            p = tb
            while p > floor and p > 0 and len(new) < depth:
                new.append([p, self._level_size(p)])
                p = snap_down(p - self._gap(p, len(new) - 1), tick)
            bids[0:0] = new
            changed = True
        if not asks or asks[0][0] > ta:
            ceiling = asks[0][0] if asks else math.inf
            new = []
            p = ta
            while p < ceiling and len(new) < depth:
                new.append([p, self._level_size(p)])
                p = snap_up(p + self._gap(p, len(new) - 1), tick)
            asks[0:0] = new
            changed = True
        if len(bids) > depth:
            del bids[depth:]
        if len(asks) > depth:
            del asks[depth:]
        while bids and len(bids) < depth:
            p = snap_down(bids[-1][0] - self._gap(bids[-1][0], len(bids) - 1), tick)
            if p <= 0:
                break
            bids.append([p, self._level_size(p)])
            changed = True
        while asks and len(asks) < depth:
            p = snap_up(asks[-1][0] + self._gap(asks[-1][0], len(asks) - 1), tick)
            asks.append([p, self._level_size(p)])
            changed = True
        if self.dense_top and changed:
            self._close_holes(bids, False)
            self._close_holes(asks, True)
        return changed

    def _churn(self, n: int) -> bool:
        rng, changed = self.rng, False
        for _ in range(n):
            side = self.asks if rng.random() < 0.5 else self.bids
            if not side:
                continue
            i = min(int(rng.expovariate(0.2)), len(side) - 1)
            r = rng.random()
            if r < 0.75:
                lvl = side[i]
                lvl[1] = max(
                    round(lvl[1] * math.exp(rng.gauss(0.0, 0.6)), self.spec.size_decimals),
                    10.0**-self.spec.size_decimals,
                )
            elif r < 0.88 and i > 0 and len(side) > 3:
                if i < self.dense_top or self._coarse(side[i][0]):
                    lvl = side[i]  # a queue on a quoted tick thins out, it does not vanish
                    lvl[1] = max(
                        round(lvl[1] * rng.uniform(0.2, 0.7), self.spec.size_decimals),
                        10.0**-self.spec.size_decimals,
                    )
                else:
                    del side[i]
            elif i + 1 < len(side):
                a, b = side[i][0], side[i + 1][0]
                mid = self._snap((a + b) / 2.0)
                if mid != a and mid != b and min(a, b) < mid < max(a, b):
                    side.insert(i + 1, [mid, self._level_size(mid)])
                    if len(side) > self.depth:
                        side.pop()
            changed = True
        return changed

    def _take(self, side: str, qty: float, ts: int, limit: float | None, out: list[Trade]) -> None:
        """A taker order of ``qty`` base (``limit``: stop at that price); one Trade per level."""
        book = self.asks if side == "buy" else self.bids
        dec = self.spec.size_decimals
        eps = 10.0**-dec
        while qty >= eps and book:
            lvl = book[0]
            if limit is not None and (lvl[0] > limit if side == "buy" else lvl[0] < limit):
                break
            fill = round(min(qty, lvl[1]), dec)
            if fill < eps:
                break
            lvl[1] = round(lvl[1] - fill, dec)
            qty -= fill
            if lvl[1] < eps:
                book.pop(0)
            self._record(lvl[0], fill, side, ts, out)

    def _record(self, price: float, size: float, side: str, ts: int, out: list[Trade]) -> None:
        day = self.candles[86400]
        if ts - ts % DAY_MS != day.start:  # UTC midnight: yesterday's close becomes prev close
            self._prev_close = self.last
            self._acc_ask = self._acc_bid = 0.0
        self.seq = max(self.seq + 1, ts * 1000)
        trade = Trade(self, price, size, side, ts, self.seq, self._prev_close, self.best())
        out.append(trade)
        self.tape.append(trade)
        self.last, self.last_size, self.last_side, self.last_ts = price, size, side, ts
        if side == "buy":
            self._acc_bid += size
        else:
            self._acc_ask += size
        hours = self._hours
        hour = ts - ts % HOUR_MS
        if hours[-1][0] != hour:
            hours.append([hour, 0.0, 0.0, price, price, price])
            while hours[0][0] + HOUR_MS <= ts - DAY_MS:
                hours.popleft()
        h = hours[-1]
        h[1] += size
        h[2] += size * price
        if price > h[4]:
            h[4] = price
        if price < h[5]:
            h[5] = price
        candles, pending = self.candles, self.market._pending
        for unit in CANDLE_UNITS:
            start = ts - ts % (unit * 1000)
            cur = candles.get(unit)
            if cur is None or cur.start != start:
                if cur is not None:
                    self.closed[unit].append(cur)
                    if self in pending:
                        self._closing.append((unit, cur))
                candles[unit] = Candle(start, price, price, price, price, size, size * price, ts)
            else:
                cur.add(price, size, ts)
        pending[self] = None

    def _step(self, dt: float, t0: float, t1: float, res: StepResult) -> None:
        m, rng = self.market, self.rng
        amp = self.noise_amp * m.venue_noise
        self.noise += -self.noise * dt / 120.0 + amp * math.sqrt(dt / 60.0) * rng.gauss(0.0, 1.0)
        q = self.target()
        act = self.base.activity
        lam = self.spec.rate * m.intensity * act
        n = _poisson(rng, lam * dt)
        span = t1 - t0
        orders: list[tuple[int, int]] = [(int(t0 + rng.random() * span) + 1, i) for i in range(n)]
        # An arbitrageur takes quotes left on the wrong side of fair value by more than the
        # taker fee; makers move the rest (_requote).
        buy_below, sell_above = q / (1.0 + self.spec.taker_fee), q / (1.0 - self.spec.taker_fee)
        sweep = bool(self.asks and buy_below > self.asks[0][0]) or bool(
            self.bids and sell_above < self.bids[0][0]
        )
        if sweep:
            orders.append((int(t0 + rng.random() * span) + 1, -1))
        trades: list[Trade] = []
        if orders:
            orders.sort()
            floor = max(self.last_ts, int(t0))
            for ts, kind in orders:
                ts = max(min(ts, int(t1)), floor)
                floor = ts
                if kind < 0:  # the arbitrageur
                    qty = self.trade_usd * math.exp(rng.gauss(1.0, 0.8)) / (q * self.quote.usd)
                    if self.asks and buy_below > self.asks[0][0]:
                        self._take("buy", qty, ts, buy_below, trades)
                    elif self.bids and sell_above < self.bids[0][0]:
                        self._take("sell", qty, ts, sell_above, trades)
                    continue
                mid = self.mid()
                spread = (
                    (self.asks[0][0] - self.bids[0][0]) if self.asks and self.bids else mid * 0.001
                )
                tilt = math.tanh((q - mid) / max(spread, 1e-18))
                if self.base.pump is not None:
                    tilt += 0.3 if self.base.pump.drift > 0 else -0.3
                side = "buy" if rng.random() < 0.5 + 0.3 * tilt else "sell"
                usd = self.trade_usd * math.exp(rng.gauss(0.0, 1.4))
                if rng.random() < 0.01:
                    usd *= 30.0
                qty = usd / (mid * self.quote.usd)
                if rng.random() < 0.3:
                    qty = float(f"{qty:.2g}")
                self._take(side, qty, ts, None, trades)
        changed = bool(trades)
        if trades:
            res.trades.extend(trades)
            res.tickers.append(self)
        churn = _poisson(rng, (0.05 + 1.5 * self.spec.rate) * m.intensity * act * dt)
        if churn and self._churn(min(churn, 4)):
            changed = True
        if self._requote(self.target()):
            changed = True
        if changed:
            self.book_ts = int(t1)
            res.books.append(self)

    # -- history
    def candles_before(self, unit: int, to_ms: int | None, count: int) -> list[Candle]:
        """Up to ``count`` candles of ``unit`` seconds starting before ``to_ms`` (exclusive;
        None = now, the open candle included), newest first. Live candles, then generated
        ones before the start."""
        out: list[Candle] = []
        cur = self.candles.get(unit)
        live = list(self.closed[unit])
        if cur is not None:
            live.append(cur)
        for c in reversed(live):
            if to_ms is None or c.start < to_ms:
                out.append(c)
                if len(out) >= count:
                    return out
        hist = self._history_for(unit)
        i = 0
        if to_ms is not None and to_ms <= hist.anchor:
            # Generated period k starts at anchor - k * unit: skip the newer ones at once.
            k_min = (hist.anchor - to_ms) // (unit * 1000) + 1
            while hist.k < min(k_min, HISTORY_MAX):
                self._generate(unit, hist, 400)
            i = int(np.searchsorted(-hist.start, -to_ms, side="right"))
        while len(out) < count:
            if i >= len(hist.start):
                if hist.k >= HISTORY_MAX:
                    break
                self._generate(unit, hist, 400)
                continue
            out.append(self._materialize(hist, i))
            i += 1
        return out

    def _history_for(self, unit: int) -> _History:
        hist = self._history.get(unit)
        if hist is None:
            start = int(self.market.start_ms)
            anchor = start - start % (unit * 1000)
            key = f"{self.market.seed}:{self.venue}:{self.symbol}:{unit}".encode()
            close = self._prev_close if unit == 86400 else self.start_price
            hist = self._history[unit] = _History(zlib.crc32(key), anchor, close)
        return hist

    def _generate(self, unit: int, hist: _History, n: int) -> None:
        """Extend the generated past by ``n`` periods (vectorized; prices snapped later)."""
        n = min(n, HISTORY_MAX - hist.k)
        if n <= 0:
            return
        g = hist.rng
        sig = self.base.sigma if self.base.kind == "crypto" else 0.004 / math.sqrt(86400.0)
        sig *= math.sqrt(unit)
        expected = self.spec.rate * self.market.intensity * unit
        trades = g.poisson(expected, n)
        r = g.normal(0.0, sig, n)
        if unit >= 3600:
            jumps = g.random(n) < 0.005
            r += jumps * g.choice((-1.0, 1.0), n) * g.uniform(0.03, 0.10, n)
        r = np.where(trades > 1, r, 0.0)  # one trade (or none): open == close
        log_close0 = math.log(hist.close)
        log_open = log_close0 - np.cumsum(r)
        opens = np.exp(log_open)
        closes = np.exp(np.concatenate(([log_close0], log_open[:-1])))
        wide = trades > 2
        # Wicks: the move within the period, plus trades at the bid and at the ask (a spread
        # of up to a tick, on one side). Snapped to the nearest tick later, so a coarse tick
        # shows a one-tick bounce and a fine one no more than the volatility.
        bounce = g.uniform(0.0, self.tick(hist.close) / hist.close, n)
        above = g.random(n) < 0.5
        up = np.abs(g.normal(0.0, sig * 0.5, n)) + bounce * above
        down = np.abs(g.normal(0.0, sig * 0.5, n)) + bounce * ~above
        highs = np.maximum(opens, closes) * np.exp(up * wide)
        lows = np.minimum(opens, closes) * np.exp(-down * wide)
        notional = self.trade_usd * np.exp(g.normal(1.4**2 / 2, 0.5, n))
        volume = np.round(trades * notional / (closes * self.quote.usd), 8)
        amount = volume * (opens + highs + lows + closes) / 4.0
        starts = hist.anchor - (hist.k + 1 + np.arange(n, dtype=np.int64)) * (unit * 1000)
        last = (
            starts + unit * 1000 - 1 - (g.random(n) * min(unit * 1000 - 1, 60_000)).astype(np.int64)
        )
        keep = trades > 0
        hist.extend(
            starts[keep],
            opens[keep],
            highs[keep],
            lows[keep],
            closes[keep],
            volume[keep],
            amount[keep],
            last[keep],
        )
        hist.close = float(opens[-1])
        hist.k += n

    def _materialize(self, hist: _History, i: int) -> Candle:
        """Generated candle ``i`` (newest first) with its prices on the tick grid."""
        o = self._snap(float(hist.open[i]))
        c = self._snap(float(hist.close_[i]))
        h = max(self._snap(float(hist.high[i])), o, c)
        lo = min(self._snap(float(hist.low[i])), o, c)
        return Candle(
            int(hist.start[i]), o, h, lo, c, float(hist.volume[i]), float(hist.amount[i]),
            int(hist.last[i]),
        )  # fmt: skip

    def recent_trades(self, count: int, before_seq: int | None = None) -> list[Trade]:
        """Up to ``count`` trades, newest first, older than ``before_seq`` when given. Trades
        before the start are generated once, deterministically."""
        out: list[Trade] = []
        for t in reversed(self.tape):
            if before_seq is None or t.seq < before_seq:
                out.append(t)
                if len(out) >= count:
                    return out
        for t in self._pre_tape():
            if before_seq is None or t.seq < before_seq:
                out.append(t)
                if len(out) >= count:
                    break
        return out

    def _pre_tape(self) -> list[Trade]:
        if self._prehistory is None:
            rng = random.Random(f"{self.market.seed}:{self.venue}:{self.symbol}:tape")
            rate = max(self.spec.rate * self.market.intensity, 0.002)
            ts = self._first_ts
            price = mid = self.start_price
            tick = self.tick
            sig = self.base.sigma if self.base.kind == "crypto" else 0.002 / math.sqrt(86400.0)
            trades: list[Trade] = []
            side, size = self._first_side, self._first_size
            for _ in range(TAPE):
                trades.append(
                    Trade(self, price, size, side, ts, ts * 1000, self._prev_close, self.best())
                )
                gap = 0.001 + rng.expovariate(rate)
                ts -= 1 + int(gap * 1000)
                # Fair value walks back in time at the coin's volatility; takers buy at the
                # ask and sell at the bid around it (a one-tick spread).
                mid *= math.exp(rng.gauss(0.0, sig * math.sqrt(gap)))
                side = "buy" if rng.random() < 0.5 else "sell"
                bid = snap_down(mid, tick)
                price = tick_above(bid, tick) if side == "buy" or bid <= 0 else bid
                usd = self.trade_usd * math.exp(rng.gauss(0.0, 1.4))
                size = max(round(usd / (price * self.quote.usd), 8), 1e-8)
            self._prehistory = trades
        return self._prehistory


# ---------------------------------------------------------------------------- the process


class MarketProcess:
    """All assets and listings; advance with :meth:`step`. Deterministic for a seed."""

    def __init__(
        self,
        seed: int = 1,
        *,
        intensity: float = 1.0,
        kimchi_premium: float = 0.0,
        start_ms: float | None = None,
        premiums: Mapping[str, float] | None = None,
        venue_noise: float = 1.0,
    ) -> None:
        self.seed = seed
        self.intensity = max(0.0, intensity)
        self.kimchi_premium = kimchi_premium
        self.premiums: dict[str, float] = dict(premiums or {})
        self.venue_noise = max(0.0, venue_noise)
        self.start_ms = float(time.time() * 1000 if start_ms is None else start_ms)
        self.now_ms = self.start_ms
        self.rng = random.Random(f"market:{seed}")
        self._hm = 0.0
        self.assets: dict[str, Asset] = {}
        self._listings: dict[tuple[str, str], Listing] = {}
        self._order: list[Listing] = []
        self._pending: dict[Listing, None] = {}
        self.asset("BTC")

    # -- assets
    def asset(self, symbol: str) -> Asset:
        a = self.assets.get(symbol)
        if a is not None:
            return a
        rng = random.Random(f"{self.seed}:asset:{symbol}")
        if symbol in FIAT_RATES:
            rate = FIAT_RATES[symbol] * (1.0 + rng.uniform(-0.01, 0.012))
            a = Asset(symbol, 1.0 / rate, 0.0, 0.0, "fiat")
        elif symbol in STABLES:
            a = Asset(symbol, 1.0, 0.0, 0.0, "stable")
        else:
            usd = REFERENCE_USD.get(symbol)
            if usd is None:
                usd = math.exp(rng.uniform(math.log(0.005), math.log(5.0)))
            usd *= math.exp(rng.gauss(0.0, 0.03))
            if symbol == "BTC":
                vol, rho = 0.5, 1.0
            elif symbol in MAJORS:
                vol, rho = rng.uniform(0.6, 0.9), rng.uniform(0.75, 0.9)
            else:
                vol, rho = rng.uniform(0.9, 1.6), rng.uniform(0.45, 0.75)
            a = Asset(symbol, usd, vol / math.sqrt(YEAR_S), rho, "crypto")
        self.assets[symbol] = a
        return a

    def fair_usd(self, symbol: str) -> float:
        """The global fair value of one unit of ``symbol`` in USD."""
        return self.asset(symbol).usd

    @property
    def krw_per_usd(self) -> float:
        return 1.0 / self.asset("KRW").usd

    def premium_pct(self, venue: str) -> float:
        """The premium, in %, of ``venue``'s premium listings over the bank rate."""
        return self.premiums.get(venue, self.kimchi_premium)

    def pump(self, base: str, pct: float, seconds: float, retrace: float = 0.5) -> None:
        """Force a pump (pct > 0) or dump (pct < 0) of ``base`` over ``seconds``."""
        self.asset(base).pump = Pump(pct / 100.0, max(seconds, 0.1), retrace, max(seconds, 0.1) * 3)

    # -- listings
    def add_listing(self, spec: ListingSpec) -> Listing:
        key = (spec.venue, spec.symbol)
        if key in self._listings:
            raise ValueError(f"{spec.venue} {spec.symbol} is already listed")
        listing = Listing(spec, self)
        self._listings[key] = listing
        self._order.append(listing)
        return listing

    def listing(self, venue: str, symbol: str) -> Listing | None:
        return self._listings.get((venue, symbol))

    def listings(self, venue: str | None = None) -> list[Listing]:
        return [x for x in self._order if venue is None or x.venue == venue]

    # -- time
    def step(self, dt: float) -> StepResult:
        """Advance the clock by ``dt`` seconds; returns what happened."""
        if dt <= 0:
            return StepResult(int(self.now_ms))
        t0 = self.now_ms
        self.now_ms = t1 = t0 + dt * 1000.0
        self._advance_assets(dt)
        res = StepResult(int(t1))
        for listing in self._order:
            listing._step(dt, t0, t1, res)
        if len(res.tickers) > 1:
            res.trades.sort(key=lambda t: t.ts)
        self._due_candles(int(t1), res)
        return res

    def _due_candles(self, now: int, res: StepResult) -> None:
        done = []
        for listing in self._pending:
            if now - listing._candle_emit < 1000:
                continue
            for unit, candle in listing._closing:
                res.candles.append((listing, unit, candle))
            listing._closing.clear()
            for unit in CANDLE_UNITS:
                res.candles.append((listing, unit, listing.candles[unit]))
            listing._candle_emit = now
            done.append(listing)
        for listing in done:
            del self._pending[listing]

    def _advance_assets(self, dt: float) -> None:
        rng = self.rng
        gauss = rng.gauss
        sq = math.sqrt(dt)
        zm = gauss(0.0, 1.0)
        self._hm = min(
            3.0, max(-3.0, self._hm - _KAPPA * self._hm * dt + _ALPHA * (zm * zm - 1.0) * sq)
        )
        hm = self._hm
        if rng.random() < _PUMP_RATE * dt:
            self._start_pump()
        for a in self.assets.values():
            if a.kind == "crypto":
                if a.rho >= 1.0:
                    eps = zm
                else:
                    eps = a.rho * zm + math.sqrt(1.0 - a.rho * a.rho) * gauss(0.0, 1.0)
                a.h = min(3.0, max(-3.0, a.h - _KAPPA * a.h * dt + _ALPHA * (eps * eps - 1.0) * sq))
                sig = a.sigma * math.exp(0.3 * hm + 0.3 * a.h)
                r = sig * sq * eps - 0.5 * sig * sig * dt
                if a.pump is not None:
                    r += a.pump.drift * dt
                    a.pump.elapsed += dt
                    if a.pump.done:
                        a.pump = None
                a.usd *= math.exp(r)
            elif a.kind == "stable":
                # Within ~0.015 % of the dollar (stationary spread), reverting in minutes.
                a.x += -a.x * dt / _PEG_S + _PEG_SIGMA * sq * gauss(0.0, 1.0)
                a.usd = 1.0 + a.x
            else:
                a.x += -a.x * dt / 3600.0 + 0.00005 * sq * gauss(0.0, 1.0)
                a.x = min(0.02, max(-0.02, a.x))
                a.usd = a.anchor * math.exp(-a.x)

    def _start_pump(self) -> None:
        rng = self.rng
        if sum(1 for a in self.assets.values() if a.pump is not None) >= _MAX_PUMPS:
            return
        names = [s for s, a in self.assets.items() if a.kind == "crypto" and s not in MAJORS]
        if not names:
            return
        a = self.assets[rng.choice(names)]
        sign = 1.0 if rng.random() < 0.7 else -1.0
        rise = rng.uniform(20.0, 240.0)
        a.pump = Pump(
            sign * rng.uniform(0.05, 0.20),
            rise,
            rng.uniform(0.3, 0.8),
            rise * rng.uniform(2.0, 5.0),
        )
