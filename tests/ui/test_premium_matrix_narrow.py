"""The premium matrix (``K``) on an 80x24 terminal: the least important columns give way and
the screen says which, instead of the rightmost columns being cut at the edge; at 160x48
everything is there. Read back from the rendered screen, over the demo simulator."""

from __future__ import annotations

import asyncio
from typing import Any

from textual.widget import Widget
from textual.widgets import DataTable, Static

from dantaro_tui.ui.app import DantaroApp
from dantaro_tui.ui.run import DemoSession
from dantaro_tui.ui.screens.premium_matrix import COLUMNS, PremiumMatrixScreen, pair_key
from tests.ui.test_premium_matrix import cell, demo_app, figures, until  # noqa: F401


def screen_lines(app: DantaroApp) -> list[str]:
    return [strip.text for strip in app.screen._compositor.render_strips()]


def header(app: DantaroApp, widget: Widget) -> str:
    """The rendered header row of a table, as far as the terminal shows it."""
    x, y, width, _ = widget.content_region
    return screen_lines(app)[y][x : x + width]


def labels(table: DataTable[Any]) -> list[str]:
    return [str(column.label) for column in table.columns.values()]


def assert_nothing_cut(app: DantaroApp, screen: PremiumMatrixScreen) -> None:
    for table in (screen.table, screen.query_one("#pm-detail-table", DataTable)):
        assert table.max_scroll_x == 0, f"{table.id} is wider than the screen"
        shown = header(app, table).split()
        # Every column's title is on the screen whole, in order ("Cn D/W" is two words).
        assert " ".join(shown) == " ".join(labels(table)), (shown, labels(table))
    width = app.size.width
    assert all(len(line.rstrip()) <= width for line in screen_lines(app))


async def test_narrow_premium_matrix_drops_columns_and_says_which(
    demo_app: tuple[DantaroApp, DemoSession],  # noqa: F811
) -> None:
    app, _ = demo_app
    async with app.run_test(size=(160, 48)) as pilot:
        await asyncio.wait_for(app.started.wait(), 30)
        await pilot.press("K")
        await until(pilot, lambda: isinstance(app.screen, PremiumMatrixScreen), "K opens it")
        screen = app.screen
        assert isinstance(screen, PremiumMatrixScreen)
        headline = pair_key("upbit", "binance")
        await until(
            pilot,
            lambda: screen.table.row_count > 0 and figures(cell(screen, "BTC", headline)),
            "BTC's Upbit/Binance premium",
        )
        await pilot.pause(0.2)

        # 160x48: every column, both rates in a cell, the routes panel, the fee note.
        assert labels(screen.table) == [label for _, label, _ in COLUMNS]
        assert len(figures(cell(screen, "BTC", headline)) or []) == 2
        assert screen.query_one("#pm-side", Static).display
        assert_nothing_cut(app, screen)
        assert "Narrow screen" not in "\n".join(screen_lines(app))

        await pilot.resize_terminal(80, 24)
        await until(pilot, lambda: len(screen.table.columns) < len(COLUMNS), "the narrow plan")
        await until(pilot, lambda: figures(cell(screen, "BTC", headline)), "a narrow BTC cell")
        await pilot.pause(0.2)
        assert_nothing_cut(app, screen)
        kept = labels(screen.table)
        assert kept[:2] == ["Coin", "Up/Bn"] and "KR net%" in kept
        assert len(figures(cell(screen, "BTC", headline)) or []) == 1  # bank % only
        # The note at the bottom names what went, and every name is one the full view has.
        note = " ".join(str(screen.query_one("#pm-note", Static).render()).split())
        rendered = " ".join(" ".join(screen_lines(app)).split())
        assert note in rendered
        gone = [label for _, label, _ in COLUMNS if label not in kept]
        assert gone and all(label in note for label in gone)
        assert "bank %" in note
        assert not screen.query_one("#pm-side", Static).display

        # Wide again: the full view is back.
        await pilot.resize_terminal(160, 48)
        await until(pilot, lambda: len(screen.table.columns) == len(COLUMNS), "the full plan")
        await pilot.pause(0.2)
        assert_nothing_cut(app, screen)
