"""A market on a venue as a trader writes it: ``KRW-BTC`` on the home venue (Upbit unless
the config says otherwise) or ``binance:BTCUSDT`` anywhere else.

The same spelling is used by ``--symbols``, the config file, the command palette and the
messages panes send each other, so a pane on Binance never becomes an Upbit pane by way
of a link group or a saved layout.
"""

from __future__ import annotations

from functools import cache

from dantaro_tui.exchanges import codec_class, exchanges
from dantaro_tui.exchanges.base import ExchangeCodec

SEP = ":"

NAMES = {
    "upbit": "Upbit",
    "okx": "OKX",
    "binance": "Binance",
    "gateio": "Gate.io",
    "bithumb": "Bithumb",
    "coinone": "Coinone",
}


def venue_name(exchange: str) -> str:
    return NAMES.get(exchange, exchange)


@cache
def _codec(exchange: str) -> ExchangeCodec:
    # Only its symbol rules are used: one idle instance per venue is enough.
    return codec_class(exchange)()


def split_ref(ref: str, home: str) -> tuple[str, str]:
    """``(exchange, symbol)`` of ``ref``, the symbol as that exchange spells it.

    ValueError, in words, for a venue we do not speak or a code that cannot be a market.
    """
    text = ref.strip()
    venue, sep, symbol = text.partition(SEP)
    if not sep:
        venue, symbol = home, text
    venue = venue.strip().lower()
    if venue not in exchanges():
        known = ", ".join(f"{v}:" for v in exchanges())
        raise ValueError(f"{venue!r} in {ref!r} is not an exchange this app speaks ({known})")
    return venue, _codec(venue).normalize_symbol(symbol)


def join_ref(exchange: str, symbol: str, home: str) -> str:
    """How ``symbol`` on ``exchange`` is written: bare on the home venue."""
    return symbol if exchange == home else f"{exchange}{SEP}{symbol}"


def full_ref(exchange: str, symbol: str) -> str:
    """Always with the venue: what panes send each other."""
    return f"{exchange}{SEP}{symbol}"
