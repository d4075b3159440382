"""``$``: the account: balances valued in KRW at live prices, open orders, recent fills.

Read-only: the cockpit watches the account, it never places an order. The screen starts from
the REST picture (balances with their average buy price, open orders) and then lives on the
private streams: ``myAsset`` moves balances, ``myOrder`` moves orders and adds fills, and the
public ticker of every coin held prices it. Without keys it says how to add them; a key the
exchange refuses is said in its words (which permission is missing).

Private events are rare (a trader's own orders), so a change is painted within
``PAINT_AFTER`` of arriving (the figure the account benchmark measures); ticker moves only
mark the tables dirty and are painted on the ``REPAINT`` cadence, like every other pane.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Static

from dantaro_tui.credentials import Credentials, CredentialsError, how_to_add, load
from dantaro_tui.exchanges.upbit_account_rest import OrderRow
from dantaro_tui.feed.account_rest import AccountClient
from dantaro_tui.feed.client import WebSocketClient
from dantaro_tui.feed.private import PrivateStreamError
from dantaro_tui.feed.rest import RestError
from dantaro_tui.model import MyAsset, MyOrder, Ticker
from dantaro_tui.ui.feeds import app_hub

EXCHANGE = "upbit"
REPAINT = 0.5  # seconds between repaints for price moves
PAINT_AFTER = 0.01  # a private event is painted this soon (several in a burst: one paint)
FILLS_KEPT = 50
KRW = "KRW"


@dataclass
class Holding:
    balance: float
    locked: float
    avg_buy_price: float = 0.0

    @property
    def total(self) -> float:
        return self.balance + self.locked


@dataclass
class OpenOrder:
    uuid: str
    market: str
    side: str
    order_type: str
    price: float | None
    volume: float | None
    executed: float
    created_ms: int

    @property
    def progress(self) -> float | None:
        """Filled fraction (None for a market buy by total, which has no volume)."""
        if not self.volume:
            return None
        return min(1.0, self.executed / self.volume)


def _num(x: float | None, digits: int = 8) -> str:
    if x is None:
        return "-"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:,.{digits}f}".rstrip("0").rstrip(".") or "0"


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

    def __init__(self, credentials: Credentials | None = None, exchange: str = EXCHANGE) -> None:
        super().__init__()
        self.exchange = exchange
        self._given = credentials
        self.credentials: Credentials | None = None
        self.note = ""
        self.holdings: dict[str, Holding] = {}
        self.prices: dict[str, float] = {}  # currency -> KRW price
        self.orders: dict[str, OpenOrder] = {}
        self.fills: deque[MyOrder] = deque(maxlen=FILLS_KEPT)
        self.fees_paid = 0.0  # since the screen opened
        self.painted_at = 0.0  # perf_counter time of the last paint (for the benchmark)
        self._dirty = False
        self._paint_timer: Timer | None = None
        self._client: WebSocketClient | None = None
        self._rest: AccountClient | None = None
        self._priced: frozenset[str] = frozenset()
        self._refresh_task: asyncio.Task[None] | None = None

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
        try:
            self.credentials = self._given or load(self.exchange)
        except CredentialsError as exc:
            self._say(str(exc))
            return
        if self.credentials is None:
            self._say(how_to_add(self.exchange))
            return
        title = f"Account — {self.exchange.title()} key {self.credentials.masked_access_key}"
        self.query_one("#account-title", Static).update(Text(title))
        self.set_interval(REPAINT, self._repaint_if_dirty)
        self.run_worker(self._start(self.credentials), group="account", exit_on_error=False)

    async def on_unmount(self) -> None:
        with contextlib.suppress(Exception):
            if self._client is not None:
                await self._client.cleanup()
        with contextlib.suppress(Exception):
            if self._rest is not None:
                await self._rest.close()

    def action_close(self) -> None:
        self.dismiss(None)

    # -- feeds -------------------------------------------------------------------------------
    async def _start(self, credentials: Credentials) -> None:
        hub = app_hub(self)
        self._client = WebSocketClient("account", self.exchange, hub=hub, credentials=credentials)
        self._rest = AccountClient(credentials, hub=hub)
        try:
            # Streams first: nothing that changes while the REST picture loads is missed.
            await self._client.subscribe_my_asset(self._on_asset)
            await self._client.subscribe_my_order(self._on_order)
        except (PrivateStreamError, CredentialsError) as exc:
            self._say(str(exc))
        await self._load()

    async def _load(self) -> None:
        if self._rest is None:
            return
        try:
            balances = await self._rest.accounts()
            orders = await self._rest.open_orders()
        except RestError as exc:
            self._say(f"Cannot read the account: {exc.message}")
            return
        for b in balances:
            held = self.holdings.get(b.currency)
            if held is None:
                self.holdings[b.currency] = Holding(b.balance, b.locked, b.avg_buy_price)
            else:
                held.avg_buy_price = b.avg_buy_price
        for row in orders:
            self.orders.setdefault(row.uuid, _open_from_row(row))
        await self._price_holdings()
        self._changed(now=True)

    async def _price_holdings(self) -> None:
        coins = frozenset(f"{KRW}-{c}" for c, h in self.holdings.items() if c != KRW and h.total)
        if coins == self._priced or self._client is None:
            return
        self._priced = coins
        if coins:
            await self._client.subscribe_ticker(coins, self._on_ticker)
        else:
            await self._client.unsubscribe("ticker")

    def _on_ticker(self, ticker: Ticker) -> None:
        self.prices[ticker.base] = ticker.trade_price
        self._dirty = True

    def _on_asset(self, asset: MyAsset) -> None:
        held = self.holdings.get(asset.currency)
        if held is None:
            self.holdings[asset.currency] = Holding(asset.balance, asset.locked)
            self.run_worker(self._price_holdings(), group="prices", exit_on_error=False)
        else:
            held.balance, held.locked = asset.balance, asset.locked
        self._changed()

    def _on_order(self, order: MyOrder) -> None:
        if order.state in ("done", "cancel", "prevented"):
            self.orders.pop(order.uuid, None)
            if order.state == "done":
                self._refresh_soon()  # the average buy price moved: REST has it
        elif order.state == "trade":
            self.fills.appendleft(order)
            self.fees_paid += order.trade_fee or 0.0
            known = self.orders.get(order.uuid)
            if known is not None:
                known.executed = order.executed_volume
        else:
            self.orders[order.uuid] = OpenOrder(
                order.uuid, order.symbol, order.side, order.order_type, order.price,
                order.volume, order.executed_volume, order.order_timestamp,
            )  # fmt: skip
        self._changed()

    def _refresh_soon(self) -> None:
        if self._refresh_task is None or self._refresh_task.done():
            self._refresh_task = asyncio.create_task(self._load())

    # -- painting ------------------------------------------------------------------------------
    def _say(self, text: str) -> None:
        self.note = text
        with contextlib.suppress(Exception):
            self.query_one("#account-note", Static).update(Text(text))  # never markup

    def _changed(self, now: bool = False) -> None:
        self._dirty = True
        if now:
            self._paint()
        elif self._paint_timer is None:
            self._paint_timer = self.set_timer(PAINT_AFTER, self._paint)

    def _repaint_if_dirty(self) -> None:
        if self._dirty:
            self._paint()

    def value_of(self, currency: str) -> float | None:
        held = self.holdings[currency]
        if currency == KRW:
            return held.total
        price = self.prices.get(currency)
        return None if price is None else held.total * price

    def _paint(self) -> None:
        self._paint_timer = None
        self._dirty = False
        balances = self.query_one("#balances", DataTable)
        balances.clear()
        total_value = 0.0
        pnl_total = 0.0
        unpriced = 0
        for currency, held in sorted(self.holdings.items(), key=lambda kv: kv[0] != KRW):
            if currency != KRW and not held.total:
                continue
            value = self.value_of(currency)
            price = self.prices.get(currency) if currency != KRW else None
            pnl = pct = None
            if price is not None and held.avg_buy_price:
                pnl = (price - held.avg_buy_price) * held.total
                pct = (price / held.avg_buy_price - 1.0) * 100.0
                pnl_total += pnl
            if value is None:
                unpriced += 1
            else:
                total_value += value
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
        for o in sorted(self.orders.values(), key=lambda o: -o.created_ms):
            progress = o.progress
            filled = "-" if progress is None else f"{progress * 100:.0f}% of {_num(o.volume)}"
            orders.add_row(
                o.market, o.side, o.order_type, _num(o.price), _num(o.volume), filled,
                _clock(o.created_ms), key=o.uuid,
            )  # fmt: skip
        fills = self.query_one("#fills", DataTable)
        fills.clear()
        for f in self.fills:
            fills.add_row(
                _clock(f.trade_timestamp or f.timestamp), f.symbol, f.side, _num(f.price),
                _num(f.volume), _num(f.trade_fee), "maker" if f.is_maker else "taker",
                key=f.trade_uuid or None,
            )  # fmt: skip
        missing = f" ({unpriced} without a price yet)" if unpriced else ""
        totals = (
            f"Value {total_value:,.0f} KRW{missing}   Unrealised P&L {pnl_total:+,.0f} KRW   "
            f"Fees paid (this session) {self.fees_paid:,.0f} KRW   Open orders {len(self.orders)}"
        )
        self.query_one("#account-totals", Static).update(Text(totals))
        self.painted_at = time.perf_counter()


def _open_from_row(row: OrderRow) -> OpenOrder:
    return OpenOrder(
        row.uuid, row.market, row.side, row.order_type, row.price, row.volume,
        row.executed_volume, row.created_at,
    )  # fmt: skip
