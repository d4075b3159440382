"""Upbit REST quotation API, sans-I/O: request paths/params and response-body parsers.

Every ``*_request`` function returns ``(path, params)`` for the REST client to send against
``UpbitCodec.default_rest_url``; every ``parse_*`` function takes the response body (bytes,
text or already-parsed JSON) and returns model objects. An error body
(``{"error": {"name": 404, "message": "Code not found"}}``) raises ``UpbitApiError``; a body of
the wrong shape raises ``ValueError`` saying what was wrong.

REST rows use the DEFAULT key names with ``market`` for ``code``, so they are read by the same
wire structs (and normalized by the same code) as the WebSocket frames.

A row a trader could be misled by (a negative price, a crossed book, a market code with
control characters: see ``sanity.py``) is left out of the result rather than failing the
whole call; pass a list as ``rejected`` to receive a ``Status(kind="error",
code="invalid")`` for each. Market names and caution flags are cleaned of control
characters.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, TypeVar

import msgspec
import orjson

from dantaro_tui.exchanges.sanity import checked, clean, kept
from dantaro_tui.exchanges.upbit import (
    EXCHANGE,
    CandleMsg,
    OrderbookMsg,
    TickerMsg,
    TradeMsg,
    UpbitApiError,
    split_code,
    variant,
)
from dantaro_tui.model import Candle, Market, OrderBook, Status, Ticker, Trade

__all__ = [
    "KST",
    "Body",
    "UpbitApiError",
    "candles_path",
    "candles_request",
    "interval_ms",
    "kst_ms",
    "load_body",
    "markets_request",
    "orderbook_request",
    "parse_candles",
    "parse_markets",
    "parse_orderbooks",
    "parse_tickers",
    "parse_trades",
    "ticker_all_request",
    "ticker_request",
    "trades_request",
]

Body = bytes | str | list[Any] | dict[str, Any]
Request = tuple[str, dict[str, str]]
# Both venues write local times in Korea's zone; a time without an offset is read in it,
# never in the zone of the machine running the monitor.
KST = timezone(timedelta(hours=9))


def kst_ms(text: str) -> int:
    """Epoch ms of an ISO time (``2024-07-02T10:41:13``); no offset means Korean time."""
    dt = datetime.fromisoformat(text.strip())
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=KST)
    return int(dt.timestamp() * 1000)


# --------------------------------------------------------------------------- requests

_MINUTES = {"1m": 1, "3m": 3, "5m": 5, "10m": 10, "15m": 15, "30m": 30, "1h": 60, "4h": 240}
_ALIASES = {"60m": "1h", "240m": "4h"}


@dataclass(frozen=True, slots=True)
class CandlePaths:
    """A venue's REST candles: the minute units (the same across the family) under
    ``/v1/candles/minutes/N``, and the venue's longer intervals at paths of their own."""

    venue: str
    long_paths: Mapping[str, str]
    fixed_ms: Mapping[str, int]  # the long intervals of a fixed length

    def interval(self, interval: str) -> str:
        """Our interval for ``interval`` (``"60m"`` -> ``"1h"``); ValueError if unknown."""
        iv = _ALIASES.get(interval, interval)
        if iv not in _MINUTES and iv not in self.long_paths:
            known = ", ".join([*_MINUTES, *self.long_paths])
            raise ValueError(f"{self.venue} has no {interval!r} candles (known: {known})")
        return iv

    def path(self, interval: str) -> str:
        iv = self.interval(interval)
        return f"/v1/candles/minutes/{_MINUTES[iv]}" if iv in _MINUTES else self.long_paths[iv]

    def length_ms(self, interval: str) -> int | None:
        """Length of a candle in ms; None for months and years (they vary)."""
        iv = self.interval(interval)
        return _MINUTES[iv] * 60_000 if iv in _MINUTES else self.fixed_ms.get(iv)


_CANDLES = CandlePaths(
    "Upbit",
    {
        "1s": "/v1/candles/seconds",
        "1d": "/v1/candles/days",
        "1w": "/v1/candles/weeks",
        "1M": "/v1/candles/months",
        "1y": "/v1/candles/years",
    },
    {"1s": 1_000, "1d": 86_400_000, "1w": 7 * 86_400_000},
)


def candles_path(interval: str) -> str:
    """``"1m"`` -> ``/v1/candles/minutes/1``, ``"4h"`` -> ``/v1/candles/minutes/240``,
    ``"1s"`` -> ``/v1/candles/seconds``, ``"1d"`` -> ``/v1/candles/days`` (also 1w, 1M, 1y)."""
    return _CANDLES.path(interval)


def interval_ms(interval: str) -> int | None:
    """Length of a candle in ms; None for months and years (they vary)."""
    return _CANDLES.length_ms(interval)


def count_param(count: int, limit: int) -> str:
    if not 1 <= count <= limit:
        raise ValueError(f"count must be between 1 and {limit}, got {count}")
    return str(count)


def to_param(to: str | int) -> str:
    """A candle request's ``to``: ISO 8601 as given, epoch ms written as UTC."""
    if isinstance(to, int):
        return datetime.fromtimestamp(to / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return to


def _markets(symbols: Iterable[str]) -> str:
    listed = ",".join(dict.fromkeys(s.upper() for s in symbols))
    if not listed:
        raise ValueError("at least one market code is needed")
    return listed


def markets_request(details: bool = True) -> Request:
    """``GET /v1/market/all``; with details each market carries its warning/caution flags."""
    return "/v1/market/all", {"is_details": "true"} if details else {}


def ticker_request(symbols: Iterable[str]) -> Request:
    return "/v1/ticker", {"markets": _markets(symbols)}


def ticker_all_request(quotes: Iterable[str] = ("KRW", "BTC", "USDT")) -> Request:
    return "/v1/ticker/all", {"quote_currencies": _markets(quotes)}


def orderbook_request(
    symbols: Iterable[str], *, count: int | None = None, level: float | None = None
) -> Request:
    params = {"markets": _markets(symbols)}
    if count is not None:
        params["count"] = count_param(count, 30)
    if level is not None:
        params["level"] = f"{level:g}"
    return "/v1/orderbook", params


def trades_request(
    symbol: str,
    *,
    count: int = 200,
    cursor: int | str | None = None,
    to: str | None = None,
    days_ago: int | None = None,
) -> Request:
    """``GET /v1/trades/ticks``: ``cursor`` is a ``sequential_id`` (page backwards),
    ``to`` a UTC time ``HHmmss`` or ``HH:mm:ss``, ``days_ago`` 1-7."""
    params = {"market": symbol.upper(), "count": count_param(count, 500)}
    if cursor is not None:
        params["cursor"] = str(cursor)
    if to is not None:
        params["to"] = to
    if days_ago is not None:
        if not 1 <= days_ago <= 7:
            raise ValueError(f"days_ago must be between 1 and 7, got {days_ago}")
        params["days_ago"] = str(days_ago)
    return "/v1/trades/ticks", params


def candles_request(
    symbol: str, interval: str, *, count: int = 200, to: str | int | None = None
) -> Request:
    """Candles ending before ``to`` (an ISO 8601 time, or epoch ms written as UTC ISO):
    page backwards by passing the oldest ``open_time`` received."""
    params = {"market": symbol.upper(), "count": count_param(count, 200)}
    if to is not None:
        params["to"] = to_param(to)
    return candles_path(interval), params


# --------------------------------------------------------------------------- parsers


class _MarketEvent(msgspec.Struct, gc=False):
    warning: bool = False
    caution: dict[str, bool] = {}


class _MarketRow(msgspec.Struct, gc=False):
    market: str
    korean_name: str = ""
    english_name: str = ""
    market_warning: str = ""  # older API: NONE / CAUTION
    market_event: _MarketEvent | None = None


_REST = {"code": "market"}


def rest_row(base: type[msgspec.Struct], name: str) -> Any:
    """The REST twin of a wire struct: ``market`` for ``code``, and on /v1/trades/ticks
    ``timestamp`` for the trade time."""
    rename = dict(_REST)
    if "trade_timestamp" in base.__struct_fields__:
        rename["trade_timestamp"] = "timestamp"
    return variant(base, name, rename)


_TickerRow = rest_row(TickerMsg, "TickerRest")
_OrderbookRow = rest_row(OrderbookMsg, "OrderbookRest")
_CandleRow = rest_row(CandleMsg, "CandleRest")
_TradeRow = rest_row(TradeMsg, "TradeRest")


def api_error(body: Any) -> tuple[str | int, str] | None:
    """(name, message) of an error body ``{"error": {"name": ..., "message": ...}}``."""
    if not isinstance(body, dict) or "error" not in body:
        return None
    err = body["error"]
    if not isinstance(err, dict):
        return "", str(err)
    name = err.get("name", "")
    name = name if isinstance(name, int) and not isinstance(name, bool) else str(name)
    return name, str(err.get("message", ""))


def load_json(body: Body, venue: str) -> Any:
    """Parsed JSON of ``body``; ValueError naming ``venue`` if it is not JSON."""
    if isinstance(body, bytes | bytearray | memoryview | str):
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise ValueError(f"{venue} sent a response that is not JSON ({exc})") from None
    return body


def load_body(body: Body) -> Any:
    """Parsed JSON of ``body``; raises ``UpbitApiError`` if it is an Upbit error body."""
    parsed = load_json(body, "Upbit")
    error = api_error(parsed)
    if error is not None:
        raise UpbitApiError(*error)
    return parsed


R = TypeVar("R")
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RestReader:
    """How a venue of Upbit's family reads its REST quotation bodies: its error body
    (``load_body``), its row structs and its candle paths; rows a trader could be misled by
    are left out (``rejected`` gets a Status for each)."""

    exchange: str
    load_body: Callable[[Body], Any]
    book_row: Any
    trade_row: Any
    candle_row: Any
    candle_paths: CandlePaths

    def rows(self, body: Body, row: Any, what: str) -> list[Any]:
        parsed = self.load_body(body)
        try:
            return msgspec.convert(parsed, list[row])
        except msgspec.ValidationError as exc:
            venue = self.exchange.title()
            raise ValueError(f"{venue} sent an unexpected {what} response: {exc}") from None

    def kept(
        self, rows: Iterable[R], build: Callable[[R], T], rejected: list[Status] | None
    ) -> list[T]:
        return kept(self.exchange, rows, build, rejected)

    def orderbooks(
        self, body: Body, recv_ns: int, rejected: list[Status] | None
    ) -> list[OrderBook]:
        rows = self.rows(body, self.book_row, "order book")
        return self.kept(rows, lambda r: checked(r.event(recv_ns, True)), rejected)

    def trades(self, body: Body, recv_ns: int, rejected: list[Status] | None) -> list[Trade]:
        rows = self.rows(body, self.trade_row, "trades")
        rows.sort(key=lambda r: (r.trade_timestamp, r.sequential_id))  # sent newest first
        return self.kept(rows, lambda r: checked(r.event(recv_ns, True)), rejected)

    def candles(
        self,
        body: Body,
        interval: str,
        recv_ns: int,
        now_ms: int | None,
        rejected: list[Status] | None,
    ) -> list[Candle]:
        iv = self.candle_paths.interval(interval)
        rows = self.rows(body, self.candle_row, "candle")
        candles = self.kept(rows, lambda r: checked(r.event(recv_ns, iv, True)), rejected)
        if not candles:
            return candles
        candles.sort(key=lambda c: c.open_time)
        last = candles[-1]
        length = self.candle_paths.length_ms(iv)
        if now_ms is None or length is None or last.open_time + length > now_ms:
            candles[-1] = msgspec.structs.replace(last, closed=False)
        return candles


_READER = RestReader(EXCHANGE, load_body, _OrderbookRow, _TradeRow, _CandleRow, _CANDLES)


def _market(r: _MarketRow) -> Market:
    base, quote = split_code(r.market)  # Invalid for a code with control characters
    ev = r.market_event
    cautions = tuple(clean(k) for k, v in ev.caution.items() if v) if ev else ()
    return Market(
        exchange=EXCHANGE,
        symbol=r.market,
        base=base,
        quote=quote,
        korean_name=clean(r.korean_name),
        english_name=clean(r.english_name),
        warning=ev.warning if ev else r.market_warning == "CAUTION",
        cautions=cautions,
    )


def parse_markets(body: Body, rejected: list[Status] | None = None) -> list[Market]:
    """``/v1/market/all`` (with or without ``is_details``) -> markets in Upbit's order."""
    return _READER.kept(_READER.rows(body, _MarketRow, "market list"), _market, rejected)


def parse_tickers(
    body: Body, recv_ns: int = 0, rejected: list[Status] | None = None
) -> list[Ticker]:
    """``/v1/ticker`` and ``/v1/ticker/all`` rows (``snapshot=True``)."""
    rows = _READER.rows(body, _TickerRow, "ticker")
    return _READER.kept(rows, lambda r: checked(r.event(recv_ns, True)), rejected)


def parse_orderbooks(
    body: Body, recv_ns: int = 0, rejected: list[Status] | None = None
) -> list[OrderBook]:
    """``/v1/orderbook`` -> one book per market (``snapshot=True``)."""
    return _READER.orderbooks(body, recv_ns, rejected)


def parse_trades(body: Body, recv_ns: int = 0, rejected: list[Status] | None = None) -> list[Trade]:
    """``/v1/trades/ticks`` -> trades OLDEST FIRST (Upbit sends newest first), ``snapshot=True``."""
    return _READER.trades(body, recv_ns, rejected)


def parse_candles(
    body: Body,
    interval: str,
    recv_ns: int = 0,
    now_ms: int | None = None,
    rejected: list[Status] | None = None,
) -> list[Candle]:
    """``/v1/candles/...`` -> candles OLDEST FIRST with our ``interval`` (``"1m"``, ``"1h"``...).

    Every candle but the newest is ``closed`` (a later one exists); the newest is closed
    when ``now_ms`` is given and its period has ended.
    """
    return _READER.candles(body, interval, recv_ns, now_ms, rejected)
