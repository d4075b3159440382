"""Sliding-window rate limiters that make callers wait instead of getting banned.

Connection attempts are limited per exchange by the hub (the exchange counts per IP, and
the hub is the process's one door to it); messages per connection.
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

    def delay(self) -> float:
        """Seconds the next action would wait now (0.0 = it fits); nothing is spent."""
        return self._delay(time.monotonic())

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


_SHARED: dict[tuple[str, ...], tuple[int, RateLimiter]] = {}


def shared_limiter(key: tuple[str, ...], limits: Iterable[RateLimit]) -> RateLimiter:
    """The one limiter of a REST budget (``key``: exchange and group, or key pair and
    group): the exchange counts per IP or per account, however many clients and hubs the
    process has. One per event loop, since a limiter's lock belongs to its loop."""
    loop = id(asyncio.get_running_loop())
    entry = _SHARED.get(key)
    if entry is not None and entry[0] == loop:
        return entry[1]
    for old in [k for k, (lp, _) in _SHARED.items() if lp != loop]:
        del _SHARED[old]  # limiters of a loop that is gone (tests run many)
    # Requests queued behind a busy event loop reach the exchange closer together than they
    # were started: a wide margin, since a 429 costs more than the wait.
    limiter = RateLimiter(limits, margin=0.2)
    _SHARED[key] = (loop, limiter)
    return limiter
