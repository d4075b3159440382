"""Upbit's private API, sans-I/O: JWT signing, ``query_hash``, and the ``myOrder`` /
``myAsset`` streams (exchange reference, section 1.7).

Signing (PyJWT, HS512 as the current docs' example header shows): the claims are the access
key, a fresh UUID ``nonce`` per request (the exchange refuses a nonce it has seen), and, when
the request has parameters, ``query_hash`` = hex SHA-512 of the *unencoded* query string
(``market=KRW-BTC&states[]=wait&states[]=watch``) with ``query_hash_alg = "SHA512"``. The
WebSocket carries the token in its upgrade request (``Authorization: Bearer <jwt>``), access
key and nonce only, so every connection attempt signs a new one.

Decoding: ``myOrder`` and ``myAsset`` frames (binary UTF-8 JSON, DEFAULT or SIMPLE keys) become
``MyOrder`` / ``MyAsset`` events; a ``myAsset`` frame lists several currencies and gives one
event each. Numbers must be finite and not negative, codes printable, other exchange text is
cleaned of control characters; anything else becomes a ``Status`` saying what was wrong.
The codec has no snapshot to confirm a subscription with (both streams are realtime only),
so it follows the request with a ``PING``: the ``{"status":"UP"}`` that answers it proves
the request was read without an error (Upbit answers a bad one with an error and a close).
"""

from __future__ import annotations

import hashlib
import uuid
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Annotated, Any, ClassVar, Literal, cast

import jwt
import msgspec
import orjson
from jwt.warnings import InsecureKeyLengthWarning

from dantaro_tui.credentials import Credentials, install_log_redaction
from dantaro_tui.exchanges.base import ExchangeCodec, Frame, RateLimit, Subscription
from dantaro_tui.exchanges.sanity import Invalid, clean, invalid_status, status
from dantaro_tui.exchanges.upbit import split_code, variant
from dantaro_tui.model import Event, MyAsset, MyOrder, Status

__all__ = [
    "ALL",
    "PERMISSIONS",
    "PRIVATE_TYPES",
    "UpbitPrivateCodec",
    "authorization",
    "decode_private",
    "permission_sentence",
    "query_hash",
    "query_string",
    "sign",
]

EXCHANGE = "upbit"
ALL = "*"  # the symbol of a subscription to every market (myOrder without codes, myAsset)
PRIVATE_TYPES = ("myOrder", "myAsset")
# What each stream needs the key to be allowed (exchange reference 1.7).
PERMISSIONS: dict[str, str] = {
    "myOrder": "주문조회 (order inquiry)",
    "myAsset": "자산조회 (asset inquiry)",
}
ALGORITHM = "HS512"


Params = Mapping[str, str | int | float | Sequence[str]] | Sequence[tuple[str, str]]


# --------------------------------------------------------------------------- signing


def query_string(params: Params) -> str:
    """The string ``query_hash`` is computed over: ``k=v`` joined by ``&`` in the order given,
    NOT URL-encoded, a list as repeated ``k[]=v`` (a key already ending in ``[]`` keeps it)."""
    pairs: Iterable[tuple[str, Any]] = params.items() if isinstance(params, Mapping) else params
    parts: list[str] = []
    for key, value in pairs:
        if isinstance(value, list | tuple):
            name = key if key.endswith("[]") else f"{key}[]"
            parts.extend(f"{name}={v}" for v in value)
        else:
            parts.append(f"{key}={value}")
    return "&".join(parts)


def query_hash(query: str) -> str:
    """Hex SHA-512 of the unencoded query string."""
    return hashlib.sha512(query.encode("utf-8")).hexdigest()


def sign(
    credentials: Credentials,
    query: str | None = None,
    *,
    nonce: str | None = None,
    algorithm: str = ALGORITHM,
    claims: Mapping[str, str | int] | None = None,
) -> str:
    """A JWT for one request (``query`` = its unencoded query string, if it has any);
    ``claims`` are a venue's own, written after the nonce (Bithumb's ``timestamp``)."""
    payload: dict[str, str | int] = {
        "access_key": credentials.access_key,
        "nonce": nonce or str(uuid.uuid4()),
        **(claims or {}),
    }
    if query:
        payload["query_hash"] = query_hash(query)
        payload["query_hash_alg"] = "SHA512"
    with warnings.catch_warnings():
        # Upbit issues 40-character secrets, shorter than the 64 bytes PyJWT advises for
        # HS512: its warning would print on every request and is not the trader's to fix.
        warnings.simplefilter("ignore", InsecureKeyLengthWarning)
        # The secret is read in the call, never kept in a local of this frame: a traceback
        # printed with its locals shows ``credentials`` (redacted), not the key.
        return jwt.encode(payload, credentials.secret_key.reveal(), algorithm=algorithm)


def authorization(credentials: Credentials, query: str | None = None) -> dict[str, str]:
    """The ``Authorization`` header of one request."""
    return {"Authorization": f"Bearer {sign(credentials, query)}"}


def permission_sentence(types: Iterable[str]) -> str:
    """``"주문조회 (order inquiry)"``, or both joined with "and"."""
    needed = [PERMISSIONS[t] for t in PRIVATE_TYPES if t in set(types)]
    return " and ".join(needed) or "the needed"


# --------------------------------------------------------------------------- wire structs

_NotNeg = Annotated[float, msgspec.Meta(ge=0.0)]


class MyOrderMsg(msgspec.Struct, gc=False):
    code: str
    uuid: str
    ask_bid: Literal["ASK", "BID"]
    order_type: Literal["limit", "price", "market", "best"]
    state: Literal["wait", "watch", "trade", "done", "cancel", "prevented"]
    timestamp: int
    price: _NotNeg | None = None
    avg_price: _NotNeg | None = None
    volume: _NotNeg | None = None
    remaining_volume: _NotNeg | None = None
    executed_volume: _NotNeg | None = None
    trades_count: Annotated[int, msgspec.Meta(ge=0)] = 0
    reserved_fee: _NotNeg | None = None
    remaining_fee: _NotNeg | None = None
    paid_fee: _NotNeg | None = None
    locked: _NotNeg | None = None
    executed_funds: _NotNeg | None = None
    trade_fee: _NotNeg | None = None
    is_maker: bool | None = None
    trade_uuid: str | None = None
    identifier: str | None = None
    time_in_force: str | None = None
    trade_timestamp: int | None = None
    order_timestamp: int | None = None

    def event(self, recv_ns: int, exchange: str) -> MyOrder:
        base, quote = split_code(self.code, exchange)  # Invalid for an unprintable code
        return MyOrder(
            exchange=exchange,
            symbol=self.code,
            base=base,
            quote=quote,
            uuid=clean(self.uuid),
            side="buy" if self.ask_bid == "BID" else "sell",
            order_type=self.order_type,
            state=self.state,
            price=self.price,
            avg_price=self.avg_price or 0.0,
            volume=self.volume,
            remaining_volume=self.remaining_volume or 0.0,
            executed_volume=self.executed_volume or 0.0,
            trades_count=self.trades_count,
            reserved_fee=self.reserved_fee or 0.0,
            remaining_fee=self.remaining_fee or 0.0,
            paid_fee=self.paid_fee or 0.0,
            locked=self.locked or 0.0,
            executed_funds=self.executed_funds or 0.0,
            trade_fee=self.trade_fee,
            is_maker=self.is_maker,
            trade_uuid=clean(self.trade_uuid or ""),
            identifier=clean(self.identifier or ""),
            time_in_force=clean(self.time_in_force or ""),
            order_timestamp=self.order_timestamp or 0,
            trade_timestamp=self.trade_timestamp or 0,
            timestamp=self.timestamp,
            recv_ns=recv_ns,
        )


class AssetMsg(msgspec.Struct, gc=False):
    currency: str
    balance: _NotNeg
    locked: _NotNeg


class MyAssetMsg(msgspec.Struct, gc=False):
    assets: list[AssetMsg]
    timestamp: int
    asset_uuid: str = ""
    asset_timestamp: int | None = None

    def events(self, recv_ns: int, exchange: str) -> list[MyAsset]:
        out = []
        for a in self.assets:
            if not a.currency or not a.currency.isprintable():
                raise Invalid(
                    f"Ignored a {exchange.title()} balance whose currency is not printable."
                )
            out.append(
                MyAsset(
                    exchange=exchange,
                    currency=a.currency,
                    balance=a.balance,
                    locked=a.locked,
                    asset_uuid=clean(self.asset_uuid),
                    timestamp=self.asset_timestamp or self.timestamp,
                    recv_ns=recv_ns,
                )
            )
        return out


# DEFAULT key -> SIMPLE key (exchange reference 1.7).
SIMPLE_KEYS: dict[str, str] = {
    "code": "cd",
    "uuid": "uid",
    "ask_bid": "ab",
    "order_type": "ot",
    "state": "s",
    "trade_uuid": "tuid",
    "price": "p",
    "avg_price": "ap",
    "volume": "v",
    "remaining_volume": "rv",
    "executed_volume": "ev",
    "trades_count": "tc",
    "reserved_fee": "rsf",
    "remaining_fee": "rmf",
    "paid_fee": "pf",
    "locked": "l",
    "executed_funds": "ef",
    "time_in_force": "tif",
    "trade_fee": "tf",
    "is_maker": "im",
    "identifier": "id",
    "trade_timestamp": "ttms",
    "order_timestamp": "otms",
    "timestamp": "tms",
    "asset_uuid": "astuid",
    "assets": "ast",
    "asset_timestamp": "asttms",
    "currency": "cu",
    "balance": "b",
}


# (SIMPLE keys?, type) -> wire struct. Bithumb reuses the myAsset half with its own myOrder.
Wire = Mapping[tuple[bool, str], Any]
_AssetSimple = variant(AssetMsg, "AssetSimple", SIMPLE_KEYS)
ASSET_WIRE: Wire = {
    (False, "myAsset"): MyAssetMsg,
    (True, "myAsset"): variant(
        MyAssetMsg, "MyAssetSimple", SIMPLE_KEYS, {"assets": list.__class_getitem__(_AssetSimple)}
    ),
}
_WIRE: Wire = {
    (False, "myOrder"): MyOrderMsg,
    (True, "myOrder"): variant(MyOrderMsg, "MyOrderSimple", SIMPLE_KEYS),
    **ASSET_WIRE,
}

_ERROR_TEXT = {
    "INVALID_AUTH": "{venue} refused the API key for the private stream",
    "WRONG_FORMAT": "{venue} rejected the private subscription: it is not in the expected format",
    "NO_TICKET": "{venue} rejected the private subscription: it carries no ticket",
    "NO_TYPE": "{venue} rejected the private subscription: a data type is unknown",
    "INVALID_PARAM": "{venue} rejected the private subscription: a parameter is invalid",
}


def error_status(
    name: str, server_text: str, types: Iterable[str], recv_ns: int = 0, exchange: str = EXCHANGE
) -> Status:
    """An error frame in words; a refused key names the permission the streams need."""
    venue = exchange.title()
    text = _ERROR_TEXT.get(name, "{venue} reported an error on the private stream")
    text = text.format(venue=venue)
    if name == "INVALID_AUTH":
        text += (
            ": the key is wrong or expired, this IP is not allowed for it, or it lacks the "
            f"{permission_sentence(types)} permission"
        )
    said = f" {venue} said: {server_text}" if server_text else ""
    return status(exchange, "error", name, f"{text} ({name}).{said}", recv_ns=recv_ns)


def decode_private(
    frame: Frame,
    recv_ns: int,
    types: Iterable[str] = PRIVATE_TYPES,
    exchange: str = EXCHANGE,
    wire: Wire = _WIRE,
) -> list[MyOrder | MyAsset | Status]:
    """Events of one private frame (either key format, a JSON list too), read with the
    venue's ``wire`` structs. Never raises."""

    def malformed(detail: str, recv_ns: int) -> Status:
        message = f"Skipped a message from {exchange.title()} that could not be read: {detail}"
        return status(exchange, "error", "malformed", message, recv_ns=recv_ns)

    try:
        obj = orjson.loads(frame)
    except orjson.JSONDecodeError:
        return [malformed("a private-stream message that is not valid JSON", recv_ns)]
    except TypeError:
        return [malformed(f"a frame must be bytes or text, not {type(frame).__name__}", recv_ns)]
    out: list[MyOrder | MyAsset | Status] = []
    for item in obj if isinstance(obj, list) else [obj]:
        out.extend(_decode_object(item, recv_ns, types, exchange, wire, malformed))
    return out


def _decode_object(
    item: object,
    recv_ns: int,
    types: Iterable[str],
    exchange: str,
    wire: Wire,
    malformed: Callable[[str, int], Status],
) -> list[MyOrder | MyAsset | Status]:
    if not isinstance(item, dict):
        return [malformed(f"expected a JSON object, got {type(item).__name__}", recv_ns)]
    if "error" in item:
        err = item["error"]
        if isinstance(err, dict):
            name, text = str(err.get("name", "")), str(err.get("message", ""))
        else:
            name, text = "", str(err)
        return [error_status(clean(name), clean(text), types, recv_ns, exchange)]
    if "status" in item:
        return [status(exchange, "status", message=item["status"], recv_ns=recv_ns)]
    simple = "ty" in item
    kind = item.get("ty" if simple else "type")
    cls = wire.get((simple, kind)) if isinstance(kind, str) else None
    if cls is None:
        return [malformed(f"unknown private message type {clean(repr(kind))[:40]}", recv_ns)]
    try:
        msg = msgspec.convert(item, cls)
        if kind == "myOrder":
            return [msg.event(recv_ns, exchange)]
        return list(msg.events(recv_ns, exchange))
    except Invalid as exc:
        return [invalid_status(exchange, exc, recv_ns)]
    except (msgspec.ValidationError, ValueError, TypeError) as exc:
        return [malformed(f"{kind} message: {clean(str(exc))[:160]}", recv_ns)]


# --------------------------------------------------------------------------- the codec


class UpbitPrivateCodec(ExchangeCodec):
    """``myOrder`` and ``myAsset`` on Upbit's private WebSocket, for one key pair.

    Channel keys are the exchange's type names; a subscription's symbols are market codes
    for ``myOrder`` (``ALL`` = every market) and ``ALL`` for ``myAsset``.
    """

    name = "upbit"
    default_ws_url = "wss://api.upbit.com/websocket/v1"
    default_rest_url = "https://api.upbit.com"
    keepalive_interval = 20.0
    ping_frame = "PING"
    # Upbit counts authenticated connects per account, not per IP (reference 1.9).
    connect_limits = (RateLimit(5, 1.0),)
    message_limits = (RateLimit(5, 1.0), RateLimit(100, 60.0))
    private: ClassVar[bool] = True
    answers_subscriptions = False  # realtime only: silence says nothing
    path_suffix: ClassVar[str] = "/private"
    wire: ClassVar[Wire] = _WIRE

    def __init__(self, credentials: Credentials | None = None, fmt: str = "DEFAULT") -> None:
        self.credentials = credentials
        self.format = fmt
        self.ticket = str(uuid.uuid4())
        self.types: tuple[str, ...] = ()
        install_log_redaction()

    def endpoint(self, channel: str) -> str:
        return "private"

    def ws_url(self, base_url: str, endpoint: str) -> str:
        base = base_url.rstrip("/")
        return base if base.endswith(self.path_suffix) else base + self.path_suffix

    def connect_headers(self) -> dict[str, str] | None:
        if self.credentials is None:
            return None
        return self.authorization(self.credentials)  # a fresh token per connection attempt

    def authorization(self, credentials: Credentials) -> dict[str, str]:
        """The venue's ``Authorization`` header (Bithumb signs its own token)."""
        return authorization(credentials)

    def validate_channel(self, channel: str) -> None:
        if channel not in PRIVATE_TYPES:
            venue = self.name.title()
            raise ValueError(f"{venue}'s private stream has no {channel!r}: use myOrder or myAsset")

    def subscribe_frames(self, desired: Subscription, current: Subscription) -> list[Frame]:
        want = {k: frozenset(v) for k, v in desired.items() if v}
        if not want or want == {k: frozenset(v) for k, v in current.items() if v}:
            return []
        request: list[dict[str, Any]] = [{"ticket": self.ticket}]
        for kind in PRIVATE_TYPES:
            codes = want.get(kind)
            if not codes:
                continue
            if kind == "myOrder" and ALL not in codes:
                request.append({"type": kind, "codes": sorted(codes)})
            else:
                request.append({"type": kind})  # myAsset takes no codes; myOrder: all
        request.append({"format": self.format})
        self.types = tuple(t for t in PRIVATE_TYPES if t in want)
        return [orjson.dumps(request).decode(), "PING"]

    def decode(self, frame: Frame, recv_ns: int) -> list[Event]:
        # The private venue routes MyOrder/MyAsset itself; only its Status share ``Event``.
        events = decode_private(frame, recv_ns, self.types, self.name, self.wire)
        return cast("list[Event]", events)
