"""Bithumb's v1 REST quotation API, sans-I/O: request paths/params and body parsers.

The rows are Upbit's (exchange reference 1.10 and 6.5), read by the Bithumb twins of
Upbit's wire structs (``bithumb.py``). What differs from Upbit is handled here:

* **Errors come with HTTP 200**: ``{"error": {"name": 404, "message": "Code not found"}}``
  (one bad market fails the call). Every parser raises ``BithumbApiError`` for such a body,
  whatever the HTTP status was, so an error is never read as "no data".
* ``/v1/market/all?isDetails=true`` flags a market with ``market_warning`` ``CAUTION``;
  ``/v1/market/virtual_asset_warning`` lists the alerts (``warning_type``, ``warning_step``,
  ``end_date`` in Korean time). ``parse_markets`` joins both into ``Market.warning`` and
  ``Market.cautions``.
* Ticker ``timestamp`` values were observed **9 hours ahead** (Korean time written as if it
  were UTC): ``ticker_timestamp_ms`` takes them back, checking against the receive time when
  it is known, so a fixed server is not shifted into the past.
* Order book sizes have 4 decimals and thin sides are padded with 0/0 units: levels of
  size or price 0 are dropped (as on the socket). One market gets 30 units, several 15 each.
* Candles: minutes (1, 3, 5, 10, 15, 30, 60, 240), days, weeks, months; no seconds or years.

Rows a trader could be misled by are left out (reported in ``rejected`` when given), never
raised: one bad row costs that row.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, ClassVar

import msgspec

from dantaro_tui.exchanges.bithumb import (
    EXCHANGE,
    BithumbApiError,
    BithumbTickerMsg,
    BithumbTradeMsg,
    BookMsg,
)
from dantaro_tui.exchanges.sanity import checked, clean
from dantaro_tui.exchanges.upbit import CandleMsg, split_code
from dantaro_tui.exchanges.upbit_rest import (
    Body,
    CandlePaths,
    RestReader,
    api_error,
    count_param,
    kst_ms,
    load_json,
    rest_row,
    to_param,
)
from dantaro_tui.model import Candle, Market, OrderBook, Status, Ticker, Trade

__all__ = [
    "MAX_TICKER_MARKETS",
    "AssetWarning",
    "BithumbApiError",
    "candles_request",
    "load_body",
    "markets_request",
    "orderbook_request",
    "parse_candles",
    "parse_markets",
    "parse_orderbooks",
    "parse_tickers",
    "parse_trades",
    "parse_warnings",
    "ticker_request",
    "ticker_timestamp_ms",
    "trades_request",
    "warnings_request",
]

Request = tuple[str, dict[str, str]]

KST_SHIFT_MS = 9 * 3_600_000
MAX_TICKER_MARKETS = 200  # more in one call is a 400 Bad Request (since 2026-10-13)
MAX_TRADES = 500  # unconfirmed for Bithumb: Upbit's limit
MAX_CANDLES = 200

# Upbit's minute units; no seconds or years.
_CANDLES = CandlePaths(
    "Bithumb",
    {"1d": "/v1/candles/days", "1w": "/v1/candles/weeks", "1M": "/v1/candles/months"},
    {"1d": 86_400_000, "1w": 7 * 86_400_000},
)


# --------------------------------------------------------------------------- requests


def candles_path(interval: str) -> str:
    return _CANDLES.path(interval)


def interval_ms(interval: str) -> int | None:
    """Length of a candle in ms; None for months."""
    return _CANDLES.length_ms(interval)


def _markets(symbols: Iterable[str]) -> list[str]:
    listed = list(dict.fromkeys(s.strip().upper() for s in symbols if s.strip()))
    if not listed:
        raise ValueError("at least one market code is needed")
    return listed


def markets_request(details: bool = True) -> Request:
    """``GET /v1/market/all``; with details each market carries ``market_warning``."""
    return "/v1/market/all", {"isDetails": "true"} if details else {}


def warnings_request() -> Request:
    """``GET /v1/market/virtual_asset_warning``: the markets under an alert now."""
    return "/v1/market/virtual_asset_warning", {}


def ticker_request(symbols: Iterable[str]) -> Request:
    codes = _markets(symbols)
    if len(codes) > MAX_TICKER_MARKETS:
        raise ValueError(
            f"Bithumb answers at most {MAX_TICKER_MARKETS} markets a ticker call, not {len(codes)}"
        )
    return "/v1/ticker", {"markets": ",".join(codes)}


def orderbook_request(symbols: Iterable[str]) -> Request:
    """One market's book has 30 units; each of several markets' has 15."""
    return "/v1/orderbook", {"markets": ",".join(_markets(symbols))}


def trades_request(symbol: str, *, count: int = 200, cursor: int | str | None = None) -> Request:
    params = {"market": symbol.strip().upper(), "count": count_param(count, MAX_TRADES)}
    if cursor is not None:
        params["cursor"] = str(cursor)
    return "/v1/trades/ticks", params


def candles_request(
    symbol: str, interval: str, *, count: int = MAX_CANDLES, to: str | int | None = None
) -> Request:
    """Candles ending before ``to`` (ISO 8601, or epoch ms written as UTC)."""
    params = {"market": symbol.strip().upper(), "count": count_param(count, MAX_CANDLES)}
    if to is not None:
        params["to"] = to_param(to)
    return candles_path(interval), params


# --------------------------------------------------------------------------- bodies


def load_body(body: Body) -> Any:
    """Parsed JSON of ``body``; ``BithumbApiError`` for an error body (HTTP 200 or not)."""
    parsed = load_json(body, "Bithumb")
    error = api_error(parsed)
    if error is not None:
        raise BithumbApiError(*error)
    if isinstance(parsed, dict):
        status = parsed.get("status")
        if status is not None and status != "0000":  # the legacy envelope's error
            raise BithumbApiError(str(status), str(parsed.get("message", "")))
    return parsed


class BithumbCandleMsg(CandleMsg, gc=False):
    exchange: ClassVar[str] = EXCHANGE


_TickerRow = rest_row(BithumbTickerMsg, "BithumbTickerRest")
_OrderbookRow = rest_row(BookMsg, "BithumbOrderbookRest")
_CandleRow = rest_row(BithumbCandleMsg, "BithumbCandleRest")
_TradeRow = rest_row(BithumbTradeMsg, "BithumbTradeRest")
_READER = RestReader(EXCHANGE, load_body, _OrderbookRow, _TradeRow, _CandleRow, _CANDLES)


class _MarketRow(msgspec.Struct, gc=False):
    market: str
    korean_name: str = ""
    english_name: str = ""
    market_warning: str = ""  # NONE / CAUTION


class AssetWarning(msgspec.Struct, frozen=True, gc=False):
    """One alert of ``/v1/market/virtual_asset_warning``; ``end_ms`` 0 = no end given."""

    market: str
    warning_type: str
    warning_step: str = ""
    end_ms: int = 0


class _WarningRow(msgspec.Struct, gc=False):
    market: str
    warning_type: str
    warning_step: str = ""
    end_date: str | None = None


def parse_warnings(body: Body, rejected: list[Status] | None = None) -> list[AssetWarning]:
    """``/v1/market/virtual_asset_warning`` -> alerts, names and steps cleaned."""

    def build(r: _WarningRow) -> AssetWarning:
        split_code(r.market, EXCHANGE)  # Invalid for a code with control characters
        try:
            end = kst_ms(r.end_date) if r.end_date else 0
        except ValueError:
            end = 0  # an unreadable end date: the alert stands
        return AssetWarning(r.market, clean(r.warning_type), clean(r.warning_step), end)

    return _READER.kept(_READER.rows(body, _WarningRow, "market warning"), build, rejected)


def parse_markets(
    body: Body,
    warnings: Sequence[AssetWarning] = (),
    now_ms: int | None = None,
    rejected: list[Status] | None = None,
) -> list[Market]:
    """``/v1/market/all`` -> markets; ``warning`` from ``market_warning`` (CAUTION),
    ``cautions`` from the alerts of ``parse_warnings`` still running at ``now_ms``."""
    active: dict[str, list[str]] = {}
    for w in warnings:
        if now_ms is None or not w.end_ms or w.end_ms > now_ms:
            active.setdefault(w.market, []).append(w.warning_type)

    def build(r: _MarketRow) -> Market:
        base, quote = split_code(r.market, EXCHANGE)
        return Market(
            exchange=EXCHANGE,
            symbol=r.market,
            base=base,
            quote=quote,
            korean_name=clean(r.korean_name),
            english_name=clean(r.english_name),
            warning=r.market_warning == "CAUTION",
            cautions=tuple(dict.fromkeys(active.get(r.market, ()))),
        )

    return _READER.kept(_READER.rows(body, _MarketRow, "market list"), build, rejected)


def ticker_timestamp_ms(ts: int, recv_ns: int = 0) -> int:
    """A REST ticker time back from Korean time written as UTC: 9 hours earlier. With the
    receive time known, only a time more than 4.5 hours ahead of it is moved."""
    if recv_ns and ts - recv_ns // 1_000_000 < KST_SHIFT_MS // 2:
        return ts
    return ts - KST_SHIFT_MS


def parse_tickers(
    body: Body, recv_ns: int = 0, rejected: list[Status] | None = None
) -> list[Ticker]:
    """``/v1/ticker`` rows (``snapshot=True``), their times taken back 9 hours."""

    def build(r: Any) -> Ticker:
        t = r.event(recv_ns, True)
        return checked(
            msgspec.structs.replace(t, timestamp=ticker_timestamp_ms(t.timestamp, recv_ns))
        )

    return _READER.kept(_READER.rows(body, _TickerRow, "ticker"), build, rejected)


def parse_orderbooks(
    body: Body, recv_ns: int = 0, rejected: list[Status] | None = None
) -> list[OrderBook]:
    """``/v1/orderbook`` -> one book per market (``snapshot=True``), 0/0 padding and
    levels printed as size 0 dropped."""
    return _READER.orderbooks(body, recv_ns, rejected)


def parse_trades(body: Body, recv_ns: int = 0, rejected: list[Status] | None = None) -> list[Trade]:
    """``/v1/trades/ticks`` -> trades OLDEST FIRST (sent newest first), ``snapshot=True``."""
    return _READER.trades(body, recv_ns, rejected)


def parse_candles(
    body: Body,
    interval: str,
    recv_ns: int = 0,
    now_ms: int | None = None,
    rejected: list[Status] | None = None,
) -> list[Candle]:
    """``/v1/candles/...`` -> candles OLDEST FIRST; all but the newest are ``closed``, the
    newest too when ``now_ms`` is past its end."""
    return _READER.candles(body, interval, recv_ns, now_ms, rejected)
