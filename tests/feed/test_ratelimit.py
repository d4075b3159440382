"""Rate limits make callers queue, never exceed the exchange's published windows."""

from __future__ import annotations

import asyncio
import time

from dantaro_tui.exchanges.base import RateLimit
from dantaro_tui.feed.hub import FeedHub
from dantaro_tui.feed.ratelimit import RateLimiter
from dantaro_tui.feed.rest import parse_remaining_req


def _max_in_window(stamps: list[float], window: float) -> int:
    return max(sum(1 for t in stamps if s <= t < s + window) for s in stamps)


async def test_burst_is_spread_to_fit_every_window() -> None:
    limiter = RateLimiter([RateLimit(5, 0.2), RateLimit(8, 1.0)], margin=0.0)
    stamps: list[float] = []

    async def act() -> None:
        await limiter.acquire()
        stamps.append(time.monotonic())

    await asyncio.gather(*(act() for _ in range(12)))
    assert len(stamps) == 12
    assert _max_in_window(stamps, 0.2) <= 5
    assert _max_in_window(stamps, 1.0) <= 8
    assert limiter.waited > 0.5  # the 9th action had to wait for the 1 s window


async def test_connect_limiter_is_shared_by_exchange_within_a_hub() -> None:
    hub = FeedHub()
    a = hub.connect_limiter("upbit", (RateLimit(5, 1.0),))
    b = hub.connect_limiter("upbit", (RateLimit(5, 1.0),))
    c = hub.connect_limiter("okx", (RateLimit(3, 1.0),))
    assert a is b
    assert a is not c
    assert FeedHub().connect_limiter("upbit", (RateLimit(5, 1.0),)) is not a


def test_remaining_req_header() -> None:
    got = parse_remaining_req("group=market; min=1800; sec=0")
    assert got == {"group": "market", "min": "1800", "sec": "0"}
