"""Private (account) streams in the hub: one venue per key pair, one feed per owner.

The hub keeps private sockets apart from public ones: a ``PrivateVenue`` per (exchange, URL,
key pair) owns its own connections (``upbit/private#1`` in the health view), so one key's
token never rides another owner's socket and a public reconnect never touches the account.
The venue reuses everything a public venue does (reconciling the union of its owners'
wishes, reconnects that restore them, heartbeats); what differs is routing: ``MyOrder`` and
``MyAsset`` events go to every owner of the venue, which filters by market itself.

Confirmation: the streams are realtime only, so no snapshot can prove a subscription. The
codec follows each request with a ``PING``; the ``{"status":"UP"}`` answering it proves the
request was read without an error, and confirms what was waiting. An ``INVALID_AUTH`` error
(a wrong key, a missing permission) refuses the owners: they let go of the socket, so a bad
key does not reconnect forever, and say why in words.

A ``PrivateFeed`` is the private half of one ``WebSocketClient``: its subscriptions, its
callbacks, and a mailbox that keeps every event in order. Nothing here is conflated: a
``wait`` -> ``trade`` -> ``done`` sequence is delivered whole, as the exchange sent it.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any, cast

from dantaro_tui.credentials import Credentials
from dantaro_tui.exchanges.bithumb_private import BithumbPrivateCodec
from dantaro_tui.exchanges.upbit_private import ALL, PRIVATE_TYPES, UpbitPrivateCodec
from dantaro_tui.feed.client import (
    OwnerSub,
    move_owner,
    owner_snapshot,
    owner_state,
    stop_task,
)
from dantaro_tui.feed.connection import Connection
from dantaro_tui.feed.health import Health, HealthSnapshot
from dantaro_tui.feed.hub import FeedHub, Venue
from dantaro_tui.model import Event, MyAsset, MyOrder, Status

if TYPE_CHECKING:
    from dantaro_tui.feed.client import WebSocketClient

log = logging.getLogger(__name__)

Callback = Callable[[Any], Awaitable[None] | None]

# Exchanges with a private stream, and the codec that speaks it (Bithumb's is Upbit's with
# its own URL, token and myOrder shape).
PRIVATE_CODECS: dict[str, type[UpbitPrivateCodec]] = {
    "upbit": UpbitPrivateCodec,
    "bithumb": BithumbPrivateCodec,
}


class PrivateStreamError(Exception):
    """The exchange refused the private stream; the message says why in words."""


class PrivateVenue(Venue):
    """The private sockets of one key pair on one exchange."""

    def __init__(
        self,
        hub: FeedHub,
        exchange: str,
        url: str,
        credentials: Credentials,
        rest_url: str | None = None,
    ) -> None:
        codec = PRIVATE_CODECS[exchange]
        super().__init__(hub, exchange, url, lambda: codec(credentials), None, rest_url)

    def route(self, conn: Connection, events: list[Event], recv_ns: int, now: float) -> None:
        owners = cast("frozenset[PrivateFeed]", conn.clients)
        for ev in cast("list[Event | MyOrder | MyAsset]", events):
            if isinstance(ev, Status):
                self._private_status(conn, ev, owners)
                continue
            if not isinstance(ev, MyOrder | MyAsset):
                continue  # a private codec decodes nothing else
            key = "myOrder" if isinstance(ev, MyOrder) else "myAsset"
            conn.data_at = now
            conn.health.last_data_ns = recv_ns
            if ev.timestamp:
                conn.health.on_latency(recv_ns / 1e6 - ev.timestamp)
            for owner in owners:
                owner._push(key, ev)

    def _private_status(
        self, conn: Connection, status: Status, owners: Iterable[PrivateFeed]
    ) -> None:
        if status.kind == "status":
            # The PING sent after the request is answered: the request was accepted.
            for pair in list(conn.waiting):
                conn.confirm(pair)
            for owner in owners:
                owner._answered()
            return
        if status.kind == "error":
            conn.health.on_error(status.message)
        for owner in owners:
            owner._push(None, status)
            if status.code == "INVALID_AUTH":
                owner._refuse(status.message)


class PrivateFeed:
    """The private subscriptions of one ``WebSocketClient`` (one owner, one key pair)."""

    def __init__(self, client: WebSocketClient, credentials: Credentials) -> None:
        if client.exchange not in PRIVATE_CODECS:
            known = ", ".join(sorted(PRIVATE_CODECS))
            raise ValueError(f"no private streams for {client.exchange} (supported: {known})")
        self.client = client
        self.credentials = credentials
        self.name = client.name
        self.exchange = client.exchange
        self.health_counters = Health(f"{client.name} (private)", client.exchange)
        self.refused = ""  # the exchange's refusal in words; "" = none
        self._subs: dict[str, OwnerSub] = {}
        self._venue: PrivateVenue | None = None
        self._queue: deque[tuple[str, MyOrder | MyAsset]] = deque()
        self._wake = asyncio.Event()
        self._answer = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closed = False

    # -- what the venue reads ---------------------------------------------------------------
    @property
    def subscriptions(self) -> dict[str, frozenset[str]]:
        if self.refused:
            return {}  # refused: the socket is let go until the owner asks again
        return {k: s.symbols for k, s in self._subs.items()}

    @property
    def wanted(self) -> bool:
        """Whether the owner asked for any private stream (refused or not)."""
        return bool(self._subs)

    @property
    def symbols(self) -> frozenset[str]:
        return frozenset().union(*(s.symbols for s in self._subs.values()))

    # -- the owner's API ----------------------------------------------------------------------
    async def subscribe(
        self, kind: str, callback: Callback, codes: Iterable[str] | None, timeout: float
    ) -> None:
        """Set ``kind``'s markets (None = all) and callback; waits until the exchange
        accepted the request (or ``timeout``), raises ``PrivateStreamError`` if it refused."""
        if kind not in PRIVATE_TYPES:
            raise ValueError(f"unknown private stream {kind!r}: use myOrder or myAsset")
        wanted = frozenset({ALL}) if codes is None else frozenset(self._codes(codes))
        if not wanted:
            raise ValueError("no market codes given: pass codes=None for every market")
        self._subs[kind] = OwnerSub(wanted, callback)
        self.refused = ""
        self._closed = False
        await self._apply(timeout)

    async def unsubscribe(self, kind: str | None = None) -> None:
        for key in [k for k in self._subs if kind is None or k == kind]:
            del self._subs[key]
        await self._apply(0.0)

    def health(self) -> HealthSnapshot:
        own = self.health_counters
        conns = self._venue.connections_of(cast("WebSocketClient", self)) if self._venue else []
        waiting = [f"{k} {s}" for c in conns for k, s in c.waiting]
        # Refused: the socket is let go of until the owner asks again.
        closed = self._closed or bool(self.refused)
        state = owner_state(closed, bool(self._subs), conns, bool(waiting))
        return owner_snapshot(
            self.name,
            self.exchange,
            state,
            own,
            conns,
            waiting,
            last_error=self.refused or own.last_error,
        )

    async def close(self) -> None:
        self._subs.clear()
        await self._apply(0.0)
        self._closed = True
        task, self._task = self._task, None
        await stop_task(task)
        self._queue.clear()

    # -- internals ------------------------------------------------------------------------------
    def _codes(self, codes: Iterable[str]) -> Iterable[str]:
        if isinstance(codes, str):
            codes = [codes]
        return (self.client._validator.normalize_symbol(c) for c in codes)

    def _venue_now(self) -> PrivateVenue:
        client = self.client
        return self.hub.private_venue(self.exchange, client.url, self.credentials, client._rest_url)

    @property
    def hub(self) -> FeedHub:
        return self.client.hub

    async def _apply(self, timeout: float) -> None:
        venue = self._venue_now()
        wants = bool(self.subscriptions)
        move_owner(self, self._venue, venue, wants)
        self._venue = venue
        if wants:
            self._start()
        self._answer.clear()
        changed = venue.reconcile()
        if timeout <= 0 or not any(c.desired for c in changed):
            return
        await asyncio.gather(*(c.synced(timeout) for c in changed if c.desired))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._answer.wait(), timeout)
        if self.refused:
            raise PrivateStreamError(self.refused)

    def _start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._drain(), name=f"private:{self.name}")

    def _answered(self) -> None:
        self._answer.set()

    def _refuse(self, message: str) -> None:
        if self.refused:
            return
        self.refused = message
        self.health_counters.on_error(message)
        self._answer.set()
        log.warning("%s: %s", self.name, message)
        venue = self._venue
        if venue is not None:
            # Not from inside the frame being routed: the venue changes its sockets.
            asyncio.get_running_loop().call_soon(venue.reconcile)

    def _push(self, key: str | None, ev: MyOrder | MyAsset | Status) -> None:
        if key is None:
            self.client._on_status(cast("Status", ev))
            return
        sub = self._subs.get(key)
        if sub is None:
            return
        if isinstance(ev, MyOrder) and ALL not in sub.symbols and ev.symbol not in sub.symbols:
            return  # a market this owner did not ask for
        self._queue.append((key, cast("MyOrder | MyAsset", ev)))
        self._wake.set()

    async def _drain(self) -> None:
        queue, own = self._queue, self.health_counters
        while True:
            if not queue:
                self._wake.clear()
                await self._wake.wait()
                continue
            key, ev = queue.popleft()
            sub = self._subs.get(key)
            if sub is None:
                continue  # let go of after it was queued
            own.on_frame(time.time())
            own.last_data_ns = ev.recv_ns
            try:
                result = sub.callback(ev)
                if result is not None and inspect.isawaitable(result):
                    await result
            except Exception as exc:
                own.on_error(f"{self.name}: callback failed: {type(exc).__name__}: {exc}")
                log.error("private callback of %s failed", self.name, exc_info=exc)

    def __repr__(self) -> str:
        return f"PrivateFeed({self.name!r}, {self.credentials!r})"
