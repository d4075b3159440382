"""The feed hub: one per process, the only door to the exchanges' WebSockets.

Every ``WebSocketClient`` (one per owner: a pane, a bot strategy) registers its wishes
with a hub. The hub keeps, per (exchange, endpoint), one shared connection (more only
when one would exceed what the exchange allows a connection), sends the union of all
owners' subscriptions, decodes each frame once and fans the events out through a
``(channel, symbol) -> owners`` index. It also owns what used to be process globals: the
raw-frame taps (recorder), the endpoint overrides (``--demo``), the connection-rate
limiters and the registry of clients for the health view.

The app, the CLI commands and the tests create and inject their hub; ``default_hub()``
serves scripts, so ``WebSocketClient("bot")`` just works.
"""

from __future__ import annotations

import asyncio
import os
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from dantaro_tui.exchanges import codec_class
from dantaro_tui.exchanges.base import ExchangeCodec, RateLimit
from dantaro_tui.feed import endpoints
from dantaro_tui.feed.connection import SPILL_AFTER, Connection, Pair, pairs_of
from dantaro_tui.feed.health import ABSURD_MS, HealthSnapshot
from dantaro_tui.feed.ratelimit import RateLimiter
from dantaro_tui.feed.rest import HttpClient
from dantaro_tui.feed.tap import Tap
from dantaro_tui.model import Candle, Event, OrderBook, Status, Ticker, Trade

if TYPE_CHECKING:
    from dantaro_tui.credentials import Credentials
    from dantaro_tui.feed.client import WebSocketClient
    from dantaro_tui.feed.private import PrivateVenue

CodecFactory = Callable[[], ExchangeCodec]

_KEY_OF_TYPE: dict[type, str] = {Ticker: "ticker", Trade: "trade", OrderBook: "orderbook"}

# Pairs one socket carries before the hub opens another for the same endpoint. Upbit took
# 855 codes in one request in a probe; OKX advises few deep books per connection.
MAX_PAIRS: dict[str, int] = {"upbit": 2048, "okx": 512}
DEFAULT_MAX_PAIRS = 1024
# A socket left with nothing to carry stays open this long: a pane swapping its symbol
# often lets go of everything before it asks for the next (a resubscribe costs one request
# on the open socket; a new one costs a handshake, TLS and the exchange's connect budget).
IDLE_GRACE = 3.0
# Sockets per endpoint the hub may open to spread a message budget (polite: Upbit allows
# 5 connects a second per IP, and each socket costs the exchange too).
MAX_SHARDS = 4


def _free_shard(shards: list[Connection]) -> int:
    """The lowest shard number not in use (a dropped socket leaves a hole: labels stay
    unique)."""
    used = {c.shard for c in shards}
    return next(i for i in range(len(shards) + 1) if i not in used)


def event_key(ev: Event) -> str | None:
    """The channel key an event answers (``None`` for a Status)."""
    key = _KEY_OF_TYPE.get(ev.__class__)
    if key == "orderbook" and ev.channel:  # type: ignore[union-attr]
        return ev.channel  # type: ignore[union-attr]
    if key is None and ev.__class__ is Candle:
        return f"candle.{ev.interval}"
    return key


class Venue:
    """One exchange at one base URL (with one codec configuration) on one event loop."""

    def __init__(
        self,
        hub: FeedHub,
        exchange: str,
        url: str,
        codec_factory: CodecFactory,
        keepalive: float | None,
        rest_url: str | None = None,
    ) -> None:
        self.hub = hub
        self.rest_url = rest_url  # the owners' explicit REST URL, if they named one
        self.exchange = exchange
        self.url = url
        self.new_codec = codec_factory
        self.codec = codec_factory()  # endpoints, URLs and validation; never decodes
        self.keepalive = keepalive
        self.max_pairs = MAX_PAIRS.get(exchange, DEFAULT_MAX_PAIRS)
        self.clients: set[WebSocketClient] = set()
        self.routes: dict[Pair, tuple[WebSocketClient, ...]] = {}
        self.conns: dict[str, list[Connection]] = {}
        self.placement: dict[Pair, Connection] = {}
        self._http: HttpClient | None = None

    def http(self) -> HttpClient:
        """REST for what the codec needs to keep its state (book snapshots)."""
        if self._http is None:
            self._http = HttpClient(self.exchange, self.rest_url, hub=self.hub)
        return self._http

    # -- subscriptions -----------------------------------------------------------------
    def reconcile(self) -> list[Connection]:
        """Recompute the union of every owner's wishes; returns the connections whose
        subscription changed."""
        wanted: dict[Pair, list[WebSocketClient]] = {}
        for client in self.clients:
            for key, symbols in client.subscriptions.items():
                for symbol in symbols:
                    wanted.setdefault((key, symbol), []).append(client)
        self.routes = {pair: tuple(owners) for pair, owners in wanted.items()}
        placement = self.placement
        for pair in [p for p in placement if p not in wanted]:
            del placement[pair]
        load: dict[Connection, int] = {}
        for conn in placement.values():
            load[conn] = load.get(conn, 0) + 1
        for pair in sorted(p for p in wanted if p not in placement):
            conn = self._room_for(self.codec.endpoint(pair[0]), load)
            placement[pair] = conn
            load[conn] = load.get(conn, 0) + 1
        per_conn: dict[Connection, dict[str, set[str]]] = {}
        owners: dict[Connection, set[WebSocketClient]] = {}
        for (key, symbol), conn in placement.items():
            per_conn.setdefault(conn, {}).setdefault(key, set()).add(symbol)
            owners.setdefault(conn, set()).update(wanted[(key, symbol)])
        changed: list[Connection] = []
        for shards in self.conns.values():
            for conn in shards:
                desired = {k: frozenset(v) for k, v in per_conn.get(conn, {}).items()}
                conn.clients = frozenset(owners.get(conn, ()))
                if desired != conn.desired:
                    conn.update(desired)
                    changed.append(conn)
        return changed

    def _room_for(self, endpoint: str, load: dict[Connection, int]) -> Connection:
        """A socket with room and message budget to ask for one more pair now; one with
        room if none has budget and no more sockets may be opened."""
        shards = self.conns.setdefault(endpoint, [])
        roomy = [c for c in shards if load.get(c, 0) < self.max_pairs]
        for conn in roomy:
            if conn.budget_wait() <= SPILL_AFTER:
                return conn
        if roomy and len(shards) >= MAX_SHARDS:
            return roomy[0]
        conn = Connection(self, endpoint, _free_shard(shards))
        shards.append(conn)
        return conn

    def spill(self, conn: Connection) -> bool:
        """Move the pairs ``conn`` has yet to request to a socket of the same endpoint whose
        message budget allows sending now; False when there is none to be had."""
        added = pairs_of(conn.desired) - pairs_of(conn.sent)
        if not added:
            return False
        shards = self.conns[conn.endpoint]
        target = next(
            (
                c
                for c in shards
                if c is not conn and c.budget_wait() == 0.0 and len(c.pairs) < self.max_pairs
            ),
            None,
        )
        if target is None:
            if len(shards) >= MAX_SHARDS:
                return False
            target = Connection(self, conn.endpoint, _free_shard(shards))
            shards.append(target)
        for pair in added:
            self.placement[pair] = target
        self.reconcile()
        return True

    def forget(self, conn: Connection) -> None:
        """Drops a connection that lingered with nothing to carry (its own call): the
        health screen stops listing it, and new wishes open a new one."""
        shards = self.conns.get(conn.endpoint)
        if shards is not None and conn in shards and not conn.desired:
            shards.remove(conn)
            if not shards:
                del self.conns[conn.endpoint]

    def connections(self) -> list[Connection]:
        return [c for shards in self.conns.values() for c in shards]

    def connections_of(self, client: WebSocketClient) -> list[Connection]:
        return [c for c in self.connections() if client in c.clients]

    async def close(self) -> None:
        conns = self.connections()
        self.conns.clear()
        self.placement.clear()
        self.routes = {}
        await asyncio.gather(*(c.close() for c in conns))
        if self._http is not None:
            await self._http.close()

    # -- the hot path ------------------------------------------------------------------
    def route(self, conn: Connection, events: list[Event], recv_ns: int, now: float) -> None:
        """Fan one frame's events out to the owners that want them (once per frame)."""
        routes = self.routes
        health = conn.health
        recv_ms = recv_ns / 1e6
        market = False
        for ev in events:
            cls = ev.__class__
            key = _KEY_OF_TYPE.get(cls)
            if key == "orderbook" and ev.channel:  # type: ignore[union-attr]
                key = ev.channel  # type: ignore[union-attr]  # bbo, orderbook5
            elif key is None:
                if cls is Status:
                    self._status(conn, ev, now)  # type: ignore[arg-type]
                    continue
                key = f"candle.{ev.interval}"  # type: ignore[union-attr]
            market = True
            pair = (key, ev.symbol)
            if conn.waiting:
                conn.confirm(pair)
            ts = ev.timestamp  # type: ignore[union-attr]
            if ts and not ev.snapshot:  # type: ignore[union-attr]
                delay = recv_ms - ts
                if health.clock_min <= delay <= ABSURD_MS:
                    # Health.on_latency's common case inlined: this runs for every event.
                    ms = delay - health.clock_off
                    lat = health.latency_ms
                    health.latency_ms = ms if lat < 0 else lat * 0.9 + ms * 0.1
                elif delay > ABSURD_MS or delay < -ABSURD_MS:
                    health.bad_timestamps += 1  # no time at all: left out
                else:  # a new least delay: the venue clock's offset moves
                    health.on_latency(delay)
            owners = routes.get(pair)
            if owners:
                for client in owners:
                    client._push(key, ev)
        if market:  # liveness is market data: statuses and acks do not count
            conn.data_at = now
            health.last_data_ns = recv_ns

    def _status(self, conn: Connection, status: Status, now: float) -> None:
        if status.kind == "subscribed" and status.symbol and status.code:
            # OKX acks each channel; a book is confirmed only by its snapshot (data).
            if status.code != "orderbook":
                conn.confirm((status.code, status.symbol))
        elif status.kind in ("error", "resync"):
            conn.health.on_error(status.message)
        for client in conn.clients:
            if not status.symbol or status.symbol in client.symbols:
                client._push(None, status)


class FeedHub:
    """Connections, taps, endpoint overrides and rate limiters for one process."""

    def __init__(
        self,
        *,
        confirm_timeout: float = 3.0,
        quiet_after: dict[str, float] | None = None,
        source: str | None = None,
        idle_grace: float = IDLE_GRACE,
    ) -> None:
        """``source``: ``redis://...`` to take every event from a collector's Redis streams
        instead of the exchanges (``feed/redis_source.py``); None = the exchanges.
        ``idle_grace``: seconds a socket left with nothing to carry stays open (so a swap
        that lets go of everything first reuses it) before it is closed and dropped."""
        if source is not None:
            from dantaro_tui.feed.redis_layout import check_url

            check_url(source)
        self.source = source
        self.confirm_timeout = confirm_timeout
        self.quiet_after = dict(quiet_after or {})
        self.idle_grace = idle_grace
        self.taps: list[Tap] = []
        self.overrides: dict[str, dict[str, str]] = {}
        self._clients: weakref.WeakSet[WebSocketClient] = weakref.WeakSet()
        self._venues: dict[tuple[Any, ...], Venue] = {}
        self._limiters: dict[tuple[str, int], RateLimiter] = {}

    # -- taps and endpoints ------------------------------------------------------------
    def add_tap(self, tap: Tap) -> None:
        self.taps.append(tap)

    def remove_tap(self, tap: Tap) -> None:
        if tap in self.taps:
            self.taps.remove(tap)

    def set_endpoint(
        self, exchange: str, *, ws: str | None = None, rest: str | None = None
    ) -> None:
        entry = self.overrides.setdefault(exchange.lower(), {})
        if ws:
            entry["ws"] = ws
        if rest:
            entry["rest"] = rest

    def clear_endpoints(self) -> None:
        self.overrides.clear()

    def ws_url(self, exchange: str, explicit: str | None = None) -> str:
        return endpoints.ws_url(exchange, explicit, self.overrides)

    def rest_url(self, exchange: str, explicit: str | None = None) -> str:
        return endpoints.rest_url(exchange, explicit, self.overrides)

    def connect_limiter(self, exchange: str, limits: tuple[RateLimit, ...]) -> RateLimiter:
        """The hub's connection limiter for ``exchange`` (the exchange counts per IP)."""
        loop = id(asyncio.get_running_loop())
        key = (exchange, loop)
        limiter = self._limiters.get(key)
        if limiter is None:
            for k in [k for k in self._limiters if k[1] != loop]:
                del self._limiters[k]  # a loop that is gone (tests run many)
            # A wider margin than for messages: handshakes queued behind a busy event loop
            # can reach the exchange closer together than they were started.
            limiter = self._limiters[key] = RateLimiter(limits, margin=0.2)
        return limiter

    # -- clients -------------------------------------------------------------------------
    def register(self, client: WebSocketClient) -> None:
        self._clients.add(client)

    def venue(
        self,
        exchange: str,
        url: str,
        codec_factory: CodecFactory | None,
        keepalive: float | None,
        rest_url: str | None = None,
    ) -> Venue:
        loop = asyncio.get_running_loop()
        key = (id(loop), exchange, url, codec_factory, keepalive, rest_url)
        venue = self._venues.get(key)
        if venue is None:
            for k in [k for k in self._venues if k[0] != id(loop)]:
                del self._venues[k]  # venues of a loop that is gone
            factory = codec_factory or codec_class(exchange)
            if self.source is None:
                venue = Venue(self, exchange, url, factory, keepalive, rest_url)
            else:
                from dantaro_tui.feed.redis_source import RedisVenue

                venue = RedisVenue(self, exchange, url, factory, keepalive, rest_url, self.source)
            self._venues[key] = venue
        return venue

    def private_venue(
        self, exchange: str, url: str, credentials: Credentials, rest_url: str | None = None
    ) -> PrivateVenue:
        """The venue of one key pair's private streams: sockets of its own, apart from the
        public ones and from any other key's."""
        from dantaro_tui.feed.private import PrivateVenue

        loop = asyncio.get_running_loop()
        key = (id(loop), exchange, url, "private", credentials, rest_url)
        venue = self._venues.get(key)
        if venue is None:
            for k in [k for k in self._venues if k[0] != id(loop)]:
                del self._venues[k]
            venue = self._venues[key] = PrivateVenue(self, exchange, url, credentials, rest_url)
        return cast("PrivateVenue", venue)

    def clients(self) -> list[WebSocketClient]:
        return sorted(self._clients, key=lambda c: c.name)

    def health(self) -> list[HealthSnapshot]:
        """Every owner's health, by name."""
        return [c.health() for c in self.clients()]

    def connections(self) -> list[Connection]:
        loop = id(asyncio.get_running_loop())
        return [c for k, v in self._venues.items() if k[0] == loop for c in v.connections()]

    def connection_health(self) -> list[HealthSnapshot]:
        """Every socket's health (open or idle), by name."""
        snaps = [c.health.snapshot(c.rate_limit_wait, c.note()) for c in self.connections()]
        return sorted(snaps, key=lambda h: h.name)

    def sockets(self) -> int:
        """Sockets open now."""
        return sum(1 for c in self.connections() if c._ws is not None)

    async def close(self) -> None:
        """Close every connection; clients stay usable (they reconnect on their next wish)."""
        venues = list(self._venues.values())
        self._venues.clear()
        await asyncio.gather(*(v.close() for v in venues))


_default: FeedHub | None = None
_sources: dict[str, FeedHub] = {}


def default_hub() -> FeedHub:
    """The hub of scripts that did not create one (per process; its connections are per
    event loop). ``DANTARO_SOURCE=redis://...`` (or ``redis``, for ``DANTARO_REDIS_URL``)
    makes it read a collector's Redis instead, so a script written for the exchanges runs on
    a collector unchanged. That is the user's configuration, like a flag: one that cannot be
    used stops the script with one sentence (``SystemExit``), not a traceback."""
    global _default
    if _default is None:
        value = os.environ.get("DANTARO_SOURCE", "").strip()
        source = None
        if value:
            from dantaro_tui.feed.redis_layout import env_source

            try:
                source = env_source(value)
            except ValueError as exc:
                raise SystemExit(f"error: {exc}") from None
        _default = FeedHub(source=source)
    return _default


def source_hub(source: str) -> FeedHub:
    """The process's hub reading from ``source`` (``redis://...``), shared by every client
    that names it, as ``default_hub()`` is by those that name nothing."""
    hub = _sources.get(source)
    if hub is None:
        hub = _sources[source] = FeedHub(source=source)
    return hub
