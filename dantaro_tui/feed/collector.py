"""MarketDataCollector: the freshest validated price per (exchange, symbol).

WebSocket data first; REST polled as the fallback for symbols whose WebSocket data is
older than ``stale_after``. A price is only handed out when it is valid: positive, best
bid below best ask, and not older than ``max_age``. Per-source freshness is exposed so the
scanner and the arbitrage view can show where a number came from and how old it is.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterable, Mapping
from typing import Literal

import msgspec

from dantaro_tui.feed.client import WebSocketClient
from dantaro_tui.feed.rest import RestError
from dantaro_tui.feed.rest_venues import RestClient
from dantaro_tui.model import OrderBook, Ticker

log = logging.getLogger(__name__)

Source = Literal["ws", "rest"]


class Quote(msgspec.Struct, frozen=True):
    exchange: str
    symbol: str
    price: float  # last trade price
    bid: float  # best bid, 0.0 = unknown
    ask: float  # best ask, 0.0 = unknown
    bid_size: float
    ask_size: float
    source: Source
    received: float  # wall time the value arrived here

    @property
    def age(self) -> float:
        return time.time() - self.received


def is_valid(q: Quote, max_age: float, now: float | None = None) -> bool:
    now = time.time() if now is None else now
    if q.price <= 0 or now - q.received > max_age:
        return False
    if q.bid < 0 or q.ask < 0:
        return False
    return not (q.bid and q.ask and q.bid >= q.ask)


class _Slot:
    """Latest ticker and book of one symbol from one source, merged into a Quote."""

    __slots__ = ("ask", "ask_size", "bid", "bid_size", "price", "received")

    def __init__(self) -> None:
        self.price = self.bid = self.ask = self.bid_size = self.ask_size = 0.0
        self.received = 0.0

    def on_ticker(self, t: Ticker, now: float) -> None:
        self.price = t.trade_price
        if t.best_bid and t.best_ask:
            self.bid, self.ask = t.best_bid, t.best_ask
        self.received = now

    def on_book(self, b: OrderBook, now: float) -> None:
        if b.bids and b.asks:
            self.bid, self.bid_size = b.bids[0].price, b.bids[0].size
            self.ask, self.ask_size = b.asks[0].price, b.asks[0].size
        self.received = now

    def quote(self, exchange: str, symbol: str, source: Source) -> Quote:
        return Quote(
            exchange,
            symbol,
            self.price,
            self.bid,
            self.ask,
            self.bid_size,
            self.ask_size,
            source,
            self.received,
        )


class MarketDataCollector:
    def __init__(
        self,
        markets: Mapping[str, Iterable[str]],
        *,
        name: str = "collector",
        rest_interval: float = 5.0,
        stale_after: float = 5.0,
        max_age: float = 60.0,
        books: bool = True,
    ) -> None:
        self.markets = {ex.lower(): sorted(set(syms)) for ex, syms in markets.items()}
        self.name = name
        self.rest_interval = rest_interval
        self.stale_after = stale_after
        self.max_age = max_age
        self.books = books
        self._slots: dict[tuple[str, str, Source], _Slot] = {}
        self._clients: dict[str, WebSocketClient] = {}
        self._rest: dict[str, RestClient] = {}
        self._poller: asyncio.Task[None] | None = None
        self.rest_errors = 0
        self.last_rest_error = ""

    def _slot(self, exchange: str, symbol: str, source: Source) -> _Slot:
        key = (exchange, symbol, source)
        slot = self._slots.get(key)
        if slot is None:
            slot = self._slots[key] = _Slot()
        return slot

    async def start(self) -> None:
        for exchange, symbols in self.markets.items():
            client = WebSocketClient(f"{self.name}:{exchange}", exchange=exchange)
            self._clients[exchange] = client
            self._rest[exchange] = RestClient(exchange)
            await client.subscribe_ticker(symbols, self._on_ticker)
            if self.books:
                await client.subscribe_orderbook(symbols, self._on_book)
        self._poller = asyncio.create_task(self._poll_loop())

    def _on_ticker(self, t: Ticker) -> None:
        self._slot(t.exchange, t.symbol, "ws").on_ticker(t, time.time())

    def _on_book(self, b: OrderBook) -> None:
        self._slot(b.exchange, b.symbol, "ws").on_book(b, time.time())

    def stale_symbols(self, exchange: str, now: float | None = None) -> list[str]:
        now = time.time() if now is None else now
        out = []
        for symbol in self.markets.get(exchange, []):
            slot = self._slots.get((exchange, symbol, "ws"))
            if slot is None or now - slot.received > self.stale_after:
                out.append(symbol)
        return out

    async def poll_once(self) -> int:
        """Fetch REST data for every symbol whose WebSocket data is stale; returns how many."""
        fetched = 0
        for exchange, rest in self._rest.items():
            stale = self.stale_symbols(exchange)
            if not stale:
                continue
            try:
                tickers = await rest.tickers(stale)
                books = await rest.orderbooks(stale) if self.books else []
            except RestError as exc:
                self.rest_errors += 1
                self.last_rest_error = exc.message
                log.info("%s REST fallback failed: %s", exchange, exc.message)
                continue
            now = time.time()
            for t in tickers:
                self._slot(exchange, t.symbol, "rest").on_ticker(t, now)
                fetched += 1
            for b in books:
                self._slot(exchange, b.symbol, "rest").on_book(b, now)
        return fetched

    async def _poll_loop(self) -> None:
        while True:
            await asyncio.sleep(self.rest_interval)
            await self.poll_once()

    def latest(self, exchange: str, symbol: str) -> Quote | None:
        """WebSocket if fresh, else the freshest valid value of either source, else None."""
        exchange = exchange.lower()
        now = time.time()
        ws = self._slots.get((exchange, symbol, "ws"))
        if ws is not None and now - ws.received <= self.stale_after:
            q = ws.quote(exchange, symbol, "ws")
            if is_valid(q, self.max_age, now):
                return q
        candidates = [
            slot.quote(exchange, symbol, source)
            for source in ("ws", "rest")
            if (slot := self._slots.get((exchange, symbol, source))) is not None
        ]
        valid = [q for q in candidates if is_valid(q, self.max_age, now)]
        return max(valid, key=lambda q: q.received) if valid else None

    def freshness(self, exchange: str, symbol: str) -> dict[Source, float]:
        """Seconds since each source last delivered this symbol (absent = never)."""
        now = time.time()
        out: dict[Source, float] = {}
        for source in ("ws", "rest"):
            slot = self._slots.get((exchange.lower(), symbol, source))
            if slot is not None and slot.received:
                out[source] = now - slot.received
        return out

    async def stop(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
            self._poller = None
        for client in self._clients.values():
            await client.cleanup()
        for rest in self._rest.values():
            await rest.close()
        self._clients.clear()
        self._rest.clear()
