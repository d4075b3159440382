"""Shared fixtures: the built-in simulated exchange on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import pytest

from dantaro_tui.feed.hub import default_hub

if TYPE_CHECKING:
    from dantaro_tui.sim.server import SimServer


@pytest.fixture
async def sim() -> AsyncIterator[SimServer]:
    from dantaro_tui.sim.server import SimServer

    server = SimServer(host="127.0.0.1", port=0, seed=7)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
        default_hub().clear_endpoints()
