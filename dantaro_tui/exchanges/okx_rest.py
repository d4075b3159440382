"""OKX API v5 REST: request builders and pure body parsers (no I/O).

Every OKX body is an envelope ``{"code":"0","msg":"","data":[...]}``; a code other than
"0" raises ``OkxApiError``. So does a body that cannot be read, so a caller catches one
exception type. Request helpers return ``(path, params)`` for ``default_rest_url``.

A row a trader could be misled by ("NaN" or negative prices, a crossed book, an instId with
control characters: see ``sanity.py``) is left out of a list rather than failing the whole
call; pass a list as ``rejected`` to receive a ``Status(kind="error", code="invalid")`` for
each. The one book of ``market/books`` raises ``OkxApiError("invalid", ...)`` instead.
Instrument fields and error texts are cleaned of control characters.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

import orjson

from dantaro_tui.exchanges.base import RateLimit
from dantaro_tui.exchanges.okx import (
    EXCHANGE,
    book_event,
    candle_from,
    levels_from,
    okx_bar,
    split_inst,
    ticker_from,
    trade_from,
)
from dantaro_tui.exchanges.sanity import Invalid, clean, kept, positive_step
from dantaro_tui.model import Candle, Market, OrderBook, Status, Ticker, Trade

INSTRUMENTS = "/api/v5/public/instruments"
TICKERS = "/api/v5/market/tickers"
TICKER = "/api/v5/market/ticker"
BOOKS = "/api/v5/market/books"
TRADES = "/api/v5/market/trades"
CANDLES = "/api/v5/market/candles"
HISTORY_CANDLES = "/api/v5/market/history-candles"

# Documented public limits (per IP; instruments also per instType).
REST_LIMITS: dict[str, RateLimit] = {
    INSTRUMENTS: RateLimit(20, 2.0),
    TICKERS: RateLimit(20, 2.0),
    TICKER: RateLimit(20, 2.0),
    BOOKS: RateLimit(40, 2.0),
    TRADES: RateLimit(100, 2.0),
    CANDLES: RateLimit(40, 2.0),
    HISTORY_CANDLES: RateLimit(20, 2.0),
}

MAX_BOOK_DEPTH = 400
MAX_CANDLES_PER_PAGE = 300  # market/candles; history-candles allows 100
MAX_HISTORY_CANDLES_PER_PAGE = 100
MAX_TRADES = 500

Params = dict[str, str]


class OkxApiError(Exception):
    """OKX answered with a non-"0" code, or with a body that could not be read."""

    def __init__(self, code: str, msg: str) -> None:
        code, msg = clean(code), clean(msg)  # OKX's words may reach a terminal
        super().__init__(f"OKX error {code}: {msg}" if msg else f"OKX error {code}")
        self.code = code
        self.msg = msg


def unwrap(body: str | bytes | dict[str, Any]) -> list[Any]:
    """The ``data`` list of an OKX envelope; raises OkxApiError on an error or bad body."""
    try:
        env = orjson.loads(body) if isinstance(body, str | bytes) else body
    except orjson.JSONDecodeError as exc:
        raise OkxApiError("malformed", f"response is not JSON ({exc})") from None
    if type(env) is not dict:
        raise OkxApiError("malformed", "response is not a JSON object")
    code = str(env.get("code", ""))
    if code != "0":
        raise OkxApiError(code or "malformed", str(env.get("msg", "")))
    data = env.get("data")
    if type(data) is not list:
        raise OkxApiError("malformed", "response has no data list")
    return data


def _guard(what: str, exc: Exception) -> OkxApiError:
    return OkxApiError("malformed", f"unreadable {what} ({type(exc).__name__}: {exc})")


R = TypeVar("R")
T = TypeVar("T")


def _kept(rows: Iterable[R], build: Callable[[R], T], rejected: list[Status] | None) -> list[T]:
    return kept(EXCHANGE, rows, build, rejected)


# -- requests ---------------------------------------------------------------------------


def instruments_request(inst_type: str = "SPOT") -> tuple[str, Params]:
    return INSTRUMENTS, {"instType": inst_type}


def tickers_request(inst_type: str = "SPOT") -> tuple[str, Params]:
    return TICKERS, {"instType": inst_type}


def ticker_request(inst_id: str) -> tuple[str, Params]:
    return TICKER, {"instId": inst_id}


def book_request(inst_id: str, depth: int = MAX_BOOK_DEPTH) -> tuple[str, Params]:
    """``sz`` is always sent: OKX's default is a single level."""
    depth = max(1, min(depth, MAX_BOOK_DEPTH))
    return BOOKS, {"instId": inst_id, "sz": str(depth)}


def trades_request(inst_id: str, limit: int = 100) -> tuple[str, Params]:
    return TRADES, {"instId": inst_id, "limit": str(max(1, min(limit, MAX_TRADES)))}


def candles_request(
    inst_id: str,
    interval: str,
    *,
    after: int | None = None,
    before: int | None = None,
    limit: int = MAX_CANDLES_PER_PAGE,
    history: bool = False,
) -> tuple[str, Params]:
    """One page of candles. ``after`` = only bars older than this open time (ms), which is
    how to page backwards; ``before`` = only newer. ``market/candles`` holds the latest
    1,440 bars; ``history=True`` uses ``history-candles`` for anything older (and 1s bars).
    ``interval`` is our spelling ("1m", "1h", "1d"); it is sent as OKX's ``bar``."""
    cap = MAX_HISTORY_CANDLES_PER_PAGE if history else MAX_CANDLES_PER_PAGE
    params: Params = {
        "instId": inst_id,
        "bar": okx_bar(interval),
        "limit": str(max(1, min(limit, cap))),
    }
    if after is not None:
        params["after"] = str(after)
    if before is not None:
        params["before"] = str(before)
    return (HISTORY_CANDLES if history else CANDLES), params


def next_page_after(candles: Sequence[Candle]) -> int | None:
    """The ``after`` value for the next (older) page, given a parsed page; None when empty."""
    if not candles:
        return None
    return min(c.open_time for c in candles)


# -- parsers ----------------------------------------------------------------------------


def _market(d: dict[str, Any]) -> Market:
    inst = d["instId"]
    split_base, split_quote, _ = split_inst(inst)  # Invalid for an id with control characters
    state = d.get("state", "live")
    live = state == "live"
    return Market(
        exchange=EXCHANGE,
        symbol=inst,
        base=clean(d.get("baseCcy") or split_base),
        quote=clean(d.get("quoteCcy") or split_quote),
        warning=not live,
        cautions=() if live else (clean(state),),
        tick=positive_step(d.get("tickSz")),
        lot=positive_step(d.get("lotSz")),
    )


def parse_instruments(
    body: str | bytes | dict[str, Any],
    live_only: bool = True,
    rejected: list[Status] | None = None,
) -> list[Market]:
    """Markets from ``public/instruments``. With ``live_only=False`` instruments that are
    not trading (suspend, preopen, test) are kept with ``warning=True`` and their state in
    ``cautions``."""
    try:
        rows = [d for d in unwrap(body) if not live_only or d.get("state", "live") == "live"]
        return _kept(rows, _market, rejected)
    except OkxApiError:
        raise
    except Exception as exc:
        raise _guard("instrument list", exc) from exc


def parse_tickers(
    body: str | bytes | dict[str, Any], recv_ns: int = 0, rejected: list[Status] | None = None
) -> list[Ticker]:
    """Tickers from ``market/tickers`` or ``market/ticker``."""
    try:
        return _kept(unwrap(body), lambda d: ticker_from(d, recv_ns), rejected)
    except OkxApiError:
        raise
    except Exception as exc:
        raise _guard("ticker list", exc) from exc


def parse_book(
    body: str | bytes | dict[str, Any],
    symbol: str,
    recv_ns: int = 0,
    depth: int | None = None,
) -> OrderBook:
    """The book from ``market/books`` (``data[0]`` = asks, bids, ts; no instId)."""
    try:
        data = unwrap(body)
        if not data:
            raise OkxApiError("malformed", f"empty book for {symbol}")
        d = data[0]
        bids = levels_from(d["bids"])
        asks = levels_from(d["asks"])
        if depth is not None:
            bids, asks = bids[:depth], asks[:depth]
        return book_event(symbol, bids, asks, int(d["ts"]), recv_ns, snapshot=True)
    except Invalid as exc:
        raise OkxApiError("invalid", str(exc)) from exc
    except OkxApiError:
        raise
    except Exception as exc:
        raise _guard("order book", exc) from exc


def parse_candles(
    body: str | bytes | dict[str, Any],
    symbol: str,
    interval: str,
    recv_ns: int = 0,
    rejected: list[Status] | None = None,
) -> list[Candle]:
    """Candles from ``market/candles`` or ``history-candles``, oldest first (OKX sends
    newest first). ``interval`` is our spelling, as passed to ``candles_request``."""
    try:
        rows = unwrap(body)
        out = _kept(rows, lambda row: candle_from(row, symbol, interval, recv_ns), rejected)
    except OkxApiError:
        raise
    except Exception as exc:
        raise _guard("candle list", exc) from exc
    out.sort(key=lambda c: c.open_time)
    return out


def parse_trades(
    body: str | bytes | dict[str, Any],
    recv_ns: int = 0,
    symbol: str | None = None,
    rejected: list[Status] | None = None,
) -> list[Trade]:
    """Trades from ``market/trades``, oldest first (OKX sends newest first), so they can be
    fed to a consumer in the order a live stream would have delivered them."""
    try:
        out = _kept(unwrap(body), lambda d: trade_from(d, recv_ns, symbol), rejected)
    except OkxApiError:
        raise
    except Exception as exc:
        raise _guard("trade list", exc) from exc
    out.reverse()
    out.sort(key=lambda t: t.timestamp)  # stable: same-ms trades stay oldest first
    return out
