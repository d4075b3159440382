"""Shared fixtures: the built-in simulated exchange on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from dantaro_tui.feed import endpoints
from dantaro_tui.sim.server import SimServer


@pytest.fixture
async def sim() -> AsyncIterator[SimServer]:
    server = SimServer(host="127.0.0.1", port=0, seed=7)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
        endpoints.clear_overrides()
