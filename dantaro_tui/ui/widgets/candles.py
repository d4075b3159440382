"""The candle series behind a chart: pure state, no Textual, no I/O.

``CandleSeries`` keeps up to ``MAX_BARS`` candles of one market and interval and merges the
three sources a chart has: REST history (``merge``), candle frames (``apply_candle``,
authoritative for their bucket) and trades (``apply_trade``, which move the last candle and
open the next one between candle frames, so a sparse candle stream, or an interval Upbit
does not stream (1d), still looks live). ``overlays`` is the pandas glue for VWAP and
Bollinger bands.
"""

from __future__ import annotations

from dantaro_tui.intervals import INTERVAL_MS, INTERVALS, streamed_intervals
from dantaro_tui.model import Candle, Ticker, Trade

__all__ = [
    "HISTORY",
    "INTERVALS",
    "INTERVAL_MS",
    "MAX_BARS",
    "STREAMED",
    "Bar",
    "CandleSeries",
    "bucket_of",
    "overlays",
]

STREAMED = streamed_intervals("upbit")  # what Upbit streams (candle.*): no 1d
HISTORY = 200
MAX_BARS = 600


class Bar:
    """One candle, mutable while it is the live one."""

    __slots__ = ("c", "from_trades", "h", "l", "o", "t", "v")

    def __init__(
        self,
        t: int,
        o: float,
        h: float,
        l: float,  # noqa: E741
        c: float,
        v: float,
        from_trades: bool = False,
    ) -> None:
        self.t = t
        self.o = o
        self.h = h
        self.l = l
        self.c = c
        self.v = v
        self.from_trades = from_trades

    @classmethod
    def of(cls, candle: Candle) -> Bar:
        return cls(
            candle.open_time, candle.open, candle.high, candle.low, candle.close, candle.volume
        )

    def __repr__(self) -> str:
        return f"Bar({self.t}, {self.o}, {self.h}, {self.l}, {self.c}, {self.v})"


def bucket_of(ts_ms: int, interval: str) -> int:
    size = INTERVAL_MS[interval]
    return ts_ms - ts_ms % size


class CandleSeries:
    """Candles of one market and interval, oldest first, at most ``MAX_BARS``."""

    def __init__(self, interval: str = "1m") -> None:
        self.interval = interval if interval in INTERVAL_MS else "1m"
        self.bars: list[Bar] = []
        self._by_time: dict[int, Bar] = {}

    def clear(self, interval: str | None = None) -> None:
        if interval is not None:
            self.interval = interval
        self.bars = []
        self._by_time = {}

    def merge(self, candles: list[Candle], symbol: str = "") -> None:
        """REST history under the live candles: a bucket built from trades since we
        subscribed takes REST's open, range and volume (REST knows the whole bucket)."""
        size = INTERVAL_MS[self.interval]
        for candle in candles:
            if symbol and candle.symbol and candle.symbol != symbol:
                continue
            t = candle.open_time - candle.open_time % size
            have = self._by_time.get(t)
            if have is None:
                self._by_time[t] = Bar(
                    t, candle.open, candle.high, candle.low, candle.close, candle.volume
                )
            elif have.from_trades:
                have.o = candle.open
                have.h = max(have.h, candle.high)
                have.l = min(have.l, candle.low)
                have.v = max(have.v, candle.volume)
                have.from_trades = False
        self.bars = sorted(self._by_time.values(), key=lambda b: b.t)[-MAX_BARS:]
        if len(self._by_time) > len(self.bars):
            self._by_time = {b.t: b for b in self.bars}

    def apply_trade(self, ev: Trade, count_volume: bool = True) -> None:
        """A trade moves its bucket's candle (or opens the next one); ``count_volume`` is
        False while fresh candle frames own the volume of their bucket."""
        t = bucket_of(ev.timestamp, self.interval)
        bar = self._by_time.get(t)
        if bar is None:
            if self.bars and t < self.bars[-1].t:
                return  # late trade for an old bucket: history has it
            self.add(Bar(t, ev.price, ev.price, ev.price, ev.price, ev.volume, from_trades=True))
            return
        bar.c = ev.price
        bar.h = max(bar.h, ev.price)
        bar.l = min(bar.l, ev.price)
        if count_volume:
            bar.v += ev.volume

    def apply_candle(self, ev: Candle) -> None:
        t = ev.open_time - ev.open_time % INTERVAL_MS[self.interval]
        bar = self._by_time.get(t)
        if bar is None:
            if self.bars and t < self.bars[-1].t:
                return
            self.add(Bar.of(ev))
            return
        bar.o, bar.h, bar.l, bar.c, bar.v = ev.open, ev.high, ev.low, ev.close, ev.volume
        bar.from_trades = False

    def apply_ticker(self, ev: Ticker) -> None:
        """On the daily interval the ticker's day range is the live candle's."""
        if self.interval != "1d" or not self.bars or ev.snapshot:
            return
        bar = self.bars[-1]
        if bar.t == bucket_of(ev.timestamp, "1d"):
            bar.h = max(bar.h, ev.high_price)
            bar.l = min(bar.l, ev.low_price) if ev.low_price > 0 else bar.l
            bar.c = ev.trade_price

    def add(self, bar: Bar) -> None:
        self._by_time[bar.t] = bar
        self.bars.append(bar)
        if len(self.bars) > MAX_BARS:
            old = self.bars.pop(0)
            self._by_time.pop(old.t, None)


def overlays(bars: list[Bar], vwap: bool, bollinger: bool) -> dict[str, list[float]]:
    """VWAP (anchored at each UTC day) and Bollinger bands (20, 2σ) over ``bars``, from
    ``analytics.indicators``; NaN where a value is not defined yet."""
    if not bars or not (vwap or bollinger):
        return {}
    import pandas as pd

    from dantaro_tui.analytics import indicators

    frame = pd.DataFrame(
        {
            "open": [b.o for b in bars],
            "high": [b.h for b in bars],
            "low": [b.l for b in bars],
            "close": [b.c for b in bars],
            "volume": [b.v for b in bars],
        },
        index=pd.DatetimeIndex(pd.to_datetime([b.t for b in bars], unit="ms", utc=True)),
        dtype=float,
    )
    out: dict[str, list[float]] = {}
    if vwap:
        out["vwap"] = indicators.vwap(frame, anchor="day").astype(float).tolist()
    if bollinger and len(bars) >= 2:
        bands = indicators.bollinger(frame, window=min(20, len(bars)))
        for key in ("upper", "mid", "lower"):
            out[f"bb_{key}"] = bands[key].astype(float).tolist()
    return out
