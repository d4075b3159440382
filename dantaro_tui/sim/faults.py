"""Fault switches, the per-connection delivery path that applies them, and rate windows.

Every venue module sends market data through a :class:`Peer`, so a switch flipped on
:class:`Faults` (by a test, at runtime) acts on every exchange the simulator serves.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import web

MAX_QUEUE = 50_000  # frames waiting for one slow client before it is cut off


@dataclass
class Faults:
    """Runtime switches. Data frames are market-data frames (not status or error frames)."""

    # Abort each connection (TCP reset, no close frame: the client sees 1006) once this
    # many data frames were sent to it.
    drop_after: int | None = None
    # Chance, per data frame, that the connection is aborted instead of sent the frame.
    drop_probability: float = 0.0
    # While True, connections send nothing (no data, no status, no pong) and ignore what
    # they receive: a dead peer the client has to detect.
    stall: bool = False
    # Every Nth data frame of a connection is replaced by a truncated (malformed) frame.
    malformed_every: int | None = None
    # New connections are refused with HTTP 429 and requests get the rate-limit error.
    refuse_rate_limit: bool = False
    # Venues whose books are deltas chained by sequence numbers with a checksum (OKX): every
    # Nth update carries a wrong checksum / a sequence gap.
    corrupt_checksum_every: int | None = None
    skip_seq_every: int | None = None
    seed: int = 1
    rng: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(f"faults:{self.seed}")

    def reset(self) -> None:
        self.drop_after = None
        self.drop_probability = 0.0
        self.stall = False
        self.malformed_every = None
        self.refuse_rate_limit = False
        self.corrupt_checksum_every = None
        self.skip_seq_every = None


def malformed(frame: bytes) -> bytes:
    """A frame cut in half: no longer valid JSON."""
    return frame[: max(1, len(frame) // 2)]


class RateWindow:
    """At most ``limit`` hits per ``per`` seconds per key (sliding window)."""

    def __init__(self, limit: int, per: float) -> None:
        self.limit = limit
        self.per = per
        self._hits: dict[object, deque[float]] = {}

    def hit(self, key: object, now: float) -> int | None:
        """Count a hit; the number left in the window, or None when over the limit."""
        q = self._hits.get(key)
        if q is None:
            q = self._hits[key] = deque()
        while q and q[0] <= now - self.per:
            q.popleft()
        if len(q) >= self.limit:
            return None
        q.append(now)
        if len(self._hits) > 10_000:  # forget idle keys
            for k in [k for k, v in self._hits.items() if not v]:
                del self._hits[k]
        return self.limit - len(q)

    def left(self, key: object, now: float) -> int:
        q = self._hits.get(key, ())
        return self.limit - sum(1 for t in q if t > now - self.per)


_ABORT = b"\x00abort"  # queue sentinel (by identity): abort once the frames before it went out


class Peer:
    """One server-side WebSocket: a write queue drained by its own task (market data fans
    out without awaiting), idle timeout, and the fault switches."""

    def __init__(
        self,
        ws: web.WebSocketResponse,
        request: web.Request,
        faults: Faults,
        idle_timeout: float,
        on_close: Callable[[Peer], None],
    ) -> None:
        self.ws = ws
        self.remote = request.remote or ""
        self._transport = request.transport
        self.faults = faults
        self.idle_timeout = idle_timeout
        self._on_close = on_close
        self._queue: deque[bytes] = deque()
        self._wake = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        self.last_activity = self._loop.time()
        self.data_frames = 0  # data frames accepted for sending
        self.closed = False
        self._dying = False
        self._tasks = [
            asyncio.ensure_future(self._writer()),
            asyncio.ensure_future(self._watchdog()),
        ]

    # -- sending
    def send_data(self, frame: bytes) -> None:
        if self.closed or self._dying:
            return
        f = self.faults
        if f.stall:
            return
        if f.drop_probability > 0.0 and f.rng.random() < f.drop_probability:
            self.abort()
            return
        self.data_frames += 1
        n = self.data_frames
        if f.malformed_every and n % f.malformed_every == 0:
            frame = malformed(frame)
        self._push(frame)
        if f.drop_after is not None and n >= f.drop_after:
            self._dying = True
            self._push(_ABORT)

    def send_control(self, frame: bytes) -> None:
        """Status and error frames: not counted as data, still silenced by a stall."""
        if not self.closed and not self._dying and not self.faults.stall:
            self._push(frame)

    def _push(self, frame: bytes) -> None:
        if len(self._queue) >= MAX_QUEUE:
            self.abort()  # a client this slow is cut off, as a real exchange would
            return
        self._queue.append(frame)
        self._wake.set()

    def touch(self) -> None:
        self.last_activity = self._loop.time()

    async def _writer(self) -> None:
        queue, ws = self._queue, self.ws
        try:
            while not self.closed:
                await self._wake.wait()
                self._wake.clear()
                while queue and not self.closed:
                    if self.faults.stall:
                        queue.clear()
                        break
                    frame = queue.popleft()
                    if frame is _ABORT:
                        self.abort()
                        return
                    await ws.send_bytes(frame)
                    self.last_activity = self._loop.time()
        except (ConnectionError, RuntimeError, asyncio.CancelledError):
            self.abort()
        except Exception:
            self.abort()
            raise

    async def _watchdog(self) -> None:
        period = max(0.02, min(1.0, self.idle_timeout / 4))
        with contextlib.suppress(asyncio.CancelledError):
            while not self.closed:
                await asyncio.sleep(period)
                if self._loop.time() - self.last_activity > self.idle_timeout:
                    self.abort()

    # -- closing
    def abort(self) -> None:
        """Drop the TCP connection without a close frame."""
        if self.closed:
            return
        self.detach()
        if self._transport is not None:
            self._transport.abort()

    async def close(self, code: int = 1000) -> None:
        """Close with a close frame (after what is queued was written)."""
        if self.closed:
            return
        for _ in range(100):
            if not self._queue:
                break
            await asyncio.sleep(0.01)
        self.detach()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.ws.close(code=code), 1.0)
        if self._transport is not None and not self._transport.is_closing():
            self._transport.abort()

    def detach(self) -> None:
        """Stop the tasks and unregister (the handler returns; aiohttp ends the socket)."""
        self.closed = True
        self._queue.clear()
        self._wake.set()
        current = asyncio.current_task()
        for task in self._tasks:
            if task is not current:
                task.cancel()
        self._on_close(self)
