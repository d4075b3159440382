"""Coinone public REST v2: request builders and pure body parsers (no I/O).

Request helpers return ``(path, params)`` for ``CoinoneCodec.default_rest_url``
(``https://api.coinone.co.kr``). Parsers take the body (bytes, text or parsed JSON).

Coinone answers errors with HTTP **200** and ``{"result":"error","error_code":"108",
"error_msg":"Unknown CryptoCurrency"}`` (107 a parameter error, 4 "Blocked user access": the
IP is rate-limited), so every parser checks ``result`` first and raises
``CoinoneApiError``; a body that cannot be read raises it too (code ``malformed``), so a
caller catches one exception type. Success bodies carry ``"result":"success"``,
``"error_code":"0"`` and ``server_time`` (ms).

Limits (exchanges.md 5.5): 1,200 public requests a minute per IP (``public-ratelimit-*``
headers; older docs said 300 a minute with a 1-10 minute block). Order books come in 5, 10,
15 or 16 levels (default 15; 20 is error 107). The largest trade page and chart page are
**unconfirmed** (about 200 and 500 by third-party clients): the builders cap at those.

A row a trader could be misled by ("NaN" or negative prices, a crossed book, a market name
with control characters: see ``sanity.py``) is left out of a list rather than failing the
whole call; pass a list as ``rejected`` to receive a ``Status(kind="error",
code="invalid")`` for each. The one book of ``parse_order_book`` raises
``CoinoneApiError("invalid", ...)`` instead.

The ticker list writes targets in lower case (``"target_currency":"btc"``); symbols are
made upper case (``BTC/KRW``) like the socket's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import msgspec
import orjson

from dantaro_tui.exchanges.base import RateLimit
from dantaro_tui.exchanges.coinone import (
    CANDLE_INTERVALS,
    EXCHANGE,
    QUOTE,
    book_from,
    candle_from,
    market_symbol,
    split_market,
    ticker_from,
    to_float,
    trade_from,
)
from dantaro_tui.exchanges.sanity import Invalid, clean, kept, positive_step
from dantaro_tui.model import Candle, Market, OrderBook, Status, Ticker, Trade

__all__ = [
    "BOOK_SIZES",
    "REST_LIMIT",
    "CoinoneApiError",
    "CurrencyInfo",
    "MarketInfo",
    "chart_request",
    "currencies_request",
    "markets_request",
    "orderbook_request",
    "parse_candles",
    "parse_currencies",
    "parse_market_info",
    "parse_markets",
    "parse_order_book",
    "parse_tickers",
    "parse_trades",
    "ticker_request",
    "trades_request",
]

REST_LIMIT = RateLimit(1200, 60.0)  # public v2, per IP
BOOK_SIZES = (5, 10, 15, 16)
MAX_TRADES = 200  # unconfirmed
MAX_CANDLES = 500  # unconfirmed

# Coinone's REST error codes, for a trader reading the status line.
ERROR_TEXT: dict[str, str] = {
    "4": "Coinone is limiting requests from this address; wait a minute",
    "107": "a parameter was not accepted",
    "108": "Coinone does not list that coin",
}

INTERVAL_MS: dict[str, int] = {
    "1m": 60_000, "3m": 180_000, "5m": 300_000, "15m": 900_000, "30m": 1_800_000,
    "1h": 3_600_000, "2h": 7_200_000, "4h": 14_400_000, "6h": 21_600_000,
    "1d": 86_400_000, "1w": 604_800_000,
}  # fmt: skip

Body = bytes | str | dict[str, Any]
Params = dict[str, str]
R = TypeVar("R")
T = TypeVar("T")


class CoinoneApiError(Exception):
    """Coinone answered with an error body (``error_code`` + ``error_msg``), or with a body
    that could not be read (code ``malformed``) or a value no market has (``invalid``)."""

    def __init__(self, code: str, message: str) -> None:
        code, message = clean(code), clean(message)  # Coinone's words may reach a terminal
        meaning = ERROR_TEXT.get(code)
        said = f"{meaning} (error {code}: {message})" if meaning else f"error {code}: {message}"
        super().__init__(said if message else f"error {code}")
        self.code = code
        self.message = message


def load_body(body: Body) -> dict[str, Any]:
    """The parsed success body; ``CoinoneApiError`` for an error body or unreadable text."""
    try:
        data = orjson.loads(body) if isinstance(body, str | bytes) else body
    except orjson.JSONDecodeError as exc:
        raise CoinoneApiError("malformed", f"the reply is not JSON ({exc})") from None
    if type(data) is not dict:
        raise CoinoneApiError("malformed", "the reply is not a JSON object")
    result = data.get("result")
    if result != "success":
        code = data.get("error_code")
        message = data.get("error_msg") or data.get("message") or ""
        if result == "error" or code not in (None, "0", 0):
            raise CoinoneApiError(str(code if code is not None else "unknown"), str(message))
        raise CoinoneApiError("malformed", f"the reply's result is {result!r}")
    return data


def _rows(data: dict[str, Any], key: str, what: str) -> list[Any]:
    rows = data.get(key)
    if type(rows) is not list:
        raise CoinoneApiError("malformed", f"the {what} has no {key} list")
    return rows


def _guarded(what: str, parse: Callable[[], T]) -> T:
    try:
        return parse()
    except CoinoneApiError:
        raise
    except Invalid as exc:
        raise CoinoneApiError("invalid", str(exc)) from exc
    except Exception as exc:
        raise CoinoneApiError(
            "malformed", f"unreadable {what} ({type(exc).__name__}: {exc})"
        ) from exc


def _kept(rows: Iterable[R], build: Callable[[R], T], rejected: list[Status] | None) -> list[T]:
    return kept(EXCHANGE, rows, build, rejected)


def _path_market(symbol: str) -> str:
    base, quote = split_market(symbol)
    return f"{quote}/{base}"


# -- requests ---------------------------------------------------------------------------


def markets_request(quote: str = QUOTE) -> tuple[str, Params]:
    return f"/public/v2/markets/{quote}", {}


def ticker_request(symbol: str | None = None, quote: str = QUOTE) -> tuple[str, Params]:
    """Every market's ticker of ``quote``, or one market's."""
    if symbol is None:
        return f"/public/v2/ticker_new/{quote}", {}
    return f"/public/v2/ticker_new/{_path_market(symbol)}", {}


def orderbook_request(symbol: str, size: int = 16) -> tuple[str, Params]:
    """``size`` is rounded up to the next size Coinone serves (5, 10, 15, 16)."""
    n = next((s for s in BOOK_SIZES if s >= size), BOOK_SIZES[-1])
    return f"/public/v2/orderbook/{_path_market(symbol)}", {"size": str(n)}


def trades_request(symbol: str, size: int = 100) -> tuple[str, Params]:
    return f"/public/v2/trades/{_path_market(symbol)}", {"size": str(max(1, min(size, MAX_TRADES)))}


def chart_request(
    symbol: str, interval: str, size: int = 200, end_ms: int | None = None
) -> tuple[str, Params]:
    """Candles of ``interval`` (our spelling, which is Coinone's) ending at ``end_ms``."""
    if interval not in CANDLE_INTERVALS:
        raise ValueError(f"Coinone has no {interval!r} candles ({' '.join(CANDLE_INTERVALS)})")
    params = {"interval": interval, "size": str(max(1, min(size, MAX_CANDLES)))}
    if end_ms is not None:
        params["timestamp"] = str(end_ms)
    return f"/public/v2/chart/{_path_market(symbol)}", params


def currencies_request() -> tuple[str, Params]:
    return "/public/v2/currencies", {}


# -- markets ----------------------------------------------------------------------------


class MarketInfo(msgspec.Struct, frozen=True, gc=False):
    """What ``markets`` says about trading one market, beyond ``Market``."""

    symbol: str
    price_unit: float = 0.0  # the tick (being replaced by price ranges)
    qty_unit: float = 0.0
    min_qty: float = 0.0
    min_order_amount: float = 0.0  # KRW
    maintenance: bool = False
    trade_status: int = 1  # 0 none, 1 all, 2 no buying, 3 no selling
    order_types: tuple[str, ...] = ()


TRADE_STATUS = {0: "TRADING_SUSPENDED", 2: "BUYING_SUSPENDED", 3: "SELLING_SUSPENDED"}


def _market_symbol(d: dict[str, Any]) -> str:
    quote, target = d["quote_currency"], d["target_currency"]
    if type(quote) is not str or type(target) is not str:
        raise ValueError("a market without text currencies")
    symbol = market_symbol(target, quote)
    split_market(symbol)  # Invalid for a code with control characters
    return symbol


def _market(d: dict[str, Any]) -> Market:
    symbol = _market_symbol(d)
    base, quote = split_market(symbol)
    cautions: list[str] = []
    if str(d.get("maintenance_status", 0)) == "1":
        cautions.append("MAINTENANCE")
    state = TRADE_STATUS.get(int(d.get("trade_status", 1)))
    if state:
        cautions.append(state)
    return Market(
        EXCHANGE,
        symbol,
        base,
        quote,
        warning=bool(cautions),
        cautions=tuple(cautions),
        tick=positive_step(d.get("price_unit")),
        lot=positive_step(d.get("qty_unit")),
    )


def _market_info(d: dict[str, Any]) -> MarketInfo:
    types = d.get("order_types")
    return MarketInfo(
        symbol=_market_symbol(d),
        price_unit=to_float(d.get("price_unit")),
        qty_unit=to_float(d.get("qty_unit")),
        min_qty=to_float(d.get("min_qty")),
        min_order_amount=to_float(d.get("min_order_amount")),
        maintenance=str(d.get("maintenance_status", 0)) == "1",
        trade_status=int(d.get("trade_status", 1)),
        order_types=tuple(clean(t) for t in types) if type(types) is list else (),
    )


def parse_markets(body: Body, rejected: list[Status] | None = None) -> list[Market]:
    """Markets from ``markets/KRW``. A market in maintenance or not trading both ways is
    kept, with ``warning=True`` and the reason in ``cautions``."""
    return _guarded(
        "market list",
        lambda: _kept(_rows(load_body(body), "markets", "market list"), _market, rejected),
    )


def parse_market_info(body: Body, rejected: list[Status] | None = None) -> dict[str, MarketInfo]:
    """Tick, lot, minimums and status per market, keyed by symbol."""

    def parse() -> dict[str, MarketInfo]:
        rows = _rows(load_body(body), "markets", "market list")
        return {m.symbol: m for m in _kept(rows, _market_info, rejected)}

    return _guarded("market list", parse)


# -- market data ------------------------------------------------------------------------


def parse_tickers(
    body: Body, recv_ns: int = 0, rejected: list[Status] | None = None
) -> list[Ticker]:
    """Tickers from ``ticker_new`` (all or one; ``snapshot=True``)."""
    return _guarded(
        "ticker list",
        lambda: _kept(
            _rows(load_body(body), "tickers", "ticker list"),
            lambda d: ticker_from(d, recv_ns, True),
            rejected,
        ),
    )


def parse_order_book(body: Body, symbol: str | None = None, recv_ns: int = 0) -> OrderBook:
    """The book from ``orderbook`` (bids descending, asks ascending), ``snapshot=True``.
    ``CoinoneApiError("invalid")`` for a book no market has (NaN, negative, crossed)."""

    def parse() -> OrderBook:
        data = load_body(body)
        sym = symbol
        if sym is None:
            sym = _market_symbol(data)
        return book_from(data, sym, recv_ns, True)

    return _guarded("order book", parse)


def parse_trades(
    body: Body, symbol: str, recv_ns: int = 0, rejected: list[Status] | None = None
) -> list[Trade]:
    """Trades from ``trades``, oldest first (as a live stream would have delivered them);
    the rows name no market, so the caller does."""

    def parse() -> list[Trade]:
        rows = _rows(load_body(body), "transactions", "trade list")
        out = _kept(rows, lambda d: trade_from(d, symbol, recv_ns, True), rejected)
        out.sort(key=lambda t: (t.timestamp, _id_order(t.trade_id)))
        return out

    return _guarded("trade list", parse)


def _id_order(trade_id: str) -> int:
    return int(trade_id) if trade_id.isdigit() else 0


def parse_candles(
    body: Body,
    symbol: str,
    interval: str,
    recv_ns: int = 0,
    rejected: list[Status] | None = None,
) -> list[Candle]:
    """Candles from ``chart``, oldest first, one per start time. A candle whose period has
    ended by ``recv_ns`` is ``closed``."""
    length = INTERVAL_MS.get(interval)
    if length is None:
        raise ValueError(f"Coinone has no {interval!r} candles")
    now_ms = recv_ns // 1_000_000

    def build(d: dict[str, Any]) -> Candle:
        c = candle_from(d, interval, symbol, recv_ns, True)
        if now_ms and c.open_time + length <= now_ms:
            c = msgspec.structs.replace(c, closed=True)
        return c

    def parse() -> list[Candle]:
        rows = _rows(load_body(body), "chart", "candle list")
        by_start = {c.open_time: c for c in _kept(rows, build, rejected)}
        return [by_start[t] for t in sorted(by_start)]

    return _guarded("candle list", parse)


# -- currencies -------------------------------------------------------------------------


class CurrencyInfo(msgspec.Struct, frozen=True, gc=False):
    """Deposit and withdrawal status of one coin (``currencies``)."""

    symbol: str
    name: str = ""  # English, as far as is known
    deposit: bool = True
    withdraw: bool = True
    deposit_status: str = ""
    withdraw_status: str = ""


def _open(value: str) -> bool:
    return value.lower() in ("normal", "1", "true", "available", "enabled")


def _currency(d: dict[str, Any]) -> CurrencyInfo:
    symbol = d["symbol"]
    if type(symbol) is not str or not symbol or not symbol.isprintable():
        raise Invalid(f"Ignored a Coinone currency whose symbol {symbol!r} cannot be shown.")
    dep = clean(d.get("deposit_status", ""))
    wd = clean(d.get("withdraw_status", ""))
    return CurrencyInfo(
        symbol=symbol.upper(),
        name=clean(d.get("name") or ""),
        deposit=_open(dep) if dep else True,
        withdraw=_open(wd) if wd else True,
        deposit_status=dep,
        withdraw_status=wd,
    )


def parse_currencies(body: Body, rejected: list[Status] | None = None) -> dict[str, CurrencyInfo]:
    """Deposit / withdrawal status per coin, keyed by upper-case symbol. A status other
    than ``normal`` counts as suspended (the values besides ``normal`` are unconfirmed)."""

    def parse() -> dict[str, CurrencyInfo]:
        rows = _rows(load_body(body), "currencies", "currency list")
        return {c.symbol: c for c in _kept(rows, _currency, rejected)}

    return _guarded("currency list", parse)
