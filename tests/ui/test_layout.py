"""The cockpit as a trader sees it: panes use the space they are given, numbers are whole
and aligned, Upbit's warning flags show. Pilot on the cockpit at 80x24, 160x48 and 220x60
(the same deterministic scene as the snapshots), and on single panes."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from rich.cells import cell_len
from textual.app import App, ComposeResult
from textual.widget import Widget

from dantaro_tui.model import Candle, Level, Market, OrderBook, Trade
from dantaro_tui.ui.widgets.base import PANE_THEME_DEFAULTS
from dantaro_tui.ui.widgets.candles import CandleSeries
from dantaro_tui.ui.widgets.chart import ChartView
from dantaro_tui.ui.widgets.chart_render import header_fields
from dantaro_tui.ui.widgets.orderbook import OrderBookView
from dantaro_tui.ui.widgets.scanner import ScannerView
from dantaro_tui.ui.widgets.tape import TradeTape
from tests.ui.test_app import T0, offline  # noqa: F401 - the fixture
from tests.ui.test_snapshots import scene

PRICE = re.compile(r"\b\d{1,3}(?:,\d{3})+\b")


def lines_of(widget: Widget) -> list[str]:
    """The widget's content lines (inside its border) as they are on the screen now."""
    screen = widget.screen._compositor.render_strips()
    x, y, width, height = widget.content_region
    return [screen[row].crop(x, x + width).text for row in range(y, y + height)]


async def cockpit_at(size: tuple[int, int], pilot_body: Any) -> None:
    app, run_before = scene()
    async with app.run_test(size=size) as pilot:
        await run_before(pilot)
        await pilot_body(app, app.cockpit)


# -- layout ------------------------------------------------------------------------------
@pytest.mark.parametrize("size", [(80, 24), (160, 48), (220, 60)])
async def test_panes_use_the_space_they_are_given(
    offline: Path,  # noqa: F811
    size: tuple[int, int],
) -> None:
    width, height = size

    async def check(app: Any, cockpit: Any) -> None:
        book = cockpit.query_one(OrderBookView)
        tape = cockpit.query_one(TradeTape)
        scanner = cockpit.query_one(ScannerView)
        lines = lines_of(book)
        # At least 5 price levels a side, even at 80x24 (it showed none there).
        assert book.levels_shown() >= 5
        spread_at = next(i for i, line in enumerate(lines) if "spread" in line)
        asks = [line for line in lines[:spread_at] if line.strip().startswith("95,0")]
        bids = [line for line in lines[spread_at + 1 :] if line.strip().startswith("9")]
        assert len(asks) >= 5 and len(bids) >= 5, lines
        # The side column and the scanner grow with the terminal (they were 52 columns and
        # 13 rows at any size).
        side = book.parent
        assert side is not None
        assert side.outer_size.width >= min(90, int(width * 0.32))
        assert scanner.outer_size.height >= (height - 2) * 2 // 7 - 1
        assert tape.outer_size.height >= 3
        if width >= 160:
            assert scanner.outer_size.height > 10 and book.size.width > 48

    await cockpit_at(size, check)


async def test_a_big_terminal_gives_the_book_and_scanner_more(offline: Path) -> None:  # noqa: F811
    seen: dict[tuple[int, int], tuple[int, int]] = {}
    for size in ((160, 48), (220, 60)):

        async def note(app: Any, cockpit: Any, size: tuple[int, int] = size) -> None:
            book = cockpit.query_one(OrderBookView)
            scanner = cockpit.query_one(ScannerView)
            seen[size] = (book.size.width, scanner.size.height)

        await cockpit_at(size, note)
    assert seen[(220, 60)][0] > seen[(160, 48)][0] > 50  # 50 columns before, at both
    assert seen[(220, 60)][1] > seen[(160, 48)][1] > 10  # 11 rows before, at both


@pytest.mark.parametrize("size", [(80, 24), (160, 48), (220, 60)])
async def test_chart_header_never_cuts_a_number(
    offline: Path,  # noqa: F811
    size: tuple[int, int],
) -> None:
    async def check(app: Any, cockpit: Any) -> None:
        for chart in cockpit.charts:
            header = lines_of(chart)[0].rstrip()
            fields = [text for text, _ in header_fields(chart.frame())]
            shown = [f for f in fields if f in header]
            assert header == "".join(shown).rstrip(), (header, fields)
            if size[0] >= 160:
                assert "24h H " in header  # the day's high and low
                day = re.search(r"24h H ([\d,]+) L ([\d,]+)", header)
                assert day is not None
                assert float(day[1].replace(",", "")) > float(day[2].replace(",", ""))

    await cockpit_at(size, check)


async def test_volume_axis_says_its_unit_and_price_axis_is_on_the_tick(
    offline: Path,  # noqa: F811
) -> None:
    async def check(app: Any, cockpit: Any) -> None:
        chart = cockpit.charts[0]  # KRW-BTC: tick 1,000 KRW
        lines = lines_of(chart)
        assert any(line.rstrip().endswith("BTC") for line in lines)
        # Axis labels are rounded to the tick (5,330,783 before); the last-price marker
        # (◀) is the quoted price itself.
        labels = [m for line in lines[1:] for m in re.findall(r" ([\d,]{5,})", line[-14:])]
        assert len(labels) >= 2 and all(label.endswith(",000") for label in labels), labels

    await cockpit_at((160, 48), check)


async def test_scanner_sort_marker_is_an_arrow_apart_from_the_title(
    offline: Path,  # noqa: F811
) -> None:
    async def check(app: Any, cockpit: Any) -> None:
        scanner = cockpit.query_one(ScannerView)
        header = lines_of(scanner)[0]
        assert "Value 24h ▼" in header
        assert "24hv" not in header and "24h^" not in header
        assert "▼" in str(scanner.border_title)

    await cockpit_at((160, 48), check)


# -- single panes -----------------------------------------------------------------------
class OneApp(App[None]):
    CSS = "OrderBookView, TradeTape, ChartView { height: 1fr; } ScannerView { height: 10; }"

    def __init__(self, pane: Widget, markets: list[Market] | None = None) -> None:
        super().__init__()
        self.pane = pane
        self.markets = {m.symbol: m for m in markets or []}

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return {**super().get_theme_variable_defaults(), **PANE_THEME_DEFAULTS}

    def market(self, symbol: str, exchange: str | None = None) -> Market | None:
        return self.markets.get(symbol)

    def compose(self) -> ComposeResult:
        yield self.pane


class NoClient:
    name = "none"
    on_status = None
    subscriptions: dict[str, Any] = {}  # noqa: RUF012

    async def subscribe_ticker(self, *args: Any, **kwargs: Any) -> None: ...
    async def subscribe_trade(self, *args: Any, **kwargs: Any) -> None: ...
    async def subscribe_orderbook(self, *args: Any, **kwargs: Any) -> None: ...
    async def subscribe_candle(self, *args: Any, **kwargs: Any) -> None: ...
    async def unsubscribe(self, *args: Any, **kwargs: Any) -> None: ...
    async def cleanup(self) -> None: ...


WARNED = [
    Market("upbit", "KRW-BTC", "BTC", "KRW", "비트코인", "Bitcoin"),
    Market("upbit", "KRW-PEPE", "PEPE", "KRW", "페페", "Pepe", warning=True),
    Market("upbit", "KRW-ZZZ", "ZZZ", "KRW", "비트코인캐시골드", "Zed", cautions=("DEPOSIT",)),
]


async def test_warning_and_caution_flags_show_in_scanner_and_chart_title() -> None:
    scanner = ScannerView(WARNED, client=NoClient())  # type: ignore[arg-type]
    # 100 wide: the name columns widen a little (``columns_for``), not past 비트코인캐시골드.
    async with OneApp(scanner, WARNED).run_test(size=(100, 14)) as pilot:
        await pilot.pause()
        rows = {line.split()[1]: line for line in lines_of(scanner)[1:] if line.strip()}
        assert "⚠" in rows["KRW-PEPE"] and "⚠" in rows["KRW-ZZZ"]
        assert "⚠" not in rows["KRW-BTC"]
        # A Korean name wider than its column ends with an ellipsis at the column's width.
        korean = next(c.width for c in scanner.columns if c.title == "한글명")
        assert 12 < korean < 16
        zzz = rows["KRW-ZZZ"]
        start = zzz.index("비트코인")
        assert "…" in zzz and cell_len(zzz[start : zzz.index("…") + 1]) == korean
    for symbol, flagged in (("KRW-PEPE", True), ("KRW-ZZZ", True), ("KRW-BTC", False)):
        chart = ChartView(symbol, client=NoClient())  # type: ignore[arg-type]
        async with OneApp(chart, WARNED).run_test(size=(80, 20)) as pilot:
            await pilot.pause()
            assert ("⚠" in str(chart.border_title)) is flagged


def level_book(symbol: str, mid: float, tick: float, sizes: list[float]) -> OrderBook:
    asks = tuple(Level(mid + tick * (i + 1), s) for i, s in enumerate(sizes))
    bids = tuple(Level(mid - tick * i, s) for i, s in enumerate(sizes))
    return OrderBook("upbit", symbol, "BTC", "KRW", bids, asks, 0.0, 0.0, T0)


async def test_book_shows_cumulative_size_value_and_totals_with_aligned_sizes() -> None:
    sizes = [0.3034235, 0.57, 1.2, 0.05, 2.0]
    view = OrderBookView("KRW-BTC", client=NoClient())  # type: ignore[arg-type]
    async with OneApp(view).run_test(size=(80, 20)) as pilot:
        view.on_orderbook(level_book("KRW-BTC", 95_000_000, 1000, sizes))
        view.paint()
        await pilot.pause()
        lines = lines_of(view)
        assert re.search(r"Price\s+Size\s+KRW\s+Cum", lines[0])
        bids = lines[7:12]
        # Sizes with one number of decimals (4 significant digits of the largest, the
        # total 4.12): it showed 0.3034235 over 0.57.
        assert bids[0].split()[:4] == ["95,000,000", "0.303", "28.83M", "0.303"]
        assert bids[1].split()[:4] == ["94,999,000", "0.570", "54.15M", "0.873"]
        assert {len(line.split()[1].split(".")[1]) for line in bids} == {3}
        totals = lines[12]
        assert "bids 4.123" in totals and "asks 4.123" in totals
        assert "391.7M" in totals  # bid value: the KRW the bids shown would pay


async def test_short_book_keeps_five_levels_a_side() -> None:
    view = OrderBookView("KRW-BTC", client=NoClient())  # type: ignore[arg-type]
    async with OneApp(view).run_test(size=(34, 11)) as pilot:
        view.on_orderbook(level_book("KRW-BTC", 95_000_000, 1000, [1.0] * 15))
        view.paint()
        await pilot.pause()
        lines = lines_of(view)
        assert view.levels_shown() == 5
        assert sum(bool(PRICE.match(line.strip())) for line in lines) == 10
        assert "spread 1,000" in lines[5] and "imb" in lines[5]  # folded in
        assert all(not line.rstrip().endswith(",") for line in lines)


async def test_tape_sizes_are_aligned_and_value_has_its_currency() -> None:
    tape = TradeTape("KRW-BTC", client=NoClient())  # type: ignore[arg-type]
    async with OneApp(tape).run_test(size=(60, 10)) as pilot:
        for i, volume in enumerate((0.3034235, 0.57, 1.0)):
            tape.on_trade(
                Trade("upbit", "KRW-BTC", "BTC", "KRW", 95_000_000.0, volume, "buy", str(i), T0)
            )
        tape.paint()
        await pilot.pause()
        lines = lines_of(tape)
        assert lines[0].split()[-1] == "KRW"
        sizes = [line.split()[3] for line in lines[1:4]]
        assert sizes == ["1.0000", "0.5700", "0.3034"]


def test_candle_series_is_a_model_without_textual() -> None:
    series = CandleSeries("1m")
    trade = Trade("upbit", "KRW-BTC", "BTC", "KRW", 100.0, 2.0, "buy", "1", T0 + 5_000)
    series.apply_trade(trade)
    assert [(b.o, b.c, b.v, b.from_trades) for b in series.bars] == [(100.0, 100.0, 2.0, True)]
    rest = Candle("upbit", "KRW-BTC", "BTC", "KRW", "1m", T0, 90.0, 110.0, 80.0, 95.0, 7.0)
    series.merge([rest], "KRW-BTC")
    bar = series.bars[0]
    assert (bar.o, bar.h, bar.l, bar.c, bar.v, bar.from_trades) == (
        90.0,
        110.0,
        80.0,
        100.0,
        7.0,
        False,
    )


async def test_scanner_filters_gainers_losers_and_minimum_turnover(
    offline: Path,  # noqa: F811
) -> None:
    app, run_before = scene()
    async with app.run_test(size=(160, 48)) as pilot:
        await run_before(pilot)
        scanner = app.cockpit.query_one(ScannerView)
        scanner.focus()
        await pilot.pause()
        every = scanner.order
        rates = {m: scanner.model.get(m).change_rate for m in every}
        values = {m: scanner.model.get(m).value_24h for m in every}

        def shown() -> list[str]:
            return [line.split()[1] for line in lines_of(scanner)[1:] if line.strip()]

        await pilot.press("m")  # gainers only
        await pilot.pause()
        assert scanner.order and all(rates[m] > 0 for m in scanner.order)
        assert shown() == scanner.order[: len(shown())]
        assert "gainers" in str(scanner.border_title)
        await pilot.press("m")  # losers only
        await pilot.pause()
        assert scanner.order and all(rates[m] < 0 for m in scanner.order)
        assert shown() == scanner.order[: len(shown())]
        await pilot.press("m", "M")  # every market again; at least 1B KRW in 24 h
        await pilot.pause()
        assert scanner.order == [m for m in every if values[m] >= 1e9]
        assert 0 < len(scanner.order) < len(every)
        assert "≥1.00B KRW" in str(scanner.border_title)
        assert shown() == scanner.order


async def test_a_narrow_scanner_drops_whole_columns_not_half_numbers() -> None:
    from tests.builders import ticker

    scanner = ScannerView(WARNED, client=NoClient())  # type: ignore[arg-type]
    async with OneApp(scanner, WARNED).run_test(size=(78, 12)) as pilot:
        scanner.on_ticker(ticker("KRW-BTC", 95_000_000, 0.012, 117.3e9))
        scanner.on_ticker(ticker("KRW-PEPE", 0.0123, -0.03, 2.5e9))
        scanner.refresh_order()
        await pilot.pause()
        lines = lines_of(scanner)
        header = lines[0]
        assert "English" not in header and "Bitcoin" not in "".join(lines)
        assert "Value 24h ▼" in header and "Spike" in header
        btc = next(line for line in lines if "KRW-BTC" in line)
        assert "95,000,000" in btc and "117.3B" in btc and "비트코인" in btc
        # A click on a header cell still sorts by the column under the pointer.
        await pilot.click(ScannerView, offset=(header.index("Price") + 1, 0))
        assert scanner.sort_key == "price"


def test_narrow_chart_labels_are_whole_numbers_or_nothing() -> None:
    from rich.style import Style

    from dantaro_tui.ui.widgets.candles import Bar
    from dantaro_tui.ui.widgets.chart_render import ChartFrame, render_chart

    bars = [Bar(T0 + i * 60_000, 362.0, 365.0, 360.0, 363.0, 12.0) for i in range(40)]
    frame = ChartFrame("KRW-TRX", "upbit", "1m", bars, 362.0, None, "", False, False, {})
    lines = [strip.text for strip in render_chart(frame, 30, 12, lambda key: Style(), Style())]
    # 11 rows under the header: 9 of candles, 2 of volume (no room for the time axis).
    assert lines[-2][-5:].strip() == "12", lines  # " 12.00" does not fit: not "12.0"
    assert lines[-1][-5:].strip() == "TRX", lines  # the scale's unit, under it
