"""The interface every exchange codec implements.

A codec is sans-I/O (h11-style, like the ``websockets`` protocol layer): it turns the
owner's desired subscription into request frames and received frames into typed events. It
never touches a socket or an event loop, so it can be driven by a live connection, a
recording, or a test, identically. The transport's side of the contract:

* ``subscribe_frames(desired, current)`` when the wanted set changes (the codec decides
  whether that is the union, as on Upbit, or a diff, as on OKX);
* ``decode(frame, recv_ns)`` for every frame received, then ``frames_to_send()``: frames the
  codec itself wants sent (an OKX book resync), drained by each call;
* ``validate_channel(channel)`` to refuse an unknown channel before anything is sent; it has
  no side effects, unlike ``subscribe_frames`` (which moves OKX's book state).

Events leave a codec checked (``sanity.py``): no impossible numbers, no control characters.

One codec instance lives per connection: stateful exchanges (OKX books) keep their
per-connection state in it, and ``reset()`` forgets it when the connection is replaced.
"""

from __future__ import annotations

import sys
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, ClassVar

import msgspec

from dantaro_tui.model import Event

# channel key -> symbols. Keys are our normalized channel names: "ticker", "trade",
# "orderbook", "candle.1m", "candle.5m", "candle.1h", ...
Subscription = Mapping[str, frozenset[str]]

Frame = str | bytes

# Wire numbers as the codecs' msgspec structs declare them: the decoder refuses NaN and
# infinities (and zero or negatives, where the name says so) in C while it parses, so the
# fast paths need no check of their own.
_MAX_FLOAT = sys.float_info.max
Positive = Annotated[float, msgspec.Meta(gt=0.0, le=_MAX_FLOAT)]
NonNegative = Annotated[float, msgspec.Meta(ge=0.0, le=_MAX_FLOAT)]
Finite = Annotated[float, msgspec.Meta(ge=-_MAX_FLOAT, le=_MAX_FLOAT)]


@dataclass(frozen=True, slots=True)
class RateLimit:
    """At most ``count`` actions per ``per`` seconds."""

    count: int
    per: float


@dataclass(frozen=True, slots=True)
class RestRequest:
    """A REST call a codec needs answered to keep its state (e.g. the depth snapshot a
    Binance or Gate.io book is synced from). The transport performs it against the venue's
    REST base URL and hands the reply to ``ExchangeCodec.on_rest``."""

    key: str  # the codec's own tag, to match the reply (e.g. "depth:BTCUSDT")
    path: str  # e.g. "/api/v3/depth"
    params: tuple[tuple[str, str], ...] = ()
    weight: int = 1  # the exchange's request weight, for the REST rate limiter


class ExchangeCodec(ABC):
    name: ClassVar[str]
    default_ws_url: ClassVar[str]
    default_rest_url: ClassVar[str]
    # Send ``ping_frame`` when nothing was sent for this long; the peer is dead when nothing
    # at all was received for two intervals.
    keepalive_interval: ClassVar[float]
    ping_frame: ClassVar[str | None]
    # Whether the keepalive counts toward ``message_limits`` (OKX counts only ops).
    ping_is_limited: ClassVar[bool] = True
    # The exchange ends every connection at this age (Binance: 24 h); the transport replaces
    # it shortly before, as a planned reconnect. None = no limit.
    max_lifetime: ClassVar[float | None] = None
    # Whether the exchange answers every subscription at once (a snapshot, an ack), so that
    # silence after a request means it was lost. False for Upbit's realtime-only requests.
    answers_subscriptions: bool = True
    # The stream carries the owner's account (orders, balances): taps see only that the
    # connection existed (connect/disconnect), never its frames.
    private: ClassVar[bool] = False
    # Connection attempts per process for this exchange, and messages per connection.
    connect_limits: ClassVar[tuple[RateLimit, ...]]
    message_limits: ClassVar[tuple[RateLimit, ...]]
    # The exchange's own WebSocket close codes in words (Coinone's 4290: too many
    # connections); those in ``limit_close_codes`` are limits, backed off like HTTP 429.
    close_codes: ClassVar[dict[int, str]] = {}
    limit_close_codes: ClassVar[frozenset[int]] = frozenset()

    def endpoint(self, channel: str) -> str:
        """Which socket of the exchange carries ``channel`` ("" = the default one)."""
        return ""

    def ws_url(self, base_url: str, endpoint: str) -> str:
        """The URL to dial for ``endpoint`` given the configured base URL."""
        return base_url

    @abstractmethod
    def subscribe_frames(self, desired: Subscription, current: Subscription) -> list[Frame]:
        """Frames that take the connection from ``current`` to ``desired``.

        ``current`` is what the server is believed to have (empty after a (re)connect).
        Returns [] when nothing needs to be sent.
        """

    @abstractmethod
    def decode(self, frame: Frame, recv_ns: int) -> list[Event]:
        """Typed events from one received frame. Never raises: a malformed frame becomes a
        ``Status(kind="error")`` event with a message a trader can read."""

    def normalize_symbol(self, symbol: str) -> str:
        """The exchange's own spelling of ``symbol``; ValueError for what cannot be one."""
        code = symbol.strip().upper()
        if not code or any(c.isspace() or c in ",;/" for c in code):
            raise ValueError(f"{symbol!r} is not a market code on {self.name}")
        return code

    def reset(self) -> None:  # noqa: B027 - stateless codecs need no reset
        """Forget per-connection state (called on every new connection)."""

    def connect_headers(self) -> dict[str, str] | None:
        """Headers of the WebSocket upgrade request (a private stream's fresh token, signed
        for each connection attempt); None = none. Never logged or recorded."""
        return None

    def heartbeat_frame(self) -> Frame | None:
        """The keepalive to send now (``ping_frame`` unless the exchange wants something
        fresh each time, e.g. Gate.io's time-stamped ``spot.ping``); None = no keepalive."""
        return self.ping_frame

    def rest_requests(self) -> list[RestRequest]:
        """REST calls the codec wants made now, drained by each call (asked after every
        ``decode`` and ``subscribe_frames``, like ``frames_to_send``)."""
        return []

    def on_rest(self, request: RestRequest, status: int, body: bytes, recv_ns: int) -> list[Event]:
        """The reply to one of ``rest_requests()``: events it releases (a synced book), or a
        Status explaining a failure (the codec then asks again through ``rest_requests``).
        Never raises."""
        return []

    def frames_to_send(self) -> list[Frame]:
        """Frames the codec wants sent now (e.g. an OKX book resync), drained by each call.
        The transport calls it after every ``decode``."""
        return []

    def validate_channel(self, channel: str) -> None:
        """ValueError with a readable sentence when the exchange has no ``channel``; no side
        effects (the default asks ``subscribe_frames`` of a fresh codec)."""
        type(self)().subscribe_frames({channel: frozenset({"X"})}, {})


def split_symbol(symbol: str, sep: str, quote_first: bool) -> tuple[str, str]:
    """(base, quote) from an exchange code; tolerant of codes without a separator."""
    left, _, right = symbol.partition(sep)
    if not right:
        return symbol, ""
    return (right, left) if quote_first else (left, right)
