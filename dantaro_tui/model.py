"""Typed, immutable events: one vocabulary for every exchange.

Every event carries the exchange name, the exchange's own symbol code (``KRW-BTC``,
``BTC-USDT``), the normalized ``base``/``quote``, the exchange timestamp in ms and the
local receive time in ns (stamped by the transport when the frame arrived).
"""

from __future__ import annotations

from typing import Literal

import msgspec

Side = Literal["buy", "sell"]


class Level(msgspec.Struct, frozen=True, gc=False, array_like=True):
    price: float
    size: float


class Market(msgspec.Struct, frozen=True, gc=False):
    exchange: str
    symbol: str
    base: str
    quote: str
    korean_name: str = ""
    english_name: str = ""
    warning: bool = False
    cautions: tuple[str, ...] = ()


class Ticker(msgspec.Struct, frozen=True, gc=False, tag="ticker"):
    exchange: str
    symbol: str
    base: str
    quote: str
    trade_price: float
    change_rate: float  # signed fraction: -0.05 = -5 %
    change_price: float  # signed
    opening_price: float
    high_price: float
    low_price: float
    prev_closing_price: float
    acc_trade_volume_24h: float
    acc_trade_price_24h: float
    timestamp: int  # exchange time, ms
    recv_ns: int = 0  # local receive time, ns since epoch
    trade_volume: float = 0.0
    best_bid: float = 0.0  # 0.0 = the feed does not carry it
    best_ask: float = 0.0
    snapshot: bool = False


class Trade(msgspec.Struct, frozen=True, gc=False, tag="trade"):
    exchange: str
    symbol: str
    base: str
    quote: str
    price: float
    volume: float
    side: Side  # the taker's side
    trade_id: str
    timestamp: int  # trade (match) time, ms
    recv_ns: int = 0
    snapshot: bool = False


class OrderBook(msgspec.Struct, frozen=True, gc=False, tag="orderbook"):
    exchange: str
    symbol: str
    base: str
    quote: str
    bids: tuple[Level, ...]  # best (highest) first
    asks: tuple[Level, ...]  # best (lowest) first
    total_bid_size: float
    total_ask_size: float
    timestamp: int
    recv_ns: int = 0
    snapshot: bool = False
    # The channel key when the book is not the full one: "bbo" (best bid/ask only),
    # "orderbook5"; "" = the "orderbook" channel.
    channel: str = ""

    @property
    def best_bid(self) -> float:
        return self.bids[0].price if self.bids else 0.0

    @property
    def best_ask(self) -> float:
        return self.asks[0].price if self.asks else 0.0


class Candle(msgspec.Struct, frozen=True, gc=False, tag="candle"):
    exchange: str
    symbol: str
    base: str
    quote: str
    interval: str  # "1s", "1m", "3m", "5m", "15m", "1h", "4h", "1d", ...
    open_time: int  # candle start, ms
    open: float
    high: float
    low: float
    close: float
    volume: float  # base currency
    timestamp: int = 0
    recv_ns: int = 0
    quote_volume: float = 0.0
    closed: bool = False
    snapshot: bool = False


StatusKind = Literal["error", "status", "subscribed", "notice", "resync", "connection"]


class Status(msgspec.Struct, frozen=True, gc=False, tag="status"):
    """Anything that is not market data: exchange errors, acks, heartbeats, resyncs.

    ``message`` is written for a trader, not a developer.
    """

    exchange: str
    kind: StatusKind
    code: str = ""
    message: str = ""
    symbol: str = ""
    recv_ns: int = 0


Event = Ticker | Trade | OrderBook | Candle | Status
MarketEvent = Ticker | Trade | OrderBook | Candle

# The names a client subscribes by; a codec maps them to the exchange's own channels.
CHANNELS = ("ticker", "trade", "orderbook", "candle")
