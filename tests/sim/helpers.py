"""What the simulator tests share."""

from __future__ import annotations

from typing import Any

from dantaro_tui.model import Market
from dantaro_tui.sim.server import SimServer


def fast_sim(**options: Any) -> SimServer:
    """A simulator for protocol tests (not started): Upbit only, busy (intensity 10, a step
    every 50 ms) and without rate limits, unless ``options`` say otherwise."""
    defaults: dict[str, Any] = {
        "intensity": 10.0,
        "step_interval": 0.05,
        "rate_limits": False,
        "venues": ["upbit"],
    }
    return SimServer(**{**defaults, **options})


async def upbit_markets() -> list[Market]:
    """The simulated Upbit's market list, as its REST answer gives it (the simulator is
    started for it and stopped)."""
    from dantaro_tui.feed.hub import FeedHub
    from dantaro_tui.feed.rest_venues import RestClient

    sim = fast_sim()
    await sim.start()
    hub = FeedHub()
    hub.set_endpoint("upbit", rest=sim.endpoints["upbit"]["rest"])
    rest = RestClient("upbit", hub=hub)
    try:
        return await rest.markets()
    finally:
        await rest.close()
        await hub.close()
        await sim.stop()
