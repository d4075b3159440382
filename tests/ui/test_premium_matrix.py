"""The premium matrix screen (``K``) in the cockpit, over the demo simulator.

The demo runs Upbit at a 3.5 % premium and Bithumb at 2.8 % over the bank rate the
simulator serves (which the demo reads as its bank rate). The venues' own noise is turned
off (``venue_noise=0``) so the figures on screen can be held to 0.1 percentage point: what
is tested is the whole chain (simulator -> wire -> codecs -> hub -> collector -> matrix ->
screen). A venue whose data stops shows ``stale`` in every cell it touches, never a number.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.command import CommandList, CommandPalette
from textual.widgets import Sparkline, Static

from dantaro_tui.config import load_config
from dantaro_tui.feed.hub import default_hub
from dantaro_tui.ui.app import DantaroApp
from dantaro_tui.ui.run import DemoSession
from dantaro_tui.ui.screens.premium_matrix import PremiumMatrixScreen, pair_key

SIZE = (180, 50)
UPBIT_PREMIUM = 3.5
BITHUMB_PREMIUM = 2.8
TOLERANCE = 0.1
KOREAN_PREMIUM = {"upbit": UPBIT_PREMIUM, "bithumb": BITHUMB_PREMIUM, "coinone": UPBIT_PREMIUM}


async def until(pilot: Any, cond: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"not met in time: {what}")
        await pilot.pause(0.1)


def cell(screen: PremiumMatrixScreen, coin: str, column: str) -> str:
    value = screen.table.get_cell(coin, column)
    return str(getattr(value, "plain", value))


def figures(text: str) -> list[float] | None:
    """``+3.50 +3.48`` -> [3.50, 3.48]; None for ``stale`` / ``—``."""
    try:
        return [float(part) for part in text.split()]
    except ValueError:
        return None


@pytest.fixture
async def demo_app(tmp_path: Path) -> AsyncIterator[tuple[DantaroApp, DemoSession]]:
    cfg = load_config(tmp_path / "config.toml", env={})
    session = DemoSession(
        seed=9,
        intensity=0.5,
        kimchi_premium=UPBIT_PREMIUM,
        premiums={"bithumb": BITHUMB_PREMIUM},
        venue_noise=0.0,
    )
    app = DantaroApp(cfg, mode="demo", session=session, persist=False)
    try:
        yield app, session
    finally:
        default_hub().clear_endpoints()


async def open_from_palette(app: DantaroApp, pilot: Any) -> PremiumMatrixScreen:
    await pilot.press("ctrl+p")
    palette = app.screen
    assert isinstance(palette, CommandPalette)
    await pilot.press(*"premium matrix")
    commands = palette.query_one(CommandList)
    await until(pilot, lambda: commands.option_count > 0, "the palette's matches")
    await pilot.pause(0.3)
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(app.screen, PremiumMatrixScreen), "the screen")
    screen = app.screen
    assert isinstance(screen, PremiumMatrixScreen)
    return screen


async def test_the_configured_premiums_are_shown_and_a_stopped_venue_is_stale(
    demo_app: tuple[DantaroApp, DemoSession],
) -> None:
    app, session = demo_app
    async with app.run_test(size=SIZE) as pilot:
        await asyncio.wait_for(app.started.wait(), 30)
        # The palette finds it; escape goes back to the cockpit; K opens it too.
        screen = await open_from_palette(app, pilot)
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, PremiumMatrixScreen), "back")
        await pilot.press("K")
        await until(pilot, lambda: isinstance(app.screen, PremiumMatrixScreen), "K opens it")
        screen = app.screen
        assert isinstance(screen, PremiumMatrixScreen)

        columns = [pair_key(k, "binance") for k in KOREAN_PREMIUM]
        await until(
            pilot,
            lambda: (
                screen.table.row_count > 0 and all(figures(cell(screen, "BTC", c)) for c in columns)
            ),
            "BTC figures for every Korean venue against Binance",
        )
        # The demo's bank rate is the simulator's, and it says so.
        rates = str(screen.query_one("#pm-rates", Static).render())
        assert "bank: simulator" in rates
        for venue, configured in KOREAN_PREMIUM.items():
            shown = figures(cell(screen, "BTC", pair_key(venue, "binance")))
            assert shown is not None
            bank, tether = shown
            assert bank == pytest.approx(configured, abs=TOLERANCE), venue
            # The simulated tether rate sits at the bank rate: the same premium.
            assert tether == pytest.approx(configured, abs=TOLERANCE), venue
        # Every global venue, not only Binance.
        for g in ("okx", "gateio"):
            await until(
                pilot, lambda g=g: figures(cell(screen, "BTC", pair_key("upbit", g))) is not None,
                f"Upbit against {g}",
            )  # fmt: skip
            shown = figures(cell(screen, "BTC", pair_key("upbit", g)))
            assert shown is not None and shown[0] == pytest.approx(UPBIT_PREMIUM, abs=TOLERANCE)
        # Between Korean venues Upbit (3.5 %) is dearer than Bithumb (2.8 %): buy Bithumb.
        await until(pilot, lambda: cell(screen, "BTC", "kr_route") != "—", "Korean spread")
        assert cell(screen, "BTC", "kr_route").startswith("Bt→")
        # The session's BTC premium history draws a sparkline.
        spark = screen.query_one("#pm-spark", Sparkline)
        await until(pilot, lambda: len(spark.data or []) >= 2, "history samples")
        # The status bar: the headline against the bank rate, the tether premium beside.
        cockpit = app.cockpit
        assert cockpit is not None
        bar = cockpit.status
        bar.sample()
        assert "김프 BTC +3." in str(bar.render()) and "테더 +3." in str(bar.render())

        # Bithumb goes down: its sockets drop and nothing answers.
        assert session.sim is not None
        await session.sim.set_outage("bithumb")
        bithumb = [pair_key("bithumb", g) for g in ("binance", "okx", "gateio")]
        await until(
            pilot,
            lambda: all(cell(screen, "BTC", c) == "stale" for c in bithumb),
            "Bithumb's cells stale",
        )
        for column in bithumb:
            assert not any(ch.isdigit() for ch in cell(screen, "BTC", column))
        # The other venues are still live numbers.
        live = figures(cell(screen, "BTC", pair_key("upbit", "binance")))
        assert live is not None and live[0] == pytest.approx(UPBIT_PREMIUM, abs=TOLERANCE)
        assert "Bithumb stale" in str(screen.query_one("#pm-rates", Static).render())

        await pilot.press("escape")
        await until(pilot, lambda: screen.board is None, "the screen's feeds stopped")
