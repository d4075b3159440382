"""One WebSocket of the hub to one exchange endpoint, shared by every owner placed on it.

The connection reconciles the union of its owners' subscriptions with the server (the
codec decides how: Upbit's union-replace or OKX's diffs), keeps the socket alive with the
exchange's own heartbeat, and reconnects with capped full-jitter backoff, restoring the
whole set. It trusts nothing it has not seen:

* a subscription is *waiting* until the exchange answers it with data (Upbit's snapshot,
  OKX's ack or book snapshot); no answer within ``confirm_timeout`` -> ask again, still
  none -> reconnect;
* a socket that answers pings but carries no market data for ``quiet_after`` is probed
  (Upbit: the request again, which brings snapshots) or replaced (OKX);
* a peer silent for two heartbeat intervals is dead;
* a book waiting for its REST snapshot (in flight, or held back by a REST ban or backoff)
  is not the socket's fault: it is reported waiting with the reason and its end in words,
  and neither asked for again nor a cause to replace the socket;
* a socket left with nothing to carry lingers for the hub's ``idle_grace`` (a symbol swap
  that lets go of everything before asking for the next reuses it), then is closed and
  dropped from the venue;
* a frame is decoded once and routed by the venue, right inside the socket read that
  brought it (``sink.SinkConnection``: no queue and no task hop per frame); after a few
  milliseconds of frames the socket is paused until the event loop's next turn, so a flood
  cannot starve the rest of the process.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import random
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, cast
from urllib.parse import urlencode

import websockets

from dantaro_tui.exchanges.base import ExchangeCodec, Frame, RestRequest, Subscription
from dantaro_tui.exchanges.sanity import clean
from dantaro_tui.feed.health import Health
from dantaro_tui.feed.ratelimit import RateLimiter
from dantaro_tui.feed.rest import RestError
from dantaro_tui.feed.sink import Message, SinkConnection
from dantaro_tui.feed.tap import TapKind, TapRecord

if TYPE_CHECKING:
    from dantaro_tui.feed.client import WebSocketClient
    from dantaro_tui.feed.hub import Venue

log = logging.getLogger(__name__)

_conn_ids = itertools.count(1)

Pair = tuple[str, str]  # (channel key, symbol)

BACKOFF_START = 0.25
# Full jitter under this cap: a reachable server is retried within ~2 s however long the
# outage was (goal: heal < 3 s after it is back), yet a dead one costs < 1 attempt/s.
BACKOFF_MAX = 2.0
# An exchange that refuses us for rate limits (HTTP 429/418) is given far more room.
BACKOFF_REFUSED = 30.0
# Sessions shorter than this, back to back, are a flapping server: data flowing in each of
# them no longer resets the backoff (else: a reconnect storm at the exchange's connect limit).
FLAPPING_SESSION = 2.0
FLAPS_BEFORE_BACKOFF = 3
SLICE = 0.003  # seconds of frames handled before yielding to the event loop
# asyncio reads up to 256 KiB per wake-up and websockets parses all of it before anything
# else runs: under a flood of small frames the loop-lag p99 was 38-90 ms. Measured in the
# same flood: 16 KiB gave 6-10 ms but cost 7-19 % CPU per frame; 64 KiB gives 13-17 ms at
# the CPU cost of 256 KiB.
READ_CHUNK = 64 * 1024
DEAD_AFTER = 1.9  # heartbeat intervals of total silence that make a peer dead ("within 2")
# A change that would wait this long for the connection's message budget (Upbit: 5/s and
# 100/min per connection) goes to another socket of the same endpoint instead.
SPILL_AFTER = 0.3
# Pause before a codec hears that its REST request failed (and asks again): doubling from
# REST_RETRY_BASE to REST_RETRY_MAX seconds while failures go on.
REST_RETRY_BASE = 0.5
REST_RETRY_MAX = 30.0
LIFETIME_MARGIN = 60.0  # a planned reconnect this long before the exchange's cut-off
REST_GROUP = "sync"  # the HTTP rate-limit group of the snapshots the codecs ask for

# Market-data silence on a socket with confirmed subscriptions: Upbit is probed with the
# request again (cheap: snapshots come back); OKX cannot be probed without spending its
# hourly budget, and its books send heartbeats every minute, so it is reconnected.
QUIET_AFTER = {"upbit": 15.0}
QUIET_RECONNECT_AFTER = 90.0


class PlannedReconnect(Exception):
    """The session is replaced on purpose (the exchange's connection lifetime)."""


class Unconfirmed(Exception):
    """The exchange did not answer a subscription: the session is replaced."""


def explain(exc: BaseException, codec: ExchangeCodec | None = None) -> str:
    """A cause a trader can read, instead of a traceback (``codec``: the exchange's own
    close codes in words)."""
    if isinstance(exc, websockets.InvalidStatus):
        code = exc.response.status_code
        if code == 429:
            return "the exchange refused the connection: too many connections (rate limit)"
        if code == 418:
            return "the exchange has temporarily blocked this IP for exceeding rate limits"
        if code in (401, 403):
            return f"the exchange refused the API key (HTTP {code}): check it and its permissions"
        return f"the exchange refused the connection (HTTP {code})"
    if isinstance(exc, websockets.ConnectionClosed):
        rcvd = exc.rcvd
        if rcvd is None:
            return "the connection dropped without a goodbye"
        if codec is not None and rcvd.code in codec.close_codes:
            return f"{codec.close_codes[rcvd.code]} (close code {rcvd.code})"
        return f"the exchange closed the connection (code {rcvd.code} {rcvd.reason})".strip()
    if isinstance(exc, ConnectionRefusedError):
        return "nothing answers at the exchange address (connection refused)"
    if isinstance(exc, OSError):
        return f"network error: {exc.strerror or exc}"
    if isinstance(exc, TimeoutError):
        return str(exc) or "the exchange did not answer in time"
    if isinstance(exc, Unconfirmed):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def _refused(exc: BaseException, codec: ExchangeCodec) -> bool:
    if isinstance(exc, websockets.ConnectionClosed) and exc.rcvd is not None:
        return exc.rcvd.code in codec.limit_close_codes
    return isinstance(exc, websockets.InvalidStatus) and exc.response.status_code in (429, 418)


def pairs_of(sub: Subscription) -> set[Pair]:
    return {(key, symbol) for key, symbols in sub.items() for symbol in symbols}


class Connection:
    def __init__(self, venue: Venue, endpoint: str, shard: int) -> None:
        self.venue = venue
        self.codec = venue.new_codec()
        self.exchange = venue.exchange
        self.url = venue.codec.ws_url(venue.url, endpoint)
        self.endpoint = endpoint
        self.shard = shard
        label = f"{self.exchange}{'/' + endpoint if endpoint else ''}#{shard + 1}"
        self.health = Health(label, self.exchange)
        self.keepalive = venue.keepalive or self.codec.keepalive_interval
        self.confirm_timeout = venue.hub.confirm_timeout
        self.quiet_after = venue.hub.quiet_after.get(self.exchange, QUIET_AFTER.get(self.exchange))
        self.open_timeout = 10.0
        self.desired: dict[str, frozenset[str]] = {}
        self._current: dict[str, frozenset[str]] = {}
        # pair -> when it was asked for; a pair leaves when its first data (or ack) arrives
        self.waiting: dict[Pair, float] = {}
        self._live: set[Pair] = set()  # confirmed in this session
        self.clients: frozenset[WebSocketClient] = frozenset()  # owners here (set by the venue)
        self._request_at = 0.0
        self._resent = False
        self._checked = False  # the waiting set was judged since the last request
        self.data_at = 0.0  # monotonic time of the newest market event
        self.frame_at = 0.0  # monotonic time of the newest frame of any kind
        self._last_sent = 0.0
        self._healthy = False  # this session delivered confirmed market data
        self._outbox: list[Frame] = []
        self._own_heartbeat = True
        self._session_at = 0.0
        self._uses_rest = type(self.codec).rest_requests is not ExchangeCodec.rest_requests
        self._rest_tasks: set[asyncio.Task[None]] = set()
        self._rest_failures = 0  # REST replies in a row that failed (the retry pause grows)
        # Symbols whose REST snapshot is in flight (count of requests), and those held back
        # by a failure: symbol -> (why, monotonic end). Their pairs wait for REST, not for
        # the socket (``_excused``).
        self._rest_inflight: dict[str, int] = {}
        self.held: dict[str, tuple[str, float]] = {}
        self._judge_after = 0.0  # no confirmation judgement before (a hold's end)
        self._forgotten = False  # dropped from the venue after lingering with nothing wanted
        self._ws: SinkConnection | None = None
        # Frames read but not handled yet, with their receive time: more than one read's
        # worth only while a flood is being spread over several turns of the event loop.
        self._inbox: deque[tuple[list[Message], int]] = deque()
        self._resume: asyncio.Handle | None = None
        self._paused = False
        self._frames_to_send: Callable[[], list[Frame]] | None = None
        self._changed = asyncio.Event()
        self._synced = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self.msg_limiter = RateLimiter(self.codec.message_limits)
        self._connect_limiter = venue.hub.connect_limiter(self.exchange, self.codec.connect_limits)
        self.conn_id = ""
        self._fatal: BaseException | None = None
        self._let_go = False  # the writer closed the session because nothing was wanted

    # -- the venue's API ------------------------------------------------------------------
    def start(self) -> None:
        if self._task is None or self._task.done():
            self._closing = False
            self._task = asyncio.create_task(self._run(), name=f"ws:{self.health.name}")

    def update(self, desired: Subscription) -> None:
        new = {k: frozenset(v) for k, v in desired.items() if v}
        if new == self.desired:
            return
        self.desired = new
        wanted = pairs_of(new)
        for pair in [p for p in self.waiting if p not in wanted]:
            del self.waiting[pair]
        symbols = {s for _, s in wanted}
        for symbol in [s for s in self.held if s not in symbols]:
            del self.held[symbol]
        self._synced.clear()
        self._changed.set()
        if new and self.health.state == "idle":
            # Wanted again: never "idle" (nothing subscribed) while the writer catches up.
            self.health.state = "waiting" if self._ws is not None else "connecting"
        if new:
            self.start()

    async def synced(self, timeout: float | None = None) -> bool:
        """Wait until the desired set has been sent on a live socket."""
        try:
            await asyncio.wait_for(self._synced.wait(), timeout)
        except TimeoutError:
            return False
        return True

    def budget_wait(self) -> float:
        """Seconds a request would wait for this socket's message budget now (a socket
        that is not open starts afresh)."""
        return self.msg_limiter.delay() if self._ws is not None else 0.0

    @property
    def sent(self) -> Subscription:
        """What the exchange was last asked for on this socket."""
        return self._current

    @property
    def pairs(self) -> set[Pair]:
        return pairs_of(self.desired)

    @property
    def rate_limit_wait(self) -> float:
        return self.msg_limiter.waited + self._connect_limiter.waited

    def confirm(self, pair: Pair) -> None:
        if self.waiting.pop(pair, None) is not None:
            self._live.add(pair)
            if not self.waiting:
                self._healthy = True
                self.health.state = "connected"

    async def close(self) -> None:
        self._closing = True
        task, self._task = self._task, None
        ws = self._ws
        if ws is not None:
            ws.transport.abort()  # no goodbye handshake to wait for: we are leaving
        rest = list(self._rest_tasks)
        for t in rest:
            t.cancel()  # a reply waited out for a ban would keep the task for minutes
        if task is not None:
            task.cancel()
        pending = [t for t in (task, *rest) if t is not None]
        if pending:
            await asyncio.wait(pending)
        self.health.state = "closed"

    # -- the loop ----------------------------------------------------------------------
    async def _run(self) -> None:
        backoff = BACKOFF_START
        first = True
        flaps = 0
        while not self._closing and not self._forgotten:
            if not self.desired:
                # Nothing wanted: no socket (an empty Upbit request is an error anyway);
                # after the grace period this connection is dropped from the venue.
                self.health.state = "idle"
                self._synced.set()
                if not await self._linger():
                    self._forget()
                continue
            self.health.state = "connecting" if first else "reconnecting"
            self._let_go = False
            self._healthy = False
            cap = BACKOFF_MAX
            started = time.monotonic()
            try:
                await self._session()
            except asyncio.CancelledError:
                raise
            except PlannedReconnect as exc:
                log.info("%s: %s", self.health.name, exc)
                self.health.reconnects += 1
                first = False
                continue  # on purpose: no error, no backoff
            except Exception as exc:
                reason = explain(exc, self.codec)
                self.health.on_error(reason)
                log.info("%s: %s", self.health.name, reason)
                if _refused(exc, self.codec):
                    cap = BACKOFF_REFUSED
                    backoff = max(backoff, 5.0)
            if self._closing:
                break
            if not self.desired or self._let_go:
                continue  # the owners let go of everything (maybe want more again): our choice
            first = False
            self.health.reconnects += 1
            self.health.state = "reconnecting"
            flaps = flaps + 1 if time.monotonic() - started < FLAPPING_SESSION else 0
            if self._healthy and flaps < FLAPS_BEFORE_BACKOFF:
                backoff = BACKOFF_START  # market data flowed: this outage starts afresh
            await asyncio.sleep(random.uniform(0, backoff))  # full jitter
            backoff = min(backoff * 2, cap)
        if self._forgotten:
            self.health.state = "closed"

    @property
    def idle_grace(self) -> float:
        """How long a socket with nothing to carry stays open: shorter than half the
        heartbeat, since none is sent meanwhile."""
        return min(self.venue.hub.idle_grace, self.keepalive / 2)

    async def _linger(self) -> bool:
        """Waits up to ``idle_grace`` for something to be wanted again; True when it is."""
        deadline = time.monotonic() + self.idle_grace
        while not self.desired:
            left = deadline - time.monotonic()
            if left <= 0 or self._closing:
                return False
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), left)
        return True

    def _forget(self) -> None:
        """Leaves the venue for good: its next wishes go to a new connection."""
        self._forgotten = True
        self.venue.forget(self)

    async def _session(self) -> None:
        await self._connect_limiter.acquire()
        self.conn_id = f"{self.exchange}-{next(_conn_ids)}"
        own_heartbeat = self.codec.heartbeat_frame() is not None
        conn = await websockets.connect(
            self.url,
            create_connection=SinkConnection,
            open_timeout=self.open_timeout,
            # The exchange's own heartbeat where it has one (Upbit PING, OKX ping, Gate.io
            # spot.ping); else WebSocket pings, whose pongs our reader never sees (Binance).
            ping_interval=None if own_heartbeat else self.keepalive,
            ping_timeout=None if own_heartbeat else self.keepalive,
            max_size=2**24,
            compression=None,
            close_timeout=1.0,
            additional_headers=self.codec.connect_headers(),
        )
        ws = cast(SinkConnection, conn)
        self._ws = ws
        self._own_heartbeat = own_heartbeat
        self._session_at = time.monotonic()
        # The exchange counts messages per socket: a new socket starts with a full budget.
        waited = self.msg_limiter.waited
        self.msg_limiter = RateLimiter(self.codec.message_limits)
        self.msg_limiter.waited = waited
        if hasattr(ws.transport, "max_size"):  # asyncio's selector transports
            ws.transport.max_size = READ_CHUNK
        self.codec.reset()
        self._current = {}
        self._outbox.clear()
        self.waiting.clear()
        self._live.clear()
        self._judge_after = 0.0
        now = time.monotonic()
        self.frame_at = self._last_sent = now
        self._tap("connect", None)
        self.health.state = "waiting"
        self._fatal = None
        writer = asyncio.create_task(self._writer(ws))
        reason = "closed by us"
        try:
            await self._reader(ws)
            if self.desired and not self._let_go:
                reason = "the exchange ended the connection"
        except websockets.ConnectionClosed as exc:
            reason = explain(self._fatal or exc, self.codec)
            if self._fatal is None:
                raise
        except BaseException as exc:
            reason = explain(exc, self.codec)
            raise
        finally:
            writer.cancel()
            # asyncio.wait, not ``await writer``: our own cancellation must not be
            # swallowed along with the writer's.
            await asyncio.wait([writer])
            self._ws = None
            self._synced.clear()
            self._tap("disconnect", reason)
            ws.transport.abort()
        if self._fatal is not None:
            raise self._fatal
        if self.desired and not self._let_go:
            raise ConnectionError("the exchange ended the connection")

    def _tap(self, kind: TapKind, data: bytes | str | None, ts_ns: int = 0) -> None:
        taps = self.venue.hub.taps
        if not taps or (self.codec.private and kind in ("send", "recv")):
            return
        rec = TapRecord(kind, ts_ns or time.time_ns(), self.exchange, self.url, self.conn_id, data)
        for fn in taps:
            fn(rec)

    async def _reader(self, ws: SinkConnection) -> None:
        """Frames are handled as the socket reads them (``_take``); this waits for the end."""
        self._inbox.clear()
        # Asked after every frame only of codecs that ever have something to send.
        self._frames_to_send = (
            self.codec.frames_to_send
            if type(self.codec).frames_to_send is not ExchangeCodec.frames_to_send
            else None
        )
        ws.attach(self._take, self._bad_message)
        try:
            await ws.ended()
        except websockets.ConnectionClosed:
            self._finish(ws, handle=True)
            raise
        except BaseException:
            self._finish(ws, handle=False)
            raise
        self._finish(ws, handle=True)

    def _finish(self, ws: SinkConnection, *, handle: bool) -> None:
        """The socket is gone: the frames it read before are still handled (``handle``)
        unless we are leaving."""
        if self._resume is not None:
            self._resume.cancel()
            self._resume = None
        if handle:
            self._pump(ws, budget=False)
        self._inbox.clear()
        self._paused = False

    def _take(self, frames: list[Message]) -> None:
        """The frames of one socket read (called inside the read, by ``SinkConnection``)."""
        recv_ns = time.time_ns()  # they arrived together: one receive time
        self.frame_at = time.monotonic()
        self.health.on_frame(recv_ns / 1e9, len(frames))
        self._inbox.append((frames, recv_ns))
        if self._resume is None and len(self._inbox) == 1:
            self._pump(self._ws)

    def _bad_message(self, reason: str) -> None:
        self.health.on_error(reason)

    def _pump(self, ws: SinkConnection | None, budget: bool = True) -> None:
        try:
            self._handle(ws, budget)
        except Exception as exc:
            # Raised inside the socket's read (a failing tap, say): ending the socket wakes
            # the reader, and the session reports this cause rather than a lost socket.
            self._fatal = exc
            self._inbox.clear()
            if ws is not None:
                ws.transport.abort()

    def _handle(self, ws: SinkConnection | None, budget: bool) -> None:
        """Handles the frames read so far, for ``SLICE`` seconds at most: the rest waits
        for the event loop's next turn with the socket paused, so a flood cannot starve the
        rest of the process (nor pile up unread frames in memory)."""
        self._resume = None
        inbox = self._inbox
        decode = self.codec.decode
        route = self.venue.route
        frames_to_send = self._frames_to_send
        uses_rest = self._uses_rest
        taps = self.venue.hub.taps
        monotonic = time.monotonic
        now = monotonic()
        yield_at = now + SLICE
        while inbox:
            frames, recv_ns = inbox[0]
            for i, frame in enumerate(frames):
                if taps:
                    self._tap("recv", frame, recv_ns)
                try:
                    events = decode(frame, recv_ns)
                    if events:
                        route(self, events, recv_ns, now)
                    if frames_to_send is not None:
                        more = frames_to_send()
                        if more:
                            self._outbox.extend(more)
                            self._changed.set()
                    if uses_rest:
                        self._ask_rest()
                except Exception as exc:
                    # A bug must cost one frame, not the connection: count it and carry on.
                    self.health.on_error(
                        f"could not process a message: {type(exc).__name__}: {exc}"
                    )
                    log.exception("frame processing failed on %s", self.conn_id)
                if budget and monotonic() >= yield_at:
                    inbox[0] = (frames[i + 1 :], recv_ns)
                    if ws is not None and not ws.transport.is_closing():
                        ws.transport.pause_reading()
                        self._paused = True
                    self._resume = asyncio.get_running_loop().call_soon(self._pump, ws)
                    return
            inbox.popleft()
        if self._paused:
            self._paused = False
            if ws is not None and not ws.transport.is_closing():
                ws.transport.resume_reading()

    async def _writer(self, ws: SinkConnection) -> None:
        try:
            await self._write_loop(ws)
        except asyncio.CancelledError:
            raise
        except BaseException as exc:
            # Ending the socket wakes the reader; the session then reports this cause.
            self._fatal = exc
            ws.transport.abort()

    def _next_deadline(self, now: float) -> float:
        interval = self.keepalive
        at = now + interval
        if self._own_heartbeat:
            at = min(self.frame_at + DEAD_AFTER * interval, self._last_sent + interval)
        lifetime = self.codec.max_lifetime
        if lifetime is not None:
            at = min(at, self._session_at + lifetime - LIFETIME_MARGIN)
        if self.waiting and not self._checked:
            at = min(at, max(self._request_at + self.confirm_timeout, self._judge_after))
        elif not self.waiting and self.codec.answers_subscriptions:
            # Realtime-only streams (a private one) are never judged by silence: a past
            # deadline here would wake the writer in a busy loop.
            quiet = self.quiet_after or QUIET_RECONNECT_AFTER
            at = min(at, max(self.data_at, self._request_at) + quiet)
        return at

    async def _write_loop(self, ws: SinkConnection) -> None:
        """Sends subscriptions when the desired set changes, resyncs, the heartbeat, and
        judges whether the exchange is answering."""
        interval = self.keepalive
        while True:
            if not self.desired:
                # Nothing wanted: the socket lingers (a quick resubscribe reuses it; what
                # the exchange still sends meanwhile has no owner and is not routed).
                self.health.state = "idle"
                self._synced.set()
                if await self._linger():
                    if self.desired == self._current:
                        # Wanted again as it was: the exchange never stopped sending it.
                        self._requested(self._current, resend=False)
                    continue
                self._let_go = True
                self._forget()  # before the await: new wishes must not land here
                await ws.close()  # end the session cleanly
                return
            if self.desired != self._current:
                if self.msg_limiter.delay() > SPILL_AFTER and self.venue.spill(self):
                    continue  # the new pairs moved to a socket with budget to spare
                await self._reconcile(ws)
                continue  # the owners may have changed the set again while it was sent
            if self._outbox:
                frames, self._outbox = self._outbox, []
                for frame in frames:
                    await self._send(ws, frame)
                continue
            self._synced.set()
            self._changed.clear()
            now = time.monotonic()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._changed.wait(), max(0.0, self._next_deadline(now) - now)
                )
            now = time.monotonic()
            silent = now - self.frame_at
            if self._own_heartbeat and silent >= DEAD_AFTER * interval:
                raise TimeoutError(f"no data from the exchange for {silent:.1f}s (dead connection)")
            if self._own_heartbeat and now - self._last_sent >= interval:
                ping = self.codec.heartbeat_frame()
                if ping is not None:
                    await self._send(ws, ping, limited=self.codec.ping_is_limited)
            lifetime = self.codec.max_lifetime
            if lifetime is not None and now - self._session_at >= lifetime - LIFETIME_MARGIN:
                raise PlannedReconnect(
                    f"{self.exchange} ends connections at {lifetime / 3600:.0f} h: replaced"
                )
            if self.waiting:
                if (
                    not self._checked
                    and now - self._request_at >= self.confirm_timeout
                    and now >= self._judge_after
                ):
                    await self._unconfirmed(ws, now)
            elif self.desired == self._current:
                await self._quiet(ws, now)

    async def _unconfirmed(self, ws: SinkConnection, now: float) -> None:
        """Subscriptions unanswered for ``confirm_timeout``."""
        if self.data_at >= self._request_at or not self.codec.answers_subscriptions:
            # Data flows, so the exchange heard us: what is still waiting has no data to
            # give (an unknown code, a market with no trades yet). The owners' health
            # names them; reconnecting would not help.
            self._checked = True
            return
        excused = self._excused(now)
        unanswered = sorted(p for p in self.waiting if p[1] not in excused)
        if not unanswered:
            # Every pair still waiting waits for REST (its snapshot in flight, or held back
            # by a ban or a backoff): the socket did its part, and asking again or replacing
            # it would only ask REST again. Judged anew once the longest hold has ended.
            ends = [self.held[s][1] for s in excused if s in self.held]
            self._judge_after = max([now, *ends]) + self.confirm_timeout
            self._resent = False
            self.health.state = "waiting"
            return
        listed = ", ".join(f"{k} {s}" for k, s in unanswered[:4])
        if len(unanswered) > 4:
            listed += f" and {len(unanswered) - 4} more"
        if not self._resent:
            self.health.on_error(
                f"{self.exchange} did not answer the subscription ({listed}) within "
                f"{self.confirm_timeout:g} s; asking again"
            )
            await self._request_again(ws, keep={p for p in self.waiting if p[1] in excused})
            return
        raise Unconfirmed(
            f"{self.exchange} did not answer the subscription ({listed}) after asking twice; "
            "reconnecting"
        )

    async def _quiet(self, ws: SinkConnection, now: float) -> None:
        since = now - max(self.data_at, self._request_at)
        if not self.codec.answers_subscriptions:
            return  # realtime-only: a quiet market says nothing about the socket
        if self.quiet_after is not None and since >= self.quiet_after:
            # The socket answers pings but no market data came: ask for snapshots again;
            # if they do not come either, the confirmation rule reconnects.
            self.waiting = dict.fromkeys(pairs_of(self._current), now)
            self._live.clear()
            self.health.state = "waiting"
            await self._request_again(ws)
        elif self.quiet_after is None and since >= QUIET_RECONNECT_AFTER:
            raise Unconfirmed(f"no market data from {self.exchange} for {since:.0f}s; reconnecting")

    async def _request_again(self, ws: SinkConnection, keep: set[Pair] | None = None) -> None:
        """Asks again for the pairs still waiting, except ``keep`` (those waiting for REST:
        asked again, a book would only drop its buffer and ask REST once more)."""
        live = dict(self._current)
        for key, symbol in self.waiting:
            if keep and (key, symbol) in keep:
                continue
            live[key] = live.get(key, frozenset()) - {symbol}
        await self.msg_limiter.acquire()
        frames = self.codec.subscribe_frames(self._current, {k: v for k, v in live.items() if v})
        for i, frame in enumerate(frames):
            await self._send(ws, frame, limited=i > 0)
        self._requested(self._current, resend=True)

    async def _reconcile(self, ws: SinkConnection) -> None:
        # Wait for the budget first and only then read the wish: changes made while
        # waiting are folded into this request instead of queueing stale ones.
        await self.msg_limiter.acquire()
        desired = dict(self.desired)
        if not desired:
            return
        frames = self.codec.subscribe_frames(desired, self._current)
        for i, frame in enumerate(frames):
            await self._send(ws, frame, limited=i > 0)
        self._current = desired
        self._requested(desired, resend=False)
        if self._uses_rest:
            self._ask_rest()

    def _requested(self, desired: Subscription, *, resend: bool) -> None:
        now = time.monotonic()
        wanted = pairs_of(desired)
        if not resend:
            self._judge_after = 0.0  # new pairs are judged on their own time
            # Pairs confirmed earlier in this session keep streaming; new ones wait.
            self._live &= wanted
            for pair in wanted - self._live - set(self.waiting):
                self.waiting[pair] = now
        self._request_at = now
        self._resent = resend
        self._checked = False
        if self.waiting:
            self.health.state = "waiting"
        elif self._live:
            # The owners let go of the last pairs still waiting: what stays was confirmed.
            self._healthy = True
            self.health.state = "connected"

    # -- REST the codec needs (a book synced from a snapshot) ---------------------------
    def _ask_rest(self) -> None:
        for request in self.codec.rest_requests():
            task = asyncio.create_task(self._fetch(request, self.conn_id))
            self._rest_tasks.add(task)
            task.add_done_callback(self._rest_tasks.discard)

    async def _fetch(self, request: RestRequest, conn_id: str) -> None:
        status, body = 200, b""
        symbols = self._symbols_of(request)
        for symbol in symbols:
            self._rest_inflight[symbol] = self._rest_inflight.get(symbol, 0) + 1
        try:
            body = await self.venue.http().get(REST_GROUP, request.path, dict(request.params))
        except RestError as exc:
            status, body = exc.status or 0, str(exc).encode()
        except Exception as exc:  # the codec is told and asks again; never the socket's end
            status, body = 0, f"{type(exc).__name__}: {exc}".encode()
        finally:
            for symbol in symbols:
                left = self._rest_inflight.get(symbol, 1) - 1
                if left > 0:
                    self._rest_inflight[symbol] = left
                else:
                    self._rest_inflight.pop(symbol, None)
        if status != 200:
            # The codec asks again as soon as it hears of a failure: the pause before it
            # hears is what keeps a failing (or banning) server from a request per loop.
            self._rest_failures += 1
            step = min(self._rest_failures - 1, 8)
            pause = min(REST_RETRY_MAX, REST_RETRY_BASE * 2**step)
            ban = self._ban_left()
            if ban > pause and self._rest_failures > 1:
                # The codec has already said the first refusal in words: it hears again
                # when the ban ends (asking meanwhile would only be refused here).
                pause = ban
            self._hold(symbols, status, body, max(pause, ban))
            await asyncio.sleep(pause)
        else:
            self._rest_failures = 0
            for symbol in symbols:
                self.held.pop(symbol, None)
        if conn_id != self.conn_id or self._ws is None:
            return  # a reply for a session that is gone: its codec state was reset
        recv_ns = time.time_ns()  # one stamp: a replay gives the book the same receive time
        if status == 200 and self.venue.hub.taps:
            # Recorded beside the frames: a replay needs the snapshot the deltas build on.
            query = urlencode(request.params)
            url = f"{self.venue.http().base_url}{request.path}" + (f"?{query}" if query else "")
            rec = TapRecord("rest", recv_ns, self.exchange, url, self.conn_id, body)
            for fn in self.venue.hub.taps:
                fn(rec)
        events = self.codec.on_rest(request, status, body, recv_ns)
        if events:
            self.venue.route(self, events, recv_ns, time.monotonic())
        more = self.codec.frames_to_send()
        if more:
            self._outbox.extend(more)
            self._changed.set()
        self._ask_rest()

    def _symbols_of(self, request: RestRequest) -> set[str]:
        """The wanted symbols a REST request is for (the codec names them in its params)."""
        wanted = {symbol for _, symbol in self.pairs}
        return {value for _, value in request.params if value in wanted}

    def _ban_left(self) -> float:
        """Seconds the snapshots' rate-limit group must still wait: an HTTP 418 ban, or a
        429's Retry-After (0 = none)."""
        return max(0.0, self.venue.http().blocked_until(REST_GROUP) - time.monotonic())

    def _hold(self, symbols: set[str], status: int, body: bytes, seconds: float) -> None:
        """Notes that the snapshots of ``symbols`` are held back for ``seconds``."""
        if not symbols:
            return
        why = rest_refusal(self.exchange, status, body)
        ends = time.monotonic() + seconds
        fresh = [s for s in sorted(symbols) if s not in self.held]
        for symbol in symbols:
            self.held[symbol] = (why, ends)
        if fresh:
            self.health.on_error(self.hold_note(fresh[0], time.monotonic()))

    def _excused(self, now: float) -> dict[str, str]:
        """Symbols whose pairs wait for REST rather than the socket -> why, in words."""
        out = {s: "its snapshot is being fetched" for s in self._rest_inflight}
        for symbol, (_why, ends) in self.held.items():
            if ends > now:
                out[symbol] = self.hold_note(symbol, now)
        return out

    def hold_note(self, symbol: str, now: float) -> str:
        """Why ``symbol``'s book waits for REST and until when, in words ("" = it does not)."""
        held = self.held.get(symbol)
        if held is not None and held[1] > now:
            why, ends = held
            left = ends - now
            at = time.strftime("%H:%M:%S", time.localtime(time.time() + left))
            return (
                f"{symbol} waits for its order book snapshot: {why}; "
                f"asking again at {at} (in {_duration(left)})"
            )
        if symbol in self._rest_inflight:
            if held is not None:  # asked again after a refusal: say the refusal
                return f"{symbol} waits for its order book snapshot: {held[0]}; asking again now"
            return f"{symbol} waits for its order book snapshot from the REST API"
        return ""

    def note(self, pairs: set[Pair] | None = None) -> str:
        """What the waiting pairs (of ``pairs``, or all) wait for, beyond the socket."""
        now = time.monotonic()
        symbols = sorted({s for k, s in self.waiting if pairs is None or (k, s) in pairs})
        notes = [n for n in (self.hold_note(s, now) for s in symbols) if n]
        if len(notes) > 2:
            notes = [*notes[:2], f"and {len(notes) - 2} more"]
        return "; ".join(notes)

    async def _send(self, ws: SinkConnection, frame: str | bytes, limited: bool = True) -> None:
        if limited:
            await self.msg_limiter.acquire()
        await ws.send(frame)
        self._last_sent = time.monotonic()
        self._tap("send", frame)


def rest_refusal(exchange: str, status: int, body: bytes) -> str:
    """A REST failure that holds a snapshot back, in words."""
    if status == 418:
        return f"{exchange} has banned this IP for too many requests (HTTP 418)"
    if status == 429:
        return f"{exchange} is rate-limiting this IP's requests (HTTP 429)"
    said = clean(body.decode("utf-8", "replace")).strip()[:160]  # may quote the exchange
    return f"the snapshot request failed ({said or f'HTTP {status}'})"


def _duration(seconds: float) -> str:
    """``75`` -> "1 min 15 s"; ``7300`` -> "2 h 1 min"."""
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min {secs} s" if minutes else f"{secs} s"
