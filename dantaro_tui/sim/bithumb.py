"""Bithumb's v1 quotation API, simulated: WebSocket ``/websocket/v1`` and REST ``/v1``,
mounted under ``/bithumb``.

Written from the protocol reference (``docs/exchanges.md`` section 6), never from the client
codec. Bithumb copied Upbit's API, and this venue writes what Bithumb does differently:

* frames are binary UTF-8 JSON in DEFAULT or SIMPLE keys (no ``*_LIST`` formats); a request
  replaces the connection's subscription; only the camelCase ``isOnlySnapshot`` /
  ``isOnlyRealtime`` flags are read (snake_case ones are ignored, as a probe saw);
* an orderbook push has at most 15 levels (``CODE.N`` narrows to 1 or 5), sizes rounded to
  4 decimals (a live level can show ``0``), thin sides padded with 0/0 units, ``level`` 1
  and a **microsecond** ``timestamp``;
* ticker and trade dates and times are written in Korean time; numbers are plain JSON
  numbers (``116279000``, ``0.0892``), not Upbit's Java renderings;
* errors are ``{"error": {"name": "NO_TICKET" | "WRONG_FORMAT" | "INVALID_PARAM", ...}}``
  followed by a close (1000); text ``PING`` -> ``{"status":"UP"}`` every 10 s;
* at most 10 connections a second per IP (HTTP 429 beyond);
* REST: 150 requests a second per IP per category with ``x-ratelimit-*`` headers; errors come
  as **HTTP 200** with an error body (more than 200 markets in a ticker call is a 400);
  ticker times are written **9 hours ahead**; ``market_warning`` in the market list and
  ``/v1/market/virtual_asset_warning`` for the alerts;
* the legacy REST API (``/public/ticker``, ``orderbook``, ``transaction_history``,
  ``candlestick``) over the same markets, in bithumb_legacy.py.

Bithumb's markets are drawn from the same simulated market as Upbit's (the KRW coins Upbit
lists, most of them, and a few BTC markets): every listing draws its own venue-local
deviation, so Bithumb trades near Upbit's price but at its own.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import orjson
from aiohttp import web

from dantaro_tui.sim.account import BITHUMB_VENUE, PaperExchange
from dantaro_tui.sim.bithumb_legacy import LegacyApi
from dantaro_tui.sim.faults import Peer, RateWindow
from dantaro_tui.sim.market import (
    FIAT_RATES,
    MAJORS,
    STABLES,
    Candle,
    Listing,
    ListingSpec,
    StepResult,
    Trade,
)
from dantaro_tui.sim.upbit import (
    HOT_KRW,
    TURNOVER_KRW_BN,
    btc_tick,
    krw_stable_tick,
    krw_tick,
    load_markets,
)
from dantaro_tui.sim.upbit_family import (
    FamilyConn,
    FamilyVenue,
    Handler,
    RequestError,
    answer_ping,
    error_frame,
    int_param,
    json_response,
    parse_to,
    period_start,
    refuse,
    request_format,
    request_objects,
    round_rate,
)

if TYPE_CHECKING:
    from dantaro_tui.sim.server import SimContext

NAME = "bithumb"
WS_PATH = "/websocket/v1"
FORMATS = ("DEFAULT", "SIMPLE")
TYPES = frozenset({"ticker", "trade", "orderbook"})
MAX_LEVELS = 15
NARROWER = (1, 5)  # ``CODE.N`` suffixes below 15
REST_BOOK_ONE = 30  # units in a one-market REST book
REST_BOOK_MANY = 15  # units each when several markets are asked
SIZE_DECIMALS = 4
STATUS_EVERY = 10.0
KST_S = 9 * 3600

# Limits (exchanges.md 6.4).
CONNECTS_PER_S = 10
REST_PER_S = 150
MAX_TICKER_MARKETS = 200
MAX_TRADES = 500  # unconfirmed for Bithumb: Upbit's
MAX_CANDLES = 200
MINUTE_UNITS = (1, 3, 5, 10, 15, 30, 60, 240)

# Bithumb's share of Upbit's activity (trades and turnover), and its taker fee (0.04 %).
ACTIVITY = 0.4
KRW_FEE = 0.0004
COIN_MARKET_FEE = 0.0025
LISTED_SHARE = 0.85  # of Upbit's KRW coins, the majors always
BTC_MARKETS = 12
WARNING_TYPES = (
    "PRICE_SUDDEN_FLUCTUATION",
    "TRADING_VOLUME_SUDDEN_FLUCTUATION",
    "DEPOSIT_AMOUNT_SUDDEN_FLUCTUATION",
    "PRICE_DIFFERENCE_HIGH",
    "SPECIFIC_ACCOUNT_HIGH_TRANSACTION",
)
WARNING_STEPS = ("CAUTION", "WARNING", "DANGER")
# Coins the demo never flags: no exchange puts its majors or dollars under a warning.
_NEVER_FLAGGED = MAJORS | STABLES

# DEFAULT key -> SIMPLE key (Upbit's abbreviations, which Bithumb kept).
SIMPLE = {
    "type": "ty", "code": "cd", "opening_price": "op", "high_price": "hp", "low_price": "lp",
    "trade_price": "tp", "prev_closing_price": "pcp", "acc_trade_price": "atp", "change": "c",
    "change_price": "cp", "signed_change_price": "scp", "change_rate": "cr",
    "signed_change_rate": "scr", "ask_bid": "ab", "trade_volume": "tv",
    "acc_trade_volume": "atv", "trade_timestamp": "ttms", "acc_ask_volume": "aav",
    "acc_bid_volume": "abv", "highest_52_week_price": "h52wp",
    "highest_52_week_date": "h52wdt", "lowest_52_week_price": "l52wp",
    "lowest_52_week_date": "l52wdt", "market_state": "ms", "is_trading_suspended": "its",
    "delisting_date": "dd", "market_warning": "mw", "timestamp": "tms",
    "acc_trade_price_24h": "atp24h", "acc_trade_volume_24h": "atv24h", "stream_type": "st",
    "sequential_id": "sid", "total_ask_size": "tas", "total_bid_size": "tbs",
    "orderbook_units": "obu", "ask_price": "ap", "bid_price": "bp", "ask_size": "as",
    "bid_size": "bs", "level": "lv",
}  # fmt: skip
# ``trade_date`` / ``trade_time`` abbreviate differently per type, as on Upbit.
TICKER_DATE_KEYS = {"trade_date": "tdt", "trade_time": "ttm"}
TRADE_DATE_KEYS = {"trade_date": "td", "trade_time": "ttm"}


# ---------------------------------------------------------------------------- markets


def bithumb_markets(seed: int) -> list[dict[str, str]]:
    """The market list: most of the KRW coins Upbit lists (every major and dollar coin), and
    a few BTC markets of those coins; Korean and English names as Upbit writes them."""
    rng = random.Random(f"bithumb-markets:{seed}")
    upbit = load_markets()
    krw = [m for m in upbit if m["market"].startswith("KRW-")]
    kept = [
        m
        for m in krw
        if m["market"][4:] in _NEVER_FLAGGED or m["market"][4:] in HOT_KRW
        or rng.random() < LISTED_SHARE
    ]  # fmt: skip
    bases = {m["market"][4:] for m in kept}
    btc_candidates = sorted(
        m["market"][4:] for m in kept if m["market"][4:] not in STABLES | {"BTC"}
    )
    chosen = set(rng.sample(btc_candidates, min(BTC_MARKETS, len(btc_candidates))))
    chosen |= {"ETH", "XRP"} & bases
    rows = [dict(m) for m in kept]
    names = {m["market"][4:]: m for m in kept}
    for base in sorted(chosen):
        rows.append(
            {
                "market": f"BTC-{base}",
                "korean_name": names[base]["korean_name"],
                "english_name": names[base]["english_name"],
            }
        )
    return rows


def listing_specs(codes: Iterable[str], seed: int) -> list[ListingSpec]:
    """Activity and turnover per market, a share of Upbit's; KRW coin prices carry the kimchi
    premium (Korean won markets), the dollar coins and BTC markets do not."""
    rng = random.Random(f"bithumb:{seed}")
    specs = []
    for code in codes:
        quote, base = code.split("-", 1)
        turnover = 0.0
        if quote == "KRW":
            if base in HOT_KRW:
                rate = HOT_KRW[base] * ACTIVITY
                turnover = TURNOVER_KRW_BN.get(base, 0.0) * ACTIVITY
            else:
                rate = min(0.5, 0.08 * math.exp(rng.gauss(0.0, 0.9)))
            tick = krw_stable_tick if base in STABLES else krw_tick
            fee = KRW_FEE
            premium = base not in STABLES
        else:
            rate, tick, fee, premium = rng.uniform(0.002, 0.01), btc_tick, COIN_MARKET_FEE, False
        turnover_usd = turnover * 1e9 / FIAT_RATES["KRW"]
        specs.append(
            ListingSpec(NAME, code, base, quote, tick, rate, 30, premium, 8, turnover_usd, fee)
        )
    return specs


# ---------------------------------------------------------------------------- numbers, times


def num(x: float) -> float | int:
    """A number as Bithumb writes it: whole values without a fraction (``116279000``)."""
    return int(x) if x.is_integer() and abs(x) < 2**53 else x


def size4(x: float) -> float | int:
    """A book size at Bithumb's 4 decimals: a live level under 0.00005 shows as 0."""
    return num(round(x, SIZE_DECIMALS) + 0.0)


def kst(ms: int) -> time.struct_time:
    return time.gmtime(ms // 1000 + KST_S)


def _date(t: time.struct_time, sep: str) -> str:
    return f"{t.tm_year:04d}{sep}{t.tm_mon:02d}{sep}{t.tm_mday:02d}"


def _time(t: time.struct_time, sep: str) -> str:
    return f"{t.tm_hour:02d}{sep}{t.tm_min:02d}{sep}{t.tm_sec:02d}"


def _iso(ms: int, offset_s: int = 0) -> str:
    t = time.gmtime(ms // 1000 + offset_s)
    return f"{_date(t, '-')}T{_time(t, ':')}"


# ---------------------------------------------------------------------------- WS frames


def _keyed(obj: dict[str, Any], simple: bool, dates: dict[str, str]) -> bytes:
    if not simple:
        return orjson.dumps(obj)
    return orjson.dumps({dates.get(k) or SIMPLE[k]: v for k, v in obj.items()})


def ticker_obj(lst: Listing, stream: str, now_ms: int) -> dict[str, Any]:
    day = lst.day
    change, diff, rate = lst.change()
    t = kst(lst.last_ts)
    hp, hd, lp, ld = lst.week52()
    vol24, amt24 = lst.rolling_24h(now_ms)
    return {
        "type": "ticker", "code": lst.symbol, "opening_price": num(day.open),
        "high_price": num(day.high), "low_price": num(day.low), "trade_price": num(lst.last),
        "prev_closing_price": num(lst.prev_close), "acc_trade_price": round(day.amount, 8),
        "change": change, "change_price": num(round(abs(diff), 8)),
        "signed_change_price": num(round(diff, 8)), "change_rate": round_rate(abs(rate)),
        "signed_change_rate": round_rate(rate),
        "ask_bid": "BID" if lst.last_side == "buy" else "ASK",
        "trade_volume": lst.last_size, "acc_trade_volume": round(day.volume, 8),
        "trade_date": _date(t, ""), "trade_time": _time(t, ""), "trade_timestamp": lst.last_ts,
        "acc_ask_volume": round(lst.acc_ask_volume, 8),
        "acc_bid_volume": round(lst.acc_bid_volume, 8), "highest_52_week_price": num(hp),
        "highest_52_week_date": _date(kst(hd), "-"), "lowest_52_week_price": num(lp),
        "lowest_52_week_date": _date(kst(ld), "-"), "market_state": "ACTIVE",
        "is_trading_suspended": False, "delisting_date": None,
        "market_warning": "NONE", "timestamp": now_ms,
        "acc_trade_price_24h": round(amt24, 8), "acc_trade_volume_24h": round(vol24, 8),
        "stream_type": stream,
    }  # fmt: skip


def trade_obj(t: Trade, stream: str, now_ms: int) -> dict[str, Any]:
    k = kst(t.ts)
    return {
        "type": "trade", "code": t.listing.symbol, "trade_price": num(t.price),
        "trade_volume": t.size, "ask_bid": "BID" if t.side == "buy" else "ASK",
        "trade_date": _date(k, "-"), "trade_time": _time(k, ":"), "trade_timestamp": t.ts,
        "sequential_id": t.seq, "timestamp": max(now_ms, t.ts), "stream_type": stream,
    }  # fmt: skip


def book_units(lst: Listing, depth: int) -> tuple[list[dict[str, Any]], float, float]:
    """(units, total ask size, total bid size) of the top ``depth`` levels, padded with 0/0."""
    asks, bids = lst.asks, lst.bids
    units = []
    tas = tbs = 0.0
    for i in range(depth):
        ap, asz = asks[i] if i < len(asks) else (0.0, 0.0)
        bp, bsz = bids[i] if i < len(bids) else (0.0, 0.0)
        a4, b4 = size4(asz), size4(bsz)
        tas += a4
        tbs += b4
        units.append({"ask_price": num(ap), "bid_price": num(bp), "ask_size": a4, "bid_size": b4})
    return units, round(tas, SIZE_DECIMALS) + 0.0, round(tbs, SIZE_DECIMALS) + 0.0


def book_obj(lst: Listing, depth: int, stream: str) -> dict[str, Any]:
    units, tas, tbs = book_units(lst, depth)
    return {
        "type": "orderbook", "code": lst.symbol, "total_ask_size": num(tas),
        "total_bid_size": num(tbs), "orderbook_units": units, "level": 1,
        # Microseconds: the book's ms time and a sub-millisecond part of its own.
        "timestamp": lst.book_ts * 1000 + lst.seq % 1000, "stream_type": stream,
    }  # fmt: skip


def book_frame(lst: Listing, depth: int, simple: bool, stream: str) -> bytes:
    obj = book_obj(lst, depth, stream)
    if simple:
        obj["orderbook_units"] = [
            {SIMPLE[k]: v for k, v in u.items()} for u in obj["orderbook_units"]
        ]
    return _keyed(obj, simple, {})


def parse_request(raw: str) -> tuple[str, bool, list[dict[str, Any]]]:
    """(ticket, SIMPLE?, type objects) of a request; RequestError for what Bithumb refuses."""
    req = request_objects(raw)
    ticket = next((o["ticket"] for o in req if "ticket" in o), None)
    if not isinstance(ticket, str) or not ticket:
        raise RequestError("NO_TICKET", "ticket 이 존재하지 않습니다.")
    fmt = request_format(req, FORMATS)
    types = [o for o in req if "type" in o]
    if not types:
        raise RequestError("INVALID_PARAM", "type 이 존재하지 않습니다.")
    out = []
    for o in types:
        ty = o["type"]
        if not isinstance(ty, str) or ty not in TYPES:
            # Assumption: Bithumb names an unsupported type INVALID_PARAM (not pinned down).
            raise RequestError("INVALID_PARAM", f"{ty} 은 지원하지 않는 타입입니다.")
        codes = o.get("codes")
        if not isinstance(codes, list) or not codes or not all(isinstance(c, str) for c in codes):
            raise RequestError("INVALID_PARAM", "codes 가 올바르지 않습니다.")
        flags = {}
        for name in ("isOnlySnapshot", "isOnlyRealtime"):  # snake_case is not read
            value = o.get(name, False)
            if not isinstance(value, bool):
                raise RequestError("INVALID_PARAM", f"{name} 는 boolean 이어야 합니다.")
            flags[name] = value
        level = o.get("level", 1)
        if isinstance(level, bool) or not isinstance(level, int | float) or level < 0:
            raise RequestError("INVALID_PARAM", "level 이 올바르지 않습니다.")
        out.append({"type": ty, "codes": codes, "level": level, **flags})
    return ticket, fmt == "SIMPLE", out


def split_depth(code: str) -> tuple[str, int]:
    """``KRW-BTC.5`` -> ("KRW-BTC", 5); any other suffix, or none, means 15."""
    head, dot, tail = code.rpartition(".")
    if dot and tail.isdigit():
        return head, int(tail) if int(tail) in NARROWER else MAX_LEVELS
    return code, MAX_LEVELS


# ---------------------------------------------------------------------------- connections


class _Conn(FamilyConn):
    __slots__ = ("simple",)

    def __init__(self, peer: Peer) -> None:
        super().__init__(peer)
        self.simple = False


class BithumbVenue(FamilyVenue[_Conn]):
    """Registers Bithumb's markets with the market process and serves them."""

    name = NAME
    conn_class = _Conn
    ws_path = WS_PATH
    connects_per_s = CONNECTS_PER_S
    full_depth = MAX_LEVELS

    def __init__(self, ctx: SimContext) -> None:
        super().__init__(ctx)
        market = ctx.market
        self.markets = bithumb_markets(market.seed)
        self.listings: dict[str, Listing] = {}
        for spec in listing_specs([m["market"] for m in self.markets], market.seed):
            self.listings[spec.symbol] = market.add_listing(spec)
        rng = random.Random(f"bithumb-warnings:{market.seed}")
        self.cautioned: set[str] = set()
        self.alerts: list[dict[str, str]] = []
        end = datetime.fromtimestamp(market.start_ms / 1000, UTC) + timedelta(hours=9)
        for m in self.markets:
            code = m["market"]
            if code.split("-")[1] in _NEVER_FLAGGED:
                continue
            if rng.random() < 0.03:
                self.cautioned.add(code)
            if rng.random() < 0.03:
                ends = end + timedelta(hours=rng.randint(2, 48))
                self.alerts.append(
                    {
                        "market": code,
                        "warning_type": rng.choice(WARNING_TYPES),
                        "warning_step": rng.choice(WARNING_STEPS),
                        "end_date": ends.strftime("%Y-%m-%d %H:%M:%S"),
                    }
                )
        self._rest = RateWindow(REST_PER_S, 1.0)
        # Paper accounts: Upbit's, with what Bithumb does differently (sim/account.py).
        self.paper = PaperExchange(ctx, self.listings, ctx.accounts, BITHUMB_VENUE)

    # -- wiring
    def app(self) -> web.Application:
        app = web.Application()
        r = app.router
        r.add_get(WS_PATH, self._ws)
        self.paper.routes(r)
        r.add_get("/v1/market/all", self._limited("other", self._market_all))
        r.add_get("/v1/market/virtual_asset_warning", self._limited("other", self._warnings))
        r.add_get("/v1/ticker", self._limited("ticker", self._ticker))
        r.add_get("/v1/orderbook", self._limited("orderbook", self._orderbook))
        r.add_get("/v1/trades/ticks", self._limited("trades", self._trades))
        r.add_get("/v1/candles/minutes/{unit}", self._limited("candles", self._minutes))
        for period in ("days", "weeks", "months"):
            r.add_get(f"/v1/candles/{period}", self._limited("candles", self._periods))
        LegacyApi(self.listings, lambda: int(self.ctx.market.now_ms)).add_routes(r, self._limited)
        return app

    # -- market data fan-out: each frame encoded once per key format and depth
    def dispatch(self, step: StepResult) -> None:
        self.paper.dispatch(step)
        subs = self._subs
        if not subs:
            return
        now = step.now_ms
        for t in step.trades:
            if t.listing.venue == NAME and (conns := subs.get(("trade", t.listing.symbol))):
                self._fan(conns, trade_obj(t, "REALTIME", now), TRADE_DATE_KEYS)
        for lst in step.tickers:
            if lst.venue == NAME and (conns := subs.get(("ticker", lst.symbol))):
                self._fan(conns, self._ticker_obj(lst, "REALTIME", now), TICKER_DATE_KEYS)
        for lst in step.books:
            if lst.venue == NAME and (conns := subs.get(("orderbook", lst.symbol))):
                cache: dict[tuple[int, bool], bytes] = {}
                for c in conns:
                    key = (c.book_depth.get(lst.symbol, MAX_LEVELS), c.simple)
                    frame = cache.get(key)
                    if frame is None:
                        frame = cache[key] = book_frame(lst, key[0], key[1], "REALTIME")
                    c.peer.send_data(frame)

    @staticmethod
    def _fan(conns: dict[_Conn, None], obj: dict[str, Any], dates: dict[str, str]) -> None:
        frames: dict[bool, bytes] = {}
        for c in conns:
            frame = frames.get(c.simple)
            if frame is None:
                frame = frames[c.simple] = _keyed(obj, c.simple, dates)
            c.peer.send_data(frame)

    def _ticker_obj(self, lst: Listing, stream: str, now: int) -> dict[str, Any]:
        obj = ticker_obj(lst, stream, now)
        if lst.symbol in self.cautioned:
            obj["market_warning"] = "CAUTION"
        return obj

    # -- WebSocket
    def on_message(self, conn: _Conn, text: str) -> None:
        if answer_ping(conn, text, STATUS_EVERY):
            return
        self.ctx.subscriptions_received += 1
        try:
            _, simple, types = parse_request(text)
        except RequestError as err:
            refuse(conn, error_frame(str(err.name), err.message), self._tasks)
            return
        conn.simple = simple
        self._subscribe(conn, types)

    def _subscribe(self, conn: _Conn, types: list[dict[str, Any]]) -> None:
        """A new request replaces the connection's whole subscription."""
        self._unindex(conn)
        now = int(self.ctx.market.now_ms)
        for obj in types:
            ty = obj["type"]
            if ty == "orderbook" and obj["level"] not in (0, 1):
                continue  # only the native price unit is simulated: other levels carry no data
            flags = (obj["isOnlySnapshot"], obj["isOnlyRealtime"])
            self._take(conn, ty, obj["codes"], flags, conn.simple, now)

    def split_depth(self, code: str) -> tuple[str, int]:
        return split_depth(code)

    def snapshot(self, lst: Listing, ty: str, depth: int, simple: bool, now: int) -> bytes | None:
        if ty == "ticker":
            return _keyed(self._ticker_obj(lst, "SNAPSHOT", now), simple, TICKER_DATE_KEYS)
        if ty == "orderbook":
            return book_frame(lst, depth, simple, "SNAPSHOT")
        last = lst.recent_trades(1)
        return (
            _keyed(trade_obj(last[0], "SNAPSHOT", now), simple, TRADE_DATE_KEYS) if last else None
        )

    # -- REST
    def _limited(self, category: str, handler: Handler) -> Handler:
        async def limited(request: web.Request) -> web.StreamResponse:
            left: int | None = REST_PER_S - 1
            resp: web.StreamResponse
            if self.ctx.rate_limits:
                now = asyncio.get_running_loop().time()
                left = self._rest.hit((category, request.remote), now)
            if self.ctx.faults.refuse_rate_limit or left is None:
                resp = json_response(
                    {"error": {"name": 429, "message": "Too Many Requests"}}, status=429
                )
                left = 0
            else:
                try:
                    resp = await handler(request)
                except RequestError as err:
                    # Bithumb answers most errors with HTTP 200 and the error in the body.
                    body = {"error": {"name": err.name, "message": err.message}}
                    resp = json_response(body, status=err.http_status)
            resp.headers["x-ratelimit-remaining"] = str(left)
            resp.headers["x-ratelimit-burst-capacity"] = str(REST_PER_S)
            resp.headers["x-ratelimit-replenish-rate"] = str(REST_PER_S)
            return resp

        return limited

    async def _market_all(self, request: web.Request) -> web.StreamResponse:
        details = request.query.get("isDetails", "false").lower() == "true"
        rows = []
        for m in self.markets:
            row: dict[str, Any] = dict(m)
            if details:
                row["market_warning"] = "CAUTION" if m["market"] in self.cautioned else "NONE"
            rows.append(row)
        return json_response(rows)

    async def _warnings(self, request: web.Request) -> web.StreamResponse:
        return json_response(self.alerts)

    async def _ticker(self, request: web.Request) -> web.StreamResponse:
        listings = self._markets_param(request)
        if len(listings) > MAX_TICKER_MARKETS:
            raise RequestError(400, "Bad Request", http_status=400)
        now = int(self.ctx.market.now_ms)
        shift = KST_S * 1000  # Korean time written as if it were UTC (observed)
        rows = []
        for lst in listings:
            day = lst.day
            change, diff, rate = lst.change()
            u, k = time.gmtime(lst.last_ts // 1000), kst(lst.last_ts)
            hp, hd, lp, ld = lst.week52()
            vol24, amt24 = lst.rolling_24h(now)
            rows.append(
                {
                    "market": lst.symbol, "trade_date": _date(u, ""), "trade_time": _time(u, ""),
                    "trade_date_kst": _date(k, ""), "trade_time_kst": _time(k, ""),
                    "trade_timestamp": lst.last_ts + shift, "opening_price": num(day.open),
                    "high_price": num(day.high), "low_price": num(day.low),
                    "trade_price": num(lst.last), "prev_closing_price": num(lst.prev_close),
                    "change": change, "change_price": num(round(abs(diff), 8)),
                    "change_rate": round_rate(abs(rate)),
                    "signed_change_price": num(round(diff, 8)),
                    "signed_change_rate": round_rate(rate), "trade_volume": lst.last_size,
                    "acc_trade_price": round(day.amount, 8),
                    "acc_trade_price_24h": round(amt24, 8),
                    "acc_trade_volume": round(day.volume, 8),
                    "acc_trade_volume_24h": round(vol24, 8),
                    "highest_52_week_price": num(hp), "highest_52_week_date": _date(kst(hd), "-"),
                    "lowest_52_week_price": num(lp), "lowest_52_week_date": _date(kst(ld), "-"),
                    "timestamp": now + shift,
                }
            )  # fmt: skip
        return json_response(rows)

    async def _orderbook(self, request: web.Request) -> web.StreamResponse:
        listings = self._markets_param(request)
        depth = REST_BOOK_ONE if len(listings) == 1 else REST_BOOK_MANY
        rows = []
        for lst in listings:
            units, tas, tbs = book_units(lst, depth)
            rows.append(
                {
                    "market": lst.symbol, "timestamp": lst.book_ts, "total_ask_size": num(tas),
                    "total_bid_size": num(tbs), "orderbook_units": units, "level": 1,
                }
            )  # fmt: skip
        return json_response(rows)

    async def _trades(self, request: web.Request) -> web.StreamResponse:
        lst = self._market_param(request)
        count = int_param(request.query.get("count"), 1, 1, MAX_TRADES, "count")
        cursor = int_param(request.query.get("cursor"), 0, 0, 1 << 62, "cursor") or None
        rows = []
        for t in lst.recent_trades(count, cursor):
            u = time.gmtime(t.ts // 1000)
            rows.append(
                {
                    "market": lst.symbol, "trade_date_utc": _date(u, "-"),
                    "trade_time_utc": _time(u, ":"), "timestamp": t.ts,
                    "trade_price": num(t.price), "trade_volume": t.size,
                    "prev_closing_price": num(t.prev_close),
                    "change_price": num(round(t.price - t.prev_close, 8)),
                    "ask_bid": "BID" if t.side == "buy" else "ASK", "sequential_id": t.seq,
                }
            )  # fmt: skip
        return json_response(rows)

    def _candle_rows(
        self, request: web.Request, candles: list[Candle], extra: dict[str, Any]
    ) -> list[dict[str, Any]]:
        lst = self._market_param(request)
        return [
            {
                "market": lst.symbol, "candle_date_time_utc": _iso(c.start),
                "candle_date_time_kst": _iso(c.start, KST_S), "opening_price": num(c.open),
                "high_price": num(c.high), "low_price": num(c.low), "trade_price": num(c.close),
                "timestamp": c.last_ts, "candle_acc_trade_price": round(c.amount, 8),
                "candle_acc_trade_volume": round(c.volume, 8), **extra,
            }
            for c in candles
        ]  # fmt: skip

    async def _minutes(self, request: web.Request) -> web.StreamResponse:
        unit = int_param(request.match_info["unit"], 1, 1, 240, "unit")
        if unit not in MINUTE_UNITS:
            raise RequestError(400, "unit is invalid")
        lst = self._market_param(request)
        count = int_param(request.query.get("count"), 1, 1, MAX_CANDLES, "count")
        candles = lst.candles_before(unit * 60, parse_to(request.query.get("to"), KST_S), count)
        return json_response(self._candle_rows(request, candles, {"unit": unit}))

    async def _periods(self, request: web.Request) -> web.StreamResponse:
        """Day candles, and week (from Monday) and month candles folded from them (UTC)."""
        period = request.path.rsplit("/", 1)[-1]
        lst = self._market_param(request)
        count = int_param(request.query.get("count"), 1, 1, MAX_CANDLES, "count")
        to = parse_to(request.query.get("to"), KST_S)
        if period == "days":
            return json_response(
                self._candle_rows(request, lst.candles_before(86400, to, count), {})
            )
        days = lst.candles_before(86400, to, (count + 1) * (7 if period == "weeks" else 31))
        groups: dict[int, list[Candle]] = {}
        for c in days:  # newest first
            groups.setdefault(period_start(c.start, period), []).append(c)
        folded = []
        for start, group in list(groups.items())[:count]:
            oldest, newest = group[-1], group[0]
            c = Candle(
                start, oldest.open, max(x.high for x in group), min(x.low for x in group),
                newest.close, sum(x.volume for x in group), sum(x.amount for x in group),
                newest.last_ts,
            )  # fmt: skip
            folded.append(c)
        return json_response(self._candle_rows(request, folded, {}))
