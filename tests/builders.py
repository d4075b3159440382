"""Model events built by hand, shared by the analytics and pane tests."""

from __future__ import annotations

from dantaro_tui.model import Market, Ticker

T0 = 1_700_000_000_000  # ms
DAY_VALUE = 86_400_000.0  # 24 h turnover of 1,000 per second: 60,000 per minute


def market(symbol: str, korean: str = "", english: str = "") -> Market:
    quote, base = symbol.split("-")
    return Market("upbit", symbol, base, quote, korean, english)


def ticker(
    symbol: str,
    price: float = 100.0,
    change: float = 0.0,
    value: float = DAY_VALUE,
    t: int = T0,
) -> Ticker:
    """An Upbit ticker of ``symbol`` (``KRW-BTC`` style) that opened, peaked and bottomed at
    ``price``, with ``change`` (a fraction) and 24 h turnover ``value``."""
    quote, base = symbol.split("-")
    return Ticker(
        exchange="upbit",
        symbol=symbol,
        base=base,
        quote=quote,
        trade_price=price,
        change_rate=change,
        change_price=0.0,
        opening_price=price,
        high_price=price,
        low_price=price,
        prev_closing_price=price,
        acc_trade_volume_24h=1.0,
        acc_trade_price_24h=value,
        timestamp=t,
    )
