"""The real app on the real in-process simulator, driven as a trader would: every socket,
codec, client and pane is the production one."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dantaro_tui.config import load_config
from dantaro_tui.feed.hub import default_hub
from dantaro_tui.ui.app import DantaroApp
from dantaro_tui.ui.run import DemoSession
from dantaro_tui.ui.screens.main import CockpitScreen

SIZE = (160, 48)


@pytest.fixture
def private_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    monkeypatch.setenv("DANTARO_CONFIG", str(tmp_path / "config.toml"))
    yield tmp_path / "config.toml"
    default_hub().clear_endpoints()


async def until(cond: Any, pilot: Any, timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not cond():
        if loop.time() > end:
            raise AssertionError("condition not met in time")
        await pilot.pause(0.05)


def demo_app(path: Path, **overrides: Any) -> DantaroApp:
    cfg = load_config(path, env={}, overrides=overrides)
    return DantaroApp(cfg, mode="demo", session=DemoSession(seed=4), persist=False)


async def test_switching_market_in_the_palette_never_shows_the_old_one(
    private_config: Path,
) -> None:
    app = demo_app(private_config)
    async with app.run_test(size=SIZE) as pilot:
        await asyncio.wait_for(app.started.wait(), 10)
        cockpit = app.cockpit
        assert isinstance(cockpit, CockpitScreen)
        book = cockpit.query_one("#orderbook")
        tape = cockpit.query_one("#tape")
        chart = cockpit.chart(1)
        await until(lambda: book.book is not None and tape.trades and chart.bars, pilot)
        assert book.book.symbol == "KRW-BTC" and book.book.best_bid > 10_000_000
        await until(lambda: app.markets, pilot)

        await pilot.press("1", "ctrl+p", *"KRW-ETH")
        await pilot.pause(0.6)
        await pilot.press("enter")
        await until(lambda: chart.symbol == "KRW-ETH", pilot)
        seen_eth = False
        for _ in range(40):  # two seconds of live frames after the switch
            assert book.book is None or book.book.symbol == "KRW-ETH"
            assert all(t.symbol == "KRW-ETH" for t in tape.trades)
            assert all(b.h < 20_000_000 for b in chart.bars)  # BTC trades above 100M KRW
            seen_eth = seen_eth or (book.book is not None and bool(tape.trades))
            await pilot.pause(0.05)
        assert seen_eth, "the new market's book and trades did not arrive"
        assert book.client.subscriptions == {"orderbook": frozenset({"KRW-ETH"})}


async def test_unknown_market_is_named_and_the_rest_keeps_working(
    private_config: Path,
) -> None:
    app = demo_app(private_config, symbols="KRW-NOPE,KRW-ETH")
    async with app.run_test(size=SIZE) as pilot:
        await asyncio.wait_for(app.started.wait(), 10)
        cockpit = app.cockpit
        assert cockpit is not None
        await until(lambda: app.markets, pilot)
        await until(
            lambda: any("not listed on Upbit" in n.message for n in app._notifications), pilot
        )
        assert "KRW-NOPE" in next(
            n.message for n in app._notifications if "not listed" in n.message
        )
        await until(lambda: cockpit.chart(2).bars, pilot)  # the others chart on
        assert app.is_running
