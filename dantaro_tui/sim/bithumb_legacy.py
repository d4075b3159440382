"""Bithumb's legacy public REST API (``/public/...``), simulated beside the v1 API: the same
markets and the same book, tape and candles, written the old way.

ccxt's bithumb still speaks it (``options['generation'] = 1``), as do older bots, so the
simulator answers it rather than leaving them a 404. Written from the protocol reference
(``docs/exchanges.md`` section 6.6) and the recorded ``/public/ticker/ALL_*`` answers:

* envelope ``{"status": "0000", "data": ...}``; an unknown pair or a bad parameter is
  ``{"status": "5500", "message": "Invalid Parameter"}`` with HTTP 200;
* pairs are written base first, ``BTC_KRW`` (``ALL_KRW`` / ``ALL_BTC`` for every coin of a
  quote); every number is a string, prices as plain decimals, ``date`` / ``timestamp`` in
  epoch milliseconds (true UTC, unlike the v1 ticker's 9-hour shift);
* ``ticker/{pair}``: ``opening_price, closing_price, min_price, max_price, units_traded,
  acc_trade_value, prev_closing_price, units_traded_24H, acc_trade_value_24H, fluctate_24H,
  fluctate_rate_24H`` (+ ``date``); with ``ALL_*`` one such object per coin and ``date``
  beside them;
* ``orderbook/{pair}?count=`` (1-30, default 30): ``timestamp, payment_currency,
  order_currency, bids, asks`` of ``{"price", "quantity"}``, quantities at 4 decimals;
* ``transaction_history/{pair}?count=`` (1-100, default 20; unconfirmed): ``transaction_date``
  in **Korean local time** ``YYYY-MM-DD HH:MM:SS``, ``type`` ``bid`` (the taker bought) or
  ``ask``, ``units_traded``, ``price``, ``total``, oldest first;
* ``candlestick/{pair}/{interval}`` (``1m 3m 5m 10m 30m 1h 6h 12h 24h``; unconfirmed): rows
  ``[ms, open, close, high, low, volume]`` (note the order), oldest first, periods on the
  UTC epoch grid (an assumption).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import orjson
from aiohttp import web

from dantaro_tui.sim.market import Listing
from dantaro_tui.sim.spot_wire import Bar, fold_bars

OK = "0000"
INVALID = "5500"
KST_S = 9 * 3600
BOOK_DEFAULT = BOOK_MAX = 30
TRADES_DEFAULT, TRADES_MAX = 20, 100
CANDLES = 1500  # rows a candlestick call returns (unconfirmed)
SIZE_DECIMALS = 4
HOUR = 3_600_000
# interval -> (market candle unit in seconds, period in ms)
INTERVALS: dict[str, tuple[int, int]] = {
    "1m": (60, 60_000), "3m": (180, 180_000), "5m": (300, 300_000), "10m": (600, 600_000),
    "30m": (1800, 1_800_000), "1h": (3600, HOUR), "6h": (3600, 6 * HOUR),
    "12h": (14400, 12 * HOUR), "24h": (86400, 24 * HOUR),
}  # fmt: skip

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Limiter = Callable[[str, Handler], Handler]


class LegacyError(Exception):
    """A refused legacy call: answered with HTTP 200 and a non-"0000" status."""


def dec(x: float, places: int = 8) -> str:
    """A plain decimal string, trailing zeros dropped (``43462000``, ``0.07069853``)."""
    s = f"{x:.{places}f}"
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return "0" if s in ("", "-0") else s


def kst_text(ms: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ms // 1000 + KST_S))


def ticker_row(lst: Listing) -> dict[str, str]:
    day = lst.day
    vol24, amt24 = lst.rolling_24h()
    open24, _, _ = lst.range_24h()
    diff = lst.last - open24
    rate = diff / open24 * 100.0 if open24 else 0.0
    return {
        "opening_price": dec(day.open), "closing_price": dec(lst.last),
        "min_price": dec(day.low), "max_price": dec(day.high),
        "units_traded": dec(day.volume), "acc_trade_value": dec(day.amount, 4),
        "prev_closing_price": dec(lst.prev_close), "units_traded_24H": dec(vol24),
        "acc_trade_value_24H": dec(amt24, 4), "fluctate_24H": dec(diff),
        "fluctate_rate_24H": f"{rate:.2f}",
    }  # fmt: skip


def book_side(levels: list[list[float]], count: int) -> list[dict[str, str]]:
    """The top ``count`` levels at 4 decimals; one that rounds to nothing is left out, so
    no level shows a size of 0 (an assumption: the v1 API shows them, this one unknown)."""
    out = []
    for price, size in levels[:count]:
        if round(size, SIZE_DECIMALS) > 0:
            out.append({"price": dec(price), "quantity": dec(size, SIZE_DECIMALS)})
    return out


class LegacyApi:
    """The legacy routes over a venue's listings (v1 codes ``KRW-BTC``)."""

    def __init__(self, listings: Mapping[str, Listing], now_ms: Callable[[], int]) -> None:
        self.listings = listings
        self.now_ms = now_ms

    def add_routes(self, router: web.UrlDispatcher, limited: Limiter) -> None:
        for path, category, handler in (
            ("ticker/{pair}", "ticker", self._ticker),
            ("orderbook/{pair}", "orderbook", self._orderbook),
            ("transaction_history/{pair}", "trades", self._trades),
            ("candlestick/{pair}/{interval}", "candles", self._candles),
        ):
            router.add_get(f"/public/{path}", limited(category, self._enveloped(handler)))

    @staticmethod
    def _enveloped(handler: Callable[[web.Request], Any]) -> Handler:
        async def enveloped(request: web.Request) -> web.StreamResponse:
            try:
                body = {"status": OK, "data": handler(request)}
            except LegacyError:
                body = {"status": INVALID, "message": "Invalid Parameter"}
            return web.Response(body=orjson.dumps(body), content_type="application/json")

        return enveloped

    def _pair(self, request: web.Request) -> Listing:
        base, _, quote = request.match_info["pair"].partition("_")
        lst = self.listings.get(f"{quote.upper()}-{base.upper()}")
        if lst is None:
            raise LegacyError
        return lst

    def _ticker(self, request: web.Request) -> dict[str, Any]:
        pair = request.match_info["pair"]
        now = str(self.now_ms())
        if pair.upper().startswith("ALL_"):
            quote = pair[4:].upper()
            rows: dict[str, Any] = {
                code.split("-", 1)[1]: ticker_row(lst)
                for code, lst in self.listings.items()
                if code.split("-", 1)[0] == quote
            }
            if not rows:
                raise LegacyError
            rows["date"] = now
            return rows
        return {**ticker_row(self._pair(request)), "date": now}

    def _orderbook(self, request: web.Request) -> dict[str, Any]:
        lst = self._pair(request)
        count = _count(request, BOOK_DEFAULT, BOOK_MAX)
        quote, base = lst.symbol.split("-", 1)
        return {
            "timestamp": str(lst.book_ts), "payment_currency": quote, "order_currency": base,
            "bids": book_side(lst.bids, count), "asks": book_side(lst.asks, count),
        }  # fmt: skip

    def _trades(self, request: web.Request) -> list[dict[str, str]]:
        lst = self._pair(request)
        count = _count(request, TRADES_DEFAULT, TRADES_MAX)
        rows = [
            {
                "transaction_date": kst_text(t.ts), "type": "bid" if t.side == "buy" else "ask",
                "units_traded": dec(t.size), "price": dec(t.price),
                "total": dec(t.price * t.size, 4),
            }
            for t in lst.recent_trades(count)
        ]  # fmt: skip
        rows.reverse()
        return rows

    def _candles(self, request: web.Request) -> list[list[Any]]:
        lst = self._pair(request)
        spec = INTERVALS.get(request.match_info["interval"])
        if spec is None:
            raise LegacyError
        unit, length = spec
        bars: list[Bar] = fold_bars(lst, unit, length, 0, None, CANDLES)
        bars.reverse()
        return [[b[0], dec(b[1]), dec(b[4]), dec(b[2]), dec(b[3]), dec(b[5])] for b in bars]


def _count(request: web.Request, default: int, cap: int) -> int:
    raw = request.query.get("count", "")
    if not raw:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= cap:
        raise LegacyError
    return int(raw)
