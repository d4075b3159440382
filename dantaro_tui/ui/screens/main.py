"""The cockpit: the chart grid, order book + trade tape, the market scanner, the status bar.

Layout (2x2 by default; 1x1, 1x2, 2x2 and 3x3 with ``l``)::

    ┌ chart 1 ┐┌ chart 2 ┐┌ book ┐
    └─────────┘└─────────┘│      │
    ┌ chart 3 ┐┌ chart 4 ┐├ tape ┤
    └─────────┘└─────────┘└──────┘
    ┌ scanner (every KRW market) ┐
    status bar · footer

The *active chart* is the chart focused last; keys that act on "the chart" (interval,
overlays) act on it, and a market chosen in the scanner (Enter) opens in it and in its link
group: the scanner's subtitle always says which (``Enter → chart 2 (R red)``). Book and tape
share link group "red" with chart 1 at start, so they follow it; a pane that joins a group
(``g``) takes the group's market, and the groups are saved with the layout. A smaller layout
keeps the focused chart (1x1 shows it). The cockpit's keys win over a focused pane's own
(priority bindings: ``s`` is search and ``k`` kimchi even in the scanner).
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, Horizontal, Vertical
from textual.events import DescendantFocus
from textual.message import Message
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer

from dantaro_tui.config import LAYOUTS, MAX_CHARTS, SCANNER_SORTS
from dantaro_tui.intervals import step_interval
from dantaro_tui.ui import links
from dantaro_tui.ui.commands import market_palette
from dantaro_tui.ui.widgets.account_pane import AccountPane
from dantaro_tui.ui.widgets.base import LivePane, SymbolChanged
from dantaro_tui.ui.widgets.chart import ChartView
from dantaro_tui.ui.widgets.orderbook import OrderBookView
from dantaro_tui.ui.widgets.scanner import ScannerView
from dantaro_tui.ui.widgets.status import StatusBar
from dantaro_tui.ui.widgets.tape import TradeTape
from dantaro_tui.venues import venue_name

if TYPE_CHECKING:
    from collections.abc import Iterable

    from dantaro_tui.config import Config
    from dantaro_tui.model import Market
    from dantaro_tui.services.alerts import AlertService
    from dantaro_tui.ui.widgets.chart import History


def grid_shape(layout: str) -> tuple[int, int]:
    """``"2x2"`` -> (rows, columns); ``"1x2"`` is one row of two charts side by side."""
    rows, _, cols = layout.partition("x")
    return int(rows), int(cols)


class CockpitScreen(Screen[None]):
    """The trading cockpit. It talks to the app one way only: it reads the config it was
    given and posts messages (``SettingsChanged``; a chart's ``ChartView.Problem`` bubbles
    up untouched); the app calls in (``markets_loaded``, ``open_market``, ``set_layout``)."""

    class SettingsChanged(Message):
        """The cockpit changed the config (layout, a chart's market, a link, a sort): the
        app saves it soon."""

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
        # priority: a focused pane's own key never shadows these (the scanner's s and r)
        Binding(
            "s,slash",
            "pick_symbol",
            "Symbol",
            tooltip="Change the focused pane's market (search by code or name)",
            priority=True,
        ),
        Binding(
            "k",
            "app.arbitrage",
            "Kimchi",
            tooltip="Kimchi premium and arbitrage, Upbit vs Binance (OKX, Gate.io)",
            priority=True,
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
            priority=True,
        ),
        Binding(
            "g",
            "cycle_link",
            "Link",
            show=False,
            tooltip="Move the focused pane to the next link group (red green blue yellow "
            "none); it takes the group's market",
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
        Binding(
            "w",
            "toggle_account",
            "Account pane",
            show=False,
            tooltip="Show/hide the compact account pane: total in KRW, open orders, last fill",
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

    def __init__(
        self,
        config: Config,
        *,
        mode: str = "live",
        history: History | None = None,
        markets: Iterable[Market] = (),
        alert_service: AlertService | None = None,
        exchange_name: str = "",
    ) -> None:
        """Everything the cockpit needs from the app is given here: it never reaches back
        into the app (it posts ``SettingsChanged`` when it changed ``config``)."""
        super().__init__(id="cockpit")
        self.config = config
        self.mode = mode
        self.history = history
        self.initial_markets = list(markets)
        self.alert_service = alert_service
        self.exchange_name = exchange_name or config.exchange
        self.active_index = 1

    # -- composition ---------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        cfg = self.config
        rows, cols = grid_shape(cfg.layout)
        with Horizontal(id="top"):
            grid = Container(id="grid")
            grid.styles.grid_size_columns = cols
            grid.styles.grid_size_rows = rows
            with grid:
                for i in range(rows * cols):
                    yield self._make_chart(i + 1)
            with Vertical(id="side"):
                book_group = cfg.book_link or None
                book = OrderBookView(
                    self._group_symbol(book_group), link_group=book_group, id="orderbook"
                )
                book.border_title = "Order book"
                yield book
                tape_group = cfg.tape_link or None
                tape = TradeTape(self._group_symbol(tape_group), link_group=tape_group, id="tape")
                tape.border_title = "Trades"
                yield tape
        yield self._make_scanner()
        yield AccountPane(id="account-pane")  # hidden until w
        yield StatusBar(self.mode, id="status")  # type: ignore[arg-type]
        yield Footer()

    def _make_chart(self, index: int) -> ChartView:
        cfg = self.config
        return ChartView(
            cfg.symbols[index - 1],
            interval=cfg.intervals[index - 1],
            index=index,
            history=self.history,
            vwap=cfg.vwap,
            bollinger=cfg.bollinger,
            link_group=self._chart_group(index),
        )

    def _chart_group(self, index: int) -> str | None:
        links_ = self.config.chart_links
        group = links_[index - 1] if 0 < index <= len(links_) else ""
        return group if group in links.LINK_GROUPS else None

    def _group_symbol(self, group: str | None) -> str:
        """The market a book or tape in ``group`` starts on: its first linked chart's."""
        cfg = self.config
        if group is not None:
            rows, cols = grid_shape(cfg.layout)
            for i in range(1, rows * cols + 1):
                if self._chart_group(i) == group:
                    return cfg.symbols[i - 1]
        return cfg.symbols[0]

    def _make_scanner(self) -> ScannerView:
        cfg = self.config
        scanner = ScannerView(
            markets=self.initial_markets,
            quote="KRW",
            sort=cfg.scanner_sort if cfg.scanner_sort in SCANNER_SORTS else "value",  # type: ignore[arg-type]
            threshold=cfg.scanner_threshold / 100.0,
            spike_source=self.alert_service,
            id="scanner",
        )
        return scanner

    def on_mount(self) -> None:
        for pane in (self.query_one("#orderbook", LivePane), self.query_one("#tape", LivePane)):
            links.join(pane, pane.link_group)
        self.focus_chart(1)
        self._show_enter_target()

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
    def scanner(self) -> ScannerView:
        return self.query_one("#scanner", ScannerView)

    @property
    def status(self) -> StatusBar:
        return self.query_one("#status", StatusBar)

    def target_pane(self) -> LivePane | None:
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
        self._show_enter_target()

    def enter_target(self) -> str:
        """Where the scanner's Enter opens a market: ``"chart 2 (R red)"``."""
        chart = self.active_chart
        if chart is None:
            return "no chart"
        group = links.link_label(chart.link_group) or "not linked"
        return f"chart {chart.index} ({group})"

    def _show_enter_target(self) -> None:
        """The scanner says which chart its Enter feeds: the active (last focused) chart."""
        scanner = self.query("#scanner")
        if not scanner:
            return
        text = f"Enter → {self.enter_target()}"
        if scanner.first().border_subtitle != text:
            scanner.first().border_subtitle = text

    @on(DescendantFocus)
    def _focus_moved(self, event: DescendantFocus) -> None:
        if isinstance(event.widget, ChartView):
            self._set_active(event.widget)

    # -- opening markets -------------------------------------------------------------------
    def open_market(self, symbol: str, target: LivePane | None = None) -> list[Widget]:
        """Show ``symbol`` in ``target`` (default: the focused pane) and its link group."""
        target = target or self.target_pane()
        if target is None:
            return []
        group = target.link_group
        switched: list[Widget]
        if group:
            switched = links.switch(self, group, symbol)
            if target not in switched:
                target.set_symbol(symbol)
                switched.append(target)
        else:
            target.set_symbol(symbol)
            switched = [target]
        self._follow_scanner(symbol)
        return switched

    def _follow_scanner(self, symbol: str) -> None:
        with contextlib.suppress(Exception):  # a cursor is not worth an error
            self.scanner.select_market(symbol)

    @on(SymbolChanged)
    def _symbol_changed(self, message: SymbolChanged) -> None:
        message.stop()
        source = message.source
        self.open_market(message.symbol, target=source if isinstance(source, LivePane) else None)

    @on(ScannerView.MarketSelected)
    def _market_selected(self, message: ScannerView.MarketSelected) -> None:
        """Scanner Enter: the active chart and its link group (book and tape) follow."""
        message.stop()
        chart = self.active_chart
        if chart is not None:
            self.open_market(message.symbol, target=chart)
        group = message.link_group
        if group and (chart is None or group != chart.link_group):
            links.switch(self, group, message.symbol)

    def markets_loaded(self, markets: list[Market]) -> None:
        for scanner in self.query(ScannerView):
            if scanner.exchange == self.config.exchange:
                scanner.set_markets(markets)
        self.venue_markets_loaded(self.config.exchange, markets)

    def venue_markets_loaded(self, exchange: str, markets: list[Market]) -> None:
        """A venue's market list arrived: panes on a market it does not list say so."""
        known = {m.symbol for m in markets}
        panes = [*self.charts, *self.query(OrderBookView), *self.query(TradeTape)]
        on_venue = [p for p in panes if p.exchange == exchange]
        unknown = sorted({p.ref for p in on_venue if p.symbol not in known}) if known else []
        venue = venue_name(exchange)
        for chart in self.charts:
            if chart.exchange == exchange and chart.ref in unknown:
                chart.show_notice(f"{chart.symbol} is not listed on {venue}")
            chart.paint()
        if unknown:
            names = ", ".join(unknown)
            self.app.notify(
                f"{names} {'is' if len(unknown) == 1 else 'are'} not listed on "
                f"{venue}. Focus the pane and press s to choose a market.",
                title="Unknown market",
                severity="warning",
                timeout=15,
            )

    # -- chart events ----------------------------------------------------------------------
    @on(ChartView.Changed)
    def _chart_changed(self, message: ChartView.Changed) -> None:
        message.stop()
        chart = message.chart
        cfg = self.config
        if 1 <= chart.index <= MAX_CHARTS:
            cfg.symbols[chart.index - 1] = chart.ref
            cfg.intervals[chart.index - 1] = chart.interval
        self.post_message(self.SettingsChanged())

    # -- actions ---------------------------------------------------------------------------
    def action_focus_chart(self, index: int) -> None:
        if not self.focus_chart(index):
            shown = ", ".join(str(c.index) for c in self.charts)
            self.notify(
                f"Chart {index} is not in layout {self.config.layout} (charts {shown}); "
                "press l for a bigger grid",
                severity="warning",
                timeout=3,
            )

    def action_pick_symbol(self) -> None:
        self.app.push_screen(market_palette())

    def action_cycle_interval(self, step: int = 1) -> None:
        chart = self.active_chart
        if chart is None:
            return
        chart.change_interval(step_interval(chart.interval, step))

    def action_toggle_overlay(self, which: str) -> None:
        cfg = self.config
        if which == "vwap":
            on_now = cfg.vwap = not cfg.vwap
        elif which == "bollinger":
            on_now = cfg.bollinger = not cfg.bollinger
        else:
            return
        for chart in self.charts:
            chart.set_overlay(which, on_now)
        label = "VWAP" if which == "vwap" else "Bollinger bands"
        self.notify(f"{label} {'on' if on_now else 'off'}", timeout=1.5)
        self.post_message(self.SettingsChanged())

    async def action_cycle_layout(self, step: int = 1) -> None:
        cfg = self.config
        i = LAYOUTS.index(cfg.layout) if cfg.layout in LAYOUTS else 2
        await self.set_layout(LAYOUTS[(i + step) % len(LAYOUTS)])

    async def set_layout(self, layout: str) -> None:
        if layout not in LAYOUTS:
            return
        cfg = self.config
        cfg.layout = layout
        rows, cols = grid_shape(layout)
        grid = self.query_one("#grid", Container)
        want = rows * cols
        active = self.active_index
        charts = self.charts
        # The first ``want`` charts; the focused chart takes the last place when it is not
        # among them, so 1x1 shows the chart the trader was looking at.
        keep = list(range(1, want + 1))
        if active > want and self.chart(active) is not None:
            keep[-1] = active
        extra = [c for c in charts if c.index not in keep]
        if extra:
            await grid.remove_children(extra)
        have = {c.index for c in charts if c.index in keep}
        new = [self._make_chart(i) for i in keep if i not in have]
        grid.styles.grid_size_columns = cols
        grid.styles.grid_size_rows = rows
        if new:
            await grid.mount_all(new)
            grid.sort_children(key=lambda w: w.index if isinstance(w, ChartView) else 0)
        if self.chart(active) is None:
            self.focus_chart(keep[0])
        self._show_enter_target()
        self.post_message(self.SettingsChanged())

    def action_scanner_sort(self, step: int = 1) -> None:
        scanner = self.scanner
        scanner.cycle_sort(step)
        key = scanner.sort_key
        if key in SCANNER_SORTS:
            self.config.scanner_sort = key
            self.post_message(self.SettingsChanged())
        self.notify(f"Scanner sorted by {key}", timeout=1.5)

    def action_scanner_reverse(self) -> None:
        self.scanner.reverse_sort()

    def action_cycle_link(self) -> None:
        pane = self.focused if isinstance(self.focused, LivePane) else self.active_chart
        if pane is None:
            return
        group = links.next_group(pane.link_group)
        links.enter(self, pane, group)
        if isinstance(pane, ChartView):
            pane.paint()
        self._save_links()
        self._show_enter_target()
        name = f"chart {pane.index}" if isinstance(pane, ChartView) else pane.border_title
        where = f"link group {links.link_label(group)}" if group else "no link group"
        self.notify(f"{name}: {where}, {pane.ref}", timeout=2)

    def _save_links(self) -> None:
        """Link groups are part of the layout: saved with it."""
        cfg = self.config
        for chart in self.charts:
            if 1 <= chart.index <= len(cfg.chart_links):
                cfg.chart_links[chart.index - 1] = chart.link_group or ""
        for book in self.query(OrderBookView):
            cfg.book_link = book.link_group or ""
        for tape in self.query(TradeTape):
            cfg.tape_link = tape.link_group or ""
        self.post_message(self.SettingsChanged())

    def action_toggle_account(self) -> None:
        # The pane takes its rows from the scanner: at 80x24 the charts and book keep
        # theirs, and the status bar never leaves the screen.
        self.set_class(self.query_one("#account-pane", AccountPane).toggle(), "-account")

    def action_threshold(self, step: float) -> None:
        cfg = self.config
        value = round(min(50.0, max(0.5, cfg.scanner_threshold + step)), 2)
        cfg.scanner_threshold = value
        self.scanner.set_threshold(value / 100.0)
        self.notify(f"Pump/dump threshold {value:.1f} %", timeout=1.5)
        self.post_message(self.SettingsChanged())
