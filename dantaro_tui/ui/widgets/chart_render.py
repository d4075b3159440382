"""Draws one chart (header, candles, overlays, volume, time axis) as a list of ``Strip``s.

No Textual widget here: ``render_chart(frame, width, height, style, base)`` is a pure
function of what the chart shows (``ChartFrame``) and a style lookup, so it is tested and
benchmarked on its own.

Drawn with the Line API rather than plotext: plotext took ~136 ms to build one 120-candle
chart with volume at 80x22 (four charts at 2 Hz would use a whole core), it draws at
whole-cell resolution, and its colours are not the theme's. Here a repaint is a few
thousand cell decisions (~1-3 ms), candles use half-cell vertical resolution with the
box-drawing set (┃ ╹ ╻ ╿ ╽ │ ╵ ╷), volume bars use eighth blocks.

Numbers: prices on the market's tick (``ui.format``), the axis labels rounded to it; the
volume axis says its unit (the base currency); header fields are added whole, in order of
importance, while they fit: a field is never cut in the middle of a number.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import NamedTuple

from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from dantaro_tui.intervals import INTERVAL_MS
from dantaro_tui.model import Market, Ticker
from dantaro_tui.ui.format import column_tick, format_compact, format_price, price_tick
from dantaro_tui.ui.widgets.candles import Bar

StyleOf = Callable[[str], Style]

# (upper half, lower half) -> glyph; 0 nothing, 1 wick, 2 body.
_GLYPH = {
    (0, 0): " ",
    (2, 2): "┃",
    (2, 1): "╿",
    (1, 2): "╽",
    (2, 0): "╹",
    (0, 2): "╻",
    (1, 1): "│",
    (1, 0): "╵",
    (0, 1): "╷",
}
_EIGHTHS = " ▁▂▃▄▅▆▇█"


class ChartFrame(NamedTuple):
    """Everything one picture of a chart depends on."""

    symbol: str
    exchange: str
    interval: str
    bars: list[Bar]
    last_price: float
    ticker: Ticker | None
    notice: str
    vwap: bool
    bollinger: bool
    lines: dict[str, list[float]]  # overlays over the bars shown (see ``shown_bars``)
    market: Market | None = None  # the venue's word on the market: names, tick

    @property
    def base_currency(self) -> str:
        if self.ticker is not None and self.ticker.base:
            return self.ticker.base
        if self.market is not None:
            return self.market.base
        quote, _, base = self.symbol.partition("-")
        return base if self.exchange == "upbit" else quote

    @property
    def quote_currency(self) -> str:
        if self.ticker is not None and self.ticker.quote:
            return self.ticker.quote
        if self.market is not None:
            return self.market.quote
        quote, _, base = self.symbol.partition("-")
        return quote if self.exchange == "upbit" else base

    def tick(self, ref: float) -> float:
        return price_tick(self.symbol, ref, self.exchange, self.market_tick)

    @property
    def market_tick(self) -> float:
        return self.market.tick if self.market is not None else 0.0


def _strip(segments: list[Segment], width: int, base: Style) -> Strip:
    """One row: the widget's colours under every cell, cropped or padded to ``width``."""
    line = Segment.adjust_line_length(list(Segment.apply_style(segments, base)), width, base)
    return Strip(line, width)


def layout(frame: ChartFrame, width: int) -> tuple[int, int]:
    """(price label width, plot width) for a chart ``width`` cells wide."""
    bars = frame.bars
    label_w = 0
    if bars:
        ref = max(b.h for b in bars[-width:])
        tick = frame.tick(ref)
        label_w = max(
            len(format_price(ref, tick)), len(format_price(frame.last_price or ref, tick))
        )
        label_w = min(label_w + 2, max(0, width // 3))
    return label_w, max(1, width - label_w)


def shown_bars(frame: ChartFrame, width: int) -> list[Bar]:
    """The newest candles that fit the plot of a chart ``width`` cells wide."""
    return frame.bars[-layout(frame, width)[1] :]


def render_chart(
    frame: ChartFrame, width: int, height: int, style: StyleOf, base: Style
) -> list[Strip]:
    if width <= 0 or height <= 0:
        return []
    rows: list[list[Segment]] = [header(frame, width, style)]
    body_h = height - 1
    if body_h <= 0:
        return [_strip(r, width, base) for r in rows]
    label_w, plot_w = layout(frame, width)
    shown = frame.bars[-plot_w:]
    time_row = body_h >= 12
    vol_h = max(1, body_h // 5) if body_h >= 6 else 0
    price_h = body_h - vol_h - (1 if time_row else 0)
    if not shown or price_h < 2:
        text = frame.notice or "waiting for data…"
        blank = [Segment(" " * width)]
        mid = body_h // 2
        for i in range(body_h):
            if i == mid:
                pad = max(0, (width - len(text)) // 2)
                rows.append([Segment(" " * pad), Segment(text[:width], style("notice"))])
            else:
                rows.append(list(blank))
        return [_strip(r, width, base) for r in rows]
    rows.extend(_plot(frame, shown, plot_w, label_w, price_h, style))
    if vol_h:
        rows.extend(_volume(frame, shown, plot_w, label_w, vol_h, style))
    if time_row:
        rows.append(_times(frame, shown, plot_w, style))
    return [_strip(r, width, base) for r in rows]


def header_fields(frame: ChartFrame) -> list[tuple[str, str]]:
    """The header's fields, most important first, as (text, style key)."""
    price = frame.last_price
    fields: list[tuple[str, str]] = []
    tk = frame.ticker
    if not price:
        fields.append((f" {frame.notice or 'waiting for data…'}", "axis"))
    else:
        ref = frame.bars[-1].h if frame.bars else price
        tick = frame.tick(ref)
        fields.append((" " + format_price(price, tick), "bold"))
        if tk is not None:
            rate = tk.change_rate * 100
            key = "up" if rate > 0 else "down" if rate < 0 else "text"
            arrow = "▲" if rate > 0 else "▼" if rate < 0 else " "
            fields.append((f" {arrow}{rate:+.2f}%", key))
    if frame.vwap:
        fields.append(("  VWAP▁▔", "vwap"))
    if frame.bollinger:
        fields.append(("  BB˙.", "bb"))
    if not price:
        return fields
    if frame.notice:
        fields.append((f"  {frame.notice}", "notice"))
    if tk is not None:
        if tk.high_price > 0 and tk.low_price > 0:
            day_tick = column_tick(frame.symbol, [tk.high_price], frame.exchange, frame.market_tick)
            fields.append(
                (
                    f"  24h H {format_price(tk.high_price, day_tick)}"
                    f" L {format_price(tk.low_price, day_tick)}",
                    "axis",
                )
            )
        turnover = format_compact(tk.acc_trade_price_24h, frame.quote_currency)
        fields.append((f"  Vol {turnover}", "axis"))
    if frame.bars:
        b = frame.bars[-1]
        tick = frame.tick(b.h)
        fields.append(
            (
                f"  O {format_price(b.o, tick)} H {format_price(b.h, tick)}"
                f" L {format_price(b.l, tick)} C {format_price(b.c, tick)}"
                f" V {format_compact(b.v, frame.base_currency)}",
                "axis",
            )
        )
    return fields


def header(frame: ChartFrame, width: int, style: StyleOf) -> list[Segment]:
    """Whole fields while they fit, in order of importance (so every chart of a grid shows
    the same ones): never a number cut in two."""
    segs: list[Segment] = []
    used = 0
    for i, (text, key) in enumerate(header_fields(frame)):
        if used + len(text) > width:
            if i == 0:  # the price itself: show what fits rather than nothing
                segs.append(Segment(text[:width], style(key)))
            break
        segs.append(Segment(text, style(key)))
        used += len(text)
    return list(Segment.adjust_line_length(segs, width))


def _plot(
    frame: ChartFrame,
    shown: list[Bar],
    plot_w: int,
    label_w: int,
    price_h: int,
    style: StyleOf,
) -> list[list[Segment]]:
    lines = frame.lines
    last_price = frame.last_price
    lo = min(b.l for b in shown)
    hi = max(b.h for b in shown)
    for series in lines.values():
        finite = [x for x in series if x == x]
        if finite:
            lo = min(lo, min(finite))
            hi = max(hi, max(finite))
    if last_price:
        lo = min(lo, last_price)
        hi = max(hi, last_price)
    if hi <= lo:
        pad = abs(hi) * 0.001 or 1.0
        hi, lo = hi + pad, lo - pad
    halves = price_h * 2
    span = hi - lo
    tick = frame.tick(hi)

    def half(price: float) -> int:
        # 0 = bottom half-row, halves-1 = top
        q = int((price - lo) / span * halves)
        return min(halves - 1, max(0, q))

    offset = plot_w - len(shown)  # right-align: newest candle at the right edge
    # grid[row][col] = (char, style key); row 0 is the top
    chars = [[" "] * plot_w for _ in range(price_h)]
    keys: list[list[str | None]] = [[None] * plot_w for _ in range(price_h)]
    last_row = price_h - 1 - half(last_price) // 2 if last_price else -1
    if 0 <= last_row < price_h:
        for x in range(plot_w):
            chars[last_row][x] = "┈"
            keys[last_row][x] = "grid"
    for name, series in lines.items():
        glyph_key = "vwap" if name == "vwap" else "bb"
        for i, value in enumerate(series):
            if value != value or not 0 <= offset + i < plot_w:  # NaN, or not shown
                continue
            h = half(value)
            row = price_h - 1 - h // 2
            glyph = ("▔" if h % 2 else "▁") if name == "vwap" else ("˙" if h % 2 else ".")
            chars[row][offset + i] = glyph
            keys[row][offset + i] = glyph_key
    for i, b in enumerate(shown):
        x = offset + i
        key = "up" if b.c >= b.o else "down"
        body_lo, body_hi = half(min(b.o, b.c)), half(max(b.o, b.c))
        wick_lo, wick_hi = half(b.l), half(b.h)
        for row in range(price_h):
            lower = (price_h - 1 - row) * 2
            upper = lower + 1
            u = 2 if body_lo <= upper <= body_hi else 1 if wick_lo <= upper <= wick_hi else 0
            d = 2 if body_lo <= lower <= body_hi else 1 if wick_lo <= lower <= wick_hi else 0
            if u or d:
                chars[row][x] = _GLYPH[(u, d)]
                keys[row][x] = key
    # right axis labels: every ~4 rows (on the tick), and the last price marked
    labels: dict[int, tuple[str, str]] = {}
    step = 4 if price_h >= 8 else 2
    for row in range(0, price_h, step):
        price = lo + (price_h - row - 0.5) / price_h * span
        labels[row] = (" " + format_price(price, tick, snap=True), "axis")
    if 0 <= last_row < price_h:
        for near in (last_row - 1, last_row + 1):
            labels.pop(near, None)
        up = shown[-1].c >= shown[-1].o
        labels[last_row] = (
            "◀" + format_price(last_price, tick),
            "mark-up" if up else "mark-down",
        )
    out: list[list[Segment]] = []
    for row in range(price_h):
        out.append(_runs(chars[row], keys[row], style) + _label(labels.get(row), label_w, style))
    return out


def _label(label: tuple[str, str] | None, label_w: int, style: StyleOf) -> list[Segment]:
    if label_w <= 0:
        return []
    if label is None:
        return [Segment(" " * label_w)]
    text, key = label
    if len(text) > label_w:  # too narrow for the whole number: a shorter form, not half
        number = _number(text[1:])
        shorter = [format_compact(number), f"{number:.0f}"] if number == number else []
        text = next((text[0] + s for s in shorter if len(s) < label_w), "")
    return [Segment(text, style(key)), Segment(" " * (label_w - len(text)))]


def _number(text: str) -> float:
    try:
        return float(text.replace(",", ""))
    except ValueError:
        return float("nan")


def _runs(chars: list[str], keys: list[str | None], style: StyleOf) -> list[Segment]:
    segs: list[Segment] = []
    start = 0
    n = len(chars)
    while start < n:
        key = keys[start]
        end = start + 1
        while end < n and keys[end] == key:
            end += 1
        text = "".join(chars[start:end])
        segs.append(Segment(text, style(key) if key else None))
        start = end
    return segs


def _volume(
    frame: ChartFrame,
    shown: list[Bar],
    plot_w: int,
    label_w: int,
    vol_h: int,
    style: StyleOf,
) -> list[list[Segment]]:
    top = max((b.v for b in shown), default=0.0)
    offset = plot_w - len(shown)
    eighths = [round(b.v / top * vol_h * 8) if top > 0 else 0 for b in shown]
    unit = frame.base_currency
    # The scale's top, then its unit on the next row (or after it, when there is one row).
    labels: dict[int, str] = {}
    if top > 0:
        number = " " + format_compact(top)
        if vol_h >= 2:
            labels = {0: number, 1: " " + unit}
        elif len(number) + 1 + len(unit) <= label_w:
            labels = {0: f"{number} {unit}"}
        else:
            labels = {0: number}
    out: list[list[Segment]] = []
    for row in range(vol_h):
        level = (vol_h - 1 - row) * 8  # eighths below this row
        chars = [" "] * plot_w
        keys: list[str | None] = [None] * plot_w
        for i, b in enumerate(shown):
            fill = eighths[i] - level
            if fill <= 0:
                continue
            chars[offset + i] = _EIGHTHS[min(8, fill)]
            keys[offset + i] = "vol-up" if b.c >= b.o else "vol-down"
        text = labels.get(row)
        label = (text, "axis") if text else None
        out.append(_runs(chars, keys, style) + _label(label, label_w, style))
    return out


def _times(frame: ChartFrame, shown: list[Bar], plot_w: int, style: StyleOf) -> list[Segment]:
    offset = plot_w - len(shown)
    daily = INTERVAL_MS.get(frame.interval, 60_000) >= 86_400_000
    fmt = "%m-%d" if daily else "%H:%M"
    line = [" "] * plot_w
    x = plot_w - 1 - 5
    while x >= offset and x >= 0:
        stamp = time.strftime(fmt, time.localtime(shown[x - offset].t / 1000))
        for j, ch in enumerate(stamp):
            if x + j < plot_w:
                line[x + j] = ch
        x -= 14
    return [Segment("".join(line), style("axis"))]
