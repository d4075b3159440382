"""Small helpers for the feed tests that talk to the simulator."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from dantaro_tui.feed.client import WebSocketClient
from dantaro_tui.feed.connection import Connection
from dantaro_tui.sim.server import SimServer


def ws(sim: SimServer) -> str:
    return sim.endpoints["upbit"]["ws"]


async def until(cond: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


def conn_of(client: WebSocketClient) -> Connection:
    """The (first) shared connection carrying ``client``'s subscriptions."""
    venue = client._venue
    assert venue is not None, "the client never subscribed"
    conns = venue.connections_of(client) or venue.connections()
    return conns[0]


class LoopLag:
    """Measures how late the event loop runs a 10 ms timer (what a flood does to every
    other task of the process, the UI included)."""

    def __init__(self) -> None:
        self.samples: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def _probe(self) -> None:
        while True:
            t0 = time.perf_counter()
            await asyncio.sleep(0.01)
            self.samples.append(time.perf_counter() - t0 - 0.01)

    def __enter__(self) -> LoopLag:
        self._task = asyncio.create_task(self._probe())
        return self

    def __exit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()

    def p99(self) -> float:
        ordered = sorted(self.samples)
        return ordered[int(len(ordered) * 0.99)] if ordered else float("inf")
