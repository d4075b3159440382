"""VWAP and Bollinger bands over candle lists."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from dantaro_tui.analytics.indicators import bollinger, candles_frame, vwap
from dantaro_tui.model import Candle

T0 = 1_700_006_400_000  # 2023-11-15 00:00 UTC
MIN = 60_000


def candle(
    i: int,
    close: float,
    volume: float = 1.0,
    high: float | None = None,
    low: float | None = None,
    t0: int = T0,
) -> Candle:
    return Candle(
        exchange="upbit",
        symbol="KRW-BTC",
        base="BTC",
        quote="KRW",
        interval="1m",
        open_time=t0 + i * MIN,
        open=close,
        high=close if high is None else high,
        low=close if low is None else low,
        close=close,
        volume=volume,
    )


def test_frame_keeps_the_newest_version_of_each_bar_in_time_order() -> None:
    bars = [candle(1, 11.0), candle(0, 10.0), candle(1, 12.0)]  # bar 1 updated while forming
    frame = candles_frame(bars)
    assert list(frame["close"]) == [10.0, 12.0]
    assert frame.index[0] == pd.Timestamp(T0, unit="ms", tz="UTC")
    assert candles_frame([]).empty


def test_vwap_weights_typical_price_by_volume() -> None:
    bars = [
        candle(0, 10.0, volume=1.0, high=12.0, low=8.0),  # typical 10
        candle(1, 20.0, volume=3.0, high=21.0, low=19.0),  # typical 20
    ]
    line = vwap(bars)
    assert line.iloc[0] == pytest.approx(10.0)
    assert line.iloc[1] == pytest.approx((10.0 * 1 + 20.0 * 3) / 4)


def test_vwap_without_volume_is_nan_then_carries() -> None:
    line = vwap([candle(0, 10.0, volume=0.0), candle(1, 20.0, volume=2.0), candle(2, 30.0, 0.0)])
    assert math.isnan(line.iloc[0])
    assert line.iloc[1] == pytest.approx(20.0)
    assert line.iloc[2] == pytest.approx(20.0)


def test_vwap_day_anchor_restarts_each_utc_day() -> None:
    day = 1440
    bars = [candle(day - 1, 10.0), candle(day, 50.0), candle(day + 1, 70.0)]
    assert vwap(bars).iloc[-1] == pytest.approx((10 + 50 + 70) / 3)
    assert vwap(bars, anchor="day").iloc[-1] == pytest.approx(60.0)


def test_bollinger_bands_use_population_std() -> None:
    closes = [float(c) for c in (1, 2, 3, 4, 5, 6)]
    bands = bollinger([candle(i, c) for i, c in enumerate(closes)], window=5, k=2.0)
    assert bands["mid"].isna().sum() == 4
    window = pd.Series(closes[1:6])
    mid = window.mean()
    std = window.std(ddof=0)
    last = bands.iloc[-1]
    assert last["mid"] == pytest.approx(mid)
    assert last["upper"] == pytest.approx(mid + 2 * std)
    assert last["lower"] == pytest.approx(mid - 2 * std)
    assert last["width"] == pytest.approx(4 * std / mid)


def test_bollinger_accepts_a_frame_and_validates_the_window() -> None:
    frame = candles_frame([candle(i, 100.0) for i in range(20)])
    bands = bollinger(frame)
    assert bands["upper"].iloc[-1] == pytest.approx(100.0)  # flat price: zero width
    with pytest.raises(ValueError):
        bollinger(frame, window=1)
