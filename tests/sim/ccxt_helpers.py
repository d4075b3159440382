"""ccxt pointed at the simulator, and what a ccxt user expects of what it returns.

Each venue's client is built the way a ccxt user would build it for the real exchange,
with only ``urls['api']`` changed: the entries its ``sign()`` (REST) and its WebSocket
``get_url`` read, as ccxt's own exchange files (``describe()['urls']['api']``) name them.
"""

from __future__ import annotations

import math
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import ccxt.async_support as ccxt_rest
import ccxt.pro as ccxt_pro

from dantaro_tui.sim.market import Listing
from dantaro_tui.sim.server import SimServer

Json = Any
KOREAN = frozenset({"upbit", "bithumb", "coinone"})
MAJORS = ("BTC", "ETH", "XRP")
HOLD_S = 3600.0  # the simulator's step interval while the market holds still
TIMEOUT_S = 30.0  # generous: the machine may be busy


@dataclass(frozen=True)
class Case:
    """One way a ccxt user reaches a venue: the simulator's venue, ccxt's exchange id and
    the options that client needs (``generation`` 1 = Bithumb's legacy REST API)."""

    venue: str
    ccxt_id: str
    options: dict[str, Any] = field(default_factory=dict)
    label: str = ""

    @property
    def name(self) -> str:
        return self.label or self.venue

    def quote(self) -> str:
        return "KRW" if self.venue in KOREAN else "USDT"

    def symbol(self, base: str) -> str:
        return f"{base}/{self.quote()}"


# ccxt loads every market type by default; the simulator is spot only, as is the monitor.
_SPOT_ONLY = {"fetchMarkets": {"types": ["spot"]}}
CASES = (
    Case("upbit", "upbit"),
    Case("okx", "okx", _SPOT_ONLY),
    Case("binance", "binance", _SPOT_ONLY),
    Case("gateio", "gate", _SPOT_ONLY),
    Case("bithumb", "bithumb"),
    Case("bithumb", "bithumb", {"generation": 1}, "bithumb-legacy"),
    Case("coinone", "coinone"),
)
GLOBAL = tuple(c for c in CASES if c.venue not in KOREAN)


def _api_urls(case: Case, template: dict[str, Any], rest: str, ws: str) -> dict[str, Any]:
    """``urls['api']`` with the simulator's bases where ccxt's client builds its URLs."""
    api = dict(template)
    if case.venue == "upbit":  # sign(): urls.api[public] + "/v1/" + path
        api.update(public=rest, private=rest, ws=ws)
    elif case.venue == "okx":  # sign(): urls.api.rest + "/api/v5/" + path; ws + "/public"
        api.update(rest=rest, ws=ws + "/ws/v5")
    elif case.venue == "binance":  # sign(): urls.api[public] + "/" + path; ws[spot] + "/N"
        api.update(public=rest + "/api/v3", private=rest + "/api/v3", v1=rest + "/api/v1")
        if "ws" in template:
            api["ws"] = {**template["ws"], "spot": ws + "/ws"}
    elif case.venue == "gateio":  # sign(): urls.api.public[section] + "/" + section + path
        api["public"] = {k: rest + "/api/v4" for k in template["public"]}
        api["spot"] = ws
    elif case.venue == "bithumb":  # sign(): urls.api[public] + "/" + path (v1 and legacy)
        api.update(public=rest, private=rest)
        if "ws" in template:
            api["ws"] = {**template["ws"], "publicGen2": ws, "publicV2": ws}
    elif case.venue == "coinone":  # sign(): urls.api.v2Public + "/" + path
        api.update(rest=rest, v2Public=rest + "/public/v2", ws=ws)
    return api


def _point(client: Any, case: Case, sim: SimServer) -> Any:
    ep = sim.endpoints[case.venue]
    client.urls["api"] = _api_urls(case, client.urls["api"], ep["rest"], ep["ws"])
    return client


def rest_client(case: Case, sim: SimServer) -> Any:
    cls = getattr(ccxt_rest, case.ccxt_id)
    return _point(cls({"enableRateLimit": True, "options": dict(case.options)}), case, sim)


def pro_client(case: Case, sim: SimServer) -> Any:
    cls = getattr(ccxt_pro, case.ccxt_id)
    return _point(cls({"enableRateLimit": True, "options": dict(case.options)}), case, sim)


@asynccontextmanager
async def held_market(venues: Sequence[str], seed: int = 11) -> AsyncIterator[SimServer]:
    """A simulator whose market holds still for the test (its clock would first step an hour
    from now), so every answer describes the same instant and can be held against the
    others exactly."""
    async with live_market(venues, seed, step_interval=HOLD_S) as sim:
        yield sim


@asynccontextmanager
async def live_market(
    venues: Sequence[str], seed: int = 11, step_interval: float = 0.05
) -> AsyncIterator[SimServer]:
    async with SimServer(seed=seed, step_interval=step_interval, venues=list(venues)) as sim:
        yield sim


@asynccontextmanager
async def connected(client: Any) -> AsyncIterator[Any]:
    try:
        yield client
    finally:
        await client.close()


def listing(sim: SimServer, case: Case, base: str) -> Listing:
    """The simulator's own record of a market: the ground truth ccxt is held against."""
    for lst in sim.market.listings(case.venue):
        if lst.spec.base == base and lst.spec.quote == case.quote():
            return lst
    raise AssertionError(f"the simulator lists no {case.symbol(base)} on {case.venue}")


def now_ms() -> int:
    return int(time.time() * 1000)


# ---------------------------------------------------------------------------- coherence


def assert_book(book: Json, *, zero_sizes: bool = False) -> None:
    """Bids best first and descending, asks ascending, the best bid under the best ask, no
    impossible number. ``zero_sizes``: Bithumb's v1 book writes sizes at 4 decimals, so a
    live level may show 0 (exchanges.md 6.3)."""
    bids, asks = book["bids"], book["asks"]
    assert bids and asks, "an empty side on a major market"
    for side in (bids, asks):
        for price, amount, *_ in side:
            assert math.isfinite(price) and price > 0, price
            assert math.isfinite(amount) and (amount >= 0 if zero_sizes else amount > 0), amount
    bid_prices = [lv[0] for lv in bids]
    ask_prices = [lv[0] for lv in asks]
    assert bid_prices == sorted(bid_prices, reverse=True) and len(set(bid_prices)) == len(bids)
    assert ask_prices == sorted(ask_prices) and len(set(ask_prices)) == len(asks)
    assert bids[0][0] < asks[0][0], f"crossed book: {bids[0][0]} >= {asks[0][0]}"


def assert_trades(trades: Sequence[Json], symbol: str) -> None:
    assert trades, f"no trades for {symbol}"
    stamps = [t["timestamp"] for t in trades]
    assert stamps == sorted(stamps), "trades out of time order"
    for t in trades:
        assert t["symbol"] == symbol
        assert t["price"] > 0 and math.isfinite(t["price"]), t
        assert t["amount"] > 0 and math.isfinite(t["amount"]), t
        assert t["side"] in ("buy", "sell"), t
        assert now_ms() - 7 * 86_400_000 < t["timestamp"] <= now_ms() + 60_000, t


def assert_ohlcv(rows: Sequence[Sequence[float]], timeframe_ms: int) -> None:
    assert rows, "no candles"
    stamps = [int(r[0]) for r in rows]
    assert stamps == sorted(set(stamps)), "candle times not strictly ascending"
    for ts, o, h, lo, c, v in rows:
        assert ts % timeframe_ms == 0, f"{ts} is off the {timeframe_ms} ms grid"
        assert h >= max(o, c) >= min(o, c) >= lo > 0, (ts, o, h, lo, c)
        assert v >= 0, v
    assert stamps[-1] <= now_ms() + 60_000


def ticks_from(price: float, bid: float, ask: float, tick: float) -> float:
    """How many ticks ``price`` lies outside [bid, ask] (0 inside)."""
    return max(bid - price, price - ask, 0.0) / tick
