"""Coinone public WebSocket market data: a sans-I/O codec.

Wire reference: ``exchanges.md`` section 5. Summary:

* Text JSON frames on ``wss://stream.coinone.co.kr``. Prices and quantities are strings,
  ``timestamp`` a number (ms), ``id`` a digit string. The server greets every socket with
  ``{"response_type":"CONNECTED",...}``.
* A request names ONE topic: ``{"request_type":"SUBSCRIBE","channel":"ORDERBOOK","topic":
  {"quote_currency":"KRW","target_currency":"BTC"},"format":"DEFAULT"}``. Keywords are
  upper case (lower case is error 160011). Subscriptions add, so ``subscribe_frames``
  sends the difference, one frame per topic (``UNSUBSCRIBE`` first).
* Every request is acknowledged (``SUBSCRIBED`` echoes the topic), even one for a coin
  Coinone does not list: that one is then refused by ``{"response_type":"ERROR",
  "error_code":160012,"message":"Invalid Topic"}``, 0-10 ms after the ack, naming no topic.
  So an ack never confirms a subscription (data does, in the hub), and the codec tracks
  the topics it has asked for (see "Unserved topics" below).
* ``{"request_type":"PING"}`` -> ``{"response_type":"PONG"}``; Coinone closes a socket 30
  minutes after the last PING, and a silent unsubscribed one after about a minute.
* At most 20 connections per IP: the 21st is closed with code 4290 (``CLOSE_CODES`` says
  it in words; the hub opens a handful of sockets per endpoint at most).

Channels (our key -> Coinone's):

* ``orderbook`` -> ``ORDERBOOK``: a full book of 16 levels a side on every change, asks
  WORST first on the socket (descending), bids best first. The event is best first on
  both sides; levels of zero size are dropped. The first book after a subscription is a
  snapshot whose ``timestamp`` can be ~10 s old, so it is flagged ``snapshot`` (the hub
  leaves snapshots out of the latency figure). ``id`` (ms + a 3-digit counter) only
  grows: a book with a smaller id than the last one shown is older and is dropped.
* ``ticker`` -> ``TICKER`` (24-hour window, pushed on trades). ``first`` is the window's
  opening price, ``yesterday_last`` the previous window's last price: it is the previous
  close, and the change is measured from it (from ``first`` when it is missing).
* ``trade`` -> ``TRADE``. ``is_seller_maker: true`` means the buyer took the offer: the
  taker BOUGHT (ccxt reads it the other way; exchanges.md 5.3 and 8.8).
* ``candle.<interval>`` -> ``CHART`` with ``interval`` in the topic (1m 3m 5m 15m 30m 1h
  2h 4h 6h 1d 1w). Its data fields are **unconfirmed** in the reference ("OHLC +
  volumes"); read here as the REST chart row's names (``timestamp`` = candle start,
  ``open high low close target_volume quote_volume``) plus the topic fields.

Symbols: a market is ``{quote_currency, target_currency}``; our code for it is
``TARGET/QUOTE`` upper case, ``BTC/KRW`` (exchanges.md 5.6; KRW is the only live quote).
``normalize_symbol`` also takes ``KRW-BTC``, ``btc_krw`` or a bare ``BTC``.

Unserved topics. For each topic asked for, the codec knows whether Coinone acknowledged
it and whether data came. A ``160012`` error is attributed to the topic acknowledged just
before it that has had no data (Coinone answers requests in order), said at once as a
``Status(kind="error")``. A topic acknowledged ``UNSERVED_AFTER`` seconds ago that still
has had no data is said once more: always for an order book (a snapshot follows every
book subscription) and, after an unnamed refusal, for a ticker, trades or candles too (a
quiet market alone is not a fault). The check runs on received frames (PONGs at least
every heartbeat). ``answers_subscriptions`` is False while every request is acknowledged
and some acknowledged topic has no data: the exchange heard us, so the transport keeps
the socket (no reconnect loop over an unknown coin) and lists the topic as waiting.

Decoding has a fast path (one ``msgspec`` decoder for the DATA envelopes, tagged by
``channel``, numbers read from Coinone's strings with constraints that refuse NaN,
infinities and negative values) and a slow path (``orjson`` + the same builders +
``sanity.checked``) for everything else: acks, errors, PONGs, the ``SHORT`` format (its
order book keys are documented; the other channels' short keys are not, so they are
reported as unreadable), and any frame the fast path refuses, which becomes a
``Status`` sentence. ``decode`` never raises.
"""

from __future__ import annotations

from itertools import islice
from operator import attrgetter, gt, lt
from typing import Annotated, Any, ClassVar, Literal, cast

import msgspec
import orjson

from dantaro_tui.exchanges.base import (
    ExchangeCodec,
    Frame,
    NonNegative,
    Positive,
    RateLimit,
    Subscription,
)
from dantaro_tui.exchanges.sanity import (
    Invalid,
    checked,
    clean,
    invalid_status,
    quoted,
    status,
)
from dantaro_tui.model import Candle, Event, Level, OrderBook, Status, Ticker, Trade

__all__ = [
    "CANDLE_INTERVALS",
    "CHANNELS",
    "CLOSE_CODES",
    "EXCHANGE",
    "QUOTE",
    "CoinoneCodec",
    "book_from",
    "candle_from",
    "market_symbol",
    "split_market",
    "ticker_from",
    "topic_of",
    "trade_from",
]

EXCHANGE = "coinone"
QUOTE = "KRW"
BOOK_LEVELS = 16
# A book id is its millisecond and a 3-digit counter (exchanges.md 5.3); one whose
# millisecond is this far past the book's own timestamp does not order books.
_ID_AHEAD_MS = 60_000

CHANNELS: dict[str, str] = {"ticker": "TICKER", "trade": "TRADE", "orderbook": "ORDERBOOK"}
CHART = "CHART"
CANDLE_INTERVALS: tuple[str, ...] = (
    "1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "1d", "1w",
)  # fmt: skip
_KEY_OF_CHANNEL = {v: k for k, v in CHANNELS.items()}
_LABELS = {"ticker": "ticker", "trade": "trades", "orderbook": "order book"}

# Coinone's own close codes, in words (the transport says them instead of a bare number).
CLOSE_CODES: dict[int, str] = {
    4290: "Coinone refused the connection: at most 20 connections per IP address are allowed",
    4280: "Coinone refused the private connection: authentication failed",
}
LIMIT_CLOSE_CODES = frozenset({4290})

# What Coinone's WebSocket error codes mean, for a trader reading the status line.
ERROR_TEXT: dict[int, str] = {
    160010: "the request was not understood",
    160011: "a field of the request had a wrong value",
    160012: "an unknown coin or a market not in KRW",
}
INVALID_TOPIC = 160012

UNSERVED_AFTER = 5.0  # seconds after an ack with no data before a topic is called unserved
# An error is attributed to a topic acknowledged at most this long before it (Coinone
# sends it 0-10 ms after the ack; the margin is for a busy receiving process).
ATTRIBUTE_WINDOW = 1.0

Pair = tuple[str, str]  # (our channel key, symbol)


# --------------------------------------------------------------------------- symbols


def market_symbol(target: str, quote: str = QUOTE) -> str:
    """Our code of a Coinone market: ``BTC/KRW``."""
    return f"{target.upper()}/{quote.upper()}"


_SPLITS: dict[str, tuple[str, str]] = {}


def split_market(symbol: str) -> tuple[str, str]:
    """(base, quote) of ``BTC/KRW``; ``Invalid`` for a code that is not ``TARGET/QUOTE``."""
    hit = _SPLITS.get(symbol)
    if hit is not None:
        return hit
    base, sep, quote = symbol.partition("/")
    if not sep or not base or not quote or "/" in quote or not symbol.isprintable():
        raise Invalid(f"Ignored a Coinone message for the market {quoted(symbol)}.")
    if len(_SPLITS) > 20_000:
        _SPLITS.clear()
    _SPLITS[symbol] = (base, quote)
    return base, quote


def topic_of(symbol: str) -> dict[str, str]:
    base, quote = split_market(symbol)
    return {"quote_currency": quote, "target_currency": base}


def _symbol_of(d: dict[str, Any]) -> str:
    quote = d.get("quote_currency")
    target = d.get("target_currency")
    if type(quote) is not str or type(target) is not str or not quote or not target:
        raise Invalid(
            "Ignored a Coinone message without a market "
            f"(quote_currency {quoted(quote)}, target_currency {quoted(target)})."
        )
    return market_symbol(target, quote)


# --------------------------------------------------------------------------- builders
# Shared by the slow path and the REST parsers: dicts of Coinone's strings in, checked
# events out. ``float`` reads "NaN" and "1e400"; ``sanity.checked`` refuses them.


def to_float(value: Any) -> float:
    """Float from a Coinone numeric string or number; "" or null (no value) -> 0.0."""
    if value in ("", None):
        return 0.0
    if type(value) is bool:
        raise ValueError(f"{value!r} is not a number")
    return float(value)


def to_ms(value: Any) -> int:
    """A millisecond time from a number or digit string; ValueError otherwise."""
    if type(value) is bool:
        raise ValueError(f"{value!r} is not a time")
    ms = float(value)
    if not 0.0 <= ms < 1e15:
        raise ValueError(f"{value!r} is not a time in milliseconds")
    return int(ms)


def _ticker(
    symbol: str,
    last: float,
    first: float,
    prev: float,
    high: float,
    low: float,
    base_vol: float,
    quote_vol: float,
    bid: float,
    ask: float,
    ts: int,
    recv_ns: int,
    snapshot: bool,
) -> Ticker:
    base, quote = split_market(symbol)
    ref = prev if prev > 0.0 else first
    change = last - ref if ref > 0.0 else 0.0
    return Ticker(
        exchange=EXCHANGE,
        symbol=symbol,
        base=base,
        quote=quote,
        trade_price=last,
        change_rate=change / ref if ref > 0.0 else 0.0,
        change_price=change,
        opening_price=first,
        high_price=high,
        low_price=low,
        prev_closing_price=ref,
        acc_trade_volume_24h=base_vol,
        acc_trade_price_24h=quote_vol,
        timestamp=ts,
        recv_ns=recv_ns,
        best_bid=bid,
        best_ask=ask,
        snapshot=snapshot,
    )


def _best(rows: Any) -> float:
    if type(rows) is list and rows and type(rows[0]) is dict:
        return to_float(rows[0].get("price"))
    return 0.0


def ticker_from(d: dict[str, Any], recv_ns: int = 0, snapshot: bool = False) -> Ticker:
    """A Ticker from a Coinone ticker object: the WebSocket's (``bid_best_price`` ...) or
    REST ``ticker_new``'s (``best_bids`` / ``best_asks`` lists, lower-case targets).
    Raises ``Invalid`` (a sentence) for values no market has, ValueError/KeyError for a
    shape that is not a ticker."""
    symbol = _symbol_of(d)
    bid = to_float(d["bid_best_price"]) if "bid_best_price" in d else _best(d.get("best_bids"))
    ask = to_float(d["ask_best_price"]) if "ask_best_price" in d else _best(d.get("best_asks"))
    return checked(
        _ticker(
            symbol,
            to_float(d["last"]),
            to_float(d.get("first")),
            to_float(d.get("yesterday_last")),
            to_float(d.get("high")),
            to_float(d.get("low")),
            to_float(d.get("target_volume")),
            to_float(d.get("quote_volume")),
            bid,
            ask,
            to_ms(d.get("timestamp", 0)),
            recv_ns,
            snapshot,
        )
    )


def _side(is_seller_maker: Any) -> Literal["buy", "sell"]:
    if type(is_seller_maker) is not bool:
        raise ValueError(f"is_seller_maker {quoted(is_seller_maker)} is not true or false")
    # The seller was the maker, so the buyer took the offer: the taker bought.
    return "buy" if is_seller_maker else "sell"


def trade_from(
    d: dict[str, Any], symbol: str | None = None, recv_ns: int = 0, snapshot: bool = False
) -> Trade:
    """A Trade from a Coinone trade object (WebSocket ``TRADE`` data, or a REST
    ``transactions`` row with ``symbol`` given, as REST rows name no market)."""
    sym = symbol if symbol is not None else _symbol_of(d)
    base, quote = split_market(sym)
    trade_id = d["id"]
    if type(trade_id) not in (str, int) or type(trade_id) is bool:
        raise ValueError(f"trade id {quoted(trade_id)} is not a number")
    return checked(
        Trade(
            exchange=EXCHANGE,
            symbol=sym,
            base=base,
            quote=quote,
            price=to_float(d["price"]),
            volume=to_float(d["qty"]),
            side=_side(d["is_seller_maker"]),
            trade_id=str(trade_id),
            timestamp=to_ms(d["timestamp"]),
            recv_ns=recv_ns,
            snapshot=snapshot,
        )
    )


def _levels(rows: Any, what: str) -> list[Level]:
    if type(rows) is not list:
        raise ValueError(f"its {what} are not a list")
    out: list[Level] = []
    for r in rows:
        if type(r) is not dict:
            raise ValueError(f"a level of its {what} is not an object")
        size = to_float(r["qty"])
        if size != 0.0:  # Coinone pads nothing, but a zero level is no offer to show
            out.append(Level(to_float(r["price"]), size))
    return out


def best_first(bids: list[Level], asks: list[Level]) -> tuple[list[Level], list[Level]]:
    """Both sides best first, whichever way the wire ordered them (the socket's asks come
    worst first, REST's best first). A side in no order is left as it is for
    ``sanity.checked`` to refuse."""
    if len(asks) > 1 and asks[0].price > asks[-1].price:
        asks.reverse()
    if len(bids) > 1 and bids[0].price < bids[-1].price:
        bids.reverse()
    return bids, asks


def book_event(
    symbol: str, bids: list[Level], asks: list[Level], ts: int, recv_ns: int, snapshot: bool
) -> OrderBook:
    base, quote = split_market(symbol)
    bids, asks = best_first(bids, asks)
    return OrderBook(
        exchange=EXCHANGE,
        symbol=symbol,
        base=base,
        quote=quote,
        bids=tuple(bids),
        asks=tuple(asks),
        total_bid_size=sum(lv.size for lv in bids),
        total_ask_size=sum(lv.size for lv in asks),
        timestamp=ts,
        recv_ns=recv_ns,
        snapshot=snapshot,
    )


def book_from(
    d: dict[str, Any], symbol: str | None = None, recv_ns: int = 0, snapshot: bool = False
) -> OrderBook:
    """An OrderBook from a Coinone book object (WebSocket ``ORDERBOOK`` data or the REST
    order book), best first on both sides."""
    sym = symbol if symbol is not None else _symbol_of(d)
    return checked(
        book_event(
            sym,
            _levels(d["bids"], "bids"),
            _levels(d["asks"], "asks"),
            to_ms(d.get("timestamp", 0)),
            recv_ns,
            snapshot,
        )
    )


def candle_from(
    d: dict[str, Any],
    interval: str,
    symbol: str | None = None,
    recv_ns: int = 0,
    snapshot: bool = False,
) -> Candle:
    """A Candle from a Coinone chart object (REST ``chart`` row, or WebSocket ``CHART``
    data, whose field names are unconfirmed: read as the REST row's)."""
    sym = symbol if symbol is not None else _symbol_of(d)
    base, quote = split_market(sym)
    start = to_ms(d["timestamp"])
    return checked(
        Candle(
            exchange=EXCHANGE,
            symbol=sym,
            base=base,
            quote=quote,
            interval=interval,
            open_time=start,
            open=to_float(d["open"]),
            high=to_float(d["high"]),
            low=to_float(d["low"]),
            close=to_float(d["close"]),
            volume=to_float(d.get("target_volume")),
            timestamp=start,
            recv_ns=recv_ns,
            quote_volume=to_float(d.get("quote_volume")),
            snapshot=snapshot,
        )
    )


# --------------------------------------------------------------------------- wire structs
# The fast path: Coinone writes numbers as strings; ``strict=False`` reads them in C and
# the constraints refuse NaN, infinities and negatives while parsing.

_Ms = Annotated[int, msgspec.Meta(ge=0, lt=10**15)]


class _Level(msgspec.Struct, gc=False):
    price: Positive
    qty: Positive  # a zero level (dropped) takes the slow path


class _BookMsg(msgspec.Struct, gc=False):
    quote_currency: str
    target_currency: str
    timestamp: _Ms
    asks: list[_Level]
    bids: list[_Level]
    id: str = ""


class _TickerMsg(msgspec.Struct, gc=False):
    quote_currency: str
    target_currency: str
    timestamp: _Ms
    last: Positive
    first: NonNegative = 0.0
    high: NonNegative = 0.0
    low: NonNegative = 0.0
    quote_volume: NonNegative = 0.0
    target_volume: NonNegative = 0.0
    ask_best_price: NonNegative = 0.0
    bid_best_price: NonNegative = 0.0
    yesterday_last: NonNegative = 0.0


class _TradeMsg(msgspec.Struct, gc=False):
    quote_currency: str
    target_currency: str
    id: str
    timestamp: _Ms
    price: Positive
    qty: Positive
    is_seller_maker: bool


class _Data(msgspec.Struct, gc=False, tag_field="channel"):
    response_type: Literal["DATA"]


class _BookData(_Data, tag="ORDERBOOK"):
    data: _BookMsg


class _TickerData(_Data, tag="TICKER"):
    data: _TickerMsg


class _TradeData(_Data, tag="TRADE"):
    data: _TradeMsg


_FastMsg = _BookData | _TickerData | _TradeData
_PRICE = attrgetter("price")
_QTY = attrgetter("qty")

# The SHORT format's documented keys (exchanges.md 5.3; only the order book's are known).
_SHORT_KEYS = {
    "r": "response_type", "c": "channel", "d": "data", "qc": "quote_currency",
    "tc": "target_currency", "t": "timestamp", "i": "id", "a": "asks", "b": "bids",
    "p": "price", "q": "qty",
}  # fmt: skip


def _long_keys(obj: Any) -> Any:
    if type(obj) is dict:
        return {_SHORT_KEYS.get(k, k): _long_keys(v) for k, v in obj.items()}
    if type(obj) is list:
        return [_long_keys(v) for v in obj]
    return obj


# --------------------------------------------------------------------------- the codec


class CoinoneCodec(ExchangeCodec):
    """Coinone public market data. One instance per connection: it tracks which topics
    the connection asked for, which Coinone acknowledged and which have delivered data."""

    name: ClassVar[str] = EXCHANGE
    default_ws_url: ClassVar[str] = "wss://stream.coinone.co.kr"
    default_rest_url: ClassVar[str] = "https://api.coinone.co.kr"
    # Coinone closes a socket 30 minutes after the last PING; its own clients ping every
    # ~20 s, and a silent peer is then noticed within ~40 s.
    keepalive_interval: ClassVar[float] = 20.0
    ping_frame: ClassVar[str | None] = '{"request_type":"PING"}'
    ping_is_limited: ClassVar[bool] = False
    # 20 connections per IP is a cap on open sockets, not a rate; the connect rate and the
    # message rate are ours (Coinone publishes neither), one message per topic.
    connect_limits: ClassVar[tuple[RateLimit, ...]] = (RateLimit(5, 1.0), RateLimit(60, 60.0))
    message_limits: ClassVar[tuple[RateLimit, ...]] = (RateLimit(20, 1.0),)
    close_codes: ClassVar[dict[int, str]] = CLOSE_CODES
    limit_close_codes: ClassVar[frozenset[int]] = LIMIT_CLOSE_CODES

    def __init__(self, unserved_after: float = UNSERVED_AFTER) -> None:
        self.unserved_after_ns = int(unserved_after * 1e9)
        self._decode_fast = msgspec.json.Decoder(_FastMsg, strict=False).decode
        self._asked: dict[Pair, None] = {}  # subscribed, not acknowledged yet
        self._acked: dict[Pair, int] = {}  # acknowledged at (recv ns), no data yet
        self._refused: set[Pair] = set()  # a 160012 was attributed to it
        self._told: set[Pair] = set()  # said to be unserved (once)
        self._unnamed = 0  # refusals no acknowledged topic could be matched to
        self._book_id: dict[str, int] = {}  # symbol -> id of the last book shown
        self._check_at = 0
        self.answers_subscriptions = True

    # -- connection-level facts -------------------------------------------------------

    def reset(self) -> None:
        self._asked.clear()
        self._acked.clear()
        self._refused.clear()
        self._told.clear()
        self._unnamed = 0
        self._book_id.clear()
        self._check_at = 0
        self.answers_subscriptions = True

    def normalize_symbol(self, symbol: str) -> str:
        """``BTC/KRW`` from ``BTC/KRW``, ``btc/krw``, ``KRW-BTC``, ``BTC_KRW`` or ``BTC``."""
        text = symbol.strip().upper()
        parts = [p for p in text.replace("-", "/").replace("_", "/").split("/")]
        bad = not text or any(not p or not p.isalnum() for p in parts) or len(parts) > 2
        if bad:
            raise ValueError(f"{symbol!r} is not a market on {self.name} (write it BTC/KRW)")
        if len(parts) == 1:
            return market_symbol(parts[0])
        left, right = parts
        if left == QUOTE and right != QUOTE:
            return market_symbol(right, left)  # KRW-BTC, as Upbit writes it
        return market_symbol(left, right)

    def validate_channel(self, channel: str) -> None:
        _channel_of(channel)

    def unserved(self) -> list[Pair]:
        """Topics Coinone acknowledged (or refused) that have had no data, oldest first."""
        return sorted(self._acked, key=self._acked.__getitem__)

    # -- subscriptions ----------------------------------------------------------------

    def subscribe_frames(self, desired: Subscription, current: Subscription) -> list[Frame]:
        want = _pairs(desired)
        have = _pairs(current)
        frames: list[Frame] = []
        for pair in sorted(have - want):
            frames.append(_request("UNSUBSCRIBE", *pair))
            self._forget(pair)
        for pair in sorted(want - have):
            frames.append(_request("SUBSCRIBE", *pair))
            self._asked[pair] = None
            self._acked.pop(pair, None)
            self._told.discard(pair)
            self._refused.discard(pair)
        self._judge()
        return frames

    def _forget(self, pair: Pair) -> None:
        self._asked.pop(pair, None)
        self._acked.pop(pair, None)
        self._refused.discard(pair)
        self._told.discard(pair)
        if pair[0] == "orderbook":
            self._book_id.pop(pair[1], None)

    def _judge(self) -> None:
        # False only when Coinone heard every request and some topic still has no data:
        # silence is then Coinone's answer (an unknown coin, a quiet market), not a loss.
        self.answers_subscriptions = bool(self._asked) or not self._acked

    # -- decoding ---------------------------------------------------------------------

    def decode(self, frame: Frame, recv_ns: int) -> list[Event]:
        try:
            msg = self._decode_fast(frame)
            d = msg.data
            symbol = market_symbol(d.target_currency, d.quote_currency)
            cls = msg.__class__
            if cls is _BookData:
                out = self._fast_book(cast(_BookMsg, d), symbol, recv_ns)
            elif cls is _TradeData:
                out = [_fast_trade(cast(_TradeMsg, d), symbol, recv_ns)]
            else:
                out = [_fast_ticker(cast(_TickerMsg, d), symbol, recv_ns)]
        except Exception:  # not the expected shape or values: the slow path says what it is
            return self._decode_slow(frame, recv_ns)
        if self._acked or self._asked:
            self._served(_KEY_OF_CHANNEL[_CHANNEL_OF_CLASS[cls]], symbol)
        if self._acked and recv_ns >= self._check_at:
            out.extend(self._timeouts(recv_ns))
        return out

    def _fast_book(self, d: _BookMsg, symbol: str, recv_ns: int) -> list[Event]:
        # msgspec already refused NaN, infinities and negatives; what is left to check is
        # the order of the levels, done with C-level map() over the prices (the generic
        # ``checked`` loop cost a third of the decode), falling back to it to explain.
        ra, rb = d.asks, d.bids
        if len(ra) > 1 and ra[0].price > ra[-1].price:
            ra = ra[::-1]  # the socket's asks come worst first
        if len(rb) > 1 and rb[0].price < rb[-1].price:
            rb = rb[::-1]
        ap = list(map(_PRICE, ra))
        bp = list(map(_PRICE, rb))
        if (
            not all(map(lt, ap, islice(ap, 1, None)))
            or not all(map(gt, bp, islice(bp, 1, None)))
            or (ap and bp and bp[0] >= ap[0])
        ):
            raise ValueError("the slow path checks and explains this book")
        base, quote = split_market(symbol)
        book = OrderBook(
            exchange=EXCHANGE,
            symbol=symbol,
            base=base,
            quote=quote,
            bids=tuple([Level(lv.price, lv.qty) for lv in rb]),
            asks=tuple([Level(lv.price, lv.qty) for lv in ra]),
            total_bid_size=sum(map(_QTY, rb)),
            total_ask_size=sum(map(_QTY, ra)),
            timestamp=d.timestamp,
            recv_ns=recv_ns,
            snapshot=symbol not in self._book_id,
        )
        return [] if self._stale(symbol, d.id, d.timestamp) else [book]

    def _stale(self, symbol: str, book_id: str, timestamp_ms: int) -> bool:
        """Whether a valid book is older than the last one shown (else it becomes that)."""
        last = self._book_id.get(symbol, -1)
        n = int(book_id) if book_id.isdigit() else -1
        if n // 1000 > timestamp_ms + _ID_AHEAD_MS:
            # Not the book's millisecond and counter: kept, it would hide every real book
            # after it until the next connection.
            n = -1
        if 0 <= n < last:
            return True
        self._book_id[symbol] = max(n, last)
        return False

    def _decode_slow(self, frame: Frame, recv_ns: int) -> list[Event]:
        try:
            msg = orjson.loads(frame)
        except orjson.JSONDecodeError:
            return [self._malformed(frame, recv_ns, "it is not JSON")]
        except TypeError:
            return [self._malformed(b"", recv_ns, f"a frame cannot be {type(frame).__name__}")]
        out: list[Event] = []
        try:
            if type(msg) is not dict:
                return [self._malformed(frame, recv_ns, "it is not a JSON object")]
            if "r" in msg and "response_type" not in msg:
                msg = _long_keys(msg)
            kind = msg.get("response_type")
            if kind == "DATA":
                out = self._data_slow(msg, frame, recv_ns)
            elif kind == "PONG" or kind == "CONNECTED":
                out = []
            elif kind == "SUBSCRIBED" or kind == "UNSUBSCRIBED":
                out = self._on_ack(kind, msg, recv_ns)
            elif kind == "ERROR":
                out = self._on_error(msg, recv_ns)
            else:
                out = [self._malformed(frame, recv_ns, f"unknown response_type {quoted(kind)}")]
        except Exception as exc:  # decode never raises: any surprise is a malformed frame
            out = [self._malformed(frame, recv_ns, f"{type(exc).__name__}: {exc}")]
        if self._acked and recv_ns >= self._check_at:
            out.extend(self._timeouts(recv_ns))
        return out

    def _data_slow(self, msg: dict[str, Any], frame: Frame, recv_ns: int) -> list[Event]:
        channel = msg.get("channel")
        d = msg.get("data")
        if type(d) is not dict:
            return [self._malformed(frame, recv_ns, "its data is not an object")]
        try:
            symbol = _symbol_of(d)
            split_market(symbol)
            if channel == "ORDERBOOK":
                first = symbol not in self._book_id
                book = book_from(d, symbol, recv_ns, first)
                if self._stale(symbol, str(d.get("id", "")), book.timestamp):
                    return []
                ev: Event = book
                key = "orderbook"
            elif channel == "TICKER":
                ev = ticker_from(d, recv_ns)
                key = "ticker"
            elif channel == "TRADE":
                ev = trade_from(d, symbol, recv_ns)
                key = "trade"
            elif channel == CHART:
                interval = d.get("interval")
                if interval not in CANDLE_INTERVALS:
                    raise ValueError(f"unknown chart interval {quoted(interval)}")
                ev = candle_from(d, interval, symbol, recv_ns)
                key = f"candle.{interval}"
            else:
                return []  # a channel we never ask for
        except Invalid as exc:
            return [invalid_status(EXCHANGE, exc, recv_ns)]
        except (KeyError, ValueError, TypeError) as exc:
            why = f"missing {exc}" if isinstance(exc, KeyError) else str(exc)
            return [self._malformed(frame, recv_ns, why)]
        self._served(key, symbol)
        return [ev]

    def _malformed(self, frame: Frame, recv_ns: int, why: str) -> Status:
        text = frame if isinstance(frame, str) else bytes(frame).decode("utf-8", "replace")
        preview = text[:80] + ("..." if len(text) > 80 else "")
        message = f"Ignored an unreadable Coinone message ({clean(why)}): {preview}"
        return status(EXCHANGE, "error", "malformed", message, "", recv_ns)

    # -- acks, refusals and unserved topics ---------------------------------------------

    def _served(self, key: str, symbol: str) -> None:
        pair = (key, symbol)
        if pair in self._acked or pair in self._asked:
            self._acked.pop(pair, None)
            self._asked.pop(pair, None)  # data before its ack: heard all the same
            self._refused.discard(pair)
            self._told.discard(pair)
            self._judge()

    def _on_ack(self, kind: str, msg: dict[str, Any], recv_ns: int) -> list[Event]:
        pair = _pair_of(msg.get("channel"), msg.get("data"))
        label = _label(pair[0]) if pair else "a topic"
        where = f" for {pair[1]}" if pair else ""
        symbol = pair[1] if pair else ""
        if kind == "UNSUBSCRIBED":
            message = f"Coinone stopped the {label}{where}."
            return [status(EXCHANGE, "status", "unsubscribed", message, symbol, recv_ns)]
        if pair is not None and pair in self._asked:
            del self._asked[pair]
            self._acked[pair] = recv_ns
            self._check_at = min(self._check_at or INF_NS, recv_ns + self.unserved_after_ns)
            self._judge()
        # Acknowledged is not served: Coinone acknowledges unknown coins too.
        message = f"Coinone acknowledged the {label}{where}; waiting for its data."
        return [status(EXCHANGE, "status", "acknowledged", message, symbol, recv_ns)]

    def _on_error(self, msg: dict[str, Any], recv_ns: int) -> list[Event]:
        code = msg.get("error_code")
        said = clean(msg.get("message", "")) if msg.get("message") not in (None, "") else ""
        field = msg.get("field")
        says = f" (Coinone says: {said}" + (f", field {clean(field)}" if field else "") + ")"
        says = says if said or field else ""
        meaning = ERROR_TEXT.get(code, "the request failed") if type(code) is int else ""
        if code == INVALID_TOPIC:
            suspects = self._suspects(recv_ns)
            if len(suspects) == 1:
                (pair,) = suspects
                self._refused.add(pair)
                self._told.add(pair)
                message = (
                    f"Coinone refused the {_label(pair[0])} for {pair[1]}: {meaning}, "
                    f"code {code}{says}. It sends no data for it."
                )
                return [status(EXCHANGE, "error", str(code), message, pair[1], recv_ns)]
            # Several topics were just acknowledged: the one that never delivers is named
            # by the timeout once the others have shown data.
            self._unnamed += 1
            listed = ", ".join(f"{_label(k)} {s}" for k, s in suspects[:4])
            one_of = f" (one of: {listed})" if listed else ""
            message = (
                f"Coinone refused a subscription without saying which{one_of}: {meaning}, "
                f"code {code}{says}."
            )
            return [status(EXCHANGE, "error", str(code), message, "", recv_ns)]
        what = f"{meaning}, code {code}" if meaning else f"code {quoted(code)}"
        message = f"Coinone refused a request: {what}{says}."
        return [status(EXCHANGE, "error", clean(code), message, "", recv_ns)]

    def _suspects(self, recv_ns: int) -> list[Pair]:
        """The topics a 160012 may refer to: acknowledged within ``ATTRIBUTE_WINDOW``
        before it, with no data and no refusal yet, newest first (Coinone sends the
        error 0-10 ms after the ack of the topic it refuses)."""
        since = recv_ns - int(ATTRIBUTE_WINDOW * 1e9)
        found = [(at, p) for p, at in self._acked.items() if at >= since and p not in self._refused]
        return [p for _, p in sorted(found, reverse=True)]

    def _timeouts(self, recv_ns: int) -> list[Event]:
        out: list[Event] = []
        due = recv_ns - self.unserved_after_ns
        nxt = INF_NS
        for pair, at in self._acked.items():
            if pair in self._told:
                continue
            if at > due:
                nxt = min(nxt, at + self.unserved_after_ns)
                continue
            key, symbol = pair
            if key != "orderbook" and not self._unnamed:
                continue  # a quiet market: its topic stays listed as waiting, no fault
            self._told.add(pair)
            seconds = (recv_ns - at) / 1e9
            if key == "orderbook":
                why = "though a snapshot follows every order book subscription"
            else:
                why = "and it refused a topic without naming it"
            message = (
                f"Coinone acknowledged the {_label(key)} for {symbol} {seconds:.0f} s ago but "
                f"has sent nothing for it, {why}: it probably does not list {symbol}."
            )
            out.append(status(EXCHANGE, "error", "unserved", message, symbol, recv_ns))
        self._check_at = nxt if nxt < INF_NS else 0
        return out


INF_NS = 1 << 62

_CHANNEL_OF_CLASS: dict[type, str] = {
    _BookData: "ORDERBOOK",
    _TickerData: "TICKER",
    _TradeData: "TRADE",
}


def _channel_of(key: str) -> tuple[str, str | None]:
    """(Coinone channel, chart interval) for our channel key; ValueError naming the ones
    Coinone has."""
    channel = CHANNELS.get(key)
    if channel is not None:
        return channel, None
    if key.startswith("candle."):
        interval = key[7:]
        if interval in CANDLE_INTERVALS:
            return CHART, interval
        known = " ".join(CANDLE_INTERVALS)
        raise ValueError(f"Coinone has no {interval!r} candles (it streams {known})")
    known = ", ".join([*CHANNELS, "candle.<interval>"])
    raise ValueError(f"Coinone has no {key!r} channel (known: {known})")


def _label(key: str) -> str:
    if key.startswith("candle."):
        return f"{key[7:]} candles"
    return _LABELS.get(key, key)


def _request(kind: str, key: str, symbol: str) -> str:
    channel, interval = _channel_of(key)
    topic: dict[str, str] = topic_of(symbol)
    if interval is not None:
        topic["interval"] = interval
    return orjson.dumps(
        {"request_type": kind, "channel": channel, "topic": topic, "format": "DEFAULT"}
    ).decode()


def _pair_of(channel: Any, topic: Any) -> Pair | None:
    """(our key, symbol) of an ack's echoed topic; None for one we cannot read."""
    if type(topic) is not dict:
        return None
    try:
        symbol = _symbol_of(topic)
        split_market(symbol)
    except Invalid:
        return None
    if channel == CHART:
        interval = topic.get("interval")
        return (f"candle.{interval}", symbol) if interval in CANDLE_INTERVALS else None
    key = _KEY_OF_CHANNEL.get(channel) if type(channel) is str else None
    return (key, symbol) if key is not None else None


def _pairs(sub: Subscription) -> set[Pair]:
    out: set[Pair] = set()
    for key, symbols in sub.items():
        if not symbols:
            continue
        _channel_of(key)  # ValueError for a channel Coinone does not have
        out.update((key, s) for s in symbols)
    return out


def _fast_ticker(d: _TickerMsg, symbol: str, recv_ns: int) -> Ticker:
    t = _ticker(
        symbol, d.last, d.first, d.yesterday_last, d.high, d.low, d.target_volume,
        d.quote_volume, d.bid_best_price, d.ask_best_price, d.timestamp, recv_ns, False,
    )  # fmt: skip
    if 0.0 < t.best_ask <= t.best_bid:
        return checked(t)  # raises Invalid: the slow path turns it into a sentence
    return t


def _fast_trade(d: _TradeMsg, symbol: str, recv_ns: int) -> Trade:
    if not d.id.isprintable():
        raise ValueError("unprintable trade id")  # the slow path writes the sentence
    base, quote = split_market(symbol)
    side: Literal["buy", "sell"] = "buy" if d.is_seller_maker else "sell"
    return Trade(
        exchange=EXCHANGE,
        symbol=symbol,
        base=base,
        quote=quote,
        price=d.price,
        volume=d.qty,
        side=side,
        trade_id=d.id,
        timestamp=d.timestamp,
        recv_ns=recv_ns,
    )
