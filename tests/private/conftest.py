"""Fixtures of the private-stream tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.private.helpers import Exchange, exchange, new_key


@pytest.fixture(autouse=True)
def no_real_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keys in the tester's own environment never reach a test."""
    for name in (
        "DANTARO_UPBIT_ACCESS_KEY",
        "DANTARO_UPBIT_SECRET_KEY",
        "DANTARO_BITHUMB_ACCESS_KEY",
        "DANTARO_BITHUMB_SECRET_KEY",
        "DANTARO_KEYS_FILE",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
async def ex() -> AsyncIterator[Exchange]:
    async for e in exchange(new_key()):
        yield e


@pytest.fixture
async def bithumb() -> AsyncIterator[Exchange]:
    async for e in exchange(new_key(), venue="bithumb"):
        yield e


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # The tests sign forged tokens with PyJWT directly, with secrets as short as Upbit's.
    for item in items:
        if "tests/private/" in item.nodeid:
            item.add_marker(pytest.mark.filterwarnings("ignore::UserWarning:jwt"))
