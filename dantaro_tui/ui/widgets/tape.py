"""TradeTape: the newest trades first, coloured by taker side, large trades highlighted.

Line API: one cached ``Strip`` per trade (keyed by the trade's sequence number in the
tape), a fixed header line, a bounded ring buffer. A new trade shifts every row down, so
a paint refreshes the whole pane, but only the new trades' strips are built; the rest are
cache hits. When the user has scrolled down, the view stays on the same trades.

A trade is *large* when its notional (price x size) is at least ``large_factor`` times the
median notional of the last ``LARGE_SAMPLE`` trades (once ``min_samples`` trades are
known), or at least ``large_notional`` when that is set (> 0). A trade's class is decided
once, when it arrives.
"""

from __future__ import annotations

import time
from collections import deque
from statistics import median
from typing import ClassVar, Unpack

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from dantaro_tui.feed.client import WebSocketClient
from dantaro_tui.model import Trade
from dantaro_tui.ui.format import (
    format_compact,
    format_size,
    lot_decimals,
    market_price,
    tick_decimals,
)
from dantaro_tui.ui.widgets.base import LivePane, PaneOptions

_W_TIME, _W_SIDE, _W_PRICE, _W_SIZE, _W_VALUE = 8, 1, 14, 12, 8
CONTENT_WIDTH = _W_TIME + _W_SIDE + _W_PRICE + _W_SIZE + _W_VALUE + 4


_NARROW = CONTENT_WIDTH - _W_VALUE - 1  # no value column
_NARROWEST = _NARROW - _W_TIME - 1  # no time either


def _columns(width: int) -> tuple[bool, bool]:
    """(time shown, value shown) in a pane ``width`` cells wide: a narrow tape drops the
    value column, then the time, rather than cut a size in two."""
    if width >= CONTENT_WIDTH or width <= 0:
        return True, True
    return width >= _NARROW, False


def _join(time: str, body: str, value: str, columns: tuple[bool, bool]) -> str:
    show_time, show_value = columns
    text = f"{time} {body}" if show_time else body
    return f"{text} {value}" if show_value else text


def _header_text(quote: str, columns: tuple[bool, bool] = (True, True)) -> str:
    return _join(
        f"{'Time':<{_W_TIME}}",
        f"{'':{_W_SIDE}} {'Price':>{_W_PRICE}} {'Size':>{_W_SIZE}}",
        f"{quote or 'Value':>{_W_VALUE}}",
        columns,
    )


_CHUNK = 64  # the virtual height grows in steps: no layout per trade


class _Row:
    __slots__ = ("large", "seq", "trade")

    def __init__(self, seq: int, trade: Trade, large: bool) -> None:
        self.seq = seq
        self.trade = trade
        self.large = large


class TradeTape(LivePane, ScrollView, can_focus=True):
    """Trade tape of one symbol.

    ``TradeTape("KRW-BTC", capacity=500, large_factor=5.0, large_notional=0.0)``;
    feed it with ``on_trade(trade)`` (the client does, after ``subscribe``).
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "tape--header",
        "tape--buy",
        "tape--sell",
        "tape--large",
    }
    DEFAULT_CSS = """
    TradeTape {
        width: 1fr;
        height: 1fr;
        min-width: 24;
        overflow-x: hidden;
        overflow-y: auto;
        scrollbar-size-vertical: 1;
    }
    TradeTape > .tape--header { color: $text-muted; text-style: bold; }
    TradeTape > .tape--buy { color: $price-up; }
    TradeTape > .tape--sell { color: $price-down; }
    TradeTape > .tape--large { background: $warning 25%; text-style: bold; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("home", "scroll_home", "Newest", show=False),
    ]
    REFRESH_HZ = 15.0
    TITLE = "Trades"
    LARGE_SAMPLE = 200

    def __init__(
        self,
        symbol: str,
        *,
        capacity: int = 500,
        large_factor: float = 5.0,
        large_notional: float = 0.0,
        min_samples: int = 20,
        **options: Unpack[PaneOptions],
    ) -> None:
        super().__init__(symbol, **options)
        self.capacity = max(1, capacity)
        self.large_factor = large_factor
        self.large_notional = large_notional
        self.min_samples = min_samples
        self._rows: deque[_Row] = deque()
        self._ids: set[str] = set()
        self._recent: deque[float] = deque(maxlen=self.LARGE_SAMPLE)
        self._median = 0.0
        self._median_age = 0
        self._seq = 0
        self._added = 0
        self._strips: dict[int, tuple[Strip, Style]] = {}  # seq -> (strip, fill style)
        self._header: Strip | None = None
        self._lot: int | None = None  # size decimals, from the first trade of the symbol
        self._cols = (True, True)  # (time, value) columns shown at the pane's width

    # -- feed --------------------------------------------------------------------------
    async def subscribe(self, client: WebSocketClient, symbol: str) -> None:
        await client.subscribe_trade([symbol], self.on_trade)

    def on_trade(self, trade: Trade) -> None:
        """Feed callback: store the trade, mark dirty. Other symbols and repeats are dropped."""
        if not self.shows(trade) or (trade.trade_id and trade.trade_id in self._ids):
            return
        notional = trade.price * trade.volume
        large = self._is_large(notional)
        self._recent.append(notional)
        self._median_age += 1
        self._seq += 1
        self._rows.append(_Row(self._seq, trade, large))
        if trade.trade_id:
            self._ids.add(trade.trade_id)
        while len(self._rows) > self.capacity:
            old = self._rows.popleft()
            self._ids.discard(old.trade.trade_id)
            self._strips.pop(old.seq, None)
        self._added += 1
        if len(self._rows) == 1:
            self._header = None  # the header names the quote currency
        self.mark_dirty()

    def _is_large(self, notional: float) -> bool:
        if self.large_notional > 0.0 and notional >= self.large_notional:
            return True
        if len(self._recent) < self.min_samples or self.large_factor <= 0.0:
            return False
        if self._median_age >= 25 or self._median <= 0.0:
            self._median = median(self._recent)
            self._median_age = 0
        return self._median > 0.0 and notional >= self.large_factor * self._median

    @property
    def trades(self) -> list[Trade]:
        """The trades held, newest first."""
        return [row.trade for row in reversed(self._rows)]

    def is_large(self, index: int) -> bool:
        """Is the ``index``-th newest trade highlighted as large?"""
        return self._rows[len(self._rows) - 1 - index].large

    def clear_state(self) -> None:
        self._rows.clear()
        self._ids.clear()
        self._recent.clear()
        self._median = 0.0
        self._median_age = 0
        self._strips.clear()
        self._header = None
        self._lot = None
        self._added = 0
        if self.is_mounted:
            self.scroll_to(y=0, animate=False, immediate=True)

    # -- paint ---------------------------------------------------------------------------
    def paint(self) -> None:
        added, self._added = self._added, 0
        self._update_virtual_size()
        if added and self.scroll_offset.y > 0:  # keep the trades the user is reading in view
            self.scroll_to(y=self.scroll_offset.y + added, animate=False, immediate=True)
        self.refresh()

    def on_resize(self) -> None:
        cols = _columns(self.size.width)
        if cols != self._cols:
            self._cols = cols
            self._strips.clear()
            self._header = None
            self.refresh()

    def _update_virtual_size(self) -> None:
        rows = len(self._rows)
        height = rows if rows >= self.capacity else min(self.capacity, -(-rows // _CHUNK) * _CHUNK)
        size = Size(CONTENT_WIDTH, height + 1)
        if size != self.virtual_size:
            self.virtual_size = size

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()
        self._header = None

    def _row_strip(self, row: _Row) -> tuple[Strip, Style]:
        cached = self._strips.get(row.seq)
        if cached is not None:
            return cached
        trade = row.trade
        buy = trade.side == "buy"
        names = ("tape--buy", "tape--large") if row.large else ("tape--buy",)
        if not buy:
            names = ("tape--sell", "tape--large") if row.large else ("tape--sell",)
        style = self.get_component_rich_style(*names)
        stamp = time.strftime("%H:%M:%S", time.localtime(trade.timestamp / 1000.0))
        market = self._market_info()
        tick = market.tick if market is not None else 0.0
        if self._lot is None:  # one number of decimals for the whole column
            lot = market.lot if market is not None else 0.0
            self._lot = tick_decimals(lot) if lot > 0 else lot_decimals(trade.price, trade.quote)
        text = _join(
            f"{stamp:<{_W_TIME}}",
            f"{'B' if buy else 'S'} "
            f"{market_price(trade.symbol, trade.price, trade.exchange, tick):>{_W_PRICE}} "
            f"{format_size(trade.volume, self._lot, _W_SIZE):>{_W_SIZE}}",
            f"{format_compact(trade.price * trade.volume):>{_W_VALUE}}",
            self._cols,
        )
        cached = (Strip([Segment(text, style)], len(text)), style)
        self._strips[row.seq] = cached
        return cached

    def _header_strip(self) -> Strip:
        if self._header is None:
            style = self.get_component_rich_style("tape--header")
            quote = self._rows[-1].trade.quote if self._rows else ""
            text = _header_text(quote, self._cols)
            self._header = Strip([Segment(text, style)], len(text))
        return self._header

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        base = self._base_style()
        if y == 0:
            return self._header_strip().crop_extend(0, width, base)
        index = self.scroll_offset.y + y - 1
        rows = self._rows
        if index >= len(rows):
            return Strip.blank(width, base)
        strip, fill = self._row_strip(rows[len(rows) - 1 - index])
        return strip.crop_extend(0, width, fill)
