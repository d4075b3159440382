"""Bithumb's Upbit-compatible WebSocket (``/websocket/v1``) codec, sans-I/O.

Bithumb copied Upbit's quotation API (exchange reference, section 6): binary frames of UTF-8
JSON, one request array that *replaces* the connection's subscription, the DEFAULT and SIMPLE
key formats, a full book in every orderbook frame. So this codec is Upbit's, reused: the
same request builder, the same wire structs (subclassed to say ``bithumb``), the same
ticker and trade normalizers and the same constraint tables. What differs is named here, in
one place each:

* ``CAMEL_CASE_FLAGS``: only ``isOnlySnapshot`` / ``isOnlyRealtime`` are honoured (a 2026
  probe saw the snake_case spelling Upbit's current docs use silently ignored).
* ``MAX_BOOK_LEVELS``: at most 15 levels a push; the ``CODE.N`` suffix only narrows.
* ``book_timestamp_ms``: orderbook timestamps are microseconds (16 digits), not ms.
* ``BookMsg.drops_zero_sizes``: sizes are printed with 4 decimals, so a live level can show
  size ``0``; such levels are dropped with the 0/0 padding (a level of size 0 is nothing a
  trader can take).
* ``CHANNELS``: ticker, trade and orderbook only; Bithumb streams no candles.
* ``FORMATS``: DEFAULT and SIMPLE (no ``*_LIST`` formats).
* ``connect_limits``: 10 connections a second per IP (Upbit: 5).
* ``market_warning`` (Upbit's is deprecated and fixed at NONE) is live on Bithumb: a change
  to ``CAUTION`` (or back) becomes a ``Status(kind="notice")`` beside the ticker.

Impossible values never become events and exchange text is cleaned (``sanity.py``), as on
Upbit: the fast path's structs carry Upbit's constraints, the slow path explains.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar, Literal

import msgspec

from dantaro_tui.exchanges import upbit
from dantaro_tui.exchanges.base import Frame, RateLimit
from dantaro_tui.exchanges.sanity import clean, status
from dantaro_tui.exchanges.upbit import (
    SIMPLE_KEYS,
    OrderbookMsg,
    TickerMsg,
    TradeMsg,
    wire_types,
)
from dantaro_tui.exchanges.upbit_family import ERROR_TEXT, Dialect, UpbitFamilyCodec, short
from dantaro_tui.model import Event, Status, Ticker

__all__ = [
    "CHANNELS",
    "EXCHANGE",
    "FORMATS",
    "MAX_BOOK_LEVELS",
    "BithumbApiError",
    "BithumbCodec",
    "book_timestamp_ms",
    "build_request",
    "decode_object",
]

EXCHANGE = "bithumb"
CHANNELS = ("ticker", "trade", "orderbook")
FORMATS = ("DEFAULT", "SIMPLE")
MAX_BOOK_LEVELS = 15
ORDERBOOK_DEPTHS = (1, 5, 15)  # the CODE.N suffixes that narrow a 15-level book
CAMEL_CASE_FLAGS = True
# A ms epoch reaches 10**14 in the year 5138: anything that large is microseconds.
_MICROSECONDS_FROM = 10**14


class BithumbApiError(Exception):
    """An error from Bithumb's REST API: a legacy envelope whose ``status`` is not "0000",
    or a v1 body ``{"error": {"name": ..., "message": ...}}`` (sent with HTTP 200)."""

    def __init__(self, name: str | int, message: str) -> None:
        if not isinstance(name, int):
            name = clean(name)
        message = clean(message)
        super().__init__(
            f"Bithumb API error {name}: {message}" if message else f"Bithumb API error {name}"
        )
        self.name = name
        self.message = message


def book_timestamp_ms(ts: int) -> int:
    """Epoch ms of a Bithumb book timestamp: microseconds on the wire (``1755066412345678``);
    a value already in ms (as REST may write it) is kept."""
    return ts // 1000 if ts >= _MICROSECONDS_FROM else ts


# --------------------------------------------------------------------------- requests


def bithumb_type(channel: str) -> str:
    """Bithumb's request type for one of our channel keys; ValueError for anything else."""
    if channel in CHANNELS:
        return channel
    if channel.startswith("candle"):
        raise ValueError(
            "Bithumb streams no candles: use ticker, trade or orderbook "
            "(candles come from its REST API)"
        )
    raise ValueError(f"Bithumb has no channel {channel!r}: use ticker, trade or orderbook")


def build_request(
    types: Mapping[str, Iterable[str]],
    *,
    ticket: str,
    fmt: str = "SIMPLE",
    only_snapshot: bool = False,
    only_realtime: bool = False,
    orderbook_depth: int | None = None,
) -> str:
    """One Bithumb request (Upbit's shape, camelCase flags) for ``types`` (channel -> codes)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown Bithumb format {fmt!r} (known: {', '.join(FORMATS)})")
    if orderbook_depth is not None and orderbook_depth not in ORDERBOOK_DEPTHS:
        raise ValueError(f"Bithumb order book depth must be one of {ORDERBOOK_DEPTHS}")
    for channel in types:
        bithumb_type(channel)
    return upbit.build_request(
        types,
        ticket=ticket,
        fmt=fmt,
        only_snapshot=only_snapshot,
        only_realtime=only_realtime,
        camel_case=CAMEL_CASE_FLAGS,
        orderbook_depth=orderbook_depth,
    )


# --------------------------------------------------------------------------- wire structs
# Upbit's structs with Bithumb's name; the book says how Bithumb's differs (module doc).


class BithumbTickerMsg(TickerMsg, gc=False):
    market_warning: str = ""  # NONE / CAUTION

    exchange: ClassVar[str] = EXCHANGE


class BithumbTradeMsg(TradeMsg, gc=False):
    exchange: ClassVar[str] = EXCHANGE


class BookMsg(OrderbookMsg, gc=False):
    exchange: ClassVar[str] = EXCHANGE
    drops_zero_sizes: ClassVar[bool] = True  # 4-decimal sizes: a live level can read 0

    def timestamp_ms(self) -> int:
        return book_timestamp_ms(self.timestamp)


# Upbit's SIMPLE table plus the one field only Bithumb's codec reads.
BITHUMB_SIMPLE_KEYS = {**SIMPLE_KEYS, "market_warning": "mw"}


def _wire_types(fmt: Literal["DEFAULT", "SIMPLE"], constrained: bool = False) -> dict[str, Any]:
    return wire_types(
        fmt,
        constrained,
        simple_keys=BITHUMB_SIMPLE_KEYS,
        ticker=BithumbTickerMsg,
        trade=BithumbTradeMsg,
        book=BookMsg,
        candles=False,
        prefix="Bithumb",
    )


WIRE: dict[str, dict[str, Any]] = {
    "DEFAULT": _wire_types("DEFAULT"),
    "SIMPLE": _wire_types("SIMPLE"),
}
FAST_WIRE: dict[str, dict[str, Any]] = {
    "DEFAULT": _wire_types("DEFAULT", constrained=True),
    "SIMPLE": _wire_types("SIMPLE", constrained=True),
}


# --------------------------------------------------------------------------- status frames

# Upbit's wording; Bithumb's socket documents no INVALID_AUTH, and an unknown message type
# is quoted only in part.
BITHUMB = Dialect(EXCHANGE, WIRE, frozenset(ERROR_TEXT) - {"INVALID_AUTH"}, kind_limit=40)
error_status = BITHUMB.error_status
malformed = BITHUMB.malformed
decode_object = BITHUMB.decode_object


# --------------------------------------------------------------------------- the codec


class BithumbCodec(UpbitFamilyCodec):
    """Bithumb's public v1 WebSocket (``ticker``, ``trade``, ``orderbook``).

    ``format`` is the key format asked for (SIMPLE by default: smaller frames); frames in
    either format decode regardless. ``orderbook_depth`` (1, 5 or 15) narrows the book.
    """

    name = EXCHANGE
    default_ws_url = "wss://ws-api.bithumb.com/websocket/v1"
    default_rest_url = "https://api.bithumb.com"
    keepalive_interval = 20.0  # idle sockets were closed at ~60 s in a probe
    ping_frame = "PING"
    connect_limits = (RateLimit(10, 1.0),)
    # Bithumb publishes no per-connection message limit: Upbit's is kept as a polite bound.
    message_limits = (RateLimit(5, 1.0), RateLimit(100, 60.0))
    dialect = BITHUMB
    formats = FORMATS

    def __init__(
        self,
        format: str = "SIMPLE",
        ticket: str | None = None,
        *,
        only_snapshot: bool = False,
        only_realtime: bool = False,
        orderbook_depth: int | None = None,
    ) -> None:
        super().__init__(
            format,
            ticket,
            only_snapshot=only_snapshot,
            only_realtime=only_realtime,
            orderbook_depth=orderbook_depth,
        )
        fmt = self.format
        union: Any = functools.reduce(operator.or_, FAST_WIRE[fmt].values())
        self._decode_fast: Callable[[Frame], Any] = msgspec.json.Decoder(union).decode
        self._fast_ticker: type = FAST_WIRE[fmt]["ticker"]
        self._warnings: dict[str, str] = {}  # code -> last market_warning seen

    def build_request(self, types: Mapping[str, Iterable[str]], **options: Any) -> str:
        return build_request(types, **options)

    def normalize_symbol(self, symbol: str) -> str:
        """``KRW-BTC``; the legacy spelling ``BTC_KRW`` is turned around."""
        code = super().normalize_symbol(symbol)
        base, sep, quote = code.partition("_")
        return f"{quote}-{base}" if sep and base and quote and "-" not in code else code

    def validate_channel(self, channel: str) -> None:
        bithumb_type(channel)

    def decode(self, frame: Frame, recv_ns: int) -> list[Event]:
        try:
            msg = self._decode_fast(frame)
        except Exception:  # not the expected shape: let the slow path say what it is
            return self._decode_slow(frame, recv_ns)
        try:
            event = msg.event(recv_ns)
        except Exception:
            return self._decode_slow(frame, recv_ns)
        if type(msg) is self._fast_ticker:
            return self._with_warning(msg, [event], recv_ns)
        return [event]

    def _with_warning(self, msg: Any, events: list[Event], recv_ns: int) -> list[Event]:
        """``events`` plus a notice when the market's warning flag changed."""
        flag = msg.market_warning
        code = msg.code
        before = self._warnings.get(code, "NONE")
        if not flag or flag == before:
            return events
        self._warnings[code] = flag
        if flag == "CAUTION":
            text = f"Bithumb has put {code} under an investment warning (CAUTION)."
        elif flag == "NONE":
            text = f"Bithumb has lifted the investment warning on {code}."
        else:
            text = f"Bithumb reports the market warning {short(flag, 40)} on {code}."
        events.append(status(EXCHANGE, "notice", "market_warning", text, code, recv_ns))
        return events

    def _decode_slow(self, frame: Frame, recv_ns: int) -> list[Event]:
        obj = BITHUMB.loads(frame, recv_ns)
        if isinstance(obj, Status):
            return [obj]
        try:
            # No *_LIST formats on Bithumb: an array is as unexpected as any other non-object.
            ev = decode_object(obj, recv_ns)
            out: list[Event] = [ev]
            if isinstance(ev, Ticker) and isinstance(obj, dict):
                flag = obj.get("mw", obj.get("market_warning"))
                if isinstance(flag, str) and flag.isprintable():
                    self._with_warning(_Flag(ev.symbol, flag), out, recv_ns)
            return out
        except Exception as exc:  # decode never raises
            return [malformed(short(exc), recv_ns)]


class _Flag:
    """What ``_with_warning`` reads of a ticker, for frames taken by the slow path."""

    __slots__ = ("code", "market_warning")

    def __init__(self, code: str, market_warning: str) -> None:
        self.code = code
        self.market_warning = market_warning
