"""Upbit's exchange (account) REST API, sans-I/O: what to ask and how to read the answer.

Read-only calls the cockpit needs: balances (``/v1/accounts``, permission 자산조회), open and
closed orders and one order (``/v1/orders/open``, ``/v1/orders/closed``, ``/v1/order``) and the
order "chance" with the account's fees (``/v1/orders/chance``), all 주문조회. Requests are
``(path, params)`` with params as ordered pairs: the same pairs give the URL's query and the
unencoded string ``query_hash`` signs, so the two can never disagree.

REST writes numbers as strings; rows come back as typed records with floats. A row with an
impossible number (negative, not finite) is left out and reported in ``rejected``; text is
cleaned of control characters. Error bodies raise ``UpbitApiError`` and
``explain_error`` turns them into a sentence that names a missing permission.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Annotated, Any, Literal

import msgspec

from dantaro_tui.exchanges.base import RateLimit
from dantaro_tui.exchanges.sanity import clean, status
from dantaro_tui.exchanges.upbit import EXCHANGE, UpbitApiError
from dantaro_tui.exchanges.upbit_rest import Body, kst_ms, load_body
from dantaro_tui.model import Status

__all__ = [
    "GROUPS",
    "PERMISSION_OF_PATH",
    "Balance",
    "OrderChance",
    "OrderRow",
    "accounts_request",
    "chance_request",
    "closed_orders_request",
    "explain_error",
    "open_orders_request",
    "order_request",
    "parse_accounts",
    "parse_chance",
    "parse_order",
    "parse_orders",
]

Params = list[tuple[str, str]]
Request = tuple[str, Params]

# Account rate-limit groups (reference 1.9): counted per account ("pocket"), not per IP.
GROUPS: dict[str, RateLimit] = {
    "default": RateLimit(30, 1.0),
    "order": RateLimit(8, 1.0),
    "order-cancel-all": RateLimit(1, 2.0),
}
ASSETS = "자산조회 (asset inquiry)"
ORDERS = "주문조회 (order inquiry)"
PERMISSION_OF_PATH = {
    "/v1/accounts": ASSETS,
    "/v1/orders/chance": ORDERS,
    "/v1/order": ORDERS,
    "/v1/orders/open": ORDERS,
    "/v1/orders/closed": ORDERS,
}

# --------------------------------------------------------------------------- requests


def accounts_request() -> Request:
    return "/v1/accounts", []


def chance_request(market: str) -> Request:
    return "/v1/orders/chance", [("market", market.upper())]


def order_request(uuid: str) -> Request:
    return "/v1/order", [("uuid", uuid)]


def order_listing(
    path: str,
    market: str | None,
    states: Iterable[str],
    limit: int,
    order_by: Literal["asc", "desc"],
    *,
    most: int = 1000,
    page: Sequence[tuple[str, str]] = (),
) -> Request:
    """A listing of orders at ``path``; ``page`` goes before the limit (Bithumb pages)."""
    if not 1 <= limit <= most:
        raise ValueError(f"limit must be between 1 and {most}, got {limit}")
    params: Params = [("market", market.upper())] if market else []
    params += [("states[]", s) for s in states]
    params += [*page, ("limit", str(limit)), ("order_by", order_by)]
    return path, params


def open_orders_request(
    market: str | None = None,
    states: Iterable[str] = ("wait", "watch"),
    *,
    limit: int = 100,
    order_by: Literal["asc", "desc"] = "desc",
) -> Request:
    return order_listing("/v1/orders/open", market, states, limit, order_by)


def closed_orders_request(
    market: str | None = None,
    states: Iterable[str] = ("done", "cancel"),
    *,
    limit: int = 100,
    order_by: Literal["asc", "desc"] = "desc",
) -> Request:
    return order_listing("/v1/orders/closed", market, states, limit, order_by)


# --------------------------------------------------------------------------- rows

_NotNeg = Annotated[float, msgspec.Meta(ge=0.0)]


class Balance(msgspec.Struct, frozen=True, gc=False):
    """One currency of ``/v1/accounts``: ``balance`` free, ``locked`` held by orders,
    ``avg_buy_price`` in ``unit_currency``."""

    currency: str
    balance: _NotNeg
    locked: _NotNeg
    avg_buy_price: _NotNeg = 0.0
    avg_buy_price_modified: bool = False
    unit_currency: str = "KRW"

    @property
    def total(self) -> float:
        return self.balance + self.locked


class OrderRow(msgspec.Struct, frozen=True, gc=False):
    """An order as the REST API lists it (``side``: "buy" / "sell")."""

    uuid: str
    side: Literal["buy", "sell"]
    order_type: str
    state: str
    market: str
    created_at: int  # ms
    price: float | None
    volume: float | None
    remaining_volume: float
    executed_volume: float
    reserved_fee: float = 0.0
    remaining_fee: float = 0.0
    paid_fee: float = 0.0
    locked: float = 0.0
    executed_funds: float = 0.0
    trades_count: int = 0
    identifier: str = ""


class _OrderWire(msgspec.Struct, gc=False):
    uuid: str
    side: Literal["bid", "ask"]
    ord_type: str
    state: str
    market: str
    created_at: str
    price: _NotNeg | None = None
    volume: _NotNeg | None = None
    remaining_volume: _NotNeg | None = None
    executed_volume: _NotNeg | None = None
    reserved_fee: _NotNeg | None = None
    remaining_fee: _NotNeg | None = None
    paid_fee: _NotNeg | None = None
    locked: _NotNeg | None = None
    executed_funds: _NotNeg | None = None
    trades_count: int = 0
    identifier: str | None = None

    def row(self) -> OrderRow:
        for text in (self.market, self.uuid):
            if not text.isprintable():
                raise ValueError("an order row with unprintable text")
        return OrderRow(
            uuid=self.uuid,
            side="buy" if self.side == "bid" else "sell",
            order_type=clean(self.ord_type),
            state=clean(self.state),
            market=self.market,
            created_at=kst_ms(self.created_at),
            price=self.price,
            volume=self.volume,
            remaining_volume=self.remaining_volume or 0.0,
            executed_volume=self.executed_volume or 0.0,
            reserved_fee=self.reserved_fee or 0.0,
            remaining_fee=self.remaining_fee or 0.0,
            paid_fee=self.paid_fee or 0.0,
            locked=self.locked or 0.0,
            executed_funds=self.executed_funds or 0.0,
            trades_count=self.trades_count,
            identifier=clean(self.identifier or ""),
        )


class OrderChance(msgspec.Struct, frozen=True, gc=False):
    """``/v1/orders/chance``: the account's fees (fractions) and limits for one market."""

    market: str
    bid_fee: float
    ask_fee: float
    maker_bid_fee: float
    maker_ask_fee: float
    min_total: float
    max_total: float
    bid_balance: Balance | None
    ask_balance: Balance | None


class _Side(msgspec.Struct, frozen=True, gc=False):
    currency: str = ""
    min_total: _NotNeg = 0.0


class _MarketWire(msgspec.Struct, gc=False):
    id: str
    bid: _Side = _Side()
    ask: _Side = _Side()
    max_total: _NotNeg = 0.0


class _ChanceWire(msgspec.Struct, gc=False):
    bid_fee: _NotNeg
    ask_fee: _NotNeg
    market: _MarketWire
    maker_bid_fee: _NotNeg | None = None
    maker_ask_fee: _NotNeg | None = None
    bid_account: Balance | None = None
    ask_account: Balance | None = None


def _problem(exc: Exception) -> str:
    return clean(str(exc))[:160]


def _finite(obj: Any) -> bool:
    """JSON numbers are finite; numbers in strings ("NaN", "1e999") may not be."""
    if isinstance(obj, float):
        return math.isfinite(obj)
    if isinstance(obj, dict):
        return all(_finite(v) for v in obj.values())
    if isinstance(obj, list | tuple):
        return all(_finite(v) for v in obj)
    return True


def _convert(item: Any, cls: type[Any]) -> Any:
    value = msgspec.convert(item, cls, strict=False)  # strict=False: numbers come as strings
    if not _finite(msgspec.to_builtins(value)):
        raise ValueError("a number that is not finite")
    return value


def _list(body: Body, what: str) -> list[Any]:
    parsed = load_body(body)
    if not isinstance(parsed, list):
        raise ValueError(f"Upbit sent an unexpected {what} response (not a list)")
    return parsed


def parse_accounts(body: Body, rejected: list[Status] | None = None) -> list[Balance]:
    out = []
    for item in _list(body, "accounts"):
        try:
            bal: Balance = _convert(item, Balance)
            if not bal.currency.isprintable() or not bal.currency:
                raise ValueError("a currency with unprintable text")
        except (msgspec.ValidationError, ValueError) as exc:
            if rejected is not None:
                why = f"Ignored an Upbit balance row: {_problem(exc)}."
                rejected.append(status(EXCHANGE, "error", "invalid", why))
            continue
        out.append(bal)
    return out


def parse_orders(body: Body, rejected: list[Status] | None = None) -> list[OrderRow]:
    out = []
    for item in _list(body, "orders"):
        try:
            out.append(_convert(item, _OrderWire).row())
        except (msgspec.ValidationError, ValueError) as exc:
            if rejected is not None:
                why = f"Ignored an Upbit order row: {_problem(exc)}."
                rejected.append(status(EXCHANGE, "error", "invalid", why))
    return out


def parse_order(body: Body) -> OrderRow:
    try:
        row: OrderRow = _convert(load_body(body), _OrderWire).row()
    except (msgspec.ValidationError, ValueError) as exc:
        raise ValueError(f"Upbit sent an unreadable order: {_problem(exc)}") from None
    return row


def parse_chance(body: Body) -> OrderChance:
    try:
        wire: _ChanceWire = _convert(load_body(body), _ChanceWire)
    except (msgspec.ValidationError, ValueError) as exc:
        raise ValueError(f"Upbit sent an unreadable order-chance reply: {_problem(exc)}") from None
    return OrderChance(
        market=clean(wire.market.id),
        bid_fee=wire.bid_fee,
        ask_fee=wire.ask_fee,
        maker_bid_fee=wire.maker_bid_fee if wire.maker_bid_fee is not None else wire.bid_fee,
        maker_ask_fee=wire.maker_ask_fee if wire.maker_ask_fee is not None else wire.ask_fee,
        min_total=wire.market.bid.min_total,
        max_total=wire.market.max_total,
        bid_balance=wire.bid_account,
        ask_balance=wire.ask_account,
    )


# --------------------------------------------------------------------------- errors

_AUTH_WORDS = {
    "invalid_access_key": "Upbit does not know this access key",
    "jwt_verification": "Upbit refused the token's signature: the secret key does not "
    "belong to this access key",
    "expired_access_key": "this API key has expired: issue a new one",
    "nonce_used": "Upbit saw this request's nonce before (a replayed request)",
    "invalid_query_payload": "Upbit refused the token's payload (its query_hash does not match "
    "the request)",
    "no_authorization_ip": "this computer's IP address is not allowed for this API key",
}


def explain_error(
    exc: UpbitApiError,
    path: str,
    permissions: Mapping[str, str] = PERMISSION_OF_PATH,
    auth_words: Mapping[str, str] = _AUTH_WORDS,
    venue: str = "Upbit",
) -> str:
    """One sentence for an account call's error; a missing permission is named. A venue of
    the family passes its own paths' permissions and error names."""
    name = str(exc.name)
    if name == "out_of_scope":
        needed = permissions.get(path, "the needed")
        return f"this API key lacks the {needed} permission that {path} needs"
    words = auth_words.get(name)
    if words is not None:
        return words
    return f"{venue} refused {path}: {exc.message} ({name})"


def is_error(body: Body) -> UpbitApiError | None:
    """The error an account reply carries, or None."""
    try:
        load_body(body)
    except UpbitApiError as exc:
        return exc
    except ValueError:
        return None
    return None
