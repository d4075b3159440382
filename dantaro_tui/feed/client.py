"""WebSocketClient: the subscription state of one owner (a widget, a bot strategy).

The client holds the *desired* set (channel x symbols) and one callback per channel; the
hub it belongs to reconciles the exchange with the union of every client's set over shared
connections. Events for symbols no longer desired never reach a callback, and after a
reconnect the whole set is restored by itself.

    client = WebSocketClient("chart_1")
    await client.subscribe_ticker(["KRW-BTC", "KRW-ETH"], on_ticker)
    await client.resubscribe(["KRW-XRP"])
    await client.cleanup()

Delivery goes through the owner's own mailbox and task, so one slow owner never delays
another or the socket: ticker, order book and candle updates that pile up are conflated
to the newest per symbol (a late owner sees the present, not a backlog); trades queue up
to ``max_pending_trades``, and what overflows is counted in health and said once in words.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Literal

from dantaro_tui.exchanges import codec_class
from dantaro_tui.exchanges.base import ExchangeCodec
from dantaro_tui.feed.health import STALE_AFTER, Health, HealthSnapshot, State, worst
from dantaro_tui.feed.hub import FeedHub, Venue, default_hub, source_hub
from dantaro_tui.model import Event, Status, Trade

if TYPE_CHECKING:
    from dantaro_tui.credentials import Credentials
    from dantaro_tui.feed.connection import Connection
    from dantaro_tui.feed.private import PrivateFeed

log = logging.getLogger(__name__)

Callback = Callable[[Any], Awaitable[None] | None]

SLICE = 0.003  # seconds of callbacks before the mailbox yields to the event loop
# An owner whose callbacks are quick is called straight from the socket's frame (no task
# hop: the end-to-end benchmark's cost); STRIKES calls in a row slower than INLINE_MAX (one
# alone may be the OS preempting us) send it through its mailbox for SLOW_FOR seconds, so
# it can delay the others by a few calls at most.
INLINE_MAX = 0.0005
STRIKES = 3
SLOW_FOR = 5.0
_perf = time.perf_counter


class OwnerSub:
    """One channel of one owner, public or private: its symbols and its callback."""

    __slots__ = ("callback", "is_async", "symbols")

    def __init__(self, symbols: frozenset[str], callback: Callback) -> None:
        self.symbols = symbols
        self.callback = callback
        self.is_async = inspect.iscoroutinefunction(callback)


def move_owner(owner: Any, old: Venue | None, venue: Venue, wants: bool) -> None:
    """Puts ``owner`` on ``venue`` (or takes it off when it ``wants`` nothing there) and off
    ``old`` when the endpoint moved (e.g. --demo set after creation)."""
    if old is not None and old is not venue and owner in old.clients:
        old.clients.discard(owner)
        old.reconcile()
    if wants:
        venue.clients.add(owner)
    else:
        venue.clients.discard(owner)


def owner_state(
    closed: bool, subscribed: bool, conns: Sequence[Connection], waiting: bool
) -> State:
    """An owner's state from its sockets': the worst of them, "waiting" while a subscription
    it asked for is not confirmed yet; "idle" with none, "closed" once let go of."""
    if closed:
        return "closed"
    if not subscribed:
        return "idle"
    states: list[State] = [c.health.state if c.health.state != "closed" else "idle" for c in conns]
    state = worst(states) if states else "connecting"
    if state in ("connected", "waiting"):
        state = "waiting" if waiting else "connected"
    return state


async def stop_task(task: asyncio.Task[None] | None) -> None:
    """Cancels an owner's delivery task and waits for its end (unless it is the caller)."""
    if task is not None and not task.done():
        task.cancel()
        if task is not asyncio.current_task():
            await asyncio.wait([task])


def owner_snapshot(
    name: str,
    exchange: str,
    state: State,
    own: Health,
    conns: Sequence[Connection],
    waiting: Iterable[str],
    *,
    last_error: str,
    now: float | None = None,
    dropped: int = 0,
    conflated: int = 0,
    note: str = "",
) -> HealthSnapshot:
    """An owner's health: what it received (``own``) and the sockets it uses (``conns``);
    without an error of its own, the first socket's says what went wrong. ``note``: what
    the owner's waiting pairs wait for; the sockets' clock notes are added."""
    if not last_error:
        last_error = next((c.health.last_error for c in conns if c.health.last_error), "")
    latencies = [c.health.latency_ms for c in conns if c.health.latency_ms >= 0]
    notes = [note] if note else []
    # The venue clock furthest from ours, either way.
    offset = max((c.health.clock_off for c in conns), key=abs, default=0.0)
    notes += sorted({c.health.note for c in conns if c.health.note})
    return HealthSnapshot(
        name=name,
        exchange=exchange,
        state=state,
        msgs_30s=own.msgs_30s(now),
        messages=own.messages,
        last_message=own.last_data,
        errors=own.errors + sum(c.health.errors for c in conns),
        reconnects=sum(c.health.reconnects for c in conns),
        latency_ms=round(max(latencies), 1) if latencies else -1.0,
        last_error=last_error,
        rate_limit_wait=round(sum(c.rate_limit_wait for c in conns), 3),
        waiting=tuple(sorted(waiting)),
        dropped=dropped,
        conflated=conflated,
        connections=sum(1 for c in conns if c._ws is not None),
        note="; ".join(notes),
        bad_timestamps=sum(c.health.bad_timestamps for c in conns),
        clock_offset_ms=round(offset, 1),
    )


class WebSocketClient:
    def __init__(
        self,
        name: str,
        exchange: str = "upbit",
        url: str | None = None,
        rest_url: str | None = None,
        *,
        hub: FeedHub | None = None,
        keepalive: float | None = None,
        sync_timeout: float = 5.0,
        on_status: Callback | None = None,
        codec_factory: Callable[[], ExchangeCodec] | None = None,
        max_pending_trades: int = 10_000,
        credentials: Credentials | None = None,
        source: str | None = None,
    ) -> None:
        self.name = name
        self.exchange = exchange.lower()
        codec_class(self.exchange)  # ValueError for an exchange we do not speak
        # ``source="redis://..."``: the same events from a collector's Redis streams.
        if hub is not None and source is not None and hub.source != source:
            raise ValueError("give a hub or a source, not a hub reading from another source")
        self.hub = hub or (source_hub(source) if source is not None else default_hub())
        self._url = url
        self._rest_url = rest_url
        self._codec_factory = codec_factory
        self.keepalive = keepalive
        self.sync_timeout = sync_timeout
        self.on_status = on_status
        self.max_pending_trades = max_pending_trades
        self._subs: dict[str, OwnerSub] = {}
        self._venue: Venue | None = None
        self._validator = (codec_factory or codec_class(self.exchange))()
        self._health = Health(name, self.exchange)  # what this owner received
        self._closed = False
        # The mailbox: slots [key, conflation key, event]; state slots are indexed so a
        # newer update replaces the pending one in place.
        self._queue: deque[tuple[str | None, Event]] = deque()  # trades and statuses, in order
        self._slots: dict[tuple[Any, ...], tuple[str, Event]] = {}  # newest state per symbol
        self._pending_trades = 0
        self._dropped = 0
        self._conflated = 0
        self._said_drop = False
        self._wake: asyncio.Event | None = None
        self._slow_until = 0.0  # perf_counter time until which delivery goes by the mailbox
        self._strikes = 0
        self._count_sec = 0
        self._count_n = 0
        self._last_trade: dict[str, str] = {}
        self._sync_only = True  # no coroutine callbacks: those are awaited in order, by the task
        self._drainer: asyncio.Task[None] | None = None
        # Keys for the private streams: given, else loaded on the first private subscription.
        self._credentials = credentials
        self._private: PrivateFeed | None = None
        self.hub.register(self)

    @property
    def url(self) -> str:
        return self.hub.ws_url(self.exchange, self._url)

    @property
    def rest_url(self) -> str:
        return self.hub.rest_url(self.exchange, self._rest_url)

    # -- subscriptions ---------------------------------------------------------------
    async def subscribe_ticker(self, symbols: Iterable[str], callback: Callback) -> None:
        await self.subscribe("ticker", symbols, callback)

    async def subscribe_trade(self, symbols: Iterable[str], callback: Callback) -> None:
        await self.subscribe("trade", symbols, callback)

    async def subscribe_orderbook(self, symbols: Iterable[str], callback: Callback) -> None:
        await self.subscribe("orderbook", symbols, callback)

    async def subscribe_candle(
        self, symbols: Iterable[str], callback: Callback, interval: str = "1m"
    ) -> None:
        await self.subscribe(f"candle.{interval}", symbols, callback)

    # -- private (account) streams: their own sockets, signed with the owner's key pair ------
    async def subscribe_my_order(
        self, callback: Callback, codes: Iterable[str] | None = None
    ) -> None:
        """The account's orders (``MyOrder`` events) in ``codes`` (None = every market);
        every change of state, in order. Raises ``PrivateStreamError`` when the exchange
        refuses the key, ``CredentialsError`` when none is configured."""
        await self._private_feed().subscribe("myOrder", callback, codes, self.sync_timeout)

    async def subscribe_my_asset(self, callback: Callback) -> None:
        """The account's balances (one ``MyAsset`` event per currency that changed)."""
        await self._private_feed().subscribe("myAsset", callback, None, self.sync_timeout)

    def private_health(self) -> HealthSnapshot | None:
        """The private streams' health (None when this owner has none)."""
        return self._private.health() if self._private is not None else None

    def _private_feed(self) -> PrivateFeed:
        if self._private is None:
            from dantaro_tui.credentials import CredentialsError, how_to_add, load
            from dantaro_tui.feed.private import PrivateFeed

            creds = self._credentials or load(self.exchange)
            if creds is None:
                raise CredentialsError(how_to_add(self.exchange))
            self._private = PrivateFeed(self, creds)
        return self._private

    async def subscribe(self, channel: str, symbols: Iterable[str], callback: Callback) -> None:
        """Set ``channel``'s symbols (replacing the previous ones) and its callback."""
        codes = self._normalize(symbols)
        self._validator.validate_channel(channel)  # ValueError if unknown, no side effects
        self._subs[channel] = OwnerSub(codes, callback)
        await self._apply()

    async def unsubscribe(self, channel: str, symbols: Iterable[str] | None = None) -> None:
        """Drop ``symbols`` (all when None) from ``channel``; "candle" means every interval."""
        keys = [k for k in self._subs if k == channel or k.startswith(f"{channel}.")]
        drop = None if symbols is None else self._normalize(symbols)
        for key in keys:
            sub = self._subs[key]
            sub.symbols = frozenset() if drop is None else sub.symbols - drop
            if not sub.symbols:
                del self._subs[key]
        await self._apply()

    async def resubscribe(self, symbols: Iterable[str]) -> None:
        """Swap every subscribed channel to ``symbols`` in one request."""
        codes = self._normalize(symbols)
        for sub in self._subs.values():
            sub.symbols = codes
        await self._apply()

    @property
    def subscriptions(self) -> dict[str, frozenset[str]]:
        return {k: s.symbols for k, s in self._subs.items()}

    @property
    def symbols(self) -> frozenset[str]:
        return frozenset().union(*(s.symbols for s in self._subs.values()))

    def health(self) -> HealthSnapshot:
        if not self._subs and self._private is not None and self._private.wanted:
            return self._private.health()  # an owner of private streams only
        self._flush_count()
        own = self._health
        venue = self._venue
        conns = venue.connections_of(self) if venue is not None else []
        now = time.time()
        mine = {(k, s) for k, sub in self._subs.items() for s in sub.symbols}
        waiting = [f"{k} {s}" for conn in conns for k, s in conn.waiting if (k, s) in mine]
        notes = [n for n in (c.note(mine) for c in conns) if n]
        if not mine and not self._closed:
            notes.append("nothing subscribed")
        # Channels named with no symbols (``subscribe_ticker([], cb)``) want nothing: idle,
        # never "connecting" to a socket that will not be opened.
        state = owner_state(self._closed, bool(mine), conns, bool(waiting))
        if state == "connected" and not own.last_data:
            state = "waiting"  # nothing has reached this owner yet
        elif state == "connected" and now - own.last_data > STALE_AFTER:
            state = "stale"
        return owner_snapshot(
            self.name,
            self.exchange,
            state,
            own,
            conns,
            waiting,
            last_error=own.last_error,
            now=now,
            dropped=self._dropped,
            conflated=self._conflated,
            note="; ".join(notes),
        )

    async def cleanup(self) -> None:
        """Let go of every subscription (the hub closes sockets nobody needs any more);
        the client stays usable."""
        self._subs.clear()
        await self._apply()
        if self._private is not None:
            await self._private.close()
        self._closed = True
        drainer, self._drainer = self._drainer, None
        await stop_task(drainer)
        self._queue.clear()
        self._slots.clear()
        self._pending_trades = 0

    async def __aenter__(self) -> WebSocketClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.cleanup()

    # -- internals ---------------------------------------------------------------------
    def _normalize(self, symbols: Iterable[str]) -> frozenset[str]:
        if isinstance(symbols, str):
            symbols = [symbols]
        return frozenset(self._validator.normalize_symbol(s) for s in symbols)

    async def _apply(self) -> None:
        self._sync_only = not any(s.is_async for s in self._subs.values())
        if self._subs:
            self._closed = False
            self._start_drainer()
        venue = self.hub.venue(
            self.exchange, self.url, self._codec_factory, self.keepalive, self._rest_url
        )
        move_owner(self, self._venue, venue, any(s.symbols for s in self._subs.values()))
        self._venue = venue
        changed = venue.reconcile()
        waits = [c.synced(self.sync_timeout) for c in changed if c.desired]
        if waits:
            await asyncio.gather(*waits)

    def _start_drainer(self) -> None:
        if self._drainer is None or self._drainer.done():
            self._wake = asyncio.Event()
            self._drainer = asyncio.create_task(self._drain(), name=f"owner:{self.name}")

    # The hub calls _push for every event this owner wants; the mailbox task delivers.
    # State (ticker, book, candle) waits in ``_slots``, one per symbol, replaced in place
    # and delivered before trades: an owner behind a trade backlog still sees the present.
    def _push(self, key: str | None, ev: Event) -> None:
        if key is not None and self._sync_only and not self._queue and not self._slots:
            now = _perf()
            if now >= self._slow_until:
                result = self._deliver(key, ev)
                if result is True:
                    # _count inlined: this runs for every event delivered in line.
                    sec = ev.recv_ns // 1_000_000_000
                    if sec != self._count_sec:
                        self._flush_count()
                        self._count_sec = sec
                    self._count_n += 1
                elif result is not None:
                    # An awaitable from a plain callback: it runs as a task of its own.
                    task = asyncio.ensure_future(result)
                    task.add_done_callback(self._task_done)
                    self._count(ev.recv_ns)
                if _perf() - now <= INLINE_MAX:
                    if self._strikes:
                        self._strikes = 0
                else:
                    self._strikes += 1
                    if self._strikes >= STRIKES:
                        self._strikes = 0
                        self._slow_until = now + SLOW_FOR
                return
        if key == "trade":
            if self._pending_trades >= self.max_pending_trades:
                self._drop()
                return
            self._pending_trades += 1
            self._queue.append((key, ev))
        elif key is None:  # a Status: never conflated
            self._queue.append((None, ev))
        else:
            if key[0] == "c":  # candle: one slot per bar, so a closing bar is never lost
                ck: tuple[Any, ...] = (key, ev.symbol, ev.open_time)  # type: ignore[union-attr]
            else:
                ck = (key, ev.symbol)
            slots = self._slots
            if ck in slots:
                self._conflated += 1
            slots[ck] = (key, ev)
        wake = self._wake
        if wake is not None and not wake.is_set():
            wake.set()

    def _drop(self) -> None:
        self._dropped += 1
        if not self._said_drop:
            self._said_drop = True
            self._health.on_error(
                f"{self.name} fell behind: more than {self.max_pending_trades:,} trades were "
                "waiting for it, so newer trades are being dropped (counted in health)"
            )

    async def _drain(self) -> None:
        queue = self._queue
        slots = self._slots
        perf = time.perf_counter
        wake = self._wake
        own = self._health
        assert wake is not None
        while True:
            if not queue and not slots:
                wake.clear()
                await wake.wait()
                continue
            yield_at = perf() + SLICE
            delivered = 0
            while slots or queue:
                key: str | None
                if slots:
                    key, ev = slots.popitem()[1]  # any order: all pending state goes now
                else:
                    key, ev = queue.popleft()
                    if key is not None:
                        self._pending_trades -= 1
                result = self._deliver(key, ev)
                if result is None:
                    pass
                elif result is True:
                    delivered += 1
                else:
                    delivered += 1
                    try:
                        await result
                    except Exception as exc:
                        self._callback_failed(exc)
                if perf() >= yield_at:
                    own.on_frame(time.time(), delivered)
                    delivered = 0
                    await asyncio.sleep(0)
                    yield_at = perf() + SLICE
            if delivered:
                own.on_frame(time.time(), delivered)

    def _deliver(self, key: str | None, ev: Event) -> Awaitable[None] | Literal[True] | None:
        """Hands ``ev`` to the owner: None = not delivered, True = delivered, or the
        awaitable an async callback returned."""
        if key is None:
            self._on_status(ev)  # type: ignore[arg-type]
            return None
        sub = self._subs.get(key)
        symbol = ev.symbol
        if sub is None or symbol not in sub.symbols:
            return None  # a symbol or channel the owner let go of: never delivered
        if ev.__class__ is Trade:
            # A snapshot re-sent for the trade this owner got last (Upbit answers every
            # request with the market's last trade): never twice in a tape.
            last = self._last_trade
            trade_id = ev.trade_id
            if ev.snapshot and last.get(symbol) == trade_id:
                return None
            last[symbol] = trade_id
        self._health.last_data_ns = ev.recv_ns
        try:
            result = sub.callback(ev)
        except Exception as exc:
            self._callback_failed(exc)
            return True
        if sub.is_async or (result is not None and inspect.isawaitable(result)):
            return result
        return True

    def _count(self, recv_ns: int) -> None:
        """One delivered event, folded into the per-second counters once a second."""
        sec = recv_ns // 1_000_000_000
        if sec != self._count_sec:
            self._flush_count()
            self._count_sec = sec
        self._count_n += 1

    def _flush_count(self) -> None:
        if self._count_n:
            self._health.on_frame(float(self._count_sec), self._count_n)
            self._count_n = 0

    def _task_done(self, task: asyncio.Future[Any]) -> None:
        if not task.cancelled() and task.exception() is not None:
            self._callback_failed(task.exception())  # type: ignore[arg-type]

    def _callback_failed(self, exc: BaseException) -> None:
        self._health.on_error(f"{self.name}: callback failed: {type(exc).__name__}: {exc}")
        log.error("callback of %s failed", self.name, exc_info=exc)

    def _on_status(self, status: Status) -> None:
        if self.on_status is None:
            return
        try:
            result = self.on_status(status)
            if inspect.isawaitable(result):
                task = asyncio.ensure_future(result)
                task.add_done_callback(_log_failure)
        except Exception as exc:
            self._callback_failed(exc)

    def __repr__(self) -> str:
        return f"WebSocketClient({self.name!r}, exchange={self.exchange!r})"


def _log_failure(task: asyncio.Future[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("status callback failed", exc_info=task.exception())
