"""Binance spot public market data: a sans-I/O codec with locally synced order books.

Wire reference: ``docs/exchanges.md`` section 3 in the shared folder. Summary:

* Text JSON frames on the combined-stream endpoint ``/stream``: every push is wrapped
  ``{"stream":"btcusdt@trade","data":{...}}``. Stream names use lower-case symbols; the
  payloads carry Binance's upper-case ``s`` (``BTCUSDT``), which is the symbol of our events.
* Subscriptions accumulate: ``subscribe_frames`` sends the difference between the desired and
  the current set as ``UNSUBSCRIBE`` then ``SUBSCRIBE`` requests
  ``{"method":"SUBSCRIBE","params":[...],"id":N}``. Binance answers ``{"result":null,"id":N}``,
  which becomes one ``Status(kind="subscribed", code=<our channel key>, symbol=...)`` per
  stream of request N; ``{"code":2,"msg":"...","id":N}`` becomes ``Status(kind="error")``.
* Limits: at most 1,024 streams per connection (``max_pairs``), at most 5 incoming messages a
  second per connection, pings and pongs included (``message_limits``); 300 connection
  attempts per 5 minutes per IP (``connect_limits``).
* Keepalive: the *server* pings (every 20 s per the reference; Binance's 2023 page says every
  3 minutes) and the WebSocket library answers with a pong, so ``ping_frame`` is None. The
  pongs count toward the 5 messages a second. A connection lives at most 24 hours; Binance
  then closes it, announced by a ``serverShutdown`` event, which becomes
  ``Status(kind="notice", code="serverShutdown")``: a planned reconnect, not an error.

Channels (our key -> stream): ``trade`` -> ``<s>@trade`` (the taker side from ``m``: the
buyer was the maker, so the taker SOLD), ``ticker`` -> ``<s>@ticker`` (rolling 24 h, best bid
and ask filled), ``bbo`` -> ``<s>@bookTicker`` (a one-level OrderBook, no exchange time),
``orderbook`` -> ``<s>@depth@100ms`` (a local book, below), ``candle.<i>`` ->
``<s>@kline_<i>`` (``closed`` from ``x``). ``aggTrade`` pushes (in the recorded session)
decode to Trades too.

The local book follows Binance's rules ("How to manage a local order book correctly"):
deltas are buffered from the first one received, and only then the REST snapshot is asked
for through ``rest_requests()`` (key ``depth:BTCUSDT``, ``GET /api/v3/depth?limit=1000``,
weight 50), so the snapshot cannot predate the buffer. ``on_rest`` drops buffered deltas with
``u <= lastUpdateId``; the first applied must satisfy ``U <= lastUpdateId + 1 <= u`` and each
next ``U == previous u + 1``. A snapshot older than the first buffered delta is asked for
again (the buffer is kept). A gap, an impossible level (NaN, negative: ``books.BadLevel``), an
unreadable delta or a crossed book drops the book, emits ``Status(kind="resync")`` and asks
for a new snapshot; no book is shown until it is synced again. Each applied delta emits the
top ``depth`` levels. The book is a ``books.LevelBook``: the ``Level`` objects the decoder
made are kept and shown as they are, and a side the delta did not reach into keeps its
previous tuple and total.

Decoding has two paths, as in ``upbit.py``. The fast path reads the stream name at the head
of the frame and hands the whole frame to a ``msgspec`` decoder for that stream's envelope
(strings to floats in C, with constraints that refuse NaN, infinities and negative prices or
sizes). Anything it refuses (acks, errors, raw ``/ws`` payloads, other key orders, impossible
values) takes the slow path: ``orjson`` into Python objects, then unconstrained structs and
``sanity.checked``, which writes the sentence: ``Status(kind="error", code="invalid")``.
``decode`` never raises. All text from the wire reaches a Status through ``sanity.status``.

Depth levels are decoded straight into ``Level`` objects. That decoder also reads numbers
where Binance writes strings, which the book must refuse as unreadable (a sign the frame is
not what it seems); a diff-depth frame is therefore only taken on the fast path when its
double quotes add up to Binance's shape (``_DEPTH_QUOTES`` plus 4 per level). Any other
frame, numbers in the levels included, takes the slow path, which reads levels as strings
only. The levels' values are checked by the book (``BadLevel``).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, cast

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
)
from dantaro_tui.exchanges.books import BadLevel, LevelBook, levels_from_raw
from dantaro_tui.exchanges.sanity import (
    Invalid,
    check_symbol,
    checked,
    clean,
    invalid_status,
    num,
    status,
)
from dantaro_tui.model import Candle, Event, Level, Market, OrderBook, Status, Ticker, Trade

__all__ = [
    "CANDLE_INTERVALS",
    "CHANNELS",
    "EXCHANGE",
    "QUOTE_ASSETS",
    "BinanceCodec",
    "api_error_text",
    "binance_stream",
    "depth_weight",
    "split_symbol_by_quote",
    "stream_key",
]

EXCHANGE = "binance"
STREAM_PATH = "/stream"
DEPTH_PATH = "/api/v3/depth"

# Our channel keys -> Binance stream suffixes (candles are handled by CANDLE_INTERVALS).
CHANNELS: dict[str, str] = {
    "trade": "trade",
    "ticker": "ticker",
    "bbo": "bookTicker",
    "orderbook": "depth@100ms",
}
# Binance kline intervals (case-sensitive: "1M" is a month); ours are spelled the same.
_INTERVALS = "1s 1m 3m 5m 15m 30m 1h 2h 4h 6h 8h 12h 1d 3d 1w 1M"
CANDLE_INTERVALS: tuple[str, ...] = tuple(_INTERVALS.split())
_LABELS = {
    "trade": "trades",
    "ticker": "ticker",
    "bbo": "best bid/ask",
    "orderbook": "order book",
}
# Stream suffix -> our channel key (for acks and LIST_SUBSCRIPTIONS).
_KEY_OF_SUFFIX: dict[str, str] = {v: k for k, v in CHANNELS.items()}
_KEY_OF_SUFFIX.update({f"kline_{iv}": f"candle.{iv}" for iv in CANDLE_INTERVALS})

# Quote assets tried (longest first) when a symbol is not in the exchangeInfo mapping. AEUR
# is left out on purpose: ADAEUR is ADA/EUR, not AD/AEUR (string splitting is ambiguous;
# with this list all 1,695 symbols of the recorded exchangeInfo split as Binance says).
_QUOTES = (
    "FDUSD USDT USDC TUSD BUSD USDP USDS BIDR IDRT BKRW BVND EURI DAI PAX BTC "
    "ETH BNB TRY EUR GBP BRL AUD RUB UAH NGN ZAR ARS JPY PLN RON MXN COP CZK XRP TRX "
    "DOT SOL DOGE VAI GYEN"
)
QUOTE_ASSETS: tuple[str, ...] = tuple(_QUOTES.split())
_QUOTES_LONGEST_FIRST = tuple(sorted(QUOTE_ASSETS, key=len, reverse=True))

# What Binance's WebSocket error codes mean (section 3.2), for a trader.
ERROR_TEXT: dict[str, str] = {
    "0": "an unknown property was asked for",
    "1": "a value has the wrong type",
    "2": "the request was not understood",
    "3": "the request is not valid JSON",
}


def binance_stream(key: str, symbol: str) -> str:
    """The stream name for one of our channel keys and a symbol; ValueError when unknown."""
    suffix = CHANNELS.get(key)
    if suffix is None and key.startswith("candle."):
        interval = key[7:]
        if interval in CANDLE_INTERVALS:
            suffix = f"kline_{interval}"
    if suffix is None:
        known = ", ".join([*CHANNELS, *(f"candle.{iv}" for iv in CANDLE_INTERVALS)])
        raise ValueError(f"Binance has no channel for {key!r} (known: {known})")
    return f"{symbol.lower()}@{suffix}"


def stream_key(stream: str) -> tuple[str, str] | None:
    """(our channel key, upper-case symbol) of a stream name we subscribe to, else None."""
    sym, _, suffix = stream.partition("@")
    key = _KEY_OF_SUFFIX.get(suffix)
    if key is None or not sym:
        return None
    return key, sym.upper()


def depth_weight(limit: int) -> int:
    """REST weight of ``GET /api/v3/depth`` for ``limit`` levels (Binance's table)."""
    if limit <= 100:
        return 5
    if limit <= 500:
        return 25
    if limit <= 1000:
        return 50
    return 250


def split_symbol_by_quote(symbol: str) -> tuple[str, str]:
    """(base, quote) by the longest known quote suffix; (symbol, "") when none fits.
    exchangeInfo's ``baseAsset``/``quoteAsset`` are the truth: this is the fallback."""
    for quote in _QUOTES_LONGEST_FIRST:
        if symbol.endswith(quote) and len(symbol) > len(quote):
            return symbol[: -len(quote)], quote
    return symbol, ""


def api_error_text(body: bytes | str) -> tuple[str, str] | None:
    """(code, msg) of a Binance error body ``{"code":-1121,"msg":"Invalid symbol."}``
    (cleaned of control characters); None when ``body`` is not one."""
    try:
        obj = orjson.loads(body)
    except Exception:
        return None
    if type(obj) is not dict or "code" not in obj or "msg" not in obj:
        return None
    return clean(obj["code"]), clean(obj["msg"])


# --------------------------------------------------------------------------- wire structs
# Field names are Binance's one-letter keys. Prices and sizes are JSON strings; the decoders
# run in lax mode (``strict=False``), which reads them as floats in C.


class TradeMsg(msgspec.Struct, gc=False):
    s: str
    t: int
    p: float
    q: float
    T: int
    m: bool


class AggTradeMsg(msgspec.Struct, gc=False):
    s: str
    a: int
    p: float
    q: float
    T: int
    m: bool


class TickerMsg(msgspec.Struct, gc=False):
    E: int
    s: str
    p: float  # change, signed
    P: float  # change %, signed
    c: float  # last
    o: float
    h: float
    l: float  # noqa: E741 - Binance's key
    v: float
    q: float
    x: float = 0.0  # last price before the 24 h window ("previous close")
    Q: float = 0.0
    b: float = 0.0
    a: float = 0.0


class BookTickerMsg(msgspec.Struct, gc=False):
    s: str
    b: float
    B: float
    a: float
    A: float
    u: int = 0
    E: int = 0  # not on spot; futures carry it


class KlineBody(msgspec.Struct, gc=False):
    t: int
    i: str
    o: float
    c: float
    h: float
    l: float  # noqa: E741 - Binance's key
    v: float
    x: bool
    q: float = 0.0


class KlineMsg(msgspec.Struct, gc=False):
    E: int
    s: str
    k: KlineBody


class DepthMsg(msgspec.Struct, gc=False):
    # In Binance's order, which msgspec matches fastest. A payload without "E" takes the
    # slow path, where it is optional.
    E: int
    s: str
    U: int
    u: int
    b: list[Level]
    a: list[Level]


class RawDepthMsg(msgspec.Struct, gc=False):
    """A diff-depth payload as the slow path reads it: every price and size a string."""

    s: str
    U: int
    u: int
    b: list[tuple[str, str]]
    a: list[tuple[str, str]]
    E: int = 0

    def levels(self) -> DepthMsg:
        """The same update with ``Level`` objects; ValueError for an unreadable number."""
        b, a = levels_from_raw(self.b), levels_from_raw(self.a)
        return DepthMsg(self.E, self.s, self.U, self.u, b, a)


class DepthSnapshot(msgspec.Struct, gc=False):
    """``GET /api/v3/depth`` as the book sync reads it."""

    lastUpdateId: int
    bids: list[Level]
    asks: list[Level]


def _constrained(base: type[msgspec.Struct], types: Mapping[str, Any], **extra: Any) -> Any:
    """A subclass of ``base`` whose fields carry ``types`` (msgspec constraints)."""
    fields: list[tuple[Any, ...]] = []
    for f in msgspec.structs.fields(base):
        kind = {**types, **extra}.get(f.name, f.type)
        if f.default is msgspec.NODEFAULT:
            fields.append((f.name, kind))
        else:
            fields.append((f.name, kind, f.default))
    return msgspec.defstruct(f"{base.__name__}Checked", fields, bases=(base,), gc=False)


_FAST_TRADE = _constrained(TradeMsg, {"p": Positive, "q": Positive})
_FAST_AGG = _constrained(AggTradeMsg, {"p": Positive, "q": Positive})
_FAST_TICKER = _constrained(
    TickerMsg,
    {"c": Positive, "p": Finite, "P": Finite}
    | dict.fromkeys(("x", "o", "h", "l", "v", "q", "Q", "b", "a"), NonNegative),
)
_FAST_BBO = _constrained(BookTickerMsg, dict.fromkeys(("b", "B", "a", "A"), NonNegative))
_FAST_KLINE = _constrained(
    KlineMsg,
    {"k": _constrained(KlineBody, dict.fromkeys(("o", "c", "h", "l", "v", "q"), NonNegative))},
)


def _envelope(data: Any) -> Any:
    # Only "data": the stream name picked the decoder already (and skipping is cheaper).
    return msgspec.defstruct(f"Env{data.__name__}", [("data", data)], gc=False, module=__name__)


def _decoder(data: Any) -> Callable[[Frame], Any]:
    return msgspec.json.Decoder(_envelope(data), strict=False).decode


# Double quotes of a combined-stream diff-depth frame besides its levels' (4 each): the keys
# "stream", "data", "e", "E", "s", "U", "u", "b", "a" and the values of "stream", "e", "s".
_DEPTH_QUOTES = 24
_LEVEL_QUOTES = _DEPTH_QUOTES - 3  # those after the stream name
_decode_snapshot = msgspec.json.Decoder(DepthSnapshot, strict=False).decode


# Stream suffix -> (fast envelope decoder, handler name).
_FAST_DECODERS: dict[str, tuple[Callable[[Frame], Any], str]] = {
    "trade": (_decoder(_FAST_TRADE), "_trade"),
    "aggTrade": (_decoder(_FAST_AGG), "_agg_trade"),
    "ticker": (_decoder(_FAST_TICKER), "_ticker"),
    "bookTicker": (_decoder(_FAST_BBO), "_bbo"),
    "depth": (_decoder(DepthMsg), "_depth"),
    "depth@100ms": (_decoder(DepthMsg), "_depth"),
}
_KLINE_DECODER = (_decoder(_FAST_KLINE), "_kline")
_FAST_DECODERS.update({f"kline_{iv}": _KLINE_DECODER for iv in CANDLE_INTERVALS})
_FAST_DECODERS.update({f"kline_{iv}@+08:00": _KLINE_DECODER for iv in CANDLE_INTERVALS})

# Event type ("e") -> (unconstrained struct, handler name), for the slow path.
_SLOW_TYPES: dict[str, tuple[type[msgspec.Struct], str]] = {
    "trade": (TradeMsg, "_trade"),
    "aggTrade": (AggTradeMsg, "_agg_trade"),
    "24hrTicker": (TickerMsg, "_ticker"),
    "kline": (KlineMsg, "_kline"),
    "depthUpdate": (RawDepthMsg, "_depth"),
}

_Handler = Callable[[Any, int], list[Event]]
# (envelope decoder, handler, the quote character of the frame's type when the levels must
# be strings: the diff-depth streams, see the module doc).
_Route = tuple[Callable[[Frame], Any], _Handler, "str | bytes | None"]
_ROUTES_CACHED = 4096  # stream names remembered (a connection carries at most 1,024)


def _positional(cls: Any, names: tuple[str, ...]) -> Callable[..., Any]:
    """``cls`` itself when its first fields are ``names`` in this order (a msgspec Struct
    is built faster from positions than from keywords), else a keyword adapter: should
    model.py ever reorder its fields, slower, never wrong."""
    if tuple(cls.__struct_fields__[: len(names)]) == names:
        return cast(Callable[..., Any], cls)
    return lambda *args: cls(**dict(zip(names, args, strict=True)))


_BOOK_FIELDS = (
    "exchange", "symbol", "base", "quote", "bids", "asks", "total_bid_size", "total_ask_size",
    "timestamp", "recv_ns", "snapshot",
)  # fmt: skip
_new_book: Callable[..., OrderBook] = _positional(OrderBook, _BOOK_FIELDS)
_new_bbo: Callable[..., OrderBook] = _positional(OrderBook, (*_BOOK_FIELDS, "channel"))
_TRADE_FIELDS = (
    "exchange", "symbol", "base", "quote", "price", "volume", "side", "trade_id", "timestamp",
    "recv_ns",
)  # fmt: skip
_new_trade: Callable[..., Trade] = _positional(Trade, _TRADE_FIELDS)


# --------------------------------------------------------------------------- book state


@dataclass(slots=True)
class _BookSync:
    """One symbol's diff-depth state: buffering until synced, then a book and its id."""

    book: LevelBook | None = None  # None = not synced (deltas are buffered)
    last_id: int = 0  # the ``u`` (or lastUpdateId) the book is at
    fresh: bool = True  # no delta applied since the snapshot (the first-delta rule)
    requested: bool = False  # a snapshot request is outstanding
    buffer: deque[DepthMsg] = field(default_factory=lambda: deque(maxlen=BUFFER_LIMIT))
    snapshots: int = 0  # snapshots received (for the status text)
    pair: tuple[str, str] = ("", "")  # (base, quote), set when the book is synced


BUFFER_LIMIT = 5000  # deltas kept while the snapshot is on its way (~8 min at 100 ms)


@dataclass(slots=True)
class BookStats:
    """Counters over the codec's life (not reset with the connection)."""

    applied: int = 0  # deltas applied to a synced book
    dropped: int = 0  # buffered or live deltas already in the snapshot (u <= lastUpdateId)
    gaps: int = 0  # resyncs for a break in the U/u chain
    resyncs: int = 0  # every resync (gaps, impossible levels, crossed books, bad frames)
    snapshots: int = 0  # snapshots that synced a book
    stale_snapshots: int = 0  # snapshots older than the buffer, asked for again


class BinanceCodec(ExchangeCodec):
    """Binance spot public streams over one combined-stream connection (books per
    connection: one instance per connection)."""

    name: ClassVar[str] = EXCHANGE
    default_ws_url: ClassVar[str] = "wss://stream.binance.com:9443"
    default_rest_url: ClassVar[str] = "https://api.binance.com"
    # Binance pings us (every 20 s) and the WebSocket library pongs: we send no keepalive.
    # Silence for two intervals = a dead peer.
    keepalive_interval: ClassVar[float] = 20.0
    ping_frame: ClassVar[str | None] = None
    ping_is_limited: ClassVar[bool] = True  # (no ping of ours; the library's pongs count)
    connect_limits: ClassVar[tuple[RateLimit, ...]] = (RateLimit(300, 300.0),)
    # 5 incoming messages a second per connection, pings, pongs and requests alike.
    message_limits: ClassVar[tuple[RateLimit, ...]] = (RateLimit(5, 1.0),)
    max_pairs: ClassVar[int] = 1024  # streams per connection
    # Streams per SUBSCRIBE/UNSUBSCRIBE request: our choice (Binance documents no cap),
    # keeping a request near 6 KB; 1,024 streams are 6 requests, about 1.2 s of budget.
    max_streams_per_request: ClassVar[int] = 200
    max_lifetime: ClassVar[float] = 24 * 3600.0  # Binance closes every connection at 24 h

    def __init__(
        self,
        depth: int = 30,
        markets: Mapping[str, Market | tuple[str, str]] | None = None,
        snapshot_limit: int = 1000,
    ) -> None:
        if depth < 1:
            raise ValueError("depth must be at least 1")
        if not 1 <= snapshot_limit <= 5000:
            raise ValueError("snapshot_limit must be between 1 and 5000")
        self.depth = depth
        self.snapshot_limit = snapshot_limit
        self._pairs: dict[str, tuple[str, str]] = {}
        for sym, m in (markets or {}).items():
            self._pairs[sym] = (m.base, m.quote) if isinstance(m, Market) else (m[0], m[1])
        self._next_id = 0
        self._requests: dict[int, tuple[str, tuple[tuple[str, str], ...]]] = {}
        self._books: dict[str, _BookSync] = {}
        self._rest: list[RestRequest] = []
        # Symbols whose book we asked for; None = unknown (decode-only use: replay, tests).
        self._book_subs: set[str] | None = None
        # Stream suffix -> (envelope decoder, bound handler); routes by whole stream name
        # (text or bytes, as frames come) are learnt from it.
        self._by_suffix: dict[str, tuple[Callable[[Frame], Any], _Handler]] = {
            suffix: (dec, getattr(self, name)) for suffix, (dec, name) in _FAST_DECODERS.items()
        }
        self._routes: dict[str | bytes, _Route] = {}
        self.stats = BookStats()
        self.errors = 0  # malformed or impossible messages turned into error Statuses

    # -- connection-level facts -------------------------------------------------------

    def ws_url(self, base_url: str, endpoint: str) -> str:
        if "?" in base_url:
            return base_url  # a full combined-stream URL given as it is
        base = base_url.rstrip("/")
        for suffix in (STREAM_PATH, "/ws"):
            if base.endswith(suffix):
                base = base[: -len(suffix)]
                break
        return base + STREAM_PATH

    def reset(self) -> None:
        self._requests.clear()
        self._books.clear()
        self._rest.clear()
        self._book_subs = None

    def validate_channel(self, channel: str) -> None:
        binance_stream(channel, "x")  # ValueError naming Binance's channels; no state touched

    # -- subscriptions ----------------------------------------------------------------

    def subscribe_frames(self, desired: Subscription, current: Subscription) -> list[Frame]:
        want = _streams(desired)
        have = _streams(current)
        removed = sorted(set(have) - set(want))
        added = sorted(set(want) - set(have))
        for stream in removed:
            key, sym = have[stream]
            if key == "orderbook":
                self._forget_book(sym)
        for stream in added:
            key, sym = want[stream]
            if key == "orderbook":
                self._forget_book(sym)
                self._books[sym] = _BookSync()
        subs = self._book_subs = {s for k, s in want.values() if k == "orderbook"}
        for sym in [s for s in self._books if s not in subs]:
            self._forget_book(sym)  # decoded before any subscription (replay, tests)
        return [
            *self._requests_for("UNSUBSCRIBE", [(s, have[s]) for s in removed]),
            *self._requests_for("SUBSCRIBE", [(s, want[s]) for s in added]),
        ]

    def _requests_for(
        self, method: str, streams: Sequence[tuple[str, tuple[str, str]]]
    ) -> list[Frame]:
        frames: list[Frame] = []
        n = self.max_streams_per_request
        for i in range(0, len(streams), n):
            chunk = streams[i : i + n]
            self._next_id += 1
            rid = self._next_id
            self._requests[rid] = (method, tuple(pair for _, pair in chunk))
            if len(self._requests) > 4096:  # never answered: forget the oldest
                del self._requests[next(iter(self._requests))]
            params = [s for s, _ in chunk]
            frames.append(orjson.dumps({"method": method, "params": params, "id": rid}).decode())
        return frames

    def list_subscriptions_frame(self) -> str:
        """Ask Binance which streams this connection carries (answered by a Status)."""
        self._next_id += 1
        self._requests[self._next_id] = ("LIST_SUBSCRIPTIONS", ())
        return orjson.dumps({"method": "LIST_SUBSCRIPTIONS", "id": self._next_id}).decode()

    # -- REST (the book snapshots) ------------------------------------------------------

    def rest_requests(self) -> list[RestRequest]:
        out = self._rest
        if not out:
            return []
        self._rest = []
        return out

    def snapshot_request(self, symbol: str) -> RestRequest:
        return RestRequest(
            key=f"depth:{symbol}",
            path=DEPTH_PATH,
            params=(("symbol", symbol), ("limit", str(self.snapshot_limit))),
            weight=depth_weight(self.snapshot_limit),
        )

    def _ask_snapshot(self, sym: str, st: _BookSync) -> None:
        if not st.requested:
            st.requested = True
            self._rest.append(self.snapshot_request(sym))

    def on_rest(self, request: RestRequest, status: int, body: bytes, recv_ns: int) -> list[Event]:
        try:
            return self._on_rest(request, status, body, recv_ns)
        except Exception as exc:  # never raises: the book is dropped and asked for again
            sym = request.key.partition(":")[2]
            return self._bad_book(sym, f"{type(exc).__name__}: {exc}", recv_ns)

    def _on_rest(
        self, request: RestRequest, status_code: int, body: bytes, recv_ns: int
    ) -> list[Event]:
        kind, _, sym = request.key.partition(":")
        st = self._books.get(sym)
        if kind != "depth" or st is None or st.book is not None or not st.requested:
            return []  # unsubscribed meanwhile, or a reply we no longer wait for
        st.requested = False
        if status_code != 200:
            said = api_error_text(body)
            detail = f" (Binance says: {said[1]}, code {said[0]})" if said else ""
            meaning = HTTP_MEANINGS.get(status_code, "the request failed")
            self._ask_snapshot(sym, st)
            message = (
                f"Binance did not send the {sym} order book (HTTP {status_code}: {meaning})"
                f"{detail}; asking again."
            )
            return [self._error(f"http{status_code}", message, sym, recv_ns)]
        try:
            last_id, book = _snapshot_book(body, self.depth)
        except BadLevel as exc:
            self._ask_snapshot(sym, st)
            message = f"Ignored a Binance order book snapshot for {sym} with {exc}; asking again."
            return [self._error("invalid", message, sym, recv_ns)]
        except Exception as exc:
            self._ask_snapshot(sym, st)
            message = (
                f"Ignored an unreadable Binance order book snapshot for {sym} "
                f"({type(exc).__name__}: {_short(exc)}); asking again."
            )
            return [self._error("malformed", message, sym, recv_ns)]
        buffered = st.buffer
        while buffered and buffered[0].u <= last_id:
            buffered.popleft()
            self.stats.dropped += 1
        if buffered and last_id + 1 < buffered[0].U:
            # The snapshot predates the first delta we still have: Binance says fetch again.
            self.stats.stale_snapshots += 1
            self._ask_snapshot(sym, st)
            return []
        if book.crossed():
            return [self._crossed(sym, book, recv_ns)]
        st.book = book
        st.last_id = last_id
        st.fresh = True
        st.pair = self._pair(sym)
        st.snapshots += 1
        self.stats.snapshots += 1
        pending = list(buffered)
        buffered.clear()
        ts = 0
        for d in pending:  # through the live path: the same checks, its event dropped
            before = st.last_id
            out = self._depth(d, recv_ns)
            if out and out[0].__class__ is not OrderBook:
                return out  # a resync
            if st.last_id != before:  # applied
                ts = d.E
        return [_view_event(sym, st.pair, book, ts, recv_ns, True)]

    # -- decoding ---------------------------------------------------------------------

    def decode(self, frame: Frame, recv_ns: int) -> list[Event]:
        # The stream name heads every combined-stream frame: it picks the decoder.
        # (Not checked to start with '{"stream":"': a frame that does not is no stream name
        # we know there, or is refused by the envelope decoder.)
        if type(frame) is str:
            end = frame.find('"', 11, 140)
        elif type(frame) is bytes:
            end = frame.find(b'"', 11, 140)
        else:
            return self._decode_slow(frame, recv_ns)
        name = frame[11:end]
        route = self._routes.get(name) or self._route(name)
        if route is None:
            return self._decode_slow(frame, recv_ns)
        read, handle, quote = route
        text: Any = frame  # str or bytes, as is the route's quote
        try:
            data = read(frame).data
        except Exception:  # not the expected shape: the slow path says what it is
            return self._decode_slow(frame, recv_ns)
        # Counted after the stream name, whose 3 quotes are known.
        if quote is not None and text.count(quote, end) != _LEVEL_QUOTES + 4 * (
            len(data.b) + len(data.a)
        ):
            return self._decode_slow(frame, recv_ns)  # numbers in the levels, or new keys
        try:
            return handle(data, recv_ns)
        except Invalid as exc:
            self.errors += 1
            return [invalid_status(EXCHANGE, exc, recv_ns)]
        except Exception as exc:  # a bug costs this frame, never the caller
            return [self._malformed(frame, recv_ns, f"{type(exc).__name__}: {_short(exc)}")]

    def _route(self, name: str | bytes) -> _Route | None:
        """The route of a stream name not seen before (None: not a stream we decode)."""
        text = name if isinstance(name, str) else name.decode("ascii", "replace")
        _, at, suffix = text.partition("@")
        found = self._by_suffix.get(suffix) if at else None
        if found is None:
            return None
        quote = None
        if suffix.startswith("depth"):
            quote = '"' if type(name) is str else b'"'
        route: _Route = (found[0], found[1], quote)
        if len(self._routes) >= _ROUTES_CACHED:
            self._routes.clear()
        self._routes[name] = route
        return route

    def _decode_slow(self, frame: Frame, recv_ns: int) -> list[Event]:
        try:
            msg = orjson.loads(frame)
        except orjson.JSONDecodeError:
            return [self._malformed(frame, recv_ns, "it is not JSON")]
        except TypeError:
            return [self._malformed(b"", recv_ns, f"a {type(frame).__name__} is not a frame")]
        data: Any = None
        try:
            if type(msg) is not dict:
                return [self._malformed(frame, recv_ns, "it is not a JSON object")]
            if "stream" in msg and "data" in msg:
                stream = msg["stream"]
                data = msg["data"]
                if type(stream) is not str:
                    return [self._malformed(frame, recv_ns, "its stream name is not text")]
            elif "id" in msg and ("result" in msg or "code" in msg or "error" in msg):
                return self._on_reply(msg, recv_ns)
            else:
                stream, data = "", msg  # a raw /ws payload
            if type(data) is not dict:
                return [self._malformed(frame, recv_ns, "its data is not an object")]
            etype = data.get("e")
            if etype == "serverShutdown" or stream == "!serverShutdown":
                return [
                    status(
                        EXCHANGE,
                        "notice",
                        "serverShutdown",
                        "Binance is restarting this server and will close the connection "
                        "soon; reconnecting.",
                        recv_ns=recv_ns,
                    )
                ]
            if "code" in data and "msg" in data:
                return self._on_reply(data, recv_ns)
            slow = _SLOW_TYPES.get(etype) if type(etype) is str else None
            if slow is None and etype is None and {"u", "s", "b", "a"} <= data.keys():
                slow = (BookTickerMsg, "_bbo")
            if slow is None:
                if etype is None and not stream:
                    return [self._malformed(frame, recv_ns, "it has no event type")]
                return []  # a stream or event we never ask for
            wire = msgspec.convert(data, slow[0], strict=False)
            if wire.__class__ is RawDepthMsg:
                wire = wire.levels()
            events: list[Event] = getattr(self, slow[1])(wire, recv_ns)
            out: list[Event] = []
            for ev in events:
                if ev.__class__ is Status or (ev.__class__ is OrderBook and slow[1] == "_depth"):
                    out.append(ev)  # statuses; books from an L2Book are checked there
                else:
                    out.append(checked(ev))  # type: ignore[type-var]
            return out
        except Invalid as exc:
            self.errors += 1
            return [invalid_status(EXCHANGE, exc, recv_ns)]
        except Exception as exc:  # decode never raises: any surprise is a malformed frame
            sym = data.get("s") if type(data) is dict else None
            symbol = sym if type(sym) is str and sym.isprintable() else ""
            why = f"{type(exc).__name__}: {_short(exc)}"
            out = [self._malformed(frame, recv_ns, why, symbol)]
            book_sym = self._unreadable_delta_of(msg, data)
            if book_sym is not None:  # an update we could not read: the book is behind
                out.append(self._resync(book_sym, "malformed", "missed an update", recv_ns))
            return out

    def _unreadable_delta_of(self, msg: Any, data: Any) -> str | None:
        """The synced book an unreadable diff-depth frame was for, else None."""
        stream = msg.get("stream") if type(msg) is dict else None
        name = stream.partition("@") if type(stream) is str else ("", "", "")
        is_depth = name[2] in ("depth", "depth@100ms")
        if not is_depth and not (type(data) is dict and data.get("e") == "depthUpdate"):
            return None
        sym = data.get("s") if type(data) is dict else None
        if type(sym) is not str:
            sym = name[0].upper()
        st = self._books.get(sym)
        return sym if st is not None and st.book is not None else None

    def _malformed(self, frame: Frame, recv_ns: int, why: str, symbol: str = "") -> Status:
        self.errors += 1
        text = frame if isinstance(frame, str) else bytes(frame).decode("utf-8", "replace")
        preview = text[:80] + ("..." if len(text) > 80 else "")
        message = f"Ignored an unreadable Binance message ({why}): {preview}"
        return status(EXCHANGE, "error", "malformed", message, symbol, recv_ns)

    def _error(self, code: str, message: str, symbol: str, recv_ns: int) -> Status:
        self.errors += 1
        return status(EXCHANGE, "error", code, message, symbol, recv_ns)

    # -- replies to our requests --------------------------------------------------------

    def _on_reply(self, msg: dict[str, Any], recv_ns: int) -> list[Event]:
        rid = msg.get("id")
        method, pairs = self._requests.pop(rid, ("", ())) if type(rid) is int else ("", ())
        # The server nests it ({"error":{"code":2,"msg":..},"id":N}); the docs show it flat.
        nested = msg.get("error")
        err: dict[str, Any] = nested if type(nested) is dict else msg
        if "code" in err:
            code = clean(err.get("code"))
            said = clean(err.get("msg", ""))
            meaning = ERROR_TEXT.get(code, "the request failed")
            what = _describe(method, pairs)
            message = f"Binance refused a request{what}: {meaning}, code {code}"
            message += f" (Binance says: {said})." if said else "."
            symbols = {s for _, s in pairs}
            symbol = next(iter(symbols)) if len(symbols) == 1 else ""
            return [self._error(code, message, symbol, recv_ns)]
        result = msg.get("result")
        if method == "SUBSCRIBE" and result is None:
            return [
                status(
                    EXCHANGE,
                    "subscribed",
                    key,
                    f"Subscribed to Binance {_label(key)} for {sym}.",
                    sym,
                    recv_ns,
                )
                for key, sym in pairs
            ]
        if method == "UNSUBSCRIBE" and result is None:
            n = len(pairs)
            message = f"Unsubscribed from {n} Binance stream{'s' if n != 1 else ''}."
            return [status(EXCHANGE, "status", "unsubscribed", message, recv_ns=recv_ns)]
        if type(result) is list:
            listed = ", ".join(str(s) for s in result[:10])
            more = f" and {len(result) - 10} more" if len(result) > 10 else ""
            message = f"Binance lists {len(result)} active streams on this connection" + (
                f": {listed}{more}." if result else "."
            )
            return [status(EXCHANGE, "status", "LIST_SUBSCRIPTIONS", message, recv_ns=recv_ns)]
        return [
            status(
                EXCHANGE,
                "status",
                "reply",
                f"Binance answered request {clean(rid)}.",
                recv_ns=recv_ns,
            )
        ]

    # -- symbols ------------------------------------------------------------------------

    def _pair(self, sym: str) -> tuple[str, str]:
        pair = self._pairs.get(sym)
        if pair is None:
            check_symbol(EXCHANGE, sym)  # Invalid for an empty or unprintable code
            pair = split_symbol_by_quote(sym)
            if len(self._pairs) < 50_000:
                self._pairs[sym] = pair
        return pair

    # -- market data --------------------------------------------------------------------

    def _trade(self, d: TradeMsg, recv_ns: int) -> list[Event]:
        return [self._trade_event(d, str(d.t), recv_ns)]

    def _agg_trade(self, d: AggTradeMsg, recv_ns: int) -> list[Event]:
        return [self._trade_event(d, str(d.a), recv_ns)]

    def _trade_event(self, d: TradeMsg | AggTradeMsg, trade_id: str, recv_ns: int) -> Trade:
        """@trade and @aggTrade differ only in where the trade id is."""
        sym = d.s
        base, quote = self._pairs.get(sym) or self._pair(sym)
        side = "sell" if d.m else "buy"  # m: the buyer was the maker
        return _new_trade(EXCHANGE, sym, base, quote, d.p, d.q, side, trade_id, d.T, recv_ns)

    def _ticker(self, d: TickerMsg, recv_ns: int) -> list[Event]:
        sym = d.s
        base, quote = self._pairs.get(sym) or self._pair(sym)
        ticker = Ticker(
            exchange=EXCHANGE,
            symbol=sym,
            base=base,
            quote=quote,
            trade_price=d.c,
            change_rate=d.P / 100.0,
            change_price=d.p,
            opening_price=d.o,
            high_price=d.h,
            low_price=d.l,
            prev_closing_price=d.x,
            acc_trade_volume_24h=d.v,
            acc_trade_price_24h=d.q,
            timestamp=d.E,
            recv_ns=recv_ns,
            trade_volume=d.Q,
            best_bid=d.b,
            best_ask=d.a,
        )
        if 0.0 < d.a <= d.b:
            return [checked(ticker)]  # raises Invalid: a crossed quote
        return [ticker]

    def _bbo(self, d: BookTickerMsg, recv_ns: int) -> list[Event]:
        sym = d.s
        pair = self._pairs.get(sym) or self._pair(sym)
        bid = d.b
        ask = d.a
        if 0.0 < bid < ask:  # both sides quoted and uncrossed: all but never
            return [
                _new_bbo(
                    EXCHANGE, sym, pair[0], pair[1], (Level(bid, d.B),), (Level(ask, d.A),),
                    d.B, d.A, d.E, recv_ns, False,
                    "bbo",  # not the full book: its own subscribers only
                )
            ]  # fmt: skip
        # A price of 0 is an empty side.
        bids = (Level(bid, d.B),) if bid != 0.0 else ()
        asks = (Level(ask, d.A),) if ask != 0.0 else ()
        book = _new_bbo(
            EXCHANGE, sym, pair[0], pair[1], bids, asks, d.B if bids else 0.0,
            d.A if asks else 0.0, d.E, recv_ns, False, "bbo",
        )  # fmt: skip
        if bids and asks:
            return [checked(book)]  # raises Invalid: a crossed quote
        return [book]

    def _kline(self, d: KlineMsg, recv_ns: int) -> list[Event]:
        sym = d.s
        base, quote = self._pairs.get(sym) or self._pair(sym)
        k = d.k
        candle = Candle(
            exchange=EXCHANGE,
            symbol=sym,
            base=base,
            quote=quote,
            interval=k.i,
            open_time=k.t,
            open=k.o,
            high=k.h,
            low=k.l,
            close=k.c,
            volume=k.v,
            timestamp=d.E,
            recv_ns=recv_ns,
            quote_volume=k.q,
            closed=k.x,
        )
        if not k.i.isprintable():
            raise Invalid(f"Ignored a Binance candle for {sym} whose interval is unprintable.", sym)
        low, high = k.l, k.h
        if 0.0 < low <= k.o <= high and low <= k.c <= high:
            return [candle]
        return [checked(candle)]  # raises Invalid, saying which price is out of place

    # -- the local order book ----------------------------------------------------------

    def book(self, symbol: str) -> LevelBook | None:
        """The live synced book for ``symbol`` (None while it is being (re)built)."""
        st = self._books.get(symbol)
        return st.book if st is not None else None

    def _forget_book(self, sym: str) -> None:
        self._books.pop(sym, None)
        self._rest = [r for r in self._rest if r.key != f"depth:{sym}"]

    def _depth(self, d: DepthMsg, recv_ns: int) -> list[Event]:
        """One diff-depth update: buffered until the book is synced, then checked against
        the U/u chain, applied, and shown (the hot path: kept flat on purpose)."""
        st = self._books.get(d.s)
        if st is None or (book := st.book) is None:
            return self._buffer(d, st)
        last = st.last_id
        if d.u <= last:
            self.stats.dropped += 1
            return []  # already in the snapshot: nothing to apply or show
        first = last + 1
        if first != d.U and (first < d.U or not st.fresh):
            return self._gap(d, first, recv_ns)
        b = d.b
        a = d.a
        try:
            changed = book.update(b, a)  # atomic: raises before touching the book
        except BadLevel as exc:
            return self._bad_level(d.s, exc, recv_ns)
        st.last_id = d.u
        st.fresh = False
        self.stats.applied += 1
        bids = book.bids
        asks = book.asks
        bid_view = bids.view
        ask_view = asks.view
        if changed:
            # Only a change within the shown levels can cross the book; the views start
            # with the best levels.
            if bid_view and ask_view and bid_view[0].price >= ask_view[0].price:
                return [self._crossed(d.s, book, recv_ns)]
        elif not b and not a:
            return []
        bid_total = bids.total
        ask_total = asks.total
        total = bid_total + ask_total
        pair = st.pair
        ev = _new_book(
            EXCHANGE, d.s, pair[0], pair[1], bid_view, ask_view, bid_total, ask_total, d.E,
            recv_ns, False,
        )  # fmt: skip
        if total - total == 0.0:  # finite: the levels are checked and ordered by the book
            return [ev]
        return [checked(ev)]

    def _gap(self, d: DepthMsg, expected: int, recv_ns: int) -> list[Event]:
        self.stats.gaps += 1
        why = f"missed updates (expected update {expected}, got {d.U})"
        return [self._resync(d.s, "sequence", why, recv_ns, keep=d)]

    def _bad_level(self, sym: str, exc: BadLevel, recv_ns: int) -> list[Event]:
        said = f"Ignored a Binance order book update for {sym} with {exc}."
        return [
            self._error("invalid", said, sym, recv_ns),
            self._resync(sym, "invalid", "received an impossible price or size", recv_ns),
        ]

    def _buffer(self, d: DepthMsg, st: _BookSync | None) -> list[Event]:
        """Keep a delta until the snapshot has come (asking for it)."""
        sym = d.s
        if sym not in self._pairs:
            self._pair(sym)  # Invalid for a symbol no market has: never ask REST for it
        subs = self._book_subs
        if subs is not None and sym not in subs:
            return []  # in flight after an unsubscribe
        if st is None:
            st = self._books[sym] = _BookSync()
        st.buffer.append(d)
        self._ask_snapshot(sym, st)
        return []

    def _resync(
        self, sym: str, code: str, why: str, recv_ns: int, keep: DepthMsg | None = None
    ) -> Status:
        """Drop ``sym``'s book, start buffering again (from ``keep``) and ask for a new
        snapshot."""
        self.stats.resyncs += 1
        st = self._books.get(sym)
        if st is None:
            st = self._books[sym] = _BookSync()
        st.book = None
        st.last_id = 0
        st.fresh = True
        st.buffer.clear()
        if keep is not None:
            st.buffer.append(keep)
        self._ask_snapshot(sym, st)
        message = f"Binance order book for {sym} {why}; it was cleared and is being reloaded."
        return status(EXCHANGE, "resync", code, message, sym, recv_ns)

    def _crossed(self, sym: str, book: LevelBook, recv_ns: int) -> Status:
        bid, ask = book.best_bid() or 0.0, book.best_ask() or 0.0
        why = f"became crossed (best bid {num(bid)} at or above best ask {num(ask)})"
        return self._resync(sym, "crossed", why, recv_ns)

    def _bad_book(self, sym: str, why: str, recv_ns: int) -> list[Event]:
        message = f"Ignored an unreadable Binance order book message for {sym} ({why})."
        return [
            self._error("malformed", message, sym, recv_ns),
            self._resync(sym, "malformed", "received an unreadable message", recv_ns),
        ]


HTTP_MEANINGS = {  # what Binance means by an HTTP status, in words (REST and snapshots)
    400: "the request was refused",
    403: "refused by Binance's web application firewall",
    418: "this IP address is banned for sending too many requests",
    429: "too many requests: the rate limit was reached",
    500: "Binance had an internal error",
    503: "Binance is unavailable",
}


def _view_event(
    sym: str, pair: tuple[str, str], book: LevelBook, ts: int, recv_ns: int, snap: bool
) -> Event:
    """The OrderBook of ``book``'s view (positive, finite, ordered and uncrossed by
    construction; only the totals can still be out of range)."""
    ev = _new_book(
        EXCHANGE, sym, pair[0], pair[1], book.bids.view, book.asks.view, book.bids.total,
        book.asks.total, ts, recv_ns, snap,
    )  # fmt: skip
    total = book.bids.total + book.asks.total
    if total - total == 0.0:
        return ev
    return checked(ev)


def _snapshot_book(body: bytes, depth: int) -> tuple[int, LevelBook]:
    """(lastUpdateId, book) of a ``/api/v3/depth`` body. Levels are read in C; a body that
    does not decode so (a number out of float range, an odd shape) is read again with
    Python's ``float``, so that it fails (or not) exactly as a level-by-level read would.
    ``BadLevel`` for an impossible level, another exception for an unreadable body."""
    book = LevelBook(depth)
    try:
        snap = _decode_snapshot(body)
    except msgspec.DecodeError:
        raw = orjson.loads(body)
        book.snapshot(levels_from_raw(raw["bids"]), levels_from_raw(raw["asks"]))
        return int(raw["lastUpdateId"]), book
    book.snapshot(snap.bids, snap.asks)
    return snap.lastUpdateId, book


def _streams(sub: Subscription) -> dict[str, tuple[str, str]]:
    """Stream name -> (our channel key, symbol) for a subscription."""
    out: dict[str, tuple[str, str]] = {}
    for key, symbols in sub.items():
        for sym in symbols:
            out[binance_stream(key, sym)] = (key, sym)
    return out


def _label(key: str) -> str:
    return _LABELS.get(key) or (f"{key[7:]} candles" if key.startswith("candle.") else key)


def _describe(method: str, pairs: Iterable[tuple[str, str]]) -> str:
    items = [f"{_label(k)} for {s}" for k, s in pairs]
    if not method:
        return ""
    verb = {"SUBSCRIBE": "subscribe to", "UNSUBSCRIBE": "unsubscribe from"}.get(method)
    if verb is None or not items:
        return f" ({method.lower().replace('_', ' ')})"
    shown = ", ".join(items[:3]) + (f" and {len(items) - 3} more" if len(items) > 3 else "")
    return f" ({verb} {shown})"


def _short(text: object, limit: int = 160) -> str:
    s = str(text)
    return s if len(s) <= limit else s[: limit - 3] + "..."
