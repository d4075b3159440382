"""OrderBookView: a price ladder with size bars, spread, mid and bid/ask imbalance.

Layout, top to bottom: a header, the asks (best ask just above the spread line), a spread
line (spread, spread in basis points of mid, mid), the bids (best first), and an imbalance
line. The ladder never scrolls: it shows ``depth`` levels a side (15 by default, up to 30
where the feed gives them), fewer when the pane is too short, so the spread stays in view.

Line API with a strip cache: each screen line has a key describing exactly what it shows
(side, price, size, bar length, width); ``render_line`` looks strips up by key, and a paint
refreshes only the lines whose key changed since they were last drawn. A book update that
moves two levels costs two lines.

Imbalance = (bid size - ask size) / (bid size + ask size) over the levels shown, -1..+1.
Size bars are scaled to the largest level shown on either side.
"""

from __future__ import annotations

from typing import ClassVar, Literal, Unpack

from rich.segment import Segment
from rich.style import Style
from textual.cache import LRUCache
from textual.geometry import Region
from textual.strip import Strip

from dantaro_tui.feed.client import WebSocketClient
from dantaro_tui.model import Level, OrderBook
from dantaro_tui.ui.widgets.base import (
    LivePane,
    PaneOptions,
    decimals_for,
    format_price,
    format_size,
)

MAX_DEPTH = 30
_W_PRICE, _W_SIZE = 14, 12
_FIXED_LINES = 3  # header, spread, imbalance

# What one screen line shows, by kind (also the strip cache key); width and style
# generation close every key.
HeaderKey = tuple[Literal["header"], str, int, int]  # symbol
BlankKey = tuple[Literal["blank"], int, int]
LevelKey = tuple[Literal["ask", "bid"], float, float, int, int, int, int]  # price, size, dec, bar
SpreadKey = tuple[Literal["spread"], float | None, float | None, int, int, int]  # spread, mid, dec
ImbalanceKey = tuple[Literal["imbalance"], float, int, int]
LineKey = HeaderKey | BlankKey | LevelKey | SpreadKey | ImbalanceKey


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

    def __init__(self, symbol: str, *, depth: int = 15, **options: Unpack[PaneOptions]) -> None:
        super().__init__(symbol, **options)
        if not 1 <= depth <= MAX_DEPTH:
            raise ValueError(f"depth must be 1..{MAX_DEPTH}, not {depth}")
        self.depth = depth
        self.book: OrderBook | None = None
        self._shown: dict[int, LineKey] = {}  # screen line -> key last drawn there
        self._strips: LRUCache[LineKey, Strip] = LRUCache(512)
        self._ladder_cache: tuple[object, ...] | None = None
        self._style_gen = 0

    # -- feed --------------------------------------------------------------------------
    async def subscribe(self, client: WebSocketClient, symbol: str) -> None:
        await client.subscribe_orderbook([symbol], self.on_orderbook)

    def on_orderbook(self, book: OrderBook) -> None:
        """Feed callback: keep the newest book of the shown symbol, mark dirty."""
        if book.symbol != self.symbol:
            return
        self.book = book
        self._ladder_cache = None
        self.mark_dirty()

    def clear_state(self) -> None:
        self.book = None
        self._ladder_cache = None

    # -- derived values ----------------------------------------------------------------
    def levels_shown(self, height: int | None = None) -> int:
        """Levels per side that fit ``height`` lines (the pane's height when None)."""
        h = self.size.height if height is None else height
        available = 0
        if self.book is not None:
            available = max(len(self.book.bids), len(self.book.asks))
        return max(0, min(self.depth, available, (h - _FIXED_LINES) // 2))

    def _ladder(self, n: int) -> tuple[tuple[Level, ...], tuple[Level, ...], int, float, float]:
        """(asks, bids, price decimals, largest size, imbalance) over ``n`` levels a side."""
        book = self.book
        key = (id(book), n)
        if self._ladder_cache is not None and self._ladder_cache[0] == key:
            return self._ladder_cache[1]  # type: ignore[return-value]
        asks = book.asks[:n] if book else ()
        bids = book.bids[:n] if book else ()
        decimals = max((decimals_for(lv.price) for lv in (*asks, *bids)), default=0)
        biggest = max((lv.size for lv in (*asks, *bids)), default=0.0)
        bid_sum = sum(lv.size for lv in bids)
        ask_sum = sum(lv.size for lv in asks)
        total = bid_sum + ask_sum
        imbalance = (bid_sum - ask_sum) / total if total > 0 else 0.0
        result = (asks, bids, decimals, biggest, imbalance)
        self._ladder_cache = (key, result)
        return result

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
        return self._ladder(self.levels_shown())[4]

    # -- line keys -----------------------------------------------------------------------
    def line_key(self, y: int) -> LineKey:
        """What screen line ``y`` shows now, as a hashable key (also the strip cache key)."""
        width = self.size.width
        n = self.levels_shown()
        gen = self._style_gen
        if y == 0:
            return ("header", self.symbol, width, gen)
        if self.book is None:
            return ("blank", width, gen)
        asks, bids, decimals, biggest, imbalance = self._ladder(n)
        bar_width = max(0, width - _W_PRICE - _W_SIZE - 2)
        if 1 <= y <= n:  # asks, worst at the top, best just above the spread
            i = n - y
            if i >= len(asks):
                return ("blank", width, gen)
            lv = asks[i]
            bar = _bar(lv.size, biggest, bar_width)
            return ("ask", lv.price, lv.size, decimals, bar, width, gen)
        if y == n + 1:
            return ("spread", self.spread, self.mid, decimals, width, gen)
        if n + 2 <= y <= 2 * n + 1:
            i = y - n - 2
            if i >= len(bids):
                return ("blank", width, gen)
            lv = bids[i]
            bar = _bar(lv.size, biggest, bar_width)
            return ("bid", lv.price, lv.size, decimals, bar, width, gen)
        if y == 2 * n + 2:
            return ("imbalance", round(imbalance, 3), width, gen)
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
            style = self.get_component_rich_style("book--header")
            text = f"{'Price':>{_W_PRICE}} {'Size':>{_W_SIZE}} {self.symbol}"
            return Strip([Segment(text, style)]).crop_extend(0, width, style)
        if key[0] in ("ask", "bid"):
            _, price, size, decimals, bar, *_ = key
            side = "book--ask" if key[0] == "ask" else "book--bid"
            text_style = self.get_component_rich_style(side)
            bar_style = self.get_component_rich_style(f"{side}-bar")
            cells = (
                f"{format_price(price, decimals):>{_W_PRICE}} "
                f"{format_size(size, _W_SIZE):>{_W_SIZE}} "
            )
            segments = [Segment(cells, text_style), Segment(" " * bar, bar_style)]
            return Strip(segments).crop_extend(0, width, base)
        if key[0] == "spread":
            _, spread, mid, decimals, *_ = key
            style = self.get_component_rich_style("book--spread")
            if spread is None or mid is None:
                text = "  spread -"
            else:
                bps = spread / mid * 1e4 if mid else 0.0
                mid_decimals = decimals + 1 if decimals_for(mid) > decimals else decimals
                text = (
                    f"  spread {format_price(spread, decimals)} ({bps:.1f}bp)"
                    f"  mid {format_price(mid, mid_decimals)}"
                )
            return Strip([Segment(text, style)]).crop_extend(0, width, style)
        if key[0] == "imbalance":
            imbalance = key[1]
            return self._imbalance_strip(imbalance, width, base)
        return Strip.blank(width, base)

    def _imbalance_strip(self, imbalance: float, width: int, base: Style) -> Strip:
        label = f"  imbalance {imbalance * 100:+.1f}% "
        bar_width = max(0, width - len(label) - 1)
        bid_cells = round((imbalance + 1.0) / 2.0 * bar_width)
        segments = [
            Segment(label, base),
            Segment(" " * bid_cells, self.get_component_rich_style("book--bid-bar")),
            Segment(" " * (bar_width - bid_cells), self.get_component_rich_style("book--ask-bar")),
        ]
        return Strip(segments).crop_extend(0, width, base)


def _bar(size: float, biggest: float, width: int) -> int:
    if biggest <= 0.0 or width <= 0:
        return 0
    return max(1 if size > 0 else 0, round(size / biggest * width))
