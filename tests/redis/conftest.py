"""A real ``redis-server`` per test, on a free loopback port, in a temporary directory
(skipped, with a sentence, where redis-server is not installed), and a busy simulator."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from dantaro_tui.feed.redis_layout import Layout
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


@pytest.fixture
def demo_collector(redis_server: RedisServer) -> Iterator[RedisServer]:
    """``dantaro-tui collect --demo`` publishing to ``redis_server`` until the test ends."""
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "dantaro_tui.cli", "collect", "--demo", "--quiet"),
            *("--redis", redis_server.url, "--markets", "KRW-BTC,KRW-ETH"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        with redis_server.sync() as r:
            deadline = time.monotonic() + 90  # generous: the machine may be loaded
            while r.hlen(Layout().latest("upbit")) < 2:  # both markets' tickers are in
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                assert time.monotonic() < deadline, "the collector published nothing"
                time.sleep(0.1)
        yield redis_server
    finally:
        proc.terminate()
        proc.wait(30)
