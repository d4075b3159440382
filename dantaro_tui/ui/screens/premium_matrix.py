"""``K``: the kimchi premium matrix, every Korean venue against every global venue.

A screen of its own rather than a tab of the ``k`` arbitrage screen: that one is built
around one pair (Upbit and one global venue, with its VWAP panel and alert rules), this one
around six venues and two reference rates; sharing a screen would make both harder to read.

* Rows: coins listed in KRW on Upbit, Bithumb or Coinone and in USDT on Binance, OKX or
  Gate.io (the most traded first). Columns: each Korean x global pair, the premium against
  the bank rate, then against the tether rate (``+3.50 +3.48``); ``stale`` where either
  venue's data stopped, ``—`` where there is no number (not listed, never seen, a book that
  cannot be believed). Then the best route between the Korean venues in KRW (net of taker
  fees) and Coinone's deposit / withdrawal flags.
* Above: the rates (bank USD/KRW and its source, each venue's USDT/KRW), the BTC headline
  and the session's BTC premium as a sparkline.
* Below, for the coin under the cursor: every pair's executable net figures in both
  directions with the size at the top of both books, the Korean routes, and the transfer
  status where a venue publishes it.

Feeds: a :class:`~dantaro_tui.services.premium_board.PremiumBoard` on the app's hub, started
when the screen mounts and stopped when it goes. Painting runs on a timer (1 Hz) and only
while the screen is shown; unchanged cells are not touched.

Narrow screens (under about 154 columns, such as 80x24): the least important columns give
way rather than being cut at the right edge, and the note at the bottom names them: Coinone's
D/W flags first, then the tether figure of each cell (bank % only; both stay in the detail
table), then the Gate.io pairs, the OKX pairs, the route column and the other Korean
venues' Binance pairs; below, the routes panel and the size columns.

Keys: ``enter`` open the coin's Upbit market, ``escape``/``K`` back.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Sparkline, Static

from dantaro_tui.analytics.arbitrage import Opportunity
from dantaro_tui.analytics.premium_matrix import (
    GLOBAL_VENUES,
    KOREAN_VENUES,
    MatrixRow,
    PairCell,
    Rate,
    korean_symbol,
)
from dantaro_tui.feed.fx import BankRate
from dantaro_tui.services.premium import PremiumHistory, PremiumService
from dantaro_tui.services.premium_board import BoardSnapshot, PremiumBoard, State
from dantaro_tui.services.premium_config import PremiumSettings
from dantaro_tui.ui.feeds import app_hub
from dantaro_tui.ui.format import format_compact
from dantaro_tui.ui.host import MarketOpener
from dantaro_tui.ui.tables import cursor_key, theme_colour
from dantaro_tui.ui.widgets.base import screen_shown
from dantaro_tui.venues import venue_name

SHORT = {
    "upbit": "Up",
    "bithumb": "Bt",
    "coinone": "Cn",
    "binance": "Bn",
    "okx": "OKX",
    "gateio": "Gt",
}
PAIRS: tuple[tuple[str, str], ...] = tuple((k, g) for k in KOREAN_VENUES for g in GLOBAL_VENUES)
HEADLINE = ("upbit", "binance")  # the pair traders quote the premium on
STALE = "stale"
TRANSFER_NOTE = (
    "Net figures: taker fees only; transfer fees and times are not included"
    " (set [premium] transfer_pct to count a cost). D/W: deposit/withdraw where published"
    " (Coinone; Upbit's and Bithumb's are not in the public API this app reads)."
)


TITLE = (
    "Kimchi premium matrix: Upbit · Bithumb · Coinone vs Binance · OKX · Gate.io"
    "  (each cell: bank % then tether %)"
)
SHORT_TITLE = "Kimchi premium matrix (Korean vs global venues)"


def pair_key(korean: str, global_: str) -> str:
    return f"{korean}:{global_}"


def pair_label(korean: str, global_: str) -> str:
    return f"{SHORT[korean]}/{SHORT[global_]}"


def fmt_pct(value: float | None, decimals: int = 2) -> str:
    if value is None or not math.isfinite(value):
        return "—"
    return f"{value:+.{decimals}f}"


def cell_pct(value: float | None) -> str:
    """A matrix cell's premium in at most 5 characters (``+3.50``, ``+12.5``)."""
    if value is not None and math.isfinite(value) and abs(value) >= 10:
        return fmt_pct(value, 1)
    return fmt_pct(value)


def cell_text(cell: PairCell | None, korean: State, global_: State, bank_only: bool = False) -> str:
    """``+3.50 +3.48`` (bank, tether; ``+3.50`` with ``bank_only``), ``stale`` when a leg's
    data stopped, ``—`` when no leg was ever seen; a number only from live data."""
    if STALE in (korean, global_):
        return STALE
    if cell is None or "none" in (korean, global_):
        return "—"
    bank, tether = cell.premium("bank"), cell.premium("tether")
    if bank_only:
        return cell_pct(bank)
    if bank is None and tether is None:
        return "—"  # a book that cannot be believed, or neither rate known
    return f"{cell_pct(bank)} {cell_pct(tether)}"


def route_text(o: Opportunity | None) -> str:
    if o is None:
        return "—"
    return f"{SHORT.get(o.buy_venue, o.buy_venue)}→{SHORT.get(o.sell_venue, o.sell_venue)}"


def size_text(o: Opportunity | None) -> str:
    if o is None or not o.size or not math.isfinite(o.size):
        return "—"
    return format_compact(o.size)


def net_text(o: Opportunity | None) -> str:
    return "—" if o is None else fmt_pct(o.net_pct)


def flag(ok: bool) -> str:
    return "✓" if ok else "✗"


# "+3.50 +3.48": a premium of 10 % or more drops a decimal (``cell_pct``) so that the
# whole matrix fits a 160-column terminal.
PAIR_WIDTH = 11
BANK_ONLY_WIDTH = 6
COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("coin", "Coin", 6),
    *((pair_key(k, g), pair_label(k, g), PAIR_WIDTH) for k, g in PAIRS),
    ("kr_route", "KR route", 8),
    ("kr_net", "KR net%", 7),
    ("dw", "Cn D/W", 6),
)
DETAIL_COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("pair", "Pair", 7),
    ("bank", "Bank %", 7),
    ("tether", "Tether %", 8),
    ("to_korea", "Buy G→sell K net", 16),
    ("to_korea_size", "Size", 8),
    ("to_global", "Buy K→sell G net", 16),
    ("to_global_size", "Size", 8),
)

# What a narrow screen gives up first: Coinone's transfer flags (the side panel has them),
# the tether half of each cell (the detail table has both), then the pairs against the
# smaller global venues, the route name (its net % stays), the other Korean venues'
# Binance pairs. Coin, Upbit/Binance and the Korean net % always stay.
TETHER = "tether"
DROP_ORDER: tuple[str, ...] = (
    "dw",
    TETHER,
    *(pair_key(k, "gateio") for k in reversed(KOREAN_VENUES)),
    *(pair_key(k, "okx") for k in reversed(KOREAN_VENUES)),
    "kr_route",
    *(pair_key(k, "binance") for k in reversed(KOREAN_VENUES) if k != HEADLINE[0]),
)
_PAIR_KEYS = frozenset(pair_key(k, g) for k, g in PAIRS)
# A DataTable pads each cell by one column on both sides; its vertical scrollbar takes two.
_CELL_PAD = 2
_SCROLLBAR = 2
SIDE_WIDTH = 40
_SIZE_KEYS = ("to_korea_size", "to_global_size")


def table_width(columns: Sequence[tuple[str, str, int]]) -> int:
    return sum(width + _CELL_PAD for _, _, width in columns) + _SCROLLBAR


@dataclass(frozen=True)
class ColumnPlan:
    """The columns a screen ``width`` wide shows, and what it leaves out to fit."""

    columns: tuple[tuple[str, str, int], ...]
    detail: tuple[tuple[str, str, int], ...]
    bank_only: bool
    side: bool  # the routes / transfers panel beside the detail table
    hidden: tuple[str, ...]  # the columns and panels left out, as the note names them

    @property
    def full(self) -> bool:
        return not self.hidden and not self.bank_only

    def note(self) -> str:
        parts = ["cells show bank % (both rates below)"] if self.bank_only else []
        if self.hidden:
            parts.append("hidden: " + ", ".join(self.hidden))
        return "Narrow screen: " + "; ".join(parts) + ". Widen it to see everything."


def plan_columns(width: int) -> ColumnPlan:
    dropped: list[str] = []
    columns = COLUMNS
    bank_only = False
    for step in ("", *DROP_ORDER):
        if step:
            dropped.append(step)
        bank_only = TETHER in dropped
        columns = tuple(
            (key, label, BANK_ONLY_WIDTH if bank_only and key in _PAIR_KEYS else w)
            for key, label, w in COLUMNS
            if key not in dropped
        )
        if table_width(columns) <= width:
            break
    labels = {key: label for key, label, _ in COLUMNS}
    hidden = [labels[key] for key in dropped if key != TETHER]
    detail = DETAIL_COLUMNS
    side = table_width(detail) + SIDE_WIDTH <= width
    if not side:
        hidden.append("routes panel")
        if table_width(detail) > width:
            detail = tuple(c for c in DETAIL_COLUMNS if c[0] not in _SIZE_KEYS)
            hidden.append("sizes")
    return ColumnPlan(columns, detail, bank_only, side, tuple(hidden))


class PremiumMatrixScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,K", "close", "Back"),
        Binding("enter", "open", "Open market", tooltip="Open the coin's Upbit KRW market"),
    ]

    DEFAULT_CSS = """
    PremiumMatrixScreen { layout: vertical; }
    PremiumMatrixScreen #pm-title { height: 1; padding: 0 1; text-style: bold; }
    PremiumMatrixScreen #pm-rates { height: 1; padding: 0 1; color: $text-muted; }
    PremiumMatrixScreen #pm-head { height: 2; }
    PremiumMatrixScreen #pm-btc { width: 58; padding: 0 1; }
    PremiumMatrixScreen #pm-spark { width: 1fr; height: 2; margin: 0 1; }
    PremiumMatrixScreen #pm-table { height: 1fr; }
    PremiumMatrixScreen #pm-bottom { height: 12; }
    PremiumMatrixScreen #pm-detail { width: 1fr; }
    PremiumMatrixScreen #pm-side { width: 40; padding: 0 1; border-left: solid $panel-lighten-2; }
    PremiumMatrixScreen #pm-note { height: 2; padding: 0 1; color: $text-muted; }
    """

    def __init__(
        self,
        coins: Sequence[str] | None = None,
        *,
        service: PremiumService | None = None,
        settings: PremiumSettings | None = None,
        bank: BankRate | None = None,
        board: PremiumBoard | None = None,
        max_coins: int = 30,
        refresh_hz: float = 1.0,
        urls: Mapping[str, Mapping[str, str]] | None = None,
        name: str | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id)
        self.service = service
        self.settings = settings or PremiumSettings()
        # The app's bank rate (one poller per app) when there is a service; else our own.
        self._own_bank = service is None and bank is None
        self.bank = service.bank if service is not None else bank or self.settings.bank()
        # Without the app's service, the session history is what this screen sees.
        self.history = service.history if service is not None else PremiumHistory()
        self._own_history = service is None
        self._board = board
        self._board_args: dict[str, Any] = {
            "coins": coins,
            "max_coins": max_coins,
            "urls": urls,
        }
        self.refresh_hz = refresh_hz
        self.snapshot: BoardSnapshot | None = None
        self._rows: list[str] = []
        self._cells: dict[tuple[str, str], tuple[str, str]] = {}
        self._detail_coin = ""
        self._stopping = False
        self.plan = plan_columns(10_000)

    @property
    def board(self) -> PremiumBoard | None:
        return self._board

    # -- layout --------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Static(TITLE, id="pm-title")
        yield Static("", id="pm-rates")
        with Horizontal(id="pm-head"):
            yield Static("", id="pm-btc")
            yield Sparkline([], id="pm-spark", summary_function=_mean)
        table: DataTable[Any] = DataTable(id="pm-table", cursor_type="row", zebra_stripes=True)
        for key, label, width in self.plan.columns:
            table.add_column(label, key=key, width=width)
        yield table
        with Horizontal(id="pm-bottom"):
            with Vertical(id="pm-detail"):
                detail: DataTable[Any] = DataTable(id="pm-detail-table", cursor_type="none")
                for key, label, width in self.plan.detail:
                    detail.add_column(label, key=key, width=width)
                yield detail
            yield Static("", id="pm-side")
        yield Static(Text(TRANSFER_NOTE), id="pm-note")
        yield Footer()

    @property
    def table(self) -> DataTable[Any]:
        return self.query_one("#pm-table", DataTable)

    def on_mount(self) -> None:
        self._fit(self.app.size.width)
        self.run_worker(self._start(), group="premium-matrix", exclusive=True, exit_on_error=False)
        self.set_interval(1.0 / max(0.1, self.refresh_hz), self.refresh_board)

    def on_resize(self, event: events.Resize) -> None:
        self._fit(event.size.width)

    def _fit(self, width: int) -> None:
        """Show the columns ``width`` has room for (all of them from about 154 columns)."""
        plan = plan_columns(width)
        if plan == self.plan and self.is_mounted and self.table.columns:
            return
        self.plan = plan
        with contextlib.suppress(Exception):
            self.query_one("#pm-title", Static).update(TITLE if plan.full else SHORT_TITLE)
            self.query_one("#pm-note", Static).update(
                Text(TRANSFER_NOTE if plan.full else plan.note())
            )
            self.query_one("#pm-side", Static).display = plan.side
        table = self.table
        row = table.cursor_row
        table.clear(columns=True)
        for key, label, w in plan.columns:
            table.add_column(label, key=key, width=w)
        self._rows = []
        self._cells.clear()
        detail = self.query_one("#pm-detail-table", DataTable)
        detail.clear(columns=True)
        for key, label, w in plan.detail:
            detail.add_column(label, key=key, width=w)
        if self.snapshot is not None:
            self._paint_table(self.snapshot)
            if table.row_count:
                table.move_cursor(row=min(row, table.row_count - 1))
            self._paint_detail(self.snapshot)

    async def _start(self) -> None:
        if self._board is None:
            self._board = PremiumBoard(
                app_hub(self),
                bank=self.bank,
                settings=self.settings,
                **self._board_args,
            )
        try:
            await self._board.start()
        except Exception as exc:  # the screen stays, saying why
            why = getattr(exc, "message", "") or str(exc) or type(exc).__name__
            self._board.notes.append(f"feeds did not start: {why}")
        if not self._stopping:
            self.refresh_board()

    async def on_unmount(self) -> None:
        self._stopping = True
        board, self._board = self._board, None
        if board is not None:
            with contextlib.suppress(Exception):
                await board.stop()
        if self._own_bank:
            with contextlib.suppress(Exception):
                await self.bank.close()

    # -- refresh -------------------------------------------------------------------------
    @property
    def shown(self) -> bool:
        """On top, or only under a modal (the palette): worth painting."""
        return screen_shown(self)

    def refresh_board(self) -> None:
        board = self._board
        if board is None or board.collector is None or not self.shown:
            return
        snap = self.snapshot = board.snapshot()
        if self._own_history:
            self._sample_history(snap)
        self._paint_rates(snap)
        self._paint_headline(snap)
        self._paint_table(snap)
        self._paint_detail(snap)

    def _sample_history(self, snap: BoardSnapshot) -> None:
        from dantaro_tui.services.premium import PremiumReading

        cell = self.headline_cell(snap)
        if cell is None:
            return
        bank, tether = cell.premium("bank"), cell.premium("tether")
        reading = PremiumReading(
            None if tether is None else tether / 100.0,
            snap.rates.usdt_krw("upbit"),
            None if bank is None else bank / 100.0,
            snap.rates.bank,
        )
        self.history.add(snap.taken_at, reading)

    def headline_cell(self, snap: BoardSnapshot | None = None) -> PairCell | None:
        snap = snap or self.snapshot
        if snap is None or not snap.rows or snap.rows[0].coin != "BTC":
            return None
        k, g = HEADLINE
        if STALE in (snap.states.get((k, "BTC")), snap.states.get((g, "BTC"))):
            return None
        return snap.rows[0].cell(k, g)

    # -- paint ---------------------------------------------------------------------------
    def _colour(self, name: str) -> str:
        return theme_colour(self, name)

    def _paint_rates(self, snap: BoardSnapshot) -> None:
        board = self._board
        bank = snap.bank
        if bank is not None:
            age = f", {bank.age:.0f}s" if bank.source != "fixed" else ""
            head = f"USD/KRW {bank.rate:,.2f} (bank: {bank.source}{age})"
        else:
            head = f"USD/KRW — (bank: {self.bank.describe()})"
            if self.bank.last_error:
                head += f" · {self.bank.last_error}"
        parts = [head]
        tethers = []
        for venue in KOREAN_VENUES:
            rate = snap.rates.usdt_krw(venue)
            state = snap.tether_states.get(venue, "none")
            if state == STALE:
                tethers.append(f"{venue_name(venue)} stale")
            elif rate is None:
                tethers.append(f"{venue_name(venue)} —")
            else:
                prem = snap.rates.tether_premium_pct(venue)
                extra = f" ({fmt_pct(prem)}%)" if prem is not None else ""
                tethers.append(f"{venue_name(venue)} {rate:,.1f}{extra}")
        parts.append("USDT/KRW " + " ".join(tethers))
        if board is not None:
            parts.append(f"{len(board.coins)} coins")
            parts.extend(board.notes[-2:])
        with contextlib.suppress(Exception):
            self.query_one("#pm-rates", Static).update(Text(" · ".join(parts)))

    def _paint_headline(self, snap: BoardSnapshot) -> None:
        cell = self.headline_cell(snap)
        bank = None if cell is None else cell.premium("bank")
        tether = None if cell is None else cell.premium("tether")
        series_name = "bank" if self.history.series("bank") else "tether"
        series = self.history.series(series_name)
        text = Text()
        text.append("BTC 김프 Upbit/Binance ", style="bold")
        colour = self._colour("price-up" if (bank or 0) > 0 else "price-down") or ""
        text.append(f"{fmt_pct(bank)}%", style=f"bold {colour}".strip())
        text.append(f" bank · {fmt_pct(tether)}% tether")
        if series:
            text.append(
                f"\nsession ({series_name}): {min(series):+.2f} … {max(series):+.2f}%"
                f", {len(series)} samples"
            )
        with contextlib.suppress(Exception):
            self.query_one("#pm-btc", Static).update(text)
            spark = self.query_one("#pm-spark", Sparkline)
            spark.data = series[-2000:]  # the widget buckets it to its width

    def _paint_table(self, snap: BoardSnapshot) -> None:
        table = self.table
        coins = [r.coin for r in snap.rows]
        if coins != self._rows:
            table.clear()
            self._cells.clear()
            for coin in coins:
                table.add_row(coin, *(["—"] * (len(self.plan.columns) - 1)), key=coin)
            self._rows = coins
        stale_style = self._colour("warning")
        shown = {key for key, _, _ in self.plan.columns}
        for row in snap.rows:
            values = self._row_values(row, snap)
            for col, (plain, style) in values.items():
                if col not in shown:
                    continue
                key = (row.coin, col)
                if self._cells.get(key) == (plain, style):
                    continue
                self._cells[key] = (plain, style)
                if plain == STALE:
                    style = stale_style
                table.update_cell(row.coin, col, Text(plain, style=style, justify="right"))

    def _row_values(self, row: MatrixRow, snap: BoardSnapshot) -> dict[str, tuple[str, str]]:
        states = snap.states
        out: dict[str, tuple[str, str]] = {}
        for k, g in PAIRS:
            cell = row.cell(k, g)
            sk = states.get((k, row.coin), "none")
            sg = states.get((g, row.coin), "none")
            text = cell_text(cell, sk, sg, self.plan.bank_only)
            out[pair_key(k, g)] = (text, "bold" if (k, g) == HEADLINE else "")
        best = row.korean.best
        out["kr_route"] = (route_text(best), "")
        net = best.net_pct if best is not None else None
        up = self._colour("price-up") if net is not None and net > 0 else ""
        out["kr_net"] = (fmt_pct(net), up)
        info = snap.wallet.get(row.coin)
        out["dw"] = ("—" if info is None else f"{flag(info.deposit)} {flag(info.withdraw)}", "")
        return out

    def cursor_coin(self) -> str | None:
        return cursor_key(self.table)

    def _paint_detail(self, snap: BoardSnapshot) -> None:
        coin = self.cursor_coin()
        row = next((r for r in snap.rows if r.coin == coin), None)
        detail = self.query_one("#pm-detail-table", DataTable)
        detail.clear()
        side = self.query_one("#pm-side", Static)
        if row is None:
            side.update("")
            return
        for k, g in PAIRS:
            cell = row.cell(k, g)
            sk = snap.states.get((k, row.coin), "none")
            sg = snap.states.get((g, row.coin), "none")
            label = pair_label(k, g)
            values: dict[str, str | Text]
            if cell is None or "none" in (sk, sg) or STALE in (sk, sg):
                shown = STALE if STALE in (sk, sg) else "—"
                values = {"bank": shown, "tether": shown}
            else:
                to_korea = [_leg(cell, rate, "to_korea") for rate in ("bank", "tether")]
                to_global = [_leg(cell, rate, "to_global") for rate in ("bank", "tether")]
                values = {
                    "bank": Text(fmt_pct(cell.premium("bank")), justify="right"),
                    "tether": Text(fmt_pct(cell.premium("tether")), justify="right"),
                    "to_korea": Text(_both(*to_korea), justify="right"),
                    "to_korea_size": Text(size_text(to_korea[1] or to_korea[0]), justify="right"),
                    "to_global": Text(_both(*to_global), justify="right"),
                    "to_global_size": Text(
                        size_text(to_global[1] or to_global[0]), justify="right"
                    ),
                }
            values["pair"] = label
            detail.add_row(*(values.get(key, "—") for key, _, _ in self.plan.detail), key=label)
        lines = [f"{row.coin} between Korean venues (KRW, net of fees):"]
        for o in row.korean.routes[:6]:
            lines.append(f"  {route_text(o):7} {net_text(o):>7}%  size {size_text(o)}")
        if not row.korean.routes:
            lines.append("  — (fewer than two Korean books)")
        info = snap.wallet.get(row.coin)
        lines.append("Transfers:")
        if info is not None:
            lines.append(
                f"  Coinone deposit {flag(info.deposit)} {info.deposit_status or ''}".rstrip()
            )
            lines.append(
                f"  Coinone withdraw {flag(info.withdraw)} {info.withdraw_status or ''}".rstrip()
            )
        else:
            board = self._board
            why = board.wallet_error if board is not None and board.wallet_error else "not listed"
            lines.append(f"  Coinone — ({why})")
        lines.append("  Upbit, Bithumb: not in their public API")
        side.update(Text("\n".join(lines)))

    @on(DataTable.RowHighlighted, "#pm-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        if self.snapshot is not None:
            self._paint_detail(self.snapshot)

    # -- actions -------------------------------------------------------------------------
    def action_open(self) -> None:
        coin = self.cursor_coin()
        if coin is None:
            return
        app = self.app
        if isinstance(app, MarketOpener):
            self.dismiss(None)
            app.open_market(korean_symbol("upbit", coin))

    def action_close(self) -> None:
        self.dismiss(None)

    @on(DataTable.RowSelected, "#pm-table")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_open()


def _leg(cell: PairCell, rate: Rate, direction: str) -> Opportunity | None:
    view = cell.view(rate)
    if view is None:
        return None
    return view.to_korea if direction == "to_korea" else view.to_global


def _both(bank: Opportunity | None, tether: Opportunity | None) -> str:
    """``+3.35/+3.33``: the net % at the bank rate, then at the tether rate."""
    return f"{net_text(bank)}/{net_text(tether)}"


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0
