"""The account as the cockpit keeps it: balances, prices, open orders, fills and fees of one
key pair, fed by REST and the private streams. The account screen (``$``) and the compact
account pane both read one of these; neither places an order.

It starts from the REST picture (balances with their average buy price, open orders, the
most recent closed orders as fills) and then lives on the streams: ``myAsset`` moves
balances, ``myOrder`` moves orders and adds fills, and the public ticker of every coin held
prices it in KRW. ``on_change`` is called after every change (``now=True`` when a repaint
should not wait); a problem is one sentence in ``note``.

Where the keys come from (:func:`resolve`): keys the app holds in memory (the demo's paper
account), else the environment or the keys file (``credentials.load``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from dantaro_tui.credentials import Credentials, CredentialsError, how_to_add, load
from dantaro_tui.exchanges.upbit_account_rest import OrderRow
from dantaro_tui.feed.account_rest import AccountClient
from dantaro_tui.feed.client import WebSocketClient
from dantaro_tui.feed.hub import FeedHub
from dantaro_tui.feed.private import PRIVATE_CODECS, PrivateStreamError
from dantaro_tui.feed.rest import RestError
from dantaro_tui.model import MyAsset, MyOrder, Ticker

KRW = "KRW"
DEFAULT_EXCHANGE = "upbit"
FILLS_KEPT = 50
CLOSED_LOADED = 20  # closed orders read at start, shown as fills


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


@dataclass(frozen=True)
class FillRow:
    """A fill as shown: one ``trade`` event, or a closed order read at start (``role`` "")."""

    ms: int
    market: str
    side: str
    price: float | None
    volume: float | None
    fee: float | None
    role: str  # "maker", "taker", or "" when the exchange does not say
    key: str


@dataclass(frozen=True)
class Source:
    """Which account to show and how to say so."""

    exchange: str
    credentials: Credentials | None
    label: str = ""  # "paper account (demo)" for the demo's in-memory keys
    problem: str = ""  # why there are no keys, in words


def account_exchange(app: Any) -> str:
    """The cockpit's exchange when it has private streams, else Upbit."""
    config = getattr(app, "config", None)
    exchange = getattr(config, "exchange", DEFAULT_EXCHANGE)
    return exchange if exchange in PRIVATE_CODECS else DEFAULT_EXCHANGE


def resolve(app: Any, exchange: str | None = None) -> Source:
    """The keys for the account view: the app's in-memory ones first (``account_keys``, the
    demo's paper account), then the environment or the keys file."""
    exchange = exchange or account_exchange(app)
    held: dict[str, Credentials] = getattr(app, "account_keys", None) or {}
    if exchange in held:
        return Source(exchange, held[exchange], getattr(app, "account_label", ""))
    try:
        found = load(exchange)
    except CredentialsError as exc:
        return Source(exchange, None, problem=str(exc))
    if found is None:
        return Source(exchange, None, problem=how_to_add(exchange))
    return Source(exchange, found)


class AccountBook:
    """One key pair's account, live. Call :meth:`start` once, :meth:`close` at the end."""

    def __init__(
        self,
        credentials: Credentials,
        hub: FeedHub,
        on_change: Callable[[bool], None],
        name: str = "account",
    ) -> None:
        self.credentials = credentials
        self.exchange = credentials.exchange
        self.hub = hub
        self.on_change = on_change
        self.name = name
        self.note = ""
        self._load_note = ""  # the note of a failed REST load, cleared by the next good one
        self.holdings: dict[str, Holding] = {}
        self.prices: dict[str, float] = {}  # currency -> KRW price
        self.orders: dict[str, OpenOrder] = {}
        self.fills: deque[FillRow] = deque(maxlen=FILLS_KEPT)
        self.fees_paid = 0.0  # on fills seen since the book started
        self.loaded = False  # the REST picture arrived
        self._paid: dict[str, float] = {}  # order -> paid_fee last seen
        self._client: WebSocketClient | None = None
        self._rest: AccountClient | None = None
        self._priced: frozenset[str] = frozenset()
        self._refresh: asyncio.Task[None] | None = None
        self._pricing: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._client = WebSocketClient(
            self.name, self.exchange, hub=self.hub, credentials=self.credentials
        )
        self._rest = AccountClient(self.credentials, hub=self.hub)
        try:
            # Streams first: nothing that changes while the REST picture loads is missed.
            await self._client.subscribe_my_asset(self._on_asset)
            await self._client.subscribe_my_order(self._on_order)
        except (PrivateStreamError, CredentialsError) as exc:
            self._say(str(exc))
        await self.load()

    async def close(self) -> None:
        for task in (self._refresh, self._pricing):
            if task is not None:
                task.cancel()
        with contextlib.suppress(Exception):
            if self._client is not None:
                await self._client.cleanup()
        with contextlib.suppress(Exception):
            if self._rest is not None:
                await self._rest.close()

    async def load(self) -> None:
        if self._rest is None:
            return
        try:
            balances = await self._rest.accounts()
            orders = await self._rest.open_orders()
            closed = [] if self.loaded else await self._rest.closed_orders(limit=CLOSED_LOADED)
        except RestError as exc:
            self._load_note = f"Cannot read the account: {exc.message}"
            self._say(self._load_note)
            return
        if self._load_note and self.note == self._load_note:
            self.note = ""  # the picture is current again: no stale failure line
        self._load_note = ""
        for b in balances:
            held = self.holdings.get(b.currency)
            if held is None:
                self.holdings[b.currency] = Holding(b.balance, b.locked, b.avg_buy_price)
            else:
                held.avg_buy_price = b.avg_buy_price
        for row in orders:
            self.orders.setdefault(row.uuid, _open_from_row(row))
            self._paid.setdefault(row.uuid, row.paid_fee)
        known = {f.key for f in self.fills}
        for row in sorted(closed, key=lambda r: r.created_at):
            if row.executed_volume > 0 and row.uuid not in known:
                self.fills.appendleft(_fill_from_row(row))
        self.loaded = True
        await self._price_holdings()
        self.on_change(True)

    # -- what the view reads ---------------------------------------------------------------
    def value_of(self, currency: str) -> float | None:
        held = self.holdings[currency]
        if currency == KRW:
            return held.total
        price = self.prices.get(currency)
        return None if price is None else held.total * price

    def total_value(self) -> tuple[float, int]:
        """(value of every holding in KRW, how many holdings have no price yet)."""
        total, unpriced = 0.0, 0
        for currency, held in self.holdings.items():
            if currency != KRW and not held.total:
                continue
            value = self.value_of(currency)
            if value is None:
                unpriced += 1
            else:
                total += value
        return total, unpriced

    # -- feeds -------------------------------------------------------------------------------
    def _say(self, text: str) -> None:
        self.note = text
        self.on_change(True)

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
        self.on_change(False)

    def _on_asset(self, asset: MyAsset) -> None:
        held = self.holdings.get(asset.currency)
        if held is None:
            self.holdings[asset.currency] = Holding(asset.balance, asset.locked)
            if self._pricing is None or self._pricing.done():
                self._pricing = self._spawn(self._price_holdings())
        else:
            held.balance, held.locked = asset.balance, asset.locked
        self.on_change(False)

    def _on_order(self, order: MyOrder) -> None:
        before = self._paid.get(order.uuid)
        self._paid[order.uuid] = order.paid_fee
        if order.state in ("done", "cancel", "prevented"):
            self.orders.pop(order.uuid, None)
            self._paid.pop(order.uuid, None)
            if order.state == "done":
                self._refresh_soon()  # the average buy price moved: REST has it
        elif order.state == "trade":
            # Bithumb's stream gives no fee per fill: the growth of the order's paid fee is.
            fee = order.trade_fee
            if fee is None and before is not None:
                fee = max(0.0, order.paid_fee - before)
            self.fees_paid += fee or 0.0
            role = "" if order.is_maker is None else "maker" if order.is_maker else "taker"
            self.fills.appendleft(
                FillRow(
                    order.trade_timestamp or order.timestamp, order.symbol, order.side,
                    order.price, order.volume, fee, role, order.trade_uuid or order.uuid,
                )
            )  # fmt: skip
            known = self.orders.get(order.uuid)
            if known is not None:
                known.executed = order.executed_volume
        else:
            self.orders[order.uuid] = OpenOrder(
                order.uuid, order.symbol, order.side, order.order_type, order.price,
                order.volume, order.executed_volume, order.order_timestamp,
            )  # fmt: skip
        self.on_change(False)

    def _refresh_soon(self) -> None:
        if self._refresh is None or self._refresh.done():
            self._refresh = self._spawn(self.load())

    def _spawn(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """A background refresh whose failure is said, not lost with the task."""
        task = asyncio.create_task(work)
        task.add_done_callback(self._said_if_failed)
        return task

    def _said_if_failed(self, task: asyncio.Task[None]) -> None:
        if task.cancelled() or task.exception() is None:
            return
        exc = task.exception()
        self._say(f"The account view stopped updating: {exc or type(exc).__name__}")


def _open_from_row(row: OrderRow) -> OpenOrder:
    return OpenOrder(
        row.uuid, row.market, row.side, row.order_type, row.price, row.volume,
        row.executed_volume, row.created_at,
    )  # fmt: skip


def _fill_from_row(row: OrderRow) -> FillRow:
    avg = row.executed_funds / row.executed_volume if row.executed_volume else None
    return FillRow(
        row.created_at, row.market, row.side, avg, row.executed_volume, row.paid_fee, "",
        row.uuid,
    )  # fmt: skip
