"""``$``: the account: balances valued in KRW at live prices, open orders, recent fills.

Read-only: the cockpit watches the account, it never places an order. What it shows is an
:class:`~dantaro_tui.ui.account_book.AccountBook` (REST picture first, then the private
streams and the tickers of the coins held). Without keys it says how to add them; a key the
exchange refuses is said in its words (which permission is missing); the demo's in-memory
paper account says so in the title.

Private events are rare (a trader's own orders), so a change is painted within
``PAINT_AFTER`` of arriving (the figure the account benchmark measures); ticker moves only
mark the tables dirty and are painted on the ``REPAINT`` cadence, like every other pane.
"""

from __future__ import annotations

import contextlib
import time
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Static

from dantaro_tui.credentials import Credentials
from dantaro_tui.ui.account_book import KRW, AccountBook, Holding, Source, resolve
from dantaro_tui.ui.feeds import app_hub

REPAINT = 0.5  # seconds between repaints for price moves
PAINT_AFTER = 0.01  # a private event is painted this soon (several in a burst: one paint)


def _num(x: float | None, digits: int = 8) -> str:
    if x is None:
        return "-"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:,.{digits}f}".rstrip("0").rstrip(".") or "0"


def _fee(market: str, fee: float | None) -> str:
    """A fee in its market's quote: won to the hundredth (0.05 % of 99,999.97 KRW is not
    49.99998397), a coin quote to the satoshi."""
    return _num(fee, 2 if market.startswith("KRW") else 8)


def _clock(ms: int) -> str:
    return time.strftime("%H:%M:%S", time.localtime(ms / 1000)) if ms else "-"


class AccountScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,dollar_sign", "close", "Back")]

    DEFAULT_CSS = """
    AccountScreen { layout: vertical; }
    AccountScreen > .account-head { height: 1; padding: 0 1; text-style: bold; }
    AccountScreen > #account-note { height: auto; padding: 0 1; color: $warning; }
    AccountScreen > #account-totals { height: auto; padding: 0 1; }
    AccountScreen > DataTable { height: auto; max-height: 14; }
    """

    def __init__(self, credentials: Credentials | None = None, exchange: str | None = None) -> None:
        super().__init__()
        self._given = credentials
        self._exchange = exchange
        self.exchange = exchange or (credentials.exchange if credentials else "")
        self.credentials: Credentials | None = None
        self.label = ""
        self.book: AccountBook | None = None
        self.painted_at = 0.0  # perf_counter time of the last paint (for the benchmark)
        self._note = ""
        self._dirty = False
        self._paint_timer: Timer | None = None

    # -- what tests and the benchmark read -----------------------------------------------------
    @property
    def note(self) -> str:
        return self._note

    @property
    def holdings(self) -> dict[str, Holding]:
        return self.book.holdings if self.book is not None else {}

    @property
    def prices(self) -> dict[str, float]:
        return self.book.prices if self.book is not None else {}

    @property
    def fees_paid(self) -> float:
        return self.book.fees_paid if self.book is not None else 0.0

    def value_of(self, currency: str) -> float | None:
        return self.book.value_of(currency) if self.book is not None else None

    def compose(self) -> ComposeResult:
        yield Static("Account", id="account-title", classes="account-head")
        yield Static("", id="account-note")
        yield Static("", id="account-totals")
        yield Static("Balances", classes="account-head")
        balances: DataTable[str | Text] = DataTable(id="balances", cursor_type="row")
        for label in ("Currency", "Balance", "Locked", "Avg buy", "Price", "Value KRW", "P&L KRW",
                      "P&L %"):  # fmt: skip
            balances.add_column(label, key=label)
        yield balances
        yield Static("Open orders", classes="account-head")
        orders: DataTable[str | Text] = DataTable(id="orders", cursor_type="row")
        for label in ("Market", "Side", "Type", "Price", "Volume", "Filled", "Placed"):
            orders.add_column(label, key=label)
        yield orders
        yield Static("Recent fills", classes="account-head")
        fills: DataTable[str | Text] = DataTable(id="fills", cursor_type="row")
        for label in ("Time", "Market", "Side", "Price", "Volume", "Fee", "Role"):
            fills.add_column(label, key=label)
        yield fills
        yield Footer()

    def on_mount(self) -> None:
        if self._given is not None:
            source = Source(self._given.exchange, self._given)
        else:
            source = resolve(self.app, self._exchange)
        self.exchange = source.exchange
        if source.credentials is None:
            self._say(source.problem)
            return
        self.credentials = source.credentials
        self.label = source.label
        title = f"Account — {self.exchange.title()} key {self.credentials.masked_access_key}"
        if self.label:
            title += f" — {self.label}"
        self.query_one("#account-title", Static).update(Text(title))
        self.set_interval(REPAINT, self._repaint_if_dirty)
        self.book = AccountBook(self.credentials, app_hub(self), self._changed)
        self.run_worker(self.book.start(), group="account", exit_on_error=False)

    async def on_unmount(self) -> None:
        if self.book is not None:
            await self.book.close()

    def action_close(self) -> None:
        self.dismiss(None)

    # -- painting ------------------------------------------------------------------------------
    def _say(self, text: str) -> None:
        self._note = text
        with contextlib.suppress(NoMatches):  # not composed yet, or already gone
            self.query_one("#account-note", Static).update(Text(text))  # never markup

    def _changed(self, now: bool = False) -> None:
        if self.book is not None and self.book.note != self._note:
            self._say(self.book.note)
        self._dirty = True
        if now:
            self._paint()
        elif self._paint_timer is None:
            self._paint_timer = self.set_timer(PAINT_AFTER, self._paint)

    def _repaint_if_dirty(self) -> None:
        if self._dirty:
            self._paint()

    def _paint(self) -> None:
        self._paint_timer = None
        self._dirty = False
        book = self.book
        if book is None:
            return
        try:
            balances = self.query_one("#balances", DataTable)
        except NoMatches:  # the screen was closed while a change was on its way
            return
        balances.clear()
        pnl_total = 0.0
        for currency, held in sorted(book.holdings.items(), key=lambda kv: kv[0] != KRW):
            if currency != KRW and not held.total:
                continue
            value = book.value_of(currency)
            price = book.prices.get(currency) if currency != KRW else None
            pnl = pct = None
            if price is not None and held.avg_buy_price:
                pnl = (price - held.avg_buy_price) * held.total
                pct = (price / held.avg_buy_price - 1.0) * 100.0
                pnl_total += pnl
            style = "green" if (pnl or 0) > 0 else "red" if (pnl or 0) < 0 else ""
            balances.add_row(
                currency, _num(held.balance), _num(held.locked),
                _num(held.avg_buy_price or None), _num(price),
                _num(value) if value is not None else "no price yet",
                Text(_num(pnl), style=style), Text("-" if pct is None else f"{pct:+.2f}%", style),
                key=currency,
            )  # fmt: skip
        orders = self.query_one("#orders", DataTable)
        orders.clear()
        for o in sorted(book.orders.values(), key=lambda o: -o.created_ms):
            progress = o.progress
            filled = "-" if progress is None else f"{progress * 100:.0f}% of {_num(o.volume)}"
            orders.add_row(
                o.market, o.side, o.order_type, _num(o.price), _num(o.volume), filled,
                _clock(o.created_ms), key=o.uuid,
            )  # fmt: skip
        fills = self.query_one("#fills", DataTable)
        fills.clear()
        seen: set[str] = set()
        for f in book.fills:
            if f.key in seen:
                continue
            seen.add(f.key)
            fills.add_row(
                _clock(f.ms), f.market, f.side, _num(f.price), _num(f.volume),
                _fee(f.market, f.fee), f.role or "-", key=f.key,
            )  # fmt: skip
        total_value, unpriced = book.total_value()
        missing = f" ({unpriced} without a price yet)" if unpriced else ""
        totals = (
            f"Value {total_value:,.0f} KRW{missing}   Unrealised P&L {pnl_total:+,.0f} KRW   "
            f"Fees paid since opened {book.fees_paid:,.0f} KRW   Open orders {len(book.orders)}"
        )
        self.query_one("#account-totals", Static).update(Text(totals))
        self.painted_at = time.perf_counter()
