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
import uuid
from collections.abc import Iterable
from typing import Annotated, Any, ClassVar, Literal, cast

import jwt
import msgspec
import orjson

from dantaro_tui.credentials import Credentials
from dantaro_tui.exchanges.base import Frame, RateLimit
from dantaro_tui.exchanges.sanity import Invalid, clean, invalid_status, status
from dantaro_tui.exchanges.upbit import split_code
from dantaro_tui.exchanges.upbit_private import (
    PRIVATE_TYPES,
    SIMPLE_KEYS,
    AssetMsg,
    MyAssetMsg,
    UpbitPrivateCodec,
    error_status,
    query_hash,
)
from dantaro_tui.model import Event, MyAsset, MyOrder, Status

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
    """A JWT for one request (``query`` = its unencoded query string, if it has any)."""
    claims: dict[str, str | int] = {
        "access_key": credentials.access_key,
        "nonce": nonce or str(uuid.uuid4()),
        "timestamp": timestamp_ms if timestamp_ms is not None else int(time.time() * 1000),
    }
    if query:
        claims["query_hash"] = query_hash(query)
        claims["query_hash_alg"] = "SHA512"
    # The secret is read in the call, never kept in a local of this frame: a traceback
    # printed with its locals shows ``credentials`` (redacted), not the key.
    return jwt.encode(claims, credentials.secret_key.reveal(), algorithm=ALGORITHM)


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

    def event(self, recv_ns: int) -> MyOrder:
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
            exchange=EXCHANGE,
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


def _renamed(base: type[msgspec.Struct], name: str, rename: dict[str, str], **types: Any) -> Any:
    fields: list[tuple[Any, ...]] = []
    for f in msgspec.structs.fields(base):
        kind = types.get(f.name, f.type)
        if f.default is msgspec.NODEFAULT:
            fields.append((f.name, kind))
        else:
            fields.append((f.name, kind, f.default))
    keys = {k: v for k, v in rename.items() if k in base.__struct_fields__}
    return msgspec.defstruct(name, fields, bases=(base,), rename=keys, module=__name__)


_AssetSimple = _renamed(AssetMsg, "AssetSimple", SIMPLE_KEYS)
_WIRE: dict[tuple[bool, str], Any] = {
    (False, "myOrder"): MyOrderV2,
    (True, "myOrder"): _renamed(MyOrderV2, "MyOrderV2Simple", ORDER_V2_SIMPLE),
    (False, "myAsset"): MyAssetMsg,
    (True, "myAsset"): _renamed(
        MyAssetMsg, "MyAssetSimple", SIMPLE_KEYS, assets=list.__class_getitem__(_AssetSimple)
    ),
}


def malformed(detail: str, recv_ns: int = 0) -> Status:
    message = f"Skipped a message from Bithumb that could not be read: {detail}"
    return status(EXCHANGE, "error", "malformed", message, recv_ns=recv_ns)


def decode_private(
    frame: Frame, recv_ns: int, types: Iterable[str] = PRIVATE_TYPES
) -> list[MyOrder | MyAsset | Status]:
    """Events of one private frame (either key format, a JSON list too). Never raises."""
    try:
        obj = orjson.loads(frame)
    except orjson.JSONDecodeError:
        return [malformed("a private-stream message that is not valid JSON", recv_ns)]
    except TypeError:
        return [malformed(f"a frame must be bytes or text, not {type(frame).__name__}", recv_ns)]
    out: list[MyOrder | MyAsset | Status] = []
    for item in obj if isinstance(obj, list) else [obj]:
        out.extend(_decode_object(item, recv_ns, types))
    return out


def _decode_object(
    item: object, recv_ns: int, types: Iterable[str]
) -> list[MyOrder | MyAsset | Status]:
    if not isinstance(item, dict):
        return [malformed(f"expected a JSON object, got {type(item).__name__}", recv_ns)]
    if "error" in item:
        err = item["error"]
        if isinstance(err, dict):
            name, text = str(err.get("name", "")), str(err.get("message", ""))
        else:
            name, text = "", str(err)
        return [error_status(clean(name), clean(text), types, recv_ns, EXCHANGE)]
    if "status" in item:
        return [status(EXCHANGE, "status", message=item["status"], recv_ns=recv_ns)]
    simple = "ty" in item
    kind = item.get("ty" if simple else "type")
    cls = _WIRE.get((simple, kind)) if isinstance(kind, str) else None
    if cls is None:
        return [malformed(f"unknown private message type {clean(repr(kind))[:40]}", recv_ns)]
    try:
        msg = msgspec.convert(item, cls)
        if kind == "myOrder":
            return [msg.event(recv_ns)]
        return list(msg.events(recv_ns, EXCHANGE))
    except Invalid as exc:
        return [invalid_status(EXCHANGE, exc, recv_ns)]
    except (msgspec.ValidationError, ValueError, TypeError) as exc:
        return [malformed(f"{kind} message: {clean(str(exc))[:160]}", recv_ns)]


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

    def ws_url(self, base_url: str, endpoint: str) -> str:
        return private_url(base_url)

    def connect_headers(self) -> dict[str, str] | None:
        if self.credentials is None:
            return None
        return authorization(self.credentials)  # a fresh nonce and timestamp per attempt

    def validate_channel(self, channel: str) -> None:
        if channel not in PRIVATE_TYPES:
            raise ValueError(f"Bithumb's private stream has no {channel!r}: use myOrder or myAsset")

    def decode(self, frame: Frame, recv_ns: int) -> list[Event]:
        return cast("list[Event]", decode_private(frame, recv_ns, self.types))
