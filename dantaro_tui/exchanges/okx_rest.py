"""OKX API v5 REST: request builders and pure body parsers (no I/O).

Every OKX body is an envelope ``{"code":"0","msg":"","data":[...]}``; a code other than
"0" raises ``OkxApiError``. So does a body that cannot be read, so a caller catches one
exception type. Request helpers return ``(path, params)`` for ``default_rest_url``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

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
from dantaro_tui.model import Candle, Market, OrderBook, Ticker, Trade

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


def parse_instruments(body: str | bytes | dict[str, Any], live_only: bool = True) -> list[Market]:
    """Markets from ``public/instruments``. With ``live_only=False`` instruments that are
    not trading (suspend, preopen, test) are kept with ``warning=True`` and their state in
    ``cautions``."""
    out: list[Market] = []
    try:
        for d in unwrap(body):
            state = d.get("state", "live")
            if live_only and state != "live":
                continue
            inst = d["instId"]
            split_base, split_quote, _ = split_inst(inst)
            base = d.get("baseCcy") or split_base
            quote = d.get("quoteCcy") or split_quote
            live = state == "live"
            out.append(
                Market(
                    exchange=EXCHANGE,
                    symbol=inst,
                    base=base,
                    quote=quote,
                    warning=not live,
                    cautions=() if live else (state,),
                )
            )
    except OkxApiError:
        raise
    except Exception as exc:
        raise _guard("instrument list", exc) from exc
    return out


def parse_tickers(body: str | bytes | dict[str, Any], recv_ns: int = 0) -> list[Ticker]:
    """Tickers from ``market/tickers`` or ``market/ticker``."""
    try:
        return [ticker_from(d, recv_ns) for d in unwrap(body)]
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
    except OkxApiError:
        raise
    except Exception as exc:
        raise _guard("order book", exc) from exc


def parse_candles(
    body: str | bytes | dict[str, Any], symbol: str, interval: str, recv_ns: int = 0
) -> list[Candle]:
    """Candles from ``market/candles`` or ``history-candles``, oldest first (OKX sends
    newest first). ``interval`` is our spelling, as passed to ``candles_request``."""
    try:
        rows = unwrap(body)
        out = [candle_from(row, symbol, interval, recv_ns) for row in rows]
    except OkxApiError:
        raise
    except Exception as exc:
        raise _guard("candle list", exc) from exc
    out.sort(key=lambda c: c.open_time)
    return out


def parse_trades(
    body: str | bytes | dict[str, Any], recv_ns: int = 0, symbol: str | None = None
) -> list[Trade]:
    """Trades from ``market/trades``, oldest first (OKX sends newest first), so they can be
    fed to a consumer in the order a live stream would have delivered them."""
    try:
        out = [trade_from(d, recv_ns, symbol) for d in unwrap(body)]
    except OkxApiError:
        raise
    except Exception as exc:
        raise _guard("trade list", exc) from exc
    out.reverse()
    out.sort(key=lambda t: t.timestamp)  # stable: same-ms trades stay oldest first
    return out
