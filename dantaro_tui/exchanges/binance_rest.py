"""Binance spot REST: request builders, limits and pure body parsers (no I/O).

Base URL ``https://api.binance.com`` (market-data-only mirror ``https://data-api.binance.vision``).
Request builders return a ``RestRequest`` (path, params and Binance's request weight), the
shape the transport already performs for ``BinanceCodec.rest_requests()``.

Limits, for the transport (section 3.6 of the shared exchange reference):

* Weights are counted per IP: ``REQUEST_WEIGHT`` 6,000 a minute, ``RAW_REQUESTS`` 61,000 per
  5 minutes (``REST_LIMITS``). Every response carries the weight used so far in the minute in
  the ``X-MBX-USED-WEIGHT-1M`` header (``used_weight(headers)``); slow down before the limit.
* HTTP 429: over a limit; wait ``Retry-After`` seconds (``retry_after(headers)``) before the
  next call. Carrying on after a 429 earns an HTTP 418: the IP is banned (2 minutes up to
  3 days, also with ``Retry-After``). HTTP 403: the web application firewall refused the call.
  ``BinanceApiError.retry_after`` carries the wait; ``BinanceApiError.banned`` says 418.
* Error bodies are ``{"code":-1121,"msg":"Invalid symbol."}``.

Parsers take the body (bytes, text or already-parsed JSON). A row a trader could be misled
by (NaN or negative prices, a crossed quote, a symbol with control characters: see
``sanity.py``) is left out of a list instead of failing the call; pass ``rejected`` to receive
a ``Status(kind="error", code="invalid")`` for each. A body that cannot be read raises
``BinanceApiError("malformed", ...)``; an error body raises ``BinanceApiError`` with Binance's
code. Every text taken from a body is cleaned of control characters.

``Market`` has no fields for a symbol's trading rules: ``parse_symbol_rules`` returns them in
``SymbolRules`` (tick size from ``PRICE_FILTER``, step size from ``LOT_SIZE``...).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

import msgspec
import orjson

from dantaro_tui.exchanges.base import RateLimit, RestRequest
from dantaro_tui.exchanges.binance import (
    CANDLE_INTERVALS,
    DEPTH_PATH,
    EXCHANGE,
    HTTP_MEANINGS,
    depth_weight,
    split_symbol_by_quote,
)
from dantaro_tui.exchanges.books import BadLevel, L2Book
from dantaro_tui.exchanges.sanity import (
    Invalid,
    check_symbol,
    checked,
    clean,
    kept,
    positive_step,
)
from dantaro_tui.model import Candle, Market, OrderBook, Status, Ticker, Trade

EXCHANGE_INFO = "/api/v3/exchangeInfo"
TICKER_24HR = "/api/v3/ticker/24hr"
DEPTH = DEPTH_PATH
TRADES = "/api/v3/trades"
KLINES = "/api/v3/klines"

USED_WEIGHT_HEADER = "X-MBX-USED-WEIGHT-1M"
RETRY_AFTER_HEADER = "Retry-After"
REQUEST_WEIGHT_PER_MINUTE = 6000
RAW_REQUESTS_PER_5_MINUTES = 61000
# Per IP, shared by every REST call: a limiter counts each call's weight.
REST_LIMITS: tuple[RateLimit, ...] = (
    RateLimit(REQUEST_WEIGHT_PER_MINUTE, 60.0),
    RateLimit(RAW_REQUESTS_PER_5_MINUTES, 300.0),
)
EXCHANGE_INFO_WEIGHT = 20
TRADES_WEIGHT = 25
KLINES_WEIGHT = 2
MAX_DEPTH = 5000
MAX_TRADES = 1000
MAX_KLINES = 1000

Body = str | bytes | Any


class BinanceApiError(Exception):
    """Binance answered with an error (a code of its own, or an HTTP status), or with a
    body that could not be read (code "malformed")."""

    def __init__(
        self, code: str | int, msg: str, *, http_status: int = 0, retry_after: float | None = None
    ) -> None:
        code, msg = clean(code), clean(msg)
        super().__init__(f"Binance error {code}: {msg}" if msg else f"Binance error {code}")
        self.code = code
        self.msg = msg
        self.http_status = http_status
        self.retry_after = retry_after

    @property
    def banned(self) -> bool:
        """HTTP 418: the IP is banned until ``retry_after`` seconds have passed."""
        return self.http_status == 418

    @property
    def rate_limited(self) -> bool:
        return self.http_status in (418, 429)


# -- limits ------------------------------------------------------------------------------


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        lower = name.lower()
        for k, v in headers.items():
            if k.lower() == lower:
                return v
    return value


def used_weight(headers: Mapping[str, str]) -> int | None:
    """The weight used in the current minute (``X-MBX-USED-WEIGHT-1M``), None if absent."""
    value = _header(headers, USED_WEIGHT_HEADER)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait from ``Retry-After`` (429 and 418 carry it), None if absent."""
    value = _header(headers, RETRY_AFTER_HEADER)
    try:
        seconds = float(value) if value is not None else None
    except ValueError:
        return None
    return seconds if seconds is not None and 0.0 <= seconds < float("inf") else None


def check_response(status: int, body: Body, headers: Mapping[str, str] | None = None) -> None:
    """Raise ``BinanceApiError`` unless ``status`` is 2xx (with Retry-After for 429/418)."""
    if 200 <= status < 300:
        return
    wait = retry_after(headers or {})
    code: str | int = f"http{status}"
    msg = HTTP_MEANINGS.get(status, f"HTTP {status}")
    try:
        obj = orjson.loads(body) if isinstance(body, str | bytes) else body
    except orjson.JSONDecodeError:
        obj = None
    if type(obj) is dict and "code" in obj:
        said = clean(obj.get("msg", ""))
        code = obj["code"]
        msg = f"{msg} ({said})" if said else msg
    raise BinanceApiError(code, str(msg), http_status=status, retry_after=wait)


# -- requests ----------------------------------------------------------------------------


def exchange_info_request(symbols: Sequence[str] = ()) -> RestRequest:
    params: tuple[tuple[str, str], ...] = ()
    if len(symbols) == 1:
        params = (("symbol", symbols[0]),)
    elif symbols:
        params = (("symbols", orjson.dumps(list(symbols)).decode()),)
    return RestRequest("exchangeInfo", EXCHANGE_INFO, params, EXCHANGE_INFO_WEIGHT)


def ticker_weight(symbols: int | None) -> int:
    """Weight of ``GET /api/v3/ticker/24hr`` for this many symbols (None = all)."""
    if symbols is None:
        return 80
    if symbols <= 20:
        return 2
    if symbols <= 100:
        return 40
    return 80


def tickers_request(symbols: Sequence[str] | None = None) -> RestRequest:
    """24 h tickers of ``symbols`` (None = every symbol, weight 80)."""
    if symbols is None:
        return RestRequest("ticker24hr", TICKER_24HR, (), ticker_weight(None))
    if len(symbols) == 1:
        params: tuple[tuple[str, str], ...] = (("symbol", symbols[0]),)
    else:
        params = (("symbols", orjson.dumps(list(symbols)).decode()),)
    return RestRequest("ticker24hr", TICKER_24HR, params, ticker_weight(len(symbols)))


def depth_request(symbol: str, limit: int = 1000) -> RestRequest:
    limit = max(1, min(limit, MAX_DEPTH))
    return RestRequest(
        f"depth:{symbol}", DEPTH, (("symbol", symbol), ("limit", str(limit))), depth_weight(limit)
    )


def trades_request(symbol: str, limit: int = 500) -> RestRequest:
    limit = max(1, min(limit, MAX_TRADES))
    return RestRequest(
        f"trades:{symbol}", TRADES, (("symbol", symbol), ("limit", str(limit))), TRADES_WEIGHT
    )


def klines_request(
    symbol: str,
    interval: str,
    *,
    start_ms: int | None = None,
    end_ms: int | None = None,
    limit: int = 500,
) -> RestRequest:
    """One page of klines, oldest first; page forward with ``start_ms``, backward with
    ``end_ms``. ``interval`` is spelled as ours and Binance's ("1m", "1h", "1M")."""
    if interval not in CANDLE_INTERVALS:
        raise ValueError(f"Binance has no {interval!r} klines")
    params = [("symbol", symbol), ("interval", interval)]
    if start_ms is not None:
        params.append(("startTime", str(start_ms)))
    if end_ms is not None:
        params.append(("endTime", str(end_ms)))
    params.append(("limit", str(max(1, min(limit, MAX_KLINES)))))
    return RestRequest(f"klines:{symbol}:{interval}", KLINES, tuple(params), KLINES_WEIGHT)


# -- parsing helpers --------------------------------------------------------------------


def load(body: Body) -> Any:
    """Parsed JSON of ``body``; an error body raises ``BinanceApiError`` with its code."""
    try:
        obj = orjson.loads(body) if isinstance(body, str | bytes) else body
    except orjson.JSONDecodeError as exc:
        raise BinanceApiError("malformed", f"response is not JSON ({exc})") from None
    if type(obj) is dict and "code" in obj and "msg" in obj and len(obj) <= 3:
        raise BinanceApiError(obj["code"], str(obj["msg"]))
    return obj


def _guard(what: str, exc: Exception) -> BinanceApiError:
    return BinanceApiError("malformed", f"unreadable {what} ({type(exc).__name__}: {exc})")


R = TypeVar("R")
T = TypeVar("T")


def _kept(rows: Iterable[R], build: Callable[[R], T], rejected: list[Status] | None) -> list[T]:
    return kept(EXCHANGE, rows, build, rejected)


def _f(value: Any) -> float:
    return float(value)


def _pair(symbol: Any, markets: Mapping[str, Market] | None) -> tuple[str, str]:
    check_symbol(EXCHANGE, symbol)
    m = markets.get(symbol) if markets else None
    return (m.base, m.quote) if m is not None else split_symbol_by_quote(symbol)


# -- exchangeInfo ------------------------------------------------------------------------


class SymbolRules(msgspec.Struct, frozen=True, gc=False):
    """A symbol's trading rules from exchangeInfo (``Market`` has no fields for them).
    0.0 = the filter is absent."""

    symbol: str
    status: str
    tick_size: float = 0.0  # PRICE_FILTER tickSize
    min_price: float = 0.0
    max_price: float = 0.0
    step_size: float = 0.0  # LOT_SIZE stepSize
    min_qty: float = 0.0
    max_qty: float = 0.0
    min_notional: float = 0.0  # MIN_NOTIONAL (older) or NOTIONAL minNotional
    base_precision: int = 8
    quote_precision: int = 8


def _market(d: dict[str, Any]) -> Market:
    symbol = d["symbol"]
    check_symbol(EXCHANGE, symbol, "market")
    state = clean(d.get("status", "TRADING"))
    trading = state == "TRADING"
    return Market(
        exchange=EXCHANGE,
        symbol=symbol,
        base=clean(d["baseAsset"]),
        quote=clean(d["quoteAsset"]),
        warning=not trading,
        cautions=() if trading else (state,),
        tick=_filter_step(d, "PRICE_FILTER", "tickSize"),
        lot=_filter_step(d, "LOT_SIZE", "stepSize"),
    )


def _filter_step(d: dict[str, Any], kind: str, key: str) -> float:
    """A filter's step (``tickSize``, ``stepSize``); 0.0 when absent or not a positive number."""
    for f in d.get("filters") or ():
        if type(f) is dict and f.get("filterType") == kind:
            return positive_step(f.get(key))
    return 0.0


def _symbols(body: Body) -> list[dict[str, Any]]:
    info = load(body)
    if type(info) is not dict or type(info.get("symbols")) is not list:
        raise BinanceApiError("malformed", "exchangeInfo has no symbols list")
    return [d for d in info["symbols"] if type(d) is dict]


def parse_exchange_info(
    body: Body, trading_only: bool = True, rejected: list[Status] | None = None
) -> list[Market]:
    """Markets from ``exchangeInfo``: base/quote from ``baseAsset``/``quoteAsset``. With
    ``trading_only=False`` symbols not trading (BREAK, HALT) are kept with ``warning=True``
    and their status in ``cautions``."""
    try:
        rows = [d for d in _symbols(body) if not trading_only or d.get("status") == "TRADING"]
        return _kept(rows, _market, rejected)
    except BinanceApiError:
        raise
    except Exception as exc:
        raise _guard("exchangeInfo", exc) from exc


def markets_by_symbol(markets: Iterable[Market]) -> dict[str, Market]:
    """``{symbol: Market}``: the ``markets`` mapping ``BinanceCodec`` takes."""
    return {m.symbol: m for m in markets}


def _rules(d: dict[str, Any]) -> SymbolRules:
    symbol = d["symbol"]
    check_symbol(EXCHANGE, symbol, "market")
    got: dict[str, Any] = {}
    for f in d.get("filters") or ():
        kind = f.get("filterType")
        if kind == "PRICE_FILTER":
            got.update(
                tick_size=_f(f["tickSize"]),
                min_price=_f(f["minPrice"]),
                max_price=_f(f["maxPrice"]),
            )
        elif kind == "LOT_SIZE":
            got.update(
                step_size=_f(f["stepSize"]), min_qty=_f(f["minQty"]), max_qty=_f(f["maxQty"])
            )
        elif kind in ("MIN_NOTIONAL", "NOTIONAL") and "minNotional" in f:
            got["min_notional"] = _f(f["minNotional"])
    for name, value in got.items():
        if not 0.0 <= value < float("inf"):
            raise Invalid(f"Ignored the Binance rules for {symbol} whose {name} is {value}.")
    return SymbolRules(
        symbol=symbol,
        status=clean(d.get("status", "")),
        base_precision=int(d.get("baseAssetPrecision", 8)),
        quote_precision=int(d.get("quoteAssetPrecision", d.get("quotePrecision", 8))),
        **got,
    )


def parse_symbol_rules(body: Body, rejected: list[Status] | None = None) -> dict[str, SymbolRules]:
    """``{symbol: SymbolRules}`` from ``exchangeInfo`` (every status)."""
    try:
        return {r.symbol: r for r in _kept(_symbols(body), _rules, rejected)}
    except BinanceApiError:
        raise
    except Exception as exc:
        raise _guard("exchangeInfo", exc) from exc


# -- tickers -----------------------------------------------------------------------------


def ticker_from(
    d: dict[str, Any], recv_ns: int = 0, markets: Mapping[str, Market] | None = None
) -> Ticker:
    """A Ticker from a ``/api/v3/ticker/24hr`` object. A symbol without trades in the
    window (``count`` 0, last price 0) is a ticker without a last price (no change)."""
    symbol = d["symbol"]
    base, quote = _pair(symbol, markets)
    last = _f(d["lastPrice"])
    ticker = Ticker(
        exchange=EXCHANGE,
        symbol=symbol,
        base=base,
        quote=quote,
        trade_price=last,
        change_rate=_f(d["priceChangePercent"]) / 100.0,
        change_price=_f(d["priceChange"]),
        opening_price=_f(d["openPrice"]),
        high_price=_f(d["highPrice"]),
        low_price=_f(d["lowPrice"]),
        prev_closing_price=_f(d.get("prevClosePrice", 0.0)),
        acc_trade_volume_24h=_f(d["volume"]),
        acc_trade_price_24h=_f(d["quoteVolume"]),
        timestamp=int(d["closeTime"]),
        recv_ns=recv_ns,
        trade_volume=_f(d.get("lastQty", 0.0)),
        best_bid=_f(d.get("bidPrice", 0.0)),
        best_ask=_f(d.get("askPrice", 0.0)),
    )
    return checked(ticker, unpriced=last == 0.0)


def parse_tickers(
    body: Body,
    recv_ns: int = 0,
    markets: Mapping[str, Market] | None = None,
    rejected: list[Status] | None = None,
) -> list[Ticker]:
    """Tickers from ``/api/v3/ticker/24hr`` (a list, or one object for ``symbol=``)."""
    try:
        rows = load(body)
        if type(rows) is dict:
            rows = [rows]
        if type(rows) is not list:
            raise BinanceApiError("malformed", "24hr tickers are not a list")
        return _kept(rows, lambda d: ticker_from(d, recv_ns, markets), rejected)
    except BinanceApiError:
        raise
    except Exception as exc:
        raise _guard("ticker list", exc) from exc


# -- depth -------------------------------------------------------------------------------


def parse_depth(
    body: Body,
    symbol: str,
    recv_ns: int = 0,
    depth: int | None = None,
    markets: Mapping[str, Market] | None = None,
) -> tuple[int, OrderBook]:
    """(``lastUpdateId``, book) from ``/api/v3/depth``. An impossible level or a crossed
    book raises ``BinanceApiError("invalid", ...)``."""
    try:
        d = load(body)
        last_id = int(d["lastUpdateId"])
        book = L2Book()
        book.snapshot(d["bids"], d["asks"])
        n = depth if depth is not None else max(len(book.bids), len(book.asks))
        bids, asks = book.top(n)
        base, quote = _pair(symbol, markets)
        ob = OrderBook(
            exchange=EXCHANGE,
            symbol=symbol,
            base=base,
            quote=quote,
            bids=bids,
            asks=asks,
            total_bid_size=sum([lv.size for lv in bids]),
            total_ask_size=sum([lv.size for lv in asks]),
            timestamp=0,  # the snapshot carries no time
            recv_ns=recv_ns,
            snapshot=True,
        )
        return last_id, checked(ob)
    except BadLevel as exc:
        raise BinanceApiError("invalid", f"order book for {symbol} with {exc}") from exc
    except Invalid as exc:
        raise BinanceApiError("invalid", str(exc)) from exc
    except BinanceApiError:
        raise
    except Exception as exc:
        raise _guard("order book", exc) from exc


# -- trades ------------------------------------------------------------------------------


def trade_from(
    d: dict[str, Any], symbol: str, recv_ns: int = 0, markets: Mapping[str, Market] | None = None
) -> Trade:
    """A Trade from a ``/api/v3/trades`` row: ``isBuyerMaker`` true = the taker sold."""
    base, quote = _pair(symbol, markets)
    maker = d["isBuyerMaker"]
    if type(maker) is not bool:
        raise ValueError(f"isBuyerMaker is {maker!r}")
    return checked(
        Trade(
            exchange=EXCHANGE,
            symbol=symbol,
            base=base,
            quote=quote,
            price=_f(d["price"]),
            volume=_f(d["qty"]),
            side="sell" if maker else "buy",
            trade_id=str(d["id"]),
            timestamp=int(d["time"]),
            recv_ns=recv_ns,
        )
    )


def parse_trades(
    body: Body,
    symbol: str,
    recv_ns: int = 0,
    markets: Mapping[str, Market] | None = None,
    rejected: list[Status] | None = None,
) -> list[Trade]:
    """Trades from ``/api/v3/trades``, oldest first (as a live stream delivers them)."""
    try:
        rows = load(body)
        if type(rows) is not list:
            raise BinanceApiError("malformed", "trades are not a list")
        out = _kept(rows, lambda d: trade_from(d, symbol, recv_ns, markets), rejected)
    except BinanceApiError:
        raise
    except Exception as exc:
        raise _guard("trade list", exc) from exc
    out.sort(key=lambda t: (t.timestamp, int(t.trade_id) if t.trade_id.isdigit() else 0))
    return out


# -- klines ------------------------------------------------------------------------------


def candle_from(
    row: Sequence[Any],
    symbol: str,
    interval: str,
    recv_ns: int = 0,
    now_ms: int | None = None,
    markets: Mapping[str, Market] | None = None,
) -> Candle:
    """A Candle from a kline row ``[openTime, o, h, l, c, volume, closeTime, quoteVolume,
    trades, takerBuyBase, takerBuyQuote, "0"]``. ``closed`` when ``closeTime`` is before
    ``now_ms`` (the last row of a page is usually the candle still forming)."""
    base, quote = _pair(symbol, markets)
    if len(row) < 7:
        raise ValueError(f"kline row has {len(row)} fields")
    close_time = int(row[6])
    return checked(
        Candle(
            exchange=EXCHANGE,
            symbol=symbol,
            base=base,
            quote=quote,
            interval=interval,
            open_time=int(row[0]),
            open=_f(row[1]),
            high=_f(row[2]),
            low=_f(row[3]),
            close=_f(row[4]),
            volume=_f(row[5]),
            timestamp=close_time,
            recv_ns=recv_ns,
            quote_volume=_f(row[7]) if len(row) > 7 else 0.0,
            closed=now_ms is not None and close_time < now_ms,
        )
    )


def parse_klines(
    body: Body,
    symbol: str,
    interval: str,
    recv_ns: int = 0,
    now_ms: int | None = None,
    markets: Mapping[str, Market] | None = None,
    rejected: list[Status] | None = None,
) -> list[Candle]:
    """Candles from ``/api/v3/klines``, oldest first. ``now_ms`` (default: from ``recv_ns``)
    decides which are closed."""
    if now_ms is None and recv_ns:
        now_ms = recv_ns // 1_000_000
    try:
        rows = load(body)
        if type(rows) is not list:
            raise BinanceApiError("malformed", "klines are not a list")
        out = _kept(
            rows, lambda r: candle_from(r, symbol, interval, recv_ns, now_ms, markets), rejected
        )
    except BinanceApiError:
        raise
    except Exception as exc:
        raise _guard("kline list", exc) from exc
    out.sort(key=lambda c: c.open_time)
    return out


__all__ = [
    "DEPTH",
    "EXCHANGE_INFO",
    "KLINES",
    "REST_LIMITS",
    "RETRY_AFTER_HEADER",
    "TICKER_24HR",
    "TRADES",
    "USED_WEIGHT_HEADER",
    "BinanceApiError",
    "SymbolRules",
    "check_response",
    "depth_request",
    "exchange_info_request",
    "klines_request",
    "markets_by_symbol",
    "parse_depth",
    "parse_exchange_info",
    "parse_klines",
    "parse_symbol_rules",
    "parse_tickers",
    "parse_trades",
    "retry_after",
    "tickers_request",
    "trades_request",
    "used_weight",
]
