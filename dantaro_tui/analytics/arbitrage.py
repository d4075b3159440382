"""Kimchi premium and cross-exchange arbitrage: pure math, no I/O.

Prices are compared in KRW. An OKX ``<COIN>-USDT`` price is converted with the live
USDT/KRW rate (Upbit ``KRW-USDT``).

* **Premium** (the "kimchi premium"): ``upbit_krw / (okx_usdt * usdt_krw) - 1``. Positive =
  the coin is dearer in Korea; negative = a reverse premium (discount).
* **Net spread**, for each direction: buy on venue A at A's best ask paying A's taker fee,
  sell on venue B at B's best bid paying B's taker fee::

      cost     = ask_A * (1 + fee_A)        KRW per coin
      proceeds = bid_B * (1 - fee_B)        KRW per coin
      net %    = proceeds / cost - 1
      net KRW  = proceeds - cost            per coin
      size     = min(ask size on A, bid size on B)     coins, top of book only

  Transfer time, withdrawal fees and the cost of moving KRW or USDT are not included:
  the figure says whether the books cross after trading fees, not that a round trip pays.
* **Deviation and VWAP** (pandas): over a rolling window of trades, each venue's VWAP (in
  KRW), the cross-venue VWAP, each venue's deviation from it; over a rolling window of
  premium samples, the premium's mean, spread and how unusual the current value is (z).
* **Alerts**: a premium or a net spread *crossing* a threshold fires once; the rule re-arms
  when the value falls back below the threshold by a hysteresis margin.

Every price is a ``float``; ``0.0`` means "not known" (as in :mod:`dantaro_tui.model`), and a
figure that cannot be computed is ``None``.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, cast

import pandas as pd

from dantaro_tui.analytics.alerts import Alert, AlertKind, Crossings
from dantaro_tui.analytics.premium_venues import GLOBAL_VENUES as GLOBAL_VENUES
from dantaro_tui.analytics.premium_venues import TAKER_FEE_PCT as TAKER_FEE_PCT

UPBIT = "upbit"
OKX = "okx"
# The legs: Upbit and "the global venue". The global leg keeps the key ``OKX`` (its
# first venue) in rows, samples and the VWAP window; which exchange stands behind it is
# the screen's choice: Binance by default (the venue traders quote the premium against),
# OKX or Gate.io.
VENUES = (UPBIT, OKX)
RATE_SYMBOL = "KRW-USDT"  # the Upbit market that prices USDT in KRW

Basis = Literal["last", "mid"]
SortKey = Literal["premium", "spread", "profit", "size", "coin", "upbit", "okx"]
SORT_KEYS: tuple[SortKey, ...] = ("premium", "spread", "profit", "size", "coin", "upbit", "okx")


def upbit_symbol(coin: str) -> str:
    return f"KRW-{coin.upper()}"


def okx_symbol(coin: str) -> str:
    return f"{coin.upper()}-USDT"


def global_symbol(venue: str, coin: str) -> str:
    """``coin``'s USDT spot market as ``venue`` writes it."""
    coin = coin.upper()
    if venue == "binance":
        return f"{coin}USDT"
    if venue == "gateio":
        return f"{coin}_USDT"
    return f"{coin}-USDT"


class TopOfBook(Protocol):
    """What the math needs of a venue's quote (``feed.collector.Quote`` fits)."""

    @property
    def price(self) -> float: ...  # last trade price, 0.0 = unknown
    @property
    def bid(self) -> float: ...
    @property
    def ask(self) -> float: ...
    @property
    def bid_size(self) -> float: ...
    @property
    def ask_size(self) -> float: ...


@dataclass(frozen=True, slots=True)
class Top:
    """A plain top of book (tests, replays, callers without a collector)."""

    price: float
    bid: float = 0.0
    ask: float = 0.0
    bid_size: float = 0.0
    ask_size: float = 0.0


def _pos(x: float | None) -> bool:
    return x is not None and math.isfinite(x) and x > 0


def reference_price(q: TopOfBook | None, basis: Basis = "last") -> float:
    """The price a premium is computed on: the last trade (``"last"``, the convention of
    premium boards) or the book's mid (``"mid"``); each falls back to the other. 0.0 when
    neither is known or the book is crossed."""
    if q is None:
        return 0.0
    mid = (q.bid + q.ask) / 2.0 if _pos(q.bid) and _pos(q.ask) and q.bid < q.ask else 0.0
    last = q.price if _pos(q.price) else 0.0
    if basis == "mid":
        return mid or last
    return last or mid


def premium(upbit_krw: float, okx_usdt: float, usdt_krw: float) -> float | None:
    """``upbit_krw / (okx_usdt * usdt_krw) - 1`` as a fraction; None if a price is missing."""
    if not (_pos(upbit_krw) and _pos(okx_usdt) and _pos(usdt_krw)):
        return None
    return upbit_krw / (okx_usdt * usdt_krw) - 1.0


@dataclass(frozen=True, slots=True)
class Fees:
    """Taker fees in percent of the traded value (Upbit KRW market 0.05 %, OKX spot 0.1 %)."""

    upbit_pct: float = 0.05
    okx_pct: float = 0.1

    def pct(self, venue: str) -> float:
        return self.upbit_pct if venue == UPBIT else self.okx_pct


@dataclass(frozen=True, slots=True)
class Opportunity:
    """Buy on ``buy_venue`` at its best ask, sell on ``sell_venue`` at its best bid (KRW)."""

    buy_venue: str
    sell_venue: str
    buy_price: float  # best ask on the buy venue, KRW, before fee
    sell_price: float  # best bid on the sell venue, KRW, before fee
    cost: float  # KRW paid per coin, fee included
    proceeds: float  # KRW received per coin, fee deducted
    size: float  # coins available at both prices (0.0 = a book size is unknown)

    @property
    def net_krw(self) -> float:
        """KRW earned (negative: lost) per coin."""
        return self.proceeds - self.cost

    @property
    def net_pct(self) -> float:
        return (self.proceeds / self.cost - 1.0) * 100.0

    @property
    def profit_krw(self) -> float:
        """KRW earned on ``size`` coins (0.0 when the size is unknown)."""
        return self.net_krw * self.size

    @property
    def label(self) -> str:
        return f"{self.buy_venue}→{self.sell_venue}"


def net_spread(
    buy_venue: str,
    buy_ask: float,
    buy_ask_size: float,
    buy_fee_pct: float,
    sell_venue: str,
    sell_bid: float,
    sell_bid_size: float,
    sell_fee_pct: float,
) -> Opportunity | None:
    """Buy at ``buy_ask`` (+ fee), sell at ``sell_bid`` (- fee); prices in one currency,
    sizes in coins. None when either price is unknown."""
    if not (_pos(buy_ask) and _pos(sell_bid)):
        return None
    cost = buy_ask * (1.0 + buy_fee_pct / 100.0)
    proceeds = sell_bid * (1.0 - sell_fee_pct / 100.0)
    sizes = (buy_ask_size, sell_bid_size)
    size = min(sizes) if all(_pos(s) for s in sizes) else 0.0
    return Opportunity(buy_venue, sell_venue, buy_ask, sell_bid, cost, proceeds, size)


@dataclass(frozen=True, slots=True)
class ArbRow:
    """One coin on both venues. Prices 0.0 / figures None when not (yet) known."""

    coin: str
    upbit_krw: float  # reference price on Upbit, KRW
    okx_usdt: float  # reference price on OKX, USDT
    usdt_krw: float  # the rate used
    premium_pct: float | None
    upbit_to_okx: Opportunity | None  # buy on Upbit, sell on OKX
    okx_to_upbit: Opportunity | None  # buy on OKX, sell on Upbit

    @property
    def okx_krw(self) -> float:
        return self.okx_usdt * self.usdt_krw if _pos(self.okx_usdt) and _pos(self.usdt_krw) else 0.0

    @property
    def best(self) -> Opportunity | None:
        """The direction with the higher net spread."""
        legs = [o for o in (self.upbit_to_okx, self.okx_to_upbit) if o is not None]
        return max(legs, key=lambda o: o.net_pct) if legs else None

    @property
    def net_pct(self) -> float | None:
        best = self.best
        return None if best is None else best.net_pct

    @property
    def size(self) -> float | None:
        best = self.best
        return None if best is None or not best.size else best.size

    @property
    def profit_krw(self) -> float | None:
        best = self.best
        return None if best is None or not best.size else best.profit_krw


def compute_row(
    coin: str,
    upbit: TopOfBook | None,
    okx: TopOfBook | None,
    usdt_krw: float,
    fees: Fees | None = None,
    *,
    basis: Basis = "last",
    okx_size_multiplier: float = 1.0,
) -> ArbRow:
    """The premium and both directions' net spread of ``coin``.

    ``upbit`` is ``KRW-<coin>`` (KRW), ``okx`` is ``<coin>-USDT`` (USDT); ``usdt_krw`` is the
    USDT/KRW rate (see :func:`reference_price` on ``KRW-USDT``). ``okx_size_multiplier``
    turns OKX book sizes into coins (1 for spot; the contract value for a swap).
    """
    fees = fees or Fees()
    up_px = reference_price(upbit, basis)
    okx_px = reference_price(okx, basis)
    rate = usdt_krw if _pos(usdt_krw) else 0.0
    prem = premium(up_px, okx_px, rate)
    u2o = o2u = None
    if upbit is not None and okx is not None and rate:
        mult = okx_size_multiplier
        u2o = net_spread(
            UPBIT, upbit.ask, upbit.ask_size, fees.upbit_pct,
            OKX, okx.bid * rate, okx.bid_size * mult, fees.okx_pct,
        )  # fmt: skip
        o2u = net_spread(
            OKX, okx.ask * rate, okx.ask_size * mult, fees.okx_pct,
            UPBIT, upbit.bid, upbit.bid_size, fees.upbit_pct,
        )  # fmt: skip
    return ArbRow(
        coin=coin.upper(),
        upbit_krw=up_px,
        okx_usdt=okx_px,
        usdt_krw=rate,
        premium_pct=None if prem is None else prem * 100.0,
        upbit_to_okx=u2o,
        okx_to_upbit=o2u,
    )


# ---------------------------------------------------------------------------- sorting

_SORT_VALUE: dict[str, Callable[[ArbRow], float | str | None]] = {
    "premium": lambda r: r.premium_pct,
    "spread": lambda r: r.net_pct,
    "profit": lambda r: r.profit_krw,
    "size": lambda r: None if r.size is None or not r.upbit_krw else r.size * r.upbit_krw,
    "coin": lambda r: r.coin,
    "upbit": lambda r: r.upbit_krw or None,
    "okx": lambda r: r.okx_usdt or None,
}
# The direction a trader wants first: the biggest premium/spread on top, coins A to Z.
DEFAULT_DESCENDING = {"premium": True, "spread": True, "profit": True, "size": True,
                      "coin": False, "upbit": True, "okx": True}  # fmt: skip


def sort_rows(rows: Iterable[ArbRow], key: str = "premium", reverse: bool = False) -> list[ArbRow]:
    """Rows in ``key``'s natural order (``reverse`` flips it); unknown values always last,
    ties by coin. ``size`` sorts by the KRW value of the executable size."""
    try:
        value = _SORT_VALUE[key]
    except KeyError:
        raise ValueError(f"unknown sort key {key!r}; one of {', '.join(SORT_KEYS)}") from None
    descending = DEFAULT_DESCENDING[key] != reverse
    known = [(value(r), r) for r in rows]
    missing = sorted((r for v, r in known if v is None), key=lambda r: r.coin)
    present = [(v, r) for v, r in known if v is not None]
    present.sort(key=lambda vr: vr[1].coin)  # stable: ties stay A to Z
    present.sort(key=lambda vr: vr[0], reverse=descending)
    return [r for _, r in present] + missing


# ---------------------------------------------------------------------------- alerts

ArbAlertKind = Literal["premium", "discount", "arbitrage"]
ARB_KINDS: tuple[ArbAlertKind, ...] = ("premium", "discount", "arbitrage")


@dataclass(frozen=True, slots=True)
class ArbAlertConfig:
    premium_pct: float = 5.0  # premium at or above +this (or a discount at or below -this)
    spread_pct: float = 0.5  # best net spread at or above this
    hysteresis_pct: float = 0.2  # re-arm once back below threshold - this
    cooldown_s: float = 60.0  # per coin and kind: no repeat within this time
    alert_on_first: bool = False  # may the very first observation count as a crossing?
    log_size: int = 200


@dataclass
class ArbAlertEngine:
    """Threshold crossings of premium and net spread, with hysteresis and a cooldown.

    A coin already above a threshold when first seen is not announced (unless
    ``alert_on_first``); changing a threshold keeps each rule's state, so lowering it below
    a current value fires on the next check. Alerts reuse :class:`~.alerts.Alert` with kinds
    ``premium``, ``discount`` and ``arbitrage`` and ``value`` as a fraction.
    """

    config: ArbAlertConfig = field(default_factory=ArbAlertConfig)
    global_name: str = "OKX"  # the global venue as the messages name it
    log: deque[Alert] = field(init=False)
    _rules: Crossings = field(init=False, default_factory=Crossings)

    def __post_init__(self) -> None:
        self.log = deque(maxlen=self.config.log_size)

    def reconfigure(self, config: ArbAlertConfig) -> None:
        self.config = config
        self.log = deque(self.log, maxlen=config.log_size)

    def reset(self) -> None:
        self._rules.clear()

    def check(self, row: ArbRow, time_ms: int | None = None) -> list[Alert]:
        now = int(time.time() * 1000) if time_ms is None else time_ms
        cfg = self.config
        cross = self._rules.cross
        hys = cfg.hysteresis_pct
        market = upbit_symbol(row.coin)
        out: list[Alert] = []
        prem = row.premium_pct
        if prem is not None:
            thr = cfg.premium_pct
            if cross(cfg, market, "premium", prem, thr, thr - hys, now):
                msg = (
                    f"{row.coin} premium {prem:+.2f}% ≥ {thr:.2f}%: Upbit"
                    f" {fmt_price(row.upbit_krw)} KRW vs {self.global_name}"
                    f" {fmt_price(row.okx_krw)} KRW"
                )
                out.append(_alert(now, market, "premium", msg, prem / 100.0))
            if cross(cfg, market, "discount", -prem, thr, thr - hys, now):
                msg = (
                    f"{row.coin} reverse premium {prem:+.2f}% ≤ -{thr:.2f}%: Upbit"
                    f" {fmt_price(row.upbit_krw)} KRW vs {self.global_name}"
                    f" {fmt_price(row.okx_krw)} KRW"
                )
                out.append(_alert(now, market, "discount", msg, prem / 100.0))
        best = row.best
        if best is not None:
            thr = cfg.spread_pct
            net = best.net_pct
            if cross(cfg, market, "arbitrage", net, thr, thr - hys, now):
                size = f", {fmt_price(best.size)} {row.coin} available" if best.size else ""
                msg = (
                    f"{row.coin} net spread {net:+.2f}% ≥ {thr:.2f}% after fees: buy"
                    f" {best.buy_venue} {fmt_price(best.buy_price)}, sell {best.sell_venue}"
                    f" {fmt_price(best.sell_price)} KRW{size}"
                )
                out.append(_alert(now, market, "arbitrage", msg, net / 100.0))
        self.log.extend(out)
        return out


def fmt_price(x: float) -> str:
    """``147,280,000`` / ``1,412.3`` / ``0.0183``: up to 8 significant digits, no exponent."""
    if not _pos(x):
        return "—"
    decimals = max(0, min(8, 7 - math.floor(math.log10(x))))
    text = f"{x:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if decimals else text


def _alert(time_ms: int, market: str, kind: ArbAlertKind, message: str, value: float) -> Alert:
    # The shared Alert type; its kind vocabulary grows with the arbitrage kinds.
    return Alert(time_ms, market, cast(AlertKind, kind), message, value)


# ---------------------------------------------------------------------------- deviation, VWAP

TRADE_COLUMNS = ("time", "coin", "venue", "price", "size")
SAMPLE_COLUMNS = ("time", "coin", "upbit_krw", "okx_krw", "premium_pct")
ANALYSIS_COLUMNS = (
    "vwap_upbit", "vwap_okx", "vwap", "volume_upbit", "volume_okx",
    "dev_upbit_pct", "dev_okx_pct", "vwap_premium_pct",
    "premium_last", "premium_mean", "premium_std", "premium_min", "premium_max", "premium_z",
    "samples",
)  # fmt: skip


def venue_vwap(trades: pd.DataFrame) -> pd.DataFrame:
    """VWAP and volume per (coin, venue): columns ``vwap``, ``volume``, ``trades``.

    ``trades`` has columns ``coin, venue, price, size`` (prices in the venue's own quote).
    """
    if trades.empty:
        idx = pd.MultiIndex.from_arrays([[], []], names=["coin", "venue"])
        return pd.DataFrame({"vwap": [], "volume": [], "trades": []}, index=idx)
    df = trades.loc[
        (trades["price"] > 0) & (trades["size"] > 0), ["coin", "venue", "price", "size"]
    ]
    df = df.assign(notional=df["price"] * df["size"])
    g = df.groupby(["coin", "venue"], sort=True)
    out = g.agg(notional=("notional", "sum"), volume=("size", "sum"), trades=("size", "size"))
    out["vwap"] = out["notional"] / out["volume"]
    return out[["vwap", "volume", "trades"]]


def cross_venue_vwap(trades: pd.DataFrame, usdt_krw: float) -> pd.DataFrame:
    """Per coin: each venue's VWAP in KRW (OKX's USDT VWAP times ``usdt_krw``), the
    cross-venue VWAP (all trades' KRW value / all coins traded), the volumes and each
    venue's deviation from the cross-venue VWAP in %."""
    cols = ["vwap_upbit", "vwap_okx", "vwap", "volume_upbit", "volume_okx",
            "dev_upbit_pct", "dev_okx_pct", "vwap_premium_pct"]  # fmt: skip
    per = venue_vwap(trades)
    if per.empty or not _pos(usdt_krw):
        return pd.DataFrame(columns=cols, index=pd.Index([], name="coin"), dtype=float)
    wide = per.unstack("venue")
    out = pd.DataFrame(index=wide.index)
    for venue in VENUES:
        scale = usdt_krw if venue == OKX else 1.0
        vwap = wide["vwap"][venue] if venue in wide["vwap"] else pd.Series(float("nan"), wide.index)
        vol = wide["volume"][venue] if venue in wide["volume"] else pd.Series(0.0, wide.index)
        out[f"vwap_{venue}"] = vwap * scale
        out[f"volume_{venue}"] = vol.fillna(0.0)
    notional = (out["vwap_upbit"] * out["volume_upbit"]).fillna(0.0) + (
        out["vwap_okx"] * out["volume_okx"]
    ).fillna(0.0)
    volume = out["volume_upbit"] + out["volume_okx"]
    out["vwap"] = notional / volume.where(volume > 0)
    out["dev_upbit_pct"] = (out["vwap_upbit"] / out["vwap"] - 1.0) * 100.0
    out["dev_okx_pct"] = (out["vwap_okx"] / out["vwap"] - 1.0) * 100.0
    out["vwap_premium_pct"] = (out["vwap_upbit"] / out["vwap_okx"] - 1.0) * 100.0
    out.index.name = "coin"
    return out[cols]


def premium_stats(samples: pd.DataFrame) -> pd.DataFrame:
    """Per coin over the samples (columns ``time, coin, premium_pct``): last, mean, standard
    deviation, min, max, and ``premium_z`` = (last - mean) / std (how unusual the current
    premium is against its own recent history; NaN while std is 0 or one sample)."""
    cols = ["premium_last", "premium_mean", "premium_std", "premium_min", "premium_max",
            "premium_z", "samples"]  # fmt: skip
    df = samples.dropna(subset=["premium_pct"]) if not samples.empty else samples
    if df.empty:
        return pd.DataFrame(columns=cols, index=pd.Index([], name="coin"), dtype=float)
    df = df.sort_values("time", kind="stable")
    g = df.groupby("coin", sort=True)["premium_pct"]
    out = g.agg(
        premium_last="last", premium_mean="mean", premium_std="std",
        premium_min="min", premium_max="max", samples="size",
    )  # fmt: skip
    std = out["premium_std"].where(out["premium_std"] > 1e-12)
    out["premium_z"] = (out["premium_last"] - out["premium_mean"]) / std
    return out[cols]


class CrossVenueWindow:
    """A rolling window of trades and premium samples, analysed with pandas on demand.

    Feed it from callbacks (cheap appends); call :meth:`analyze` on a slow cadence
    (every 1-5 s). Trades keep the venue's own prices (OKX in USDT); :meth:`analyze`
    converts with the rate it is given, so a trade that arrived before the rate did still
    counts.
    """

    def __init__(
        self,
        window_s: float = 300.0,
        *,
        max_trades: int = 200_000,
        max_samples: int = 100_000,
        sample_every_s: float = 1.0,
    ) -> None:
        self.window_s = window_s
        self.sample_every_s = sample_every_s
        self._trades: deque[tuple[float, str, str, float, float]] = deque(maxlen=max_trades)
        self._samples: deque[tuple[float, str, float, float, float]] = deque(maxlen=max_samples)
        self._last_sample: dict[str, float] = {}

    def add_trade(self, coin: str, venue: str, time_s: float, price: float, size: float) -> None:
        """A trade of ``coin`` on ``venue`` (price in the venue's quote: KRW or USDT)."""
        if _pos(price) and _pos(size):
            self._trades.append((time_s, coin, venue, price, size))

    def add_sample(self, row: ArbRow, time_s: float | None = None) -> bool:
        """Record ``row``'s premium (at most once per ``sample_every_s`` per coin)."""
        if row.premium_pct is None:
            return False
        now = time.time() if time_s is None else time_s
        last = self._last_sample.get(row.coin)
        if last is not None and now - last < self.sample_every_s:
            return False
        self._last_sample[row.coin] = now
        self._samples.append((now, row.coin, row.upbit_krw, row.okx_krw, row.premium_pct))
        return True

    def trim(self, now: float | None = None) -> None:
        cutoff = (time.time() if now is None else now) - self.window_s
        for dq in (self._trades, self._samples):
            while dq and dq[0][0] < cutoff:
                dq.popleft()

    def trades_frame(self) -> pd.DataFrame:
        return pd.DataFrame(list(self._trades), columns=list(TRADE_COLUMNS))

    def samples_frame(self) -> pd.DataFrame:
        return pd.DataFrame(list(self._samples), columns=list(SAMPLE_COLUMNS))

    def snapshot(self, now: float | None = None) -> WindowSnapshot:
        """Trim, then copy the window (cheap): :func:`analyze_snapshot` may then run in a
        thread while callbacks keep appending here."""
        self.trim(now)
        return WindowSnapshot(list(self._trades), list(self._samples))

    def analyze(self, usdt_krw: float, now: float | None = None) -> pd.DataFrame:
        """One row per coin seen, columns :data:`ANALYSIS_COLUMNS` (NaN where unknown)."""
        return analyze_snapshot(self.snapshot(now), usdt_krw)


@dataclass(frozen=True, slots=True)
class WindowSnapshot:
    trades: list[tuple[float, str, str, float, float]]
    samples: list[tuple[float, str, float, float, float]]


def analyze_snapshot(snap: WindowSnapshot, usdt_krw: float) -> pd.DataFrame:
    """VWAP/deviation (:func:`cross_venue_vwap`) joined with :func:`premium_stats`, one row
    per coin, columns :data:`ANALYSIS_COLUMNS`."""
    trades = pd.DataFrame(snap.trades, columns=list(TRADE_COLUMNS))
    samples = pd.DataFrame(snap.samples, columns=list(SAMPLE_COLUMNS))
    out = cross_venue_vwap(trades, usdt_krw).join(premium_stats(samples), how="outer")
    for col in ANALYSIS_COLUMNS:
        if col not in out:
            out[col] = float("nan")
    out.index.name = "coin"
    return out[list(ANALYSIS_COLUMNS)]


def coins_on_both(upbit_symbols: Iterable[str], okx_symbols: Iterable[str]) -> list[str]:
    """Coins with an Upbit KRW market and an OKX USDT market, A to Z (USDT itself excluded)."""
    up = {s.split("-", 1)[1] for s in upbit_symbols if s.startswith("KRW-")}
    ok = {s.rsplit("-", 1)[0] for s in okx_symbols if s.endswith("-USDT") and s.count("-") == 1}
    return sorted((up & ok) - {"USDT"})


def markets_for(coins: Sequence[str], global_venue: str = OKX) -> dict[str, list[str]]:
    """The collector's market map for ``coins``: Upbit ``KRW-<coin>`` plus ``KRW-USDT``,
    and each coin's USDT market on ``global_venue``."""
    upbit = [upbit_symbol(c) for c in coins]
    if RATE_SYMBOL not in upbit:
        upbit.append(RATE_SYMBOL)
    legs = [global_symbol(global_venue, c) for c in coins if c.upper() != "USDT"]
    return {UPBIT: upbit, global_venue: legs}
