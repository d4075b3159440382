"""What the simulator tests share."""

from __future__ import annotations

from typing import Any

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
