"""Upbit WebSocket v1 codec: subscription requests out, typed events in (sans-I/O).

Wire facts (see the exchange reference, section 1): server frames are binary UTF-8 JSON; a
request is one JSON array ``[{ticket}, {type...}, ..., {format}]`` and *replaces* the whole
subscription of the connection; every order book message is a full snapshot; the SIMPLE
format abbreviates the keys (``trade_price`` -> ``tp``).

Decoding has two paths. The fast path hands the frame to a ``msgspec`` decoder built for the
connection's format: it parses straight into small wire structs (no dicts) and rejects
anything unexpected. Everything the fast path rejects (status and error frames, the other
format, malformed data) takes the slow path: ``orjson`` into Python objects, the format
detected per object (``ty`` = SIMPLE, ``type`` = DEFAULT), then the same structs validate it.
Both paths end in the same normalizers, so a DEFAULT frame and its SIMPLE twin give equal
events. ``decode`` never raises.

Impossible values (see ``sanity.py``) never become events. On the fast path msgspec itself
refuses them while parsing, in C: the decoder's structs carry constraints (a trade price
above zero, sizes not negative; JSON has no NaN or Infinity and msgspec refuses numbers out
of a double's range), and ``event`` checks what one field cannot say alone (book order,
best bid below best ask, a candle's low and high around its open and close). A frame that
fails goes down the slow path like any other surprise, where structs without constraints
read it and ``sanity.checked`` writes the sentence: ``Status(kind="error", code="invalid")``.
All text taken from a frame into a ``Status`` goes through ``sanity.status``, which removes
control characters; a market code with any is itself a reason to drop the event.
"""

from __future__ import annotations

import functools
import operator
import typing
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, ClassVar, Literal

import msgspec
import orjson

from dantaro_tui.exchanges.base import Frame, RateLimit, split_symbol
from dantaro_tui.exchanges.sanity import INF, check_symbol, checked, clean, status
from dantaro_tui.exchanges.upbit_family import ERROR_TEXT, Dialect, UpbitFamilyCodec, short
from dantaro_tui.model import Candle, Event, Level, OrderBook, Status, Ticker, Trade

__all__ = [
    "CANDLE_INTERVALS",
    "FORMATS",
    "UpbitApiError",
    "UpbitCodec",
    "build_request",
    "list_subscriptions_request",
    "split_code",
    "upbit_type",
]

EXCHANGE = "upbit"
FORMATS = ("DEFAULT", "SIMPLE", "JSON_LIST", "SIMPLE_LIST")
ORDERBOOK_DEPTHS = (1, 5, 15, 30)

# Our normalized candle interval -> Upbit's WebSocket type. Upbit's own spellings of the
# hourly units are accepted as well.
CANDLE_INTERVALS: dict[str, str] = {
    "1s": "candle.1s",
    "1m": "candle.1m",
    "3m": "candle.3m",
    "5m": "candle.5m",
    "10m": "candle.10m",
    "15m": "candle.15m",
    "30m": "candle.30m",
    "1h": "candle.60m",
    "4h": "candle.240m",
    "60m": "candle.60m",
    "240m": "candle.240m",
}
# Upbit's candle type -> our interval.
_CANDLE_TYPE_INTERVAL: dict[str, str] = {
    "candle.1s": "1s",
    "candle.1m": "1m",
    "candle.3m": "3m",
    "candle.5m": "5m",
    "candle.10m": "10m",
    "candle.15m": "15m",
    "candle.30m": "30m",
    "candle.60m": "1h",
    "candle.240m": "4h",
}
# Request objects are written in this order, so equal subscriptions give equal frames.
_TYPE_ORDER = ("ticker", "trade", "orderbook", *_CANDLE_TYPE_INTERVAL)


class UpbitApiError(Exception):
    """An error body from Upbit's REST API: ``{"error": {"name": ..., "message": ...}}``."""

    def __init__(self, name: str | int, message: str) -> None:
        if not isinstance(name, int):
            name = clean(name)
        message = clean(message)
        super().__init__(f"Upbit API error {name}: {message}")
        self.name = name
        self.message = message


# --------------------------------------------------------------------------- requests


def upbit_type(channel: str) -> str:
    """Upbit's request type for one of our channel keys (``"candle.1h"`` -> ``"candle.60m"``).

    Raises ``ValueError`` for a key Upbit has no public channel for.
    """
    if channel in ("ticker", "trade", "orderbook"):
        return channel
    kind, _, interval = channel.partition(".")
    if kind == "candle" and interval in CANDLE_INTERVALS:
        return CANDLE_INTERVALS[interval]
    known = ", ".join(f"candle.{i}" for i in CANDLE_INTERVALS)
    raise ValueError(
        f"Upbit has no channel {channel!r}: use ticker, trade, orderbook or one of {known}"
    )


def build_request(
    types: Mapping[str, Iterable[str]],
    *,
    ticket: str,
    fmt: str = "SIMPLE",
    only_snapshot: bool = False,
    only_realtime: bool = False,
    camel_case: bool = False,
    orderbook_depth: int | None = None,
) -> str:
    """One Upbit subscription request (JSON text) for ``types`` (channel key -> codes).

    Keys are our channel keys or Upbit's own types (``candle.1h`` and ``candle.60m`` both
    work); codes are upper-cased, de-duplicated and sorted, and keys that name the same
    Upbit type are merged. ``orderbook_depth`` (1, 5, 15 or 30) is sent as Upbit's
    ``CODE.N`` suffix. The snapshot/realtime flags are written snake_case as current docs
    spell them, or camelCase (``isOnlySnapshot``) for old servers and clients.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown Upbit format {fmt!r} (known: {', '.join(FORMATS)})")
    if only_snapshot and only_realtime:
        raise ValueError("only_snapshot and only_realtime exclude each other")
    if orderbook_depth is not None and orderbook_depth not in ORDERBOOK_DEPTHS:
        raise ValueError(f"Upbit order book depth must be one of {ORDERBOOK_DEPTHS}")
    merged: dict[str, set[str]] = {}
    for channel, codes in types.items():
        merged.setdefault(upbit_type(channel), set()).update(c.upper() for c in codes)
    flags: dict[str, bool] = {}
    if only_snapshot:
        flags["isOnlySnapshot" if camel_case else "is_only_snapshot"] = True
    if only_realtime:
        flags["isOnlyRealtime" if camel_case else "is_only_realtime"] = True
    request: list[dict[str, Any]] = [{"ticket": ticket}]
    for kind in _TYPE_ORDER:
        wanted = merged.get(kind)
        if not wanted:
            continue
        listed = sorted(wanted)
        if kind == "orderbook" and orderbook_depth is not None:
            listed = [c if "." in c else f"{c}.{orderbook_depth}" for c in listed]
        request.append({"type": kind, "codes": listed, **flags})
    request.append({"format": fmt})
    return orjson.dumps(request).decode()


def list_subscriptions_request(*, ticket: str, fmt: str = "SIMPLE") -> str:
    """Ask the server what this connection is subscribed to (answered by a ``subscribed``
    status). The format must be the connection's own: a different one switches its streams."""
    return orjson.dumps(
        [{"ticket": ticket}, {"method": "LIST_SUBSCRIPTIONS"}, {"format": fmt}]
    ).decode()


# --------------------------------------------------------------------------- symbols

_SPLITS: dict[str, tuple[str, str]] = {}


def split_code(code: str, exchange: str = EXCHANGE) -> tuple[str, str]:
    """(base, quote) of an Upbit market code: ``KRW-BTC`` -> ``("BTC", "KRW")``. Cached.
    Bithumb's v1 codes follow the same rule; ``exchange`` names the venue in the sentence.

    Raises ``sanity.Invalid`` for a code that is empty or holds anything unprintable (a
    terminal control sequence, say); such codes are never cached, so the check costs a
    dict lookup per event."""
    pair = _SPLITS.get(code)
    if pair is None:
        check_symbol(exchange, code)
        if len(_SPLITS) > 20_000:  # only a misbehaving peer sends that many codes
            _SPLITS.clear()
        pair = _SPLITS[code] = split_symbol(code, "-", quote_first=True)
    return pair


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


@functools.lru_cache(maxsize=4096)
def utc_ms(text: str) -> int:
    """Epoch ms of Upbit's ``yyyy-MM-ddTHH:mm:ss`` (UTC unless an offset is written)."""
    dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return (dt - _EPOCH) // _MS


# --------------------------------------------------------------------------- wire structs
# Attribute names are the DEFAULT (and REST) keys; the SIMPLE and REST variants only rename
# them, so one ``event`` method normalizes every shape. Fields the monitor does not use are
# not declared (msgspec skips them); optional ones have defaults.

Change = Literal["RISE", "EVEN", "FALL"]


class TickerMsg(msgspec.Struct, gc=False):
    code: str
    trade_price: float
    opening_price: float
    high_price: float
    low_price: float
    prev_closing_price: float
    acc_trade_volume_24h: float
    acc_trade_price_24h: float
    timestamp: int
    change: Change | None = None
    change_price: float | None = None  # absolute
    signed_change_price: float | None = None
    change_rate: float | None = None  # absolute
    signed_change_rate: float | None = None
    trade_volume: float = 0.0
    stream_type: str = ""

    exchange: ClassVar[str] = EXCHANGE  # Bithumb's twins of these structs say "bithumb"

    def event(self, recv_ns: int, snapshot: bool | None = None) -> Ticker:
        code = self.code
        base, quote = _SPLITS.get(code) or split_code(code, self.exchange)
        finite_rate = True
        rate = self.signed_change_rate
        diff = self.signed_change_price
        if rate is None or diff is None:  # older payloads: sign from RISE/EVEN/FALL
            sign = -1.0 if self.change == "FALL" else 1.0
            prev = self.prev_closing_price
            if diff is None:
                absolute = self.change_price
                diff = self.trade_price - prev if absolute is None else sign * absolute
            if rate is None:
                absolute = self.change_rate
                if absolute is not None:
                    rate = sign * absolute
                else:
                    rate = (self.trade_price - prev) / prev if prev else 0.0
                    if not -INF < rate < INF:  # a previous close of ~0 overflows
                        finite_rate = False
        ticker = Ticker(
            exchange=self.exchange,
            symbol=code,
            base=base,
            quote=quote,
            trade_price=self.trade_price,
            change_rate=rate,
            change_price=diff,
            opening_price=self.opening_price,
            high_price=self.high_price,
            low_price=self.low_price,
            prev_closing_price=self.prev_closing_price,
            acc_trade_volume_24h=self.acc_trade_volume_24h,
            acc_trade_price_24h=self.acc_trade_price_24h,
            timestamp=self.timestamp,
            recv_ns=recv_ns,
            trade_volume=self.trade_volume,
            snapshot=self.stream_type == "SNAPSHOT" if snapshot is None else snapshot,
        )
        return ticker if finite_rate else checked(ticker)


class TradeMsg(msgspec.Struct, gc=False):
    code: str
    trade_price: float
    trade_volume: float
    ask_bid: Literal["ASK", "BID"]
    sequential_id: int
    trade_timestamp: int
    stream_type: str = ""

    exchange: ClassVar[str] = EXCHANGE  # Bithumb's twins of these structs say "bithumb"

    def event(self, recv_ns: int, snapshot: bool | None = None) -> Trade:
        code = self.code
        base, quote = _SPLITS.get(code) or split_code(code, self.exchange)
        return Trade(
            exchange=self.exchange,
            symbol=code,
            base=base,
            quote=quote,
            price=self.trade_price,
            volume=self.trade_volume,
            side="buy" if self.ask_bid == "BID" else "sell",
            trade_id=str(self.sequential_id),
            timestamp=self.trade_timestamp,
            recv_ns=recv_ns,
            snapshot=self.stream_type == "SNAPSHOT" if snapshot is None else snapshot,
        )


class UnitMsg(msgspec.Struct, gc=False):
    ask_price: float
    bid_price: float
    ask_size: float
    bid_size: float


class OrderbookMsg(msgspec.Struct, gc=False):
    code: str
    orderbook_units: list[UnitMsg]
    timestamp: int
    total_ask_size: float | None = None
    total_bid_size: float | None = None
    stream_type: str = ""

    exchange: ClassVar[str] = EXCHANGE  # Bithumb's twins of these structs say "bithumb"
    # Whether a level whose size reads 0 is dropped with the 0/0 padding (Bithumb: its
    # sizes are printed with 4 decimals, so a live level under 0.00005 reads 0).
    drops_zero_sizes: ClassVar[bool] = False

    def timestamp_ms(self) -> int:
        """The book's time in epoch ms (Bithumb writes microseconds)."""
        return self.timestamp

    def event(self, recv_ns: int, snapshot: bool | None = None) -> OrderBook:
        code = self.code
        base, quote = _SPLITS.get(code) or split_code(code, self.exchange)
        bids: list[Level] = []
        asks: list[Level] = []
        # Bids must fall and asks rise, strictly, all above zero: one comparison a level, as
        # the lowest bid is the last (JSON has no NaN; sizes were checked by the parser on
        # the fast path, and ``checked`` reads everything on the slow one).
        ordered = True
        bid = INF
        ask = 0.0
        keep_zero_sizes = not self.drops_zero_sizes
        for u in self.orderbook_units:
            # A thin side is padded with units whose price and size are 0: drop them.
            p = u.bid_price
            if p and (keep_zero_sizes or u.bid_size):
                if p >= bid:
                    ordered = False
                bid = p
                bids.append(Level(p, u.bid_size))
            p = u.ask_price
            if p and (keep_zero_sizes or u.ask_size):
                if p <= ask:
                    ordered = False
                ask = p
                asks.append(Level(p, u.ask_size))
        tbs = self.total_bid_size
        if tbs is None:  # older payloads: the sum of the levels sent
            tbs = sum([lv.size for lv in bids])
        tas = self.total_ask_size
        if tas is None:
            tas = sum([lv.size for lv in asks])
        book = OrderBook(
            exchange=self.exchange,
            symbol=code,
            base=base,
            quote=quote,
            bids=tuple(bids),
            asks=tuple(asks),
            total_bid_size=tbs,
            total_ask_size=tas,
            timestamp=self.timestamp_ms(),
            recv_ns=recv_ns,
            snapshot=self.stream_type == "SNAPSHOT" if snapshot is None else snapshot,
        )
        if (
            ordered
            and bid > 0.0
            and tbs < INF
            and tas < INF
            and (not bids or not asks or bids[0].price < asks[0].price)
        ):
            return book
        return checked(book)  # raises Invalid, saying what is wrong


class CandleMsg(msgspec.Struct, gc=False):
    code: str
    candle_date_time_utc: str
    opening_price: float
    high_price: float
    low_price: float
    trade_price: float
    candle_acc_trade_volume: float
    candle_acc_trade_price: float
    timestamp: int = 0
    stream_type: str = ""

    interval: ClassVar[str] = ""  # set on the WebSocket variants, one class per unit
    exchange: ClassVar[str] = EXCHANGE

    def event(self, recv_ns: int, interval: str = "", closed: bool = False) -> Candle:
        code = self.code
        base, quote = _SPLITS.get(code) or split_code(code, self.exchange)
        candle = Candle(
            exchange=self.exchange,
            symbol=code,
            base=base,
            quote=quote,
            interval=interval or self.interval,
            open_time=utc_ms(self.candle_date_time_utc),
            open=self.opening_price,
            high=self.high_price,
            low=self.low_price,
            close=self.trade_price,
            volume=self.candle_acc_trade_volume,
            timestamp=self.timestamp,
            recv_ns=recv_ns,
            quote_volume=self.candle_acc_trade_price,
            closed=closed,
            snapshot=self.stream_type == "SNAPSHOT",
        )
        low, high = self.low_price, self.high_price
        if 0.0 < low <= self.opening_price <= high and low <= self.trade_price <= high:
            return candle
        return checked(candle)  # raises Invalid: the low and high do not bracket the rest


# DEFAULT key -> SIMPLE key, for the fields the codec reads (exchange reference 1.3-1.6).
SIMPLE_KEYS: dict[str, str] = {
    "type": "ty",
    "code": "cd",
    "trade_price": "tp",
    "opening_price": "op",
    "high_price": "hp",
    "low_price": "lp",
    "prev_closing_price": "pcp",
    "change": "c",
    "change_price": "cp",
    "signed_change_price": "scp",
    "change_rate": "cr",
    "signed_change_rate": "scr",
    "trade_volume": "tv",
    "acc_trade_volume_24h": "atv24h",
    "acc_trade_price_24h": "atp24h",
    "timestamp": "tms",
    "stream_type": "st",
    "ask_bid": "ab",
    "sequential_id": "sid",
    "trade_timestamp": "ttms",
    "orderbook_units": "obu",
    "total_ask_size": "tas",
    "total_bid_size": "tbs",
    "ask_price": "ap",
    "bid_price": "bp",
    "ask_size": "as",
    "bid_size": "bs",
    "candle_date_time_utc": "cdttmu",
    "candle_acc_trade_volume": "catv",
    "candle_acc_trade_price": "catp",
}


def variant(
    base: type[msgspec.Struct],
    name: str,
    rename: Mapping[str, str] | None = None,
    types: Mapping[str, Any] | None = None,
    **config: Any,
) -> Any:
    """A subclass of wire struct ``base`` with its fields renamed and/or retyped (msgspec
    applies ``rename`` only to fields a class defines itself, so they are redefined)."""
    fields: list[tuple[Any, ...]] = []
    for f in msgspec.structs.fields(base):
        kind = (types or {}).get(f.name, f.type)
        if f.default is msgspec.NODEFAULT:
            fields.append((f.name, kind))
        else:
            fields.append((f.name, kind, f.default))
    renamed = {k: v for k, v in (rename or {}).items() if k in base.__struct_fields__}
    return msgspec.defstruct(
        name, fields, bases=(base,), rename=renamed, gc=False, module=__name__, **config
    )


# Constraints msgspec checks in C while parsing, for the fast path's structs (the slow path
# and REST read the same shapes without them and explain with ``sanity.checked``). With JSON
# numbers there is no NaN or Infinity to refuse; signs are what is left.
_POSITIVE = Annotated[float, msgspec.Meta(gt=0.0)]
_NOT_NEGATIVE = Annotated[float, msgspec.Meta(ge=0.0)]
_CONSTRAINTS: dict[type[msgspec.Struct], dict[str, Any]] = {
    TickerMsg: {
        "trade_price": _POSITIVE,
        **dict.fromkeys(
            (
                "opening_price",
                "high_price",
                "low_price",
                "prev_closing_price",
                "acc_trade_volume_24h",
                "acc_trade_price_24h",
                "trade_volume",
            ),
            _NOT_NEGATIVE,
        ),
    },
    TradeMsg: {"trade_price": _POSITIVE, "trade_volume": _POSITIVE},
    # Unit prices need none: ``OrderbookMsg.event`` compares them anyway (measured: the 30
    # price constraints of a 15-level book cost more than one comparison after the loop).
    UnitMsg: dict.fromkeys(("ask_size", "bid_size"), _NOT_NEGATIVE),
    OrderbookMsg: dict.fromkeys(("total_ask_size", "total_bid_size"), _NOT_NEGATIVE),
    CandleMsg: dict.fromkeys(
        (
            "opening_price",
            "high_price",
            "low_price",
            "trade_price",
            "candle_acc_trade_volume",
            "candle_acc_trade_price",
        ),
        _NOT_NEGATIVE,  # above zero and in order: ``CandleMsg.event``
    ),
}


def _constrained(base: type[msgspec.Struct], types: Mapping[str, Any] | None) -> dict[str, Any]:
    """``types`` plus the constraints of the Upbit struct ``base`` is or extends (Bithumb's
    twins take Upbit's); ``float | None`` fields stay optional."""
    table = next((_CONSTRAINTS[c] for c in base.__mro__ if c in _CONSTRAINTS), {})
    out = dict(types or {})
    for f in msgspec.structs.fields(base):
        kind = table.get(f.name)
        if kind is not None and f.name not in out:
            out[f.name] = kind | None if type(None) in typing.get_args(f.type) else kind
    return out


def wire_types(
    fmt: Literal["DEFAULT", "SIMPLE"],
    constrained: bool = False,
    *,
    simple_keys: Mapping[str, str] = SIMPLE_KEYS,
    ticker: type[TickerMsg] = TickerMsg,
    trade: type[TradeMsg] = TradeMsg,
    book: type[OrderbookMsg] = OrderbookMsg,
    candles: bool = True,
    prefix: str = "",
) -> dict[str, Any]:
    """Request type -> tagged wire struct for one key format (with the constraints or not).
    A venue of Upbit's family passes its own structs, SIMPLE keys and class-name prefix."""
    simple = fmt == "SIMPLE"
    keys = simple_keys if simple else None
    tag_field = "ty" if simple else "type"
    suffix = prefix + fmt.title() + ("Checked" if constrained else "")

    def make(base: type[msgspec.Struct], name: str, types: Any = None, **config: Any) -> Any:
        if constrained:
            types = _constrained(base, types)
        return variant(base, f"{name}{suffix}", keys, types, **config)

    unit = make(UnitMsg, "Unit")
    out: dict[str, Any] = {
        "ticker": make(ticker, "Ticker", tag_field=tag_field, tag="ticker"),
        "trade": make(trade, "Trade", tag_field=tag_field, tag="trade"),
        "orderbook": make(
            book,
            "Orderbook",
            {"orderbook_units": list.__class_getitem__(unit)},  # list[unit], built at run time
            tag_field=tag_field,
            tag="orderbook",
        ),
    }
    for kind, interval in _CANDLE_TYPE_INTERVAL.items() if candles else ():
        cls = make(CandleMsg, f"Candle{interval}", tag_field=tag_field, tag=kind)
        cls.interval = interval
        out[kind] = cls
    return out


# The slow path's structs: any number, so ``sanity.checked`` can say what is wrong with it.
WIRE: dict[str, dict[str, Any]] = {
    "DEFAULT": wire_types("DEFAULT"),
    "SIMPLE": wire_types("SIMPLE"),
    # The 2018 ticker frame still shown on Upbit's "test and request sample" page: DEFAULT
    # keys, but ``market`` (as REST) instead of ``code`` and no ``type``.
    "LEGACY": {"ticker": variant(TickerMsg, "TickerLegacy", {"code": "market"})},
}
# The fast path's structs: msgspec refuses impossible numbers while it parses.
FAST_WIRE: dict[str, dict[str, Any]] = {
    "DEFAULT": wire_types("DEFAULT", constrained=True),
    "SIMPLE": wire_types("SIMPLE", constrained=True),
}


# --------------------------------------------------------------------------- status frames


def _subscribed_status(item: Mapping[str, Any], recv_ns: int) -> Status:
    result = item.get("result", item.get("rslt"))
    parts: list[str] = []
    for entry in result if isinstance(result, list) else ():
        if isinstance(entry, dict):
            kind = entry.get("type", entry.get("ty", "?"))
            codes = entry.get("codes", entry.get("cds")) or []
            listed = ", ".join(str(c) for c in codes) if isinstance(codes, list) else ""
            parts.append(f"{kind} {listed}".strip())
    if parts:
        message = "Upbit confirms the active subscription: " + "; ".join(parts)
    else:
        message = "Upbit reports no active subscription on this connection"
    return status(EXCHANGE, "subscribed", "LIST_SUBSCRIPTIONS", message, recv_ns=recv_ns)


def _classify(item: dict[str, Any], recv_ns: int) -> tuple[str, str] | Status | None:
    """Upbit's objects without a message type: the answer to LIST_SUBSCRIPTIONS, and the
    2018 ticker (``market`` and no ``type``) still shown on its sample page."""
    if item.get("method", item.get("mthd")) == "LIST_SUBSCRIPTIONS":
        return _subscribed_status(item, recv_ns)
    if "market" in item and "trade_price" in item and "acc_trade_volume_24h" in item:
        return "LEGACY", "ticker"
    return None


UPBIT = Dialect(EXCHANGE, WIRE, frozenset(ERROR_TEXT), _classify)
error_status = UPBIT.error_status
malformed = UPBIT.malformed
decode_object = UPBIT.decode_object


# --------------------------------------------------------------------------- the codec


class UpbitCodec(UpbitFamilyCodec):
    """Upbit's public quotation WebSocket (``ticker``, ``trade``, ``orderbook``, ``candle.*``).

    ``format`` is the key format requested for the connection (SIMPLE by default: smaller
    frames); frames in any of Upbit's formats decode regardless. The keyword options are
    passed to every request (see ``build_request``).
    """

    name = "upbit"
    default_ws_url = "wss://api.upbit.com/websocket/v1"
    default_rest_url = "https://api.upbit.com"
    keepalive_interval = 20.0
    ping_frame = "PING"
    connect_limits = (RateLimit(5, 1.0),)
    message_limits = (RateLimit(5, 1.0), RateLimit(100, 60.0))
    dialect = UPBIT
    formats = FORMATS

    def __init__(
        self,
        format: str = "SIMPLE",
        ticket: str | None = None,
        *,
        only_snapshot: bool = False,
        only_realtime: bool = False,
        camel_case: bool = False,
        orderbook_depth: int | None = None,
    ) -> None:
        super().__init__(
            format,
            ticket,
            only_snapshot=only_snapshot,
            only_realtime=only_realtime,
            camel_case=camel_case,
            orderbook_depth=orderbook_depth,
        )
        fmt = self.format
        keys = "SIMPLE" if fmt.startswith("SIMPLE") else "DEFAULT"
        union: Any = functools.reduce(operator.or_, FAST_WIRE[keys].values())
        self._listed = fmt.endswith("_LIST")
        shape: Any = list[union] if self._listed else union
        self._decode_fast: Callable[[Frame], Any] = msgspec.json.Decoder(shape).decode

    def build_request(self, types: Mapping[str, Iterable[str]], **options: Any) -> str:
        return build_request(types, **options)

    def validate_channel(self, channel: str) -> None:
        upbit_type(channel)  # ValueError naming Upbit's channels

    def list_subscriptions_frame(self) -> str:
        return list_subscriptions_request(ticket=self.ticket, fmt=self.format)

    def decode(self, frame: Frame, recv_ns: int) -> list[Event]:
        try:
            msg = self._decode_fast(frame)
        except Exception:  # not the expected shape: let the slow path say what it is
            return self._decode_slow(frame, recv_ns)
        try:
            if self._listed:
                return [m.event(recv_ns) for m in msg]
            return [msg.event(recv_ns)]
        except Exception:  # e.g. an impossible candle date: the slow path labels it
            return self._decode_slow(frame, recv_ns)

    def _decode_slow(self, frame: Frame, recv_ns: int) -> list[Event]:
        obj = UPBIT.loads(frame, recv_ns)
        if isinstance(obj, Status):
            return [obj]
        try:
            if isinstance(obj, list):
                return [decode_object(item, recv_ns) for item in obj]
            return [decode_object(obj, recv_ns)]
        except Exception as exc:  # decode never raises
            return [malformed(short(exc), recv_ns)]
