"""The compact account pane and the demo's paper account, in the real app on the real
in-process simulator (Pilot): hidden until ``w``, "no keys" said in words, and in the demo a
live paper account whose keys never leave memory."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dantaro_tui.config import load_config, save_config
from dantaro_tui.feed.hub import default_hub
from dantaro_tui.sim.account import paper_exchanges
from dantaro_tui.ui.app import DantaroApp
from dantaro_tui.ui.paper_demo import PAPER_LABEL
from dantaro_tui.ui.run import DemoSession
from dantaro_tui.ui.screens.account import AccountScreen
from dantaro_tui.ui.screens.help import binding_rows, help_sections
from dantaro_tui.ui.widgets.account_pane import AccountPane

SIZE = (160, 48)


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    monkeypatch.setenv("DANTARO_CONFIG", str(tmp_path / "config.toml"))
    yield tmp_path / "config.toml"
    default_hub().clear_endpoints()


async def until(cond: Any, pilot: Any, timeout: float = 15.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not cond():
        if loop.time() > end:
            raise AssertionError("condition not met in time")
        await pilot.pause(0.05)


def demo_app(path: Path) -> DantaroApp:
    cfg = load_config(path, env={})
    return DantaroApp(cfg, mode="demo", session=DemoSession(seed=4), persist=False)


async def test_the_pane_is_hidden_until_w_and_says_no_keys_in_words(settings: Path) -> None:
    app = demo_app(settings)
    async with app.run_test(size=SIZE) as pilot:
        await asyncio.wait_for(app.started.wait(), 10)
        app.account_keys = {}  # as a live session without keys
        assert app.cockpit is not None
        pane = app.cockpit.query_one(AccountPane)
        assert not pane.display and pane.book is None  # no private socket until asked
        await pilot.press("w")
        await until(lambda: pane.text != "", pilot)
        assert pane.display
        assert pane.text.startswith("no keys") and "DANTARO_UPBIT_ACCESS_KEY" in pane.text
        await pilot.press("w")
        assert not pane.display
        # The help lists the key with what it does.
        rows = dict(row for _, rows in binding_rows(help_sections(app)) for row in rows)
        assert "account pane" in rows["w"]


async def test_the_demo_shows_a_live_paper_account_whose_keys_stay_in_memory(
    settings: Path,
) -> None:
    app = demo_app(settings)
    async with app.run_test(size=SIZE) as pilot:
        await asyncio.wait_for(app.started.wait(), 10)
        creds = app.account_keys["upbit"]
        assert set(app.account_keys) == {"upbit", "bithumb"}
        assert app.cockpit is not None
        pane = app.cockpit.query_one(AccountPane)
        await pilot.press("w")
        await until(lambda: pane.book is not None and pane.book.loaded, pilot)
        book = pane.book
        assert book is not None
        # The simulator's own account is what the pane shows (REST, then the streams).
        session = app.session
        assert isinstance(session, DemoSession)
        upbit = next(p for p in paper_exchanges(session.sim.venues) if p.venue.name == "upbit")
        sim_account = upbit.accounts[creds.access_key]
        await until(lambda: set(book.orders) == set(sim_account.orders), pilot)
        assert sim_account.orders, "the demo placed no resting orders"
        await until(lambda: book.fills and "Last fill none yet" not in pane.text, pilot)
        krw = sim_account.holdings["KRW"]
        await until(
            lambda: book.holdings["KRW"].total == pytest.approx(krw.balance + krw.locked), pilot
        )
        await until(lambda: book.total_value()[1] == 0, pilot)  # every coin priced live
        pane.paint()
        assert pane.text.startswith(PAPER_LABEL)
        assert f"Total {book.total_value()[0]:,.0f} KRW" in pane.text
        assert f"Open orders {len(book.orders)}" in pane.text
        # The account screen says the same account is a paper one.
        await pilot.press("dollar_sign")
        await until(lambda: isinstance(app.screen, AccountScreen), pilot)
        screen = app.screen
        assert isinstance(screen, AccountScreen) and screen.label == PAPER_LABEL
        # In memory only: not in the environment a child would inherit, not in the settings.
        assert creds.access_key not in "".join(os.environ.values())
        assert creds.secret_key.reveal() not in "".join(os.environ.values())
        save_config(app.config)
        written = settings.read_text(encoding="utf-8")
        assert creds.access_key not in written and creds.secret_key.reveal() not in written


async def test_the_status_bar_says_how_the_account_streams_are(settings: Path) -> None:
    """Private health in the status bar: nothing while no account stream is open, the
    account's state once the pane opens one (the demo's paper account: connected)."""
    app = demo_app(settings)
    async with app.run_test(size=SIZE) as pilot:
        await asyncio.wait_for(app.started.wait(), 10)
        assert app.cockpit is not None
        bar = app.cockpit.status
        bar.sample()
        assert "계좌" not in str(bar.render())
        await pilot.press("w")

        def shown() -> str:
            bar.sample()
            return str(bar.render())

        await until(lambda: "●계좌" in shown(), pilot)
        assert bar.private and all(s.state == "connected" for s in bar.private)


async def test_at_80x24_the_pane_never_pushes_the_status_bar_off_screen(settings: Path) -> None:
    app = demo_app(settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await asyncio.wait_for(app.started.wait(), 10)
        assert app.cockpit is not None
        pane = app.cockpit.query_one(AccountPane)
        await pilot.press("w")
        await until(lambda: pane.text != "", pilot)
        await pilot.pause(0.3)
        status = app.cockpit.status
        assert pane.region.height >= 3
        assert status.region.height == 1 and status.region.bottom <= 23  # above the footer
        assert app.cockpit.scroll_offset.y == 0  # nothing scrolled out of sight
