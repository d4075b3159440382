"""Gate.io API v4 spot REST: request builders and pure body parsers (no I/O).

Request helpers return ``(path, params)`` for ``GateioCodec.default_rest_url``
(``https://api.gateio.ws``; paths carry ``/api/v4``). Parsers take the body (bytes, text or
parsed JSON). An error body (``{"label": "INVALID_CURRENCY_PAIR", "message": "..."}``, sent
with a 4xx status) raises ``GateioApiError``; so does a body that cannot be read, so a caller
catches one exception type.

A row a trader could be misled by ("NaN" or negative prices, a crossed book, a pair with
control characters: see ``sanity.py``) is left out of a list rather than failing the whole
call; pass a list as ``rejected`` to receive a ``Status(kind="error", code="invalid")`` for
each. The one book of ``order_book`` raises ``GateioApiError("invalid", ...)`` instead.

``currency_pairs`` gives ``Market`` (base/quote, trading status) plus, in ``PairInfo``, the
precision and minimum amounts the shared ``Market`` has no fields for yet.

Candlestick rows are ``[t (s), quote volume, close, high, low, open, base volume, closed]``
(exchange reference 4.6: note the order, which is neither OHLC nor the WebSocket's keys).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

import msgspec
import orjson

from dantaro_tui.exchanges.base import RateLimit
from dantaro_tui.exchanges.books import BadLevel, L2Book
from dantaro_tui.exchanges.gateio import (
    BOOK_LIMIT,
    EXCHANGE,
    ORDER_BOOK_PATH,
    book_event,
    gate_interval,
    split_pair,
    ticker_from,
    to_float,
    trade_from,
)
from dantaro_tui.exchanges.sanity import Invalid, checked, clean, kept
from dantaro_tui.model import Candle, Market, OrderBook, Status, Ticker, Trade

__all__ = [
    "BookSnapshot",
    "GateioApiError",
    "PairInfo",
    "candles_request",
    "currency_pairs_request",
    "order_book_request",
    "parse_book_snapshot",
    "parse_candles",
    "parse_currency_pairs",
    "parse_order_book",
    "parse_pair_info",
    "parse_tickers",
    "parse_trades",
    "tickers_request",
    "trades_request",
]

CURRENCY_PAIRS = "/api/v4/spot/currency_pairs"
TICKERS = "/api/v4/spot/tickers"
ORDER_BOOK = ORDER_BOOK_PATH
TRADES = "/api/v4/spot/trades"
CANDLESTICKS = "/api/v4/spot/candlesticks"

# Public limit: 200 requests per 10 s per endpoint per IP.
REST_LIMITS: dict[str, RateLimit] = {
    path: RateLimit(200, 10.0)
    for path in (CURRENCY_PAIRS, TICKERS, ORDER_BOOK, TRADES, CANDLESTICKS)
}
MAX_TRADES = 1000
MAX_CANDLES = 1000

Body = bytes | str | list[Any] | dict[str, Any]
Params = dict[str, str]


class GateioApiError(Exception):
    """Gate.io answered with an error body (``label`` + ``message``), or with a body that
    could not be read (label ``malformed``)."""

    def __init__(self, label: str, message: str, status: int = 0) -> None:
        label, message = clean(label), clean(message)  # Gate.io's words may reach a terminal
        where = f" (HTTP {status})" if status else ""
        super().__init__(f"Gate.io error {label}{where}: {message}" if message else label)
        self.label = label
        self.message = message
        self.status = status

    @classmethod
    def from_body(cls, status: int, body: bytes | str) -> GateioApiError:
        """The error a non-200 reply stands for (its ``label``/``message`` when readable)."""
        try:
            d = orjson.loads(body)
        except (orjson.JSONDecodeError, TypeError):
            d = None
        if type(d) is dict and "label" in d:
            return cls(str(d.get("label")), str(d.get("message", "")), status)
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
        return cls(f"HTTP {status}" if status else "no reply", text[:120], status)


def load_body(body: Body) -> Any:
    """Parsed JSON of a body; ``GateioApiError`` for an error body or unreadable text."""
    try:
        data = orjson.loads(body) if isinstance(body, str | bytes) else body
    except orjson.JSONDecodeError as exc:
        raise GateioApiError("malformed", f"response is not JSON ({exc})") from None
    if type(data) is dict and "label" in data and "message" in data:
        raise GateioApiError(str(data["label"]), str(data["message"]))
    return data


def _rows(body: Body, what: str) -> list[Any]:
    data = load_body(body)
    if type(data) is not list:
        raise GateioApiError("malformed", f"the {what} is not a list")
    return data


def _guard(what: str, exc: Exception) -> GateioApiError:
    return GateioApiError("malformed", f"unreadable {what} ({type(exc).__name__}: {exc})")


R = TypeVar("R")
T = TypeVar("T")


def _kept(rows: Iterable[R], build: Callable[[R], T], rejected: list[Status] | None) -> list[T]:
    return kept(EXCHANGE, rows, build, rejected)


# -- requests ---------------------------------------------------------------------------


def currency_pairs_request() -> tuple[str, Params]:
    return CURRENCY_PAIRS, {}


def tickers_request(pair: str | None = None) -> tuple[str, Params]:
    """Every pair's ticker, or one pair's (which adds ``lowest_size``/``highest_size``)."""
    return TICKERS, ({"currency_pair": pair} if pair else {})


def order_book_request(
    pair: str, limit: int = BOOK_LIMIT, with_id: bool = True
) -> tuple[str, Params]:
    """``limit`` is always sent (Gate.io's default is 10 levels); ``with_id`` returns the
    book's update id, which a book synced from the WebSocket needs."""
    params = {"currency_pair": pair, "limit": str(max(1, min(limit, BOOK_LIMIT)))}
    if with_id:
        params["with_id"] = "true"
    return ORDER_BOOK, params


def trades_request(
    pair: str, limit: int = 100, last_id: str | None = None, reverse: bool = False
) -> tuple[str, Params]:
    params = {"currency_pair": pair, "limit": str(max(1, min(limit, MAX_TRADES)))}
    if last_id is not None:
        params["last_id"] = last_id
        if reverse:
            params["reverse"] = "true"
    return TRADES, params


def candles_request(
    pair: str,
    interval: str,
    *,
    limit: int | None = None,
    start: int | None = None,
    end: int | None = None,
) -> tuple[str, Params]:
    """One page of candles; ``interval`` is our spelling ("1m", "1w", "1M"). Gate.io takes
    either ``limit`` or a ``from``/``to`` range (Unix **seconds**), not both."""
    params: Params = {"currency_pair": pair, "interval": gate_interval(interval, rest=True)}
    if start is not None or end is not None:
        if limit is not None:
            raise ValueError("Gate.io takes either limit or a from/to range, not both")
        if start is not None:
            params["from"] = str(start)
        if end is not None:
            params["to"] = str(end)
    else:
        params["limit"] = str(max(1, min(limit or 100, MAX_CANDLES)))
    return CANDLESTICKS, params


# -- currency pairs ---------------------------------------------------------------------


class PairInfo(msgspec.Struct, frozen=True, gc=False):
    """What ``currency_pairs`` says about trading one pair, beyond ``Market``."""

    symbol: str
    price_precision: int | None = None  # decimals of a price ("precision")
    amount_precision: int | None = None  # decimals of a base amount
    min_base_amount: float = 0.0  # 0.0 = not stated
    min_quote_amount: float = 0.0
    max_base_amount: float = 0.0
    max_quote_amount: float = 0.0
    fee_percent: float = 0.0  # "0.2" = 0.2 %
    trade_status: str = ""  # untradable / buyable / sellable / tradable
    buy_start: int = 0  # Unix s; 0 = not scheduled
    sell_start: int = 0
    delisting_time: int = 0


def _int_or_none(value: Any) -> int | None:
    return int(value) if value not in ("", None) else None


def _pair_fields(d: dict[str, Any]) -> tuple[str, str, str]:
    pair = d["id"]
    split_base, split_quote = split_pair(pair)  # Invalid for an id with control characters
    return pair, clean(d.get("base") or split_base), clean(d.get("quote") or split_quote)


def _market(d: dict[str, Any]) -> Market:
    pair, base, quote = _pair_fields(d)
    state = str(d.get("trade_status", "tradable"))
    tradable = state == "tradable"
    cautions: tuple[str, ...] = () if tradable else (clean(state),)
    if d.get("st_tag"):
        cautions = (*cautions, "ST")
    return Market(
        exchange=EXCHANGE,
        symbol=pair,
        base=base,
        quote=quote,
        english_name=clean(d.get("base_name") or ""),
        warning=bool(cautions),
        cautions=cautions,
        tick=_decimals_step(d.get("precision")),
        lot=_decimals_step(d.get("amount_precision")),
    )


def _decimals_step(decimals: object) -> float:
    """Gate.io states steps as decimals (``precision: 2`` = 0.01); 0.0 when unusable."""
    places = _int_or_none(decimals)
    return 10.0**-places if places is not None and 0 <= places <= 18 else 0.0


def _pair_info(d: dict[str, Any]) -> PairInfo:
    pair, _, _ = _pair_fields(d)
    return PairInfo(
        symbol=pair,
        price_precision=_int_or_none(d.get("precision")),
        amount_precision=_int_or_none(d.get("amount_precision")),
        min_base_amount=to_float(d.get("min_base_amount")),
        min_quote_amount=to_float(d.get("min_quote_amount")),
        max_base_amount=to_float(d.get("max_base_amount")),
        max_quote_amount=to_float(d.get("max_quote_amount")),
        fee_percent=to_float(d.get("fee")),
        trade_status=clean(d.get("trade_status") or ""),
        buy_start=int(d.get("buy_start") or 0),
        sell_start=int(d.get("sell_start") or 0),
        delisting_time=int(d.get("delisting_time") or 0),
    )


def parse_currency_pairs(
    body: Body, tradable_only: bool = False, rejected: list[Status] | None = None
) -> list[Market]:
    """Markets from ``spot/currency_pairs``. Pairs that do not trade both ways
    (untradable, buyable, sellable) are kept with ``warning=True`` and their status in
    ``cautions`` unless ``tradable_only``; an ST-tagged pair is cautioned with "ST"."""
    try:
        rows = _rows(body, "pair list")
        if tradable_only:
            rows = [d for d in rows if d.get("trade_status", "tradable") == "tradable"]
        return _kept(rows, _market, rejected)
    except GateioApiError:
        raise
    except Exception as exc:
        raise _guard("pair list", exc) from exc


def parse_pair_info(body: Body, rejected: list[Status] | None = None) -> dict[str, PairInfo]:
    """Precision, minimum and maximum amounts and status per pair, keyed by pair."""
    try:
        return {p.symbol: p for p in _kept(_rows(body, "pair list"), _pair_info, rejected)}
    except GateioApiError:
        raise
    except Exception as exc:
        raise _guard("pair list", exc) from exc


# -- market data ------------------------------------------------------------------------


def parse_tickers(
    body: Body, recv_ns: int = 0, rejected: list[Status] | None = None
) -> list[Ticker]:
    """Tickers from ``spot/tickers`` (``snapshot=True``). Gate.io's tickers carry no time:
    ``timestamp`` is the receive time in ms (0 when ``recv_ns`` is 0)."""
    ts = recv_ns // 1_000_000
    try:
        return _kept(
            _rows(body, "ticker list"), lambda d: ticker_from(d, ts, recv_ns, True), rejected
        )
    except GateioApiError:
        raise
    except Exception as exc:
        raise _guard("ticker list", exc) from exc


class BookSnapshot(msgspec.Struct, frozen=True, gc=False):
    """A ``spot/order_book`` reply as the book sync needs it: the update ``id`` and the
    levels as Gate.io wrote them (converted when applied to an ``L2Book``)."""

    id: int
    bids: list[tuple[str, str]]
    asks: list[tuple[str, str]]
    timestamp: int = 0  # ms: ``update`` (last change) or ``current`` (reply time); 0 = absent


class _BookBody(msgspec.Struct, gc=False):
    bids: list[tuple[str, str]]
    asks: list[tuple[str, str]]
    id: int | None = None
    current: int = 0
    update: int = 0


_book_decoder = msgspec.json.Decoder(_BookBody)


def _book_body(body: Body) -> _BookBody:
    try:
        if isinstance(body, str | bytes):
            try:
                return _book_decoder.decode(body)
            except msgspec.DecodeError:
                data = load_body(body)  # an error body raises GateioApiError here
        else:
            data = load_body(body)
        return msgspec.convert(data, _BookBody)
    except GateioApiError:
        raise
    except Exception as exc:
        raise _guard("order book", exc) from exc


def parse_book_snapshot(body: Body) -> BookSnapshot:
    """The snapshot a synced book starts from (``with_id=true``: ``id`` is required)."""
    b = _book_body(body)
    if b.id is None:
        raise GateioApiError("malformed", "the order book has no id (ask with with_id=true)")
    return BookSnapshot(b.id, b.bids, b.asks, b.update or b.current)


def parse_order_book(
    body: Body, pair: str, recv_ns: int = 0, depth: int | None = None
) -> OrderBook:
    """The book from ``spot/order_book`` as an ``OrderBook`` (``snapshot=True``); the
    reply names no pair, so the caller does. ``GateioApiError("invalid")`` for a book no
    market has (NaN, negative, crossed)."""
    b = _book_body(body)
    book = L2Book()
    try:
        book.snapshot(b.bids, b.asks)
        n = depth if depth is not None else max(len(b.bids), len(b.asks), 1)
        bids, asks = book.top(n)
        if book.crossed():
            return book_event(pair, bids, asks, b.update or b.current, recv_ns, True)
        return book_event(pair, bids, asks, b.update or b.current, recv_ns, True, ordered=True)
    except (Invalid, BadLevel) as exc:
        raise GateioApiError("invalid", str(exc)) from exc
    except Exception as exc:
        raise _guard("order book", exc) from exc


def parse_trades(body: Body, recv_ns: int = 0, rejected: list[Status] | None = None) -> list[Trade]:
    """Trades from ``spot/trades``, oldest first (Gate.io sends newest first), so they can
    be fed to a consumer in the order a live stream would have delivered them."""
    try:
        out = _kept(_rows(body, "trade list"), lambda d: trade_from(d, recv_ns, True), rejected)
    except GateioApiError:
        raise
    except Exception as exc:
        raise _guard("trade list", exc) from exc
    out.reverse()
    out.sort(key=lambda t: t.timestamp)  # stable: same-ms trades stay oldest first
    return out


def candle_from_row(row: Sequence[Any], pair: str, interval: str, recv_ns: int = 0) -> Candle:
    """A Candle from a REST row ``[t (s), quote volume, close, high, low, open, base
    volume, closed]`` (older replies stop after the open). Raises ``sanity.Invalid``."""
    n = len(row)
    if n < 6:
        raise ValueError(f"candle row has {n} fields")
    base, quote = split_pair(pair)
    return checked(
        Candle(
            exchange=EXCHANGE,
            symbol=pair,
            base=base,
            quote=quote,
            interval=interval,
            open_time=int(row[0]) * 1000,
            open=float(row[5]),
            high=float(row[3]),
            low=float(row[4]),
            close=float(row[2]),
            volume=to_float(row[6]) if n > 6 else 0.0,
            recv_ns=recv_ns,
            quote_volume=to_float(row[1]),
            closed=n > 7 and row[7] in ("true", True),
            snapshot=True,
        )
    )


def parse_candles(
    body: Body,
    pair: str,
    interval: str,
    recv_ns: int = 0,
    rejected: list[Status] | None = None,
) -> list[Candle]:
    """Candles from ``spot/candlesticks``, oldest first. ``interval`` is our spelling, as
    passed to ``candles_request``."""
    gate_interval(interval, rest=True)  # ValueError for an interval Gate.io does not have
    try:
        rows = _rows(body, "candle list")
        out = _kept(rows, lambda r: candle_from_row(r, pair, interval, recv_ns), rejected)
    except GateioApiError:
        raise
    except Exception as exc:
        raise _guard("candle list", exc) from exc
    out.sort(key=lambda c: c.open_time)
    return out
