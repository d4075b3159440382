"""Prices, sizes and turnover as a trader reads them: the one place the UI formats numbers.

* A price is written on its market's tick grid: Upbit KRW markets use Upbit's price-unit
  table (the table in force since 2025-07-31: 1,000 KRW from 1,000,000 up, 500, 100 from
  100,000, 50, 10 from 10,000, 5 from 5,000, 1 from 100, then one unit per decade), so
  ``296`` and not ``296.0``; BTC markets 0.00000001; USDT markets Upbit's USDT table; any
  other venue a tick passed in by the caller (the instrument's own), else six significant
  digits. A column of prices shares one tick (the coarsest of its rows), so decimals align.
* A size column shares one number of decimals, chosen from the largest size shown (four
  significant digits of it), so ``0.3034`` sits over ``0.5700``.
* Turnover and volume are compact with one rule for every pane: ``950.0K``, ``11.40M``,
  ``117.3B`` (upper-case K/M/B/T), with the unit (``KRW``, ``BTC``) where the column does
  not say it.
* Text cut to a column is cut at the right *display* width (Korean is two cells a
  character) and ends with an ellipsis.
"""

from __future__ import annotations

import math

from rich.cells import cell_len, set_cell_size

# (lower bound, price unit), highest band first.
UPBIT_KRW_TICKS: tuple[tuple[float, float], ...] = (
    (1_000_000, 1000.0), (500_000, 500.0), (100_000, 100.0), (50_000, 50.0), (10_000, 10.0),
    (5_000, 5.0), (100, 1.0), (10, 0.1), (1, 0.01), (0.1, 0.001), (0.01, 0.0001),
    (0.001, 0.00001), (0.0001, 0.000001), (0.00001, 0.0000001), (0.0, 0.00000001),
)  # fmt: skip
UPBIT_USDT_TICKS: tuple[tuple[float, float], ...] = (
    (10, 0.01), (1, 0.001), (0.1, 0.0001), (0.01, 0.00001), (0.001, 0.000001),
    (0.0001, 0.0000001), (0.0, 0.00000001),
)  # fmt: skip
_KRW_STABLES = frozenset({"KRW-USDT", "KRW-USDC"})


def _band(price: float, table: tuple[tuple[float, float], ...]) -> float:
    price = abs(price)
    for bound, unit in table:
        if price >= bound:
            return unit
    return table[-1][1]


def upbit_tick(symbol: str, price: float) -> float:
    """Upbit's price unit of ``symbol`` (``KRW-BTC``, ``BTC-ETH``, ``USDT-XRP``) at ``price``."""
    quote = symbol.partition("-")[0]
    if quote == "KRW":
        if symbol in _KRW_STABLES and 1_000 <= price < 10_000:
            return 0.5  # USDT/KRW and USDC/KRW since 2025-03-21
        return _band(price, UPBIT_KRW_TICKS)
    if quote == "BTC":
        return 1e-8
    return _band(price, UPBIT_USDT_TICKS)


def significant_tick(price: float, digits: int = 5) -> float:
    """A tick that shows ``digits`` significant digits of ``price`` (venues without a table)."""
    price = abs(price)
    if price == 0 or not math.isfinite(price):
        return 1.0
    return float(10.0 ** (math.floor(math.log10(price)) - digits + 1))


# Venues whose codes read ``KRW-BTC``. Bithumb publishes no price-unit table we could
# confirm; its prices take the decimals of Upbit's table, the closest known (a Bithumb
# unit finer than the table's would be rounded in the display: its REST lists no tick).
_UPBIT_STYLE = frozenset(("upbit", "bithumb"))


def price_tick(symbol: str, price: float, exchange: str = "upbit", tick: float = 0.0) -> float:
    """The tick to write ``price`` of ``symbol`` with: ``tick`` when the caller knows the
    instrument's, Upbit's table on Upbit and Bithumb, else six significant digits (at
    least 1e-8)."""
    if tick > 0:
        return tick
    if exchange in _UPBIT_STYLE:
        return upbit_tick(symbol, price)
    return max(1e-8, min(1.0, significant_tick(price, 6)))


def tick_decimals(tick: float) -> int:
    """Decimals needed to write prices on a grid of ``tick`` (0.5 -> 1, 1000 -> 0)."""
    if tick <= 0 or not math.isfinite(tick):
        return 0
    text = f"{tick:.10f}".rstrip("0").rstrip(".")
    return len(text) - text.index(".") - 1 if "." in text else 0


def format_price(value: float, tick: float, snap: bool = False) -> str:
    """``value`` with the decimals of ``tick`` and thousands separators (``296``, not
    ``296.0``, on a 1 KRW tick). ``snap`` also rounds it to a multiple of the tick, for
    computed prices (an axis label: ``format_price(5_330_783, 1000, snap=True) ==
    "5,331,000"``); a quoted price is never moved to a grid it may not be on."""
    if not math.isfinite(value):
        return "-"
    decimals = tick_decimals(tick)
    if snap and tick > 0:
        value = round(value / tick) * tick
    return f"{value:,.{decimals}f}"


def market_price(symbol: str, value: float, exchange: str = "upbit", tick: float = 0.0) -> str:
    """One price of one market on that market's tick."""
    return format_price(value, price_tick(symbol, value, exchange, tick))


def average_price(symbol: str, value: float, exchange: str = "upbit", tick: float = 0.0) -> str:
    """An average (VWAP, a mean) of one market's prices: one decimal finer than its tick
    (``439.6`` on a 1 KRW tick, not ``439.5785``)."""
    if not math.isfinite(value) or value == 0:
        return "—"
    return format_price(value, price_tick(symbol, value, exchange, tick) / 10, snap=True)


def column_tick(
    symbol: str, prices: list[float], exchange: str = "upbit", tick: float = 0.0
) -> float:
    """One tick for a column of prices of one market: the coarsest of them (the largest
    price's), so every row has the same decimals and a price never shows false precision."""
    finite = [abs(p) for p in prices if math.isfinite(p) and p]
    if not finite:
        return 1.0
    return price_tick(symbol, max(finite), exchange, tick)


def size_decimals(largest: float, cap: int = 8) -> int:
    """Decimals for a size column whose largest size is ``largest``: four significant
    digits of it (``0.57`` -> 4, ``12.5`` -> 2, ``95,000`` -> 0)."""
    if largest <= 0 or not math.isfinite(largest):
        return 2
    return max(0, min(cap, 3 - math.floor(math.log10(largest))))


def format_size(value: float, decimals: int, width: int = 0) -> str:
    """A size with the column's ``decimals``; compact (``1.23M``) when it exceeds ``width``."""
    if not math.isfinite(value):
        return "-"
    text = f"{value:,.{decimals}f}"
    if width and len(text) > width:
        return format_compact(value)
    return text


_UNITS = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K"))


def format_compact(value: float, unit: str = "") -> str:
    """``1.23B`` / ``456.7M`` / ``12.00K`` / ``987``: turnover or volume in a few cells, one
    style everywhere; ``unit`` (``KRW``) is appended after a space when given."""
    if not math.isfinite(value):
        return "-"
    mag = abs(value)
    text = ""
    for size, suffix in _UNITS:
        if mag >= size:
            scaled = value / size
            text = f"{scaled:.2f}{suffix}" if abs(scaled) < 100 else f"{scaled:.1f}{suffix}"
            break
    else:
        if mag >= 100 or mag == 0:
            text = f"{value:.0f}"
        elif mag >= 1:
            text = f"{value:.2f}"
        else:
            text = f"{value:.{size_decimals(mag)}f}"
    return f"{text} {unit}" if unit else text


def fit(text: str, width: int, right: bool = False) -> str:
    """``text`` in exactly ``width`` display cells: padded, or cut with ``…`` at the right
    display width (a double-width character is never split)."""
    if width <= 0:
        return ""
    if cell_len(text) > width:
        return set_cell_size(text, width - 1) + "…"
    if right:
        return " " * (width - cell_len(text)) + text
    return set_cell_size(text, width)


# Rough worth of one unit of a quote currency in KRW, only to pick how many decimals a
# size needs (a step of about 1,000 KRW), never shown.
_QUOTE_KRW = {"KRW": 1.0, "USDT": 1_400.0, "USDC": 1_400.0, "USD": 1_400.0, "BTC": 1.3e8}


def lot_decimals(price: float, quote: str) -> int:
    """Decimals for the sizes of a market trading at ``price`` in ``quote``: one step of the
    last digit is worth about 1,000 KRW (KRW-BTC at 95,000,000 -> 4, KRW-XRP -> 0)."""
    worth = abs(price) * _QUOTE_KRW.get(quote.upper(), 1_400.0)
    if worth <= 0 or not math.isfinite(worth):
        return 2
    return max(0, min(8, math.floor(math.log10(worth)) - 3))
