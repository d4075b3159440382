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
    # The price step and the size step the venue trades in; 0.0 = not stated (Upbit's KRW
    # markets step by the price-unit table instead).
    tick: float = 0.0
    lot: float = 0.0


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


# -- private (account) events: the owner's own orders and balances -------------------------
OrderSide = Literal["buy", "sell"]  # the order's side (Upbit "bid" = buy, "ask" = sell)
OrderType = Literal["limit", "price", "market", "best"]  # price = market buy by total
OrderState = Literal["wait", "watch", "trade", "done", "cancel", "prevented"]


class MyOrder(msgspec.Struct, frozen=True, gc=False, tag="myOrder"):
    """One change of one of the account's orders. With ``state == "trade"`` it is a fill:
    ``price``/``volume`` are the fill's, ``trade_fee`` and ``is_maker`` say what it cost."""

    exchange: str
    symbol: str
    base: str
    quote: str
    uuid: str
    side: OrderSide
    order_type: OrderType
    state: OrderState
    price: float | None  # limit price, the fill's price, or a market buy's total; None = none
    avg_price: float
    volume: float | None  # None for a market buy by total (``order_type == "price"``)
    remaining_volume: float
    executed_volume: float
    trades_count: int = 0
    reserved_fee: float = 0.0
    remaining_fee: float = 0.0
    paid_fee: float = 0.0
    locked: float = 0.0
    executed_funds: float = 0.0
    trade_fee: float | None = None  # this fill's fee (fills only)
    is_maker: bool | None = None  # this fill rested on the book (fills only)
    trade_uuid: str = ""
    identifier: str = ""
    time_in_force: str = ""
    order_timestamp: int = 0  # ms
    trade_timestamp: int = 0  # ms, fills only
    timestamp: int = 0  # ms
    recv_ns: int = 0


class MyAsset(msgspec.Struct, frozen=True, gc=False, tag="myAsset"):
    """The balance of one currency after a change (``balance`` is free to use, ``locked``
    is held by open orders)."""

    exchange: str
    currency: str
    balance: float
    locked: float
    asset_uuid: str = ""
    timestamp: int = 0  # ms
    recv_ns: int = 0


PrivateEvent = MyOrder | MyAsset
