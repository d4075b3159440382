"""Binance spot public market data, simulated: WebSocket streams and REST, under ``/binance``.

Written from the protocol reference (``docs/exchanges.md`` section 3) and the recorded real
frames, never from the client codec (design rule 7). What a client meets:

* ``/binance/ws`` (raw: each push is the event object), ``/binance/ws/<stream>[/<stream>]``
  (a segment with no ``@``, such as ccxt.pro's ``/ws/0``, names no stream and is ignored),
  ``/binance/stream`` and ``/binance/stream?streams=a/b`` (combined: each push is wrapped
  ``{"stream":"btcusdt@trade","data":{...}}``). ``SET_PROPERTY ["combined", true]`` switches
  a raw connection to the wrapped form. Text frames; every price and quantity a string with 8
  decimals, ids and times integers.
* Requests ``{"method":"SUBSCRIBE"|"UNSUBSCRIBE"|"LIST_SUBSCRIPTIONS"|"SET_PROPERTY"|
  "GET_PROPERTY","params":[...],"id":N}``, answered ``{"result":null,"id":N}`` (subscriptions
  add). As on the real server, a well-formed stream name is accepted whatever it names (one
  for a symbol or stream that does not exist just never carries data); a malformed one gets
  ``{"error":{"code":2,"msg":"Invalid request: invalid stream"},"id":N}`` and the connection
  is closed. Errors are ``{"error":{"code":..,"msg":..},"id":..}``, as the real server writes
  them (the reference's table lists only the inner object): 0 unknown property, 1 wrong
  value type, 2 invalid request (unknown method, bad id or params, more than 1,024 streams on
  the connection), 3 invalid JSON.
* Streams of the listed symbols: ``<s>@trade``, ``<s>@aggTrade`` (one trade per aggregate),
  ``<s>@ticker`` and ``<s>@miniTicker`` (rolling 24 h, once a second when it changed; the
  mini one is what ccxt.pro's watch_ticker asks for), ``<s>@bookTicker``,
  ``<s>@depth`` / ``<s>@depth@100ms`` (diff depth, every 1 s / 100 ms, ``U``/``u`` update ids
  that continue REST ``/api/v3/depth``'s ``lastUpdateId``; a removed level has quantity
  ``0.00000000``), ``<s>@depth5|10|20[@100ms]`` (the top levels every 1 s / 100 ms as
  ``{"lastUpdateId","bids","asks"}``, no event type, no symbol) and ``<s>@kline_<i>``
  (``1s 1m 3m 5m 15m 30m 1h 2h 4h 6h 8h 12h 1d 3d 1w``; weeks start on Monday). A kline's
  trade count, first/last trade id and taker-buy volumes, and the ticker's trade count, are
  estimates from the volume (the market process does not keep them per candle).
* The server pings every 20 s (``ping_interval``) and closes a connection that has not
  answered with a pong within a minute. More than 5 incoming frames a second on one
  connection (requests, pings and pongs) close it with code 1008 "Too many requests", as on
  Binance. More than 300 connection attempts in 5 minutes from one address get HTTP 429.
* REST under ``/binance/api/v3/``: ``ping``, ``time``, ``exchangeInfo`` (PRICE_FILTER
  tickSize, LOT_SIZE stepSize), ``ticker/24hr``, ``depth``, ``trades``, ``aggTrades`` (what
  ccxt's fetch_trades asks for), ``klines``, each weighted as on Binance with the
  ``X-MBX-USED-WEIGHT-1M`` header; over 6,000 weight a minute from one address: HTTP 429
  with ``Retry-After`` and ``{"code":-1003,...}``.

Fault switches: the generic ones (faults.py) act as on every venue; ``skip_seq_every = N``
withholds every Nth diff-depth push of a stream from a connection, so the next one starts
past a gap in the update ids (a client must notice and resync from REST).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import orjson
from aiohttp import WSMsgType, web

from dantaro_tui.sim.faults import Peer, RateWindow
from dantaro_tui.sim.market import StepResult, Trade
from dantaro_tui.sim.spot_wire import (
    BASES,
    MONDAY_MS,
    QUOTE,
    Bar,
    Pair,
    Pending,
    fixed8,
    fold_bars,
    list_pairs,
    period_start,
)
from dantaro_tui.sim.venue_base import SocketVenue
from dantaro_tui.sim.wsloop import TextSocket, serve_socket

if TYPE_CHECKING:
    from dantaro_tui.sim.server import SimContext

NAME = "binance"
FMT = "fixed8"
ZERO = "0.00000000"
MAX_STREAMS = 1024
MESSAGES_PER_S = 5
CONNECTS = (300, 300.0)  # attempts per 5 minutes per address
PING_INTERVAL = 20.0
PONG_TIMEOUT = 60.0
AGG_ID_OFFSET = 1000  # aggregate ids run this far behind trade ids (one trade per aggregate)
AGG_LOOKBACK = 1000  # trades searched for an aggTrades time window or id
WEIGHT_PER_MIN = 6000
TICKER_MS = 1000
DEPTH_SPEEDS = {"depth": 1000, "depth@100ms": 100}
# Partial book depth: <s>@depth5 / @depth10 / @depth20, optionally @100ms -> (levels, ms).
PARTIAL = {
    f"depth{n}{suffix}": (n, ms)
    for n in (5, 10, 20)
    for suffix, ms in (("", 1000), ("@100ms", 100))
}

HOUR = 3_600_000
# Kline interval -> (market candle unit in seconds, length in ms, alignment offset in ms).
KLINES: dict[str, tuple[int, int, int]] = {
    "1s": (1, 1000, 0), "1m": (60, 60_000, 0), "3m": (180, 180_000, 0),
    "5m": (300, 300_000, 0), "15m": (900, 900_000, 0), "30m": (1800, 1_800_000, 0),
    "1h": (3600, HOUR, 0), "2h": (3600, 2 * HOUR, 0), "4h": (14400, 4 * HOUR, 0),
    "6h": (3600, 6 * HOUR, 0), "8h": (14400, 8 * HOUR, 0), "12h": (14400, 12 * HOUR, 0),
    "1d": (86400, 24 * HOUR, 0), "3d": (86400, 72 * HOUR, 0),
    "1w": (86400, 168 * HOUR, MONDAY_MS),
}  # fmt: skip
KLINES_OF_UNIT: dict[int, tuple[str, ...]] = {
    u: tuple(i for i, spec in KLINES.items() if spec[0] == u)
    for u in {s[0] for s in KLINES.values()}
}
# A well-formed stream name (an upper-case symbol is well-formed, it just names no stream:
# Binance's stream names use lower-case symbols).
STREAM_RE = re.compile(r"^[A-Za-z0-9]+@[A-Za-z0-9_@:+\-.]+$|^![A-Za-z0-9_@:+\-.]+$")
ID_RE = re.compile(r"^[A-Za-z0-9]{1,36}$")
METHODS = ("SUBSCRIBE", "UNSUBSCRIBE", "LIST_SUBSCRIPTIONS", "SET_PROPERTY", "GET_PROPERTY")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _dumps(obj: Any) -> bytes:
    return orjson.dumps(obj)


class _Conn:
    __slots__ = ("closing", "combined", "depth_pushes", "frames", "last_pong", "peer", "streams")

    def __init__(self, peer: Peer, combined: bool, now: float) -> None:
        self.peer = peer
        self.combined = combined
        self.streams: dict[str, None] = {}  # in subscription order
        self.frames: deque[float] = deque()  # receive times within the last second
        self.depth_pushes: dict[str, int] = {}  # stream -> diff-depth pushes (fault counter)
        self.last_pong = now
        self.closing = False


class RestError(Exception):
    def __init__(self, code: int, msg: str, status: int = 400) -> None:
        super().__init__(msg)
        self.code = code
        self.msg = msg
        self.status = status


class BinanceVenue(SocketVenue[str, _Conn]):
    """Registers Binance's USDT pairs with the market process and serves them."""

    name = NAME

    def __init__(self, ctx: SimContext, bases: tuple[str, ...] = BASES) -> None:
        super().__init__(ctx)
        self.pairs, self._by_listing = list_pairs(ctx.market, NAME, bases, "{base}{quote}")
        self._lower = {s.lower(): p for s, p in self.pairs.items()}
        self._ticker_ms: dict[str, int] = {}
        self._ticker_due: set[str] = set()
        self._bbo: dict[str, tuple[str, str, str, str]] = {}
        self._partial: dict[str, tuple[Pair, int, int]] = {}  # stream -> pair, levels, ms
        self._partial_ms: dict[str, int] = {}  # stream -> market time of its last push
        self._connects = RateWindow(*CONNECTS)
        self._weights: dict[str, deque[tuple[float, int]]] = {}
        self.ping_interval = PING_INTERVAL
        self.pong_timeout = PONG_TIMEOUT
        self.weight_limit = WEIGHT_PER_MIN

    # -- wiring
    def app(self) -> web.Application:
        app = web.Application()
        r = app.router
        r.add_get("/ws", self._ws_raw)
        r.add_get("/ws/{streams:.+}", self._ws_raw)
        r.add_get("/stream", self._ws_combined)
        for path, weight, handler in (
            ("ping", 1, self._get_ping),
            ("time", 1, self._get_time),
            ("exchangeInfo", 20, self._get_exchange_info),
            ("ticker/24hr", 0, self._get_ticker),
            ("depth", 0, self._get_depth),
            ("trades", 25, self._get_trades),
            ("aggTrades", 4, self._get_agg_trades),
            ("klines", 2, self._get_klines),
        ):
            r.add_get(f"/api/v3/{path}", self._weighted(weight, handler))
        return app

    def endpoints(self, http_root: str, ws_root: str) -> dict[str, str]:
        # As Binance's own bases: clients add /ws, /ws/<stream> or /stream?streams=...
        return {"ws": ws_root, "rest": http_root}

    # -- market data
    def dispatch(self, step: StepResult) -> None:
        mine = self._by_listing
        for t in step.trades:
            pair = mine.get(t.listing)
            if pair is not None:
                pair.trade_id += 1
                if self._subs:
                    self._push_trade(pair, t, pair.trade_id)
        subs = self._subs
        if not subs:
            return
        now = step.now_ms
        for lst in step.tickers:
            pair = mine.get(lst)
            if pair is not None:
                self._ticker_due.add(pair.symbol)
        for lst in step.books:
            pair = mine.get(lst)
            if pair is None:
                continue
            low = pair.symbol.lower()
            if (
                f"{low}@depth" in subs
                or f"{low}@depth@100ms" in subs
                or f"{low}@bookTicker" in subs
            ):
                pair.depth.sync(pair, FMT, ZERO)
            if f"{low}@bookTicker" in subs:
                self._push_bbo(pair)
        for pair in self.pairs.values():
            if pair.depth.pending:
                self._push_depth(pair, now)
        if self._partial:
            self._push_partial(now)
        for sym in list(self._ticker_due):
            if now - self._ticker_ms.get(sym, 0) < TICKER_MS:
                continue
            self._ticker_due.discard(sym)
            self._ticker_ms[sym] = now
            for stream, event in (
                ("ticker", self._ticker_event),
                ("miniTicker", self._mini_ticker),
            ):
                name = f"{sym.lower()}@{stream}"
                conns = subs.get(name)
                if conns:
                    self._fan(name, conns, event(self.pairs[sym], now))
        if step.candles:
            self._push_klines(step, now)

    def _fan(self, stream: str, conns: dict[_Conn, None], data: dict[str, Any]) -> None:
        raw = wrapped = None
        for c in conns:
            if c.combined:
                if wrapped is None:
                    wrapped = _dumps({"stream": stream, "data": data})
                c.peer.send_data(wrapped)
            else:
                if raw is None:
                    raw = _dumps(data)
                c.peer.send_data(raw)

    def _push_trade(self, pair: Pair, t: Trade, trade_id: int) -> None:
        low = pair.symbol.lower()
        now = int(self.ctx.market.now_ms)
        conns = self._subs.get(f"{low}@trade")
        if conns:
            data = {
                "e": "trade", "E": now, "s": pair.symbol, "t": trade_id, "p": fixed8(t.price),
                "q": fixed8(t.size), "T": t.ts, "m": t.side == "sell", "M": True,
            }  # fmt: skip
            self._fan(f"{low}@trade", conns, data)
        conns = self._subs.get(f"{low}@aggTrade")
        if conns:
            data = {
                "e": "aggTrade", "E": now, "s": pair.symbol, "a": trade_id - AGG_ID_OFFSET,
                "p": fixed8(t.price), "q": fixed8(t.size), "f": trade_id, "l": trade_id,
                "T": t.ts, "m": t.side == "sell", "M": True,
            }  # fmt: skip
            self._fan(f"{low}@aggTrade", conns, data)

    def _push_bbo(self, pair: Pair) -> None:
        book = pair.depth
        if not book.bids or not book.asks:
            return
        top = (*book.bids[0], *book.asks[0])
        if self._bbo.get(pair.symbol) == top:
            return
        self._bbo[pair.symbol] = top
        stream = f"{pair.symbol.lower()}@bookTicker"
        data = {
            "u": book.last_id, "s": pair.symbol, "b": top[0], "B": top[1], "a": top[2],
            "A": top[3],
        }  # fmt: skip
        self._fan(stream, self._subs[stream], data)

    def _push_depth(self, pair: Pair, now: int) -> None:
        book = pair.depth
        low = pair.symbol.lower()
        skip = self.ctx.faults.skip_seq_every or 0
        for speed, pend in list(book.pending.items()):
            stream = f"{low}@{speed}"
            conns = self._subs.get(stream)
            if not conns:
                del book.pending[speed]
                continue
            if not pend.first or now - pend.last_push < DEPTH_SPEEDS[speed]:
                continue
            pend.last_push = now
            first, bids, asks = pend.take()
            data = {
                "e": "depthUpdate", "E": now, "s": pair.symbol, "U": first,
                "u": book.last_id, "b": bids, "a": asks,
            }  # fmt: skip
            raw = wrapped = None
            for c in conns:
                n = c.depth_pushes.get(stream, 0) + 1
                c.depth_pushes[stream] = n
                if skip and n % skip == 0:
                    continue  # withheld: the next push starts past a gap
                if c.combined:
                    wrapped = wrapped or _dumps({"stream": stream, "data": data})
                    c.peer.send_data(wrapped)
                else:
                    raw = raw or _dumps(data)
                    c.peer.send_data(raw)

    def _push_partial(self, now: int) -> None:
        """Partial book depth: the top levels every 1 s / 100 ms, ``lastUpdateId`` from the
        same ids as the diff stream; no event type and no symbol, as on Binance."""
        for stream, (pair, levels, ms) in self._partial.items():
            if now - self._partial_ms.get(stream, 0) < ms:
                continue
            conns = self._subs.get(stream)
            if not conns:
                continue
            self._partial_ms[stream] = now
            self._fan(stream, conns, _depth(pair, levels))

    def _ticker_event(self, pair: Pair, now: int) -> dict[str, Any]:
        r = self._ticker_row(pair, now)
        return {
            "e": "24hrTicker", "E": now, "s": pair.symbol, "p": r["priceChange"],
            "P": r["priceChangePercent"], "w": r["weightedAvgPrice"], "x": r["prevClosePrice"],
            "c": r["lastPrice"], "Q": r["lastQty"], "b": r["bidPrice"], "B": r["bidQty"],
            "a": r["askPrice"], "A": r["askQty"], "o": r["openPrice"], "h": r["highPrice"],
            "l": r["lowPrice"], "v": r["volume"], "q": r["quoteVolume"], "O": r["openTime"],
            "C": r["closeTime"], "F": r["firstId"], "L": r["lastId"], "n": r["count"],
        }  # fmt: skip

    def _mini_ticker(self, pair: Pair, now: int) -> dict[str, Any]:
        r = self._ticker_row(pair, now)
        return {
            "e": "24hrMiniTicker", "E": now, "s": pair.symbol, "c": r["lastPrice"],
            "o": r["openPrice"], "h": r["highPrice"], "l": r["lowPrice"], "v": r["volume"],
            "q": r["quoteVolume"],
        }  # fmt: skip

    def _ticker_row(self, pair: Pair, now: int) -> dict[str, Any]:
        lst = pair.listing
        assert lst is not None
        open_, high, low = lst.range_24h(now)
        vol, amount = lst.rolling_24h(now)
        last = lst.last
        ask, ask_sz, bid, bid_sz = lst.best()
        change = last - open_
        count = pair.estimate_trades(vol, last)
        return {
            "symbol": pair.symbol, "priceChange": fixed8(change),
            "priceChangePercent": f"{(change / open_ * 100 if open_ else 0.0):.3f}",
            "weightedAvgPrice": fixed8(amount / vol if vol > 0 else last),
            "prevClosePrice": fixed8(open_), "lastPrice": fixed8(last),
            "lastQty": fixed8(lst.last_size), "bidPrice": fixed8(bid), "bidQty": fixed8(bid_sz),
            "askPrice": fixed8(ask), "askQty": fixed8(ask_sz), "openPrice": fixed8(open_),
            "highPrice": fixed8(max(high, last)), "lowPrice": fixed8(min(low, last)),
            "volume": fixed8(vol), "quoteVolume": fixed8(amount), "openTime": now - 86_400_000,
            "closeTime": now, "firstId": pair.trade_id - count + 1 if count else -1,
            "lastId": pair.trade_id if count else -1, "count": count,
        }  # fmt: skip

    def _kline(self, pair: Pair, interval: str, b: Bar, now: int) -> dict[str, Any]:
        _, length, _ = KLINES[interval]
        start, o, h, lo, c, vol, amount = b
        n = pair.estimate_trades(vol, c)
        closed = start + length <= now
        last_id = pair.trade_id if not closed else pair.trade_id - 1
        return {
            "t": start, "T": start + length - 1, "s": pair.symbol, "i": interval,
            "f": last_id - n + 1 if n else -1, "L": last_id if n else -1, "o": fixed8(o),
            "c": fixed8(c), "h": fixed8(h), "l": fixed8(lo), "v": fixed8(vol), "n": n,
            "x": closed, "q": fixed8(amount), "V": fixed8(vol / 2), "Q": fixed8(amount / 2),
            "B": "0",
        }  # fmt: skip

    def _push_klines(self, step: StepResult, now: int) -> None:
        done: set[tuple[str, str, int]] = set()
        for lst, unit, c in step.candles:
            pair = self._by_listing.get(lst)
            if pair is None:
                continue
            low = pair.symbol.lower()
            for interval in KLINES_OF_UNIT.get(unit, ()):
                stream = f"{low}@kline_{interval}"
                conns = self._subs.get(stream)
                if not conns:
                    continue
                _, length, offset = KLINES[interval]
                start = period_start(c.start, length, offset)
                if (stream, interval, start) in done:
                    continue
                done.add((stream, interval, start))
                found = fold_bars(lst, unit, length, offset, start + length, 1)
                if not found or found[0][0] != start:
                    continue
                data = {
                    "e": "kline", "E": now, "s": pair.symbol,
                    "k": self._kline(pair, interval, found[0], now),
                }  # fmt: skip
                self._fan(stream, conns, data)

    # -- WebSocket
    async def _ws_raw(self, request: web.Request) -> web.StreamResponse:
        tail = request.match_info.get("streams", "")
        # A segment that names no stream at all (ccxt.pro opens ``/ws/0``, ``/ws/1``... and
        # then subscribes, which works on Binance) opens a connection without streams.
        names = [s for s in tail.split("/") if s and ("@" in s or s.startswith("!"))]
        return await self._ws(request, names, combined=False)

    async def _ws_combined(self, request: web.Request) -> web.StreamResponse:
        query = request.query.get("streams", "")
        return await self._ws(request, [s for s in query.split("/") if s], combined=True)

    async def _ws(
        self, request: web.Request, streams: list[str], combined: bool
    ) -> web.StreamResponse:
        ctx = self.ctx
        loop = asyncio.get_running_loop()
        over = ctx.rate_limits and self._connects.hit(request.remote or "", loop.time()) is None
        if ctx.faults.refuse_rate_limit or over:
            return _error_response(
                429, -1003, "Too many requests; IP banned for connection attempts."
            )
        bad = [s for s in streams if not STREAM_RE.match(s)]
        if bad or len(streams) > MAX_STREAMS:
            return _error_response(400, -1100, "Invalid stream name or too many streams.")
        return await serve_socket(
            request,
            ctx,
            ctx.idle_timeout,
            open_conn=lambda peer: self._open(peer, combined, streams),
            on_message=self._on_message,
            close_conn=self._forget,
            muted=lambda c: c.closing,
            wrap=TextSocket,
            on_frame=self._on_frame,
        )

    def _open(self, peer: Peer, combined: bool, streams: list[str]) -> _Conn:
        conn = _Conn(peer, combined, asyncio.get_running_loop().time())
        self._conns.add(conn)
        for s in streams:
            self._add(conn, s)
        self._tasks.spawn(self._pinger(conn))
        return conn

    async def _pinger(self, conn: _Conn) -> None:
        """Ping every ``ping_interval``; no pong for ``pong_timeout``: close."""
        loop = asyncio.get_running_loop()
        while not conn.peer.closed:
            await asyncio.sleep(self.ping_interval)
            if conn.peer.closed:
                return
            if loop.time() - conn.last_pong > self.pong_timeout:
                conn.closing = True
                await conn.peer.close(1008)
                return
            if not self.ctx.faults.stall:
                with contextlib.suppress(Exception):
                    await conn.peer.ws.ping(str(int(time.time() * 1000)).encode())

    def _on_frame(self, conn: _Conn, kind: WSMsgType) -> None:
        now = asyncio.get_running_loop().time()
        if kind is WSMsgType.PONG:
            conn.last_pong = now
        if not self.ctx.rate_limits:
            return
        q = conn.frames
        q.append(now)
        while q and q[0] <= now - 1.0:
            q.popleft()
        if len(q) > MESSAGES_PER_S:
            self._close(conn, 1008)

    def _close(self, conn: _Conn, code: int) -> None:
        if not conn.closing:
            conn.closing = True
            self._tasks.spawn(conn.peer.close(code))

    def _forget(self, conn: _Conn) -> None:
        for stream in conn.streams:
            self._unindex(conn, stream)
        conn.streams.clear()
        self._conns.discard(conn)

    def _add(self, conn: _Conn, stream: str) -> None:
        conn.streams[stream] = None
        self._subs.setdefault(stream, {})[conn] = None
        sym, _, kind = stream.partition("@")
        pair = self._lower.get(sym)
        if pair is None:
            return
        if kind in DEPTH_SPEEDS:
            book = pair.depth
            book.sync(pair, FMT, ZERO)
            book.pending.setdefault(kind, Pending())
        elif kind == "bookTicker":
            pair.depth.sync(pair, FMT, ZERO)
            self._bbo.pop(pair.symbol, None)
        elif kind in PARTIAL:
            self._partial[stream] = (pair, *PARTIAL[kind])

    def _unindex(self, conn: _Conn, stream: str) -> None:
        if self._drop_sub(conn, stream):
            self._partial.pop(stream, None)
            self._partial_ms.pop(stream, None)

    def _reply(self, conn: _Conn, body: dict[str, Any]) -> None:
        conn.peer.send_control(_dumps(body))

    def _error(self, conn: _Conn, rid: Any, code: int, msg: str, with_id: bool = True) -> None:
        body: dict[str, Any] = {"error": {"code": code, "msg": msg}}
        if with_id:
            body["id"] = rid
        self._reply(conn, body)

    def _on_message(self, conn: _Conn, text: str) -> None:
        ctx = self.ctx
        ctx.subscriptions_received += 1
        if ctx.faults.refuse_rate_limit:
            self._close(conn, 1008)  # Binance's answer to a client over its limits
            return
        try:
            req = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            self._error(conn, None, 3, f"Invalid JSON: {exc}", with_id=False)
            return
        if not isinstance(req, dict):
            self._error(conn, None, 2, "Invalid request: expected a JSON object", with_id=False)
            return
        rid = req.get("id")
        if not (
            rid is None
            or (isinstance(rid, int) and not isinstance(rid, bool) and -(2**63) <= rid < 2**63)
            or (isinstance(rid, str) and ID_RE.match(rid))
        ):
            self._error(conn, None, 2, "Invalid request: request ID must be an unsigned integer")
            return
        method = req.get("method")
        if method is None:
            self._error(conn, rid, 2, "Invalid request: missing field `method`")
            return
        if method not in METHODS:
            expected = ", ".join(f"`{m}`" for m in METHODS)
            self._error(
                conn,
                rid,
                2,
                f"Invalid request: unknown variant `{method}`, expected one of {expected}",
            )
            return
        params = req.get("params", [])
        if not isinstance(params, list) or (
            method in ("SUBSCRIBE", "UNSUBSCRIBE") and not all(isinstance(p, str) for p in params)
        ):
            self._error(conn, rid, 2, "Invalid request: property name must be a string")
            return
        if method == "LIST_SUBSCRIPTIONS":
            self._reply(conn, {"result": list(conn.streams), "id": rid})
        elif method in ("SET_PROPERTY", "GET_PROPERTY"):
            self._property(conn, rid, method, req.get("params", []))
        elif method == "SUBSCRIBE":
            if not params:
                self._error(conn, rid, 2, "Invalid request: missing field `params`")
                return
            if any(not STREAM_RE.match(p) for p in params):
                self._error(conn, rid, 2, "Invalid request: invalid stream")
                self._close(conn, 1008)
                return
            new = [p for p in dict.fromkeys(params) if p not in conn.streams]
            if len(conn.streams) + len(new) > MAX_STREAMS:
                self._error(
                    conn, rid, 2, f"Invalid request: too many streams (at most {MAX_STREAMS})"
                )
                return
            for p in new:
                self._add(conn, p)
            self._reply(conn, {"result": None, "id": rid})
        else:  # UNSUBSCRIBE
            for p in params:
                if p in conn.streams:
                    del conn.streams[p]
                    self._unindex(conn, p)
            self._reply(conn, {"result": None, "id": rid})

    def _property(self, conn: _Conn, rid: Any, method: str, params: list[Any]) -> None:
        if not params or params[0] != "combined":
            self._error(conn, rid, 0, "Unknown property")
            return
        if method == "GET_PROPERTY":
            self._reply(conn, {"result": conn.combined, "id": rid})
            return
        if len(params) != 2 or not isinstance(params[1], bool):
            self._error(conn, rid, 1, "Invalid value type: expected Boolean")
            return
        conn.combined = params[1]
        self._reply(conn, {"result": None, "id": rid})

    # -- REST
    def _weighted(self, weight: int, handler: Handler) -> Handler:
        async def weighted(request: web.Request) -> web.StreamResponse:
            w = weight or _dynamic_weight(request)
            key = request.remote or ""
            now = time.monotonic()
            q = self._weights.setdefault(key, deque())
            while q and q[0][0] <= now - 60.0:
                q.popleft()
            used = sum(x for _, x in q)
            if self.ctx.faults.refuse_rate_limit or (
                self.ctx.rate_limits and used + w > self.weight_limit
            ):
                retry = max(1, int(q[0][0] + 60.0 - now) + 1) if q else 60
                resp = _error_response(
                    429,
                    -1003,
                    f"Too much request weight used; current limit is {self.weight_limit} "
                    "request weight per 1 MINUTE. Please use WebSocket Streams for live "
                    "updates to avoid polling the API.",
                )
                resp.headers["Retry-After"] = str(retry)
                resp.headers["X-MBX-USED-WEIGHT-1M"] = str(used)
                return resp
            q.append((now, w))
            out: web.StreamResponse
            try:
                out = await handler(request)
            except RestError as err:
                out = _error_response(err.status, err.code, err.msg)
            out.headers["X-MBX-USED-WEIGHT-1M"] = str(used + w)
            return out

        return weighted

    def _symbol(self, request: web.Request) -> Pair:
        sym = request.query.get("symbol", "")
        if not sym:
            raise RestError(
                -1102, "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed."
            )
        pair = self.pairs.get(sym)
        if pair is None:
            raise RestError(-1121, "Invalid symbol.")
        return pair

    def _symbols(self, request: web.Request) -> list[Pair] | None:
        raw = request.query.get("symbols")
        if raw is None:
            return None
        try:
            names = orjson.loads(raw)
        except orjson.JSONDecodeError:
            names = None
        if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
            raise RestError(-1100, "Illegal characters found in parameter 'symbols'.")
        out = []
        for n in names:
            if n not in self.pairs:
                raise RestError(-1121, "Invalid symbol.")
            out.append(self.pairs[n])
        return out

    async def _get_ping(self, request: web.Request) -> web.StreamResponse:
        return _json({})

    async def _get_time(self, request: web.Request) -> web.StreamResponse:
        return _json({"serverTime": int(time.time() * 1000)})

    async def _get_exchange_info(self, request: web.Request) -> web.StreamResponse:
        pairs = list(self.pairs.values())
        if "symbol" in request.query:
            pairs = [self._symbol(request)]
        elif (chosen := self._symbols(request)) is not None:
            pairs = chosen
        body = {
            "timezone": "UTC", "serverTime": int(time.time() * 1000),
            "rateLimits": [
                {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1,
                 "limit": self.weight_limit},
                {"rateLimitType": "RAW_REQUESTS", "interval": "MINUTE", "intervalNum": 5,
                 "limit": 61000},
            ],
            "exchangeFilters": [], "symbols": [_symbol_info(p) for p in pairs],
        }  # fmt: skip
        return _json(body)

    async def _get_ticker(self, request: web.Request) -> web.StreamResponse:
        now = int(self.ctx.market.now_ms)
        if "symbol" in request.query:
            return _json(self._ticker_row(self._symbol(request), now))
        chosen = self._symbols(request)
        pairs = list(self.pairs.values()) if chosen is None else chosen
        return _json([self._ticker_row(p, now) for p in pairs])

    async def _get_depth(self, request: web.Request) -> web.StreamResponse:
        pair = self._symbol(request)
        return _json(_depth(pair, _limit(request, 100, 5000)))

    async def _get_trades(self, request: web.Request) -> web.StreamResponse:
        pair = self._symbol(request)
        limit = _limit(request, 500, 1000)
        assert pair.listing is not None
        found = pair.listing.recent_trades(limit)  # newest first
        rows = [
            {
                "id": pair.trade_id - i, "price": fixed8(t.price), "qty": fixed8(t.size),
                "quoteQty": fixed8(t.price * t.size), "time": t.ts,
                "isBuyerMaker": t.side == "sell", "isBestMatch": True,
            }
            for i, t in enumerate(found)
        ]  # fmt: skip
        rows.reverse()  # oldest first, as Binance lists them
        return _json(rows)

    async def _get_agg_trades(self, request: web.Request) -> web.StreamResponse:
        """Compressed trades (one trade per aggregate, as on the stream), oldest first:
        the newest ``limit``, those from aggregate id ``fromId`` on, or those between
        ``startTime`` and ``endTime`` (inclusive, at most an hour apart)."""
        pair = self._symbol(request)
        q = request.query
        limit = _limit(request, 500, 1000)
        from_id = _opt_int(q.get("fromId"), "fromId")
        start = _opt_int(q.get("startTime"), "startTime")
        end = _opt_int(q.get("endTime"), "endTime")
        if start is not None and end is not None and not 0 <= end - start <= HOUR:
            raise RestError(-1127, "More than 1 hours between startTime and endTime.")
        assert pair.listing is not None
        last_agg = pair.trade_id - AGG_ID_OFFSET
        if from_id is not None:
            span = max(0, last_agg - from_id + 1)
            newest = pair.listing.recent_trades(min(span, AGG_LOOKBACK))
        else:
            newest = pair.listing.recent_trades(AGG_LOOKBACK if start or end else limit)
        rows = [
            {
                "a": last_agg - i, "p": fixed8(t.price), "q": fixed8(t.size),
                "f": pair.trade_id - i, "l": pair.trade_id - i, "T": t.ts,
                "m": t.side == "sell", "M": True,
            }
            for i, t in enumerate(newest)
            if (start is None or t.ts >= start) and (end is None or t.ts <= end)
        ]  # fmt: skip
        rows.reverse()
        # From an id or a time the oldest ``limit`` count, otherwise the newest.
        return _json(rows[:limit] if from_id is not None or start is not None else rows[-limit:])

    async def _get_klines(self, request: web.Request) -> web.StreamResponse:
        pair = self._symbol(request)
        q = request.query
        interval = q.get("interval", "")
        if not interval:
            raise RestError(
                -1102, "Mandatory parameter 'interval' was not sent, was empty/null, or malformed."
            )
        if interval not in KLINES:
            raise RestError(-1120, "Invalid interval.")
        limit = _limit(request, 500, 1000)
        start = _opt_int(q.get("startTime"), "startTime")
        end = _opt_int(q.get("endTime"), "endTime")
        unit, length, offset = KLINES[interval]
        now = int(self.ctx.market.now_ms)
        assert pair.listing is not None
        to_ms = None if end is None else end + 1
        if start is not None and end is None:
            # From startTime forwards: enough bars back from now to reach it.
            span = (now - start) // length + 2
            bars = fold_bars(pair.listing, unit, length, offset, None, min(span, 3000))
        else:
            bars = fold_bars(
                pair.listing, unit, length, offset, to_ms, limit if start is None else 3000
            )
        bars = [
            b for b in bars if (start is None or b[0] >= start) and (end is None or b[0] <= end)
        ]
        bars.reverse()  # oldest first
        bars = bars[:limit] if start is not None else bars[-limit:]
        rows = []
        for b in bars:
            k = self._kline(pair, interval, b, now)
            rows.append(
                [k["t"], k["o"], k["h"], k["l"], k["c"], k["v"], k["T"], k["q"], k["n"], k["V"],
                 k["Q"], "0"]
            )  # fmt: skip
        return _json(rows)


def _dynamic_weight(request: web.Request) -> int:
    path = request.path
    if path.endswith("/depth"):
        try:
            limit = int(request.query.get("limit", "100"))
        except ValueError:
            limit = 100
        return 5 if limit <= 100 else 25 if limit <= 500 else 50 if limit <= 1000 else 250
    # ticker/24hr
    q = request.query
    if "symbol" in q:
        return 2
    raw = q.get("symbols")
    if raw is None:
        return 80
    n = raw.count(",") + 1
    return 2 if n <= 20 else 40 if n <= 100 else 80


def _symbol_info(p: Pair) -> dict[str, Any]:
    return {
        "symbol": p.symbol, "status": "TRADING", "baseAsset": p.base, "baseAssetPrecision": 8,
        "quoteAsset": QUOTE, "quotePrecision": 8, "quoteAssetPrecision": 8,
        "baseCommissionPrecision": 8, "quoteCommissionPrecision": 8,
        "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"],
        "icebergAllowed": True, "ocoAllowed": True, "otoAllowed": True,
        "quoteOrderQtyMarketAllowed": True, "allowTrailingStop": True, "cancelReplaceAllowed": True,
        "isSpotTradingAllowed": True, "isMarginTradingAllowed": True,
        "filters": [
            {"filterType": "PRICE_FILTER", "minPrice": fixed8(p.tick),
             "maxPrice": "1000000.00000000", "tickSize": fixed8(p.tick)},
            {"filterType": "LOT_SIZE", "minQty": fixed8(p.step), "maxQty": "9000000.00000000",
             "stepSize": fixed8(p.step)},
            {"filterType": "ICEBERG_PARTS", "limit": 10},
            {"filterType": "MARKET_LOT_SIZE", "minQty": "0.00000000", "maxQty": "1000000.00000000",
             "stepSize": "0.00000000"},
            {"filterType": "NOTIONAL", "minNotional": "5.00000000", "applyMinToMarket": True,
             "maxNotional": "9000000.00000000", "applyMaxToMarket": False, "avgPriceMins": 5},
            {"filterType": "MAX_NUM_ORDERS", "maxNumOrders": 200},
        ],
        "permissions": [], "permissionSets": [["SPOT", "MARGIN"]],
        "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
        "allowedSelfTradePreventionModes": ["EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"],
    }  # fmt: skip


def _limit(request: web.Request, default: int, cap: int) -> int:
    raw = request.query.get("limit")
    if raw is None or raw == "":
        return default
    if not raw.isdigit():
        raise RestError(
            -1100, "Illegal characters found in parameter 'limit'; legal range is '^[0-9]{1,20}$'."
        )
    return max(1, min(int(raw), cap))


def _opt_int(raw: str | None, name: str) -> int | None:
    if raw is None or raw == "":
        return None
    if not raw.isdigit():
        raise RestError(
            -1100,
            f"Illegal characters found in parameter '{name}'; legal range is '^[0-9]{{1,20}}$'.",
        )
    return int(raw)


def _depth(pair: Pair, levels: int) -> dict[str, Any]:
    """The top ``levels`` of the pair's book brought up to date: a partial-depth push and a
    REST depth answer alike, with the ids the diff stream continues from."""
    book = pair.depth
    book.sync(pair, FMT, ZERO)
    return {
        "lastUpdateId": book.last_id,
        "bids": [list(lv) for lv in book.bids[:levels]],
        "asks": [list(lv) for lv in book.asks[:levels]],
    }


def _json(body: Any, status: int = 200) -> web.Response:
    return web.Response(body=_dumps(body), status=status, content_type="application/json")


def _error_response(status: int, code: int, msg: str) -> web.Response:
    return _json({"code": code, "msg": msg}, status)


__all__ = ["BinanceVenue"]
