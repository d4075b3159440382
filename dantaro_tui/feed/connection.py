"""One WebSocket to one exchange endpoint, kept alive for its owner.

The connection reconciles the owner's *desired* subscription with what the server has
(the codec decides how: Upbit's union-replace or OKX's diffs), keeps the socket alive with
the exchange's own heartbeat, declares a silent peer dead after two heartbeat intervals,
and reconnects with exponential backoff and full jitter, restoring the whole desired set.
It is the only module (with rest.py) that touches the network.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import random
import time
from collections.abc import Callable

import websockets
from websockets.asyncio.client import ClientConnection

from dantaro_tui.exchanges.base import ExchangeCodec, Subscription
from dantaro_tui.feed import tap
from dantaro_tui.feed.health import Health
from dantaro_tui.feed.ratelimit import RateLimiter, connect_limiter
from dantaro_tui.model import Event

log = logging.getLogger(__name__)

_conn_ids = itertools.count(1)

EventSink = Callable[[list[Event], int], object]  # (events, recv_ns) -> None or awaitable

BACKOFF_START = 0.25
BACKOFF_MAX = 30.0
HEALTHY_AFTER = 5.0  # a connection that lived this long resets the backoff


def explain(exc: BaseException) -> str:
    """A cause a trader can read, instead of a traceback."""
    if isinstance(exc, websockets.InvalidStatus):
        code = exc.response.status_code
        if code == 429:
            return "the exchange refused the connection: too many connections (rate limit)"
        if code == 418:
            return "the exchange has temporarily blocked this IP for exceeding rate limits"
        return f"the exchange refused the connection (HTTP {code})"
    if isinstance(exc, websockets.ConnectionClosed):
        rcvd = exc.rcvd
        if rcvd is None:
            return "the connection dropped without a goodbye"
        return f"the exchange closed the connection (code {rcvd.code} {rcvd.reason})".strip()
    if isinstance(exc, ConnectionRefusedError):
        return "nothing answers at the exchange address (connection refused)"
    if isinstance(exc, OSError):
        return f"network error: {exc.strerror or exc}"
    if isinstance(exc, TimeoutError):
        return str(exc) or "the exchange did not answer in time"
    return f"{type(exc).__name__}: {exc}"


class Connection:
    def __init__(
        self,
        codec: ExchangeCodec,
        url: str,
        sink: EventSink,
        health: Health,
        *,
        keepalive: float | None = None,
        open_timeout: float = 10.0,
    ) -> None:
        self.codec = codec
        self.url = url
        self._sink = sink
        self.health = health
        self.keepalive = keepalive or codec.keepalive_interval
        self.open_timeout = open_timeout
        self.desired: dict[str, frozenset[str]] = {}
        self._current: dict[str, frozenset[str]] = {}
        self._ws: ClientConnection | None = None
        self._changed = asyncio.Event()
        self._synced = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self.msg_limiter = RateLimiter(codec.message_limits)
        self._connect_limiter = connect_limiter(codec.name, codec.connect_limits)
        self.conn_id = ""
        self._last_sent = 0.0
        self._last_recv = 0.0
        self._fatal: BaseException | None = None
        self._let_go = False  # the writer closed the session because nothing was wanted

    # -- owner API -------------------------------------------------------------------
    def start(self) -> None:
        if self._task is None or self._task.done():
            self._closing = False
            self._task = asyncio.create_task(self._run(), name=f"ws:{self.health.name}")

    def update(self, desired: Subscription) -> None:
        self.desired = {k: frozenset(v) for k, v in desired.items() if v}
        self._synced.clear()
        self._changed.set()
        self.start()

    async def synced(self, timeout: float | None = None) -> bool:
        """Wait until the desired set has been sent on a live socket."""
        try:
            await asyncio.wait_for(self._synced.wait(), timeout)
        except TimeoutError:
            return False
        return True

    def poke(self) -> None:
        """Wake the writer now (e.g. a book needs resubscribing)."""
        self._changed.set()

    @property
    def rate_limit_wait(self) -> float:
        return self.msg_limiter.waited + self._connect_limiter.waited

    async def close(self) -> None:
        self._closing = True
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self.health.state = "closed"

    # -- the loop ----------------------------------------------------------------------
    async def _run(self) -> None:
        backoff = BACKOFF_START
        first = True
        while not self._closing:
            if not self.desired:
                # Nothing wanted: no socket (an empty Upbit request is an error anyway).
                self.health.state = "idle"
                self._synced.set()
                self._changed.clear()
                await self._changed.wait()
                continue
            self.health.state = "connecting" if first else "reconnecting"
            started = time.monotonic()
            self._let_go = False
            try:
                await self._session()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                reason = explain(exc)
                self.health.on_error(reason)
                log.info("%s: %s", self.health.name, reason)
            if self._closing:
                break
            if not self.desired or self._let_go:
                continue  # the owner let go of everything (maybe wants more again): our choice
            first = False
            self.health.reconnects += 1
            self.health.state = "reconnecting"
            if time.monotonic() - started > HEALTHY_AFTER:
                backoff = BACKOFF_START
            await asyncio.sleep(random.uniform(0, backoff))  # full jitter
            backoff = min(backoff * 2, BACKOFF_MAX)

    async def _session(self) -> None:
        await self._connect_limiter.acquire()
        self.conn_id = f"{self.codec.name}-{next(_conn_ids)}"
        ws = await websockets.connect(
            self.url,
            open_timeout=self.open_timeout,
            ping_interval=None,  # the exchange's own heartbeat rule is used instead
            max_size=2**24,
            max_queue=4096,
            compression=None,
            close_timeout=1.0,
        )
        self._ws = ws
        self.codec.reset()
        self._current = {}
        now = time.monotonic()
        self._last_recv = self._last_sent = now
        if tap.TAPS:
            self._tap("connect", None)
        self.health.state = "connected"
        self._fatal = None
        writer = asyncio.create_task(self._writer(ws))
        reason = "closed by us"
        try:
            await self._reader(ws)
            if self.desired and not self._let_go:
                reason = "the exchange ended the connection"
        except websockets.ConnectionClosed as exc:
            reason = explain(self._fatal or exc)
            if self._fatal is None:
                raise
        except BaseException as exc:
            reason = explain(exc)
            raise
        finally:
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await writer
            self._ws = None
            self._synced.clear()
            if tap.TAPS:
                self._tap("disconnect", reason)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.close(), 1.0)
        if self._fatal is not None:
            raise self._fatal
        if self.desired and not self._let_go:
            raise ConnectionError("the exchange ended the connection")

    def _tap(self, kind: tap.TapKind, data: bytes | str | None, ts_ns: int = 0) -> None:
        ts_ns = ts_ns or time.time_ns()
        rec = tap.TapRecord(kind, ts_ns, self.codec.name, self.url, self.conn_id, data)
        for fn in tap.TAPS:
            fn(rec)

    async def _reader(self, ws: ClientConnection) -> None:
        decode = self.codec.decode
        sink = self._sink
        on_frame = self.health.on_frame
        time_ns = time.time_ns
        monotonic = time.monotonic
        async for frame in ws:
            recv_ns = time_ns()
            self._last_recv = monotonic()
            on_frame(recv_ns / 1e9)
            if tap.TAPS:
                self._tap("recv", frame, recv_ns)
            try:
                events = decode(frame, recv_ns)
                if events:
                    result = sink(events, recv_ns)
                    if result is not None:
                        await result  # type: ignore[misc]
            except Exception as exc:
                # A bug must cost one frame, not the connection: count it and carry on.
                self.health.on_error(f"could not process a message: {type(exc).__name__}: {exc}")
                log.exception("frame processing failed on %s", self.conn_id)

    async def _writer(self, ws: ClientConnection) -> None:
        try:
            await self._write_loop(ws)
        except asyncio.CancelledError:
            raise
        except BaseException as exc:
            # Ending the socket wakes the reader; the session then reports this cause.
            self._fatal = exc
            ws.transport.abort()

    async def _write_loop(self, ws: ClientConnection) -> None:
        """Sends subscriptions when the desired set changes, and the heartbeat."""
        interval = self.keepalive
        while True:
            if self.desired != self._current:
                await self._reconcile(ws)
                continue  # the owner may have changed the set again while it was being sent
            if not self.desired:
                self._let_go = True
                await ws.close()  # nothing wanted any more: end the session cleanly
                return
            self._synced.set()
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), timeout=interval / 4)
            now = time.monotonic()
            if now - self._last_recv > 2 * interval:
                silent = now - self._last_recv
                raise TimeoutError(f"no data from the exchange for {silent:.0f}s (dead connection)")
            if now - self._last_sent >= interval and self.codec.ping_frame:
                await self._send(ws, self.codec.ping_frame, limited=self.codec.ping_is_limited)
            for frame in self._resync_frames():
                await self._send(ws, frame)

    def _resync_frames(self) -> list[str]:
        resync = getattr(self.codec, "resync_frames", None)
        return list(resync()) if resync is not None else []

    async def _reconcile(self, ws: ClientConnection) -> None:
        desired = dict(self.desired)
        for frame in self.codec.subscribe_frames(desired, self._current):
            await self._send(ws, frame)
        self._current = desired

    async def _send(self, ws: ClientConnection, frame: str | bytes, limited: bool = True) -> None:
        if limited:
            await self.msg_limiter.acquire()
        await ws.send(frame)
        self._last_sent = time.monotonic()
        if tap.TAPS:
            self._tap("send", frame)
