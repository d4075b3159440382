"""Gate.io API v4 spot market data: a sans-I/O codec with books synced from REST.

Wire reference: ``docs/exchanges.md`` section 4 in the shared folder. Summary:

* Text JSON frames on ``wss://api.gateio.ws/ws/v4/``; prices and amounts are strings.
* A request is ``{"time": <unix s>, "id": N, "channel": "spot.trades", "event": "subscribe",
  "payload": [...]}``. ``time`` must be within 60 s of the server's clock, so every frame is
  stamped from the codec's ``clock`` (``time.time`` unless a test passes its own) when it
  is built; ``restamp(frame)`` refreshes it for a request that waited in a send queue.
  Subscriptions *add*: ``subscribe_frames`` sends only the difference (``unsubscribe``
  first, then ``subscribe``). Candles and books take one pair a request
  (``[interval, pair]`` and ``[pair, "100ms"]``); tickers, trades and best bid/ask take a
  list of pairs.
* Acks (``result.status == "success"``) and errors (an ``error`` object) are matched to the
  request by ``id``; the 2021 recording's acks carry no ``id`` (nor ``payload``), so an ack
  without one answers the oldest open request of its channel. One
  ``Status(kind="subscribed", code=<our channel key>, symbol=<pair>)`` per pair.
* Keepalive: ``spot.ping`` -> ``spot.pong``; the ping carries ``time`` too, so the
  transport calls ``heartbeat_frame()`` (alias ``ping()``) for a freshly stamped one each
  time. ``ping_frame`` is a static fallback without ``time`` for callers that need a
  constant (the replay server compares keepalives by equality).
* ``spot.order_book_update`` carries deltas (absolute amounts, "0" deletes) numbered
  ``U..u``. The book is synced from ``GET /api/v4/spot/order_book?with_id=true``, which
  the codec asks the transport for through ``rest_requests()`` and receives through
  ``on_rest()`` (see ``BookSync`` below). A frame with ``full: true`` is a complete book
  and replaces the local one. A gap, an impossible level or a crossed book drops the book,
  emits ``Status(kind="resync")`` and asks for a new snapshot; nothing is shown until the
  book is whole again. The book is a ``books.LevelBook``: the levels are decoded straight
  into ``Level`` objects, kept as they are, and a side's shown levels and total are rebuilt
  only when a delta changed them.

Decoding has two paths, as on Upbit. The fast path is one ``msgspec`` decoder for every
update envelope, tagged by ``channel``: numbers are read from Gate.io's strings in C
(``strict=False``), with constraints that refuse NaN, infinities and negative prices while
parsing; events are built positionally (7x cheaper than keywords). Anything it refuses
(acks, errors, pongs, "" for a missing number, an impossible value, a malformed frame)
takes the slow path: ``orjson`` into dicts, the same builders, and ``sanity.checked``,
which writes the sentence a trader reads (``Status(kind="error", code="invalid")``).
``decode`` never raises.

Ticker field choices (Gate.io sends ``change_percentage`` over 24 h, no opening price):
``opening_price = prev_closing_price = last / (1 + change)``, the price 24 hours ago, so
``change_price = last - opening_price`` and ``change_rate = change_percentage / 100``
describe the same rolling 24-hour change. ``acc_trade_volume_24h = base_volume``,
``acc_trade_price_24h = quote_volume``. A ticker has no time of its own: the envelope's
send time (``time_ms``, else ``time`` * 1000) is used.

Candles: ``t`` is the open time in seconds (made ms); ``v`` is the QUOTE volume (checked on
the recording: DIS_USDT's only trade, 0.201 at 121.58, gave ``v`` = 24.43758) and ``a`` the
base volume (absent in 2021: ``volume`` is then 0.0, not a guess); ``w`` = window closed.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar, Literal, cast

import msgspec
import orjson

from dantaro_tui.exchanges.base import (
    ExchangeCodec,
    Finite,
    Frame,
    NonNegative,
    Positive,
    RateLimit,
    RestRequest,
    Subscription,
    split_symbol,
)
from dantaro_tui.exchanges.books import BadLevel, LevelBook, levels_from_raw
from dantaro_tui.exchanges.sanity import (
    INF,
    Invalid,
    check_symbol,
    checked,
    clean,
    invalid_status,
    num,
    quoted,
    sentence,
    status,
)
from dantaro_tui.model import Candle, Event, Level, OrderBook, Status, Ticker, Trade

__all__ = [
    "CANDLE_INTERVALS",
    "CHANNELS",
    "EXCHANGE",
    "BookSync",
    "GateioCodec",
    "book_event",
    "candle_from",
    "gate_channel",
    "gate_interval",
    "split_pair",
    "ticker_from",
    "trade_from",
]

EXCHANGE = "gateio"
ORDER_BOOK_PATH = "/api/v4/spot/order_book"
BOOK_LIMIT = 100  # levels of the REST snapshot and of the 100ms update stream
BOOK_SPEED = "100ms"

# Our channel keys -> Gate.io channels (candles: ``CANDLE_INTERVALS``).
CHANNELS: dict[str, str] = {
    "ticker": "spot.tickers",
    "trade": "spot.trades",
    "orderbook": "spot.order_book_update",  # deltas, synced from the REST snapshot
    "bbo": "spot.book_ticker",
}
CANDLE_CHANNEL = "spot.candlesticks"
# Channels whose payload is one pair per request (the others take a list of pairs).
_ONE_PAIR = {CHANNELS["orderbook"], CANDLE_CHANNEL}

# Our interval spelling -> Gate.io's (WebSocket and REST). "1M" (30d) is REST only.
CANDLE_INTERVALS: dict[str, str] = {
    "10s": "10s",
    "1m": "1m",
    "5m": "5m",
    "15m": "15m",
    "30m": "30m",
    "1h": "1h",
    "4h": "4h",
    "8h": "8h",
    "1d": "1d",
    "1w": "7d",
}
REST_INTERVALS: dict[str, str] = {"1s": "1s", **CANDLE_INTERVALS, "1M": "30d"}
_OUR_INTERVAL: dict[str, str] = {g: ours for ours, g in REST_INTERVALS.items()}

_KEY_OF_CHANNEL: dict[str, str] = {v: k for k, v in CHANNELS.items()}
_LABELS = {"ticker": "ticker", "trade": "trades", "orderbook": "order book", "bbo": "best bid/ask"}

# What Gate.io's WebSocket error codes mean, for a trader reading the status line.
ERROR_TEXT: dict[int, str] = {
    1: "the request was not understood",
    2: "the request has an invalid argument",
    3: "the server had an error",
    4: "authentication failed",
}


def gate_interval(interval: str, *, rest: bool = False) -> str:
    """Gate.io's spelling of one of our intervals ("1w" -> "7d"); ValueError if unknown."""
    table = REST_INTERVALS if rest else CANDLE_INTERVALS
    try:
        return table[interval]
    except KeyError:
        raise ValueError(
            f"Gate.io has no {interval!r} candles (known: {', '.join(table)})"
        ) from None


def gate_channel(key: str) -> str:
    """The Gate.io channel for one of our channel keys; ValueError when unknown."""
    ch = CHANNELS.get(key)
    if ch is not None:
        return ch
    if key.startswith("candle.") and key[7:] in CANDLE_INTERVALS:
        return CANDLE_CHANNEL
    known = ", ".join([*CHANNELS, *(f"candle.{iv}" for iv in CANDLE_INTERVALS)])
    raise ValueError(f"Gate.io has no channel for {key!r} (known: {known})")


def _label(key: str) -> str:
    if key.startswith("candle."):
        return f"{key[7:]} candles"
    return _LABELS.get(key, key or "channel")


# --------------------------------------------------------------------------- symbols

_SPLITS: dict[str, tuple[str, str]] = {}


def split_pair(pair: str) -> tuple[str, str]:
    """(base, quote) of a Gate.io pair: ``BTC_USDT`` -> ``("BTC", "USDT")``. Cached. Raises
    ``sanity.Invalid`` for a pair that is empty or holds anything unprintable (never cached)."""
    hit = _SPLITS.get(pair)
    if hit is None:
        check_symbol(EXCHANGE, pair)
        if len(_SPLITS) > 20_000:  # only a misbehaving peer sends that many pairs
            _SPLITS.clear()
        hit = _SPLITS[pair] = split_symbol(pair, "_", quote_first=False)
    return hit


# --------------------------------------------------------------------------- constructors
# msgspec builds a Struct from positional arguments ~7x faster than from keywords
# (measured: a Ticker in 0.15 us against 1.1 us, most of a ticker's decode). The events
# are therefore built positionally, in the order below; should model.py ever change that
# order, the keyword form takes over (slower, never wrong).


def _ctor(cls: Any, names: tuple[str, ...]) -> Callable[..., Any]:
    if tuple(cls.__struct_fields__[: len(names)]) == names:
        return cast(Callable[..., Any], cls)
    return lambda *args: cls(**dict(zip(names, args, strict=True)))


_TICKER_FIELDS = (
    "exchange", "symbol", "base", "quote", "trade_price", "change_rate", "change_price",
    "opening_price", "high_price", "low_price", "prev_closing_price", "acc_trade_volume_24h",
    "acc_trade_price_24h", "timestamp", "recv_ns", "trade_volume", "best_bid", "best_ask",
    "snapshot",
)  # fmt: skip
_TRADE_FIELDS = (
    "exchange", "symbol", "base", "quote", "price", "volume", "side", "trade_id", "timestamp",
    "recv_ns", "snapshot",
)  # fmt: skip
_CANDLE_FIELDS = (
    "exchange", "symbol", "base", "quote", "interval", "open_time", "open", "high", "low",
    "close", "volume", "timestamp", "recv_ns", "quote_volume", "closed", "snapshot",
)  # fmt: skip
_BOOK_FIELDS = (
    "exchange", "symbol", "base", "quote", "bids", "asks", "total_bid_size", "total_ask_size",
    "timestamp", "recv_ns", "snapshot",
)  # fmt: skip
_new_ticker: Callable[..., Ticker] = _ctor(Ticker, _TICKER_FIELDS)
_new_trade: Callable[..., Trade] = _ctor(Trade, _TRADE_FIELDS)
_new_candle: Callable[..., Candle] = _ctor(Candle, _CANDLE_FIELDS)
_new_book: Callable[..., OrderBook] = _ctor(OrderBook, _BOOK_FIELDS)


# --------------------------------------------------------------------------- builders
# Shared by the slow path and the REST parsers: dicts of Gate.io's strings in, checked
# events out. ``float`` reads "NaN" and "1e400"; ``sanity.checked`` refuses them.


def to_float(value: Any) -> float:
    """Float from a Gate.io numeric string; "" or null (no value) -> 0.0."""
    return float(value) if value not in ("", None) else 0.0


def _ticker(
    pair: str,
    last: float,
    change_pct: float,
    bid: float,
    ask: float,
    base_vol: float,
    quote_vol: float,
    high: float,
    low: float,
    timestamp: int,
    recv_ns: int,
    snapshot: bool,
) -> Ticker:
    base, quote = _SPLITS.get(pair) or split_pair(pair)
    rate = change_pct / 100.0
    grown = 1.0 + rate
    if last and grown <= 0.0:  # a price that fell more than 100 %
        why = f"whose 24-hour change {num(change_pct)} % is impossible"
        raise Invalid(sentence(EXCHANGE, "ticker", pair, why), pair)
    opening = last / grown if last and grown > 0.0 else 0.0
    return _new_ticker(
        EXCHANGE, pair, base, quote, last,
        rate if opening or not -INF < rate < INF else 0.0,
        last - opening if opening else 0.0,
        opening, high, low, opening, base_vol, quote_vol, timestamp, recv_ns,
        0.0, bid, ask, snapshot,
    )  # fmt: skip


def ticker_from(
    d: dict[str, Any], timestamp: int = 0, recv_ns: int = 0, snapshot: bool = False
) -> Ticker:
    """A Ticker from a Gate.io ticker object (WS ``spot.tickers`` result or REST tickers).
    Gate.io writes "" for a value it does not have (a market that never traded has no
    ``last``). Raises ``sanity.Invalid`` for values no market has."""
    raw_last = d["last"]
    ticker = _ticker(
        d["currency_pair"],
        to_float(raw_last),
        to_float(d.get("change_percentage")),
        to_float(d.get("highest_bid")),
        to_float(d.get("lowest_ask")),
        to_float(d.get("base_volume")),
        to_float(d.get("quote_volume")),
        to_float(d.get("high_24h")),
        to_float(d.get("low_24h")),
        timestamp,
        recv_ns,
        snapshot,
    )
    if not -INF < ticker.change_rate < INF:  # also NaN: say so, not "missing but changed"
        return checked(ticker)
    return checked(ticker, unpriced=raw_last in ("", None))


def _trade_ms(create_time_ms: Any, create_time: Any) -> int:
    """Trade time in ms from ``create_time_ms`` ("1606292218213.4578") or ``create_time``
    (s); ValueError for neither."""
    if create_time_ms not in ("", None):
        ms = float(create_time_ms)
        if 0.0 <= ms < 1e15:
            return int(ms)
    if create_time not in ("", None):
        return int(float(create_time) * 1000)
    raise ValueError("trade without create_time")


def trade_from(d: dict[str, Any], recv_ns: int = 0, snapshot: bool = False) -> Trade:
    """A Trade from a Gate.io trade object (WS ``spot.trades`` or REST trades). Raises
    ``sanity.Invalid`` for an impossible price or size, ValueError for an unknown side."""
    pair = d["currency_pair"]
    base, quote = _SPLITS.get(pair) or split_pair(pair)
    side = d["side"]
    if side != "buy" and side != "sell":
        raise ValueError(f"unknown trade side {quoted(side)}")
    return checked(
        Trade(
            exchange=EXCHANGE,
            symbol=pair,
            base=base,
            quote=quote,
            price=float(d["price"]),
            volume=float(d["amount"]),
            side=side,
            trade_id=str(d["id"]),
            timestamp=_trade_ms(d.get("create_time_ms"), d.get("create_time")),
            recv_ns=recv_ns,
            snapshot=snapshot,
        )
    )


def _candle_name(name: str) -> tuple[str, str]:
    """(our interval, pair) from a candle stream name ``1m_BTC_USDT``; ValueError if odd."""
    gate_iv, _, pair = name.partition("_")
    interval = _OUR_INTERVAL.get(gate_iv)
    if interval is None or not pair:
        raise ValueError(f"unknown candle stream {quoted(name)}")
    return interval, pair


def candle_from(d: dict[str, Any], timestamp: int = 0, recv_ns: int = 0) -> Candle:
    """A Candle from a WS ``spot.candlesticks`` result (``t`` in s, ``v`` quote volume,
    ``a`` base volume, ``n`` = ``<interval>_<pair>``, ``w`` closed). Raises
    ``sanity.Invalid`` for a candle whose prices are impossible or do not bracket."""
    interval, pair = _candle_name(d["n"])
    base, quote = _SPLITS.get(pair) or split_pair(pair)
    return checked(
        Candle(
            exchange=EXCHANGE,
            symbol=pair,
            base=base,
            quote=quote,
            interval=interval,
            open_time=int(d["t"]) * 1000,
            open=float(d["o"]),
            high=float(d["h"]),
            low=float(d["l"]),
            close=float(d["c"]),
            volume=to_float(d.get("a")),
            timestamp=timestamp,
            recv_ns=recv_ns,
            quote_volume=to_float(d.get("v")),
            closed=d.get("w") is True,
        )
    )


def book_event(
    pair: str,
    bids: tuple[Level, ...],
    asks: tuple[Level, ...],
    timestamp: int,
    recv_ns: int,
    snapshot: bool,
    *,
    ordered: bool = False,
) -> OrderBook:
    """An OrderBook event; totals are the sums over the levels it carries. ``ordered=True``
    (levels from a synced book found uncrossed) checks only that the totals are finite."""
    base, quote = _SPLITS.get(pair) or split_pair(pair)
    book = _new_book(
        EXCHANGE, pair, base, quote, bids, asks,
        sum([lv.size for lv in bids]), sum([lv.size for lv in asks]),
        timestamp, recv_ns, snapshot,
    )  # fmt: skip
    if ordered:
        total = book.total_bid_size + book.total_ask_size
        if total - total == 0.0:  # finite
            return book
    return checked(book)


def bbo_from(d: dict[str, Any], recv_ns: int = 0) -> OrderBook:
    """A one-level OrderBook from a ``spot.book_ticker`` result (``b``/``B`` best bid and
    its size, ``a``/``A`` best ask; "" = that side is empty)."""
    bids = (Level(float(d["b"]), float(d["B"])),) if d.get("b") else ()
    asks = (Level(float(d["a"]), float(d["A"])),) if d.get("a") else ()
    book = book_event(d["s"], bids, asks, int(d["t"]), recv_ns, snapshot=False)
    return msgspec.structs.replace(book, channel="bbo")  # not the full book


# --------------------------------------------------------------------------- wire structs
# The fast path: one decoder for every update envelope, tagged by ``channel``. Numbers are
# read from strings in C (``strict=False``); the constraints refuse NaN, infinities and
# negative prices while parsing, so what is left per event is a few comparisons.


class _TickerMsg(msgspec.Struct, gc=False):
    currency_pair: str
    last: Positive
    change_percentage: Finite
    highest_bid: NonNegative = 0.0
    lowest_ask: NonNegative = 0.0
    base_volume: NonNegative = 0.0
    quote_volume: NonNegative = 0.0
    high_24h: NonNegative = 0.0
    low_24h: NonNegative = 0.0


class _TradeMsg(msgspec.Struct, gc=False):
    id: int
    currency_pair: str
    side: Literal["buy", "sell"]
    amount: Positive
    price: Positive
    create_time_ms: Annotated[float, msgspec.Meta(ge=0.0, lt=1e15)] = -1.0
    create_time: int = -1


class _CandleMsg(msgspec.Struct, gc=False):
    t: int
    o: Positive
    h: Positive
    l: Positive  # noqa: E741 - Gate.io's key
    c: Positive
    n: str
    v: NonNegative = 0.0
    a: NonNegative = 0.0
    w: bool = False


class _BookTickerMsg(msgspec.Struct, gc=False):
    t: int
    s: str
    b: Positive
    B: NonNegative
    a: Positive
    A: NonNegative


class _BookUpdateMsg(msgspec.Struct, gc=False):
    t: int
    s: str
    U: int
    u: int
    b: list[Level] = []  # values checked by the book (BadLevel)
    a: list[Level] = []
    full: bool = False


class _SnapshotMsg(msgspec.Struct, gc=False):
    """``spot/order_book?with_id=true`` as the book sync reads it, levels in C."""

    id: int
    bids: list[Level]
    asks: list[Level]
    current: int = 0
    update: int = 0


_decode_snapshot = msgspec.json.Decoder(_SnapshotMsg, strict=False).decode


class _Update(msgspec.Struct, gc=False, tag_field="channel"):
    event: Literal["update"]
    time: int = 0
    time_ms: int = 0


class _TickerUpdate(_Update, tag="spot.tickers"):
    result: _TickerMsg | None = None


class _TradeUpdate(_Update, tag="spot.trades"):
    result: _TradeMsg | None = None


class _CandleUpdate(_Update, tag="spot.candlesticks"):
    result: _CandleMsg | None = None


class _BookTickerUpdate(_Update, tag="spot.book_ticker"):
    result: _BookTickerMsg | None = None


class _BookUpdate(_Update, tag="spot.order_book_update"):
    result: _BookUpdateMsg | None = None


_FastMsg = _TickerUpdate | _TradeUpdate | _CandleUpdate | _BookTickerUpdate | _BookUpdate


# --------------------------------------------------------------------------- book sync


@dataclass(slots=True)
class BookSync:
    """The sync state of one pair's book (Gate.io's documented procedure, section 4.4):

    1. updates are buffered until the REST snapshot (``id``) arrives; the snapshot is
       asked for when the subscription is confirmed (the stream has started, and a quiet
       market still gets its book at once), or at the first update (decode-only use);
    2. buffered updates with ``u <= id`` are dropped; the first applied must have
       ``U <= id + 1 <= u`` (else the snapshot is older than the stream: ask again);
    3. then each update must have ``U == previous u + 1``; a gap drops the book, keeps
       the updates from the gap on and asks for a new snapshot. Failed or unusable
       snapshots are asked for again with a capped exponential backoff (0.5 s .. 30 s).
    """

    book: LevelBook | None = None  # None until synced
    last_u: int = 0
    buffer: deque[tuple[int, int, int, Any, Any]] = field(default_factory=deque)
    asked: bool = False  # a snapshot request is queued or in flight
    retry_at: float = 0.0  # clock time before which no new snapshot request is made
    failures: int = 0
    first: bool = True  # the next update is the first after the snapshot


BUFFER_LIMIT = 4096  # updates kept while waiting for a snapshot (oldest dropped first)
_MAX_BACKOFF = 30.0  # seconds between snapshot requests after repeated failures


# --------------------------------------------------------------------------- the codec


class GateioCodec(ExchangeCodec):
    """Gate.io v4 spot public market data. One instance per connection (books and request
    ids are per connection). ``clock`` returns Unix seconds (``time.time`` by default);
    ``depth`` is the number of levels a side an order book event carries."""

    name: ClassVar[str] = EXCHANGE
    default_ws_url: ClassVar[str] = "wss://api.gateio.ws/ws/v4/"
    default_rest_url: ClassVar[str] = "https://api.gateio.ws"
    keepalive_interval: ClassVar[float] = 15.0  # idle timeout unconfirmed; 10-20 s is usual
    # Static fallback only: Gate.io wants ``time`` in every request, so the transport calls
    # ``heartbeat_frame()`` for a freshly stamped ping.
    ping_frame: ClassVar[str | None] = '{"channel":"spot.ping"}'
    ping_is_limited: ClassVar[bool] = False
    # Gate.io documents no message limit and recommends at most 100 connections per IP;
    # the caps are ours, to stay polite.
    connect_limits: ClassVar[tuple[RateLimit, ...]] = (RateLimit(5, 1.0), RateLimit(100, 60.0))
    message_limits: ClassVar[tuple[RateLimit, ...]] = (RateLimit(20, 1.0),)
    # REST: 200 requests per 10 s per endpoint per IP (public).
    rest_limits: ClassVar[tuple[RateLimit, ...]] = (RateLimit(200, 10.0),)
    max_pairs_per_request: ClassVar[int] = 100

    def __init__(self, depth: int = 30, clock: Callable[[], float] = time.time) -> None:
        if not 1 <= depth <= BOOK_LIMIT:
            raise ValueError(f"depth must be between 1 and {BOOK_LIMIT}")
        self.depth = depth
        self._clock = clock
        self._next_id = 0
        # id -> (event, our channel key, gate channel, pairs) of requests not yet answered.
        self._open: dict[int, tuple[str, str, str, tuple[str, ...]]] = {}
        self._books: dict[str, BookSync] = {}
        self._book_subs: set[str] | None = None  # None: decode-only use (replay, tests)
        self._rest_pending: list[RestRequest] = []
        self._decode_fast = msgspec.json.Decoder(_FastMsg, strict=False).decode

    # -- connection-level facts -------------------------------------------------------

    def reset(self) -> None:
        self._next_id = 0
        self._open.clear()
        self._books.clear()
        self._book_subs = None
        self._rest_pending.clear()

    def normalize_symbol(self, symbol: str) -> str:
        """``btc_usdt``, ``BTC-USDT`` and ``BTC/USDT`` are all ``BTC_USDT`` on Gate.io."""
        code = symbol.strip().upper().replace("-", "_").replace("/", "_")
        if not code or any(c.isspace() or c in ",;" for c in code):
            raise ValueError(f"{symbol!r} is not a market code on {self.name}")
        return code

    def validate_channel(self, channel: str) -> None:
        gate_channel(channel)  # ValueError naming the channels Gate.io has; no state touched

    def request(self, channel: str, event: str, payload: Sequence[str]) -> str:
        """One time-stamped request frame (``id`` counts up per connection)."""
        self._next_id += 1
        return orjson.dumps(
            {
                "time": int(self._clock()),
                "id": self._next_id,
                "channel": channel,
                "event": event,
                "payload": list(payload),
            }
        ).decode()

    def restamp(self, frame: Frame) -> Frame:
        """``frame`` (one of this codec's requests) with ``time`` set to now: for a
        transport whose send queue may hold a request longer than Gate.io's 60 s window.
        Anything else is returned unchanged."""
        try:
            msg = orjson.loads(frame)
        except orjson.JSONDecodeError:
            return frame
        if type(msg) is not dict or "time" not in msg:
            return frame
        msg["time"] = int(self._clock())
        return orjson.dumps(msg).decode()

    def heartbeat_frame(self) -> Frame | None:
        """A ``spot.ping`` stamped with the current time (Gate.io answers ``spot.pong``)."""
        return orjson.dumps({"time": int(self._clock()), "channel": "spot.ping"}).decode()

    ping = heartbeat_frame

    # -- subscriptions ----------------------------------------------------------------

    def subscribe_frames(self, desired: Subscription, current: Subscription) -> list[Frame]:
        want = _wanted(desired)
        have = _wanted(current)
        removed = sorted(have - want)
        added = sorted(want - have)
        for key, pair in removed:
            if key == "orderbook":
                self._forget_book(pair)
        for key, pair in added:
            if key == "orderbook":
                self._forget_book(pair)
                self._books[pair] = BookSync()
        self._book_subs = set(desired.get("orderbook", ()))
        return [*self._frames("unsubscribe", removed), *self._frames("subscribe", added)]

    def _frames(self, event: str, pairs: Sequence[tuple[str, str]]) -> list[Frame]:
        grouped: dict[str, list[str]] = {}
        for key, pair in pairs:
            grouped.setdefault(key, []).append(pair)
        frames: list[Frame] = []
        for key, symbols in grouped.items():
            channel = gate_channel(key)
            if channel in _ONE_PAIR:
                for pair in symbols:
                    if channel == CANDLE_CHANNEL:
                        payload = [gate_interval(key[7:]), pair]
                    else:
                        payload = [pair, BOOK_SPEED]
                    frames.append(self._tracked(event, key, channel, payload, (pair,)))
                continue
            step = self.max_pairs_per_request
            for i in range(0, len(symbols), step):
                chunk = tuple(symbols[i : i + step])
                frames.append(self._tracked(event, key, channel, chunk, chunk))
        return frames

    def _tracked(
        self, event: str, key: str, channel: str, payload: Sequence[str], pairs: tuple[str, ...]
    ) -> str:
        frame = self.request(channel, event, payload)
        self._open[self._next_id] = (event, key, channel, pairs)
        if len(self._open) > 10_000:  # never answered: forget the oldest
            del self._open[next(iter(self._open))]
        return frame

    # -- REST the books need --------------------------------------------------------------

    def rest_requests(self) -> list[RestRequest]:
        if not self._rest_pending:
            return []
        now = self._clock()
        due = [r for r in self._rest_pending if self._due(r, now)]
        if due:
            self._rest_pending = [r for r in self._rest_pending if r not in due]
        return due

    def _due(self, request: RestRequest, now: float) -> bool:
        sync = self._books.get(request.key[6:])
        # A wait longer than the longest backoff means the wall clock went back: without
        # this the book would stay unsynced for as long as the clock jumped.
        return sync is None or not 0.0 < sync.retry_at - now <= _MAX_BACKOFF

    def _back_off(self, sync: BookSync) -> float:
        """Count a failed snapshot and set when the next may be asked; returns the wait."""
        sync.failures += 1
        # The exponent is capped: hours of failures would otherwise overflow a float.
        delay = min(_MAX_BACKOFF, 0.5 * 2 ** min(sync.failures, 16))
        sync.retry_at = self._clock() + delay
        return delay

    @staticmethod
    def snapshot_request(pair: str) -> RestRequest:
        return RestRequest(
            key=f"depth:{pair}",
            path=ORDER_BOOK_PATH,
            params=(("currency_pair", pair), ("limit", str(BOOK_LIMIT)), ("with_id", "true")),
        )

    def _ask_snapshot(self, pair: str, sync: BookSync) -> None:
        if not sync.asked:
            sync.asked = True
            self._rest_pending.append(self.snapshot_request(pair))

    def on_rest(
        self, request: RestRequest, status_code: int, body: bytes, recv_ns: int
    ) -> list[Event]:
        try:
            return self._on_rest(request, status_code, body, recv_ns)
        except Exception as exc:  # never raises: the book is dropped and asked for again
            pair = request.key.partition(":")[2]
            sync = self._books.get(pair)
            if sync is None:
                return []
            sync.asked = False
            sync.buffer = deque()
            self._back_off(sync)
            why = f"could not be rebuilt ({type(exc).__name__}: {exc})"
            return [self._resync(pair, sync, "malformed", why, recv_ns)]

    def _on_rest(
        self, request: RestRequest, status_code: int, body: bytes, recv_ns: int
    ) -> list[Event]:
        kind, _, pair = request.key.partition(":")
        if kind != "depth":
            return []
        sync = self._books.get(pair)
        if sync is None:
            return []  # unsubscribed meanwhile
        sync.asked = False
        if sync.book is not None:
            return []  # synced meanwhile (a ``full`` update): this reply is not needed
        from dantaro_tui.exchanges.gateio_rest import GateioApiError

        try:
            if status_code != 200:
                raise GateioApiError.from_body(status_code, body)
            base_id, bids, asks, snap_ms = _snapshot_levels(body)
        except (GateioApiError, BadLevel) as exc:
            return [self._snapshot_failed(pair, sync, str(exc), recv_ns)]
        book = LevelBook(self.depth)
        try:
            book.snapshot(bids, asks)
        except BadLevel as exc:
            return [self._snapshot_failed(pair, sync, f"it holds {exc}", recv_ns)]
        buffer = sync.buffer
        while buffer and buffer[0][1] <= base_id:
            buffer.popleft()  # already in the snapshot
        if buffer and buffer[0][0] > base_id + 1:
            # The snapshot is older than the stream we kept: ask for a newer one.
            self._back_off(sync)
            self._ask_snapshot(pair, sync)
            message = (
                f"Gate.io order book snapshot for {pair} was older than the stream "
                f"(id {base_id}, next update {buffer[0][0]}); loading a newer one."
            )
            return [status(EXCHANGE, "status", "stale_snapshot", message, pair, recv_ns)]
        sync.book = book
        sync.last_u = base_id
        timestamp = snap_ms or recv_ns // 1_000_000
        first = True
        while buffer:
            U, u, t, bids, asks = buffer.popleft()
            if not (U <= sync.last_u + 1 <= u if first else sync.last_u + 1 == U):
                buffer.appendleft((U, u, t, bids, asks))
                return [self._gap(pair, sync, U, recv_ns, buffer)]
            first = False
            try:
                book.update(bids, asks)
            except BadLevel as exc:
                return self._bad_level(pair, sync, "update", exc, recv_ns)
            sync.last_u = u
            timestamp = t
        sync.retry_at = 0.0
        sync.buffer = deque()
        sync.first = first
        if book.crossed():  # a snapshot cannot be trusted: ask again, but not at once
            self._back_off(sync)
            return [self._crossed(pair, sync, book, recv_ns)]
        sync.failures = 0
        return [self._emit(pair, book, timestamp, recv_ns, snapshot=True)]

    def _snapshot_failed(self, pair: str, sync: BookSync, why: str, recv_ns: int) -> Status:
        delay = self._back_off(sync)
        self._ask_snapshot(pair, sync)
        message = (
            f"Gate.io order book snapshot for {pair} could not be loaded ({clean(why)}); "
            f"asking again in {delay:g} s."
        )
        return status(EXCHANGE, "error", "snapshot", message, pair, recv_ns)

    # -- decoding ---------------------------------------------------------------------

    def decode(self, frame: Frame, recv_ns: int) -> list[Event]:
        try:
            msg = self._decode_fast(frame)
            result: Any = msg.result
            if result is None:
                raise ValueError("no result")
            cls = msg.__class__
            if cls is _BookUpdate:
                return self._on_book_update(
                    result.s, result.U, result.u, result.t, result.full, result.b, result.a,
                    recv_ns,
                )  # fmt: skip
            ts = msg.time_ms or msg.time * 1000
            if cls is _TradeUpdate:
                ms = result.create_time_ms
                return [
                    _fast_trade(
                        result, int(ms) if ms >= 0.0 else result.create_time * 1000, recv_ns
                    )
                ]
            if cls is _TickerUpdate:
                return [_fast_ticker(result, ts, recv_ns)]
            if cls is _CandleUpdate:
                return [_fast_candle(result, ts, recv_ns)]
            return [_fast_bbo(result, recv_ns)]
        except Exception:  # not the expected shape or values: the slow path says what it is
            return self._decode_slow(frame, recv_ns)

    def _decode_slow(self, frame: Frame, recv_ns: int) -> list[Event]:
        try:
            msg = orjson.loads(frame)
        except orjson.JSONDecodeError:
            return [self._malformed(frame, recv_ns, "it is not JSON")]
        except TypeError:
            return [self._malformed(b"", recv_ns, f"a frame cannot be {type(frame).__name__}")]
        try:
            if type(msg) is not dict:
                return [self._malformed(frame, recv_ns, "it is not a JSON object")]
            channel = msg.get("channel")
            event = msg.get("event")
            if channel == "spot.pong":
                return []
            if msg.get("error") is not None or event in ("subscribe", "unsubscribe"):
                return self._on_reply(msg, recv_ns)
            if event != "update":
                return []  # nothing we asked for
            result = msg["result"]
            ts = _envelope_ms(msg)
            if channel == "spot.order_book_update":
                if type(result) is not dict:
                    raise ValueError("its result is not an object")
                return self._book_update_slow(result, recv_ns)
            builder = _SLOW.get(channel) if type(channel) is str else None
            if builder is None:
                return []  # a channel we never ask for
            items = result if type(result) is list else [result]
            out: list[Event] = []
            for item in items:
                if type(item) is not dict:
                    raise ValueError("its result is not an object")
                try:
                    out.append(builder(item, ts, recv_ns))
                except Invalid as exc:
                    out.append(invalid_status(EXCHANGE, exc, recv_ns))
            return out
        except Exception as exc:  # decode never raises: any surprise is a malformed frame
            return [self._malformed(frame, recv_ns, f"{type(exc).__name__}: {exc}")]

    def _malformed(self, frame: Frame, recv_ns: int, why: str, symbol: str = "") -> Status:
        text = frame if isinstance(frame, str) else bytes(frame).decode("utf-8", "replace")
        preview = text[:80] + ("..." if len(text) > 80 else "")
        message = f"Ignored an unreadable Gate.io message ({why}): {preview}"
        return status(EXCHANGE, "error", "malformed", message, symbol, recv_ns)

    def _on_reply(self, msg: dict[str, Any], recv_ns: int) -> list[Event]:
        """An ack or an error, matched to our request by ``id`` (else the oldest open
        request of the same channel and event: the 2021 server echoed no id)."""
        channel = msg.get("channel")
        channel = channel if type(channel) is str else ""
        event = msg.get("event")
        event = event if type(event) is str else ""
        req_id = msg.get("id")
        entry = self._open.pop(req_id, None) if type(req_id) is int else None
        if entry is None and req_id is None:
            for rid, (ev, _, ch, _) in self._open.items():
                if ev == event and ch == channel:
                    entry = self._open.pop(rid)
                    break
        if entry is not None:
            _, key, _, pairs = entry
        else:  # not ours, or decode-only use: read what the frame itself says
            key, pairs = _key_of_reply(channel, msg.get("payload"))
        error = msg.get("error")
        if error is not None:
            return self._on_error(error, event, key, pairs, recv_ns)
        result = msg.get("result")
        ok = type(result) is dict and result.get("status") == "success"
        label = _label(key)
        if not ok:
            said = quoted(result, 80)
            message = f"Gate.io did not confirm the {label} {event or 'request'} ({said})."
            return [status(EXCHANGE, "error", "fail", message, _one(pairs), recv_ns)]
        if event == "unsubscribe":
            said = f"Unsubscribed from Gate.io {label}"
            return [
                status(EXCHANGE, "status", "unsubscribed", f"{said} for {p}.", p, recv_ns)
                for p in pairs or ("",)
            ]
        if key == "orderbook":
            # The stream has started: a snapshot taken now is not older than it, and a
            # quiet market (no update for a while) still gets its book shown at once.
            for p in pairs:
                sync = self._books.get(p)
                if sync is not None and sync.book is None:
                    self._ask_snapshot(p, sync)
        if not pairs:
            return [
                status(EXCHANGE, "subscribed", key, f"Subscribed to Gate.io {label}.", "", recv_ns)
            ]
        return [
            status(
                EXCHANGE, "subscribed", key, f"Subscribed to Gate.io {label} for {p}.", p, recv_ns
            )
            for p in pairs
        ]

    def _on_error(
        self, error: Any, event: str, key: str, pairs: tuple[str, ...], recv_ns: int
    ) -> list[Event]:
        code = error.get("code") if type(error) is dict else None
        said = error.get("message") if type(error) is dict else error
        meaning = (
            ERROR_TEXT.get(code, "the request failed")
            if type(code) is int
            else ("the request failed")
        )
        what = f"the {_label(key)} {event or 'request'}" if key else "a request"
        listed = f" for {', '.join(pairs)}" if pairs else ""
        says = f" (Gate.io says: {said})" if said not in (None, "") else ""
        message = f"Gate.io refused {what}{listed}: {meaning}, code {code}{says}."
        if key == "orderbook" and event == "subscribe":
            for pair in pairs:  # no updates will come: no snapshot is needed either
                self._forget_book(pair)
                if self._book_subs is not None:
                    self._book_subs.discard(pair)
        return [status(EXCHANGE, "error", str(code), message, _one(pairs), recv_ns)]

    # -- the synced book ----------------------------------------------------------------

    def book(self, pair: str) -> LevelBook | None:
        """The live merged book for ``pair`` (None while it is being (re)built)."""
        sync = self._books.get(pair)
        return sync.book if sync is not None else None

    def _forget_book(self, pair: str) -> None:
        self._books.pop(pair, None)
        key = f"depth:{pair}"
        self._rest_pending = [r for r in self._rest_pending if r.key != key]

    def _book_update_slow(self, d: dict[str, Any], recv_ns: int) -> list[Event]:
        pair = d["s"]
        raw_bids = d.get("b") or []
        raw_asks = d.get("a") or []
        if type(raw_bids) is not list or type(raw_asks) is not list:
            raise ValueError("its levels are not lists")
        full = d.get("full") is True
        try:
            bids = levels_from_raw(raw_bids)
            asks = levels_from_raw(raw_asks)
        except (ValueError, TypeError, IndexError) as exc:
            sync = self._books.get(pair)
            if sync is not None and (sync.book is not None or full):
                return self._bad_book(pair, sync, exc, recv_ns)
            raise  # a malformed message; the buffered chain now has a gap the sync sees
        return self._on_book_update(
            pair, int(d["U"]), int(d["u"]), int(d["t"]), full, bids, asks, recv_ns
        )

    def _on_book_update(
        self,
        pair: str,
        U: int,  # Gate.io's names
        u: int,
        t: int,
        full: bool,
        bids: Any,
        asks: Any,
        recv_ns: int,
    ) -> list[Event]:
        sync = self._books.get(pair)
        if sync is None:
            subs = self._book_subs
            if subs is not None and pair not in subs:
                return []  # in flight after an unsubscribe
            try:
                check_symbol(EXCHANGE, pair, "order book message")
            except Invalid as exc:  # never keep (or ask a snapshot for) a book of that name
                return [invalid_status(EXCHANGE, exc, recv_ns)]
            sync = self._books[pair] = BookSync()
        book = sync.book
        if full:
            return self._full(pair, sync, u, t, bids, asks, recv_ns)
        if book is None:
            buffer = sync.buffer
            buffer.append((U, u, t, bids, asks))
            if len(buffer) > BUFFER_LIMIT:
                buffer.popleft()
            if not sync.asked:
                self._ask_snapshot(pair, sync)
            return []
        last = sync.last_u
        first = sync.first
        if not (U <= last + 1 <= u if first else last + 1 == U):
            if u <= last:
                return []  # an old update, already in the book
            return [self._gap(pair, sync, U, recv_ns, deque([(U, u, t, bids, asks)]))]
        try:
            changed = book.update(bids, asks)  # atomic: raises before touching the book
        except BadLevel as exc:
            return self._bad_level(pair, sync, "update", exc, recv_ns)
        sync.last_u = u
        sync.first = False
        bids = book.bids
        asks = book.asks
        bid_view = bids.view
        ask_view = asks.view
        # Only a change within the shown levels can cross the book; the views start with
        # the best levels.
        if changed and bid_view and ask_view and bid_view[0].price >= ask_view[0].price:
            return [self._crossed(pair, sync, book, recv_ns)]
        total_bid = bids.total
        total_ask = asks.total
        if not total_bid + total_ask < INF:  # sizes near 1e308: let the check explain
            return [self._emit(pair, book, t, recv_ns, snapshot=False)]
        base, quote = _SPLITS.get(pair) or split_pair(pair)
        return [
            _new_book(
                EXCHANGE, pair, base, quote, bid_view, ask_view, total_bid, total_ask, t,
                recv_ns, False,
            )
        ]  # fmt: skip

    def _full(
        self, pair: str, sync: BookSync, u: int, t: int, bids: Any, asks: Any, recv_ns: int
    ) -> list[Event]:
        """A ``full: true`` update: the whole book, replacing ours; its ``u`` is the id."""
        book = LevelBook(self.depth)
        try:
            book.snapshot(bids, asks)
        except BadLevel as exc:
            return self._bad_level(pair, sync, "snapshot", exc, recv_ns)
        sync.book = book
        sync.last_u = u
        sync.buffer = deque()
        sync.failures = 0
        sync.first = False
        key = f"depth:{pair}"
        kept = [r for r in self._rest_pending if r.key != key]
        if len(kept) != len(self._rest_pending):  # not sent yet: no longer needed
            self._rest_pending = kept
            sync.asked = False
        if book.crossed():
            return [self._crossed(pair, sync, book, recv_ns)]
        return [self._emit(pair, book, t, recv_ns, snapshot=True)]

    @staticmethod
    def _emit(pair: str, book: LevelBook, t: int, recv_ns: int, snapshot: bool) -> OrderBook:
        """The book event of ``book``'s view (positive, finite, ordered and uncrossed by
        construction; only the totals can still be out of range)."""
        bids = book.bids
        asks = book.asks
        base, quote = _SPLITS.get(pair) or split_pair(pair)
        ev = _new_book(
            EXCHANGE, pair, base, quote, bids.view, asks.view, bids.total, asks.total, t,
            recv_ns, snapshot,
        )  # fmt: skip
        total = bids.total + asks.total
        return ev if total - total == 0.0 else checked(ev)

    def _resync(self, pair: str, sync: BookSync, code: str, why: str, recv_ns: int) -> Status:
        sync.book = None
        sync.last_u = 0
        sync.first = True
        self._ask_snapshot(pair, sync)
        message = f"Gate.io order book for {pair} {why}; it was cleared and is being reloaded."
        return status(EXCHANGE, "resync", code, message, pair, recv_ns)

    def _gap(
        self,
        pair: str,
        sync: BookSync,
        got: int,
        recv_ns: int,
        keep: deque[tuple[int, int, int, Any, Any]],
    ) -> Status:
        expected = sync.last_u + 1
        sync.buffer = keep  # the updates from the gap on: the next snapshot may use them
        why = f"missed updates (expected update {expected}, got {got})"
        return self._resync(pair, sync, "sequence", why, recv_ns)

    def _crossed(self, pair: str, sync: BookSync, book: LevelBook, recv_ns: int) -> Status:
        sync.buffer = deque()
        bid, ask = book.best_bid(), book.best_ask()
        why = f"became crossed (best bid {num(bid or 0.0)} at or above best ask {num(ask or 0.0)})"
        return self._resync(pair, sync, "crossed", why, recv_ns)

    def _bad_level(
        self, pair: str, sync: BookSync, what: str, exc: BadLevel, recv_ns: int
    ) -> list[Event]:
        sync.buffer = deque()
        said = f"Ignored a Gate.io order book {what} for {pair} with {exc}."
        return [
            status(EXCHANGE, "error", "invalid", said, pair, recv_ns),
            self._resync(pair, sync, "invalid", "received an impossible price or size", recv_ns),
        ]

    def _bad_book(self, pair: str, sync: BookSync, exc: Exception, recv_ns: int) -> list[Event]:
        sync.buffer = deque()
        message = (
            f"Ignored an unreadable Gate.io order book message for {pair} "
            f"({type(exc).__name__}: {exc})."
        )
        return [
            status(EXCHANGE, "error", "malformed", message, pair, recv_ns),
            self._resync(pair, sync, "malformed", "received an unreadable message", recv_ns),
        ]


# --------------------------------------------------------------------------- helpers


def _snapshot_levels(body: bytes) -> tuple[int, list[Level], list[Level], int]:
    """(id, bids, asks, time in ms or 0) of an ``order_book?with_id=true`` body. Levels are
    read in C; a body that does not decode so (an error reply, no id, a number out of
    float range) goes through ``gateio_rest``, whose errors say what is wrong."""
    try:
        snap = _decode_snapshot(body)
    except msgspec.DecodeError:
        from dantaro_tui.exchanges.gateio_rest import parse_book_snapshot

        raw = parse_book_snapshot(body)
        return raw.id, levels_from_raw(raw.bids), levels_from_raw(raw.asks), raw.timestamp
    return snap.id, snap.bids, snap.asks, snap.update or snap.current


def _fast_ticker(r: _TickerMsg, ts: int, recv_ns: int) -> Ticker:
    t = _ticker(
        r.currency_pair, r.last, r.change_percentage, r.highest_bid, r.lowest_ask,
        r.base_volume, r.quote_volume, r.high_24h, r.low_24h, ts, recv_ns, False,
    )  # fmt: skip
    if 0.0 < t.best_ask <= t.best_bid or not -INF < t.change_price < INF:
        return checked(t)
    return t


def _fast_trade(r: _TradeMsg, ms: int, recv_ns: int) -> Trade:
    pair = r.currency_pair
    base, quote = _SPLITS.get(pair) or split_pair(pair)
    return _new_trade(
        EXCHANGE, pair, base, quote, r.price, r.amount, r.side, str(r.id), ms, recv_ns, False
    )


_CANDLE_NAMES: dict[str, tuple[str, str, str, str]] = {}


def _fast_candle(r: _CandleMsg, ts: int, recv_ns: int) -> Candle:
    name = r.n
    hit = _CANDLE_NAMES.get(name)
    if hit is None:
        interval, pair = _candle_name(name)
        base, quote = split_pair(pair)  # Invalid for a pair no market has: never cached
        if len(_CANDLE_NAMES) > 20_000:
            _CANDLE_NAMES.clear()
        hit = _CANDLE_NAMES[name] = (interval, pair, base, quote)
    interval, pair, base, quote = hit
    o, h, low, c = r.o, r.h, r.l, r.c
    candle = _new_candle(
        EXCHANGE, pair, base, quote, interval, r.t * 1000, o, h, low, c, r.a, ts, recv_ns,
        r.v, r.w, False,
    )  # fmt: skip
    if low <= o <= h and low <= c <= h:
        return candle
    return checked(candle)  # raises Invalid


def _fast_bbo(r: _BookTickerMsg, recv_ns: int) -> OrderBook:
    if r.b >= r.a:
        raise ValueError("crossed")  # the slow path writes the sentence
    book = book_event(
        r.s, (Level(r.b, r.B),), (Level(r.a, r.A),), r.t, recv_ns, False, ordered=True
    )
    return msgspec.structs.replace(book, channel="bbo")  # not the full book


def _envelope_ms(msg: dict[str, Any]) -> int:
    ms = msg.get("time_ms")
    if type(ms) is int and ms > 0:
        return ms
    s = msg.get("time")
    return int(s) * 1000 if type(s) is int and s > 0 else 0


def _slow_ticker(d: dict[str, Any], ts: int, recv_ns: int) -> Event:
    return ticker_from(d, ts, recv_ns)


def _slow_trade(d: dict[str, Any], ts: int, recv_ns: int) -> Event:
    return trade_from(d, recv_ns)


def _slow_candle(d: dict[str, Any], ts: int, recv_ns: int) -> Event:
    return candle_from(d, ts, recv_ns)


def _slow_bbo(d: dict[str, Any], ts: int, recv_ns: int) -> Event:
    return bbo_from(d, recv_ns)


_SLOW: dict[str, Callable[[dict[str, Any], int, int], Event]] = {
    "spot.tickers": _slow_ticker,
    "spot.trades": _slow_trade,
    "spot.candlesticks": _slow_candle,
    "spot.book_ticker": _slow_bbo,
}


def _key_of_reply(channel: str, payload: Any) -> tuple[str, tuple[str, ...]]:
    """(our channel key, pairs) read from a reply's own ``channel`` and ``payload``."""
    items = tuple(p for p in payload if type(p) is str) if type(payload) is list else ()
    if channel == CANDLE_CHANNEL:
        if len(items) == 2 and items[0] in _OUR_INTERVAL:
            return f"candle.{_OUR_INTERVAL[items[0]]}", (items[1],)
        return "candle", ()
    key = _KEY_OF_CHANNEL.get(channel, "")
    if channel == CHANNELS["orderbook"]:
        return key, items[:1]
    return key, items


def _one(pairs: tuple[str, ...]) -> str:
    return pairs[0] if len(pairs) == 1 else ""


def _wanted(sub: Subscription) -> set[tuple[str, str]]:
    out: set[tuple[str, str]] = set()
    for key, symbols in sub.items():
        if not symbols:
            continue
        gate_channel(key)  # ValueError for a channel Gate.io does not have
        for s in symbols:
            out.add((key, s))
    return out
