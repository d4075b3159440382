"""Fixtures of the simulator tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """An aiohttp session: the simulator spoken to as a third-party client would."""
    async with aiohttp.ClientSession() as s:
        yield s
