"""A candlestick chart for one market: history from REST, then live.

Drawn with Textual's Line API rather than plotext: plotext took ~136 ms to build one
120-candle chart with volume at 80x22 (four charts at 2 Hz would use a whole core), it
draws at whole-cell resolution, and its colours are not the theme's. Here a repaint is a
few thousand cell decisions (~1-3 ms), candles use half-cell vertical resolution with the
box-drawing set (┃ ╹ ╻ ╿ ╽ │ ╵ ╷), volume bars use eighth blocks, and the rising/falling
colours are the theme variables ``$price-up`` / ``$price-down`` shared with the other panes.

Data flow: ``subscribe`` starts the live channels first (ticker, trade and, where Upbit
streams it, ``candle.<interval>``), then backfills up to ``HISTORY`` candles by REST and
merges them under the live ones. Candle frames are authoritative for their bucket; trades
move the last candle (and open the next one) between candle frames, so a sparse candle
stream, or an interval Upbit does not stream (1d), still looks live.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import Awaitable, Callable
from typing import Unpack

from rich.segment import Segment
from rich.style import Style
from textual.color import Color
from textual.geometry import Size
from textual.message import Message
from textual.strip import Strip

from dantaro_tui.feed.client import WebSocketClient
from dantaro_tui.model import Candle, Market, Ticker, Trade
from dantaro_tui.ui.widgets.base import LivePane, PaneOptions

INTERVALS = ("1m", "5m", "15m", "1h", "4h", "1d")
INTERVAL_MS = {
    "1m": 60_000,
    "3m": 180_000,
    "5m": 300_000,
    "10m": 600_000,
    "15m": 900_000,
    "30m": 1_800_000,
    "1h": 3_600_000,
    "4h": 14_400_000,
    "1d": 86_400_000,
}
STREAMED = frozenset({"1m", "3m", "5m", "10m", "15m", "30m", "1h", "4h"})  # Upbit candle.*
HISTORY = 200
MAX_BARS = 600
CANDLE_FRAMES_FRESH = 5.0  # s: candle frames this recent own the volume of their bucket

History = Callable[[str, str, int], Awaitable[list[Candle]]]

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


def _strip(segments: list[Segment], width: int, base: Style) -> Strip:
    """One row: the widget's colours under every cell, cropped or padded to ``width``."""
    line = Segment.adjust_line_length(list(Segment.apply_style(segments, base)), width, base)
    return Strip(line, width)


class Bar:
    """One candle, mutable while it is the live one."""

    __slots__ = ("c", "from_trades", "h", "l", "o", "t", "v")

    def __init__(
        self,
        t: int,
        o: float,
        h: float,
        l: float,  # noqa: E741
        c: float,
        v: float,
        from_trades: bool = False,
    ) -> None:
        self.t = t
        self.o = o
        self.h = h
        self.l = l
        self.c = c
        self.v = v
        self.from_trades = from_trades

    @classmethod
    def of(cls, candle: Candle) -> Bar:
        return cls(
            candle.open_time, candle.open, candle.high, candle.low, candle.close, candle.volume
        )

    def __repr__(self) -> str:
        return f"Bar({self.t}, {self.o}, {self.h}, {self.l}, {self.c}, {self.v})"


def fmt_price(price: float, ref: float | None = None) -> str:
    """Prices as a trader reads them: KRW in whole units with separators, small coins with
    enough decimals to see a tick."""
    ref = abs(price if ref is None else ref)
    if ref >= 1000:
        return f"{price:,.0f}"
    if ref >= 100:
        return f"{price:,.1f}"
    if ref >= 1:
        return f"{price:,.2f}" if ref >= 10 else f"{price:,.3f}"
    if ref == 0:
        return "0"
    digits = min(8, max(4, 3 - math.floor(math.log10(ref))))
    return f"{price:.{digits}f}"


def fmt_volume(vol: float) -> str:
    for unit, size in (("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if vol >= size:
            return f"{vol / size:.1f}{unit}"
    return f"{vol:.2f}" if vol < 10 else f"{vol:.0f}"


def bucket_of(ts_ms: int, interval: str) -> int:
    size = INTERVAL_MS[interval]
    return ts_ms - ts_ms % size


def overlays(bars: list[Bar], vwap: bool, bollinger: bool) -> dict[str, list[float]]:
    """VWAP (anchored at each UTC day) and Bollinger bands (20, 2σ) over ``bars``, from
    ``analytics.indicators``; NaN where a value is not defined yet."""
    if not bars or not (vwap or bollinger):
        return {}
    import pandas as pd

    from dantaro_tui.analytics import indicators

    frame = pd.DataFrame(
        {
            "open": [b.o for b in bars],
            "high": [b.h for b in bars],
            "low": [b.l for b in bars],
            "close": [b.c for b in bars],
            "volume": [b.v for b in bars],
        },
        index=pd.DatetimeIndex(pd.to_datetime([b.t for b in bars], unit="ms", utc=True)),
        dtype=float,
    )
    out: dict[str, list[float]] = {}
    if vwap:
        out["vwap"] = indicators.vwap(frame, anchor="day").astype(float).tolist()
    if bollinger and len(bars) >= 2:
        bands = indicators.bollinger(frame, window=min(20, len(bars)))
        for key in ("upper", "mid", "lower"):
            out[f"bb_{key}"] = bands[key].astype(float).tolist()
    return out


class ChartView(LivePane):
    """Candles + volume + last price for one market and interval."""

    REFRESH_HZ = 4.0
    can_focus = True

    DEFAULT_CSS = """
    ChartView {
        border: round $foreground 25%;
        border-title-color: $foreground 85%;
        border-subtitle-color: $foreground 70%;
        border-title-align: left;
        height: 1fr;
        width: 1fr;
        min-height: 6;
        min-width: 20;
        padding: 0 0;
    }
    ChartView.-active {
        border: round $primary;
        border-title-color: $primary;
    }
    ChartView:focus {
        border: heavy $primary;
        border-title-color: $primary;
        border-title-style: bold;
    }
    """

    class Changed(Message):
        """The chart's symbol, interval or overlays changed (for the saved config)."""

        def __init__(self, chart: ChartView) -> None:
            super().__init__()
            self.chart = chart

    class Problem(Message):
        """Something the trader should read (history failed, a bad symbol)."""

        def __init__(self, chart: ChartView, text: str) -> None:
            super().__init__()
            self.chart = chart
            self.text = text

    def __init__(
        self,
        symbol: str,
        *,
        interval: str = "1m",
        index: int = 1,
        history: History | None = None,
        vwap: bool = False,
        bollinger: bool = False,
        **options: Unpack[PaneOptions],
    ) -> None:
        options["id"] = options.get("id") or f"chart-{index}"
        super().__init__(symbol, **options)
        self.index = index
        self.interval = interval if interval in INTERVAL_MS else "1m"
        self.history = history
        self.vwap = vwap
        self.bollinger = bollinger
        self._bars: list[Bar] = []
        self._by_time: dict[int, Bar] = {}
        self._ticker: Ticker | None = None
        self._last_price = 0.0
        self._last_candle_frame = 0.0
        self._notice = "loading…"
        self._generation = 0
        self._lines: list[Strip] = []
        self._built_for: tuple[int, int] = (0, 0)
        self._styles: dict[str, Style] = {}
        self._styles_for: object = None
        self._overlay_cache: tuple[tuple[object, ...], float, dict[str, list[float]]] | None = None
        self.painted = 0  # repaint count (tests, benchmarks)

    # -- lifecycle -----------------------------------------------------------------------
    async def on_mount(self) -> None:
        # LivePane.on_mount (timer + subscribe) runs too: Textual calls every class' handler.
        self.watch(self.app, "theme", self._theme_changed, init=False)
        self._update_title()

    def _theme_changed(self) -> None:
        self._styles.clear()
        self.paint()

    def on_resize(self) -> None:
        self.paint()

    # -- feed ----------------------------------------------------------------------------
    async def subscribe(self, client: WebSocketClient, symbol: str) -> None:
        await self._start(client, symbol, self._generation)

    async def _resubscribe(self, symbol: str) -> None:
        gen = self._generation
        try:
            if self.client.subscriptions:
                await self.client.resubscribe([symbol])
                await self._backfill(symbol, self.interval, gen)
            else:
                await self._start(self.client, symbol, gen)
        except Exception as exc:  # a bad symbol must not take the terminal down
            self._notice = f"{symbol}: {exc}"
            self.mark_dirty()
            self._problem(f"{symbol}: {exc}")

    async def _start(self, client: WebSocketClient, symbol: str, gen: int) -> None:
        try:
            await client.subscribe_ticker([symbol], self._on_ticker)
            await client.subscribe_trade([symbol], self._on_trade)
            await self._subscribe_candles(client, symbol)
        except ValueError as exc:
            self._problem(f"{symbol}: {exc}")
            return
        await self._backfill(symbol, self.interval, gen)

    async def _subscribe_candles(self, client: WebSocketClient, symbol: str) -> None:
        if any(k.startswith("candle.") for k in client.subscriptions):
            await client.unsubscribe("candle")
        if self.interval in STREAMED:
            # Not streamed by this exchange? Then trades keep the last candle live.
            with contextlib.suppress(ValueError):
                await client.subscribe_candle([symbol], self._on_candle, self.interval)

    async def _backfill(self, symbol: str, interval: str, gen: int) -> None:
        if self.history is None:
            self._notice = "" if self._bars else "waiting for trades…"
            self.mark_dirty()
            return
        try:
            candles = await asyncio.wait_for(self.history(symbol, interval, HISTORY), 15.0)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if gen != self._generation:
                return
            text = getattr(exc, "message", None) or str(exc) or type(exc).__name__
            if isinstance(exc, TimeoutError):
                text = "the exchange did not answer in time"
            self._notice = f"no history: {text}"
            self.mark_dirty()
            self._problem(f"{symbol} {interval} history: {text}")
            return
        if gen != self._generation or symbol != self.symbol or interval != self.interval:
            return  # the trader moved on while we waited
        self._merge(candles)
        self._notice = "" if self._bars else "no candles yet"
        self.mark_dirty()

    def _merge(self, candles: list[Candle]) -> None:
        for candle in candles:
            if candle.symbol and candle.symbol != self.symbol:
                continue
            t = candle.open_time - candle.open_time % INTERVAL_MS[self.interval]
            have = self._by_time.get(t)
            if have is None:
                self._by_time[t] = Bar(
                    t, candle.open, candle.high, candle.low, candle.close, candle.volume
                )
            elif have.from_trades:
                # Built from trades seen since we subscribed: REST knows the whole bucket.
                have.o = candle.open
                have.h = max(have.h, candle.high)
                have.l = min(have.l, candle.low)
                have.v = max(have.v, candle.volume)
                have.from_trades = False
        self._bars = sorted(self._by_time.values(), key=lambda b: b.t)[-MAX_BARS:]
        if len(self._by_time) > len(self._bars):
            self._by_time = {b.t: b for b in self._bars}
        if self._bars and not self._last_price:
            self._last_price = self._bars[-1].c

    def _on_ticker(self, ev: Ticker) -> None:
        if ev.symbol != self.symbol:
            return
        self._ticker = ev
        self._last_price = ev.trade_price
        if self.interval == "1d" and self._bars and not ev.snapshot:
            bar = self._bars[-1]
            if bar.t == bucket_of(ev.timestamp, "1d"):
                bar.h = max(bar.h, ev.high_price)
                bar.l = min(bar.l, ev.low_price) if ev.low_price > 0 else bar.l
                bar.c = ev.trade_price
        self.mark_dirty()

    def _on_trade(self, ev: Trade) -> None:
        if ev.symbol != self.symbol:
            return
        self._last_price = ev.price
        if ev.snapshot:  # the last trade before we subscribed: a price, not new volume
            self.mark_dirty()
            return
        t = bucket_of(ev.timestamp, self.interval)
        bar = self._by_time.get(t)
        frames_fresh = time.monotonic() - self._last_candle_frame < CANDLE_FRAMES_FRESH
        if bar is None:
            if self._bars and t < self._bars[-1].t:
                return  # late trade for an old bucket: history has it
            bar = Bar(t, ev.price, ev.price, ev.price, ev.price, ev.volume, from_trades=True)
            self._add(bar)
        else:
            bar.c = ev.price
            bar.h = max(bar.h, ev.price)
            bar.l = min(bar.l, ev.price)
            if not frames_fresh:
                bar.v += ev.volume
        self.mark_dirty()

    def _on_candle(self, ev: Candle) -> None:
        if ev.symbol != self.symbol or ev.interval != self.interval:
            return
        self._last_candle_frame = time.monotonic()
        t = ev.open_time - ev.open_time % INTERVAL_MS[self.interval]
        bar = self._by_time.get(t)
        if bar is None:
            if self._bars and t < self._bars[-1].t:
                return
            self._add(Bar.of(ev))
        else:
            bar.o, bar.h, bar.l, bar.c, bar.v = ev.open, ev.high, ev.low, ev.close, ev.volume
            bar.from_trades = False
        self._last_price = ev.close
        self.mark_dirty()

    def _add(self, bar: Bar) -> None:
        self._by_time[bar.t] = bar
        self._bars.append(bar)
        if len(self._bars) > MAX_BARS:
            old = self._bars.pop(0)
            self._by_time.pop(old.t, None)

    def show_notice(self, text: str) -> None:
        """A line for the trader in place of the candles (e.g. an unknown market)."""
        self._notice = text
        self.mark_dirty()

    def _problem(self, text: str) -> None:
        self.post_message(self.Problem(self, text))

    # -- trader actions ------------------------------------------------------------------
    def clear_state(self) -> None:
        self._generation += 1
        self._bars = []
        self._by_time = {}
        self._ticker = None
        self._last_price = 0.0
        self._last_candle_frame = 0.0
        self._notice = "loading…"
        self._update_title()

    def set_symbol(self, symbol: str) -> None:
        old = self.symbol
        super().set_symbol(symbol)
        if symbol != old:
            self.post_message(self.Changed(self))

    def change_interval(self, interval: str) -> None:
        if interval == self.interval or interval not in INTERVAL_MS:
            return
        self.interval = interval
        self.clear_state()
        self.paint()
        self._start_subscribe(self._switch_interval(self.symbol, interval))
        self.post_message(self.Changed(self))

    async def _switch_interval(self, symbol: str, interval: str) -> None:
        gen = self._generation
        try:
            if self.client.subscriptions:
                await self._subscribe_candles(self.client, symbol)
                await self._backfill(symbol, interval, gen)
            else:
                await self._start(self.client, symbol, gen)
        except Exception as exc:
            self._problem(f"{symbol} {interval}: {exc}")

    def action_cycle_interval(self, step: int = 1) -> None:
        try:
            i = INTERVALS.index(self.interval)
        except ValueError:
            i = -1 if step > 0 else 0
        self.change_interval(INTERVALS[(i + step) % len(INTERVALS)])

    def action_toggle_overlay(self, which: str) -> None:
        self.set_overlay(which, not getattr(self, which))

    def set_overlay(self, which: str, on: bool) -> None:
        if which not in ("vwap", "bollinger") or getattr(self, which) == on:
            return
        setattr(self, which, on)
        self.paint()
        self.post_message(self.Changed(self))

    # -- state for tests and the app -------------------------------------------------------
    @property
    def bars(self) -> list[Bar]:
        return list(self._bars)

    @property
    def last_price(self) -> float:
        return self._last_price

    @property
    def notice(self) -> str:
        return self._notice

    # -- painting ------------------------------------------------------------------------
    def paint(self) -> None:
        self._update_title()
        self._rebuild()
        self.painted += 1
        self.refresh()

    def _update_title(self) -> None:
        link = f"[{self.link_group}]● [/]" if self.link_group else ""
        name = ""
        market = self._market()
        if market is not None:
            name = f" {market.korean_name or market.english_name}"
        title = f"{self.index} {link}{self.symbol}{name} · {self.interval}"
        flags = [x for x, on in (("VWAP", self.vwap), ("BB", self.bollinger)) if on]
        subtitle = " ".join(flags)
        # Only on change: setting a border title repaints the border.
        if self.border_title != title:
            self.border_title = title
        if self.border_subtitle != subtitle:
            self.border_subtitle = subtitle

    def _market(self) -> Market | None:
        lookup = getattr(self.app, "market", None) if self.is_attached else None
        if callable(lookup):
            with contextlib.suppress(Exception):
                return lookup(self.symbol)
        return None

    def _style(self, key: str) -> Style:
        variables = getattr(self.app, "theme_variables", {}) if self.is_attached else {}
        if variables is not self._styles_for:  # the app rebuilt its colours (a new theme)
            self._styles.clear()
            self._styles_for = variables
        style = self._styles.get(key)
        if style is not None:
            return style
        bg = Color.parse(variables.get("background", "#000000"))

        def colour(name: str, fallback: str) -> Color:
            try:
                return Color.parse(variables.get(name, fallback))
            except Exception:
                return Color.parse(fallback)

        up = colour("price-up", "#3FB950")
        down = colour("price-down", "#F85149")
        fg = colour("foreground", "#D8DEE9")
        grid = colour("chart-grid", "#30363D")
        table = {
            "up": Style(color=up.rich_color),
            "down": Style(color=down.rich_color),
            "vol-up": Style(color=up.blend(bg, 0.45).rich_color),
            "vol-down": Style(color=down.blend(bg, 0.45).rich_color),
            "axis": Style(color=fg.blend(bg, 0.35).rich_color),
            "grid": Style(color=grid.rich_color),
            "text": Style(color=fg.rich_color),
            "bold": Style(color=fg.rich_color, bold=True),
            "vwap": Style(color=colour("accent", "#D6A828").rich_color),
            "bb": Style(color=colour("primary", "#4C8DFF").rich_color),
            "mark-up": Style(color=bg.rich_color, bgcolor=up.rich_color, bold=True),
            "mark-down": Style(color=bg.rich_color, bgcolor=down.rich_color, bold=True),
            "notice": Style(color=colour("warning", "#D29922").rich_color),
        }
        self._styles.update(table)
        return self._styles[key]

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        stale = getattr(self.app, "theme_variables", None) is not self._styles_for
        if stale or (width, self.size.height) != self._built_for:
            self._rebuild()
        if 0 <= y < len(self._lines):
            return self._lines[y]
        return Strip.blank(width)

    def _rebuild(self) -> None:
        size = self.size
        self._built_for = (size.width, size.height)
        try:
            self._lines = self._draw(size)
        except Exception as exc:  # never a traceback on screen
            self._lines = [Strip([Segment(f" chart error: {exc}"[: size.width])])]

    def _draw(self, size: Size) -> list[Strip]:
        width, height = size.width, size.height
        if width <= 0 or height <= 0:
            return []
        base = self.rich_style  # the widget's own colours under every cell
        rows: list[list[Segment]] = []
        rows.append(self._header(width))
        body_h = height - 1
        if body_h <= 0:
            return [_strip(r, width, base) for r in rows]
        bars = self._bars
        label_w = 0
        if bars:
            ref = max(b.h for b in bars[-width:])
            label_w = max(len(fmt_price(ref, ref)), len(fmt_price(self._last_price or ref, ref)))
            label_w = min(label_w + 2, max(0, width // 3))
        plot_w = max(1, width - label_w)
        shown = bars[-plot_w:]
        time_row = body_h >= 12
        vol_h = max(1, body_h // 5) if body_h >= 6 else 0
        price_h = body_h - vol_h - (1 if time_row else 0)
        if not shown or price_h < 2:
            text = self._notice or "waiting for data…"
            blank = [Segment(" " * width)]
            mid = body_h // 2
            for i in range(body_h):
                if i == mid:
                    pad = max(0, (width - len(text)) // 2)
                    rows.append([Segment(" " * pad), Segment(text[:width], self._style("notice"))])
                else:
                    rows.append(list(blank))
            return [_strip(r, width, base) for r in rows]
        rows.extend(self._plot(shown, plot_w, label_w, price_h))
        if vol_h:
            rows.extend(self._volume(shown, plot_w, label_w, vol_h))
        if time_row:
            rows.append(self._times(shown, plot_w))
        return [_strip(r, width, base) for r in rows]

    def _header(self, width: int) -> list[Segment]:
        price = self._last_price
        segs: list[Segment] = []
        if price:
            ref = self._bars[-1].h if self._bars else price
            segs.append(Segment(" " + fmt_price(price, ref), self._style("bold")))
            tk = self._ticker
            if tk is not None:
                rate = tk.change_rate * 100
                key = "up" if rate > 0 else "down" if rate < 0 else "text"
                arrow = "▲" if rate > 0 else "▼" if rate < 0 else " "
                segs.append(Segment(f" {arrow}{rate:+.2f}%", self._style(key)))
        else:
            segs.append(Segment(f" {self._notice or 'waiting for data…'}", self._style("axis")))
        if self.vwap:
            segs.append(Segment("  VWAP▁▔", self._style("vwap")))
        if self.bollinger:
            segs.append(Segment("  BB˙.", self._style("bb")))
        if price:
            if self._notice:
                segs.append(Segment(f"  {self._notice}", self._style("notice")))
            tk = self._ticker
            if tk is not None:
                segs.append(
                    Segment(f"  24h {fmt_volume(tk.acc_trade_price_24h)}", self._style("axis"))
                )
            if self._bars:
                b = self._bars[-1]
                ref = b.h
                segs.append(
                    Segment(
                        f"  O {fmt_price(b.o, ref)} H {fmt_price(b.h, ref)}"
                        f" L {fmt_price(b.l, ref)} V {fmt_volume(b.v)}",
                        self._style("axis"),
                    )
                )
        return list(Segment.adjust_line_length(segs, width))

    def _plot(
        self, shown: list[Bar], plot_w: int, label_w: int, price_h: int
    ) -> list[list[Segment]]:
        lines = self._overlays(shown)
        lo = min(b.l for b in shown)
        hi = max(b.h for b in shown)
        for series in lines.values():
            finite = [x for x in series if x == x]
            if finite:
                lo = min(lo, min(finite))
                hi = max(hi, max(finite))
        if self._last_price:
            lo = min(lo, self._last_price)
            hi = max(hi, self._last_price)
        if hi <= lo:
            pad = abs(hi) * 0.001 or 1.0
            hi, lo = hi + pad, lo - pad
        halves = price_h * 2
        span = hi - lo

        def half(price: float) -> int:
            # 0 = bottom half-row, halves-1 = top
            q = int((price - lo) / span * halves)
            return min(halves - 1, max(0, q))

        n = len(shown)
        offset = plot_w - n  # right-align: newest candle at the right edge
        # grid[row][col] = (char, style key); row 0 is the top
        chars = [[" "] * plot_w for _ in range(price_h)]
        keys: list[list[str | None]] = [[None] * plot_w for _ in range(price_h)]
        last_row = price_h - 1 - half(self._last_price) // 2 if self._last_price else -1
        if 0 <= last_row < price_h:
            for x in range(plot_w):
                chars[last_row][x] = "┈"
                keys[last_row][x] = "grid"
        for name, series in lines.items():
            glyph_key = "vwap" if name == "vwap" else "bb"
            for i, value in enumerate(series):
                if value != value:  # NaN
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
        # right axis labels: every ~4 rows, and the last price marked
        labels: dict[int, tuple[str, str]] = {}
        step = 4 if price_h >= 8 else 2
        for row in range(0, price_h, step):
            price = lo + (price_h - row - 0.5) / price_h * span
            labels[row] = (" " + fmt_price(price, hi), "axis")
        if 0 <= last_row < price_h:
            for near in (last_row - 1, last_row + 1):
                labels.pop(near, None)
            up = shown[-1].c >= shown[-1].o
            labels[last_row] = (
                "◀" + fmt_price(self._last_price, hi),
                "mark-up" if up else "mark-down",
            )
        out: list[list[Segment]] = []
        for row in range(price_h):
            out.append(self._runs(chars[row], keys[row]) + self._label(labels.get(row), label_w))
        return out

    def _overlays(self, shown: list[Bar]) -> dict[str, list[float]]:
        """Overlays, recomputed when the candles shown change or once a second for the
        live candle (pandas costs ~2 ms a chart: not for every 4 Hz repaint)."""
        if not (self.vwap or self.bollinger):
            return {}
        key = (
            self.symbol,
            self.interval,
            self.vwap,
            self.bollinger,
            len(shown),
            shown[0].t,
            shown[-1].t,
        )
        now = time.monotonic()
        cached = self._overlay_cache
        if cached is not None and cached[0] == key and now - cached[1] < 1.0:
            return cached[2]
        lines = overlays(shown, self.vwap, self.bollinger)
        self._overlay_cache = (key, now, lines)
        return lines

    def _label(self, label: tuple[str, str] | None, label_w: int) -> list[Segment]:
        if label_w <= 0:
            return []
        if label is None:
            return [Segment(" " * label_w)]
        text, key = label
        text = text[:label_w]
        return [Segment(text, self._style(key)), Segment(" " * (label_w - len(text)))]

    def _runs(self, chars: list[str], keys: list[str | None]) -> list[Segment]:
        segs: list[Segment] = []
        start = 0
        n = len(chars)
        while start < n:
            key = keys[start]
            end = start + 1
            while end < n and keys[end] == key:
                end += 1
            text = "".join(chars[start:end])
            segs.append(Segment(text, self._style(key) if key else None))
            start = end
        return segs

    def _volume(
        self, shown: list[Bar], plot_w: int, label_w: int, vol_h: int
    ) -> list[list[Segment]]:
        top = max((b.v for b in shown), default=0.0)
        n = len(shown)
        offset = plot_w - n
        eighths = [round(b.v / top * vol_h * 8) if top > 0 else 0 for b in shown]
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
            label = (" " + fmt_volume(top), "axis") if row == 0 and top > 0 else None
            out.append(self._runs(chars, keys) + self._label(label, label_w))
        return out

    def _times(self, shown: list[Bar], plot_w: int) -> list[Segment]:
        n = len(shown)
        offset = plot_w - n
        daily = INTERVAL_MS.get(self.interval, 60_000) >= 86_400_000
        fmt = "%m-%d" if daily else "%H:%M"
        line = [" "] * plot_w
        x = plot_w - 1 - 5
        while x >= offset and x >= 0:
            stamp = time.strftime(fmt, time.localtime(shown[x - offset].t / 1000))
            for j, ch in enumerate(stamp):
                if x + j < plot_w:
                    line[x + j] = ch
            x -= 14
        return [Segment("".join(line), self._style("axis"))]
