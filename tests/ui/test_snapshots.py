"""Snapshot tests (pytest-textual-snapshot) of every screen.

Deterministic by construction, not by luck: the live simulator runs on wall-clock time, so
instead the panes' clients run on a fake connection and the test pushes a fixed set of
events (seeded candles, tickers, a book, trades, all time-stamped 2026-01-01 UTC) through
each client's real dispatch; the REST side is the same fake as in test_app.py. The time
zone is UTC, toasts are cleared before the picture, and no frame counter reaches the screen
(message rates read 0/s because no socket frames are counted).

Update after an intended change with ``pytest tests/ui/test_snapshots.py --snapshot-update``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dantaro_tui.analytics.alerts import Alert
from dantaro_tui.ui.screens.health import HealthScreen
from dantaro_tui.ui.widgets.status import StatusBar
from tests.ui.test_app import (
    SIZE,
    T0,
    feed_all,
    make_app,
    offline,  # noqa: F401 - the fixture
    started,
    until,
)


async def settle(app: Any, pilot: Any) -> None:
    """Sample the 1 s health displays now and hold them still; drop toasts."""
    for screen in app.screen_stack:
        for bar in screen.query(StatusBar):
            bar.sample()
            bar.frozen = True
        if isinstance(screen, HealthScreen):
            screen.refresh_table()
            screen.frozen = True
    app.clear_notifications()
    await pilot.pause(0.1)


def scene(
    *,
    theme: str = "dantaro-dark",
    vwap: bool = False,
    bollinger: bool = False,
    layout: str | None = None,
    press: tuple[str, ...] = (),
) -> tuple[Any, Any]:
    app = make_app()
    app.config.theme = theme
    app.config.vwap = vwap
    app.config.bollinger = bollinger
    if layout:
        app.config.layout = layout

    async def run_before(pilot: Any) -> None:
        cockpit = await started(app, pilot)
        await until(lambda: app.markets and cockpit.scanner.order, pilot)
        feed_all(cockpit)
        await until(lambda: cockpit.query_one("#tape").trades, pilot)
        for key in press:
            await pilot.press(key)
        await pilot.pause(0.6)  # every pane's repaint timer has run
        await settle(app, pilot)

    return app, run_before


def test_cockpit_dark(offline: Path, snap_compare: Any) -> None:  # noqa: F811
    app, run_before = scene()
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_cockpit_korea_overlays(offline: Path, snap_compare: Any) -> None:  # noqa: F811
    app, run_before = scene(theme="dantaro-korea", vwap=True, bollinger=True)
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_cockpit_light_3x3(offline: Path, snap_compare: Any) -> None:  # noqa: F811
    app, run_before = scene(theme="dantaro-light", layout="3x3")
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_cockpit_contrast_1x2_small(offline: Path, snap_compare: Any) -> None:  # noqa: F811
    app, run_before = scene(theme="dantaro-contrast", layout="1x2")
    assert snap_compare(app, terminal_size=(100, 32), run_before=run_before)


@pytest.mark.parametrize("size", [(80, 24), (160, 48), (220, 60)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_cockpit_sizes(offline: Path, snap_compare: Any, size: tuple[int, int]) -> None:  # noqa: F811
    """Panes use the space they are given: at 80x24 the book still shows 5 levels a side;
    at 220x60 the book, tape and scanner grow."""
    app, run_before = scene()
    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_help_screen(offline: Path, snap_compare: Any) -> None:  # noqa: F811
    app, run_before = scene(press=("question_mark",))
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_health_screen(offline: Path, snap_compare: Any) -> None:  # noqa: F811
    app, run_before = scene(press=("h",))
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_alerts_screen(offline: Path, snap_compare: Any) -> None:  # noqa: F811
    app, prepare = scene()

    async def run_before(pilot: Any) -> None:
        await prepare(pilot)
        app.alerts.extend(
            [
                Alert(
                    T0 + 61_000, "KRW-XRP", "pump", "KRW-XRP 리플 up +5.21% (24h) at 3,262", 0.0521
                ),
                Alert(T0 + 95_000, "KRW-SOL", "dump", "KRW-SOL 솔라나 down -5.08% (24h)", -0.0508),
                Alert(
                    T0 + 130_000,
                    "KRW-DOGE",
                    "volume_spike",
                    "KRW-DOGE 도지코인 volume spike: last minute traded at 6.3x the 24h pace",
                    6.3,
                ),
                Alert(T0 + 180_000, "", "connection", "scanner: connection lost, reconnecting"),
                Alert(T0 + 183_000, "", "connection", "scanner: connection restored"),
            ]
        )
        await pilot.press("a")
        await pilot.pause(0.2)
        await settle(app, pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
