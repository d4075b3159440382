"""OKX's API v5 public market data, simulated: WebSocket and REST, mounted under ``/okx``.

Written from the protocol reference (``docs/exchanges.md`` section 2) and the recorded real
frames, never from the client codec (design rule 7). What a client meets:

* ``/okx/ws/v5/public``: ``tickers``, ``trades``, ``books`` (a snapshot, then deltas that
  chain ``prevSeqId`` -> ``seqId`` and carry OKX's CRC32 checksum of the merged book),
  ``books5`` and ``bbo-tbt``. ``/okx/ws/v5/business``: ``candle1s`` ... ``candle1D`` (and
  the ``utc`` variants) and ``trades-all``. A channel asked on the wrong path is refused
  with error 60018, as OKX does.
* Text frames of JSON; every price and size a string, written on the instrument's tick and
  lot grid with trailing zeros dropped. One ack per subscribed or unsubscribed arg, error
  events 60012 (unreadable request), 60018 (unknown channel or instId, or wrong URL), 60019
  (unknown op), 60014 (more than 480 operations an hour on one connection).
* The literal text ``ping`` is answered ``pong``. A connection is closed after 30 s with
  nothing sent or received (or the server's shorter ``idle_timeout``), and after 30 s
  without a subscription. More than 3 connection attempts a second from one address get
  HTTP 429.
* REST under ``/okx/api/v5/``: ``public/instruments``, ``public/underlying`` (always
  empty), ``public/time``, ``market/tickers``,
  ``market/ticker``, ``market/books`` (``sz`` defaults to 1, as on OKX), ``market/trades``,
  ``market/candles`` and ``market/history-candles`` (newest first, ``after``/``before``
  paging); the ``{"code":"0","msg":"","data":[...]}`` envelope, OKX error codes, and OKX's
  per-endpoint rate limits (HTTP 429, code 50011).

Prices come from the shared :class:`MarketProcess`: a ``BASE-USDT`` pair tracks the global
fair value of its base, so the simulated Upbit's ``KRW-BASE`` stands at this price x the
``KRW-USDT`` rate x (1 + kimchi premium / 100), up to each venue's own noise and spread.

Fault switches (on ``SimServer.faults``) besides the generic ones every venue honours:
``corrupt_checksum_every = N`` gives every Nth ``books`` update of a subscription a wrong
checksum; ``skip_seq_every = N`` gives every Nth one a ``prevSeqId`` that is not the
previous ``seqId`` (the levels themselves stay right, only the chain is broken).
"""

from __future__ import annotations

import asyncio
import itertools
import math
import random
import time
import zlib
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import orjson
from aiohttp import web

from dantaro_tui.sim.faults import Peer, RateWindow
from dantaro_tui.sim.market import Listing, ListingSpec, StepResult, Trade
from dantaro_tui.sim.okx_wire import (
    BARS,
    BARS_OF_UNIT,
    BASES,
    CANDLE_CHANNELS,
    HOT,
    NAME,
    QUOTE,
    QUOTE_DECIMALS,
    REST_ONLY_HISTORY,
    Bar,
    Instrument,
    WireBook,
    bars,
    book_checksum,
    candle_row,
    diff_rows,
    num,
    period_start,
    rows,
)
from dantaro_tui.sim.venue_base import SocketVenue, json_object, query_int
from dantaro_tui.sim.wsloop import TextSocket, serve_socket

if TYPE_CHECKING:
    from dantaro_tui.sim.server import SimContext

PUBLIC_PATH = "/ws/v5/public"
BUSINESS_PATH = "/ws/v5/business"
PUBLIC_CHANNELS = frozenset({"tickers", "trades", "books", "books5", "bbo-tbt"})
BUSINESS_CHANNELS = frozenset({*CANDLE_CHANNELS, "trades-all"})

IDLE_TIMEOUT = 30.0  # no data and no request, or no subscription, for this long: closed
CONNECTS_PER_S = 3  # per address
OPS_PER_HOUR = 480  # subscribe + unsubscribe requests per connection
PUSH_MS = 100  # books, books5 and tickers: at most one push per instrument per 100 ms
BOOK_HEARTBEAT_MS = 60_000  # an unchanged book gets an empty update (seqId == prevSeqId)
# Assumption: the close code OKX uses for a connection left without a subscription is not
# pinned down; 4004 is the one reported for its 30-second rule.
NO_SUBSCRIPTION_CLOSE = 4004

E_INVALID = "60012"
E_TOO_FREQUENT = "60014"
E_WRONG_CHANNEL = "60018"
E_INVALID_OP = "60019"

# REST: (requests, seconds) per address and endpoint (exchanges.md 2.8).
REST_LIMITS: dict[str, tuple[int, float]] = {
    "instruments": (20, 2.0), "underlying": (20, 2.0), "time": (10, 2.0), "tickers": (20, 2.0),
    "ticker": (20, 2.0),
    "books": (40, 2.0), "trades": (100, 2.0), "candles": (40, 2.0),
    "history-candles": (20, 2.0),
}  # fmt: skip
INST_TYPES = frozenset({"SPOT", "MARGIN", "SWAP", "FUTURES", "OPTION"})


def listing_specs(instruments: list[Instrument], seed: int) -> list[ListingSpec]:
    """Activity per pair: a few busy majors, a quiet tail (seeded)."""
    rng = random.Random(f"okx-rates:{seed}")
    specs = []
    for inst in instruments:
        rate = HOT.get(inst.base) or min(0.4, 0.08 * math.exp(rng.gauss(0.0, 0.8)))
        specs.append(
            ListingSpec(
                NAME, inst.inst_id, inst.base, QUOTE, inst.tick_fn, rate, 30, False, inst.lot_dec
            )
        )
    return specs


def _dumps(obj: Any) -> bytes:
    return orjson.dumps(obj)


class _Conn:
    __slots__ = ("book_updates", "conn_id", "endpoint", "ops", "peer", "subs", "unsubscribed_at")

    def __init__(self, peer: Peer, endpoint: str, conn_id: str, now: float) -> None:
        self.peer = peer
        self.endpoint = endpoint  # "public" or "business"
        self.conn_id = conn_id
        self.subs: set[tuple[str, str]] = set()  # (channel, instId)
        self.ops = RateWindow(OPS_PER_HOUR, 3600.0)
        self.book_updates: dict[str, int] = {}  # instId -> books updates sent (fault counters)
        self.unsubscribed_at: float | None = now  # since when the connection has no channel


class _Live:
    """Push state of one instrument."""

    __slots__ = ("bbo", "book", "book5", "book5_ms", "ticker_bbo", "ticker_due", "ticker_ms")

    def __init__(self) -> None:
        self.book: WireBook | None = None  # only while someone subscribes "books"
        self.book5: tuple[tuple[str, str], ...] = ()
        self.book5_ms = 0
        self.bbo: tuple[tuple[str, str], ...] = ()
        self.ticker_bbo: tuple[float, float, float, float] | None = None
        self.ticker_due = False
        self.ticker_ms = 0


class ArgError(Exception):
    def __init__(self, code: str, msg: str) -> None:
        super().__init__(msg)
        self.code = code
        self.msg = msg


class RestError(Exception):
    def __init__(self, code: str, msg: str, status: int = 200) -> None:
        super().__init__(msg)
        self.code = code
        self.msg = msg
        self.status = status


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class OkxVenue(SocketVenue[tuple[str, str], _Conn]):
    """Registers OKX's spot pairs with the market process and serves them."""

    name = NAME

    def __init__(self, ctx: SimContext, bases: tuple[str, ...] = BASES) -> None:
        super().__init__(ctx)
        market = ctx.market
        self.instruments: dict[str, Instrument] = {}
        for base in bases:
            usd = market.fair_usd(base) / market.fair_usd(QUOTE)
            inst = Instrument(base, usd, market.seed)
            self.instruments[inst.inst_id] = inst
        self._by_listing: dict[Listing, Instrument] = {}
        for spec in listing_specs(list(self.instruments.values()), market.seed):
            inst = self.instruments[spec.symbol]
            inst.listing = market.add_listing(spec)
            self._by_listing[inst.listing] = inst
        self._live: dict[str, _Live] = {i: _Live() for i in self.instruments}
        self._connects = RateWindow(CONNECTS_PER_S, 1.0)
        self._rest = {group: RateWindow(n, per) for group, (n, per) in REST_LIMITS.items()}
        self._conn_ids = itertools.count(1)
        self.checksums = True  # False: send checksum 0, as OKX has since 2026-06-23

    # -- wiring
    def app(self) -> web.Application:
        app = web.Application()
        r = app.router
        r.add_get(PUBLIC_PATH, self._ws_public)
        r.add_get(BUSINESS_PATH, self._ws_business)
        r.add_get("/api/v5/public/instruments", self._limited("instruments", self._get_instruments))
        r.add_get("/api/v5/public/time", self._limited("time", self._get_time))
        r.add_get("/api/v5/public/underlying", self._limited("underlying", self._get_underlying))
        r.add_get("/api/v5/market/tickers", self._limited("tickers", self._get_tickers))
        r.add_get("/api/v5/market/ticker", self._limited("ticker", self._get_ticker))
        r.add_get("/api/v5/market/books", self._limited("books", self._get_books))
        r.add_get("/api/v5/market/trades", self._limited("trades", self._get_trades))
        r.add_get("/api/v5/market/candles", self._limited("candles", self._get_candles))
        r.add_get(
            "/api/v5/market/history-candles",
            self._limited("history-candles", self._get_history_candles),
        )
        return app

    def endpoints(self, http_root: str, ws_root: str) -> dict[str, str]:
        # The WebSocket base without /ws/v5/...: clients add /ws/v5/public or /ws/v5/business.
        return {"ws": ws_root, "rest": http_root}

    @property
    def idle_timeout(self) -> float:
        return min(self.ctx.idle_timeout, IDLE_TIMEOUT)

    # -- market data
    def dispatch(self, step: StepResult) -> None:
        if self._conns:
            self._close_unsubscribed()
        subs = self._subs
        if not subs:
            return
        now = step.now_ms
        mine = self._by_listing
        for t in step.trades:
            inst = mine.get(t.listing)
            if inst is not None:
                self._push_trade(inst, t)
        for lst in step.tickers:
            inst = mine.get(lst)
            if inst is not None:
                self._live[inst.inst_id].ticker_due = True
        for lst in step.books:
            inst = mine.get(lst)
            if inst is None:
                continue
            live = self._live[inst.inst_id]
            if live.book is not None:
                live.book.dirty = True
            self._book_changed(inst, live, now)
        for inst_id, live in self._live.items():
            if live.book is not None:
                self._push_book(self.instruments[inst_id], live, now)
            if live.ticker_due and now - live.ticker_ms >= PUSH_MS:
                conns = subs.get(("tickers", inst_id))
                if conns:
                    frame = self._ticker_frame(self.instruments[inst_id], now)
                    for c in conns:
                        c.peer.send_data(frame)
                live.ticker_due = False
                live.ticker_ms = now
        if step.candles:
            self._push_candles(step, now)

    def _push_trade(self, inst: Instrument, t: Trade) -> None:
        inst_id = inst.inst_id
        conns = self._subs.get(("trades", inst_id))
        if conns:
            trade = {
                "instId": inst_id, "tradeId": str(t.seq), "px": inst.px(t.price),
                "sz": inst.sz(t.size), "side": t.side, "ts": str(t.ts), "count": "1",
                "source": "0", "seqId": inst.next_seq(),
            }  # fmt: skip
            frame = _dumps({"arg": {"channel": "trades", "instId": inst_id}, "data": [trade]})
            for c in conns:
                c.peer.send_data(frame)
        conns = self._subs.get(("trades-all", inst_id))
        if conns:
            trade = {
                "instId": inst_id, "tradeId": str(t.seq), "px": inst.px(t.price),
                "sz": inst.sz(t.size), "side": t.side, "source": "0", "ts": str(t.ts),
            }  # fmt: skip
            frame = _dumps({"arg": {"channel": "trades-all", "instId": inst_id}, "data": [trade]})
            for c in conns:
                c.peer.send_data(frame)

    def _book_changed(self, inst: Instrument, live: _Live, now: int) -> None:
        """books5, bbo-tbt and the ticker's best bid/ask after the book moved."""
        lst = inst.listing
        assert lst is not None
        inst_id = inst.inst_id
        best = lst.best()
        if best != live.ticker_bbo:
            live.ticker_bbo = best
            live.ticker_due = True
        conns = self._subs.get(("bbo-tbt", inst_id))
        if conns:
            bbo = (*inst.levels(lst.bids[:1]), *inst.levels(lst.asks[:1]))
            if bbo != live.bbo:
                live.bbo = bbo
                frame = self._shallow_frame("bbo-tbt", inst, 1, now)
                for c in conns:
                    c.peer.send_data(frame)
        conns = self._subs.get(("books5", inst_id))
        if conns and now - live.book5_ms >= PUSH_MS:
            top = (*inst.levels(lst.bids[:5]), *inst.levels(lst.asks[:5]))
            if top != live.book5:
                live.book5 = top
                live.book5_ms = now
                frame = self._shallow_frame("books5", inst, 5, now)
                for c in conns:
                    c.peer.send_data(frame)

    def _shallow_frame(self, channel: str, inst: Instrument, depth: int, now: int) -> bytes:
        """``books5`` / ``bbo-tbt``: the top levels, complete in every push."""
        lst = inst.listing
        assert lst is not None
        data: dict[str, Any] = {
            "asks": rows(inst.levels(lst.asks[:depth])),
            "bids": rows(inst.levels(lst.bids[:depth])),
        }
        if channel == "books5":
            data["instId"] = inst.inst_id
        data["ts"] = str(now)
        data["seqId"] = inst.seq
        return _dumps({"arg": {"channel": channel, "instId": inst.inst_id}, "data": [data]})

    def _push_book(self, inst: Instrument, live: _Live, now: int) -> None:
        wb = live.book
        assert wb is not None and inst.listing is not None
        conns = self._subs.get(("books", inst.inst_id))
        if not conns:
            return
        if wb.dirty and now - wb.last_ms >= PUSH_MS:
            wb.dirty = False
            bids = inst.levels(inst.listing.bids)
            asks = inst.levels(inst.listing.asks)
            bid_rows = diff_rows(dict(wb.bids), bids, descending=True)
            ask_rows = diff_rows(dict(wb.asks), asks, descending=False)
            if bid_rows or ask_rows:
                prev = wb.seq_id
                wb.set(bids, asks, inst.next_seq())
                wb.last_ms = now
                self._send_update(inst, conns, ask_rows, bid_rows, prev, wb, now)
                return
        if now - wb.last_ms >= BOOK_HEARTBEAT_MS:
            wb.last_ms = now
            self._send_update(inst, conns, [], [], wb.seq_id, wb, now)

    def _send_update(
        self,
        inst: Instrument,
        conns: dict[_Conn, None],
        ask_rows: list[list[str]],
        bid_rows: list[list[str]],
        prev: int,
        wb: WireBook,
        now: int,
    ) -> None:
        inst_id = inst.inst_id
        checksum = wb.checksum if self.checksums else 0
        data: dict[str, Any] = {
            "asks": ask_rows, "bids": bid_rows, "ts": str(now), "checksum": checksum,
            "prevSeqId": prev, "seqId": wb.seq_id,
        }  # fmt: skip
        arg = {"channel": "books", "instId": inst_id}
        frame = _dumps({"arg": arg, "action": "update", "data": [data]})
        if not ask_rows and not bid_rows:  # heartbeat: not counted by the fault switches
            for c in conns:
                c.peer.send_data(frame)
            return
        faults = self.ctx.faults
        corrupt = faults.corrupt_checksum_every or 0
        skip = faults.skip_seq_every or 0
        for c in conns:
            n = c.book_updates.get(inst_id, 0) + 1
            c.book_updates[inst_id] = n
            bad_sum = corrupt > 0 and n % corrupt == 0
            bad_seq = skip > 0 and n % skip == 0
            if bad_sum or bad_seq:
                wrong = dict(data)
                if bad_sum:
                    wrong["checksum"] = (wb.checksum ^ 0x5A5A) or 1
                if bad_seq:
                    wrong["prevSeqId"] = prev - 1
                c.peer.send_data(_dumps({"arg": arg, "action": "update", "data": [wrong]}))
            else:
                c.peer.send_data(frame)

    def _book_snapshot(self, inst: Instrument, now: int) -> bytes:
        live = self._live[inst.inst_id]
        wb = live.book
        if wb is None:
            assert inst.listing is not None
            wb = live.book = WireBook()
            wb.set(inst.levels(inst.listing.bids), inst.levels(inst.listing.asks), inst.next_seq())
            wb.last_ms = now
        data = {
            "asks": rows(wb.asks), "bids": rows(wb.bids), "ts": str(now),
            "checksum": wb.checksum if self.checksums else 0, "prevSeqId": -1,
            "seqId": wb.seq_id,
        }  # fmt: skip
        arg = {"channel": "books", "instId": inst.inst_id}
        return _dumps({"arg": arg, "action": "snapshot", "data": [data]})

    def _ticker(self, inst: Instrument, now: int) -> dict[str, str]:
        lst = inst.listing
        assert lst is not None
        ask, ask_sz, bid, bid_sz = lst.best()
        open24, high24, low24 = lst.range_24h(now)
        last = lst.last
        vol, amount = lst.rolling_24h(now)
        last_sz = lst.last_size
        if not last_sz:
            before = lst.recent_trades(1)
            last_sz = before[0].size if before else 0.0
        px = inst.px
        return {
            "instType": "SPOT", "instId": inst.inst_id, "last": px(last),
            "lastSz": inst.sz(last_sz), "askPx": px(ask), "askSz": inst.sz(ask_sz),
            "bidPx": px(bid), "bidSz": inst.sz(bid_sz), "open24h": px(open24),
            "high24h": px(max(high24, last)), "low24h": px(min(low24, last)),
            "sodUtc0": px(lst.day.open), "sodUtc8": px(self._sod_utc8(inst, now)),
            "volCcy24h": num(amount, QUOTE_DECIMALS), "vol24h": inst.sz(vol), "ts": str(now),
        }  # fmt: skip

    def _sod_utc8(self, inst: Instrument, now: int) -> float:
        """The price at the start of the UTC+8 day (open of OKX's 1D bar)."""
        day = period_start(now, BARS["1D"][1], BARS["1D"][2])
        if inst.sod8 is not None and inst.sod8[0] == day:
            return inst.sod8[1]
        assert inst.listing is not None
        newest = bars(inst.listing, "1D", None, 1)
        if not newest:
            return inst.listing.last
        start, open_, _, _, close, _, _ = newest[0]
        price = open_ if start == day else close
        inst.sod8 = (day, price)
        return price

    def _ticker_frame(self, inst: Instrument, now: int) -> bytes:
        arg = {"channel": "tickers", "instId": inst.inst_id}
        return _dumps({"arg": arg, "data": [self._ticker(inst, now)]})

    def _candle_frame(self, inst: Instrument, bar: str, b: Bar, now: int) -> bytes:
        arg = {"channel": f"candle{bar}", "instId": inst.inst_id}
        return _dumps({"arg": arg, "data": [candle_row(inst, bar, b, now)]})

    def _push_candles(self, step: StepResult, now: int) -> None:
        subs = self._subs
        done: set[tuple[str, str, int]] = set()
        for lst, unit, c in step.candles:
            inst = self._by_listing.get(lst)
            if inst is None:
                continue
            for bar in BARS_OF_UNIT.get(unit, ()):
                conns = subs.get((f"candle{bar}", inst.inst_id))
                if not conns:
                    continue
                _, length, offset = BARS[bar]
                start = period_start(c.start, length, offset)
                key = (inst.inst_id, bar, start)
                if key in done:
                    continue
                done.add(key)
                if length == unit * 1000:
                    b = (c.start, c.open, c.high, c.low, c.close, c.volume, c.amount)
                else:
                    found = bars(lst, bar, start + length, 1)
                    if not found or found[0][0] != start:
                        continue
                    b = found[0]
                frame = self._candle_frame(inst, bar, b, now)
                for conn in conns:
                    conn.peer.send_data(frame)

    # -- WebSocket
    async def _ws_public(self, request: web.Request) -> web.StreamResponse:
        return await self._ws(request, "public")

    async def _ws_business(self, request: web.Request) -> web.StreamResponse:
        return await self._ws(request, "business")

    async def _ws(self, request: web.Request, endpoint: str) -> web.StreamResponse:
        ctx = self.ctx
        loop = asyncio.get_running_loop()
        over = ctx.rate_limits and self._connects.hit(request.remote or "", loop.time()) is None
        if ctx.faults.refuse_rate_limit or over:
            return _envelope([], "50011", "Too Many Requests", status=429)
        return await serve_socket(
            request,
            ctx,
            self.idle_timeout,
            open_conn=lambda peer: self._open(peer, endpoint),
            on_message=self._on_message,
            close_conn=self._forget,
            wrap=TextSocket,
        )

    def _open(self, peer: Peer, endpoint: str) -> _Conn:
        ctx = self.ctx
        conn_id = f"{zlib.crc32(f'{ctx.market.seed}:{next(self._conn_ids)}'.encode()):08x}"
        conn = _Conn(peer, endpoint, conn_id, asyncio.get_running_loop().time())
        self._conns.add(conn)
        return conn

    def _close_unsubscribed(self) -> None:
        now = asyncio.get_running_loop().time()
        limit = self.idle_timeout
        for conn in list(self._conns):
            since = conn.unsubscribed_at
            if since is not None and now - since > limit and not conn.peer.closed:
                conn.unsubscribed_at = None
                self._tasks.spawn(conn.peer.close(NO_SUBSCRIPTION_CLOSE))

    def _forget(self, conn: _Conn) -> None:
        for key in conn.subs:
            self._unindex(conn, key)
        conn.subs.clear()
        self._conns.discard(conn)

    def _unindex(self, conn: _Conn, key: tuple[str, str]) -> None:
        if self._drop_sub(conn, key) and key[0] == "books":
            self._live[key[1]].book = None  # nobody left to keep a wire book for

    def _event(self, conn: _Conn, rid: str | None, body: dict[str, Any]) -> None:
        frame: dict[str, Any] = {"id": rid} if rid is not None else {}
        frame.update(body)
        frame["connId"] = conn.conn_id
        conn.peer.send_control(_dumps(frame))

    def _error(self, conn: _Conn, rid: str | None, code: str, msg: str) -> None:
        self._event(conn, rid, {"event": "error", "code": code, "msg": msg})

    def _on_message(self, conn: _Conn, text: str) -> None:
        if text == "ping":
            conn.peer.send_control(b"pong")
            return
        ctx = self.ctx
        ctx.subscriptions_received += 1
        req = json_object(text)
        if req is None:
            self._error(conn, None, E_INVALID, f"Invalid request: {text[:512]}")
            return
        rid = req.get("id")
        if rid is not None and not (isinstance(rid, str) and len(rid) <= 32 and rid.isalnum()):
            self._error(conn, None, E_INVALID, f"Invalid request: {text[:512]}")
            return
        op = req.get("op")
        args = req.get("args")
        if not isinstance(op, str):
            self._error(conn, rid, E_INVALID, f"Invalid request: {text[:512]}")
            return
        if op not in ("subscribe", "unsubscribe"):
            self._error(conn, rid, E_INVALID_OP, f"Invalid op: {op}")
            return
        if not isinstance(args, list) or not args:
            self._error(conn, rid, E_INVALID, f"Invalid request: {text[:512]}")
            return
        now = asyncio.get_running_loop().time()
        if ctx.faults.refuse_rate_limit or (ctx.rate_limits and conn.ops.hit(None, now) is None):
            self._error(conn, rid, E_TOO_FREQUENT, "Requests too frequent.")
            return
        market_now = int(ctx.market.now_ms)
        for arg in args:
            try:
                channel, inst = self._check_arg(conn, arg)
            except ArgError as err:
                self._error(conn, rid, err.code, err.msg)
                continue
            key = (channel, inst.inst_id)
            echo = {"channel": channel, "instId": inst.inst_id}
            if op == "subscribe":
                self._subs.setdefault(key, {})[conn] = None
                conn.subs.add(key)
                conn.unsubscribed_at = None
                self._event(conn, rid, {"event": "subscribe", "arg": echo})
                self._first_push(conn, channel, inst, market_now)
            else:
                if key in conn.subs:
                    conn.subs.discard(key)
                    self._unindex(conn, key)
                if not conn.subs and conn.unsubscribed_at is None:
                    conn.unsubscribed_at = now
                self._event(conn, rid, {"event": "unsubscribe", "arg": echo})

    def _check_arg(self, conn: _Conn, arg: Any) -> tuple[str, Instrument]:
        """(channel, instrument); ArgError for what OKX refuses."""
        if not isinstance(arg, dict):
            raise ArgError(E_INVALID, f"Invalid request: {orjson.dumps(arg).decode()[:512]}")
        channel = arg.get("channel")
        inst_id = arg.get("instId")
        if (
            not isinstance(channel, str)
            or not channel
            or (inst_id is not None and not isinstance(inst_id, str))
        ):
            raise ArgError(E_INVALID, f"Invalid request: {orjson.dumps(arg).decode()[:512]}")
        allowed = PUBLIC_CHANNELS if conn.endpoint == "public" else BUSINESS_CHANNELS
        inst = self.instruments.get(inst_id) if inst_id else None
        if channel not in allowed or inst is None:
            raise ArgError(
                E_WRONG_CHANNEL,
                f"Wrong URL or channel:{channel},instId:{inst_id or ''} doesn't exist. "
                "Please use the correct URL, channel and parameters referring to API document.",
            )
        return channel, inst

    def _first_push(self, conn: _Conn, channel: str, inst: Instrument, now: int) -> None:
        """What OKX sends right after the ack: the current ticker, a book snapshot, the
        current top of book, the open candle. Trades start with the next trade."""
        if channel == "tickers":
            conn.peer.send_data(self._ticker_frame(inst, now))
        elif channel == "books":
            conn.peer.send_data(self._book_snapshot(inst, now))
        elif channel in ("books5", "bbo-tbt"):
            depth = 5 if channel == "books5" else 1
            conn.peer.send_data(self._shallow_frame(channel, inst, depth, now))
        elif channel in CANDLE_CHANNELS:
            bar = CANDLE_CHANNELS[channel]
            assert inst.listing is not None
            newest = bars(inst.listing, bar, None, 1)
            if newest:
                conn.peer.send_data(self._candle_frame(inst, bar, newest[0], now))

    # -- REST
    def _limited(self, group: str, handler: Handler) -> Handler:
        window = self._rest[group]

        async def limited(request: web.Request) -> web.StreamResponse:
            if self.ctx.faults.refuse_rate_limit or (
                self.ctx.rate_limits
                and window.hit(request.remote or "", asyncio.get_running_loop().time()) is None
            ):
                return _envelope([], "50011", "Too Many Requests", status=429)
            try:
                return await handler(request)
            except RestError as err:
                return _envelope([], err.code, err.msg, status=err.status)

        return limited

    def _inst_param(self, request: web.Request) -> Instrument:
        inst_id = request.query.get("instId", "")
        if not inst_id:
            raise RestError("50014", "Parameter instId can not be empty.", 400)
        inst = self.instruments.get(inst_id)
        if inst is None:
            raise RestError("51001", "Instrument ID does not exist.")
        return inst

    def _inst_type(self, request: web.Request) -> str:
        inst_type = request.query.get("instType", "")
        if not inst_type:
            raise RestError("50014", "Parameter instType can not be empty.", 400)
        if inst_type not in INST_TYPES:
            raise RestError("51000", "Parameter instType error", 400)
        return inst_type

    async def _get_instruments(self, request: web.Request) -> web.StreamResponse:
        if self._inst_type(request) != "SPOT":
            return _envelope([])
        inst_id = request.query.get("instId")
        found = [
            i.instrument_row()
            for i in self.instruments.values()
            if not inst_id or i.inst_id == inst_id
        ]
        return _envelope(found)

    async def _get_underlying(self, request: web.Request) -> web.StreamResponse:
        """Only spot is simulated, so no derivative has an underlying (clients such as ccxt
        ask for the option underlyings while they load the market list)."""
        if self._inst_type(request) == "SPOT":
            raise RestError("51000", "Parameter instType error", 400)
        return _envelope([[]])

    async def _get_time(self, request: web.Request) -> web.StreamResponse:
        return _envelope([{"ts": str(int(time.time() * 1000))}])

    async def _get_tickers(self, request: web.Request) -> web.StreamResponse:
        if self._inst_type(request) != "SPOT":
            return _envelope([])
        now = int(self.ctx.market.now_ms)
        return _envelope([self._ticker(i, now) for i in self.instruments.values()])

    async def _get_ticker(self, request: web.Request) -> web.StreamResponse:
        inst = self._inst_param(request)
        return _envelope([self._ticker(inst, int(self.ctx.market.now_ms))])

    async def _get_books(self, request: web.Request) -> web.StreamResponse:
        inst = self._inst_param(request)
        depth = _int(request.query.get("sz"), 1, 1, 400, "sz")
        lst = inst.listing
        assert lst is not None
        book = {
            "asks": rows(inst.levels(lst.asks[:depth])),
            "bids": rows(inst.levels(lst.bids[:depth])),
            "ts": str(int(self.ctx.market.now_ms)),
        }
        return _envelope([book])

    async def _get_trades(self, request: web.Request) -> web.StreamResponse:
        inst = self._inst_param(request)
        limit = _int(request.query.get("limit"), 100, 1, 500, "limit")
        assert inst.listing is not None
        out = [
            {
                "instId": inst.inst_id,
                "side": t.side,
                "sz": inst.sz(t.size),
                "px": inst.px(t.price),
                "source": "0",
                "tradeId": str(t.seq),
                "ts": str(t.ts),
            }
            for t in inst.listing.recent_trades(limit)
        ]
        return _envelope(out)

    async def _get_candles(self, request: web.Request) -> web.StreamResponse:
        return self._candle_page(request, 300, history=False)

    async def _get_history_candles(self, request: web.Request) -> web.StreamResponse:
        return self._candle_page(request, 100, history=True)

    def _candle_page(self, request: web.Request, max_limit: int, history: bool) -> web.Response:
        q = request.query
        inst = self._inst_param(request)
        bar = q.get("bar") or "1m"
        if bar not in BARS or (bar in REST_ONLY_HISTORY and not history):
            raise RestError("51000", "Parameter bar error", 400)
        limit = _int(q.get("limit"), 100, 1, max_limit, "limit")
        after = _int(q.get("after"), 0, 0, 1 << 62, "after") or None
        before = _int(q.get("before"), 0, 0, 1 << 62, "before") or None
        now = int(self.ctx.market.now_ms)
        _, length, offset = BARS[bar]
        floor = None if history else period_start(now, length, offset) - 1439 * length
        assert inst.listing is not None
        found = bars(inst.listing, bar, after, limit if before is None else 1440)
        out = []
        for b in found:
            if floor is not None and b[0] < floor:
                break
            if before is not None and b[0] <= before:
                break
            out.append(candle_row(inst, bar, b, now))
            if len(out) >= limit:
                break
        return _envelope(out)


def _envelope(data: list[Any], code: str = "0", msg: str = "", status: int = 200) -> web.Response:
    return web.Response(
        body=_dumps({"code": code, "msg": msg, "data": data}),
        status=status,
        content_type="application/json",
    )


def _int(value: str | None, default: int, lo: int, hi: int, name: str) -> int:
    n = query_int(value, default, lo, hi)
    if n is None:
        raise RestError("51000", f"Parameter {name} error", 400)
    return n


__all__ = ["BUSINESS_PATH", "PUBLIC_PATH", "OkxVenue", "book_checksum"]
