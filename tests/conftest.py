"""Shared fixtures: the built-in simulated exchange on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import pytest

from dantaro_tui.feed.hub import default_hub

if TYPE_CHECKING:
    from dantaro_tui.sim.server import SimServer


@pytest.fixture(autouse=True)
def private_settings(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No test reads or writes the user's real settings: the platform config and data
    folders point into a temporary directory (a test may still name its own file)."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    monkeypatch.setenv("DANTARO_CONFIG", str(home / "config" / "dantaro-tui" / "config.toml"))
    for name in (
        "DANTARO_THEME",
        "DANTARO_LAYOUT",
        "DANTARO_SYMBOLS",
        "DANTARO_INTERVALS",
        "DANTARO_SOURCE",  # a collector the user points scripts at
    ):
        monkeypatch.delenv(name, raising=False)


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
