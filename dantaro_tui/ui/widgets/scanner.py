"""ScannerView: every market of one quote (KRW, BTC or USDT) in one fast, sortable table.

Line API on a ``ScrollView``: a fixed header line and one cached ``Strip`` per market,
keyed by (row version, row index, cursor, highlight, style generation). Tickers only
update ``ScannerModel`` and note the market as dirty; a timer (``REFRESH_HZ``) refreshes
the visible dirty lines, and re-sorts at ``SORT_HZ``. The row count changes (and layout
happens) only when the market list or the quote filter changes, never on a tick.

The cursor is anchored on a market, not a row: after a re-sort it stays on the same
market wherever that moved, and the viewport stays where the user left it (the next
cursor key brings the cursor back into view). Enter posts ``MarketSelected``.

Keys: up/down (k/j), pgup/pgdn, home/end move; enter opens; ``s`` or ``>`` next sort
column, ``<`` previous; ``r`` or ``S`` reverses; ``f`` next quote (KRW, BTC, USDT); ``m``
all markets / gainers / losers, ``M`` minimum 24 h turnover (1B, 10B, 100B KRW, off). Number
keys are left to the app (chart focus). A click selects a row, a double click opens it, a
click on a header cell sorts by that column (again: reverses).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, replace
from typing import ClassVar, Literal

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from dantaro_tui.analytics.scanner import (
    QUOTES,
    SORT_KEYS,
    ScannerModel,
    ScannerRow,
    SortKey,
    highlight,
)
from dantaro_tui.config import known_exchanges
from dantaro_tui.feed.client import WebSocketClient
from dantaro_tui.model import Market, Ticker
from dantaro_tui.services.alerts import AlertService
from dantaro_tui.ui.feeds import app_hub
from dantaro_tui.ui.format import fit, format_compact, market_price
from dantaro_tui.ui.host import HasAlertService
from dantaro_tui.ui.widgets.base import pane_visible, retire_client
from dantaro_tui.venues import join_ref, split_ref, venue_name

log = logging.getLogger(__name__)

# The quote a venue's list opens on: the won on a Korean venue, else tether.
MAIN_QUOTES = ("KRW", "USDT")


@dataclass(frozen=True, slots=True)
class Column:
    title: str
    key: SortKey | None  # None: not sortable (the rank)
    width: int
    right: bool


COLUMNS: tuple[Column, ...] = (
    Column("#", None, 4, True),
    Column("Market", "market", 12, False),
    Column("한글명", "korean", 12, False),
    Column("English", "english", 16, False),
    Column("Price", "price", 14, True),
    Column("Change", "change", 8, True),
    Column("Value 24h", "value", 11, True),
    Column("Spike", "spike", 7, True),
)
CONTENT_WIDTH = sum(c.width for c in COLUMNS) + len(COLUMNS) - 1
# A pane wider than every column gives the room to the names, up to these widths (a third
# to the Korean name, the rest to the English one): names are cut less, numbers stay put.
NAME_MAX_WIDTHS: dict[str, int] = {"한글명": 24, "English": 40}
# A pane narrower than every column drops these, in this order, rather than cut a number.
NARROW_DROPS: tuple[str, ...] = ("English", "Spike", "한글명")


def columns_for(width: int) -> tuple[Column, ...]:
    """The columns of a pane ``width`` cells wide: ``COLUMNS``, with the name columns
    widened into any room beyond ``CONTENT_WIDTH`` (see ``NAME_MAX_WIDTHS``)."""
    extra = width - CONTENT_WIDTH
    if extra <= 0:
        return COLUMNS
    kr, en = (next(c for c in COLUMNS if c.title == t) for t in ("한글명", "English"))
    kr_extra = min(extra // 3, NAME_MAX_WIDTHS[kr.title] - kr.width)
    en_extra = min(extra - kr_extra, NAME_MAX_WIDTHS[en.title] - en.width)
    widths = {kr.title: kr.width + kr_extra, en.title: en.width + en_extra}
    return tuple(replace(c, width=widths.get(c.title, c.width)) for c in COLUMNS)


def visible_columns(width: int) -> tuple[int, ...]:
    """Indexes of the columns shown in a pane ``width`` cells wide."""
    shown = list(range(len(COLUMNS)))
    used = CONTENT_WIDTH
    for title in NARROW_DROPS:
        if used <= width or width <= 0:
            break
        i = next(i for i, c in enumerate(COLUMNS) if c.title == title)
        shown.remove(i)
        used -= COLUMNS[i].width + 1
    return tuple(shown)


def _spans(shown: tuple[int, ...]) -> list[tuple[int, int]]:
    """Cell ranges of the shown columns in a full-width row (each with the space before)."""
    starts, x = [], 0
    for column in COLUMNS:
        starts.append(x)
        x += column.width + 1
    spans = [
        (starts[i] - (1 if n else 0), starts[i] + COLUMNS[i].width) for n, i in enumerate(shown)
    ]
    return spans


Movers = Literal["all", "gainers", "losers"]
MOVERS: tuple[Movers, ...] = ("all", "gainers", "losers")
# Minimum 24 h turnover steps (``M``), in the quote currency.
MIN_VALUES: dict[str, tuple[float, ...]] = {
    "KRW": (1e9, 1e10, 1e11),
    "BTC": (1.0, 10.0, 100.0),
    "USDT": (1e5, 1e6, 1e7),
}
_TEXT_KEYS: frozenset[str] = frozenset({"market", "korean", "english"})


def flagged(market: Market) -> bool:
    """Upbit's warning (투자유의) or any caution (주의) flag: the ⚠ marker."""
    return market.warning or bool(market.cautions)


def _cell(text: str, column: Column) -> str:
    """``text`` in the column's display width; longer text ends with an ellipsis."""
    return fit(text, column.width, right=column.right)


class ScannerView(ScrollView, can_focus=True):
    """``ScannerView(markets, quote="KRW", threshold=0.05, spike_threshold=5.0)``.

    ``markets`` (or ``set_markets()`` later) gives the names; the view subscribes tickers
    of every market of the selected quote through its own client.
    """

    class VenueRequested(Message):
        """``x``: the trader wants ``exchange``'s markets listed (the app has the lists)."""

        def __init__(self, scanner: ScannerView, exchange: str) -> None:
            super().__init__()
            self.scanner = scanner
            self.exchange = exchange

    class MarketSelected(Message):
        """Enter (or a double click) on ``symbol``: open it in the chart and linked panes."""

        def __init__(self, scanner: ScannerView, symbol: str, link_group: str | None) -> None:
            super().__init__()
            self.scanner = scanner
            self.symbol = symbol
            self.link_group = link_group

        @property
        def control(self) -> ScannerView:
            return self.scanner

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "scanner--header",
        "scanner--header-sorted",
        "scanner--cursor",
        "scanner--rise",
        "scanner--fall",
        "scanner--up",
        "scanner--down",
        "scanner--spike",
    }
    DEFAULT_CSS = """
    ScannerView {
        height: 1fr;
        scrollbar-size-vertical: 1;
    }
    ScannerView > .scanner--header { color: $text-muted; text-style: bold; }
    ScannerView > .scanner--header-sorted { color: $text; text-style: bold underline; }
    ScannerView > .scanner--cursor { background: $primary 40%; }
    ScannerView > .scanner--rise { color: $price-up; }
    ScannerView > .scanner--fall { color: $price-down; }
    ScannerView > .scanner--up { background: $price-up 22%; }
    ScannerView > .scanner--down { background: $price-down 22%; }
    ScannerView > .scanner--spike { color: $warning; text-style: bold; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor(-1)", "Up", show=False),
        Binding("down,j", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "cursor_to(0)", "First", show=False),
        Binding("end", "cursor_to(-1)", "Last", show=False),
        Binding("enter", "select", "Open"),
        Binding("s,greater_than_sign", "sort_step(1)", "Sort"),
        Binding("less_than_sign", "sort_step(-1)", "Sort back", show=False),
        Binding("r,S", "sort_reverse", "Reverse"),
        Binding("f", "cycle_quote", "Quote"),
        Binding("x", "cycle_venue", "Venue", tooltip="List another exchange's markets"),
        Binding("m", "cycle_movers", "Movers", tooltip="All markets, gainers only, losers only"),
        Binding(
            "M", "cycle_min_value", "Min value", tooltip="Minimum 24h turnover (e.g. ≥ 1B KRW)"
        ),
    ]
    REFRESH_HZ = 4.0
    SORT_HZ = 1.0

    def __init__(
        self,
        markets: list[Market] | None = None,
        *,
        quote: str = "KRW",
        exchange: str = "upbit",
        threshold: float = 0.05,
        spike_threshold: float = 5.0,
        spike_source: AlertService | None = None,
        sort: SortKey = "value",
        descending: bool = True,
        link_group: str | None = None,
        client: WebSocketClient | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.exchange = exchange
        self.home = exchange  # the venue bare market codes are on
        self._client_name = id or "scanner"
        self._retiring: set[asyncio.Task[None]] = set()
        self.link_group = link_group
        self.model = ScannerModel(markets or (), threshold=threshold)
        self._flagged: set[str] = {m.symbol for m in markets or () if flagged(m)}
        self._ticks: dict[str, float] = {m.symbol: m.tick for m in markets or () if m.tick > 0}
        self._movers: Movers = "all"  # filters: gainers / losers only, minimum turnover
        self._min_value = 0.0
        # The app's AlertService (found at mount): the Spike column and its highlight are
        # the service's score and alert test, so the column and the alerts agree.
        self.spike_source = spike_source
        self.spike_threshold = spike_threshold
        if client is None:
            client = WebSocketClient(id or "scanner", exchange=exchange, hub=app_hub(self))
        self.client = client
        self._quote = quote
        self._sort: SortKey = sort
        self._descending = descending
        self._wanted: frozenset[str] = frozenset(self.model.markets(quote))
        self._order: list[str] = []
        self._index: dict[str, int] = {}
        self._cursor: str | None = None
        self._cursor_pinned = False  # False: the cursor stays on the top row until moved
        self._resort_soon = False
        self._dirty: set[str] = set()
        self._full_refresh = True
        self._last_sort = 0.0
        # market -> (key, strip, fill style for the cells right of the columns)
        self._strips: dict[str, tuple[tuple[object, ...], Strip, Style]] = {}
        self._header: tuple[tuple[object, ...], Strip] | None = None
        self._style_gen = 0
        self._base: Style | None = None
        self._title_prefix: str | None = None
        # The columns at the current width (the names widen in a wide pane: ``columns_for``).
        self._columns: tuple[Column, ...] = COLUMNS
        self._content_width = CONTENT_WIDTH
        self._resort()

    # -- public state --------------------------------------------------------------------
    @property
    def quote(self) -> str:
        return self._quote

    @property
    def columns(self) -> tuple[Column, ...]:
        """The columns at the pane's width (the names widen: ``columns_for``)."""
        return self._columns

    @property
    def sort_key(self) -> SortKey:
        return self._sort

    @property
    def descending(self) -> bool:
        return self._descending

    @property
    def order(self) -> list[str]:
        """The markets in display order (as of the last re-sort)."""
        return list(self._order)

    @property
    def cursor_market(self) -> str | None:
        return self._cursor

    @property
    def cursor_row(self) -> int:
        return self._index.get(self._cursor or "", 0)

    @property
    def threshold(self) -> float:
        return self.model.threshold

    @threshold.setter
    def threshold(self, value: float) -> None:
        self.model.threshold = value
        if self.spike_source is not None:
            self.spike_source.set_move_threshold(value)  # the pump/dump alerts follow
        self._invalidate()

    def set_markets(self, markets: list[Market]) -> None:
        """The market list (with names) from REST; subscribes the selected quote's markets."""
        self.model.set_markets(markets)
        self._ticks.update((m.symbol, m.tick) for m in markets if m.tick > 0)
        self._flagged.difference_update(m.symbol for m in markets)
        self._flagged.update(m.symbol for m in markets if flagged(m))
        self._apply_quote()

    def set_quote(self, quote: str) -> None:
        """Show and subscribe the markets quoted in ``quote`` ("KRW", "BTC", "USDT")."""
        if quote == self._quote:
            return
        self._quote = quote
        self._cursor = None
        self._cursor_pinned = False
        if self.is_mounted:
            self.scroll_to(0, 0, animate=False)
        self._apply_quote()

    def set_sort(self, key: SortKey, descending: bool | None = None) -> None:
        if key not in SORT_KEYS:
            raise ValueError(f"unknown sort column {key!r}")
        if descending is None:
            descending = key not in _TEXT_KEYS
        self._sort, self._descending = key, descending
        self._resort()
        self._full_refresh = True  # the header changed even if the order did not
        self._update_title()
        if self.is_mounted:
            self.paint()

    def cycle_sort(self, step: int = 1) -> None:
        """Sort by the next (``step`` > 0) or previous column, in its natural direction."""
        keys = list(SORT_KEYS)
        self.set_sort(keys[(keys.index(self._sort) + step) % len(keys)])

    def reverse_sort(self) -> None:
        self.set_sort(self._sort, not self._descending)

    def refresh_order(self) -> None:
        """Re-sort now (the timer does this ``SORT_HZ`` times a second) and repaint."""
        self._resort()
        if self.is_mounted:
            self.paint()

    def set_threshold(self, threshold: float) -> None:
        """Pump/dump highlight and alert threshold, a fraction (0.05 = 5 %)."""
        self.threshold = threshold

    def select_market(self, symbol: str) -> bool:
        """Put the cursor on ``symbol`` (scrolling it into view); False when not listed
        (or on another venue than the one the scanner lists)."""
        try:
            exchange, symbol = split_ref(symbol, self.home)
        except ValueError:
            return False
        if exchange != self.exchange or symbol not in self._index:
            return False
        self._move_cursor_to(self._index[symbol])
        return True

    def set_symbol(self, symbol: str) -> None:
        """Link-group member protocol: the cursor follows the group's symbol."""
        self.select_market(symbol)

    # -- feed --------------------------------------------------------------------------
    def on_ticker(self, ticker: Ticker) -> None:
        """Feed callback: update the row, note it dirty (alerts are the AlertService's)."""
        market = ticker.symbol
        if market not in self._wanted or ticker.exchange != self.exchange:
            return  # a market of a quote (or a venue) no longer shown
        row = self.model.get(market)
        if row is None or not row.has_data:
            self._resort_soon = True  # a new row: place it at the next paint, not in 1 s
        if not self.model.apply(ticker):
            return
        self._dirty.add(market)

    def _apply_quote(self) -> None:
        wanted = frozenset(self.model.markets(self._quote))
        changed = wanted != self._wanted
        self._wanted = wanted
        self._resort()
        self._update_title()
        if self.is_mounted:
            self.paint()
            if changed:
                self._start_subscribe()

    def _start_subscribe(self) -> None:
        self.run_worker(self._subscribe(), exclusive=True, group="subscribe", exit_on_error=False)

    async def _subscribe(self) -> None:
        symbols = sorted(self._wanted)
        try:
            if symbols:
                await self.client.subscribe_ticker(symbols, self.on_ticker)
            elif self.client.subscriptions:
                await self.client.unsubscribe("ticker")
        except Exception as exc:
            log.exception("scanner: subscribing %d markets failed", len(symbols))
            self.notify(str(exc), title="Scanner subscription failed", severity="error")

    # -- lifecycle -----------------------------------------------------------------------
    def on_mount(self) -> None:
        if self.spike_source is None and isinstance(self.app, HasAlertService):
            self.spike_source = self.app.alert_service
        if self.spike_source is not None:
            self.model.spike_fn = self.spike_source.spike
        self.set_interval(1 / self.REFRESH_HZ, self._tick)
        self._update_title()
        if self._wanted:
            self._start_subscribe()

    async def on_unmount(self) -> None:
        await self.client.cleanup()

    def _tick(self) -> None:
        if not pane_visible(self):
            return  # hidden: keep state only; dirty rows paint when shown again
        now = time.monotonic()
        if self._resort_soon or now - self._last_sort >= 1.0 / self.SORT_HZ:
            self._resort_soon = False
            for market in self.model.refresh_spikes(quote=self._quote):
                self._dirty.add(market)
            self._resort()
        self.paint()

    def paint(self) -> None:
        """Refresh the visible lines whose rows changed (everything after a re-order)."""
        if self._full_refresh:
            self._full_refresh = False
            self._dirty.clear()
            self.refresh()
            return
        if not self._dirty:
            return
        top = self.scroll_offset.y
        height = self.size.height - 1
        width = self.size.width
        index = self._index
        for market in self._dirty:
            i = index.get(market)
            if i is not None and top <= i < top + height:
                self.refresh(Region(0, i - top + 1, width, 1))
        self._dirty.clear()

    def _resort(self) -> None:
        self._last_sort = time.monotonic()
        order = self._filtered(self.model.view(self._sort, self._descending, self._quote))
        if order == self._order:
            return
        count_changed = len(order) != len(self._order)
        self._order = order
        self._index = {m: i for i, m in enumerate(order)}
        if not self._cursor_pinned or self._cursor not in self._index:
            self._cursor = order[0] if order else None
            self._cursor_pinned = False
        self._full_refresh = True
        if count_changed:
            width = self.virtual_size.width or self._content_width
            self.virtual_size = Size(width, len(order) + 1)
            self._update_title()  # the count (a filter lets markets in and out)

    def _base_style(self) -> Style:
        """``rich_style`` walks the DOM on every call: keep it until styles change."""
        if self._base is None:
            self._base = self.rich_style
        return self._base

    def _invalidate(self) -> None:
        self._base = None
        self._style_gen += 1
        self._strips.clear()
        self._header = None
        self._full_refresh = True

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._invalidate()

    def _update_title(self) -> None:
        """Border title: the app's title (default "Scanner"), quote, count, sort."""
        if not self.is_mounted:
            return
        if self._title_prefix is None:
            self._title_prefix = self.border_title or "Scanner"
        arrow = "▼" if self._descending else "▲"
        filters = "" if self._movers == "all" else f" · {self._movers}"
        if self._min_value > 0:
            filters += f" · ≥{format_compact(self._min_value, self._quote)}"
        venue = "" if self.exchange == self.home else f" {venue_name(self.exchange)}"
        self.border_title = (
            f"{self._title_prefix}{venue} {self._quote} · {len(self._order)}"
            f" · {self._sort} {arrow}"
            f"{filters}"
        )

    # -- rendering -----------------------------------------------------------------------
    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        base = self._base_style()
        if y == 0:
            header = self._narrow(self._header_strip())
            return header.crop_extend(scroll_x, scroll_x + width, base)
        index = scroll_y + y - 1
        if index >= len(self._order):
            return Strip.blank(width, base)
        strip, fill = self._row_strip(index, self._order[index])
        return self._narrow(strip).crop_extend(scroll_x, scroll_x + width, fill)

    def _narrow(self, strip: Strip) -> Strip:
        """The row without the columns a narrow pane drops (see ``NARROW_DROPS``)."""
        shown = visible_columns(self.size.width)
        if len(shown) == len(COLUMNS):
            return strip
        return Strip.join(strip.crop(a, b) for a, b in _spans(shown))

    def on_resize(self) -> None:
        # The names widen into the room left of the vertical scrollbar (the market list is
        # longer than the pane: it shows), so the numbers never scroll out of sight.
        columns = columns_for(self.size.width - self.styles.scrollbar_size_vertical)
        if columns != self._columns:  # a resize, never a data update, changes the layout
            self._columns = columns
            self._content_width = sum(c.width for c in columns) + len(columns) - 1
            self._invalidate()
        shown = visible_columns(self.size.width)
        width = sum(columns[i].width + 1 for i in shown) - 1
        if self.virtual_size.width != width:
            self.virtual_size = Size(width, len(self._order) + 1)

    def _header_strip(self) -> Strip:
        key = (self._sort, self._descending, self._style_gen)
        if self._header is not None and self._header[0] == key:
            return self._header[1]
        plain = self.get_component_rich_style("scanner--header")
        sorted_style = self.get_component_rich_style("scanner--header", "scanner--header-sorted")
        segments: list[Segment] = []
        for i, column in enumerate(self._columns):
            title = column.title
            style = plain
            if column.key == self._sort:
                title = f"{title} {'▼' if self._descending else '▲'}"
                style = sorted_style
            if i:
                segments.append(Segment(" ", plain))
            segments.append(Segment(_cell(title, column), style))
        strip = Strip(segments, self._content_width)
        self._header = (key, strip)
        return strip

    def _row_strip(self, index: int, market: str) -> tuple[Strip, Style]:
        row = self.model.get(market)
        assert row is not None
        cursor = market == self._cursor
        hl = highlight(row, self.model.threshold)
        source = self.spike_source
        spiking = (
            source.spiking(market, self.model.clock_ms)
            if source is not None
            else row.spike >= self.spike_threshold
        )
        key = (row.version, index, cursor, hl, spiking, self._style_gen)
        cached = self._strips.get(market)
        if cached is not None and cached[0] == key:
            return cached[1], cached[2]
        strip, fill = self._build_row(index, row, cursor, hl, spiking)
        self._strips[market] = (key, strip, fill)
        return strip, fill

    def _build_row(
        self, index: int, row: ScannerRow, cursor: bool, hl: str | None, spiking: bool
    ) -> tuple[Strip, Style]:
        names: tuple[str, ...] = ()
        if hl is not None:
            names = (f"scanner--{hl}",)
        if cursor:
            names = (*names, "scanner--cursor")
        style: Style = self.get_component_rich_style(*names) if names else self._base_style()
        columns = self._columns
        c_rank, c_market, c_kr, c_en, c_price, c_change, c_value, c_spike = columns
        warned = row.warning or row.market in self._flagged
        market_text = f"{row.market} ⚠" if warned else row.market
        head = " ".join(
            (
                _cell(str(index + 1), c_rank),
                _cell(market_text, c_market),
                _cell(row.korean, c_kr),
                _cell(row.english, c_en),
            )
        )
        if not row.has_data:
            rest = " ".join(_cell("-", c) for c in columns[4:])
            return Strip([Segment(f"{head} {rest}", style)], self._content_width), style
        move = style
        if row.change_rate > 0:
            move = style + self.get_component_rich_style("scanner--rise", partial=True)
        elif row.change_rate < 0:
            move = style + self.get_component_rich_style("scanner--fall", partial=True)
        price = market_price(row.market, row.price, self.exchange, self._ticks.get(row.market, 0.0))
        if len(price) > c_price.width:
            price = format_compact(row.price)
        spike_style = style
        if spiking:
            spike_style = style + self.get_component_rich_style("scanner--spike", partial=True)
        spike = f"{row.spike:.1f}x" if row.spike > 0 else "-"
        segments = [
            Segment(f"{head} ", style),
            Segment(_cell(price, c_price), move),
            Segment(" ", style),
            Segment(_cell(f"{row.change_rate * 100:+.2f}%", c_change), move),
            Segment(" ", style),
            Segment(_cell(format_compact(row.value_24h), c_value), style),
            Segment(" ", style),
            Segment(_cell(spike, c_spike), spike_style),
        ]
        return Strip(segments, self._content_width), style

    # -- cursor and actions --------------------------------------------------------------
    def _move_cursor_to(self, index: int) -> None:
        if not self._order:
            return
        index = max(0, min(index, len(self._order) - 1))
        old = self._cursor
        self._cursor = self._order[index]
        self._cursor_pinned = True
        if old is not None:
            self._dirty.add(old)
        self._dirty.add(self._cursor)
        visible = max(1, self.size.height - 1)
        top = self.scroll_offset.y
        if index < top:
            self.scroll_to(y=index, animate=False)
        elif index >= top + visible:
            self.scroll_to(y=index - visible + 1, animate=False)
        self.paint()

    def action_cursor(self, delta: int) -> None:
        self._move_cursor_to(self.cursor_row + delta)

    def action_page(self, direction: int) -> None:
        self._move_cursor_to(self.cursor_row + direction * max(1, self.size.height - 2))

    def action_cursor_to(self, index: int) -> None:
        self._move_cursor_to(len(self._order) - 1 if index < 0 else index)

    def action_select(self) -> None:
        if self._cursor is not None:
            ref = join_ref(self.exchange, self._cursor, self.home)
            self.post_message(self.MarketSelected(self, ref, self.link_group))

    def action_sort_step(self, step: int = 1) -> None:
        self.cycle_sort(step)

    def action_sort_reverse(self) -> None:
        self.reverse_sort()

    def action_sort_column(self, number: int) -> None:
        key = COLUMNS[number].key
        if key is None:
            return
        if key == self._sort:
            self.set_sort(key, not self._descending)
        else:
            self.set_sort(key)

    # -- filters -----------------------------------------------------------------------
    @property
    def movers(self) -> Movers:
        return self._movers

    @property
    def min_value(self) -> float:
        return self._min_value

    def set_filter(self, *, movers: Movers | None = None, min_value: float | None = None) -> None:
        """Show only gainers or losers (``movers``) and markets that traded at least
        ``min_value`` (in the quote currency) in 24 h; ``"all"`` and 0 show every market."""
        if movers is not None:
            self._movers = movers
        if min_value is not None:
            self._min_value = max(0.0, min_value)
        self._resort()
        self._full_refresh = True
        self._update_title()
        if self.is_mounted:
            self.paint()

    def _filtered(self, order: list[str]) -> list[str]:
        if self._movers == "all" and self._min_value <= 0:
            return order
        rows = self.model
        out = []
        for market in order:
            row = rows.get(market)
            if row is None or not row.has_data or row.value_24h < self._min_value:
                continue
            if self._movers == "gainers" and row.change_rate <= 0:
                continue
            if self._movers == "losers" and row.change_rate >= 0:
                continue
            out.append(market)
        return out

    def action_cycle_movers(self) -> None:
        self.set_filter(movers=MOVERS[(MOVERS.index(self._movers) + 1) % len(MOVERS)])

    def action_cycle_min_value(self) -> None:
        steps = MIN_VALUES.get(self._quote, MIN_VALUES["KRW"])
        later = [v for v in steps if v > self._min_value]
        self.set_filter(min_value=later[0] if later else 0.0)

    def action_cycle_venue(self) -> None:
        """Ask for the next venue's markets (the app loads the list, then ``set_venue``)."""
        venues = known_exchanges()
        position = venues.index(self.exchange) if self.exchange in venues else -1
        self.post_message(self.VenueRequested(self, venues[(position + 1) % len(venues)]))

    def set_venue(self, exchange: str, markets: list[Market]) -> None:
        """List ``exchange``'s markets from now on (its main quote first: KRW on a Korean
        venue, USDT elsewhere); no row of the previous venue stays."""
        if exchange != self.exchange:
            old, self.client = (
                self.client,
                WebSocketClient(self._client_name, exchange=exchange, hub=app_hub(self)),
            )
            retire_client(old, self._retiring)
            self.exchange = exchange
            spike = self.spike_source
            spike_fn = spike.spike if spike is not None and spike.exchange == exchange else None
            self.model = ScannerModel(threshold=self.model.threshold, spike_fn=spike_fn)
            self._flagged.clear()
            self._ticks.clear()
            self._wanted = frozenset()
            self._strips.clear()
            self._dirty.clear()
            self._full_refresh = True
        quotes = {m.quote for m in markets}
        self._quote = next((q for q in MAIN_QUOTES if q in quotes), self._quote)
        self._cursor = None
        self._cursor_pinned = False
        if self.is_mounted:
            self.scroll_to(0, 0, animate=False)
        self.set_markets(markets)

    def action_cycle_quote(self) -> None:
        quotes = self.model.quotes() or list(QUOTES)
        position = quotes.index(self._quote) if self._quote in quotes else -1
        self.set_quote(quotes[(position + 1) % len(quotes)])

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        if offset.y == 0:
            x = offset.x + self.scroll_offset.x
            for i in visible_columns(self.size.width):
                column = self._columns[i]
                if x < column.width + 1:
                    self.action_sort_column(i)
                    return
                x -= column.width + 1
            return
        index = self.scroll_offset.y + offset.y - 1
        if index < len(self._order):
            self._move_cursor_to(index)
            if event.chain >= 2:
                self.action_select()
