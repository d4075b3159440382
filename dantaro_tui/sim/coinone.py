"""Coinone's public market data, simulated: WebSocket and REST v2, under ``/coinone``.

Written from the protocol reference (``exchanges.md`` section 5), never from the client
codec (design rule 7). What a client meets:

* ``/coinone/`` (WebSocket, text frames): ``{"response_type":"CONNECTED","data":
  {"session_id":..}}`` on connect. Requests ``{"request_type":"SUBSCRIBE"|"UNSUBSCRIBE"|
  "PING","channel":"ORDERBOOK"|"TRADE"|"TICKER"|"CHART","topic":{"quote_currency":"KRW",
  "target_currency":"BTC"[,"interval":"1m"]},"format":"DEFAULT"|"SHORT"}``, one topic each;
  subscriptions add. Keywords must be upper case: anything else is ``160011 "Invalid
  Type"`` with the ``field``; a frame that is not a JSON object is ``160010 "Invalid
  Request"``. Every (un)subscription is acknowledged, echoing the topic as sent; an
  unknown coin or a quote other than KRW is acknowledged too and then refused with
  ``160012 "Invalid Topic"`` a few ms later, naming no topic. The socket stays open after
  errors. ``PING`` -> ``{"response_type":"PONG"}``.
* Data ``{"response_type":"DATA","channel":..,"data":{..}}``. ``ORDERBOOK``: a snapshot on
  subscribe (its ``timestamp`` is the book's last change, so it can be old), then the
  full book (16 levels a side) on every change, asks WORST first, bids best first, ``id``
  = ms + a 3-digit counter. ``TICKER`` on every trade (24-hour window), ``TRADE`` per
  match (``is_seller_maker: true`` when the taker bought), ``CHART`` on candle changes
  (fields **unconfirmed** in the reference: those of a REST chart row plus the topic and
  ``interval``; days and weeks in UTC, weeks from Monday, an assumption). ``SHORT``
  shortens the order book's documented keys; the other channels' short keys are
  unconfirmed, so they stay in the DEFAULT shape.
* Limits: at most 20 connections per client address (the 21st is closed with code 4290);
  a socket is closed 30 minutes after its last PING, and one that subscribed to nothing
  and said nothing after ~60 s (``silent_close``).
* REST under ``/coinone/public/v2/``: ``markets/KRW``, ``ticker_new/KRW`` (and
  ``/KRW/{coin}``; targets in lower case), ``ticker_utc_new`` (the UTC day),
  ``orderbook/KRW/{coin}?size=5|10|15|16`` (default 15; bids descending, asks ascending),
  ``trades/KRW/{coin}?size=`` (at most 200, newest first), ``chart/KRW/{coin}?interval=
  &timestamp=&size=`` (at most 500, newest first; ``timestamp`` = end bound),
  ``currencies``. 1,200 requests a minute per address. Every answer is HTTP 200: errors
  are ``{"result":"error","error_code":"108","error_msg":"Unknown CryptoCurrency"}``
  (107 a bad parameter, 4 "Blocked user access" when rate-limited or refused).

Prices follow the KRW price units of the Upbit simulator (Coinone's own table is not in
the reference: an assumption). Coins carry the market's kimchi premium like Upbit's, each
listing with its own local deviation, so Coinone trades near Upbit at its own price.

Fault switches: the generic ones (faults.py). ``refuse_rate_limit`` closes new sockets
with 4290 and answers REST with error 4.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import orjson
from aiohttp import web

from dantaro_tui.sim.faults import Peer, RateWindow
from dantaro_tui.sim.market import FIAT_RATES, STABLES, Candle, Listing, ListingSpec, StepResult
from dantaro_tui.sim.market import Trade as SimTrade
from dantaro_tui.sim.spot_wire import MONDAY_MS, Bar, fold_bars, plain
from dantaro_tui.sim.upbit import krw_tick
from dantaro_tui.sim.venue_base import SocketVenue, json_object
from dantaro_tui.sim.wsloop import TextSocket, serve_socket

if TYPE_CHECKING:
    from dantaro_tui.sim.server import SimContext

NAME = "coinone"
QUOTE = "KRW"
WS_PATH = "/"
BOOK_LEVELS = 16
REST_BOOK_SIZES = (5, 10, 15, 16)
MAX_TRADES = 200
MAX_CHART = 500
MAX_CONNECTIONS = 20  # per client address
CLOSE_TOO_MANY = 4290
PING_TIMEOUT = 1800.0  # seconds after the last PING
SILENT_CLOSE = 60.0  # seconds for a socket that asked for nothing
REFUSE_DELAY = 0.005  # the unnamed 160012 follows its ack by a few ms
REST_LIMIT = (1200, 60.0)
TAKER_FEE = 0.002

HOUR = 3_600_000
# interval -> (market candle unit in seconds, length in ms, alignment offset in ms)
INTERVALS: dict[str, tuple[int, int, int]] = {
    "1m": (60, 60_000, 0), "3m": (180, 180_000, 0), "5m": (300, 300_000, 0),
    "15m": (900, 900_000, 0), "30m": (1800, 1_800_000, 0), "1h": (3600, HOUR, 0),
    "2h": (3600, 2 * HOUR, 0), "4h": (14400, 4 * HOUR, 0), "6h": (3600, 6 * HOUR, 0),
    "1d": (86400, 24 * HOUR, 0), "1w": (86400, 168 * HOUR, MONDAY_MS),
}  # fmt: skip
INTERVALS_OF_UNIT: dict[int, tuple[str, ...]] = {
    u: tuple(i for i, spec in INTERVALS.items() if spec[0] == u)
    for u in {s[0] for s in INTERVALS.values()}
}
CHANNELS = ("ORDERBOOK", "TRADE", "TICKER", "CHART")
REQUEST_TYPES = ("SUBSCRIBE", "UNSUBSCRIBE", "PING")
FORMATS = ("DEFAULT", "SHORT")

# The coins listed in KRW: majors, a few dozen alts the global venues list too, the dollar
# coins, and two Korean favourites only the Korean venues carry.
BASES: tuple[str, ...] = (
    "BTC", "ETH", "XRP", "SOL", "DOGE", "ADA", "TRX", "LINK", "BCH", "LTC", "DOT", "ETC",
    "XLM", "AVAX", "SHIB", "NEAR", "APT", "SUI", "ARB", "UNI", "AAVE", "ATOM", "HBAR",
    "ALGO", "SAND", "MANA", "AXS", "THETA", "GRT", "IMX", "STX", "PEPE", "BONK", "TRUMP",
    "ONDO", "ENS", "PENDLE", "INJ", "POL", "TON", "USDT", "USDC", "BORA", "WEMIX",
)  # fmt: skip
# Trades/s at intensity 1: Coinone is a fraction of Upbit's size.
HOT: dict[str, float] = {
    "BTC": 1.5, "XRP": 1.5, "ETH": 1.0, "USDT": 0.8, "SOL": 0.6, "DOGE": 0.6, "SUI": 0.3,
}  # fmt: skip
NAMES: dict[str, str] = {
    "BTC": "Bitcoin", "ETH": "Ethereum", "XRP": "XRP", "SOL": "Solana", "DOGE": "Dogecoin",
    "USDT": "Tether", "USDC": "USD Coin",
}  # fmt: skip

ERRORS = {
    "107": "Parameter error",
    "108": "Unknown CryptoCurrency",
    "4": "Blocked user access",
}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _dumps(obj: Any) -> bytes:
    return orjson.dumps(obj)


def listing_specs(seed: int, bases: tuple[str, ...] = BASES) -> list[ListingSpec]:
    rng = random.Random(f"{NAME}:{seed}")
    specs = []
    for base in bases:
        rate = HOT.get(base) or min(0.25, 0.04 * math.exp(rng.gauss(0.0, 0.8)))
        spec = ListingSpec(
            NAME, f"{base}/{QUOTE}", base, QUOTE, krw_tick, rate, BOOK_LEVELS,
            base not in STABLES, 8, 0.0, TAKER_FEE,
        )  # fmt: skip
        specs.append(spec)
    return specs


class _Conn:
    __slots__ = ("addr", "last_heard", "last_ping", "peer", "refused", "subs", "watch")

    def __init__(self, peer: Peer, addr: str) -> None:
        self.peer = peer
        self.addr = addr
        self.subs: dict[tuple[str, str], str] = {}  # (channel, coin[:interval]) -> format
        now = time.monotonic()
        self.last_ping = now
        self.last_heard = now
        self.refused = False
        self.watch: asyncio.Task[None] | None = None


class _Refusal(Exception):
    def __init__(self, code: int, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


class _RestError(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class CoinoneVenue(SocketVenue[tuple[str, str], _Conn]):
    """Registers Coinone's KRW markets with the market process and serves them."""

    name = NAME

    def __init__(self, ctx: SimContext) -> None:
        super().__init__(ctx)
        market = ctx.market
        self.listings: dict[str, Listing] = {}  # coin -> listing
        for spec in listing_specs(market.seed):
            self.listings[spec.base] = market.add_listing(spec)
        self._coin_of: dict[Listing, str] = {lst: c for c, lst in self.listings.items()}
        rng = random.Random(f"{NAME}-wallets:{market.seed}")
        self._wallet = {
            c: ("normal" if c in HOT or rng.random() > 0.08 else "suspended") for c in self.listings
        }
        self._per_addr: dict[str, int] = {}
        self._book_id: dict[str, int] = {}
        self._rest = RateWindow(*REST_LIMIT)
        self.ping_timeout = PING_TIMEOUT
        self.silent_close = SILENT_CLOSE

    # -- wiring
    def app(self) -> web.Application:
        app = web.Application()
        r = app.router
        r.add_get(WS_PATH, self._ws)
        for path, handler in (
            ("markets/{quote}", self._markets),
            ("ticker_new/{quote}", self._tickers),
            ("ticker_new/{quote}/{coin}", self._ticker),
            ("ticker_utc_new/{quote}", self._tickers_utc),
            ("ticker_utc_new/{quote}/{coin}", self._ticker_utc),
            ("orderbook/{quote}/{coin}", self._orderbook),
            ("trades/{quote}/{coin}", self._trades),
            ("chart/{quote}/{coin}", self._chart),
            ("currencies", self._currencies),
        ):
            r.add_get(f"/public/v2/{path}", self._limited(handler))
        return app

    def endpoints(self, http_root: str, ws_root: str) -> dict[str, str]:
        return {"ws": ws_root + WS_PATH, "rest": http_root}

    async def close(self) -> None:
        await super().close()
        for conn in list(self._conns):
            if conn.watch is not None:
                conn.watch.cancel()

    # -- wire shapes
    def _coin(self, lst: Listing) -> str:
        return self._coin_of[lst]

    def _px(self, lst: Listing, x: float) -> str:
        tick = lst.tick(x)
        return plain(x, max(0, -math.floor(math.log10(tick) + 1e-9)))

    def _next_book_id(self, coin: str, now: int) -> str:
        n = max(self._book_id.get(coin, 0) + 1, now * 1000)
        self._book_id[coin] = n
        return str(n)

    def _book(self, lst: Listing, now: int, levels: int, ascending_asks: bool) -> dict[str, Any]:
        asks, bids = lst.book(levels)
        ask_rows = [{"price": self._px(lst, p), "qty": plain(s, 8)} for p, s in asks]
        if not ascending_asks:
            ask_rows.reverse()  # the socket writes asks worst first
        return {
            "quote_currency": QUOTE,
            "target_currency": self._coin(lst),
            "timestamp": lst.book_ts,
            "id": self._next_book_id(self._coin(lst), now),
            "asks": ask_rows,
            "bids": [{"price": self._px(lst, p), "qty": plain(s, 8)} for p, s in bids],
        }

    def _ticker_data(self, lst: Listing, now: int, utc_day: bool = False) -> dict[str, Any]:
        if utc_day:
            day = lst.day
            first, high, low = day.open, day.high, day.low
            vol, amount = day.volume, day.amount
        else:
            first, high, low = lst.range_24h(now)
            vol, amount = lst.rolling_24h(now)
        last = lst.last
        ask, ask_sz, bid, bid_sz = lst.best()
        prev = lst.prev_close
        sells = lst.acc_ask_volume
        power = lst.acc_bid_volume / sells * 100.0 if sells > 0 else 0.0
        px = self._px
        return {
            "quote_currency": QUOTE, "target_currency": self._coin(lst), "timestamp": now,
            "quote_volume": plain(amount, 4), "target_volume": plain(vol, 8),
            "high": px(lst, max(high, last)), "low": px(lst, min(low, last)),
            "first": px(lst, first), "last": px(lst, last), "volume_power": plain(power, 2),
            "ask_best_price": px(lst, ask), "ask_best_qty": plain(ask_sz, 8),
            "bid_best_price": px(lst, bid), "bid_best_qty": plain(bid_sz, 8),
            "id": self._next_book_id(f"t:{self._coin(lst)}", now),
            "yesterday_high": px(lst, max(first, prev)), "yesterday_low": px(lst, min(first, prev)),
            "yesterday_first": px(lst, prev), "yesterday_last": px(lst, first),
            "yesterday_quote_volume": plain(amount, 4), "yesterday_target_volume": plain(vol, 8),
        }  # fmt: skip

    def _trade_data(self, t: SimTrade) -> dict[str, Any]:
        lst = t.listing
        return {
            "quote_currency": QUOTE, "target_currency": self._coin(lst), "id": str(t.seq),
            "timestamp": t.ts, "price": self._px(lst, t.price), "qty": plain(t.size, 8),
            "is_seller_maker": t.side == "buy",
        }  # fmt: skip

    def _chart_row(self, lst: Listing, bar: Bar) -> dict[str, Any]:
        start, o, h, low, c, vol, amount = bar
        px = self._px
        return {
            "timestamp": start, "open": px(lst, o), "high": px(lst, h), "low": px(lst, low),
            "close": px(lst, c), "target_volume": plain(vol, 8), "quote_volume": plain(amount, 4),
        }  # fmt: skip

    @staticmethod
    def _data(channel: str, data: dict[str, Any], short: bool = False) -> bytes:
        if short:
            return _dumps({"r": "DATA", "c": channel, "d": _short(data)})
        return _dumps({"response_type": "DATA", "channel": channel, "data": data})

    # -- market data
    def dispatch(self, step: StepResult) -> None:
        subs = self._subs
        if not subs:
            return
        now = step.now_ms
        mine = self._coin_of
        for t in step.trades:
            coin = mine.get(t.listing)
            if coin is not None and (conns := subs.get(("TRADE", coin))):
                frame = self._data("TRADE", self._trade_data(t))
                for c in conns:
                    c.peer.send_data(frame)
        for lst in step.tickers:
            coin = mine.get(lst)
            if coin is not None and (conns := subs.get(("TICKER", coin))):
                frame = self._data("TICKER", self._ticker_data(lst, now))
                for c in conns:
                    c.peer.send_data(frame)
        for lst in step.books:
            coin = mine.get(lst)
            if coin is not None and (conns := subs.get(("ORDERBOOK", coin))):
                self._send_book(lst, now, conns)
        done: set[tuple[str, str, int]] = set()
        for lst, unit, candle in step.candles:
            coin = mine.get(lst)
            if coin is not None:
                self._push_chart(lst, coin, unit, candle, now, done)

    def _send_book(self, lst: Listing, now: int, conns: dict[_Conn, None] | list[_Conn]) -> None:
        data = self._book(lst, now, BOOK_LEVELS, False)
        frames: dict[str, bytes] = {}
        coin = self._coin(lst)
        for c in conns:
            fmt = c.subs.get(("ORDERBOOK", coin), "DEFAULT")
            frame = frames.get(fmt)
            if frame is None:
                frame = frames[fmt] = self._data("ORDERBOOK", data, fmt == "SHORT")
            c.peer.send_data(frame)

    def _push_chart(
        self, lst: Listing, coin: str, unit: int, candle: Candle, now: int, done: set[Any]
    ) -> None:
        for interval in INTERVALS_OF_UNIT.get(unit, ()):
            conns = self._subs.get(("CHART", f"{coin}:{interval}"))
            if not conns:
                continue
            _, length, offset = INTERVALS[interval]
            start = (candle.start - offset) // length * length + offset
            if (coin, interval, start) in done:
                continue
            done.add((coin, interval, start))
            found = fold_bars(lst, unit, length, offset, start + length, 1)
            if not found or found[0][0] != start:
                continue
            frame = self._data("CHART", self._chart_data(lst, interval, found[0]))
            for c in conns:
                c.peer.send_data(frame)

    def _chart_data(self, lst: Listing, interval: str, bar: Bar) -> dict[str, Any]:
        return {
            "quote_currency": QUOTE,
            "target_currency": self._coin(lst),
            "interval": interval,
            **self._chart_row(lst, bar),
        }

    # -- WebSocket
    async def _ws(self, request: web.Request) -> web.StreamResponse:
        ctx = self.ctx
        return await serve_socket(
            request,
            ctx,
            ctx.idle_timeout,
            open_conn=self._open,
            on_message=self._on_message,
            close_conn=self._forget,
            muted=_refused,
            wrap=TextSocket,
        )

    def _open(self, peer: Peer) -> _Conn:
        addr = peer.remote
        conn = _Conn(peer, addr)
        self._conns.add(conn)
        n = self._per_addr.get(addr, 0) + 1
        self._per_addr[addr] = n
        if self.ctx.faults.refuse_rate_limit or (self.ctx.rate_limits and n > MAX_CONNECTIONS):
            conn.refused = True
            self._tasks.spawn(peer.close(CLOSE_TOO_MANY))
            return conn
        session = {"session_id": str(uuid.UUID(int=random.getrandbits(128)))}
        peer.send_control(_dumps({"response_type": "CONNECTED", "data": session}))
        conn.watch = asyncio.ensure_future(self._watch(conn))
        return conn

    async def _watch(self, conn: _Conn) -> None:
        """Coinone's own idle rules: 30 minutes after the last PING, or about a minute for
        a socket that has subscribed to nothing and said nothing."""
        with contextlib.suppress(asyncio.CancelledError):
            while not conn.peer.closed:
                now = time.monotonic()
                silent_due = conn.last_heard + self.silent_close if not conn.subs else math.inf
                due = min(conn.last_ping + self.ping_timeout, silent_due)
                if now >= due:
                    await conn.peer.close(1000)
                    return
                await asyncio.sleep(min(1.0, max(0.01, due - now)))

    def _forget(self, conn: _Conn) -> None:
        for key in conn.subs:
            self._drop_sub(conn, key)
        conn.subs.clear()
        self._conns.discard(conn)
        left = self._per_addr.get(conn.addr, 1) - 1
        if left > 0:
            self._per_addr[conn.addr] = left
        else:
            self._per_addr.pop(conn.addr, None)
        if conn.watch is not None:
            conn.watch.cancel()

    def _on_message(self, conn: _Conn, text: str) -> None:
        self.ctx.subscriptions_received += 1
        conn.last_heard = time.monotonic()
        req = json_object(text)
        try:
            if req is None:
                raise _Refusal(160010, "Invalid Request")
            self._handle(conn, req)
        except _Refusal as err:
            body: dict[str, Any] = {
                "response_type": "ERROR",
                "error_code": err.code,
                "message": err.message,
            }
            if err.field is not None:
                body["field"] = err.field
            conn.peer.send_control(_dumps(body))

    def _handle(self, conn: _Conn, req: dict[str, Any]) -> None:
        kind = req.get("request_type")
        if kind not in REQUEST_TYPES:
            raise _Refusal(160011, "Invalid Type", "request_type")
        if kind == "PING":
            conn.last_ping = time.monotonic()
            conn.peer.send_control(b'{"response_type":"PONG"}')
            return
        channel = req.get("channel")
        if channel not in CHANNELS:
            raise _Refusal(160011, "Invalid Type", "channel")
        fmt = req.get("format", "DEFAULT")
        if fmt not in FORMATS:
            raise _Refusal(160011, "Invalid Type", "format")
        topic = req.get("topic")
        if not isinstance(topic, dict):
            raise _Refusal(160011, "Invalid Type", "topic")
        quote, coin = topic.get("quote_currency"), topic.get("target_currency")
        if not isinstance(quote, str) or not isinstance(coin, str):
            raise _Refusal(160011, "Invalid Type", "topic")
        interval = topic.get("interval")
        if channel == "CHART" and interval not in INTERVALS:
            raise _Refusal(160011, "Invalid Type", "interval")
        ack = "SUBSCRIBED" if kind == "SUBSCRIBE" else "UNSUBSCRIBED"
        conn.peer.send_control(_dumps({"response_type": ack, "channel": channel, "data": topic}))
        known = quote == QUOTE and coin in self.listings
        if not known:
            if kind == "SUBSCRIBE":
                # Acknowledged, then refused without a name (as Coinone does).
                loop = asyncio.get_running_loop()
                frame = b'{"response_type":"ERROR","error_code":160012,"message":"Invalid Topic"}'
                loop.call_later(REFUSE_DELAY, conn.peer.send_control, frame)
            return
        key = (channel, f"{coin}:{interval}" if channel == "CHART" else coin)
        if kind == "UNSUBSCRIBE":
            if conn.subs.pop(key, None) is not None:
                self._drop_sub(conn, key)
            return
        fresh = key not in conn.subs
        conn.subs[key] = str(fmt)
        self._subs.setdefault(key, {})[conn] = None
        if fresh and channel == "ORDERBOOK":
            self._send_book(self.listings[coin], int(self.ctx.market.now_ms), [conn])

    # -- REST
    def _limited(self, handler: Handler) -> Handler:
        limit, per = REST_LIMIT

        async def limited(request: web.Request) -> web.StreamResponse:
            now = time.monotonic()
            key = request.remote or ""
            left = self._rest.hit(key, now) if self.ctx.rate_limits else limit
            headers = {
                "public-ratelimit-replenish-rate": str(int(limit / per)),
                "public-ratelimit-burst-capacity": str(limit),
                "public-ratelimit-remaining": str(max(0, left or 0)),
            }
            try:
                if self.ctx.faults.refuse_rate_limit or left is None:
                    raise _RestError("4")
                resp = await handler(request)
            except _RestError as err:
                body = {"result": "error", "error_code": err.code, "error_msg": ERRORS[err.code]}
                resp = _json(body)
            resp.headers.update(headers)
            return resp

        return limited

    def _ok(self, **fields: Any) -> web.Response:
        now = int(self.ctx.market.now_ms)
        return _json({"result": "success", "error_code": "0", "server_time": now, **fields})

    def _listing(self, request: web.Request) -> Listing:
        quote = request.match_info["quote"].upper()
        coin = request.match_info.get("coin", "").upper()
        lst = self.listings.get(coin) if quote == QUOTE else None
        if lst is None:
            raise _RestError("108")
        return lst

    def _quote(self, request: web.Request) -> str:
        quote = request.match_info["quote"].upper()
        if quote != QUOTE:
            raise _RestError("107")
        return quote

    async def _markets(self, request: web.Request) -> web.StreamResponse:
        self._quote(request)
        rows = []
        for coin, lst in self.listings.items():
            tick = lst.tick(lst.last)
            rows.append(
                {
                    "quote_currency": QUOTE, "target_currency": coin,
                    "price_unit": plain(tick, 8), "qty_unit": "0.0001",
                    "max_order_amount": "1000000000", "max_price": "100000000000",
                    "max_qty": "100000000", "min_order_amount": "5000",
                    "min_price": plain(tick, 8), "min_qty": "0.0001",
                    "order_book_units": [plain(tick * k, 8) for k in (1, 10, 100)],
                    "maintenance_status": 0, "trade_status": 1,
                    "order_types": ["limit", "market", "stop_limit"],
                }
            )  # fmt: skip
        return self._ok(markets=rows)

    def _ticker_rows(self, lsts: list[Listing], utc_day: bool) -> list[dict[str, Any]]:
        now = int(self.ctx.market.now_ms)
        rows = []
        for lst in lsts:
            d = self._ticker_data(lst, now, utc_day)
            asks, bids = lst.book(1)
            row = {
                "quote_currency": QUOTE, "target_currency": self._coin(lst).lower(),
                "timestamp": now, "high": d["high"], "low": d["low"], "first": d["first"],
                "last": d["last"], "quote_volume": d["quote_volume"],
                "target_volume": d["target_volume"],
                "best_asks": [{"price": self._px(lst, p), "qty": plain(s, 8)} for p, s in asks],
                "best_bids": [{"price": self._px(lst, p), "qty": plain(s, 8)} for p, s in bids],
                "id": d["id"],
            }  # fmt: skip
            for k, v in d.items():
                if k.startswith("yesterday_"):
                    row[k] = v
            rows.append(row)
        return rows

    async def _tickers(self, request: web.Request) -> web.StreamResponse:
        self._quote(request)
        return self._ok(tickers=self._ticker_rows(list(self.listings.values()), False))

    async def _ticker(self, request: web.Request) -> web.StreamResponse:
        return self._ok(tickers=self._ticker_rows([self._listing(request)], False))

    async def _tickers_utc(self, request: web.Request) -> web.StreamResponse:
        self._quote(request)
        return self._ok(tickers=self._ticker_rows(list(self.listings.values()), True))

    async def _ticker_utc(self, request: web.Request) -> web.StreamResponse:
        return self._ok(tickers=self._ticker_rows([self._listing(request)], True))

    async def _orderbook(self, request: web.Request) -> web.StreamResponse:
        lst = self._listing(request)
        size = _int(request.query.get("size"), 15, set(REST_BOOK_SIZES))
        now = int(self.ctx.market.now_ms)
        book = self._book(lst, now, size, True)
        tick = lst.tick(lst.last)
        return self._ok(order_book_unit=plain(tick, 8), **book)

    async def _trades(self, request: web.Request) -> web.StreamResponse:
        lst = self._listing(request)
        size = _int(request.query.get("size"), MAX_TRADES, set(range(1, MAX_TRADES + 1)))
        rows = []
        for t in lst.recent_trades(size):  # newest first
            d = self._trade_data(t)
            del d["quote_currency"], d["target_currency"]
            rows.append(d)
        coin = self._coin(lst)
        return self._ok(quote_currency=QUOTE, target_currency=coin, transactions=rows)

    async def _chart(self, request: web.Request) -> web.StreamResponse:
        lst = self._listing(request)
        q = request.query
        interval = q.get("interval", "")
        if interval not in INTERVALS:
            raise _RestError("107")
        size = _int(q.get("size"), 200, set(range(1, MAX_CHART + 1)))
        end = q.get("timestamp")
        to_ms: int | None = None
        if end:
            if not end.isdigit():
                raise _RestError("107")
            to_ms = int(end) + 1
        unit, length, offset = INTERVALS[interval]
        bars = fold_bars(lst, unit, length, offset, to_ms, size)  # newest first
        coin = self._coin(lst)
        rows = [self._chart_row(lst, b) for b in bars]
        return self._ok(quote_currency=QUOTE, target_currency=coin, chart=rows)

    async def _currencies(self, request: web.Request) -> web.StreamResponse:
        rows = []
        for coin, lst in self.listings.items():
            status = self._wallet[coin]
            fee = 0.0 if coin in STABLES else 5.0 / max(lst.last / FIAT_RATES[QUOTE], 1e-12)
            rows.append(
                {
                    "name": NAMES.get(coin, coin.title()), "symbol": coin,
                    "deposit_status": status, "withdraw_status": status,
                    "deposit_confirm_count": 2, "max_precision": 8,
                    "deposit_fee": "0", "withdrawal_min_amount": plain(fee * 2, 8),
                    "withdrawal_fee": plain(fee, 8),
                }
            )  # fmt: skip
        return self._ok(currencies=rows)


def _refused(conn: _Conn) -> bool:
    return conn.refused


_SHORT = {
    "quote_currency": "qc", "target_currency": "tc", "timestamp": "t", "id": "i",
    "asks": "a", "bids": "b", "price": "p", "qty": "q",
}  # fmt: skip


def _short(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {_SHORT.get(k, k): _short(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_short(v) for v in obj]
    return obj


def _int(value: str | None, default: int, allowed: set[int]) -> int:
    if value is None or value == "":
        return default
    if not value.isdigit() or int(value) not in allowed:
        raise _RestError("107")
    return int(value)


def _json(body: Any) -> web.Response:
    return web.Response(body=_dumps(body), status=200, content_type="application/json")


__all__ = ["CoinoneVenue"]
