"""``k``: kimchi premium and cross-exchange arbitrage, Upbit KRW against a global venue's
USDT: Binance by default, OKX or Gate.io with ``v`` (the OKX names below stand for the
global leg, whichever venue it is).

One row per coin listed on both venues: Upbit's KRW price, OKX's USDT price and that price
in KRW at the live USDT/KRW rate (Upbit ``KRW-USDT``), the premium, the better direction's
net spread after taker fees with the size available at the top of both books, and where
each venue's number came from (WebSocket or the REST fallback) and how old it is. Below:
the deviation/VWAP panel (pandas, last five minutes) and the alert log (premium or net
spread crossing a threshold).

The screen owns a :class:`MarketDataCollector` for its coins (Upbit ``KRW-<coin>`` and
``KRW-USDT``, OKX ``<coin>-USDT``, with trades for the VWAP) and stops it when it is
removed. Feed callbacks only store state; the table is repainted on a timer (2 Hz by
default) and only while the screen is shown; the pandas analysis runs every few seconds.
With no ``coins`` given, the coins listed on both venues are looked up over REST (the most
traded on Upbit first, at most ``max_coins``).

Keys: ``o``/``O`` next/previous sort column, ``r`` reverse, ``[``/``]`` premium alert
threshold -/+ 0.5 %, ``{``/``}`` net spread threshold -/+ 0.1 %, ``enter`` open the coin's
KRW market, ``escape``/``k`` back. Clicking a column header sorts by it.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any, ClassVar

import pandas as pd
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, RichLog, Static

from dantaro_tui.analytics.alerts import Alert
from dantaro_tui.analytics.arbitrage import (
    DEFAULT_DESCENDING,
    GLOBAL_VENUES,
    OKX,
    RATE_SYMBOL,
    SORT_KEYS,
    TAKER_FEE_PCT,
    UPBIT,
    ArbAlertConfig,
    ArbAlertEngine,
    ArbRow,
    Basis,
    CrossVenueWindow,
    Fees,
    analyze_snapshot,
    compute_row,
    global_symbol,
    markets_for,
    reference_price,
    sort_rows,
    upbit_symbol,
)
from dantaro_tui.feed.collector import MarketDataCollector, Quote
from dantaro_tui.feed.hub import FeedHub
from dantaro_tui.feed.rest import RestError
from dantaro_tui.feed.rest_venues import RestClient
from dantaro_tui.model import Trade
from dantaro_tui.ui.feeds import app_hub
from dantaro_tui.ui.format import average_price, format_compact, market_price
from dantaro_tui.ui.host import HasAlertService, MarketOpener
from dantaro_tui.ui.tables import cursor_key, theme_colour
from dantaro_tui.ui.widgets.base import screen_shown
from dantaro_tui.venues import venue_name

# Shown when the market lists cannot be read: majors that Upbit KRW and OKX USDT both list.
DEFAULT_COINS = (
    "BTC", "ETH", "XRP", "SOL", "DOGE", "ADA", "TRX", "LINK", "AVAX", "DOT", "BCH", "LTC",
    "ETC", "XLM", "SHIB", "NEAR", "APT", "SUI", "ARB", "UNI", "AAVE", "ATOM", "HBAR", "ALGO",
)  # fmt: skip

SORT_LABEL = {
    "premium": "premium",
    "spread": "net spread",
    "profit": "profit",
    "size": "size (KRW value)",
    "coin": "coin",
    "upbit": "Upbit price",
    "okx": "OKX price",
}
# (column key, header, width); the sort key a header click picks, when there is one
COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("coin", "Coin", 6),
    ("upbit", "Upbit KRW", 15),
    ("okx", "OKX USDT", 12),
    ("okx_krw", "OKX in KRW", 15),
    ("premium", "Prem %", 7),
    ("spread", "Net %", 7),
    ("route", "Route", 9),
    ("size", "Size", 10),
    ("profit", "Profit KRW", 11),
    ("src_upbit", "Upbit", 8),
    ("src_okx", "OKX", 8),
)
HEADER_SORT = {
    "coin": "coin",
    "upbit": "upbit",
    "okx": "okx",
    "okx_krw": "okx",
    "premium": "premium",
    "spread": "spread",
    "size": "size",
    "profit": "profit",
}
ANALYSIS_COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("coin", "Coin", 6),
    ("vwap_upbit", "VWAP Upbit", 11),
    ("vwap_okx", "VWAP OKX₩", 11),
    ("vwap", "VWAP both", 11),
    ("dev_upbit_pct", "Dev U%", 6),
    ("dev_okx_pct", "Dev O%", 6),
    ("premium_mean", "Prem μ", 6),
    ("premium_std", "σ", 4),
    ("premium_z", "z", 5),
)
NOTIFY_AT_ONCE = 3  # more alerts than this in one refresh: one summary toast


def fmt_sig(value: float | None, sig: int = 6) -> str:
    """``140,012,345`` / ``1,412.35`` / ``0.018342``: about ``sig`` significant digits."""
    if value is None or not math.isfinite(value) or value == 0:
        return "—"
    decimals = max(0, min(8, sig - 1 - math.floor(math.log10(abs(value)))))
    return f"{value:,.{decimals}f}"


def fmt_qty(value: float | None) -> str:
    """A size in at most 8 cells, one style for the column: ``0.07900`` / ``587.20`` /
    ``1.40K`` / ``15.50K`` / ``116.0M`` (``ui.format.format_compact``)."""
    if value is None or not math.isfinite(value) or value <= 0:
        return "—"
    return format_compact(value)


def _price(symbol: str, value: float | None, exchange: str = "upbit") -> str:
    """A price on its market's tick (Upbit's KRW price units; OKX: significant digits)."""
    if value is None or not math.isfinite(value) or value == 0:
        return "—"
    return market_price(symbol, value, exchange)


def _average(symbol: str, value: float | None) -> str:
    return "—" if value is None else average_price(symbol, value)


def alert_rule_text(cfg: ArbAlertConfig) -> str:
    """The alert rule in words, under the table: alerts fire on crossings, so coins that
    sit above a threshold stay quiet until they fall back and cross it again."""
    prem, spread, hys = cfg.premium_pct, cfg.spread_pct, cfg.hysteresis_pct
    return (
        f"Alert when a premium crosses ±{prem:.1f} % or a net spread crosses {spread:.1f} %"
        f" (again after it falls back below {prem - hys:.1f} % / {spread - hys:.1f} %);"
        " coins already past a threshold are shown, not alerted · [ ] { } change"
    )


def fmt_pct(value: float | None, decimals: int = 2) -> str:
    if value is None or not math.isfinite(value):
        return "—"
    return f"{value:+.{decimals}f}"


def fmt_age(seconds: float) -> str:
    if seconds < 10:
        return f"{seconds:.1f}s"
    if seconds < 600:
        return f"{seconds:.0f}s"
    return f"{seconds / 60:.0f}m"


async def discover_coins(
    urls: Mapping[str, Mapping[str, str]] | None = None,
    max_coins: int = 40,
    hub: FeedHub | None = None,
    global_venue: str = OKX,
) -> list[str]:
    """Coins with an Upbit KRW market and a USDT spot market on ``global_venue``, the most
    traded on Upbit (24 h KRW value) first, at most ``max_coins``. Raises RestError when a
    list is out of reach."""
    urls = urls or {}
    upbit = RestClient(UPBIT, urls.get(UPBIT, {}).get("rest"), hub=hub)
    other = RestClient(global_venue, urls.get(global_venue, {}).get("rest"), hub=hub)
    try:
        up_markets, global_markets = await asyncio.gather(upbit.markets(), other.markets())
        # By base/quote, not by parsing codes: each venue spells its markets its own way.
        listed = {m.base for m in global_markets if m.quote == "USDT"}
        coins = sorted({m.base for m in up_markets if m.quote == "KRW"} & listed - {"USDT"})
        with contextlib.suppress(RestError):
            tickers = await upbit.tickers([upbit_symbol(c) for c in coins])
            value = {t.base: t.acc_trade_price_24h for t in tickers}
            coins.sort(key=lambda c: -value.get(c, 0.0))
        return coins[:max_coins]
    finally:
        await upbit.close()
        await other.close()


class ArbitrageScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,k", "close", "Back"),
        Binding("o", "sort(1)", "Sort", tooltip="Sort by the next column"),
        Binding("O", "sort(-1)", "Sort back", show=False, tooltip="Sort by the previous column"),
        Binding("r", "reverse", "Reverse", tooltip="Reverse the sort order"),
        Binding("right_square_bracket", "premium_threshold(0.5)", "Prem alert +", show=False,
                tooltip="Raise the premium alert threshold by 0.5 %"),
        Binding("left_square_bracket", "premium_threshold(-0.5)", "Prem alert -", show=False,
                tooltip="Lower the premium alert threshold by 0.5 %"),
        Binding("right_curly_bracket", "spread_threshold(0.1)", "Spread alert +", show=False,
                tooltip="Raise the net spread alert threshold by 0.1 %"),
        Binding("left_curly_bracket", "spread_threshold(-0.1)", "Spread alert -", show=False,
                tooltip="Lower the net spread alert threshold by 0.1 %"),
        Binding("enter", "open", "Open market", tooltip="Open the coin's KRW market"),
        Binding("v", "next_venue", "Venue", tooltip="Compare with Binance, OKX or Gate.io"),
    ]  # fmt: skip

    DEFAULT_CSS = """
    ArbitrageScreen { layout: vertical; }
    ArbitrageScreen #arb-title { height: 1; padding: 0 1; text-style: bold; }
    ArbitrageScreen #arb-status { height: 1; padding: 0 1; color: $text-muted; }
    ArbitrageScreen #arb-table { height: 1fr; }
    ArbitrageScreen #arb-rule { height: 1; padding: 0 1; color: $text-muted; }
    ArbitrageScreen #arb-bottom { height: 14; }
    ArbitrageScreen #arb-analysis-box { width: 1fr; }
    ArbitrageScreen #arb-alerts-box { width: 44; border-left: solid $panel-lighten-2; }
    ArbitrageScreen .arb-caption { height: 1; padding: 0 1; text-style: bold; }
    ArbitrageScreen #arb-analysis { height: 1fr; }
    ArbitrageScreen #arb-alerts { height: 1fr; padding: 0 1; }
    """

    def __init__(
        self,
        coins: Sequence[str] | None = None,
        *,
        upbit_fee_pct: float = 0.05,
        okx_fee_pct: float | None = None,
        global_venue: str = "binance",
        alert_config: ArbAlertConfig | None = None,
        sort: str = "premium",
        basis: Basis = "last",
        max_coins: int = 40,
        rest_interval: float = 5.0,
        stale_after: float = 5.0,
        window_s: float = 300.0,
        refresh_hz: float = 2.0,
        analysis_every: float = 3.0,
        urls: Mapping[str, Mapping[str, str]] | None = None,
        on_alert: Callable[[Alert], None] | None = None,
        collector: MarketDataCollector | None = None,
        name: str | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id)
        if sort not in SORT_KEYS:
            raise ValueError(f"unknown sort {sort!r}; one of {', '.join(SORT_KEYS)}")
        self.coins: list[str] = [c.upper() for c in coins] if coins else []
        self._fixed_coins = bool(coins)
        if global_venue not in GLOBAL_VENUES:
            raise ValueError(f"{global_venue!r} is not one of {', '.join(GLOBAL_VENUES)}")
        self.global_venue = global_venue
        self._global_fee = okx_fee_pct  # None: the venue's standard taker fee
        fee = TAKER_FEE_PCT[global_venue] if okx_fee_pct is None else okx_fee_pct
        self.fees = Fees(upbit_pct=upbit_fee_pct, okx_pct=fee)
        self.alerts = ArbAlertEngine(alert_config or ArbAlertConfig(), venue_name(global_venue))
        self.sort_key = sort
        self.reverse = False
        self.basis: Basis = basis
        self.max_coins = max_coins
        self.rest_interval = rest_interval
        self.stale_after = stale_after
        self.refresh_hz = refresh_hz
        self.analysis_every = analysis_every
        self.urls = urls
        self.on_alert = on_alert
        self.window = CrossVenueWindow(window_s)
        # A collector passed in belongs to the caller (not stopped here); else one is made.
        self.collector: MarketDataCollector | None = collector
        self._owns_collector = collector is None
        if collector is not None and collector.on_trade is None:
            collector.on_trade = self._on_trade  # trades for the VWAP panel
        self._quotes: dict[str, tuple[Quote | None, Quote | None]] = {}
        self.rows: dict[str, ArbRow] = {}
        self.usdt_krw = 0.0
        self.notice = ""
        self._order: list[str] = []
        self._cells: dict[tuple[str, str], Any] = {}
        self._analysis: pd.DataFrame | None = None
        self._analysing = False
        self._stopping = False

    # -- layout --------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Static(self._title(), id="arb-title")
        yield Static("", id="arb-status")
        table: DataTable[Any] = DataTable(id="arb-table", cursor_type="row", zebra_stripes=True)
        for key, label, width in COLUMNS:
            table.add_column(self._named(label), key=key, width=width)
        yield table
        yield Static("", id="arb-rule")  # what the alerts do, in words
        with Horizontal(id="arb-bottom"):
            with Vertical(id="arb-analysis-box"):
                yield Static("Deviation & VWAP", classes="arb-caption", id="arb-analysis-title")
                analysis: DataTable[Any] = DataTable(id="arb-analysis", cursor_type="none")
                for key, label, width in ANALYSIS_COLUMNS:
                    analysis.add_column(self._named(label), key=key, width=width)
                yield analysis
            with Vertical(id="arb-alerts-box"):
                yield Static("Alerts", classes="arb-caption", id="arb-alerts-title")
                yield RichLog(id="arb-alerts", max_lines=200, wrap=True, min_width=20)
        yield Footer()

    @property
    def _global_name(self) -> str:
        return venue_name(self.global_venue)

    def _title(self) -> str:
        return f"Kimchi premium / arbitrage: Upbit KRW vs {self._global_name} USDT  (v: venue)"

    def _named(self, label: str) -> str:
        """A header naming the global leg names the venue it is now."""
        return label.replace("OKX", self._global_name)

    def _short(self, venue: str) -> str:
        return "Upbit" if venue == UPBIT else self._global_name

    @property
    def table(self) -> DataTable[Any]:
        return self.query_one("#arb-table", DataTable)

    def on_mount(self) -> None:
        self._alert_caption()
        self._status()
        if self.coins:
            self._add_rows()
        self.run_worker(self._start(), group="arbitrage", exclusive=True, exit_on_error=False)
        self.set_interval(1.0 / max(0.1, self.refresh_hz), self.refresh_rows)
        self.set_interval(self.analysis_every, self.refresh_analysis)

    async def _start(self) -> None:
        if not self._fixed_coins:
            try:
                self.coins = await discover_coins(
                    self.urls, self.max_coins, app_hub(self), self.global_venue
                )
            except Exception as exc:  # any failure: the majors are still worth watching
                why = getattr(exc, "message", "") or str(exc) or type(exc).__name__
                self.notice = f"market lists out of reach ({why}): showing the majors"
                self.coins = list(DEFAULT_COINS)
            if self._stopping:
                return
            if not self.coins:
                self.notice = (
                    f"no coin is listed on both Upbit (KRW) and {self._global_name} (USDT)"
                )
                self._status()
                return
            self._add_rows()
        if self._stopping or self.collector is not None:
            return
        self.collector = MarketDataCollector(
            markets_for(self.coins, self.global_venue),
            name="arbitrage",
            rest_interval=self.rest_interval,
            stale_after=self.stale_after,
            urls=self.urls,
            on_trade=self._on_trade,
            hub=app_hub(self),
        )
        try:
            await self.collector.start()
        except Exception as exc:
            self.notice = f"feeds did not start: {exc}"
            self._status()

    async def action_next_venue(self) -> None:
        """Compare with the next global venue: new coins, new feeds, no row of the last."""
        i = GLOBAL_VENUES.index(self.global_venue)
        await self.set_global_venue(GLOBAL_VENUES[(i + 1) % len(GLOBAL_VENUES)])

    async def set_global_venue(self, venue: str) -> None:
        if venue == self.global_venue or venue not in GLOBAL_VENUES:
            return
        # First stop the last venue's start: finishing while the old collector stops, it
        # would install a collector of the old venue that the new start then keeps.
        self.workers.cancel_group(self, "arbitrage")
        collector, self.collector = self.collector, None
        if collector is not None and self._owns_collector:
            with contextlib.suppress(Exception):
                await collector.stop()
        self._owns_collector = True
        self.global_venue = venue
        fee = TAKER_FEE_PCT[venue] if self._global_fee is None else self._global_fee
        self.fees = Fees(upbit_pct=self.fees.upbit_pct, okx_pct=fee)
        self.alerts.global_name = self._global_name
        self.alerts.reset()
        self.window = CrossVenueWindow(self.window.window_s)
        self._quotes.clear()
        self.rows = {}
        self.notice = ""
        self.query_one("#arb-title", Static).update(self._title())
        for table, columns in (
            (self.table, COLUMNS),
            (self.query_one("#arb-analysis", DataTable), ANALYSIS_COLUMNS),
        ):
            for key, label, _ in columns:
                with contextlib.suppress(Exception):
                    table.columns[key].label = Text(self._named(label))  # type: ignore[index]
            table.refresh()
        if not self._fixed_coins:
            self.coins = []
        self._add_rows()
        self.run_worker(self._start(), group="arbitrage", exclusive=True, exit_on_error=False)
        self.notify(f"Kimchi premium against {self._global_name}", timeout=1.5)

    async def on_unmount(self) -> None:
        self._stopping = True
        collector, self.collector = self.collector, None
        if collector is not None and self._owns_collector:
            with contextlib.suppress(Exception):
                await collector.stop()

    def _add_rows(self) -> None:
        table = self.table
        table.clear()
        self._cells.clear()
        self.rows = {}
        for coin in self.coins:
            table.add_row(coin, *(["—"] * (len(COLUMNS) - 1)), key=coin)
        self._order = list(self.coins)
        self._status()

    # -- ingest (feed callback: plain state only) -------------------------------------------
    def _on_trade(self, trade: Trade) -> None:
        venue = trade.exchange
        coin = trade.base
        if venue == UPBIT and trade.quote != "KRW":
            return
        if venue != UPBIT:
            if venue != self.global_venue:
                return  # a late trade of the venue compared before
            venue = OKX  # the window's key for the global leg, whichever venue it is
        self.window.add_trade(coin, venue, trade.timestamp / 1000.0, trade.price, trade.volume)

    # -- compute -------------------------------------------------------------------------
    def quote(self, venue: str, coin: str) -> Quote | None:
        if self.collector is None:
            return None
        if venue == UPBIT:
            return self.collector.latest(UPBIT, upbit_symbol(coin))
        return self.collector.latest(self.global_venue, global_symbol(self.global_venue, coin))

    def compute(self) -> list[ArbRow]:
        """Recompute every row from the collector's latest quotes; raise alerts."""
        if self.collector is None:
            return []
        rate_q = self.collector.latest(UPBIT, RATE_SYMBOL)
        self.usdt_krw = reference_price(rate_q, self.basis)
        now = time.time()
        rows = []
        fired: list[Alert] = []
        for coin in self.coins:
            up_q, okx_q = self._quotes[coin] = (self.quote(UPBIT, coin), self.quote(OKX, coin))
            row = compute_row(
                coin,
                up_q,
                okx_q,
                self.usdt_krw,
                self.fees,
                basis=self.basis,
            )
            self.rows[coin] = row
            rows.append(row)
            self.window.add_sample(row, now)
            fired.extend(self.alerts.check(row, int(now * 1000)))
        if fired:
            self._raise(fired)
        return rows

    def _raise(self, alerts: list[Alert]) -> None:
        with contextlib.suppress(Exception):
            log = self.query_one("#arb-alerts", RichLog)
            for alert in alerts:
                log.write(Text(alert.format()))
        if self.on_alert is not None:
            for alert in alerts:
                self.on_alert(alert)
            return
        if isinstance(self.app, HasAlertService):  # the app's one alert log (it toasts
            for alert in alerts:  # what the user asked)
                self.app.alert_service.add(alert)
            return
        coins = ", ".join(a.market.removeprefix("KRW-") for a in alerts[:8])
        more = f" and {len(alerts) - 8} more" if len(alerts) > 8 else ""
        self.notify(f"{coins}{more}", title=f"{len(alerts)} arbitrage alerts", timeout=6)

    # -- paint ---------------------------------------------------------------------------
    @property
    def shown(self) -> bool:
        """On top, or only under a modal (the palette): worth painting."""
        return screen_shown(self)

    def refresh_rows(self) -> None:
        rows = self.compute()
        if not self.shown or not rows:
            self._status()
            return
        table = self.table
        order = [r.coin for r in sort_rows(rows, self.sort_key, self.reverse)]
        for row in rows:
            self._paint_row(table, row)
        if order != self._order:
            self._reorder(order)
        self._status()

    def _reorder(self, order: list[str]) -> None:
        table = self.table
        anchor = self.cursor_coin()
        rank = {coin: i for i, coin in enumerate(order)}
        table.sort("coin", key=lambda coin: rank.get(str(coin), len(rank)))
        self._order = order
        if anchor is not None and anchor in rank:
            table.move_cursor(row=table.get_row_index(anchor), scroll=False)

    def cursor_coin(self) -> str | None:
        return cursor_key(self.table)

    def _colour(self, name: str) -> str:
        return theme_colour(self, name)

    def _paint_row(self, table: DataTable[Any], row: ArbRow) -> None:
        coin = row.coin
        up_q, okx_q = self._quotes.get(coin, (None, None))
        cfg = self.alerts.config
        prem = row.premium_pct
        prem_style = ""
        if prem is not None and abs(prem) >= cfg.premium_pct:
            prem_style = f"bold {self._colour('warning')}".strip()
        best = row.best
        net = row.net_pct
        if net is None:
            net_style = ""
        elif net >= cfg.spread_pct:
            net_style = f"bold {self._colour('price-up')}".strip()
        elif net > 0:
            net_style = self._colour("price-up")
        else:
            net_style = self._colour("price-flat")
        route = f"{self._short(best.buy_venue)}→{self._short(best.sell_venue)}" if best else "—"
        values: dict[str, Any] = {
            "upbit": Text(_price(f"KRW-{row.coin}", row.upbit_krw), justify="right"),
            "okx": Text(_price(f"{row.coin}-USDT", row.okx_usdt, "okx"), justify="right"),
            "okx_krw": Text(_price(f"KRW-{row.coin}", row.okx_krw), justify="right"),
            "premium": Text(fmt_pct(prem), style=prem_style, justify="right"),
            "spread": Text(fmt_pct(net), style=net_style, justify="right"),
            "route": route,
            "size": Text(fmt_qty(row.size), justify="right"),
            "profit": Text(
                "—" if row.profit_krw is None else f"{row.profit_krw:,.0f}", justify="right"
            ),
            "src_upbit": self._source_cell(up_q),
            "src_okx": self._source_cell(okx_q),
        }
        for col, value in values.items():
            key = (coin, col)
            plain = (value.plain, str(value.style)) if isinstance(value, Text) else value
            if self._cells.get(key) == plain:
                continue
            self._cells[key] = plain
            table.update_cell(coin, col, value)

    def _source_cell(self, q: Quote | None) -> Text:
        if q is None:
            return Text("—", style=self._colour("error"))
        text = f"{q.source} {fmt_age(max(0.0, q.age))}"
        style = "" if q.source == "ws" else self._colour("warning")
        return Text(text, style=style)

    def _status(self) -> None:
        with contextlib.suppress(Exception):
            arrow = "↑" if self._ascending() else "↓"
            rate = f"{self.usdt_krw:,.2f}" if self.usdt_krw else "—"
            rate_src = ""
            if self.collector is not None:
                q = self.collector.latest(UPBIT, RATE_SYMBOL)
                if q is not None:
                    rate_src = f" ({q.source} {fmt_age(max(0.0, q.age))})"
            parts = [
                f"USDT/KRW {rate}{rate_src}",
                f"fees Upbit {self.fees.upbit_pct:.2f}% {self._global_name}"
                f" {self.fees.okx_pct:.2f}%",
                f"sort {SORT_LABEL[self.sort_key]} {arrow}",
                f"{len(self.coins)} coins",
            ]
            if self.notice:
                parts.append(self.notice)
            self.query_one("#arb-status", Static).update(" · ".join(parts))

    def _ascending(self) -> bool:
        return DEFAULT_DESCENDING[self.sort_key] == self.reverse

    def _alert_caption(self) -> None:
        cfg = self.alerts.config
        with contextlib.suppress(Exception):
            self.query_one("#arb-alerts-title", Static).update(
                f"Alerts at premium ±{cfg.premium_pct:.1f}% · net {cfg.spread_pct:.1f}%"
            )
            self.query_one("#arb-rule", Static).update(alert_rule_text(cfg))

    # -- deviation / VWAP ---------------------------------------------------------------------
    def analyze(self) -> pd.DataFrame:
        """The deviation/VWAP frame, computed here (tests); the timer uses a thread."""
        self._analysis = self.window.analyze(self.usdt_krw)
        return self._analysis

    def refresh_analysis(self) -> None:
        if self.collector is None or self._analysing:
            return
        self._analysing = True
        self.run_worker(self._analyse(), group="arbitrage-analysis", exit_on_error=False)

    async def _analyse(self) -> None:
        # Copy on the loop (callbacks append to the window here), crunch in a thread.
        try:
            snap = self.window.snapshot()
            frame = await asyncio.to_thread(analyze_snapshot, snap, self.usdt_krw)
        finally:
            self._analysing = False
        self._analysis = frame
        if self.shown:
            self._paint_analysis(frame)

    def _paint_analysis(self, frame: pd.DataFrame) -> None:
        with contextlib.suppress(Exception):
            minutes = self.window.window_s / 60
            self.query_one("#arb-analysis-title", Static).update(
                f"Deviation & VWAP, last {minutes:.0f} min (most unusual premium first)"
            )
        table = self.query_one("#arb-analysis", DataTable)
        table.clear()
        if frame.empty:
            return
        frame = frame.assign(_z=frame["premium_z"].abs()).sort_values(
            ["_z", "samples"], ascending=[False, False], na_position="last"
        )
        for coin, r in frame.iterrows():
            table.add_row(
                str(coin),
                Text(_average(f"KRW-{coin}", _num(r["vwap_upbit"])), justify="right"),
                Text(_average(f"KRW-{coin}", _num(r["vwap_okx"])), justify="right"),
                Text(_average(f"KRW-{coin}", _num(r["vwap"])), justify="right"),
                Text(fmt_pct(_num(r["dev_upbit_pct"])), justify="right"),
                Text(fmt_pct(_num(r["dev_okx_pct"])), justify="right"),
                Text(fmt_pct(_num(r["premium_mean"])), justify="right"),
                Text(fmt_sig(_num(r["premium_std"]), 2), justify="right"),
                Text(fmt_pct(_num(r["premium_z"]), 1), justify="right"),
                key=str(coin),
            )

    # -- actions -------------------------------------------------------------------------
    def set_sort(self, key: str, reverse: bool | None = None) -> None:
        if key not in SORT_KEYS:
            raise ValueError(f"unknown sort {key!r}")
        self.sort_key = key
        if reverse is not None:
            self.reverse = reverse
        self._resort()

    def _resort(self) -> None:
        if self.rows:
            rows = [self.rows[c] for c in self.coins if c in self.rows]
            self._reorder([r.coin for r in sort_rows(rows, self.sort_key, self.reverse)])
        self._status()

    def action_sort(self, step: int = 1) -> None:
        i = SORT_KEYS.index(self.sort_key)
        self.set_sort(SORT_KEYS[(i + step) % len(SORT_KEYS)], reverse=False)
        self.notify(f"Sorted by {SORT_LABEL[self.sort_key]}", timeout=1.5)

    def action_reverse(self) -> None:
        self.reverse = not self.reverse
        self._resort()

    def action_premium_threshold(self, step: float) -> None:
        cfg = self.alerts.config
        value = max(0.5, round(cfg.premium_pct + step, 2))
        self.alerts.reconfigure(replace(cfg, premium_pct=value))
        self._alert_caption()
        self._cells.clear()  # restyle against the new threshold
        self.notify(f"Premium alerts at ±{value:.1f}%", timeout=1.5)

    def action_spread_threshold(self, step: float) -> None:
        cfg = self.alerts.config
        value = round(cfg.spread_pct + step, 2)
        self.alerts.reconfigure(replace(cfg, spread_pct=value))
        self._alert_caption()
        self._cells.clear()
        self.notify(f"Net spread alerts at {value:.1f}%", timeout=1.5)

    def action_open(self) -> None:
        coin = self.cursor_coin()
        if coin is None:
            return
        app = self.app
        if isinstance(app, MarketOpener):
            self.dismiss(None)
            app.open_market(upbit_symbol(coin))

    def action_close(self) -> None:
        self.dismiss(None)

    @on(DataTable.HeaderSelected, "#arb-table")
    def _header(self, event: DataTable.HeaderSelected) -> None:
        key = HEADER_SORT.get(str(event.column_key.value))
        if key is None:
            return
        if key == self.sort_key:
            self.reverse = not self.reverse
            self._resort()
        else:
            self.set_sort(key, reverse=False)

    @on(DataTable.RowSelected, "#arb-table")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_open()


def _num(x: Any) -> float | None:
    try:
        f = float(x)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None
