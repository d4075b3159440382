"""Keys, focus and link groups as a trader meets them in the cockpit (Pilot tests).

The issue "The cockpit as a trader expects it", section "Keys, focus and links": joining a
link group, keys that a focused pane used to shadow, ``?`` for every screen, Tab order,
where the scanner's Enter goes, 1x1 on the focused chart, initial-consonant search and the
command palette.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from textual.command import CommandList, CommandPalette

from dantaro_tui.config import load_config
from dantaro_tui.ui import links
from dantaro_tui.ui.arbitrage_commands import alias_score
from dantaro_tui.ui.commands import choseong, search_markets
from dantaro_tui.ui.screens.help import HelpScreen
from dantaro_tui.ui.screens.main import CockpitScreen
from tests.ui.test_app import (
    MARKETS,
    SIZE,
    feed_all,
    make_app,
    offline,  # noqa: F401 - the fixture
    started,
    until,
)


def help_text(app: Any) -> str:
    assert isinstance(app.screen, HelpScreen)
    return str(app.screen.query_one("#help-text").render())


def section(text: str, title: str) -> str:
    """The lines of the help section whose heading starts with ``title``."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(title))
    out = []
    for line in lines[start + 1 :]:
        if line and not line.startswith(" "):
            break
        out.append(line)
    return "\n".join(out)


def prompts_of(commands: CommandList) -> list[str]:
    return [str(commands.get_option_at_index(i).prompt) for i in range(commands.option_count)]


# -- link groups ---------------------------------------------------------------------------
async def test_joining_a_group_takes_the_groups_market(offline: Path) -> None:  # noqa: F811
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        cockpit = await started(app, pilot)
        cockpit.open_market("KRW-ETH", target=cockpit.chart(1))  # red: chart 1, book, tape
        await pilot.press("2")
        chart = cockpit.chart(2)
        cockpit.open_market("KRW-DOGE", target=chart)
        assert chart.symbol == "KRW-DOGE"
        await pilot.press("g")
        await pilot.pause()
        assert chart.link_group == "red"
        assert chart.symbol == "KRW-ETH"
        assert cockpit.query_one("#orderbook").symbol == "KRW-ETH"
        assert cockpit.query_one("#tape").symbol == "KRW-ETH"
        # leaving every group keeps what it shows
        for _ in links.LINK_GROUPS:
            await pilot.press("g")
        assert chart.link_group is None and chart.symbol.startswith("KRW-")


async def test_group_shows_letter_and_name_on_a_badge(offline: Path) -> None:  # noqa: F811
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        cockpit = await started(app, pilot)
        book = cockpit.query_one("#orderbook")
        subtitle = str(book.border_subtitle)
        assert " R " in subtitle and "red" in subtitle
        # the badge brings its own dark text: readable on the light theme as on the dark
        assert links.BADGE_TEXT in subtitle and "on #" in subtitle
        book.focus()
        await pilot.press("g", "g")  # red -> green -> blue
        assert "blue" in str(book.border_subtitle) and " B " in str(book.border_subtitle)


async def test_link_groups_are_saved_with_the_layout(offline: Path) -> None:  # noqa: F811
    app = make_app(persist=True, path=offline)
    async with app.run_test(size=SIZE) as pilot:
        cockpit = await started(app, pilot)
        await pilot.press("2", "g", "g")  # chart 2: red, then green
        cockpit.query_one("#tape").focus()
        await pilot.press("g")  # tape: red -> green
        app.save_now()
    doc = tomllib.loads(offline.read_text(encoding="utf-8"))
    assert doc["links"]["charts"][:2] == ["red", "green"]
    assert doc["links"]["tape"] == "green" and doc["links"]["book"] == "red"
    again = make_app(load_config(offline, env={}))
    async with again.run_test(size=SIZE) as pilot:
        cockpit = await started(again, pilot)
        assert cockpit.chart(2).link_group == "green"
        assert cockpit.query_one("#tape").link_group == "green"
        assert cockpit.query_one("#tape").symbol == cockpit.chart(2).symbol
        assert "green" in str(cockpit.query_one("#tape").border_subtitle)


# -- keys a focused pane used to shadow ----------------------------------------------------
async def test_global_keys_win_with_the_scanner_focused(offline: Path) -> None:  # noqa: F811
    from dantaro_tui.ui.screens.arbitrage import ArbitrageScreen

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        cockpit = await started(app, pilot)
        await until(lambda: app.markets and cockpit.scanner.order, pilot)
        cockpit.scanner.focus()
        await pilot.pause()
        active = cockpit.screen.active_bindings
        assert active["k"].binding.action == "app.arbitrage"
        assert active["s"].binding.action == "pick_symbol"
        await pilot.press("s")
        assert isinstance(app.screen, CommandPalette)
        await pilot.press("escape")
        await pilot.press("k")
        assert isinstance(app.screen, ArbitrageScreen)


async def test_no_pane_key_shadows_a_cockpit_or_app_key(offline: Path) -> None:  # noqa: F811
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        cockpit = await started(app, pilot)
        await pilot.pause()
        top = {k: b.binding.action for k, b in cockpit.active_bindings.items()}
        panes = [*cockpit.charts, cockpit.query_one("#orderbook"), cockpit.query_one("#tape")]
        for pane in [*panes, cockpit.scanner]:
            pane.focus()
            await pilot.pause()
            for key, action in top.items():
                got = cockpit.active_bindings[key].binding.action
                assert got == action, f"{pane.id}: {key} means {got}, not {action}"


async def test_help_documents_every_screen_and_only_keys_that_work(offline: Path) -> None:  # noqa: F811
    from dantaro_tui.ui.screens.arbitrage import ArbitrageScreen

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await pilot.press("question_mark")
        text = help_text(app)
        kimchi = section(text, "Kimchi")
        for key in ("[", "]", "{", "}", "⏎", "o", "r", "esc"):
            assert f" {key} " in f" {kimchi.replace(chr(10), ' ')} ", key
        # every binding of every screen is there (generated, so it cannot drift)
        for b in ArbitrageScreen.BINDINGS:
            assert b.description in kimchi, b.description  # type: ignore[union-attr]
        scanner = section(text, "ScannerView")
        assert "k" not in scanner.split() and "s" not in scanner.split()
        assert "⏎" in scanner
        # the trader's Tab is there
        assert "tab" in text
        await pilot.press("escape")


# -- focus ---------------------------------------------------------------------------------
async def test_tab_cycles_every_pane_in_visual_order(offline: Path) -> None:  # noqa: F811
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        cockpit = await started(app, pilot)
        await pilot.press("1")
        seen = [app.focused.id]
        for _ in range(7):
            await pilot.press("tab")
            seen.append(app.focused.id)
        assert seen == [
            "chart-1",
            "chart-2",
            "chart-3",
            "chart-4",
            "orderbook",
            "tape",
            "scanner",
            "chart-1",
        ]
        await pilot.press("shift+tab")
        assert app.focused.id == "scanner"
        await pilot.press("shift+tab", "shift+tab")
        assert app.focused.id == "orderbook"
        assert isinstance(cockpit, CockpitScreen)


async def test_scanner_says_which_chart_enter_feeds(offline: Path) -> None:  # noqa: F811
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        cockpit = await started(app, pilot)
        await until(lambda: app.markets and cockpit.scanner.order, pilot)
        feed_all(cockpit)
        scanner = cockpit.scanner
        assert "Enter → chart 1 (R red)" in str(scanner.border_subtitle)
        await pilot.press("2")
        assert "Enter → chart 2 (not linked)" in str(scanner.border_subtitle)
        await pilot.press("g")
        assert "Enter → chart 2 (R red)" in str(scanner.border_subtitle)
        scanner.focus()
        await pilot.pause()
        target = scanner.order[3]
        scanner.select_market(target)
        await pilot.press("enter")
        await pilot.pause()
        assert cockpit.chart(2).symbol == target
        assert cockpit.query_one("#orderbook").symbol == target


async def test_1x1_shows_the_focused_chart(offline: Path) -> None:  # noqa: F811
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        cockpit = await started(app, pilot)
        await pilot.press("3")
        symbol = cockpit.chart(3).symbol
        await pilot.press("l", "l", "l")  # 2x2 -> 3x3 -> 1x1 -> 1x2
        await pilot.pause()
        assert app.config.layout == "1x2"
        assert [c.index for c in cockpit.charts] == [1, 3]
        await pilot.press("L")  # 1x1
        await pilot.pause()
        assert app.config.layout == "1x1"
        assert [c.index for c in cockpit.charts] == [3]
        assert cockpit.charts[0].symbol == symbol and app.focused is cockpit.chart(3)
        await pilot.press("L")  # 3x3 again: every chart, focus kept
        await pilot.pause()
        assert [c.index for c in cockpit.charts] == list(range(1, 10))
        assert app.focused is cockpit.chart(3)


# -- search --------------------------------------------------------------------------------
def test_initial_consonants_find_korean_names() -> None:
    assert choseong("비트코인") == "ㅂㅌㅋㅇ"
    assert choseong("이더리움") == "ㅇㄷㄹㅇ"
    assert search_markets(MARKETS, "ㅂㅌ")[0].symbol == "KRW-BTC"
    assert search_markets(MARKETS, "ㅇㄷㄹㅇ")[0].symbol == "KRW-ETH"
    assert [m.symbol for m in search_markets(MARKETS, "ㅂㅌㅋㅇㅋ")] == ["KRW-BCH"]
    assert search_markets(MARKETS, "ㅋ") == [] or all(
        "ㅋ" in choseong(m.korean_name) for m in search_markets(MARKETS, "ㅋ")
    )
    assert alias_score("ㄱㅍ") == 1.0  # 김프


async def test_palette_finds_markets_by_initial_consonants(offline: Path) -> None:  # noqa: F811
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        cockpit = await started(app, pilot)
        await until(lambda: app.markets, pilot)
        await pilot.press("1", "ctrl+p", *"ㅇㄷㄹㅇ")
        palette = app.screen
        assert isinstance(palette, CommandPalette)
        commands = palette.query_one(CommandList)
        await until(lambda: commands.option_count > 0, pilot)
        assert "KRW-ETH" in str(commands.get_option_at_index(0).prompt)
        await pilot.press("enter")
        await pilot.pause()
        assert cockpit.chart(1).symbol == "KRW-ETH"


async def test_palette_lists_kimchi_once(offline: Path) -> None:  # noqa: F811
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await pilot.press("ctrl+p")
        palette = app.screen
        assert isinstance(palette, CommandPalette)
        commands = palette.query_one(CommandList)
        await until(lambda: commands.option_count > 5, pilot)
        await pilot.pause(0.3)
        prompts = prompts_of(commands)
        assert sum("Kimchi premium" in p for p in prompts) == 1
        await pilot.press(*"kimchi")
        await pilot.pause(0.4)
        prompts = prompts_of(commands)
        assert sum("Kimchi premium" in p for p in prompts) == 1


async def test_palette_hides_the_live_cockpit_instead_of_tinting_it(offline: Path) -> None:  # noqa: F811
    """Textual re-tints every cell of a translucent modal's backdrop on every frame; under the
    live cockpit that cost 250-370 ms per ctrl+p (benchmarks/bench_palette.py)."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await pilot.press("ctrl+p")
        assert isinstance(app.screen, CommandPalette)
        assert app.screen.styles.background.a == 1.0


def test_every_link_badge_reads_at_least_4_5_to_1() -> None:
    """The badge's own text and background: readable whatever the theme around it."""
    from textual.color import Color

    def luminance(colour: Color) -> float:
        def channel(c: int) -> float:
            v = c / 255
            return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4

        r, g, b = colour.rgb
        return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)

    text = luminance(Color.parse(links.BADGE_TEXT))
    for group in links.LINK_GROUPS:
        background = luminance(Color.parse(links.link_colour(group) or ""))
        ratio = (max(text, background) + 0.05) / (min(text, background) + 0.05)
        assert ratio >= 4.5, (group, ratio)
        assert links.link_label(group).startswith(group[0].upper())


def test_saved_link_groups_are_checked(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        '[links]\ncharts = ["green", "none", "purple"]\nbook = "blue"\ntape = 3\n',
        encoding="utf-8",
    )
    cfg = load_config(path, env={})
    assert cfg.chart_links[:3] == ["green", "", ""]
    assert cfg.book_link == "blue" and cfg.tape_link == "red"
    assert any("purple" in w for w in cfg.warnings) and any("3" in w for w in cfg.warnings)
