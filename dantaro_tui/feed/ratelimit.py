"""Sliding-window rate limiters that make callers wait instead of getting banned.

Connection attempts are limited per exchange for the whole process (every client of an
exchange shares one limiter: the exchange counts per IP); messages per connection.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Iterable

from dantaro_tui.exchanges.base import RateLimit


class RateLimiter:
    """Waits until one more action fits every window (e.g. 5/s and 100/min)."""

    def __init__(self, limits: Iterable[RateLimit], *, margin: float = 0.05) -> None:
        # A small safety margin on each window: the exchange's clock and ours differ, and
        # a refusal costs far more than a few ms of waiting.
        self._limits = tuple(limits)
        self._margin = margin
        self._stamps: list[deque[float]] = [deque() for _ in self._limits]
        self._lock = asyncio.Lock()
        self.waited = 0.0  # total seconds callers spent queued, for the health view

    def _delay(self, now: float) -> float:
        delay = 0.0
        for limit, stamps in zip(self._limits, self._stamps, strict=True):
            window = limit.per * (1 + self._margin)
            while stamps and now - stamps[0] >= window:
                stamps.popleft()
            if len(stamps) >= limit.count:
                delay = max(delay, stamps[0] + window - now)
        return delay

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                now = time.monotonic()
                delay = self._delay(now)
                if delay <= 0:
                    for stamps in self._stamps:
                        stamps.append(now)
                    return
                self.waited += delay
                await asyncio.sleep(delay)


_SHARED: dict[tuple[str, int], RateLimiter] = {}


def connect_limiter(exchange: str, limits: tuple[RateLimit, ...]) -> RateLimiter:
    """The process-wide connection limiter of ``exchange`` (one per event loop)."""
    loop = id(asyncio.get_running_loop())
    key = (exchange, loop)
    limiter = _SHARED.get(key)
    if limiter is None:
        # Drop limiters of loops that are gone (tests run many loops in one process).
        for k in [k for k in _SHARED if k[1] != loop]:
            del _SHARED[k]
        # A wider margin than for messages: handshakes queued behind a busy event loop can
        # reach the exchange closer together than they were started.
        limiter = _SHARED[key] = RateLimiter(limits, margin=0.2)
    return limiter
