"""Gate.io API v4 spot public market data, simulated: WebSocket and REST, under ``/gateio``.

Written from the protocol reference (``docs/exchanges.md`` section 4) and the recorded real
frames, never from the client codec (design rule 7). What a client meets:

* ``/gateio/ws/v4/``: requests ``{"time":s,"id":N,"channel":..,"event":"subscribe"|
  "unsubscribe","payload":[..]}``; ``time`` is required (an integer) and must be within 60 s
  of the server clock. Answered ``{"time","time_ms","id","conn_id","trace_id","channel",
  "event","payload","error":null,"result":{"status":"success"}}`` (``id`` only when the
  request had one); errors carry ``"error":{"code":..,"message":..}`` and ``"result":
  {"status":"fail"}``: 1 unreadable request (not JSON, or fields of the wrong type), 2
  invalid argument (unknown channel, pair or interval, ``time`` too far off). A request
  with one bad pair subscribes none of its pairs. Subscriptions add.
* Channels: ``spot.tickers`` (pairs; at most once a second when changed), ``spot.trades``
  (pairs; one trade per push, ``side`` = taker's), ``spot.candlesticks`` (``[interval,
  pair]``, intervals ``10s 1m 5m 15m 30m 1h 4h 8h 1d 7d``, ``t`` in seconds; weeks from
  Monday, an assumption), ``spot.book_ticker`` (pairs), ``spot.order_book_update``
  (``[pair, "100ms"]``: the first push is the whole book with ``"full": true``, then deltas
  every 100 ms whose ``U``/``u`` update ids continue REST ``order_book?with_id=true``'s
  ``id``; a removed level has amount ``"0"``; other intervals are refused), ``spot.obu``
  (order book V2, ``["ob.<pair>.50"]`` or ``.400``, what ccxt.pro watches: a ``full`` book,
  then the changes ``{t, s, U, u, b, a}``; a second subscription of a stream on the same
  connection is refused with code 2), ``spot.ping`` ->
  ``spot.pong``. Updates ``{"time","time_ms","channel","event":"update","result":{..}}``.
  Prices and amounts are strings on the pair's grid, trailing zeros dropped.
* REST under ``/gateio/api/v4/spot/``: ``currency_pairs`` (and ``currency_pairs/{pair}``),
  ``currencies``, ``tickers``, ``order_book`` (default 10 levels; ``with_id=true`` adds
  ``id``), ``trades`` (newest first), ``candlesticks`` (rows ``[t, quote volume, close, high,
  low, open, base volume, closed]``, oldest first); ``/gateio/api/v4/margin/currency_pairs``
  (the majors, 10x). 200 requests per 10 s per endpoint and address, then HTTP 429
  ``{"label":"TOO_MANY_REQUESTS",..}``; the ``X-Gate-RateLimit-*`` headers on every answer.
  Errors ``{"label":..,"message":..}`` with a 4xx status.

Fault switches: the generic ones (faults.py); ``skip_seq_every = N`` withholds every Nth
``spot.order_book_update`` delta of a pair from a connection, so the next one starts past a
gap in the update ids.
"""

from __future__ import annotations

import itertools
import time
import zlib
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import orjson
from aiohttp import web

from dantaro_tui.sim.faults import Peer, RateWindow
from dantaro_tui.sim.market import MAJORS, StepResult, Trade
from dantaro_tui.sim.spot_wire import (
    BASES,
    MONDAY_MS,
    QUOTE,
    Bar,
    Pair,
    Pending,
    fold_bars,
    list_pairs,
    period_start,
    plain,
)
from dantaro_tui.sim.venue_base import SocketVenue, json_object, query_int
from dantaro_tui.sim.wsloop import TextSocket, serve_socket

if TYPE_CHECKING:
    from dantaro_tui.sim.server import SimContext

NAME = "gateio"
FMT = "plain"
ZERO = "0"
WS_PATH = "/ws/v4/"
TIME_SKEW_S = 60
TICKER_MS = 1000
BOOK_MS = 100
BOOK_LEVELS = 100
REST_LIMIT = (200, 10.0)  # requests per endpoint and address

HOUR = 3_600_000
# interval -> (market candle unit in seconds, length in ms, alignment offset in ms)
INTERVALS: dict[str, tuple[int, int, int]] = {
    "10s": (1, 10_000, 0), "1m": (60, 60_000, 0), "5m": (300, 300_000, 0),
    "15m": (900, 900_000, 0), "30m": (1800, 1_800_000, 0), "1h": (3600, HOUR, 0),
    "4h": (14400, 4 * HOUR, 0), "8h": (14400, 8 * HOUR, 0), "1d": (86400, 24 * HOUR, 0),
    "7d": (86400, 168 * HOUR, MONDAY_MS),
}  # fmt: skip
REST_INTERVALS = {"1s": (1, 1000, 0), **INTERVALS}
INTERVALS_OF_UNIT: dict[int, tuple[str, ...]] = {
    u: tuple(i for i, spec in INTERVALS.items() if spec[0] == u)
    for u in {s[0] for s in INTERVALS.values()}
}
PAIR_CHANNELS = frozenset({"spot.tickers", "spot.trades", "spot.book_ticker"})
CHANNELS = frozenset({*PAIR_CHANNELS, "spot.candlesticks", "spot.order_book_update", "spot.obu"})
OBU = "obu"  # the pending-changes key of the order book V2 streams
OBU_LEVELS = ("50", "400")  # ``ob.<pair>.<levels>``: 50 levels every 20 ms, 400 every 100 ms

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _dumps(obj: Any) -> bytes:
    return orjson.dumps(obj)


class _Conn:
    __slots__ = ("book_pushes", "conn_id", "peer", "subs")

    def __init__(self, peer: Peer, conn_id: str) -> None:
        self.peer = peer
        self.conn_id = conn_id
        self.subs: set[tuple[str, str]] = set()  # (channel, pair or "interval_pair")
        self.book_pushes: dict[str, int] = {}  # pair -> deltas (fault counter)


class ReqError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class RestError(Exception):
    def __init__(self, label: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.label = label
        self.message = message
        self.status = status


def _now_s() -> float:
    return time.time()


class GateioVenue(SocketVenue[tuple[str, str], _Conn]):
    """Registers Gate.io's USDT pairs with the market process and serves them."""

    name = NAME

    def __init__(self, ctx: SimContext, bases: tuple[str, ...] = BASES) -> None:
        super().__init__(ctx)
        market = ctx.market
        # A quieter venue than Binance: 0.6 of the shared trade rates (Binance's are 1).
        self.pairs, self._by_listing = list_pairs(market, NAME, bases, "{base}_{quote}", 0.6)
        self._global_id = {
            s: (zlib.crc32(f"{market.seed}:{s}".encode()) % 1000) * 10**9 for s in self.pairs
        }
        self._ticker_ms: dict[str, int] = {}
        self._ticker_due: set[str] = set()
        self._bbo: dict[str, tuple[str, str, str, str]] = {}
        self._rest: dict[str, RateWindow] = {}
        self._conn_ids = itertools.count(1)
        self._traces = itertools.count(1)
        self.clock: Callable[[], float] = _now_s  # the server clock requests are checked against

    # -- wiring
    def app(self) -> web.Application:
        app = web.Application()
        r = app.router
        r.add_get(WS_PATH, self._ws)
        r.add_get(WS_PATH.rstrip("/"), self._ws)
        for path, handler in (
            ("currency_pairs", self._get_pairs),
            ("currency_pairs/{pair}", self._get_pair),
            ("tickers", self._get_tickers),
            ("order_book", self._get_order_book),
            ("trades", self._get_trades),
            ("candlesticks", self._get_candles),
            ("currencies", self._get_currencies),
        ):
            r.add_get(f"/api/v4/spot/{path}", self._limited(path.split("/")[0], handler))
        # ccxt's gate reads the margin pairs beside the spot ones when it loads markets.
        r.add_get("/api/v4/margin/currency_pairs", self._limited("margin", self._get_margin))
        return app

    def endpoints(self, http_root: str, ws_root: str) -> dict[str, str]:
        # As Gate.io's own: the full WebSocket URL, the REST host (paths carry /api/v4).
        return {"ws": f"{ws_root}{WS_PATH}", "rest": http_root}

    # -- market data
    def _update(self, channel: str, result: dict[str, Any], now_ms: int) -> bytes:
        return _dumps(
            {
                "time": now_ms // 1000,
                "time_ms": now_ms,
                "channel": channel,
                "event": "update",
                "result": result,
            }
        )

    def dispatch(self, step: StepResult) -> None:
        mine = self._by_listing
        for t in step.trades:
            pair = mine.get(t.listing)
            if pair is not None:
                pair.trade_id += 1
                conns = self._subs.get(("spot.trades", pair.symbol))
                if conns:
                    frame = self._update("spot.trades", self._trade(pair, t, pair.trade_id), t.ts)
                    for c in conns:
                        c.peer.send_data(frame)
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
            sym = pair.symbol
            bbo = ("spot.book_ticker", sym) in subs
            obu = any(("spot.obu", f"ob.{sym}.{n}") in subs for n in OBU_LEVELS)
            if bbo or obu or ("spot.order_book_update", sym) in subs:
                pair.depth.sync(pair, FMT, ZERO)
            if bbo:
                self._push_bbo(pair, now, None)
        for pair in self.pairs.values():
            if pair.depth.pending:
                self._push_book(pair, now)
                self._push_obu(pair, now)
        for sym in list(self._ticker_due):
            if now - self._ticker_ms.get(sym, 0) < TICKER_MS:
                continue
            self._ticker_due.discard(sym)
            self._ticker_ms[sym] = now
            conns = subs.get(("spot.tickers", sym))
            if conns:
                frame = self._update("spot.tickers", self._ticker(self.pairs[sym], False), now)
                for c in conns:
                    c.peer.send_data(frame)
        if step.candles:
            self._push_candles(step, now)

    def _trade(self, pair: Pair, t: Trade, trade_id: int) -> dict[str, Any]:
        gid = self._global_id[pair.symbol] + trade_id
        return {
            "id": gid, "id_market": trade_id, "create_time": t.ts // 1000,
            "create_time_ms": f"{t.ts}.{t.seq % 10000:04d}", "side": t.side,
            "currency_pair": pair.symbol, "amount": plain(t.size, pair.lot_dec),
            "price": plain(t.price, pair.px_dec), "range": f"{trade_id}-{trade_id}",
        }  # fmt: skip

    def _ticker(self, pair: Pair, rest: bool) -> dict[str, Any]:
        lst = pair.listing
        assert lst is not None
        now = int(self.ctx.market.now_ms)
        open_, high, low = lst.range_24h(now)
        vol, amount = lst.rolling_24h(now)
        last = lst.last
        ask, ask_sz, bid, bid_sz = lst.best()
        px = pair.px_dec
        pct = (last - open_) / open_ * 100 if open_ else 0.0
        out = {
            "currency_pair": pair.symbol, "last": plain(last, px),
            "lowest_ask": plain(ask, px), "highest_bid": plain(bid, px),
            "change_percentage": plain(pct, 4), "base_volume": plain(vol, pair.lot_dec),
            "quote_volume": plain(amount, 8), "high_24h": plain(max(high, last), px),
            "low_24h": plain(min(low, last), px),
        }  # fmt: skip
        if rest:
            day_open = lst.day.open
            utc0 = (last - day_open) / day_open * 100 if day_open else 0.0
            out["lowest_size"] = plain(ask_sz, pair.lot_dec)
            out["highest_size"] = plain(bid_sz, pair.lot_dec)
            out["change_utc0"] = plain(utc0, 4)
            out["change_utc8"] = plain(pct, 4)
        return out

    def _push_bbo(self, pair: Pair, now: int, only: _Conn | None) -> None:
        book = pair.depth
        if not book.bids or not book.asks:
            return
        top = (*book.bids[0], *book.asks[0])
        if only is None and self._bbo.get(pair.symbol) == top:
            return
        self._bbo[pair.symbol] = top
        result = {
            "t": now, "u": book.last_id, "s": pair.symbol, "b": top[0], "B": top[1],
            "a": top[2], "A": top[3],
        }  # fmt: skip
        frame = self._update("spot.book_ticker", result, now)
        targets = [only] if only is not None else self._subs[("spot.book_ticker", pair.symbol)]
        for c in targets:
            c.peer.send_data(frame)

    def _book_result(self, pair: Pair, now: int, first: int, bids: Any, asks: Any) -> Any:
        return {
            "t": now, "e": "depthUpdate", "E": now // 1000, "s": pair.symbol, "U": first,
            "u": pair.depth.last_id, "b": bids, "a": asks, "l": str(BOOK_LEVELS),
        }  # fmt: skip

    def _push_book(
        self, pair: Pair, now: int, force: bool = False, exclude: _Conn | None = None
    ) -> None:
        book = pair.depth
        key = ("spot.order_book_update", pair.symbol)
        conns = self._subs.get(key)
        pend = book.pending.get("100ms")
        if not conns or pend is None:
            book.pending.pop("100ms", None)
            return
        if not pend.first or (now - pend.last_push < BOOK_MS and not force):
            return
        pend.last_push = now
        first, bids, asks = pend.take()
        frame = self._update(
            "spot.order_book_update", self._book_result(pair, now, first, bids, asks), now
        )
        skip = self.ctx.faults.skip_seq_every or 0
        for c in conns:
            if c is exclude:
                continue
            n = c.book_pushes.get(pair.symbol, 0) + 1
            c.book_pushes[pair.symbol] = n
            if skip and n % skip == 0:
                continue  # withheld: the next delta starts past a gap
            c.peer.send_data(frame)

    def _obu_result(self, name: str, now: int, first: int, bids: Any, asks: Any) -> Any:
        return {"t": now, "s": name, "U": first, "u": self.pairs[name.split(".")[1]].depth.last_id,
                "b": bids, "a": asks}  # fmt: skip

    def _push_obu(self, pair: Pair, now: int, exclude: _Conn | None = None) -> None:
        """The V2 order book's deltas: every change since the last push, at each step (the
        market moves no faster than the 20 ms of the 50-level stream)."""
        book = pair.depth
        streams = [
            (name, conns)
            for n in OBU_LEVELS
            if (conns := self._subs.get(("spot.obu", name := f"ob.{pair.symbol}.{n}")))
        ]
        pend = book.pending.get(OBU)
        if not streams or pend is None:
            book.pending.pop(OBU, None)
            return
        if not pend.first:
            return
        first, bids, asks = pend.take()
        for name, conns in streams:
            frame = self._update("spot.obu", self._obu_result(name, now, first, bids, asks), now)
            for c in conns:
                if c is not exclude:
                    c.peer.send_data(frame)

    def _full_book(self, pair: Pair, now: int) -> bytes:
        book = pair.depth
        book.sync(pair, FMT, ZERO)
        result = self._book_result(
            pair,
            now,
            book.last_id,
            [list(lv) for lv in book.bids[:BOOK_LEVELS]],
            [list(lv) for lv in book.asks[:BOOK_LEVELS]],
        )
        result["full"] = True
        return self._update("spot.order_book_update", result, now)

    def _candle(self, pair: Pair, interval: str, b: Bar, now: int) -> dict[str, Any]:
        length = INTERVALS[interval][1]
        start, o, h, lo, c, vol, amount = b
        px = pair.px_dec
        return {
            "t": str(start // 1000), "v": plain(amount, 8), "c": plain(c, px),
            "h": plain(h, px), "l": plain(lo, px), "o": plain(o, px),
            "n": f"{interval}_{pair.symbol}", "a": plain(vol, pair.lot_dec),
            "w": start + length <= now,
        }  # fmt: skip

    def _push_candles(self, step: StepResult, now: int) -> None:
        done: set[tuple[str, int]] = set()
        for lst, unit, c in step.candles:
            pair = self._by_listing.get(lst)
            if pair is None:
                continue
            for interval in INTERVALS_OF_UNIT.get(unit, ()):
                name = f"{interval}_{pair.symbol}"
                conns = self._subs.get(("spot.candlesticks", name))
                if not conns:
                    continue
                _, length, offset = INTERVALS[interval]
                start = period_start(c.start, length, offset)
                if (name, start) in done:
                    continue
                done.add((name, start))
                found = fold_bars(lst, unit, length, offset, start + length, 1)
                if not found or found[0][0] != start:
                    continue
                frame = self._update(
                    "spot.candlesticks", self._candle(pair, interval, found[0], now), now
                )
                for conn in conns:
                    conn.peer.send_data(frame)

    # -- WebSocket
    async def _ws(self, request: web.Request) -> web.StreamResponse:
        ctx = self.ctx
        if ctx.faults.refuse_rate_limit:
            return web.json_response(
                {"label": "TOO_MANY_REQUESTS", "message": "Request Rate limit Exceeded"},
                status=429,
            )
        return await serve_socket(
            request,
            ctx,
            ctx.idle_timeout,
            open_conn=self._open,
            on_message=self._on_message,
            close_conn=self._forget,
            wrap=TextSocket,
        )

    def _open(self, peer: Peer) -> _Conn:
        seed = self.ctx.market.seed
        conn = _Conn(peer, f"{zlib.crc32(f'{seed}:{next(self._conn_ids)}'.encode()):08x}")
        self._conns.add(conn)
        return conn

    def _forget(self, conn: _Conn) -> None:
        for key in conn.subs:
            self._drop_sub(conn, key)
        conn.subs.clear()
        self._conns.discard(conn)

    def _reply(
        self,
        conn: _Conn,
        req: dict[str, Any],
        error: ReqError | None,
        result: Any = "ack",
    ) -> None:
        now = self.clock()
        body: dict[str, Any] = {"time": int(now), "time_ms": int(now * 1000)}
        if req.get("id") is not None:
            body["id"] = req["id"]
        body["conn_id"] = conn.conn_id
        body["trace_id"] = f"{zlib.crc32(f'{conn.conn_id}:{next(self._traces)}'.encode()):08x}"
        channel = req.get("channel")
        event = req.get("event")
        body["channel"] = channel if isinstance(channel, str) else ""
        body["event"] = event if isinstance(event, str) else ""
        if isinstance(req.get("payload"), list):
            body["payload"] = req["payload"]
        if error is not None:
            body["error"] = {"code": error.code, "message": error.message}
            body["result"] = {"status": "fail"}
        else:
            body["error"] = None
            body["result"] = {"status": "success"} if result == "ack" else result
        conn.peer.send_control(_dumps(body))

    def _on_message(self, conn: _Conn, text: str) -> None:
        ctx = self.ctx
        ctx.subscriptions_received += 1
        req = json_object(text)
        if req is None:
            self._reply(conn, {}, ReqError(1, "request payload does not follow json schema"))
            return
        try:
            self._handle(conn, req)
        except ReqError as err:
            self._reply(conn, req, err)

    def _handle(self, conn: _Conn, req: dict[str, Any]) -> None:
        channel = req.get("channel")
        event = req.get("event", "")
        payload = req.get("payload", [])
        t = req.get("time")
        rid = req.get("id")
        if (
            not isinstance(channel, str)
            or not isinstance(event, str)
            or not isinstance(payload, list)
            or not all(isinstance(p, str) for p in payload)
            or (t is not None and (not isinstance(t, int) or isinstance(t, bool)))
            or (rid is not None and (not isinstance(rid, int) or isinstance(rid, bool)))
        ):
            raise ReqError(1, "request payload does not follow json schema")
        if channel == "spot.ping":  # a keepalive: the clock is not checked when time is absent
            if t is not None and abs(t - self.clock()) > TIME_SKEW_S:
                raise ReqError(2, "invalid argument: time is more than 60 s from server time")
            self._reply(conn, {**req, "channel": "spot.pong", "event": ""}, None, None)
            return
        if t is None:
            raise ReqError(1, "request payload does not follow json schema: missing time")
        if abs(t - self.clock()) > TIME_SKEW_S:
            raise ReqError(2, "invalid argument: time is more than 60 s from server time")
        if ctx_refuses(self.ctx):
            raise ReqError(3, "too many requests")
        if event not in ("subscribe", "unsubscribe"):
            raise ReqError(2, f"invalid argument: unknown event {event!r}")
        if channel not in CHANNELS:
            raise ReqError(2, f"invalid argument: unknown channel {channel}")
        keys = self._keys(channel, payload)
        now = int(self.ctx.market.now_ms)
        if event == "subscribe":
            if channel == "spot.obu":
                # A V2 book stream may be subscribed only once per connection (exchanges.md 4.8).
                dup = next((k for k in keys if (channel, k) in conn.subs), None)
                if dup is not None:
                    raise ReqError(2, f"Alert sub {dup}")
            fresh = []
            for key in keys:
                sub = (channel, key)
                if sub not in conn.subs:
                    conn.subs.add(sub)
                    self._subs.setdefault(sub, {})[conn] = None
                    fresh.append(key)
            self._reply(conn, req, None)
            for key in fresh:
                self._first_push(conn, channel, key, now)
        else:
            for key in keys:
                sub = (channel, key)
                if sub in conn.subs:
                    conn.subs.discard(sub)
                    self._drop_sub(conn, sub)
            self._reply(conn, req, None)

    def _keys(self, channel: str, payload: list[str]) -> list[str]:
        if channel in PAIR_CHANNELS:
            if not payload:
                raise ReqError(2, "invalid argument: empty payload")
            bad = [p for p in payload if p not in self.pairs]
            if bad:
                raise ReqError(2, f"invalid argument: unknown currency pair {bad[0]}")
            return list(dict.fromkeys(payload))
        if channel == "spot.candlesticks":
            if len(payload) != 2:
                raise ReqError(2, "invalid argument: payload must be [interval, currency_pair]")
            interval, pair = payload
            if interval not in INTERVALS:
                raise ReqError(2, f"invalid argument: unknown interval {interval}")
            if pair not in self.pairs:
                raise ReqError(2, f"invalid argument: unknown currency pair {pair}")
            return [f"{interval}_{pair}"]
        if channel == "spot.obu":
            if not payload:
                raise ReqError(2, "invalid argument: empty payload")
            for name in payload:
                prefix, _, rest = name.partition(".")
                pair, _, levels = rest.partition(".")
                if prefix != "ob" or pair not in self.pairs or levels not in OBU_LEVELS:
                    raise ReqError(2, f"invalid argument: unknown stream {name}")
            return list(dict.fromkeys(payload))
        # spot.order_book_update: [pair, interval]
        if len(payload) != 2:
            raise ReqError(2, "invalid argument: payload must be [currency_pair, interval]")
        pair, interval = payload
        if pair not in self.pairs:
            raise ReqError(2, f"invalid argument: unknown currency pair {pair}")
        if interval != "100ms":
            raise ReqError(2, f"invalid argument: unsupported interval {interval}")
        return [pair]

    def _first_push(self, conn: _Conn, channel: str, key: str, now: int) -> None:
        if channel == "spot.obu":
            pair = self.pairs[key.split(".")[1]]
            book = pair.depth
            book.sync(pair, FMT, ZERO)
            # As for order_book_update: the others get what is pending first, so this
            # connection's deltas start right after its full book.
            self._push_obu(pair, now, exclude=conn)
            levels = int(key.rsplit(".", 1)[1])
            result = self._obu_result(
                key, now, book.last_id, [list(lv) for lv in book.bids[:levels]],
                [list(lv) for lv in book.asks[:levels]],
            )  # fmt: skip
            result["full"] = True
            conn.peer.send_data(self._update("spot.obu", result, now))
            book.pending.setdefault(OBU, Pending())
        elif channel == "spot.order_book_update":
            pair = self.pairs[key]
            pair.depth.sync(pair, FMT, ZERO)
            # Changes the others have not been sent yet go out now: this connection's deltas
            # start right after its snapshot.
            self._push_book(pair, now, force=True, exclude=conn)
            conn.peer.send_data(self._full_book(pair, now))
            pair.depth.pending.setdefault("100ms", Pending())
        elif channel == "spot.book_ticker":
            pair = self.pairs[key]
            pair.depth.sync(pair, FMT, ZERO)
            self._push_bbo(pair, now, conn)
        elif channel == "spot.tickers":
            self._ticker_due.add(key)
        elif channel == "spot.candlesticks":
            interval, _, sym = key.partition("_")
            pair = self.pairs[sym]
            unit, length, offset = INTERVALS[interval]
            assert pair.listing is not None
            found = fold_bars(pair.listing, unit, length, offset, None, 1)
            if found:
                result = self._candle(pair, interval, found[0], now)
                conn.peer.send_data(self._update("spot.candlesticks", result, now))

    # -- REST
    def _limited(self, group: str, handler: Handler) -> Handler:
        window = self._rest.setdefault(group, RateWindow(*REST_LIMIT))
        limit, per = REST_LIMIT

        async def limited(request: web.Request) -> web.StreamResponse:
            now = time.monotonic()
            key = request.remote or ""
            left = window.hit(key, now) if self.ctx.rate_limits else limit
            headers = {
                "X-Gate-RateLimit-Limit": str(limit),
                "X-Gate-RateLimit-Reset-Timestamp": str(int(time.time() * 1000 + per * 1000)),
            }
            if self.ctx.faults.refuse_rate_limit or left is None:
                headers["X-Gate-RateLimit-Requests-Remain"] = "0"
                return _json(
                    {"label": "TOO_MANY_REQUESTS", "message": "Request Rate limit Exceeded"},
                    429,
                    headers,
                )
            headers["X-Gate-RateLimit-Requests-Remain"] = str(left)
            try:
                resp = await handler(request)
            except RestError as err:
                resp = _json({"label": err.label, "message": err.message}, err.status)
            resp.headers.update(headers)
            return resp

        return limited

    def _pair_param(self, request: web.Request) -> Pair:
        sym = request.query.get("currency_pair", "")
        if not sym:
            raise RestError("MISSING_REQUIRED_PARAM", "Missing required parameter: currency_pair")
        pair = self.pairs.get(sym)
        if pair is None:
            raise RestError("INVALID_CURRENCY_PAIR", f"Invalid currency pair: {sym}")
        return pair

    def _pair_row(self, p: Pair) -> dict[str, Any]:
        lst = p.listing
        assert lst is not None
        min_base = max(p.step, float(plain(1.0 / max(lst.last, 1e-12), p.lot_dec)))
        return {
            "id": p.symbol, "base": p.base, "base_name": p.base, "quote": QUOTE,
            "quote_name": "Tether", "fee": "0.2", "min_base_amount": plain(min_base, p.lot_dec),
            "min_quote_amount": "3", "max_base_amount": "", "max_quote_amount": "5000000",
            "amount_precision": p.lot_dec, "precision": p.px_dec, "trade_status": "tradable",
            "sell_start": 0, "buy_start": 0, "delisting_time": 0, "type": "normal",
            "trade_url": f"https://www.gate.io/trade/{p.symbol}", "st_tag": False,
        }  # fmt: skip

    async def _get_pairs(self, request: web.Request) -> web.StreamResponse:
        return _json([self._pair_row(p) for p in self.pairs.values()])

    async def _get_pair(self, request: web.Request) -> web.StreamResponse:
        sym = request.match_info["pair"]
        pair = self.pairs.get(sym)
        if pair is None:
            raise RestError("INVALID_CURRENCY_PAIR", f"Invalid currency pair: {sym}")
        return _json(self._pair_row(pair))

    async def _get_currencies(self, request: web.Request) -> web.StreamResponse:
        """Every coin of the listed pairs and USDT, open for deposits and withdrawals on one
        chain named after the coin (the simulator models no networks)."""
        coins = sorted({p.base for p in self.pairs.values()} | {QUOTE})
        flags = {"withdraw_disabled": False, "withdraw_delayed": False, "deposit_disabled": False}
        return _json(
            [
                {
                    "currency": c, "name": c, "delisted": False, **flags,
                    "trade_disabled": False, "fixed_rate": "", "chain": c,
                    "chains": [{"name": c, "addr": "", **flags}],
                }
                for c in coins
            ]
        )  # fmt: skip

    async def _get_margin(self, request: web.Request) -> web.StreamResponse:
        """Margin trading on the majors (10x), none on the rest."""
        rows = []
        for p in self.pairs.values():
            if p.base not in MAJORS:
                continue
            row = self._pair_row(p)
            rows.append(
                {
                    "id": p.symbol, "base": p.base, "quote": QUOTE, "leverage": 10,
                    "min_base_amount": row["min_base_amount"],
                    "min_quote_amount": row["min_quote_amount"],
                    "max_quote_amount": row["max_quote_amount"], "status": 1,
                }
            )  # fmt: skip
        return _json(rows)

    async def _get_tickers(self, request: web.Request) -> web.StreamResponse:
        if "currency_pair" in request.query:
            return _json([self._ticker(self._pair_param(request), True)])
        rows = []
        for p in self.pairs.values():
            row = self._ticker(p, True)
            del row["lowest_size"], row["highest_size"]  # single-pair only
            rows.append(row)
        return _json(rows)

    async def _get_order_book(self, request: web.Request) -> web.StreamResponse:
        pair = self._pair_param(request)
        q = request.query
        limit = _int(q.get("limit"), 10, 1, 1000, "limit")
        book = pair.depth
        book.sync(pair, FMT, ZERO)
        assert pair.listing is not None
        body: dict[str, Any] = {}
        if q.get("with_id") == "true":
            body["id"] = book.last_id
        body["current"] = int(self.ctx.market.now_ms)
        body["update"] = pair.listing.book_ts
        body["asks"] = [list(lv) for lv in book.asks[:limit]]
        body["bids"] = [list(lv) for lv in book.bids[:limit]]
        return _json(body)

    async def _get_trades(self, request: web.Request) -> web.StreamResponse:
        pair = self._pair_param(request)
        limit = _int(request.query.get("limit"), 100, 1, 1000, "limit")
        assert pair.listing is not None
        rows = []
        for i, t in enumerate(pair.listing.recent_trades(limit)):  # newest first
            d = self._trade(pair, t, pair.trade_id - i)
            rows.append(
                {
                    "id": str(d["id"]),
                    "create_time": str(d["create_time"]),
                    "create_time_ms": d["create_time_ms"],
                    "currency_pair": pair.symbol,
                    "side": t.side,
                    "amount": d["amount"],
                    "price": d["price"],
                    "sequence_id": str(pair.trade_id - i),
                }
            )
        return _json(rows)

    async def _get_candles(self, request: web.Request) -> web.StreamResponse:
        pair = self._pair_param(request)
        q = request.query
        interval = q.get("interval") or "30m"
        if interval not in REST_INTERVALS:
            raise RestError("INVALID_PARAM_VALUE", f"Invalid interval: {interval}")
        frm = _int(q.get("from"), 0, 0, 1 << 40, "from") or None
        to = _int(q.get("to"), 0, 0, 1 << 40, "to") or None
        if "limit" in q and (frm is not None or to is not None):
            raise RestError("INVALID_PARAM_VALUE", "limit cannot be used with from and to")
        limit = _int(q.get("limit"), 100, 1, 1000, "limit")
        unit, length, offset = REST_INTERVALS[interval]
        now = int(self.ctx.market.now_ms)
        assert pair.listing is not None
        to_ms = None if to is None else to * 1000 + 1
        if frm is not None:
            end = now if to is None else to * 1000
            count = (end - frm * 1000) // length + 1
            if count > 1000:
                raise RestError(
                    "INVALID_PARAM_VALUE", "Candlestick too long ago. Maximum 1000 points"
                )
            bars = fold_bars(pair.listing, unit, length, offset, to_ms, max(1, count))
            bars = [b for b in bars if b[0] >= frm * 1000]
        else:
            bars = fold_bars(pair.listing, unit, length, offset, to_ms, limit)
        bars.reverse()  # oldest first
        px = pair.px_dec
        rows = [
            [
                str(b[0] // 1000),
                plain(b[6], 8),
                plain(b[4], px),
                plain(b[2], px),
                plain(b[3], px),
                plain(b[1], px),
                plain(b[5], pair.lot_dec),
                "true" if b[0] + length <= now else "false",
            ]
            for b in bars
        ]
        return _json(rows)


def ctx_refuses(ctx: SimContext) -> bool:
    return ctx.faults.refuse_rate_limit


def _int(value: str | None, default: int, lo: int, hi: int, name: str) -> int:
    n = query_int(value, default, lo, hi)
    if n is None:
        raise RestError("INVALID_PARAM_VALUE", f"Invalid {name}: {value}")
    return n


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        body=_dumps(body), status=status, content_type="application/json", headers=headers
    )


__all__ = ["GateioVenue"]
