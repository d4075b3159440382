"""Candle intervals: one vocabulary for the whole app.

Our spelling ("1m", "1h", "1d") is the model's (``Candle.interval``); each codec maps it to
its venue's wire spelling and says which intervals it streams (``exchanges/*``:
``CANDLE_INTERVALS`` / ``CANDLE_BARS``). This module holds what the UI and the settings
need: the intervals a chart can show and their length, the order ``i``/``I`` cycle through,
and which of them a venue streams (asked of its codec, not repeated here).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

# Every interval a chart can show, and its length in milliseconds.
INTERVAL_MS: dict[str, int] = {
    "1m": 60_000,
    "3m": 180_000,
    "5m": 300_000,
    "10m": 600_000,
    "15m": 900_000,
    "30m": 1_800_000,
    "1h": 3_600_000,
    "4h": 14_400_000,
    "1d": 86_400_000,
}

# The intervals offered to the trader, in the order the ``i`` key cycles through them (and
# the values the settings accept).
INTERVALS: tuple[str, ...] = ("1m", "5m", "15m", "1h", "4h", "1d")

DEFAULT_INTERVAL = "1m"


def step_interval(interval: str, step: int = 1) -> str:
    """The interval ``step`` places after ``interval`` in ``INTERVALS``, wrapping around.
    From an interval outside the cycle, forward starts at the first, back at the last."""
    try:
        i = INTERVALS.index(interval)
    except ValueError:
        i = -1 if step > 0 else 0
    return INTERVALS[(i + step) % len(INTERVALS)]


def _codec_intervals(exchange: str) -> Iterable[str]:
    """Our spellings of the candle intervals ``exchange``'s WebSocket codec streams."""
    if exchange == "upbit":
        from dantaro_tui.exchanges import upbit

        return upbit.CANDLE_INTERVALS
    if exchange == "okx":
        from dantaro_tui.exchanges import okx

        return okx.CANDLE_BARS
    if exchange == "binance":
        from dantaro_tui.exchanges import binance

        return binance.CANDLE_INTERVALS
    if exchange == "gateio":
        from dantaro_tui.exchanges import gateio

        return gateio.CANDLE_INTERVALS
    if exchange == "coinone":
        from dantaro_tui.exchanges import coinone

        return coinone.CANDLE_INTERVALS
    return ()  # Bithumb streams no candles: its trades keep the last candle live


@cache
def streamed_intervals(exchange: str) -> frozenset[str]:
    """The chart intervals ``exchange`` streams as candles (for the others, trades keep
    the last candle live). Upbit: 1m 3m 5m 10m 15m 30m 1h 4h (no 1d)."""
    return frozenset(iv for iv in _codec_intervals(exchange) if iv in INTERVAL_MS)
