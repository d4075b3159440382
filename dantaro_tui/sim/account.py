"""Paper accounts of the simulated Upbit and Bithumb: the exchange API (``/v1/accounts``,
orders) and the private WebSocket (``myOrder``, ``myAsset``), one account per key pair and venue.

Every request is authenticated as the exchange does it (``jwt_auth.py``: signature, nonce
reuse, ``query_hash``, permissions) and refused with the exchange's error bodies. Orders
(``limit``; ``price`` = market buy by total; ``market`` = market sell by volume) match against
the simulated book of their market without moving it (a paper account watches the market, it
does not trade it): the marketable part fills at once, level by level, as a taker; the rest
rests and fills as a maker when the market trades through its price or the opposite best
quote reaches it. Each change goes out as the exchange sends it: ``myOrder`` ``wait`` ->
``trade`` (one per fill) -> ``done`` or ``cancel``, and ``myAsset`` with the balances that
changed. REST numbers are strings (as Upbit's order endpoints write them); WebSocket
numbers are JSON numbers.

Bithumb copied Upbit's account API; a :class:`PaperVenue` keeps what differs explicit:

* tokens: HS256 with a ``timestamp`` claim, Bithumb's error names (``jwt_auth.BITHUMB``);
* the private socket is ``/websocket/v2/private`` and its ``myOrder`` is the v2 shape
  (``order_id``, ``side`` buy/sell, ``order_price``/``trade_price``, ``*_quantity``,
  ``order_amount``/``trade_amount``, ``client_order_id``; no ``trades_count``, ``locked``,
  ``avg_price``, ``trade_fee`` or ``is_maker``); ``myAsset`` is Upbit's;
* orders are listed by ``GET /v1/orders`` (``state`` or ``states[]``, ``page``, ``limit``
  up to 100) instead of Upbit's ``/v1/orders/open`` and ``/v1/orders/closed``;
* one budget of 140 private requests a second, and no ``Remaining-Req`` header.

Simplifications (said, not hidden): no ``best`` orders, no tick-size check on prices, the
average buy price ignores fees, KRW deposits are the starting balance, order refusals use
Upbit's error names on both venues.
"""

from __future__ import annotations

import asyncio
import math
import secrets
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import orjson
from aiohttp import web

from dantaro_tui.sim.faults import Peer, RateWindow
from dantaro_tui.sim.jwt_auth import (
    ASSETS,
    BITHUMB,
    ORDERS_READ,
    ORDERS_WRITE,
    UPBIT,
    AuthDialect,
    AuthError,
    PaperKey,
    body_query,
    get_query,
    require,
    verify,
)
from dantaro_tui.sim.market import Listing, StepResult
from dantaro_tui.sim.upbit_family import answer_ping, refuse, stop_status
from dantaro_tui.sim.wsloop import Tasks, serve_socket

if TYPE_CHECKING:
    from dantaro_tui.sim.server import SimContext

PRIVATE_WS_PATH = "/websocket/v1/private"
BITHUMB_PRIVATE_WS_PATH = "/websocket/v2/private"
MIN_TOTAL = {"KRW": 5000.0, "BTC": 0.00005, "USDT": 0.5}
MAX_TOTAL = 1_000_000_000.0
# Account rate-limit groups (reference 1.9): per account, not per IP.
GROUP_LIMITS = {"default": 30, "order": 8}
# Bithumb: "Private API 요청 제한 초당 최대 140회", one budget for every private call.
BITHUMB_PRIVATE_PER_S = 140
CLOSED_KEPT = 1000
STATUS_EVERY = 10.0
KST = timedelta(hours=9)
EPS = 1e-12

# myOrder / myAsset keys: DEFAULT -> SIMPLE (reference 1.7).
ORDER_SIMPLE = {
    "type": "ty", "code": "cd", "uuid": "uid", "ask_bid": "ab", "order_type": "ot",
    "state": "s", "trade_uuid": "tuid", "price": "p", "avg_price": "ap", "volume": "v",
    "remaining_volume": "rv", "executed_volume": "ev", "trades_count": "tc",
    "reserved_fee": "rsf", "remaining_fee": "rmf", "paid_fee": "pf", "locked": "l",
    "executed_funds": "ef", "time_in_force": "tif", "trade_fee": "tf", "is_maker": "im",
    "identifier": "id", "smp_type": "smpt", "prevented_volume": "pv",
    "prevented_locked": "pl", "trade_timestamp": "ttms", "order_timestamp": "otms",
    "timestamp": "tms", "stream_type": "st",
}  # fmt: skip
ASSET_SIMPLE = {
    "type": "ty", "asset_uuid": "astuid", "assets": "ast", "currency": "cu", "balance": "b",
    "locked": "l", "asset_timestamp": "asttms", "timestamp": "tms", "stream_type": "st",
}  # fmt: skip


class OrderError(Exception):
    """An order the exchange refuses: HTTP ``status`` with its error ``name``."""

    def __init__(self, name: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.name = name
        self.message = message
        self.status = status


@dataclass
class Holding:
    balance: float = 0.0  # free
    locked: float = 0.0
    avg_buy_price: float = 0.0


@dataclass
class Fill:
    uuid: str
    price: float
    volume: float
    funds: float
    fee: float
    maker: bool
    ts: int


@dataclass
class PaperOrder:
    uuid: str
    market: str
    base: str
    quote: str
    side: str  # "bid" / "ask"
    ord_type: str  # limit / price / market
    price: float | None
    volume: float | None
    fee_rate: float
    created_ms: int
    identifier: str | None = None
    state: str = "wait"
    remaining: float = 0.0  # base (limit, market) or quote funds (price)
    executed_volume: float = 0.0
    executed_funds: float = 0.0
    reserved_fee: float = 0.0
    paid_fee: float = 0.0
    locked: float = 0.0
    fills: list[Fill] = field(default_factory=list)

    @property
    def open(self) -> bool:
        return self.state in ("wait", "watch")

    @property
    def remaining_volume(self) -> float:
        if self.ord_type == "price":
            return 0.0
        return self.remaining

    @property
    def avg_price(self) -> float:
        return self.executed_funds / self.executed_volume if self.executed_volume else 0.0


def _r(x: float) -> float:
    """Rounded like the exchange's 8-decimal amounts (and never -0.0)."""
    return round(x, 8) + 0.0


def _s(x: float | None) -> str | None:
    return None if x is None else format(_r(x), ".8f").rstrip("0").rstrip(".") or "0"


def _iso(ms: int) -> str:
    return (datetime.fromtimestamp(ms / 1000, UTC) + KST).strftime("%Y-%m-%dT%H:%M:%S+09:00")


class Account:
    """One key pair's balances and orders."""

    def __init__(
        self,
        key: PaperKey,
        listings: Mapping[str, Listing],
        now_ms: int,
        venue: PaperVenue | None = None,
    ) -> None:
        self.key = key
        self.venue = venue or UPBIT_VENUE
        self.listings = listings
        self.asset_uuid = str(uuid.uuid4())
        self.holdings: dict[str, Holding] = {}
        for currency, amount in key.balances.items():
            avg = key.avg_buy_prices.get(currency, 0.0)
            if not avg and currency != "KRW" and (lst := listings.get(f"KRW-{currency}")):
                avg = lst.last
            self.holdings[currency] = Holding(float(amount), 0.0, avg)
        self.orders: dict[str, PaperOrder] = {}  # open
        self.closed: deque[PaperOrder] = deque(maxlen=CLOSED_KEPT)
        self.by_id: dict[str, PaperOrder] = {}
        self.conns: set[PrivateConn] = set()
        self.now_ms = now_ms

    def holding(self, currency: str) -> Holding:
        return self.holdings.setdefault(currency, Holding())

    # -- placing -------------------------------------------------------------------------
    def place(self, body: Mapping[str, Any], now_ms: int) -> PaperOrder:
        market = body.get("market")
        side = body.get("side")
        ord_type = body.get("ord_type")
        lst = self.listings.get(market) if isinstance(market, str) else None
        if lst is None:
            raise OrderError("market_does_not_exist", "마켓 정보가 존재하지 않습니다.")
        if side not in ("bid", "ask"):
            raise OrderError("validation_error", "side 값이 올바르지 않습니다.")
        bid = side == "bid"
        if ord_type not in ("limit", "price", "market"):
            raise OrderError("validation_error", "ord_type 값이 올바르지 않습니다.")
        price = _number(body.get("price"))
        volume = _number(body.get("volume"))
        create_error = "create_bid_error" if bid else "create_ask_error"
        if ord_type == "limit" and (price is None or volume is None):
            raise OrderError("validation_error", "지정가 주문은 price 와 volume 이 필요합니다.")
        if ord_type == "price" and (not bid or price is None or volume is not None):
            raise OrderError(create_error, "시장가 매수는 price 만 입력해야 합니다.")
        if ord_type == "market" and (bid or volume is None or price is not None):
            raise OrderError(create_error, "시장가 매도는 volume 만 입력해야 합니다.")
        if (price is not None and price <= 0) or (volume is not None and volume <= 0):
            raise OrderError("validation_error", "price 와 volume 은 0 보다 커야 합니다.")
        quote, base = lst.spec.quote, lst.spec.base
        fee_rate = lst.spec.taker_fee
        total = price * volume if price is not None and volume is not None else (price or 0.0)
        if ord_type == "market":
            total = (volume or 0.0) * (lst.bids[0][0] if lst.bids else lst.last)
        if total < MIN_TOTAL.get(quote, 0.0):
            raise OrderError(
                "under_min_total_bid" if bid else "under_min_total_ask",
                f"최소주문금액 이상으로 주문해주세요 ({_s(MIN_TOTAL.get(quote, 0.0))} {quote}).",
            )
        if total > MAX_TOTAL:
            raise OrderError(create_error, "최대주문금액 이하로 주문해주세요.")
        order = PaperOrder(
            uuid=str(uuid.uuid4()),
            market=lst.symbol,
            base=base,
            quote=quote,
            side=side,
            ord_type=ord_type,
            price=price,
            volume=volume,
            fee_rate=fee_rate,
            created_ms=now_ms,
            identifier=str(body["identifier"]) if body.get("identifier") else None,
        )
        if bid:
            order.reserved_fee = total * fee_rate
            order.locked = total + order.reserved_fee
            wallet = self.holding(quote)
            if wallet.balance + EPS < order.locked:
                raise OrderError("insufficient_funds_bid", "매수가능 금액이 부족합니다.")
            order.remaining = (volume or 0.0) if ord_type == "limit" else total
        else:
            order.reserved_fee = total * fee_rate if ord_type == "limit" else 0.0
            order.locked = volume or 0.0
            wallet = self.holding(base)
            if wallet.balance + EPS < order.locked:
                raise OrderError("insufficient_funds_ask", "매도가능 수량이 부족합니다.")
            order.remaining = volume or 0.0
        if order.identifier and any(o.identifier == order.identifier for o in self.by_id.values()):
            raise OrderError("validation_error", "identifier 가 이미 사용되었습니다.")
        wallet.balance = _r(wallet.balance - order.locked)
        wallet.locked = _r(wallet.locked + order.locked)
        self.orders[order.uuid] = order
        self.by_id[order.uuid] = order
        return order

    def after_place(self, order: PaperOrder, now_ms: int) -> None:
        """Events of a new order, then its marketable part filled against the book."""
        changed = {order.quote if order.side == "bid" else order.base}
        self.emit_order(order, now_ms)
        self.emit_assets(changed, now_ms)
        self.take(order, now_ms)

    # -- matching ------------------------------------------------------------------------
    def take(self, order: PaperOrder, now_ms: int) -> None:
        """Fill the marketable part of ``order`` against the opposite side, best first."""
        lst = self.listings[order.market]
        levels = lst.asks if order.side == "bid" else lst.bids
        for level_price, level_size in [(p, s) for p, s in levels]:
            if not order.open:
                break
            if order.ord_type == "limit" and order.price is not None:
                if order.side == "bid" and level_price > order.price + EPS:
                    break
                if order.side == "ask" and level_price < order.price - EPS:
                    break
            if order.ord_type == "price":
                # Rounded down: a fill may never cost more than the funds the order holds.
                qty = min(level_size, math.floor(order.remaining / level_price * 1e8) / 1e8)
            else:
                qty = round(min(level_size, order.remaining), 8)
            if qty <= 0:
                break
            self.fill(order, level_price, qty, False, now_ms)
        if order.open and order.ord_type in ("price", "market"):
            # What the book could not fill of a market order is cancelled, as on Upbit.
            self.finish(order, "cancel", now_ms)

    def on_step(self, step: StepResult) -> None:
        """Resting limit orders fill as makers when the market reaches their price."""
        if not self.orders:
            return
        traded: dict[str, list[tuple[float, float, str]]] = {}
        listings = self.listings
        for t in step.trades:
            if listings.get(t.listing.symbol) is t.listing:  # this venue's market, not a twin
                traded.setdefault(t.listing.symbol, []).append((t.price, t.size, t.side))
        for order in list(self.orders.values()):
            lst = self.listings.get(order.market)
            if lst is None or order.ord_type != "limit" or order.price is None:
                continue
            price = order.price
            bid = order.side == "bid"
            for trade_price, size, taker in traded.get(order.market, ()):
                if not order.open:
                    break
                # A taker selling at or below our bid (buying at or above our ask) met us.
                if (bid and taker == "sell" and trade_price <= price + EPS) or (
                    not bid and taker == "buy" and trade_price >= price - EPS
                ):
                    self.fill(order, price, round(min(size, order.remaining), 8), True, step.now_ms)
            if order.open:
                opposite = lst.asks if bid else lst.bids
                if opposite and (
                    (bid and opposite[0][0] <= price + EPS)
                    or (not bid and opposite[0][0] >= price - EPS)
                ):
                    qty = round(min(opposite[0][1], order.remaining), 8)
                    self.fill(order, price, qty, True, step.now_ms)

    def fill(self, order: PaperOrder, price: float, qty: float, maker: bool, now_ms: int) -> None:
        if qty <= 0:
            return
        funds = price * qty
        fee = funds * order.fee_rate
        quote, base = self.holding(order.quote), self.holding(order.base)
        if order.side == "bid":
            quote.locked = _r(max(0.0, quote.locked - funds - fee))
            order.locked = _r(max(0.0, order.locked - funds - fee))
            held = base.balance + base.locked
            base.avg_buy_price = (held * base.avg_buy_price + funds) / (held + qty)
            base.balance = _r(base.balance + qty)
            order.remaining = _r(order.remaining - (funds if order.ord_type == "price" else qty))
        else:
            base.locked = _r(max(0.0, base.locked - qty))
            order.locked = _r(max(0.0, order.locked - qty))
            quote.balance = _r(quote.balance + funds - fee)
            order.remaining = _r(order.remaining - qty)
        order.executed_volume = _r(order.executed_volume + qty)
        order.executed_funds = _r(order.executed_funds + funds)
        order.paid_fee += fee
        trade = Fill(str(uuid.uuid4()), price, qty, funds, fee, maker, now_ms)
        order.fills.append(trade)
        self.emit_order(order, now_ms, trade)
        self.emit_assets({order.quote, order.base}, now_ms)
        minimum = 1e-8 if order.ord_type != "price" else max(price * 1e-8, 1e-8)
        if order.remaining < minimum:
            self.finish(order, "done", now_ms)

    def cancel(self, order: PaperOrder, now_ms: int) -> None:
        self.finish(order, "cancel", now_ms)

    def finish(self, order: PaperOrder, state: str, now_ms: int) -> None:
        """Close ``order``: what it still holds goes back to the free balance."""
        wallet = self.holding(order.quote if order.side == "bid" else order.base)
        wallet.balance = _r(wallet.balance + order.locked)
        wallet.locked = _r(max(0.0, wallet.locked - order.locked))
        order.locked = 0.0
        order.state = state
        self.orders.pop(order.uuid, None)
        self.closed.append(order)
        self.emit_order(order, now_ms)
        self.emit_assets({order.quote if order.side == "bid" else order.base}, now_ms)

    # -- frames --------------------------------------------------------------------------
    def emit_order(self, order: PaperOrder, now_ms: int, fill: Fill | None = None) -> None:
        subs = [c for c in self.conns if c.wants_order(order.market)]
        if not subs:
            return
        body = self.venue.order_frame(order, now_ms, fill)
        for conn in subs:
            conn.send(_keys(body, self.venue.order_simple) if conn.simple else body)

    def emit_assets(self, currencies: Iterable[str], now_ms: int) -> None:
        subs = [c for c in self.conns if c.wants_assets]
        if not subs:
            return
        assets = [
            {"currency": c, "balance": _r(h.balance), "locked": _r(h.locked)}
            for c in sorted(currencies)
            if (h := self.holdings.get(c)) is not None
        ]
        body = {
            "type": "myAsset",
            "asset_uuid": self.asset_uuid,
            "assets": assets,
            "asset_timestamp": now_ms,
            "timestamp": now_ms,
            "stream_type": "REALTIME",
        }
        for conn in subs:
            conn.send(_keys(body, ASSET_SIMPLE) if conn.simple else body)

    # -- REST rows -----------------------------------------------------------------------
    def account_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "currency": c,
                "balance": _s(h.balance),
                "locked": _s(h.locked),
                "avg_buy_price": _s(h.avg_buy_price),
                "avg_buy_price_modified": False,
                "unit_currency": "KRW",
            }
            for c, h in self.holdings.items()
            if c == "KRW" or h.balance or h.locked
        ]


def order_frame(order: PaperOrder, now_ms: int, fill: Fill | None) -> dict[str, Any]:
    """One ``myOrder`` message (DEFAULT keys). A fill reports its own price and volume."""
    state = "trade" if fill is not None else order.state
    return {
        "type": "myOrder",
        "code": order.market,
        "uuid": order.uuid,
        "ask_bid": "BID" if order.side == "bid" else "ASK",
        "order_type": order.ord_type,
        "state": state,
        "trade_uuid": fill.uuid if fill else None,
        "price": fill.price if fill else order.price,
        "avg_price": _r(order.avg_price),
        "volume": fill.volume if fill else order.volume,
        "remaining_volume": _r(order.remaining_volume),
        "executed_volume": _r(order.executed_volume),
        "trades_count": len(order.fills),
        "reserved_fee": _r(order.reserved_fee),
        "remaining_fee": _r(max(0.0, order.reserved_fee - order.paid_fee)),
        "paid_fee": _r(order.paid_fee),
        "locked": _r(order.locked),
        "executed_funds": _r(order.executed_funds),
        "time_in_force": None,
        "trade_fee": _r(fill.fee) if fill else None,
        "is_maker": fill.maker if fill else None,
        "identifier": order.identifier,
        "smp_type": None,
        "prevented_volume": 0,
        "prevented_locked": 0,
        "trade_timestamp": fill.ts if fill else None,
        "order_timestamp": order.created_ms,
        "timestamp": now_ms,
        "stream_type": "REALTIME",
    }


def order_row(order: PaperOrder, with_trades: bool = False) -> dict[str, Any]:
    """An order as the REST endpoints write it (numbers as strings)."""
    row: dict[str, Any] = {
        "uuid": order.uuid,
        "side": order.side,
        "ord_type": order.ord_type,
        "price": _s(order.price),
        "state": order.state,
        "market": order.market,
        "created_at": _iso(order.created_ms),
        "volume": _s(order.volume),
        "remaining_volume": _s(order.remaining_volume),
        "reserved_fee": _s(order.reserved_fee),
        "remaining_fee": _s(max(0.0, order.reserved_fee - order.paid_fee)),
        "paid_fee": _s(order.paid_fee),
        "locked": _s(order.locked),
        "executed_volume": _s(order.executed_volume),
        "executed_funds": _s(order.executed_funds),
        "trades_count": len(order.fills),
    }
    if order.identifier:
        row["identifier"] = order.identifier
    if with_trades:
        row["trades"] = [
            {
                "market": order.market,
                "uuid": f.uuid,
                "price": _s(f.price),
                "volume": _s(f.volume),
                "funds": _s(f.funds),
                "side": order.side,
                "trend": "up" if order.side == "bid" else "down",
                "created_at": _iso(f.ts),
            }
            for f in order.fills
        ]
    return row


def _keys(body: dict[str, Any], simple: Mapping[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in body.items():
        if isinstance(v, list):
            v = [_keys(x, simple) if isinstance(x, dict) else x for x in v]
        out[simple.get(k, k)] = v
    return out


# Bithumb's myOrder v2 keys: DEFAULT -> SIMPLE (its Private v2 migration guide).
BITHUMB_ORDER_SIMPLE = {
    "type": "ty", "code": "cd", "order_id": "oid", "side": "sd", "order_type": "ot",
    "state": "s", "trade_id": "tid", "canceling_order_id": "cnoid", "order_price": "op",
    "trade_price": "tp", "order_quantity": "oq", "trade_quantity": "tq",
    "order_amount": "oa", "trade_amount": "ta", "remaining_quantity": "rq",
    "executed_quantity": "eq", "executed_amount": "ea", "reserved_fee": "rsf",
    "remaining_fee": "rmf", "paid_fee": "pf", "client_order_id": "coid",
    "cancel_type": "ct", "time_in_force": "tif", "trade_timestamp": "ttms",
    "order_timestamp": "otms", "timestamp": "tms", "stream_type": "st",
}  # fmt: skip


def bithumb_order_frame(order: PaperOrder, now_ms: int, fill: Fill | None) -> dict[str, Any]:
    """One Bithumb ``myOrder`` v2 message (DEFAULT keys): the order's price and quantity and
    the fill's are separate fields; ``order_amount`` is the order's value (0 for a market
    sell, the total for a market buy)."""
    if order.ord_type == "price":
        amount = order.price or 0.0
    elif order.ord_type == "limit":
        amount = (order.price or 0.0) * (order.volume or 0.0)
    else:
        amount = 0.0
    return {
        "type": "myOrder",
        "code": order.market,
        "order_id": order.uuid,
        "side": "buy" if order.side == "bid" else "sell",
        "order_type": order.ord_type,
        "state": "trade" if fill is not None else order.state,
        "trade_id": fill.uuid if fill else None,
        "order_price": order.price if order.ord_type == "limit" else None,
        "trade_price": fill.price if fill else None,
        "order_quantity": order.volume,
        "trade_quantity": fill.volume if fill else None,
        "order_amount": _r(amount),
        "trade_amount": _r(fill.funds) if fill else None,
        "remaining_quantity": _r(order.remaining_volume),
        "executed_quantity": _r(order.executed_volume),
        "executed_amount": _r(order.executed_funds),
        "reserved_fee": _r(order.reserved_fee),
        "remaining_fee": _r(max(0.0, order.reserved_fee - order.paid_fee)),
        "paid_fee": _r(order.paid_fee),
        "client_order_id": order.identifier,
        "cancel_type": None,
        "time_in_force": None,
        "trade_timestamp": fill.ts if fill else None,
        "order_timestamp": order.created_ms,
        "timestamp": now_ms,
        "stream_type": "REALTIME",
    }


@dataclass(frozen=True)
class PaperVenue:
    """What one exchange's account API differs in (see the module's docstring)."""

    name: str
    auth: AuthDialect
    private_ws_path: str
    order_frame: Callable[[PaperOrder, int, Fill | None], dict[str, Any]]
    order_simple: Mapping[str, str]
    group_limits: Mapping[str, int]
    shared_limit: bool  # True: every group counts in one budget
    remaining_header: bool  # Upbit's ``Remaining-Req`` on every reply
    list_by_state: bool  # ``GET /v1/orders?state=`` instead of ``/v1/orders/open|closed``


UPBIT_VENUE = PaperVenue(
    name="upbit",
    auth=UPBIT,
    private_ws_path=PRIVATE_WS_PATH,
    order_frame=order_frame,
    order_simple=ORDER_SIMPLE,
    group_limits=GROUP_LIMITS,
    shared_limit=False,
    remaining_header=True,
    list_by_state=False,
)
BITHUMB_VENUE = PaperVenue(
    name="bithumb",
    auth=BITHUMB,
    private_ws_path=BITHUMB_PRIVATE_WS_PATH,
    order_frame=bithumb_order_frame,
    order_simple=BITHUMB_ORDER_SIMPLE,
    group_limits={"default": BITHUMB_PRIVATE_PER_S, "order": BITHUMB_PRIVATE_PER_S},
    shared_limit=True,
    remaining_header=False,
    list_by_state=True,
)
OPEN_STATES = ("wait", "watch")
CLOSED_STATES = ("done", "cancel")
BITHUMB_MAX_LIMIT = 100


def _number(value: Any) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise OrderError("validation_error", "숫자 형식이 올바르지 않습니다.")
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise OrderError("validation_error", "숫자 형식이 올바르지 않습니다.") from None
    if x != x or x in (float("inf"), float("-inf")):
        raise OrderError("validation_error", "숫자 형식이 올바르지 않습니다.")
    return x


def generate_key() -> PaperKey:
    """A fresh pair with a few holdings (printed by ``dantaro-tui sim``)."""
    return PaperKey(
        access_key=secrets.token_urlsafe(30)[:40],
        secret_key=secrets.token_urlsafe(30)[:40],
        balances=DEMO_BALANCES,
    )


# A paper account worth looking at: KRW to trade with and a few coins.
DEMO_BALANCES = {"KRW": 10_000_000.0, "BTC": 0.05, "ETH": 1.2, "XRP": 3000.0}


def parse_account(text: str) -> PaperKey:
    """``KEY:SECRET`` from the command line; ValueError with a sentence otherwise."""
    access, sep, secret = text.partition(":")
    if not sep or not access.strip() or not secret.strip():
        raise ValueError("--account takes ACCESS_KEY:SECRET_KEY (both non-empty)")
    return PaperKey(access.strip(), secret.strip(), balances=DEMO_BALANCES)


# ---------------------------------------------------------------------------- private WS


class PrivateConn:
    __slots__ = ("account", "auth_error", "closing", "peer", "simple", "status", "types")

    def __init__(self, peer: Peer, account: Account | None, auth_error: AuthError | None) -> None:
        self.peer = peer
        self.account = account
        self.auth_error = auth_error
        self.simple = False
        self.types: dict[str, frozenset[str] | None] = {}  # myOrder codes (None = all)
        self.status: asyncio.Task[None] | None = None
        self.closing = False

    def wants_order(self, market: str) -> bool:
        if "myOrder" not in self.types:
            return False
        codes = self.types["myOrder"]
        return codes is None or market in codes

    @property
    def wants_assets(self) -> bool:
        return "myAsset" in self.types

    def send(self, body: dict[str, Any]) -> None:
        self.peer.send_data(orjson.dumps(body))


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class PaperExchange:
    """The accounts of one simulated exchange, their REST endpoints and private socket."""

    def __init__(
        self,
        ctx: SimContext,
        listings: Mapping[str, Listing],
        keys: Iterable[PaperKey],
        venue: PaperVenue | None = None,
    ) -> None:
        self.ctx = ctx
        self.listings = listings
        self.venue = venue or UPBIT_VENUE
        now = int(ctx.market.now_ms)
        self.keys: dict[str, PaperKey] = {}
        self.accounts: dict[str, Account] = {}
        for key in keys:
            self.add(key, now)
        limits = self.venue.group_limits
        if self.venue.shared_limit:
            shared = RateWindow(max(limits.values()), 1.0)
            self._limits = dict.fromkeys(limits, shared)
        else:
            self._limits = {g: RateWindow(n, 1.0) for g, n in limits.items()}
        self._tasks = Tasks()

    def add(self, key: PaperKey, now_ms: int | None = None) -> Account:
        now = int(self.ctx.market.now_ms) if now_ms is None else now_ms
        # A copy per venue: the same pair on two exchanges is two accounts, two nonce sets.
        key = replace(key)
        self.keys[key.access_key] = key
        account = Account(key, self.listings, now, self.venue)
        self.accounts[key.access_key] = account
        return account

    def place_demo_orders(self, access_key: str) -> list[PaperOrder]:
        """A few orders on a paper account, so a demo's account view has something in it:
        a market buy that fills at once, and limit orders a few levels off the touch on
        both sides, which fill as makers when the market comes to them. An order the
        account cannot afford (or a market this venue lacks) is left out."""
        account = self.accounts.get(access_key)
        if account is None:
            return []
        plans: list[tuple[str, str, str, int, float]] = [
            # market, side, ord_type, book level, volume (a market buy: KRW to spend)
            ("KRW-ETH", "bid", "price", 0, 100_000.0),
            ("KRW-BTC", "bid", "limit", 2, 0.01),
            ("KRW-ETH", "ask", "limit", 2, 0.2),
            ("KRW-XRP", "ask", "limit", 4, 500.0),
        ]
        placed: list[PaperOrder] = []
        for market, side, ord_type, level, size in plans:
            lst = self.listings.get(market)
            levels = (lst.bids if side == "bid" else lst.asks) if lst is not None else []
            if len(levels) <= level:
                continue
            body: dict[str, Any] = {"market": market, "side": side, "ord_type": ord_type}
            if ord_type == "price":
                body["price"] = str(size)
            else:
                body["price"] = str(levels[level][0])
                body["volume"] = str(size)
            now = self._now()
            try:
                order = account.place(body, now)
            except OrderError:
                continue
            account.after_place(order, now)
            placed.append(order)
        return placed

    def routes(self, r: web.UrlDispatcher) -> None:
        r.add_get(self.venue.private_ws_path, self._ws)
        r.add_get("/v1/accounts", self._api("default", ASSETS, self._accounts))
        r.add_get("/v1/orders/chance", self._api("default", ORDERS_READ, self._chance))
        r.add_get("/v1/order", self._api("default", ORDERS_READ, self._order))
        if self.venue.list_by_state:
            r.add_get("/v1/orders", self._api("default", ORDERS_READ, self._by_state))
        else:
            r.add_get("/v1/orders/open", self._api("default", ORDERS_READ, self._open))
            r.add_get("/v1/orders/closed", self._api("default", ORDERS_READ, self._closed))
        r.add_post("/v1/orders", self._api("order", ORDERS_WRITE, self._place))
        r.add_delete("/v1/order", self._api("default", ORDERS_WRITE, self._cancel))

    def dispatch(self, step: StepResult) -> None:
        for account in self.accounts.values():
            account.on_step(step)

    async def drop_all(self) -> None:
        for account in self.accounts.values():
            for conn in list(account.conns):
                conn.peer.abort()

    async def close(self) -> None:
        self._tasks.cancel()

    # -- REST ----------------------------------------------------------------------------
    def _api(
        self,
        group: str,
        permission: str,
        handler: Callable[[web.Request, Account, Any], Awaitable[Any]],
    ) -> Handler:
        async def api(request: web.Request) -> web.StreamResponse:
            body: Any = None
            if request.method == "POST":
                try:
                    body = orjson.loads(await request.read())
                except orjson.JSONDecodeError:
                    return _error("validation_error", "잘못된 요청입니다.", 400)
                if not isinstance(body, dict):
                    return _error("validation_error", "잘못된 요청입니다.", 400)
                query = body_query(body)
            else:
                query = get_query(request.query_string)
            auth = self.venue.auth
            try:
                key = verify(self.keys, request.headers.get("Authorization"), query, auth)
                require(key, permission, auth)
            except AuthError as err:
                return _error(err.name, err.message, err.status)
            left: int | None = self.venue.group_limits[group] - 1
            if self.ctx.rate_limits:
                now = asyncio.get_running_loop().time()
                left = self._limits[group].hit(key.access_key, now)
            remaining = f"group={group}; min=1800; sec={max(left or 0, 0)}"
            if left is None:
                resp = _error("too_many_requests", "요청 수 제한을 초과했습니다.", 429)
                if self.venue.remaining_header:
                    resp.headers["Remaining-Req"] = remaining
                return resp
            account = self.accounts[key.access_key]
            try:
                result = await handler(request, account, body)
            except OrderError as err:
                resp = _error(err.name, err.message, err.status)
            else:
                status = 201 if request.method == "POST" else 200
                resp = _json(result, status)
            if self.venue.remaining_header:
                resp.headers["Remaining-Req"] = remaining
            return resp

        return api

    def _now(self) -> int:
        return int(time.time() * 1000)

    async def _accounts(self, request: web.Request, account: Account, _: Any) -> Any:
        return account.account_rows()

    async def _chance(self, request: web.Request, account: Account, _: Any) -> Any:
        market = request.query.get("market", "")
        lst = self.listings.get(market)
        if lst is None:
            raise OrderError("market_does_not_exist", "마켓 정보가 존재하지 않습니다.", 404)
        quote, base = lst.spec.quote, lst.spec.base
        fee = _s(lst.spec.taker_fee)
        rows = {r["currency"]: r for r in account.account_rows()}

        def row(currency: str) -> dict[str, Any]:
            empty = {
                "currency": currency, "balance": "0", "locked": "0", "avg_buy_price": "0",
                "avg_buy_price_modified": False, "unit_currency": "KRW",
            }  # fmt: skip
            return rows.get(currency, empty)

        return {
            "bid_fee": fee,
            "ask_fee": fee,
            "maker_bid_fee": fee,
            "maker_ask_fee": fee,
            "market": {
                "id": market,
                "name": f"{base}/{quote}",
                "order_types": ["limit"],
                "order_sides": ["ask", "bid"],
                "bid_types": ["limit", "price"],
                "ask_types": ["limit", "market"],
                "bid": {"currency": quote, "min_total": _s(MIN_TOTAL.get(quote, 0.0))},
                "ask": {"currency": quote, "min_total": _s(MIN_TOTAL.get(quote, 0.0))},
                "max_total": _s(MAX_TOTAL),
                "state": "active",
            },
            "bid_account": row(quote),
            "ask_account": row(base),
        }

    def _find(self, request: web.Request, account: Account) -> PaperOrder:
        q = request.query
        found: PaperOrder | None = None
        if "uuid" in q:
            found = account.by_id.get(q["uuid"])
        elif "identifier" in q:
            found = next(
                (o for o in account.by_id.values() if o.identifier == q["identifier"]), None
            )
        else:
            raise OrderError("validation_error", "uuid 또는 identifier 가 필요합니다.")
        if found is None:
            raise OrderError("order_not_found", "주문을 찾지 못했습니다.", 404)
        return found

    async def _order(self, request: web.Request, account: Account, _: Any) -> Any:
        return order_row(self._find(request, account), with_trades=True)

    def _listed(
        self, request: web.Request, orders: Iterable[PaperOrder], states: tuple[str, ...]
    ) -> list[dict[str, Any]]:
        q = request.query
        wanted = set(q.getall("states[]", ())) | set(q.getall("state", ()))
        if not wanted <= set(states):
            raise OrderError("validation_error", "state 값이 올바르지 않습니다.")
        market = q.get("market")
        limit = _limit(q.get("limit"))
        rows = [
            o
            for o in orders
            if (not market or o.market == market) and (not wanted or o.state in wanted)
        ]
        rows.sort(key=lambda o: o.created_ms, reverse=q.get("order_by", "desc") != "asc")
        return [order_row(o) for o in rows[:limit]]

    async def _open(self, request: web.Request, account: Account, _: Any) -> Any:
        return self._listed(request, account.orders.values(), ("wait", "watch"))

    async def _closed(self, request: web.Request, account: Account, _: Any) -> Any:
        return self._listed(request, account.closed, ("done", "cancel"))

    async def _by_state(self, request: web.Request, account: Account, _: Any) -> Any:
        """Bithumb's ``GET /v1/orders``: ``state`` (default ``wait``) or ``states[]``, never
        open and closed states together; ``page`` from 1, ``limit`` up to 100."""
        q = request.query
        if "state" in q and "states[]" in q:
            raise OrderError("invalid_parameter", "state 와 states 는 함께 사용할 수 없습니다.")
        wanted = set(q.getall("states[]", ())) or {q.get("state", "wait")}
        if wanted <= set(OPEN_STATES):
            orders: Iterable[PaperOrder] = account.orders.values()
        elif wanted <= set(CLOSED_STATES):
            orders = account.closed
        else:
            raise OrderError("invalid_parameter", "잘못된 파라미터 입니다.")
        market = q.get("market")
        limit = _limit(q.get("limit"), BITHUMB_MAX_LIMIT)
        page = _limit(q.get("page") or "1", 1_000_000)
        rows = [o for o in orders if (not market or o.market == market) and o.state in wanted]
        rows.sort(key=lambda o: o.created_ms, reverse=q.get("order_by", "desc") != "asc")
        return [order_row(o) for o in rows[(page - 1) * limit : page * limit]]

    async def _place(self, request: web.Request, account: Account, body: Any) -> Any:
        now = self._now()
        order = account.place(body, now)
        row = order_row(order)  # the exchange answers with the order as accepted: "wait"
        account.after_place(order, now)
        return row

    async def _cancel(self, request: web.Request, account: Account, _: Any) -> Any:
        order = self._find(request, account)
        if not order.open:
            raise OrderError("order_not_found", "주문을 찾지 못했습니다.", 404)
        row = order_row(order)
        account.cancel(order, self._now())
        return row

    # -- private WebSocket -----------------------------------------------------------------
    async def _ws(self, request: web.Request) -> web.StreamResponse:
        account: Account | None = None
        error: AuthError | None = None
        try:
            header = request.headers.get("Authorization")
            key = verify(self.keys, header, "", self.venue.auth)
            account = self.accounts[key.access_key]
        except AuthError as err:
            error = err  # said on the first request, as the exchange does

        def open_conn(peer: Peer) -> PrivateConn:
            conn = PrivateConn(peer, account, error)
            if account is not None:
                account.conns.add(conn)
            return conn

        return await serve_socket(
            request,
            self.ctx,
            self.ctx.idle_timeout,
            open_conn=open_conn,
            on_message=self._on_message,
            close_conn=self._forget,
            muted=lambda c: c.closing,
        )

    def _forget(self, conn: PrivateConn) -> None:
        if conn.account is not None:
            conn.account.conns.discard(conn)
        stop_status(conn)

    def _on_message(self, conn: PrivateConn, text: str) -> None:
        if answer_ping(conn, text, STATUS_EVERY):
            return
        self.ctx.subscriptions_received += 1
        try:
            simple, types = self._parse(conn, text)
        except AuthError as err:
            refuse(conn, orjson.dumps(err.body()), self._tasks)
            return
        conn.simple = simple
        conn.types = types

    def _parse(self, conn: PrivateConn, text: str) -> tuple[bool, dict[str, frozenset[str] | None]]:
        """(SIMPLE format, type -> codes) of a request; AuthError carries the error frame."""
        if conn.auth_error is not None or conn.account is None:
            raise AuthError("INVALID_AUTH", "인증 정보가 올바르지 않습니다.")
        try:
            req = orjson.loads(text)
        except orjson.JSONDecodeError:
            raise AuthError("WRONG_FORMAT", "요청 형식이 올바르지 않습니다.") from None
        if not isinstance(req, list) or not all(isinstance(o, dict) for o in req):
            raise AuthError("WRONG_FORMAT", "요청 형식이 올바르지 않습니다.")
        if not any(isinstance(o.get("ticket"), str) and o["ticket"] for o in req):
            raise AuthError("NO_TICKET", "ticket 이 존재하지 않습니다.")
        fmt = next((o["format"] for o in req if "format" in o), "DEFAULT")
        if fmt not in ("DEFAULT", "SIMPLE"):
            raise AuthError("WRONG_FORMAT", "Format 이 맞지 않습니다.")
        types: dict[str, frozenset[str] | None] = {}
        for o in req:
            if "type" not in o:
                continue
            ty = o["type"]
            if ty == "myOrder":
                codes = o.get("codes")
                if codes is not None and not (
                    isinstance(codes, list) and all(isinstance(c, str) for c in codes)
                ):
                    raise AuthError("WRONG_FORMAT", "codes 형식이 올바르지 않습니다.")
                needed = ORDERS_READ
                types[ty] = frozenset(codes) if codes else None
            elif ty == "myAsset":
                if "codes" in o:
                    raise AuthError("WRONG_FORMAT", "myAsset 은 codes 를 받지 않습니다.")
                needed = ASSETS
                types[ty] = None
            else:
                raise AuthError("NO_TYPE", f"{ty} 은 지원하지 않는 타입입니다.")
            if needed not in conn.account.key.permissions:
                # Assumption: the name Upbit gives a missing permission on this socket is
                # not pinned down; INVALID_AUTH is its documented refusal of a key.
                raise AuthError("INVALID_AUTH", f"{needed} 권한이 없습니다.")
        if not types:
            raise AuthError("NO_TYPE", "type 이 존재하지 않습니다.")
        return fmt == "SIMPLE", types


def paper_exchanges(venues: Iterable[object]) -> list[PaperExchange]:
    """The paper accounts' exchanges among a simulator's venues."""
    return [p for v in venues if isinstance(p := getattr(v, "paper", None), PaperExchange)]


def _limit(value: str | None, most: int = 1000) -> int:
    if not value:
        return min(100, most)
    try:
        n = int(value)
    except ValueError:
        raise OrderError("validation_error", "limit 값이 올바르지 않습니다.") from None
    if not 1 <= n <= most:
        raise OrderError("validation_error", f"limit 은 1 이상 {most} 이하여야 합니다.")
    return n


def _json(body: Any, status: int = 200) -> web.Response:
    return web.Response(
        body=orjson.dumps(body), status=status, content_type="application/json", charset="utf-8"
    )


def _error(name: str, message: str, status: int) -> web.Response:
    return _json({"error": {"name": name, "message": message}}, status)
