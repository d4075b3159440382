"""A candlestick chart for one market: history from REST, then live (the widget).

The chart is three modules: ``candles`` (the candle series: pure state and the pandas glue
for overlays), ``chart_render`` (draws a ``ChartFrame`` as strips) and this one, the
Textual widget: feed callbacks, REST backfill, title, theme colours, repaint on a timer.
The rising/falling colours are the theme variables ``$price-up`` / ``$price-down`` shared
with the other panes.

Data flow: ``subscribe`` starts the live channels first (ticker, trade and, where Upbit
streams it, ``candle.<interval>``), then backfills up to ``HISTORY`` candles by REST and
merges them under the live ones. Candle frames are authoritative for their bucket; trades
move the last candle (and open the next one) between candle frames, so a sparse candle
stream, or an interval Upbit does not stream (1d), still looks live.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import Unpack

from rich.markup import escape
from rich.segment import Segment
from rich.style import Style
from textual.color import Color
from textual.message import Message
from textual.strip import Strip

from dantaro_tui.feed.client import WebSocketClient
from dantaro_tui.intervals import step_interval, streamed_intervals
from dantaro_tui.model import Candle, Market, Ticker, Trade
from dantaro_tui.ui import links
from dantaro_tui.ui.host import MarketLookup
from dantaro_tui.ui.widgets.base import LivePane, PaneOptions
from dantaro_tui.ui.widgets.candles import (
    HISTORY,
    INTERVAL_MS,
    INTERVALS,
    MAX_BARS,
    STREAMED,
    Bar,
    CandleSeries,
    bucket_of,
    overlays,
)
from dantaro_tui.ui.widgets.chart_render import ChartFrame, render_chart, shown_bars
from dantaro_tui.venues import join_ref

__all__ = [
    "HISTORY",
    "INTERVALS",
    "INTERVAL_MS",
    "MAX_BARS",
    "STREAMED",
    "Bar",
    "ChartView",
    "bucket_of",
    "overlays",
]

CANDLE_FRAMES_FRESH = 5.0  # s: candle frames this recent own the volume of their bucket

History = Callable[[str, str, int], Awaitable[list[Candle]]]


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
        self._series = CandleSeries(self.interval)
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
        if self.interval in streamed_intervals(self.exchange):
            # Not streamed by this exchange? Then trades keep the last candle live.
            with contextlib.suppress(ValueError):
                await client.subscribe_candle([symbol], self._on_candle, self.interval)

    async def _backfill(self, symbol: str, interval: str, gen: int) -> None:
        if self.history is None:
            self._notice = "" if self._series.bars else "waiting for trades…"
            self.mark_dirty()
            return
        try:
            ref = join_ref(self.exchange, symbol, self.home)
            candles = await asyncio.wait_for(self.history(ref, interval, HISTORY), 15.0)
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
        self._series.merge(candles, self.symbol)
        if self._series.bars and not self._last_price:
            self._last_price = self._series.bars[-1].c
        self._notice = "" if self._series.bars else "no candles yet"
        self.mark_dirty()

    def _on_ticker(self, ev: Ticker) -> None:
        if not self.shows(ev):
            return
        self._ticker = ev
        self._last_price = ev.trade_price
        self._series.apply_ticker(ev)
        self.mark_dirty()

    def _on_trade(self, ev: Trade) -> None:
        if not self.shows(ev):
            return
        self._last_price = ev.price
        if ev.snapshot:  # the last trade before we subscribed: a price, not new volume
            self.mark_dirty()
            return
        frames_fresh = time.monotonic() - self._last_candle_frame < CANDLE_FRAMES_FRESH
        self._series.apply_trade(ev, count_volume=not frames_fresh)
        self.mark_dirty()

    def _on_candle(self, ev: Candle) -> None:
        if not self.shows(ev) or ev.interval != self.interval:
            return
        self._last_candle_frame = time.monotonic()
        self._series.apply_candle(ev)
        self._last_price = ev.close
        self.mark_dirty()

    def show_notice(self, text: str) -> None:
        """A line for the trader in place of the candles (e.g. an unknown market)."""
        self._notice = text
        self.mark_dirty()

    def _problem(self, text: str) -> None:
        self.post_message(self.Problem(self, text))

    # -- trader actions ------------------------------------------------------------------
    def clear_state(self) -> None:
        self._generation += 1
        self._series.clear(self.interval)
        self._ticker = None
        self._last_price = 0.0
        self._last_candle_frame = 0.0
        self._notice = "loading…"
        self._update_title()

    def set_symbol(self, symbol: str) -> None:
        old = self.ref
        super().set_symbol(symbol)
        if self.ref != old:
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
        self.change_interval(step_interval(self.interval, step))

    def action_toggle_overlay(self, which: str) -> None:
        if which == "vwap":
            self.set_overlay(which, not self.vwap)
        elif which == "bollinger":
            self.set_overlay(which, not self.bollinger)

    def set_overlay(self, which: str, on: bool) -> None:
        if which == "vwap" and self.vwap != on:
            self.vwap = on
        elif which == "bollinger" and self.bollinger != on:
            self.bollinger = on
        else:
            return
        self.paint()
        self.post_message(self.Changed(self))

    # -- state for tests and the app -------------------------------------------------------
    @property
    def bars(self) -> list[Bar]:
        return list(self._series.bars)

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
        link = links.link_marker(self.link_group) + " " if self.link_group else ""
        name = ""
        market = self._market()
        if market is not None:
            # Names come from the exchange: never markup.
            label = market.korean_name or market.english_name
            # A global venue's list may name no market (Binance): then the code alone.
            name = f" {escape(label)}" if label and label != market.base else ""
            if market.warning or market.cautions:  # Upbit's warning / caution flags
                name = f" ⚠{name}"
        title = f"{self.index} {link}{self.symbol}{name} · {self.interval}"
        flags = [x for x, on in (("VWAP", self.vwap), ("BB", self.bollinger)) if on]
        subtitle = " ".join([*flags, self.venue])
        # Only on change: setting a border title repaints the border.
        if self.border_title != title:
            self.border_title = title
        if self.border_subtitle != subtitle:
            self.border_subtitle = subtitle

    def _market(self) -> Market | None:
        app = self.app if self.is_attached else None
        if isinstance(app, MarketLookup):
            with contextlib.suppress(Exception):
                return app.market(self.symbol, self.exchange)
        return None

    def _style(self, key: str) -> Style:
        variables = self.app.theme_variables if self.is_attached else {}
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
        stale = self.app.theme_variables is not self._styles_for
        if stale or (width, self.size.height) != self._built_for:
            self._rebuild()
        if 0 <= y < len(self._lines):
            return self._lines[y]
        return Strip.blank(width)

    def _rebuild(self) -> None:
        size = self.size
        self._built_for = (size.width, size.height)
        try:
            self._lines = self._draw(size.width, size.height)
        except Exception as exc:  # never a traceback on screen
            self._lines = [Strip([Segment(f" chart error: {exc}"[: size.width])])]

    def frame(self, width: int | None = None) -> ChartFrame:
        """What the chart shows now, for ``chart_render`` (overlays over the candles that
        fit ``width``)."""
        width = self.size.width if width is None else width
        frame = ChartFrame(
            self.symbol,
            self.exchange,
            self.interval,
            self._series.bars,
            self._last_price,
            self._ticker,
            self._notice,
            self.vwap,
            self.bollinger,
            {},
            self._market(),
        )
        if (self.vwap or self.bollinger) and frame.bars:
            frame = frame._replace(lines=self._overlays(shown_bars(frame, width)))
        return frame

    def _draw(self, width: int, height: int) -> list[Strip]:
        if width <= 0 or height <= 0:
            return []
        return render_chart(self.frame(width), width, height, self._style, self.rich_style)

    def _overlays(self, shown: list[Bar]) -> dict[str, list[float]]:
        """Overlays, recomputed when the candles shown change or once a second for the
        live candle (pandas costs ~2 ms a chart: not for every 4 Hz repaint)."""
        if not (self.vwap or self.bollinger):
            return {}
        key = (
            self._generation,  # a new market, venue or interval: never the last one's lines
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
