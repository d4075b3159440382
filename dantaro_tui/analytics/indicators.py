"""Chart indicators over candle lists: pure pandas functions, no UI, no I/O.

Candles from a live feed repeat the same ``open_time`` while a bar is forming; every
function here keeps only the newest version of each bar and orders bars by time, so
callers can pass the raw list they accumulated.

    frame = candles_frame(candles)          # open/high/low/close/volume indexed by time
    line = vwap(candles)                    # Series, same index
    bands = bollinger(candles, window=20)   # DataFrame: mid, upper, lower, width
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

import numpy as np
import pandas as pd

from dantaro_tui.model import Candle

_COLUMNS = ["open", "high", "low", "close", "volume", "quote_volume"]

Anchor = Literal["none", "day"]


def candles_frame(candles: Iterable[Candle]) -> pd.DataFrame:
    """Candles as a DataFrame indexed by bar start (UTC ``DatetimeIndex``, name ``time``).

    The last candle seen for an ``open_time`` wins (a forming bar is updated in place).
    """
    rows: dict[int, tuple[float, float, float, float, float, float]] = {}
    for c in candles:
        rows[c.open_time] = (c.open, c.high, c.low, c.close, c.volume, c.quote_volume)
    if not rows:
        return pd.DataFrame(
            columns=_COLUMNS, index=pd.DatetimeIndex([], tz="UTC", name="time"), dtype=float
        )
    times = sorted(rows)
    frame = pd.DataFrame([rows[t] for t in times], columns=_COLUMNS, dtype=float)
    frame.index = pd.DatetimeIndex(pd.to_datetime(times, unit="ms", utc=True), name="time")
    return frame


def _frame(candles: Iterable[Candle] | pd.DataFrame) -> pd.DataFrame:
    return candles if isinstance(candles, pd.DataFrame) else candles_frame(candles)


def vwap(candles: Iterable[Candle] | pd.DataFrame, anchor: Anchor = "none") -> pd.Series:
    """Volume-weighted average price of the typical price ``(high + low + close) / 3``.

    ``anchor="day"`` restarts the average at each UTC day (the usual intraday VWAP);
    ``"none"`` accumulates over the whole list. Before the first traded volume the value
    is NaN; bars without volume carry the previous value.
    """
    frame = _frame(candles)
    typical = (frame["high"] + frame["low"] + frame["close"]) / 3.0
    pv = typical * frame["volume"]
    vol = frame["volume"]
    if anchor == "day" and len(frame):
        day = frame.index.floor("D")
        cum_pv = pv.groupby(day).cumsum()
        cum_vol = vol.groupby(day).cumsum()
    else:
        cum_pv = pv.cumsum()
        cum_vol = vol.cumsum()
    out = cum_pv / cum_vol.where(cum_vol > 0.0, np.nan)
    out.name = "vwap"
    return out


def bollinger(
    candles: Iterable[Candle] | pd.DataFrame, window: int = 20, k: float = 2.0
) -> pd.DataFrame:
    """Bollinger bands on the close: ``mid`` = simple moving average over ``window`` bars,
    ``upper``/``lower`` = mid +/- ``k`` population standard deviations (ddof=0, as John
    Bollinger defines it), ``width`` = (upper - lower) / mid. NaN until ``window`` bars exist.
    """
    if window < 2:
        raise ValueError("window must be at least 2 bars")
    close = _frame(candles)["close"]
    roll = close.rolling(window, min_periods=window)
    mid = roll.mean()
    std = roll.std(ddof=0)
    upper = mid + k * std
    lower = mid - k * std
    width = (upper - lower) / mid.where(mid != 0.0, np.nan)
    return pd.DataFrame({"mid": mid, "upper": upper, "lower": lower, "width": width})
