"""Upbit's quotation API, simulated: WebSocket v1 and REST, mounted under ``/upbit``.

Written from the protocol reference (``docs/exchanges.md`` section 1) and the recorded real
frames, never from the client codec: binary frames of UTF-8 JSON, one request array that
replaces the connection's subscription, DEFAULT / SIMPLE / JSON_LIST / SIMPLE_LIST formats,
``{code}.{n}`` orderbook depth, text ``PING`` -> ``{"status":"UP"}``, error frames followed by
a close, connect / message / REST rate limits with ``Remaining-Req``.

Numbers are written the way Upbit's JVM serializer writes them: prices as
``BigDecimal.valueOf(double)`` (``127.0``, ``0.00000113``, ``9.9E-7``, and ``1.40962E8`` for
large KRW prices), sizes as ``Double.toString`` (``5.0``, ``158.73``, ``7.9276E-4``), and
previous close, change and totals as scale-8 decimals (``123.00000000``, ``6E-8``).
"""

from __future__ import annotations

import asyncio
import json
import math
import random
import time
from collections.abc import Callable, Iterable
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from aiohttp import web

from dantaro_tui.sim.account import PaperExchange
from dantaro_tui.sim.faults import Peer, RateWindow
from dantaro_tui.sim.market import (
    FIAT_RATES,
    STABLES,
    Candle,
    Listing,
    ListingSpec,
    StepResult,
    Trade,
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

NAME = "upbit"
MARKETS_FILE = Path(__file__).resolve().parent / "data" / "upbit_markets.json"
WS_PATH = "/websocket/v1"

FORMATS = ("DEFAULT", "SIMPLE", "JSON_LIST", "SIMPLE_LIST")  # index: bit 0 = SIMPLE, >= 2 = list
CANDLE_TYPES: dict[str, int] = {
    "candle.1s": 1, "candle.1m": 60, "candle.3m": 180, "candle.5m": 300, "candle.10m": 600,
    "candle.15m": 900, "candle.30m": 1800, "candle.60m": 3600, "candle.240m": 14400,
}  # fmt: skip
UNIT_TYPES = {v: k for k, v in CANDLE_TYPES.items()}
TYPES = frozenset({"ticker", "trade", "orderbook", *CANDLE_TYPES})
PRIVATE_TYPES = frozenset({"myOrder", "myAsset"})
BOOK_DEPTHS = (1, 5, 15, 30)
MINUTE_UNITS = (1, 3, 5, 10, 15, 30, 60, 240)
PERIODS = {"weeks": 7, "months": 31, "years": 366}  # folded candles -> most days in one
STATUS_EVERY = 10.0

# Rate limits (exchanges.md 1.9).
CONNECTS_PER_S = 5
MESSAGES_PER_S = 5
MESSAGES_PER_MIN = 100
REST_PER_S = 10

# Trades/s at intensity 1 for the busiest KRW markets; a few more are made hot per seed.
HOT_KRW: dict[str, float] = {
    "BTC": 6.0, "XRP": 6.0, "ETH": 3.0, "SOL": 2.5, "DOGE": 2.5, "USDT": 2.0, "SUI": 1.2,
    "ADA": 1.2, "ONDO": 0.8, "PEPE": 0.8, "TRUMP": 0.8, "SHIB": 0.6, "USDC": 0.4,
}  # fmt: skip
# 24 h turnover of the busiest KRW markets, billions of KRW at intensity 1, as on a usual
# Upbit day: XRP, BTC, ETH, USDT, SOL and DOGE lead. The markets a seed makes hot trade
# often but in smaller tickets (HOT_ALT_TURNOVER): a trending alt, ranked after the majors.
# The rest follow from their trade rate (about 0.2 to 10 billion).
TURNOVER_KRW_BN: dict[str, float] = {
    "XRP": 450.0, "BTC": 380.0, "ETH": 260.0, "USDT": 170.0, "SOL": 120.0, "DOGE": 100.0,
    "SUI": 35.0, "ADA": 30.0, "PEPE": 20.0, "USDC": 15.0, "ONDO": 15.0, "TRUMP": 12.0,
    "SHIB": 10.0,
}  # fmt: skip
HOT_ALT_TURNOVER = (12.0, 45.0)
KRW_FEE = 0.0005  # Upbit's taker fee: 0.05 % in KRW markets, 0.25 % in BTC and USDT markets
COIN_MARKET_FEE = 0.0025
STABLE_BASES = frozenset({"USDT", "USDC"})


# ---------------------------------------------------------------------------- markets


# (lower bound, price unit), highest band first.
KRW_TICKS: tuple[tuple[float, float], ...] = (
    (1_000_000, 1000.0), (500_000, 500.0), (100_000, 100.0), (50_000, 50.0), (10_000, 10.0),
    (5_000, 5.0), (100, 1.0), (10, 0.1), (1, 0.01), (0.1, 0.001), (0.01, 0.0001),
    (0.001, 0.00001), (0.0001, 0.000001), (0.00001, 0.0000001), (0.0, 0.00000001),
)  # fmt: skip
USDT_TICKS: tuple[tuple[float, float], ...] = (
    (10, 0.01), (1, 0.001), (0.1, 0.0001), (0.01, 0.00001), (0.001, 0.000001),
    (0.0001, 0.0000001), (0.0, 0.00000001),
)  # fmt: skip


def krw_tick(price: float) -> float:
    """KRW market price unit: Upbit's table since 2025-07-31 from 100 KRW up (1,000 from
    1,000,000; 500; 100 from 100,000; 50; 10 from 10,000; 5 from 5,000; 1 from 100).
    Assumption: the bands under 100 KRW (not pinned down) keep one unit per decade, three
    significant digits (0.1 KRW for 10-100 ... 0.0000001 for 0.00001-0.0001), 0.00000001
    below."""
    for bound, unit in KRW_TICKS:
        if price >= bound:
            return unit
    return KRW_TICKS[-1][1]


def krw_stable_tick(price: float) -> float:
    """USDT/KRW and USDC/KRW: 0.5 KRW between 1,000 and 10,000 KRW (since 2025-03-21)."""
    return 0.5 if 1_000 <= price < 10_000 else krw_tick(price)


def usdt_tick(price: float) -> float:
    """USDT market price unit."""
    for bound, unit in USDT_TICKS:
        if price >= bound:
            return unit
    return USDT_TICKS[-1][1]


def btc_tick(price: float) -> float:
    return 1e-8


def load_markets() -> list[dict[str, str]]:
    """The market list: ``market``, ``korean_name``, ``english_name``."""
    return json.loads(MARKETS_FILE.read_text(encoding="utf-8"))


def listing_specs(codes: Iterable[str], seed: int) -> list[ListingSpec]:
    """Activity, turnover and depth per market: a few very hot KRW markets, a long quiet
    tail, thin BTC and USDT markets.

    The kimchi premium applies to every coin Upbit prices in KRW or USDT (not to the dollar
    coins themselves): Upbit's ``USDT-X`` stands at ``KRW-X / KRW-USDT``, as arbitrage inside
    one exchange keeps it, while the rate ``KRW-USDT`` follows the dollar."""
    codes = list(codes)
    rng = random.Random(f"upbit:{seed}")
    alts = sorted(c for c in codes if c.startswith("KRW-") and c[4:] not in HOT_KRW)
    hot = set(rng.sample(alts, min(4, len(alts))))
    specs = []
    for code in codes:
        quote, base = code.split("-", 1)
        premium = quote in ("KRW", "USDT") and base not in STABLES
        turnover = 0.0
        if quote == "KRW":
            if base in HOT_KRW:
                rate = HOT_KRW[base]
                turnover = TURNOVER_KRW_BN.get(base, 0.0)
            elif code in hot:
                rate = rng.uniform(2.5, 5.0)
                turnover = rng.uniform(*HOT_ALT_TURNOVER)
            else:
                rate = min(0.8, 0.12 * math.exp(rng.gauss(0.0, 0.9)))
            depth = 30
            tick = krw_stable_tick if base in STABLE_BASES else krw_tick
        elif quote == "BTC":
            rate, depth, tick = (
                rng.uniform(0.002, 0.02),
                rng.choice((3, 5, 8, 12, 15, 30)),
                btc_tick,
            )
        else:
            rate, depth, tick = rng.uniform(0.005, 0.05), rng.choice((5, 10, 15, 30)), usdt_tick
        turnover_usd = turnover * 1e9 / FIAT_RATES["KRW"]
        fee = KRW_FEE if quote == "KRW" else COIN_MARKET_FEE
        specs.append(
            ListingSpec(NAME, code, base, quote, tick, rate, depth, premium, 8, turnover_usd, fee)
        )
    return specs


# ---------------------------------------------------------------------------- numbers


def jd(x: float) -> str:
    """Java ``Double.toString``: ``5.0``, ``158.73``, ``1.40962E8``, ``7.9276E-4``."""
    ax = abs(x)
    if 1e-3 <= ax < 1e7:
        return repr(float(x))
    if ax == 0.0:
        return "0.0"
    r = repr(float(ax))
    if "e" in r:
        mant, exp = r.split("e")
        e = int(exp)
        if "." not in mant:
            mant += ".0"
    else:
        whole, frac = r.split(".")
        if ax >= 1e7:
            digits = (whole + frac).rstrip("0")
            e = len(whole) - 1
        else:
            stripped = frac.lstrip("0")
            e = -(len(frac) - len(stripped) + 1)
            digits = stripped.rstrip("0")
        mant = digits[0] + "." + (digits[1:] or "0")
    return f"{'-' if x < 0 else ''}{mant}E{e}"


# Book levels mostly keep their size from one frame to the next: cache the rendering.
size_str = lru_cache(maxsize=131072)(jd)


@lru_cache(maxsize=65536)
def price_str(x: float) -> str:
    """``BigDecimal.valueOf(x)`` as Upbit writes it (exponent without ``+``)."""
    ax = abs(x)
    if 1e-6 <= ax < 1e-3:
        return format(Decimal(repr(float(x))), "f")
    return jd(x)


def dec8(x: float) -> str:
    """A scale-8 ``BigDecimal``: ``123.00000000``, ``9.9E-7``, ``6E-8``, ``0E-8``."""
    s = f"{abs(x):.8f}"
    unscaled = int(s.replace(".", ""))
    if unscaled >= 100:
        return f"-{s}" if x < 0 else s
    digits = str(unscaled)
    e = len(digits) - 1 - 8
    mant = digits if len(digits) == 1 else f"{digits[0]}.{digits[1:]}"
    return f"{'-' if x < 0 and unscaled else ''}{mant}E{e}"


@lru_cache(maxsize=8192)
def _utc(sec: int) -> tuple[str, str, str, str]:
    """("2021-04-17", "16:51:02", "20210417", "165102") for a unix second."""
    t = time.gmtime(sec)
    d = f"{t.tm_year:04d}{t.tm_mon:02d}{t.tm_mday:02d}"
    h = f"{t.tm_hour:02d}{t.tm_min:02d}{t.tm_sec:02d}"
    return f"{d[:4]}-{d[4:6]}-{d[6:]}", f"{h[:2]}:{h[2:4]}:{h[4:]}", d, h


def _iso(ms: int, kst: bool = False) -> str:
    date, tod, _, _ = _utc(ms // 1000 + (32400 if kst else 0))
    return f"{date}T{tod}"


# ---------------------------------------------------------------------------- WS frames


def _keys(*pairs: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    default = tuple(f'"{p.split("/")[0]}":' for p in pairs)
    simple = tuple(f'"{p.split("/")[1]}":' for p in pairs)
    return default, simple


TRADE_KEYS = _keys(
    "type/ty", "code/cd", "timestamp/tms", "trade_date/td", "trade_time/ttm",
    "trade_timestamp/ttms", "trade_price/tp", "trade_volume/tv", "ask_bid/ab",
    "prev_closing_price/pcp", "change/c", "change_price/cp", "sequential_id/sid",
    "best_ask_price/bap", "best_ask_size/bas", "best_bid_price/bbp", "best_bid_size/bbs",
    "stream_type/st",
)  # fmt: skip
TICKER_KEYS = _keys(
    "type/ty", "code/cd", "opening_price/op", "high_price/hp", "low_price/lp", "trade_price/tp",
    "prev_closing_price/pcp", "acc_trade_price/atp", "change/c", "change_price/cp",
    "signed_change_price/scp", "change_rate/cr", "signed_change_rate/scr", "ask_bid/ab",
    "trade_volume/tv", "acc_trade_volume/atv", "trade_date/tdt", "trade_time/ttm",
    "trade_timestamp/ttms", "acc_ask_volume/aav", "acc_bid_volume/abv",
    "highest_52_week_price/h52wp", "highest_52_week_date/h52wdt", "lowest_52_week_price/l52wp",
    "lowest_52_week_date/l52wdt", "market_state/ms", "is_trading_suspended/its",
    "delisting_date/dd", "market_warning/mw", "timestamp/tms", "acc_trade_price_24h/atp24h",
    "acc_trade_volume_24h/atv24h", "stream_type/st",
)  # fmt: skip
BOOK_KEYS = _keys(
    "type/ty", "code/cd", "timestamp/tms", "total_ask_size/tas", "total_bid_size/tbs",
    "orderbook_units/obu", "stream_type/st", "level/lv",
)  # fmt: skip
UNIT_KEYS = _keys("ask_price/ap", "bid_price/bp", "ask_size/as", "bid_size/bs")
CANDLE_KEYS = _keys(
    "type/ty", "code/cd", "candle_date_time_utc/cdttmu", "candle_date_time_kst/cdttmk",
    "opening_price/op", "high_price/hp", "low_price/lp", "trade_price/tp",
    "candle_acc_trade_volume/catv", "candle_acc_trade_price/catp", "timestamp/tms",
    "stream_type/st",
)  # fmt: skip


def _obj(keys: tuple[str, ...], vals: list[str]) -> str:
    return "{" + ",".join(map(str.__add__, keys, vals)) + "}"


def _change(diff: float) -> str:
    return '"RISE"' if diff > 0 else '"FALL"' if diff < 0 else '"EVEN"'


def trade_frame(t: Trade, simple: bool, stream: str, now_ms: int) -> bytes:
    date, tod, _, _ = _utc(t.ts // 1000)
    diff = t.price - t.prev_close
    vals = [
        '"trade"', f'"{t.listing.symbol}"', str(max(now_ms, t.ts)), f'"{date}"', f'"{tod}"',
        str(t.ts), price_str(t.price), jd(t.size), '"BID"' if t.side == "buy" else '"ASK"',
        dec8(t.prev_close), _change(diff), dec8(abs(diff)), str(t.seq),
        price_str(t.best_ask), jd(t.best_ask_size), price_str(t.best_bid), jd(t.best_bid_size),
        f'"{stream}"',
    ]  # fmt: skip
    return _obj(TRADE_KEYS[simple], vals).encode()


def ticker_frame(lst: Listing, simple: bool, stream: str, now_ms: int) -> bytes:
    day = lst.day
    change, diff, rate = lst.change()
    _, _, tdt, ttm = _utc(lst.last_ts // 1000)
    hp, hd, lp, ld = lst.week52()
    vol24, amt24 = lst.rolling_24h(now_ms)
    vals = [
        '"ticker"', f'"{lst.symbol}"', price_str(day.open), price_str(day.high),
        price_str(day.low), price_str(lst.last), dec8(lst.prev_close), dec8(day.amount),
        f'"{change}"', dec8(abs(diff)), dec8(diff), jd(round_rate(abs(rate))), jd(round_rate(rate)),
        '"BID"' if lst.last_side == "buy" else '"ASK"', jd(lst.last_size), dec8(day.volume),
        f'"{tdt}"', f'"{ttm}"', str(lst.last_ts), dec8(lst.acc_ask_volume),
        dec8(lst.acc_bid_volume), dec8(hp), f'"{_utc(hd // 1000)[0]}"', dec8(lp),
        f'"{_utc(ld // 1000)[0]}"', '"ACTIVE"', "false", "null", '"NONE"', str(now_ms),
        dec8(amt24), dec8(vol24), f'"{stream}"',
    ]  # fmt: skip
    return _obj(TICKER_KEYS[simple], vals).encode()


def book_frame(lst: Listing, depth: int, simple: bool, stream: str) -> bytes:
    asks, bids = lst.asks, lst.bids
    ka, kb, kas, kbs = UNIT_KEYS[simple]
    units = []
    tas = tbs = 0.0
    na, nb = len(asks), len(bids)
    for i in range(depth):
        ap, asz = asks[i] if i < na else (0.0, 0.0)
        bp, bsz = bids[i] if i < nb else (0.0, 0.0)
        tas += asz
        tbs += bsz
        units.append(
            f"{{{ka}{price_str(ap)},{kb}{price_str(bp)},{kas}{size_str(asz)},{kbs}{size_str(bsz)}}}"
        )
    vals = [
        '"orderbook"', f'"{lst.symbol}"', str(lst.book_ts), dec8(tas), dec8(tbs),
        "[" + ",".join(units) + "]", f'"{stream}"', "0",
    ]  # fmt: skip
    return _obj(BOOK_KEYS[simple], vals).encode()


def candle_frame(lst: Listing, simple: bool, stream: str, unit: int, c: Candle) -> bytes:
    vals = [
        f'"{UNIT_TYPES[unit]}"', f'"{lst.symbol}"', f'"{_iso(c.start)}"',
        f'"{_iso(c.start, kst=True)}"', price_str(c.open), price_str(c.high), price_str(c.low),
        price_str(c.close), jd(round(c.volume, 8)), jd(c.amount), str(c.last_ts), f'"{stream}"',
    ]  # fmt: skip
    return _obj(CANDLE_KEYS[simple], vals).encode()


# Coins Upbit's warning and caution flags are never drawn on in the demo.
_NEVER_FLAGGED = frozenset(
    {"BTC", "ETH", "XRP", "SOL", "DOGE", "ADA", "USDT", "USDC", "TRX", "LINK"}
)


# ---------------------------------------------------------------------------- connections


class _Conn(FamilyConn):
    __slots__ = ("fmt", "msg_min", "msg_sec", "subs", "ticket")

    def __init__(self, peer: Peer) -> None:
        super().__init__(peer)
        self.fmt = 0  # index into FORMATS
        self.ticket = ""
        self.subs: list[dict[str, Any]] = []  # for LIST_SUBSCRIPTIONS
        self.msg_sec = RateWindow(MESSAGES_PER_S, 1.0)
        self.msg_min = RateWindow(MESSAGES_PER_MIN, 60.0)

    def send(self, frame: bytes) -> None:
        self.peer.send_data(b"[" + frame + b"]" if self.fmt >= 2 else frame)

    def reset(self) -> None:
        super().reset()
        self.subs = []


def _flag(obj: dict[str, Any], snake: str, camel: str) -> bool:
    value = obj.get(snake, obj.get(camel, False))
    if not isinstance(value, bool):
        raise RequestError("INVALID_PARAM", f"{snake} 는 boolean 이어야 합니다.")
    return value


def parse_request(raw: str | bytes) -> tuple[str, int, str | None, list[dict[str, Any]]]:
    """(ticket, format index, method, type objects); RequestError for what Upbit refuses."""
    req = request_objects(raw)
    ticket = next((o["ticket"] for o in req if "ticket" in o), None)
    if isinstance(ticket, int | float) and not isinstance(ticket, bool):
        ticket = str(ticket)  # a JSON number binds to the String field, as Jackson does
    if not isinstance(ticket, str) or not ticket:
        raise RequestError("NO_TICKET", "ticket 이 존재하지 않습니다.")
    fmt_name = request_format(req, FORMATS)
    method = next((o["method"] for o in req if "method" in o), None)
    if method is not None:
        if method != "LIST_SUBSCRIPTIONS":
            raise RequestError("WRONG_FORMAT", f"{method} 은 지원하지 않는 method 입니다.")
        return ticket, FORMATS.index(fmt_name), method, []
    types = [o for o in req if "type" in o]
    if not types:
        raise RequestError("NO_TYPE", "type 이 존재하지 않습니다.")
    out = []
    for o in types:
        ty = o["type"]
        if ty in PRIVATE_TYPES:
            raise RequestError("INVALID_AUTH", "인증 정보가 올바르지 않습니다.")
        if not isinstance(ty, str) or ty not in TYPES:
            # Assumption: the name Upbit uses for an unsupported type value is not pinned
            # down; the message is the one a 2026 probe saw.
            raise RequestError("NO_TYPE", f"{ty} 은 지원하지 않는 타입입니다.")
        codes = o.get("codes")
        if not isinstance(codes, list) or not codes:
            raise RequestError("NO_CODES", "codes 가 존재하지 않습니다.")
        if not all(isinstance(c, str) for c in codes):
            raise RequestError("WRONG_FORMAT", "codes 형식이 올바르지 않습니다.")
        only_snapshot = _flag(o, "is_only_snapshot", "isOnlySnapshot")
        only_realtime = _flag(o, "is_only_realtime", "isOnlyRealtime")
        level = _level(o.get("level", 0))
        out.append(
            {
                "type": ty, "codes": codes, "only_snapshot": only_snapshot,
                "only_realtime": only_realtime, "level": level,
            }
        )  # fmt: skip
    return ticket, FORMATS.index(fmt_name), None, out


def _level(value: Any) -> float:
    """The ``level`` of a type object. Current docs ask for "a number as a String" (REST) and
    show JSON numbers (WebSocket); both are taken, as Jackson coerces one into the other."""
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            value = -1.0
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
        raise RequestError("INVALID_PARAM", "level 이 올바르지 않습니다.")
    return value


def _split_depth(code: str) -> tuple[str, int]:
    """``KRW-BTC.15`` -> ("KRW-BTC", 15); unsupported depths mean 30; no suffix means 30."""
    head, dot, tail = code.rpartition(".")
    if dot and tail.isdigit():
        n = int(tail)
        return head, n if n in BOOK_DEPTHS else 30
    return code, 30


# ---------------------------------------------------------------------------- the venue


class UpbitVenue(FamilyVenue[_Conn]):
    """Registers Upbit's markets with the market process and serves them."""

    name = NAME
    conn_class = _Conn
    ws_path = WS_PATH
    connects_per_s = CONNECTS_PER_S
    full_depth = 30

    def __init__(self, ctx: SimContext) -> None:
        super().__init__(ctx)
        self.markets = load_markets()
        market = ctx.market
        self.listings: dict[str, Listing] = {}
        for spec in listing_specs([m["market"] for m in self.markets], market.seed):
            self.listings[spec.symbol] = market.add_listing(spec)
        rng = random.Random(f"upbit-events:{market.seed}")
        self._events: dict[str, dict[str, Any]] = {}
        for m in self.markets:
            cautions = {
                "PRICE_FLUCTUATIONS": rng.random() < 0.03,
                "TRADING_VOLUME_SOARING": rng.random() < 0.03,
                "DEPOSIT_AMOUNT_SOARING": rng.random() < 0.01,
                "GLOBAL_PRICE_DIFFERENCES": rng.random() < 0.02,
                "CONCENTRATION_OF_SMALL_ACCOUNTS": rng.random() < 0.01,
            }
            warning = rng.random() < 0.02
            if m["market"].split("-")[1] in _NEVER_FLAGGED:
                # Upbit does not flag the majors; a demo that does is not believed.
                cautions = dict.fromkeys(cautions, False)
                warning = False
            self._events[m["market"]] = {"warning": warning, "caution": cautions}
        self._rest = RateWindow(REST_PER_S, 1.0)
        # The exchange API and private socket of the paper accounts (none unless keys given).
        self.paper = PaperExchange(ctx, self.listings, ctx.accounts)

    # -- wiring
    def app(self) -> web.Application:
        app = web.Application()
        r = app.router
        r.add_get(WS_PATH, self._ws)
        self.paper.routes(r)
        r.add_get("/v1/market/all", self._limited("market", self._market_all))
        r.add_get("/v1/ticker", self._limited("ticker", self._ticker))
        r.add_get("/v1/ticker/all", self._limited("ticker", self._ticker_all))
        r.add_get("/v1/orderbook", self._limited("orderbook", self._orderbook))
        r.add_get("/v1/orderbook/instruments", self._limited("orderbook", self._instruments))
        r.add_get("/v1/trades/ticks", self._limited("trade", self._trades))
        r.add_get("/v1/candles/seconds", self._limited("candle", self._candles_seconds))
        r.add_get("/v1/candles/minutes/{unit}", self._limited("candle", self._candles_minutes))
        r.add_get("/v1/candles/days", self._limited("candle", self._candles_days))
        for period in PERIODS:
            r.add_get(f"/v1/candles/{period}", self._limited("candle", self._candles_period))
        return app

    # -- market data fan-out: each frame is encoded once per format and shared
    def dispatch(self, step: StepResult) -> None:
        self.paper.dispatch(step)
        subs = self._subs
        if not subs:
            return
        now = step.now_ms
        for t in step.trades:
            if t.listing.venue == NAME and (conns := subs.get(("trade", t.listing.symbol))):
                _fan(conns, trade_frame, t, "REALTIME", now)
        for lst in step.tickers:
            if lst.venue == NAME and (conns := subs.get(("ticker", lst.symbol))):
                _fan(conns, ticker_frame, lst, "REALTIME", now)
        for lst in step.books:
            if lst.venue == NAME and (conns := subs.get(("orderbook", lst.symbol))):
                cache: dict[tuple[int, int], bytes] = {}
                for c in conns:
                    depth = c.book_depth.get(lst.symbol, 30)
                    key = (depth, c.fmt & 1)
                    frame = cache.get(key)
                    if frame is None:
                        frame = cache[key] = book_frame(lst, depth, bool(c.fmt & 1), "REALTIME")
                    c.send(frame)
        for lst, unit, candle in step.candles:
            if lst.venue != NAME or unit not in UNIT_TYPES:
                continue
            if conns := subs.get((UNIT_TYPES[unit], lst.symbol)):
                _fan(conns, candle_frame, lst, "REALTIME", unit, candle)

    # -- WebSocket
    def ws_remaining(self, left: int) -> str | None:
        return f"group=websocket; min=300; sec={left}"

    def on_message(self, conn: _Conn, text: str) -> None:
        if answer_ping(conn, text, STATUS_EVERY):
            return
        ctx = self.ctx
        ctx.subscriptions_received += 1
        now = asyncio.get_running_loop().time()
        if ctx.faults.refuse_rate_limit or (
            ctx.rate_limits
            and (conn.msg_sec.hit(None, now) is None or conn.msg_min.hit(None, now) is None)
        ):
            # Assumption: Upbit does not document its reply to a message-rate violation. We
            # answer this error, ignore the request and keep the connection open.
            conn.peer.send_control(error_frame("TOO_MANY_REQUESTS", "요청 수 제한을 초과했습니다."))
            return
        try:
            ticket, fmt, method, types = parse_request(text)
        except RequestError as err:
            refuse(conn, error_frame(str(err.name), err.message), self._tasks)
            return
        conn.fmt = fmt
        if method == "LIST_SUBSCRIPTIONS":
            self._list_subscriptions(conn, ticket)
            return
        self._subscribe(conn, ticket, types)

    def _subscribe(self, conn: _Conn, ticket: str, types: list[dict[str, Any]]) -> None:
        """A new request replaces the connection's whole subscription."""
        self._unindex(conn)
        conn.ticket = ticket
        simple = bool(conn.fmt & 1)
        now = int(self.ctx.market.now_ms)
        for obj in types:
            ty, level = obj["type"], obj["level"]
            if not obj["only_snapshot"]:
                conn.subs.append({"type": ty, "codes": list(obj["codes"]), "level": level})
            if ty == "orderbook" and level:
                continue  # only the native tick is simulated: other levels carry no data
            flags = (obj["only_snapshot"], obj["only_realtime"])
            self._take(conn, ty, obj["codes"], flags, simple, now)

    def split_depth(self, code: str) -> tuple[str, int]:
        return _split_depth(code)

    def snapshot(self, lst: Listing, ty: str, depth: int, simple: bool, now: int) -> bytes | None:
        if ty == "ticker":
            return ticker_frame(lst, simple, "SNAPSHOT", now)
        if ty == "orderbook":
            return book_frame(lst, depth, simple, "SNAPSHOT")
        if ty == "trade":
            last = lst.recent_trades(1)
            return trade_frame(last[0], simple, "SNAPSHOT", now) if last else None
        unit = CANDLE_TYPES[ty]
        candles = lst.candles_before(unit, None, 1)
        return candle_frame(lst, simple, "SNAPSHOT", unit, candles[0]) if candles else None

    def _list_subscriptions(self, conn: _Conn, ticket: str) -> None:
        simple = bool(conn.fmt & 1)
        rows = []
        for s in conn.subs:
            row: dict[str, Any] = {"ty" if simple else "type": s["type"]}
            row["cds" if simple else "codes"] = s["codes"]
            if s["type"] == "orderbook":
                row["lv" if simple else "level"] = s["level"]
            rows.append(row)
        if simple:
            body = {"mthd": "LIST_SUBSCRIPTIONS", "rslt": rows, "tckt": ticket}
        else:
            body = {"method": "LIST_SUBSCRIPTIONS", "result": rows, "ticket": ticket}
        conn.send(orjson.dumps(body))

    # -- REST
    def _limited(self, group: str, handler: Handler) -> Handler:
        async def limited(request: web.Request) -> web.StreamResponse:
            left: int | None = REST_PER_S - 1
            if self.ctx.rate_limits:
                now = asyncio.get_running_loop().time()
                left = self._rest.hit((group, request.remote), now)
            if left is None:
                return json_response(
                    {"error": {"name": "too_many_requests", "message": "Too many API requests."}},
                    status=429,
                    remaining=f"group={group}; min=600; sec=0",
                )
            try:
                resp = await handler(request)
            except RequestError as err:
                status = int(err.name)
                resp = json_response(
                    {"error": {"name": status, "message": err.message}}, status=status
                )
            resp.headers["Remaining-Req"] = f"group={group}; min=600; sec={left}"
            return resp

        return limited

    async def _market_all(self, request: web.Request) -> web.StreamResponse:
        q = request.query
        details = q.get("is_details", q.get("isDetails", "false")).lower() == "true"
        rows: list[dict[str, Any]] = []
        for m in self.markets:
            row: dict[str, Any] = dict(m)
            if details:
                row["market_event"] = self._events[m["market"]]
            rows.append(row)
        return json_response(rows)

    def _ticker_row(self, lst: Listing) -> dict[str, Any]:
        now = int(self.ctx.market.now_ms)
        day = lst.day
        change, diff, rate = lst.change()
        _, _, tdt, ttm = _utc(lst.last_ts // 1000)
        _, _, kdt, ktm = _utc(lst.last_ts // 1000 + 32400)
        hp, hd, lp, ld = lst.week52()
        vol24, amt24 = lst.rolling_24h(now)
        return {
            "market": lst.symbol, "trade_date": tdt, "trade_time": ttm, "trade_date_kst": kdt,
            "trade_time_kst": ktm, "trade_timestamp": lst.last_ts, "opening_price": day.open,
            "high_price": day.high, "low_price": day.low, "trade_price": lst.last,
            "prev_closing_price": lst.prev_close, "change": change,
            "change_price": round(abs(diff), 8), "change_rate": round_rate(abs(rate)),
            "signed_change_price": round(diff, 8), "signed_change_rate": round_rate(rate),
            "trade_volume": lst.last_size, "acc_trade_price": round(day.amount, 8),
            "acc_trade_price_24h": round(amt24, 8), "acc_trade_volume": round(day.volume, 8),
            "acc_trade_volume_24h": round(vol24, 8), "highest_52_week_price": hp,
            "highest_52_week_date": _utc(hd // 1000)[0], "lowest_52_week_price": lp,
            "lowest_52_week_date": _utc(ld // 1000)[0], "timestamp": now,
        }  # fmt: skip

    async def _ticker(self, request: web.Request) -> web.StreamResponse:
        return json_response([self._ticker_row(lst) for lst in self._markets_param(request)])

    async def _ticker_all(self, request: web.Request) -> web.StreamResponse:
        raw = ",".join(request.query.getall("quote_currencies", ())) or "KRW,BTC,USDT"
        quotes = {q.strip() for q in raw.split(",") if q.strip()}
        rows = [self._ticker_row(x) for x in self.listings.values() if x.spec.quote in quotes]
        return json_response(rows)

    async def _orderbook(self, request: web.Request) -> web.StreamResponse:
        listings = self._markets_param(request)
        count = int_param(request.query.get("count"), 30, 1, 30, "count")
        level = request.query.get("level", "0")
        try:
            if float(level) != 0.0:
                return json_response([])  # only the native tick is simulated
        except ValueError:
            raise RequestError("400", "level is invalid") from None
        rows = []
        for lst in listings:
            asks, bids = lst.book(count)
            units = []
            for i in range(count):
                ap, asz = asks[i] if i < len(asks) else (0.0, 0.0)
                bp, bsz = bids[i] if i < len(bids) else (0.0, 0.0)
                units.append({"ask_price": ap, "bid_price": bp, "ask_size": asz, "bid_size": bsz})
            rows.append(
                {
                    "market": lst.symbol, "timestamp": lst.book_ts,
                    "total_ask_size": round(sum(s for _, s in asks), 8),
                    "total_bid_size": round(sum(s for _, s in bids), 8),
                    "orderbook_units": units, "level": 0,
                }
            )  # fmt: skip
        return json_response(rows)

    async def _instruments(self, request: web.Request) -> web.StreamResponse:
        rows = []
        for lst in self._markets_param(request):
            tick = format(Decimal(repr(lst.tick(lst.last))).normalize(), "f")
            rows.append(
                {
                    "market": lst.symbol, "quote_currency": lst.spec.quote, "tick_size": tick,
                    "supported_levels": ["0"],
                }
            )  # fmt: skip
        return json_response(rows)

    async def _trades(self, request: web.Request) -> web.StreamResponse:
        q = request.query
        lst = self._market_param(request)
        count = int_param(q.get("count"), 1, 1, 500, "count")
        cursor = int_param(q.get("cursor"), 0, 0, 1 << 62, "cursor") or None
        # Older docs and clients spell the parameters camelCase; Upbit takes both.
        days_ago = int_param(q.get("days_ago", q.get("daysAgo")), 0, 0, 7, "days_ago")
        if days_ago:
            return json_response([])  # only today's tape is simulated
        to = q.get("to", "").replace(":", "")
        if to and (len(to) != 6 or not to.isdigit()):
            raise RequestError("400", "to is invalid")
        trades = lst.recent_trades(count if not to else 500, cursor)
        if to:
            trades = [t for t in trades if _utc(t.ts // 1000)[3] < to][:count]
        rows = []
        for t in trades:
            date, tod, _, _ = _utc(t.ts // 1000)
            rows.append(
                {
                    "market": lst.symbol, "trade_date_utc": date, "trade_time_utc": tod,
                    "timestamp": t.ts, "trade_price": t.price, "trade_volume": t.size,
                    "prev_closing_price": t.prev_close,
                    "change_price": round(t.price - t.prev_close, 8),
                    "ask_bid": "BID" if t.side == "buy" else "ASK", "sequential_id": t.seq,
                }
            )  # fmt: skip
        return json_response(rows)

    def _candles(
        self, request: web.Request, unit: int, extra: dict[str, Any]
    ) -> list[dict[str, Any]]:
        q = request.query
        lst = self._market_param(request)
        count = int_param(q.get("count"), 1, 1, 200, "count")
        to = parse_to(q.get("to"))
        candles = lst.candles_before(unit, to, count + (1 if unit == 86400 else 0))
        rows = []
        for i, c in enumerate(candles[:count]):
            row = {
                "market": lst.symbol, "candle_date_time_utc": _iso(c.start),
                "candle_date_time_kst": _iso(c.start, kst=True), "opening_price": c.open,
                "high_price": c.high, "low_price": c.low, "trade_price": c.close,
                "timestamp": c.last_ts, "candle_acc_trade_price": round(c.amount, 8),
                "candle_acc_trade_volume": round(c.volume, 8), **extra,
            }  # fmt: skip
            if unit == 86400:
                prev = candles[i + 1].close if i + 1 < len(candles) else lst.prev_close
                if c is lst.day:
                    prev = lst.prev_close
                row["prev_closing_price"] = prev
                row["change_price"] = round(c.close - prev, 8)
                row["change_rate"] = round_rate((c.close - prev) / prev if prev else 0.0)
                convert = q.get("converting_price_unit", q.get("convertingPriceUnit"))
                if convert == "KRW" and lst.spec.quote == "BTC":
                    row["converted_trade_price"] = round(c.close * self.listings["KRW-BTC"].last, 8)
            rows.append(row)
        return rows

    async def _candles_seconds(self, request: web.Request) -> web.StreamResponse:
        return json_response(self._candles(request, 1, {}))

    async def _candles_minutes(self, request: web.Request) -> web.StreamResponse:
        unit = int_param(request.match_info["unit"], 1, 1, 240, "unit")
        if unit not in MINUTE_UNITS:
            raise RequestError("400", "unit is invalid")
        return json_response(self._candles(request, unit * 60, {"unit": unit}))

    async def _candles_days(self, request: web.Request) -> web.StreamResponse:
        return json_response(self._candles(request, 86400, {}))

    async def _candles_period(self, request: web.Request) -> web.StreamResponse:
        """Week (from Monday), month and year candles, folded from the day candles (UTC)."""
        period = request.path.rsplit("/", 1)[-1]
        q = request.query
        lst = self._market_param(request)
        count = int_param(q.get("count"), 1, 1, 200, "count")
        to = parse_to(q.get("to"))
        days = lst.candles_before(86400, to, (count + 1) * PERIODS[period])  # newest first
        groups: dict[int, list[Candle]] = {}
        for c in days:
            groups.setdefault(period_start(c.start, period), []).append(c)
        rows = []
        for start, group in list(groups.items())[:count]:
            oldest, newest = group[-1], group[0]
            rows.append(
                {
                    "market": lst.symbol, "candle_date_time_utc": _iso(start),
                    "candle_date_time_kst": _iso(start, kst=True),
                    "opening_price": oldest.open, "high_price": max(c.high for c in group),
                    "low_price": min(c.low for c in group), "trade_price": newest.close,
                    "timestamp": newest.last_ts,
                    "candle_acc_trade_price": round(sum(c.amount for c in group), 8),
                    "candle_acc_trade_volume": round(sum(c.volume for c in group), 8),
                    "first_day_of_period": _utc(start // 1000)[0],
                }
            )  # fmt: skip
        return json_response(rows)


def _fan(conns: dict[_Conn, None], encode: Callable[..., bytes], *args: Any) -> None:
    """Encode once per format actually subscribed; every connection gets the same bytes."""
    cache: list[bytes | None] = [None, None, None, None]
    for c in conns:
        k = c.fmt
        frame = cache[k]
        if frame is None:
            base = cache[k & 1]
            if base is None:
                base = cache[k & 1] = encode(args[0], bool(k & 1), *args[1:])
            frame = cache[k] = base if k < 2 else b"[" + base + b"]"
        c.peer.send_data(frame)
