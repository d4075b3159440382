"""Run an example against the built-in simulator (default) or live Upbit (``--live``)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable

from dantaro_tui.feed.hub import default_hub
from dantaro_tui.sim.server import SimServer


def run(main: Callable[[], Awaitable[None]], seconds: float = 10.0) -> None:
    async def wrapper() -> None:
        sim = None
        if "--live" not in sys.argv:
            sim = SimServer(seed=1, kimchi_premium=3.0)
            await sim.start()
            for exchange, urls in sim.endpoints.items():
                default_hub().set_endpoint(exchange, ws=urls["ws"], rest=urls["rest"])
        try:
            await asyncio.wait_for(main(), seconds)
        except TimeoutError:
            pass
        finally:
            if sim is not None:
                await sim.stop()

    asyncio.run(wrapper())
