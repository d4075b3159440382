"""What the Redis tests share: a real redis-server they start and stop themselves."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import redis

from dantaro_tui.feed.collector_redis import RedisCollector
from dantaro_tui.feed.hub import FeedHub
from dantaro_tui.sim.server import SimServer

REDIS_SERVER = shutil.which("redis-server")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RedisServer:
    """``redis-server`` on loopback, no persistence, its files in ``folder``."""

    def __init__(self, folder: Path, password: str = "") -> None:
        if REDIS_SERVER is None:
            pytest.skip("redis-server is not installed: the Redis tests need a real one")
        self.folder = folder
        self.password = password
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    def start(self) -> None:
        assert REDIS_SERVER is not None
        self.folder.mkdir(parents=True, exist_ok=True)
        args = [
            REDIS_SERVER,
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "no",
            "--dir", str(self.folder),
            "--logfile", str(self.folder / "redis.log"),
        ]  # fmt: skip
        if self.password:
            args += ["--requirepass", self.password]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20.0
        while True:
            try:
                with redis.Redis(
                    port=self.port, password=self.password or None, socket_timeout=1.0
                ) as r:
                    r.ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10.0)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def restart(self) -> None:
        """Down and up again on the same port (everything in it is lost: no persistence)."""
        self.stop()
        self.start()

    def sync(self) -> redis.Redis:
        return redis.Redis(port=self.port, password=self.password or None)


async def until(cond: Callable[[], bool], timeout: float = 20.0, what: str = "condition") -> None:
    """Waits for ``cond`` (generous: the machine may be loaded)."""
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not met within {timeout:.0f}s")
        await asyncio.sleep(0.02)


def sim_hub(sim: SimServer) -> FeedHub:
    """A hub whose exchanges are the simulator's (a collector's or a direct client's)."""
    hub = FeedHub()
    for exchange, urls in sim.endpoints.items():
        hub.set_endpoint(exchange, ws=urls["ws"], rest=urls["rest"])
    return hub


async def start_collector(
    redis_url: str,
    sim: SimServer,
    markets: dict[str, list[str]],
    channels: tuple[str, ...] = ("ticker", "trade", "orderbook"),
    **options: Any,
) -> RedisCollector:
    collector = RedisCollector(redis_url, markets, channels, hub=sim_hub(sim), **options)
    await collector.start()
    return collector


async def stop_collector(collector: RedisCollector) -> None:
    await collector.stop()
    await collector.hub.close()


def trade_ids(events: list[Any], symbol: str) -> list[str]:
    """The live (not snapshot) trades of ``symbol``, in the order they were delivered."""
    return [e.trade_id for e in events if e.symbol == symbol and not e.snapshot]


def contiguous_in(part: list[str], whole: list[str]) -> bool:
    """``part`` appears in ``whole`` as one unbroken run: no gap, no duplicate."""
    if not part:
        return False
    try:
        start = whole.index(part[0])
    except ValueError:
        return False
    return whole[start : start + len(part)] == part


def kill_clients(server: RedisServer, name: str) -> int:
    """Drops every connection named ``name`` (as a network cut would); returns how many."""
    with server.sync() as r:
        ids = [c["id"] for c in r.client_list() if c.get("name") == name]
        for client_id in ids:
            r.client_kill_filter(_id=client_id)
    return len(ids)


class DeskUser:
    """A Redis user of its own for a terminal, so a test can lock it out and let it back
    in: a cut-off the terminal cannot heal by reconnecting, while the collector, on the
    default user, keeps writing."""

    def __init__(self, server: RedisServer, name: str = "desk", password: str = "desk-pass"):
        self.server = server
        self.name = name
        self.password = password
        self._set(enabled=True)

    @property
    def url(self) -> str:
        return f"redis://{self.name}:{self.password}@127.0.0.1:{self.server.port}/0"

    def _set(self, *, enabled: bool) -> None:
        with self.server.sync() as r:
            r.acl_setuser(
                self.name,
                enabled=enabled,
                passwords=[f"+{self.password}"],
                categories=["+@all"],
                keys=["*"],
                channels=["*"],
            )

    def lock_out(self) -> None:
        self._set(enabled=False)
        with self.server.sync() as r:
            r.client_kill_filter(user=self.name)

    def let_in(self) -> None:
        self._set(enabled=True)
