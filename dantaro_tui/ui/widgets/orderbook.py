"""OrderBookView: a price ladder with size bars, spread, mid and bid/ask imbalance.

Layout, top to bottom: a header, the asks (best ask just above the spread line), a spread
line (spread, spread in basis points of mid, mid), the bids (best first), and an imbalance
line with the totals of the levels shown (size and value in the quote currency). The
ladder never scrolls: it shows ``depth`` levels a side (15 by default, up to 30 where the
feed gives them), fewer when the pane is too short, so the spread stays in view; a short
pane drops its header line, then folds the imbalance into the spread line, before it shows
fewer than 5 levels a side.

A level line: price (on the market's tick, one tick for the column), size (one number of
decimals for the column), the level's value in the quote currency and the cumulative size
from the best level, as the width allows, then a size bar in the rest of the pane.

Line API with a strip cache: each screen line has a key describing exactly what it shows
(side, price, size, bar length, width); ``render_line`` looks strips up by key, and a paint
refreshes only the lines whose key changed since they were last drawn. A book update that
changes one level costs that line, the deeper lines of its side (their cumulative size) and
the totals line.

Imbalance = (bid size - ask size) / (bid size + ask size) over the levels shown, -1..+1.
Size bars are scaled to the largest level shown on either side.
"""

from __future__ import annotations

from itertools import accumulate
from typing import ClassVar, Literal, NamedTuple, Unpack

from rich.segment import Segment
from rich.style import Style
from textual.cache import LRUCache
from textual.geometry import Region
from textual.strip import Strip

from dantaro_tui.feed.client import WebSocketClient
from dantaro_tui.model import Level, OrderBook
from dantaro_tui.ui.format import (
    column_tick,
    format_compact,
    format_price,
    format_size,
    size_decimals,
)
from dantaro_tui.ui.widgets.base import LivePane, PaneOptions

MAX_DEPTH = 30
MIN_LEVELS = 5  # a short pane drops its header, then folds imbalance into the spread line
_W_VALUE = 8
_FIXED_LINES = 3  # header, spread, imbalance

# Columns of a level line, by priority as the pane narrows: price and size always, then the
# level's value in the quote currency, then the cumulative size from the best level.
# (price width, size width, show value, show cumulative)
Columns = tuple[int, int, bool, bool]

# What one screen line shows, by kind (also the strip cache key); width and style
# generation close every key.
HeaderKey = tuple[Literal["header"], str, Columns, int, int]  # symbol
BlankKey = tuple[Literal["blank"], int, int]
# price, size, cumulative size, tick, size decimals, bar, columns
LevelKey = tuple[Literal["ask", "bid"], float, float, float, float, int, int, Columns, int, int]
# spread, mid, tick, imbalance (folded in when the pane is short)
SpreadKey = tuple[Literal["spread"], float | None, float | None, float, float | None, int, int]
# imbalance, bid total, bid value, ask total, ask value, size decimals
ImbalanceKey = tuple[Literal["imbalance"], float, float, float, float, float, int, int, int]
LineKey = HeaderKey | BlankKey | LevelKey | SpreadKey | ImbalanceKey


class Ladder(NamedTuple):
    """What the levels shown need, computed once per book."""

    asks: tuple[Level, ...]
    bids: tuple[Level, ...]
    tick: float
    size_decimals: int
    biggest: float
    imbalance: float
    ask_cum: tuple[float, ...]
    bid_cum: tuple[float, ...]
    ask_value: float
    bid_value: float


class OrderBookView(LivePane, can_focus=True):
    """Order book of one symbol: ``OrderBookView("KRW-BTC", depth=15)``.

    Feed it with ``on_orderbook(book)`` (the client does, after ``subscribe``).
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "book--header",
        "book--bid",
        "book--ask",
        "book--bid-bar",
        "book--ask-bar",
        "book--spread",
    }
    DEFAULT_CSS = """
    OrderBookView {
        width: 1fr;
        height: 1fr;
        min-width: 32;
    }
    OrderBookView > .book--header { color: $text-muted; text-style: bold; }
    OrderBookView > .book--bid { color: $price-up; }
    OrderBookView > .book--ask { color: $price-down; }
    OrderBookView > .book--bid-bar { background: $price-up 35%; }
    OrderBookView > .book--ask-bar { background: $price-down 35%; }
    OrderBookView > .book--spread { background: $boost; text-style: bold; }
    """
    REFRESH_HZ = 15.0
    TITLE = "Order book"

    def __init__(self, symbol: str, *, depth: int = 15, **options: Unpack[PaneOptions]) -> None:
        super().__init__(symbol, **options)
        if not 1 <= depth <= MAX_DEPTH:
            raise ValueError(f"depth must be 1..{MAX_DEPTH}, not {depth}")
        self.depth = depth
        self.book: OrderBook | None = None
        self._shown: dict[int, LineKey] = {}  # screen line -> key last drawn there
        self._strips: LRUCache[LineKey, Strip] = LRUCache(512)
        self._ladder_cache: tuple[tuple[int, int], Ladder] | None = None
        self._columns_cache: tuple[Ladder, int, Columns] | None = None
        self._style_gen = 0

    # -- feed --------------------------------------------------------------------------
    async def subscribe(self, client: WebSocketClient, symbol: str) -> None:
        await client.subscribe_orderbook([symbol], self.on_orderbook)

    def on_orderbook(self, book: OrderBook) -> None:
        """Feed callback: keep the newest book of the shown symbol, mark dirty."""
        if not self.shows(book):
            return
        self.book = book
        self._ladder_cache = None
        self.mark_dirty()

    def clear_state(self) -> None:
        self.book = None
        self._ladder_cache = None

    # -- derived values ----------------------------------------------------------------
    def _mode(self, height: int | None = None) -> tuple[bool, bool]:
        """(header line shown, imbalance on its own line) for a pane ``height`` lines tall:
        a short pane gives its header, then the imbalance line, to the levels."""
        h = self.size.height if height is None else height
        want = min(self.depth, MIN_LEVELS)
        if (h - _FIXED_LINES) // 2 >= want:
            return True, True
        if (h - _FIXED_LINES + 1) // 2 >= want:
            return False, True
        return False, False

    def levels_shown(self, height: int | None = None) -> int:
        """Levels per side that fit ``height`` lines (the pane's height when None)."""
        h = self.size.height if height is None else height
        header, imbalance_line = self._mode(h)
        fixed = 1 + int(header) + int(imbalance_line)
        available = 0
        if self.book is not None:
            available = max(len(self.book.bids), len(self.book.asks))
        return max(0, min(self.depth, available, (h - fixed) // 2))

    def _ladder(self, n: int) -> Ladder:
        """Everything the ``n`` levels a side shown need (cached per book)."""
        book = self.book
        key = (id(book), n)
        if self._ladder_cache is not None and self._ladder_cache[0] == key:
            return self._ladder_cache[1]
        asks = book.asks[:n] if book else ()
        bids = book.bids[:n] if book else ()
        exchange = book.exchange if book else self.exchange
        prices = [lv.price for lv in (*asks, *bids)]
        tick = column_tick(self.symbol, prices, exchange, self.market_tick())
        biggest = max((lv.size for lv in (*asks, *bids)), default=0.0)
        ask_cum = tuple(accumulate(lv.size for lv in asks))
        bid_cum = tuple(accumulate(lv.size for lv in bids))
        bid_sum = bid_cum[-1] if bid_cum else 0.0
        ask_sum = ask_cum[-1] if ask_cum else 0.0
        total = bid_sum + ask_sum
        imbalance = (bid_sum - ask_sum) / total if total > 0 else 0.0
        result = Ladder(
            asks,
            bids,
            tick,
            size_decimals(max(ask_sum, bid_sum)),
            biggest,
            imbalance,
            ask_cum,
            bid_cum,
            sum(lv.price * lv.size for lv in asks),
            sum(lv.price * lv.size for lv in bids),
        )
        self._ladder_cache = (key, result)
        return result

    def _columns(self, ladder: Ladder, width: int) -> Columns:
        """Column widths for the pane's ``width``: price and size always; value, then
        cumulative size, when they fit with a size bar of at least 4 cells (computed once
        per ladder and width, not per line)."""
        cached = self._columns_cache
        if cached is not None and cached[0] is ladder and cached[1] == width:
            return cached[2]
        columns = self._fit_columns(ladder, width)
        self._columns_cache = (ladder, width, columns)
        return columns

    def _fit_columns(self, ladder: Ladder, width: int) -> Columns:
        prices = [lv.price for lv in (*ladder.asks, *ladder.bids)]
        price_w = max((len(format_price(p, ladder.tick)) for p in prices), default=5)
        top = max((*ladder.ask_cum[-1:], *ladder.bid_cum[-1:]), default=0.0)
        size_w = max(4, len(format_size(top, ladder.size_decimals)))
        price_w, size_w = max(5, price_w) + 1, size_w + 1
        used = price_w + size_w
        show_value = used + _W_VALUE + 1 + 4 <= width
        if show_value:
            used += _W_VALUE + 1
        show_cum = used + size_w + 1 + 4 <= width
        return (price_w, size_w, show_value, show_cum)

    @property
    def spread(self) -> float | None:
        book = self.book
        if book is None or not book.bids or not book.asks:
            return None
        return book.best_ask - book.best_bid

    @property
    def mid(self) -> float | None:
        book = self.book
        if book is None or not book.bids or not book.asks:
            return None
        return (book.best_ask + book.best_bid) / 2.0

    @property
    def imbalance(self) -> float:
        return self._ladder(self.levels_shown()).imbalance

    # -- line keys -----------------------------------------------------------------------
    def line_key(self, y: int) -> LineKey:
        """What screen line ``y`` shows now, as a hashable key (also the strip cache key)."""
        width = self.size.width
        n = self.levels_shown()
        header, imbalance_line = self._mode()
        gen = self._style_gen
        ladder = self._ladder(n)
        columns = self._columns(ladder, width)
        if header:
            if y == 0:
                return ("header", self.symbol, columns, width, gen)
            y -= 1
        if self.book is None:
            return ("blank", width, gen)
        price_w, size_w, show_value, show_cum = columns
        used = price_w + size_w + (_W_VALUE + 1 if show_value else 0)
        used += size_w + 1 if show_cum else 0
        bar_width = max(0, width - used - 1)
        if 0 <= y < n:  # asks, worst at the top, best just above the spread
            i = n - 1 - y
            if i >= len(ladder.asks):
                return ("blank", width, gen)
            lv = ladder.asks[i]
            bar = _bar(lv.size, ladder.biggest, bar_width)
            cum = ladder.ask_cum[i]
            return ("ask", lv.price, lv.size, cum, ladder.tick, ladder.size_decimals, bar,
                    columns, width, gen)  # fmt: skip
        if y == n:
            folded = None if imbalance_line else round(ladder.imbalance, 3)
            return ("spread", self.spread, self.mid, ladder.tick, folded, width, gen)
        if n + 1 <= y <= 2 * n:
            i = y - n - 1
            if i >= len(ladder.bids):
                return ("blank", width, gen)
            lv = ladder.bids[i]
            bar = _bar(lv.size, ladder.biggest, bar_width)
            cum = ladder.bid_cum[i]
            return ("bid", lv.price, lv.size, cum, ladder.tick, ladder.size_decimals, bar,
                    columns, width, gen)  # fmt: skip
        if y == 2 * n + 1 and imbalance_line:
            return (
                "imbalance",
                round(ladder.imbalance, 3),
                ladder.bid_cum[-1] if ladder.bid_cum else 0.0,
                ladder.bid_value,
                ladder.ask_cum[-1] if ladder.ask_cum else 0.0,
                ladder.ask_value,
                ladder.size_decimals,
                width,
                gen,
            )
        return ("blank", width, gen)

    # -- paint ---------------------------------------------------------------------------
    def paint(self) -> None:
        """Refresh the lines whose content changed since they were drawn."""
        width = self.size.width
        shown = self._shown
        for y in range(self.size.height):
            if shown.get(y) != self.line_key(y):
                self.refresh(Region(0, y, width, 1))

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._style_gen += 1
        self._strips.clear()

    def render_line(self, y: int) -> Strip:
        key = self.line_key(y)
        self._shown[y] = key
        strip = self._strips.get(key)
        if strip is None:
            strip = self._build(key)
            self._strips[key] = strip
        return strip

    def _build(self, key: LineKey) -> Strip:
        # Test key[0] itself (not a copy of it) so the type checker narrows ``key``'s kind.
        base = self._base_style()
        width = self.size.width
        if key[0] == "header":
            price_w, size_w, show_value, show_cum = key[2]
            style = self.get_component_rich_style("book--header")
            text = f"{'Price':>{price_w}} {'Size':>{size_w}}"
            if show_value:
                text += f" {self._quote:>{_W_VALUE}}"
            if show_cum:
                text += f" {'Cum':>{size_w}}"
            text += f" {self.symbol}"
            return Strip([Segment(text, style)]).crop_extend(0, width, style)
        if key[0] in ("ask", "bid"):
            _, price, size, cum, tick, decimals, bar, columns, *_ = key
            price_w, size_w, show_value, show_cum = columns
            side = "book--ask" if key[0] == "ask" else "book--bid"
            text_style = self.get_component_rich_style(side)
            bar_style = self.get_component_rich_style(f"{side}-bar")
            cells = (
                f"{format_price(price, tick):>{price_w}} "
                f"{format_size(size, decimals, size_w):>{size_w}}"
            )
            if show_value:
                cells += f" {format_compact(price * size):>{_W_VALUE}}"
            if show_cum:
                cells += f" {format_size(cum, decimals, size_w):>{size_w}}"
            segments = [Segment(cells + " ", text_style), Segment(" " * bar, bar_style)]
            return Strip(segments).crop_extend(0, width, base)
        if key[0] == "spread":
            _, spread, mid, tick, folded, *_ = key
            style = self.get_component_rich_style("book--spread")
            if spread is None or mid is None:
                text = "  spread -"
            else:
                bps = spread / mid * 1e4 if mid else 0.0
                # Whole fields while they fit, never a number cut in two.
                text = f"  spread {format_price(spread, tick)}"
                fields = [f" ({bps:.1f}bp)", f"  mid {format_price(mid, tick / 2)}"]
                if folded is not None:
                    fields.insert(1, f"  imb {folded * 100:+.1f}%")
                for field in fields:
                    if len(text) + len(field) <= width:
                        text += field
            return Strip([Segment(text, style)]).crop_extend(0, width, style)
        if key[0] == "imbalance":
            return self._imbalance_strip(key, width, base)
        return Strip.blank(width, base)

    @property
    def _quote(self) -> str:
        book = self.book
        if book is not None and book.quote:
            return book.quote
        return self.symbol.partition("-")[0] if self.exchange == "upbit" else "Value"

    def _imbalance_strip(self, key: ImbalanceKey, width: int, base: Style) -> Strip:
        _, imbalance, bid_total, bid_value, ask_total, ask_value, decimals, *_ = key
        label = f"  imbalance {imbalance * 100:+.1f}% "
        # Totals of the levels shown, whole fields while they fit; a bar in what is left.
        totals = ""
        for field in (
            f" bids {format_size(bid_total, decimals)}",
            f" · {format_compact(bid_value)}",
            f"  asks {format_size(ask_total, decimals)}",
            f" · {format_compact(ask_value)}",
        ):
            if len(label) + len(totals) + len(field) <= width:
                totals += field
            else:
                break
        bar_width = max(0, width - len(label) - len(totals) - 1)
        if bar_width < 6:  # no room for a readable bar: the totals matter more
            bar_width = 0
        bid_cells = round((imbalance + 1.0) / 2.0 * bar_width)
        segments = [
            Segment(label, base),
            Segment(" " * bid_cells, self.get_component_rich_style("book--bid-bar")),
            Segment(" " * (bar_width - bid_cells), self.get_component_rich_style("book--ask-bar")),
            Segment(totals, base),
        ]
        return Strip(segments).crop_extend(0, width, base)


def _bar(size: float, biggest: float, width: int) -> int:
    if biggest <= 0.0 or width <= 0:
        return 0
    return max(1 if size > 0 else 0, round(size / biggest * width))
