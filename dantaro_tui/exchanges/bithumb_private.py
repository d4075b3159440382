"""Bithumb's private API, sans-I/O: JWT signing and the ``myOrder`` / ``myAsset`` streams
(exchange reference, sections 6.1 and 1.7).

Bithumb copied Upbit's private API; Upbit's codec (``upbit_private.py``) is reused and what
Bithumb does differently is said here, once each:

* **Token**: HS256 (Bithumb's documented header ``{"alg": "HS256"}``, Upbit's current docs
  show HS512), and a ``timestamp`` claim (ms) beside ``access_key`` and ``nonce``, always.
  ``query_hash`` is the same: hex SHA-512 of the unencoded query string, with
  ``query_hash_alg = "SHA512"``.
* **Socket**: ``/websocket/v2/private`` (the v1 private streams end 2026-10-30), beside the
  public ``/websocket/v1``: a public base URL is turned into the private one.
* **myOrder v2**: ``order_id`` (Upbit: ``uuid``), ``trade_id``, ``side`` ``buy``/``sell``
  (Upbit: ``ask_bid`` ``ASK``/``BID``), the order's and the fill's price and quantity in
  separate fields (``order_price``/``trade_price``, ``order_quantity``/``trade_quantity``),
  ``order_amount`` (a market buy's total), ``trade_amount``, ``remaining_quantity``,
  ``executed_quantity``, ``executed_amount``, ``client_order_id``; SIMPLE keys of their own
  (``oid``, ``sd``, ``op``, ``tp``, ...). It has no ``trades_count``, ``locked``,
  ``avg_price``, ``trade_fee`` or ``is_maker``: the event's average price is
  ``executed_amount / executed_quantity``, and a fill's fee, its role and the order's
  trade count are left unknown (``None`` / 0) rather than guessed.
* **myAsset**: Upbit's shape, unchanged.

Numbers must be finite and not negative, market codes printable, other text is cleaned;
anything else becomes a ``Status`` saying what was wrong, never an event.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Annotated, ClassVar, Literal

import msgspec

from dantaro_tui.credentials import Credentials
from dantaro_tui.exchanges import upbit_private
from dantaro_tui.exchanges.base import Frame, RateLimit
from dantaro_tui.exchanges.sanity import clean
from dantaro_tui.exchanges.upbit import split_code, variant
from dantaro_tui.exchanges.upbit_private import (
    ASSET_WIRE,
    PRIVATE_TYPES,
    UpbitPrivateCodec,
    Wire,
)
from dantaro_tui.model import MyAsset, MyOrder, Status

__all__ = [
    "ALGORITHM",
    "EXCHANGE",
    "BithumbPrivateCodec",
    "authorization",
    "decode_private",
    "private_url",
    "sign",
]

EXCHANGE = "bithumb"
ALGORITHM = "HS256"
PUBLIC_PATH = "/websocket/v1"
PRIVATE_PATH = "/websocket/v2/private"


# --------------------------------------------------------------------------- signing


def sign(
    credentials: Credentials,
    query: str | None = None,
    *,
    nonce: str | None = None,
    timestamp_ms: int | None = None,
) -> str:
    """A JWT for one request (``query`` = its unencoded query string, if it has any):
    Upbit's claims and ``query_hash``, Bithumb's algorithm and ``timestamp`` claim."""
    now_ms = timestamp_ms if timestamp_ms is not None else int(time.time() * 1000)
    return upbit_private.sign(
        credentials, query, nonce=nonce, algorithm=ALGORITHM, claims={"timestamp": now_ms}
    )


def authorization(credentials: Credentials, query: str | None = None) -> dict[str, str]:
    """The ``Authorization`` header of one request."""
    return {"Authorization": f"Bearer {sign(credentials, query)}"}


def private_url(base_url: str) -> str:
    """The private socket's URL from the public one (or from the private one itself)."""
    base = base_url.rstrip("/")
    if base.endswith(PRIVATE_PATH):
        return base
    if base.endswith(PUBLIC_PATH):
        base = base[: -len(PUBLIC_PATH)]
    return base + PRIVATE_PATH


# --------------------------------------------------------------------------- wire structs

_NotNeg = Annotated[float, msgspec.Meta(ge=0.0)]


class MyOrderV2(msgspec.Struct, gc=False):
    """``myOrder`` as Bithumb's private v2 stream writes it (DEFAULT keys)."""

    code: str
    order_id: str
    side: Literal["buy", "sell"]
    order_type: Literal["limit", "price", "market", "best"]
    state: Literal["wait", "watch", "trade", "done", "cancel", "prevented"]
    timestamp: int
    order_price: _NotNeg | None = None
    trade_price: _NotNeg | None = None
    order_quantity: _NotNeg | None = None
    trade_quantity: _NotNeg | None = None
    order_amount: _NotNeg | None = None
    trade_amount: _NotNeg | None = None
    remaining_quantity: _NotNeg | None = None
    executed_quantity: _NotNeg | None = None
    executed_amount: _NotNeg | None = None
    reserved_fee: _NotNeg | None = None
    remaining_fee: _NotNeg | None = None
    paid_fee: _NotNeg | None = None
    trade_id: str | None = None
    client_order_id: str | None = None
    time_in_force: str | None = None
    trade_timestamp: int | None = None
    order_timestamp: int | None = None

    def event(self, recv_ns: int, exchange: str = EXCHANGE) -> MyOrder:
        base, quote = split_code(self.code, EXCHANGE)  # Invalid for an unprintable code
        fill = self.state == "trade"
        if fill:
            price, volume = self.trade_price, self.trade_quantity
        elif self.order_type == "price":
            # A market buy is an amount to spend; MyOrder carries it as its price.
            price, volume = self.order_amount, None
        else:
            price, volume = self.order_price, self.order_quantity
        executed = self.executed_quantity or 0.0
        funds = self.executed_amount or 0.0
        return MyOrder(
            exchange=exchange,
            symbol=self.code,
            base=base,
            quote=quote,
            uuid=clean(self.order_id),
            side=self.side,
            order_type=self.order_type,
            state=self.state,
            price=price,
            avg_price=funds / executed if executed else 0.0,
            volume=volume,
            remaining_volume=self.remaining_quantity or 0.0,
            executed_volume=executed,
            reserved_fee=self.reserved_fee or 0.0,
            remaining_fee=self.remaining_fee or 0.0,
            paid_fee=self.paid_fee or 0.0,
            executed_funds=funds,
            trade_uuid=clean(self.trade_id or ""),
            identifier=clean(self.client_order_id or ""),
            time_in_force=clean(self.time_in_force or ""),
            order_timestamp=self.order_timestamp or 0,
            trade_timestamp=self.trade_timestamp or 0,
            timestamp=self.timestamp,
            recv_ns=recv_ns,
        )


# DEFAULT key -> SIMPLE key of myOrder v2 (Bithumb's Private v2 migration guide).
ORDER_V2_SIMPLE: dict[str, str] = {
    "code": "cd",
    "order_id": "oid",
    "side": "sd",
    "order_type": "ot",
    "state": "s",
    "timestamp": "tms",
    "order_price": "op",
    "trade_price": "tp",
    "order_quantity": "oq",
    "trade_quantity": "tq",
    "order_amount": "oa",
    "trade_amount": "ta",
    "remaining_quantity": "rq",
    "executed_quantity": "eq",
    "executed_amount": "ea",
    "reserved_fee": "rsf",
    "remaining_fee": "rmf",
    "paid_fee": "pf",
    "trade_id": "tid",
    "client_order_id": "coid",
    "time_in_force": "tif",
    "trade_timestamp": "ttms",
    "order_timestamp": "otms",
}


# Upbit's myAsset structs beside Bithumb's myOrder v2.
_WIRE: Wire = {
    (False, "myOrder"): MyOrderV2,
    (True, "myOrder"): variant(MyOrderV2, "MyOrderV2Simple", ORDER_V2_SIMPLE),
    **ASSET_WIRE,
}


def decode_private(
    frame: Frame, recv_ns: int, types: Iterable[str] = PRIVATE_TYPES
) -> list[MyOrder | MyAsset | Status]:
    """Events of one private frame (either key format, a JSON list too). Never raises."""
    return upbit_private.decode_private(frame, recv_ns, types, EXCHANGE, _WIRE)


# --------------------------------------------------------------------------- the codec


class BithumbPrivateCodec(UpbitPrivateCodec):
    """``myOrder`` and ``myAsset`` on Bithumb's private WebSocket, for one key pair.

    The request, the ``PING`` that confirms it and the routing are Upbit's; the URL, the
    token and the ``myOrder`` shape are Bithumb's."""

    name = EXCHANGE
    default_ws_url = "wss://ws-api.bithumb.com" + PRIVATE_PATH
    default_rest_url = "https://api.bithumb.com"
    # 10 connections a second per IP, private and public alike (reference 6.4).
    connect_limits = (RateLimit(10, 1.0),)
    path_suffix: ClassVar[str] = PRIVATE_PATH
    wire: ClassVar[Wire] = _WIRE

    def ws_url(self, base_url: str, endpoint: str) -> str:
        return private_url(base_url)

    def authorization(self, credentials: Credentials) -> dict[str, str]:
        return authorization(credentials)  # Bithumb's token: HS256 with a timestamp
