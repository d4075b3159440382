"""A real ``redis-server`` per test, on a free loopback port, in a temporary directory
(skipped, with a sentence, where redis-server is not installed), and a busy simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from dantaro_tui.sim.server import SimServer
from tests.redis.helpers import RedisServer


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def sim() -> AsyncIterator[SimServer]:
    """Simulated Upbit and OKX, busy, without rate limits: what the collector reads."""
    server = SimServer(
        seed=11, intensity=5.0, step_interval=0.05, rate_limits=False, venues=["upbit", "okx"]
    )
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
