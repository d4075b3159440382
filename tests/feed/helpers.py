"""Small helpers for the feed tests that talk to the simulator."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from dantaro_tui.sim.server import SimServer


def ws(sim: SimServer) -> str:
    return sim.endpoints["upbit"]["ws"]


async def until(cond: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)
