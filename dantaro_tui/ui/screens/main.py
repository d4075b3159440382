"""The cockpit: the chart grid, order book + trade tape, the market scanner, the status bar.

Layout (2x2 by default; 1x1, 1x2, 2x2 and 3x3 with ``l``)::

    ┌ chart 1 ┐┌ chart 2 ┐┌ book ┐
    └─────────┘└─────────┘│      │
    ┌ chart 3 ┐┌ chart 4 ┐├ tape ┤
    └─────────┘└─────────┘└──────┘
    ┌ scanner (every KRW market) ┐
    status bar · footer

The *active chart* is the chart focused last; keys that act on "the chart" (interval,
overlays) act on it, and a market chosen in the scanner opens in it and in its link group.
Book and tape share link group "red" with chart 1 at start, so they follow it.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, Horizontal, Vertical
from textual.events import DescendantFocus
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer

from dantaro_tui.config import INTERVALS, LAYOUTS, MAX_CHARTS, SCANNER_SORTS
from dantaro_tui.ui import links
from dantaro_tui.ui.widgets.base import LivePane, SymbolChanged
from dantaro_tui.ui.widgets.chart import ChartView
from dantaro_tui.ui.widgets.orderbook import OrderBookView
from dantaro_tui.ui.widgets.scanner import ScannerView
from dantaro_tui.ui.widgets.status import StatusBar
from dantaro_tui.ui.widgets.tape import TradeTape

if TYPE_CHECKING:
    from dantaro_tui.model import Market
    from dantaro_tui.ui.app import DantaroApp

BOOK_GROUP = "red"


def grid_shape(layout: str) -> tuple[int, int]:
    """``"2x2"`` -> (rows, columns); ``"1x2"`` is one row of two charts side by side."""
    rows, _, cols = layout.partition("x")
    return int(rows), int(cols)


class CockpitScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        *[
            Binding(
                str(n),
                f"focus_chart({n})",
                "Chart",
                show=False,
                tooltip="Focus chart N (1-9, by the number in its title)",
            )
            for n in range(1, MAX_CHARTS + 1)
        ],
        Binding(
            "s,slash",
            "pick_symbol",
            "Symbol",
            tooltip="Change the focused pane's market (search by code or name)",
        ),
        Binding(
            "i",
            "cycle_interval(1)",
            "Interval",
            tooltip="Next interval of the active chart (1m 5m 15m 1h 4h 1d)",
        ),
        Binding(
            "I",
            "cycle_interval(-1)",
            "Interval back",
            show=False,
            tooltip="Previous interval of the active chart",
        ),
        Binding("l", "cycle_layout(1)", "Layout", tooltip="Next chart layout (1x1 1x2 2x2 3x3)"),
        Binding(
            "L", "cycle_layout(-1)", "Layout back", show=False, tooltip="Previous chart layout"
        ),
        Binding("v", "toggle_overlay('vwap')", "VWAP", tooltip="Show/hide VWAP on the charts"),
        Binding(
            "b",
            "toggle_overlay('bollinger')",
            "Bands",
            tooltip="Show/hide Bollinger bands (20, 2σ) on the charts",
        ),
        Binding("o", "scanner_sort(1)", "Sort", tooltip="Sort the scanner by the next column"),
        Binding(
            "O",
            "scanner_sort(-1)",
            "Sort back",
            show=False,
            tooltip="Sort the scanner by the previous column",
        ),
        Binding(
            "r",
            "scanner_reverse",
            "Reverse",
            show=False,
            tooltip="Reverse the scanner's sort order",
        ),
        Binding(
            "g",
            "cycle_link",
            "Link",
            show=False,
            tooltip="Move the focused pane to the next link group (red green blue yellow none)",
        ),
        Binding(
            "right_square_bracket",
            "threshold(0.5)",
            "Threshold +",
            show=False,
            tooltip="Raise the pump/dump alert threshold by 0.5 %",
        ),
        Binding(
            "left_square_bracket",
            "threshold(-0.5)",
            "Threshold -",
            show=False,
            tooltip="Lower the pump/dump alert threshold by 0.5 %",
        ),
    ]

    DEFAULT_CSS = """
    CockpitScreen { layout: vertical; }
    CockpitScreen #top { height: 1fr; }
    CockpitScreen #grid {
        width: 1fr;
        layout: grid;
        grid-size: 2 2;
        grid-gutter: 0 0;
    }
    CockpitScreen #side { width: 52; }
    CockpitScreen #side > OrderBookView { height: 3fr; }
    CockpitScreen #side > TradeTape { height: 2fr; }
    CockpitScreen ScannerView { height: 13; }
    CockpitScreen #side > *, CockpitScreen ScannerView {
        border: round $foreground 25%;
        border-title-color: $foreground 85%;
        border-subtitle-color: $foreground 70%;
    }
    CockpitScreen #side > *:focus, CockpitScreen ScannerView:focus {
        border: heavy $primary;
        border-title-color: $primary;
    }
    """

    def __init__(self, *, mode: str = "live") -> None:
        super().__init__(id="cockpit")
        self.mode = mode
        self.active_index = 1

    @property
    def dapp(self) -> DantaroApp:
        return self.app  # type: ignore[return-value]

    # -- composition ---------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        cfg = self.dapp.config
        rows, cols = grid_shape(cfg.layout)
        with Horizontal(id="top"):
            grid = Container(id="grid")
            grid.styles.grid_size_columns = cols
            grid.styles.grid_size_rows = rows
            with grid:
                for i in range(rows * cols):
                    yield self._make_chart(i + 1)
            with Vertical(id="side"):
                book = OrderBookView(cfg.symbols[0], link_group=BOOK_GROUP, id="orderbook")
                book.border_title = "Order book"
                yield book
                tape = TradeTape(cfg.symbols[0], link_group=BOOK_GROUP, id="tape")
                tape.border_title = "Trades"
                yield tape
        yield self._make_scanner()
        yield StatusBar(self.mode, id="status")  # type: ignore[arg-type]
        yield Footer()

    def _make_chart(self, index: int) -> ChartView:
        cfg = self.dapp.config
        return ChartView(
            cfg.symbols[index - 1],
            interval=cfg.intervals[index - 1],
            index=index,
            history=self.dapp.history,
            vwap=cfg.vwap,
            bollinger=cfg.bollinger,
            link_group=BOOK_GROUP if index == 1 else None,
        )

    def _make_scanner(self) -> Widget:
        cfg = self.dapp.config
        scanner = ScannerView(
            markets=list(self.dapp.markets.values()),
            quote="KRW",
            sort=cfg.scanner_sort if cfg.scanner_sort in SCANNER_SORTS else "value",  # type: ignore[arg-type]
            threshold=cfg.scanner_threshold / 100.0,
            id="scanner",
        )
        return scanner

    def on_mount(self) -> None:
        for pane in (self.query_one("#orderbook"), self.query_one("#tape")):
            links.join(pane, BOOK_GROUP)
        self.focus_chart(1)

    # -- panes -----------------------------------------------------------------------------
    @property
    def charts(self) -> list[ChartView]:
        return sorted(self.query(ChartView), key=lambda c: c.index)

    def chart(self, index: int) -> ChartView | None:
        for chart in self.query(ChartView):
            if chart.index == index:
                return chart
        return None

    @property
    def active_chart(self) -> ChartView | None:
        return self.chart(self.active_index) or (self.charts[0] if self.charts else None)

    @property
    def scanner(self) -> Any:
        return self.query_one("#scanner")

    @property
    def status(self) -> StatusBar:
        return self.query_one("#status", StatusBar)

    def target_pane(self) -> Widget | None:
        """Where a chosen market goes: the focused pane, else the active chart."""
        focused = self.focused
        if isinstance(focused, LivePane):
            return focused
        return self.active_chart

    def focus_chart(self, index: int) -> bool:
        chart = self.chart(index)
        if chart is None:
            return False
        chart.focus()
        self._set_active(chart)
        return True

    def _set_active(self, chart: ChartView) -> None:
        self.active_index = chart.index
        for c in self.query(ChartView):
            c.set_class(c is chart, "-active")

    @on(DescendantFocus)
    def _focus_moved(self, event: DescendantFocus) -> None:
        if isinstance(event.widget, ChartView):
            self._set_active(event.widget)

    # -- opening markets -------------------------------------------------------------------
    def open_market(self, symbol: str, target: Widget | None = None) -> list[Widget]:
        """Show ``symbol`` in ``target`` (default: the focused pane) and its link group."""
        target = target or self.target_pane()
        if target is None:
            return []
        group = getattr(target, "link_group", None)
        if group:
            switched = links.switch(self, group, symbol)
            if target not in switched:
                target.set_symbol(symbol)  # type: ignore[attr-defined]
                switched.append(target)
        else:
            target.set_symbol(symbol)  # type: ignore[attr-defined]
            switched = [target]
        self._follow_scanner(symbol)
        return switched

    def _follow_scanner(self, symbol: str) -> None:
        scanner = self.scanner
        select = getattr(scanner, "select_market", None)
        if callable(select):
            with contextlib.suppress(Exception):  # a cursor is not worth an error
                select(symbol)

    @on(SymbolChanged)
    def _symbol_changed(self, message: SymbolChanged) -> None:
        message.stop()
        self.open_market(message.symbol, target=message.source)

    @on(ScannerView.MarketSelected)
    def _market_selected(self, message: ScannerView.MarketSelected) -> None:
        """Scanner Enter: the active chart and its link group (book and tape) follow."""
        message.stop()
        chart = self.active_chart
        if chart is not None:
            self.open_market(message.symbol, target=chart)
        group = getattr(message, "link_group", None)
        if group and (chart is None or group != chart.link_group):
            links.switch(self, group, message.symbol)

    def markets_loaded(self, markets: list[Market]) -> None:
        set_markets = getattr(self.scanner, "set_markets", None)
        if callable(set_markets):
            set_markets(markets)
        known = {m.symbol for m in markets}
        panes = [*self.charts, *self.query(OrderBookView), *self.query(TradeTape)]
        unknown = sorted({p.symbol for p in panes} - known) if known else []
        for chart in self.charts:
            if chart.symbol in unknown:
                chart.show_notice(f"{chart.symbol} is not listed on {self.dapp.exchange_name}")
            chart.paint()
        if unknown:
            names = ", ".join(unknown)
            self.app.notify(
                f"{names} {'is' if len(unknown) == 1 else 'are'} not listed on "
                f"{self.dapp.exchange_name}. Focus the pane and press s to choose a market.",
                title="Unknown market",
                severity="warning",
                timeout=15,
            )

    # -- chart events ----------------------------------------------------------------------
    @on(ChartView.Changed)
    def _chart_changed(self, message: ChartView.Changed) -> None:
        message.stop()
        chart = message.chart
        cfg = self.dapp.config
        if 1 <= chart.index <= MAX_CHARTS:
            cfg.symbols[chart.index - 1] = chart.symbol
            cfg.intervals[chart.index - 1] = chart.interval
        self.dapp.save_soon()

    @on(ChartView.Problem)
    def _chart_problem(self, message: ChartView.Problem) -> None:
        message.stop()
        self.dapp.tell(
            message.text, f"Chart {message.chart.index}", "warning", message.chart.symbol
        )

    # -- actions ---------------------------------------------------------------------------
    def action_focus_chart(self, index: int) -> None:
        if not self.focus_chart(index):
            self.notify(
                f"Layout {self.dapp.config.layout} has {len(self.charts)} charts; "
                "press l for a bigger grid",
                severity="warning",
                timeout=3,
            )

    def action_pick_symbol(self) -> None:
        self.dapp.pick_symbol()

    def action_cycle_interval(self, step: int = 1) -> None:
        chart = self.active_chart
        if chart is None:
            return
        i = INTERVALS.index(chart.interval) if chart.interval in INTERVALS else -1
        chart.change_interval(INTERVALS[(i + step) % len(INTERVALS)])

    def action_toggle_overlay(self, which: str) -> None:
        cfg = self.dapp.config
        on_now = not getattr(cfg, which)
        setattr(cfg, which, on_now)
        for chart in self.charts:
            chart.set_overlay(which, on_now)
        label = "VWAP" if which == "vwap" else "Bollinger bands"
        self.notify(f"{label} {'on' if on_now else 'off'}", timeout=1.5)
        self.dapp.save_soon()

    async def action_cycle_layout(self, step: int = 1) -> None:
        cfg = self.dapp.config
        i = LAYOUTS.index(cfg.layout) if cfg.layout in LAYOUTS else 2
        await self.set_layout(LAYOUTS[(i + step) % len(LAYOUTS)])

    async def set_layout(self, layout: str) -> None:
        if layout not in LAYOUTS:
            return
        cfg = self.dapp.config
        cfg.layout = layout
        rows, cols = grid_shape(layout)
        grid = self.query_one("#grid", Container)
        want = rows * cols
        charts = self.charts
        extra = [c for c in charts if c.index > want]
        if extra:
            await grid.remove_children(extra)
        have = {c.index for c in charts if c.index <= want}
        new = [self._make_chart(i) for i in range(1, want + 1) if i not in have]
        grid.styles.grid_size_columns = cols
        grid.styles.grid_size_rows = rows
        if new:
            await grid.mount_all(new)
            grid.sort_children(key=lambda w: getattr(w, "index", 0))
        if self.active_index > want or self.chart(self.active_index) is None:
            self.focus_chart(1)
        self.dapp.save_soon()

    def action_scanner_sort(self, step: int = 1) -> None:
        scanner = self.scanner
        cycle = getattr(scanner, "cycle_sort", None)
        if callable(cycle):
            cycle(step)
        key = getattr(scanner, "sort_key", None)
        if isinstance(key, str) and key in SCANNER_SORTS:
            self.dapp.config.scanner_sort = key
            self.dapp.save_soon()
        if key is not None:
            self.notify(f"Scanner sorted by {key}", timeout=1.5)

    def action_scanner_reverse(self) -> None:
        reverse = getattr(self.scanner, "reverse_sort", None)
        if callable(reverse):
            reverse()

    def action_cycle_link(self) -> None:
        pane = self.focused if isinstance(self.focused, LivePane) else self.active_chart
        if pane is None:
            return
        group = links.next_group(pane.link_group)
        links.join(pane, group)
        if isinstance(pane, ChartView):
            pane.paint()
        self.notify(f"{pane.id}: link group {group or 'none'}", timeout=1.5)

    def action_threshold(self, step: float) -> None:
        cfg = self.dapp.config
        value = round(min(50.0, max(0.5, cfg.scanner_threshold + step)), 2)
        cfg.scanner_threshold = value
        set_threshold = getattr(self.scanner, "set_threshold", None)
        if callable(set_threshold):
            set_threshold(value / 100.0)
        self.notify(f"Pump/dump threshold {value:.1f} %", timeout=1.5)
        self.dapp.save_soon()
