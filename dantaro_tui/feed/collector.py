"""MarketDataCollector: the freshest validated price per (exchange, symbol).

WebSocket data first; REST polled every ``rest_interval`` seconds as the fallback for the
symbols whose WebSocket data is stale. A price is only handed out when it is valid: finite
and positive, best bid below best ask, and not older than ``max_age``. Per-source freshness
is exposed so the scanner and the arbitrage view can show where a number came from and how
old it is.

WebSocket data of a symbol is *fresh* when it arrived within ``stale_after`` seconds, or,
for a quiet market (exchanges push only changes), when the socket carrying it is alive
(something arrived within ``stale_after``) and the symbol's data is within ``max_age``. So a
quiet coin on a healthy socket is not polled over REST every few seconds, while a stalled
socket hands every symbol to REST after ``stale_after`` (``quiet_ok=False``: per symbol
only).

    collector = MarketDataCollector({"upbit": ["KRW-BTC", "KRW-USDT"], "okx": ["BTC-USDT"]})
    await collector.start()
    q = collector.latest("upbit", "KRW-BTC")   # Quote | None; q.source is "ws" or "rest"
    collector.freshness("upbit", "KRW-BTC")    # {"ws": 0.2, "rest": 31.0}: seconds per source
    await collector.stop()

Feeds come from the hub's endpoint overrides (``--demo``) unless ``urls`` names
them (``{"upbit": {"ws": ..., "rest": ...}}``, the shape of ``SimServer.endpoints``).
Events can also be pushed in by hand with :meth:`ingest` (tests, replays).

Top of book: an order book's best levels (with their sizes) win; a ticker's best bid/ask
(OKX carries them, without sizes) is used only while no book arrived within
``stale_after``. Best bid/ask older than ``max_age`` are dropped from the quote (0.0 =
unknown) even when the last price is newer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Literal

import msgspec

from dantaro_tui.feed.client import WebSocketClient
from dantaro_tui.feed.hub import FeedHub
from dantaro_tui.feed.rest import RestError
from dantaro_tui.feed.rest_venues import RestClient
from dantaro_tui.model import OrderBook, Ticker, Trade

log = logging.getLogger(__name__)

Source = Literal["ws", "rest"]
SOURCES: tuple[Source, ...] = ("ws", "rest")
TradeCallback = Callable[[Trade], None]


class Quote(msgspec.Struct, frozen=True):
    exchange: str
    symbol: str
    price: float  # last trade price
    bid: float  # best bid, 0.0 = unknown
    ask: float  # best ask, 0.0 = unknown
    bid_size: float  # 0.0 = unknown
    ask_size: float
    source: Source
    received: float  # wall time the value arrived here

    @property
    def age(self) -> float:
        return time.time() - self.received

    @property
    def mid(self) -> float:
        return (self.bid + self.ask) / 2.0 if self.bid and self.ask else 0.0


def _finite(*xs: float) -> bool:
    return all(math.isfinite(x) for x in xs)


def is_valid(q: Quote, max_age: float, now: float | None = None) -> bool:
    """Positive finite price, no negative or crossed book, not older than ``max_age``."""
    now = time.time() if now is None else now
    if not _finite(q.price, q.bid, q.ask, q.bid_size, q.ask_size, q.received):
        return False
    if q.price <= 0 or now - q.received > max_age:
        return False
    if q.bid < 0 or q.ask < 0 or q.bid_size < 0 or q.ask_size < 0:
        return False
    return not (q.bid and q.ask and q.bid >= q.ask)


class _Slot:
    """Latest ticker and book of one symbol from one source, merged into a Quote."""

    __slots__ = (
        "ask",
        "ask_size",
        "bid",
        "bid_size",
        "book_at",
        "price",
        "received",
        "top_at",
        "updates",
    )

    def __init__(self) -> None:
        self.price = self.bid = self.ask = self.bid_size = self.ask_size = 0.0
        self.received = 0.0  # newest delivery of either kind
        self.book_at = 0.0  # newest usable book
        self.top_at = 0.0  # when bid/ask were last set (book or ticker)
        self.updates = 0

    def on_ticker(self, t: Ticker, now: float, book_precedence: float) -> None:
        if t.trade_price > 0 and math.isfinite(t.trade_price):
            self.price = t.trade_price
        if t.best_bid and t.best_ask and now - self.book_at > book_precedence:
            # No fresh book: the ticker's top (without sizes) is the best we have.
            self.bid, self.ask = t.best_bid, t.best_ask
            self.bid_size = self.ask_size = 0.0
            self.top_at = now
        self.received = now
        self.updates += 1

    def on_book(self, b: OrderBook, now: float) -> None:
        if b.bids and b.asks:
            self.bid, self.bid_size = b.bids[0].price, b.bids[0].size
            self.ask, self.ask_size = b.asks[0].price, b.asks[0].size
            self.book_at = self.top_at = now
        self.received = now
        self.updates += 1

    def quote(
        self, exchange: str, symbol: str, source: Source, max_age: float, now: float
    ) -> Quote:
        if now - self.top_at > max_age:
            bid = ask = bid_size = ask_size = 0.0
        else:
            bid, ask, bid_size, ask_size = self.bid, self.ask, self.bid_size, self.ask_size
        return Quote(
            exchange, symbol, self.price, bid, ask, bid_size, ask_size, source, self.received
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
        urls: Mapping[str, Mapping[str, str]] | None = None,
        on_trade: TradeCallback | None = None,
        sync_timeout: float = 5.0,
        quiet_ok: bool = True,
        hub: FeedHub | None = None,
    ) -> None:
        self.hub = hub
        self.markets = {ex.lower(): sorted(set(syms)) for ex, syms in markets.items()}
        self.name = name
        self.rest_interval = rest_interval
        self.stale_after = stale_after
        self.max_age = max_age
        self.books = books
        self.urls = {ex.lower(): dict(u) for ex, u in (urls or {}).items()}
        self.on_trade = on_trade
        self.sync_timeout = sync_timeout  # how long start() waits for each subscription
        self.quiet_ok = quiet_ok
        self._slots: dict[tuple[str, str, Source], _Slot] = {}
        self._clients: dict[str, WebSocketClient] = {}
        self._rest: dict[str, RestClient] = {}
        self._poller: asyncio.Task[None] | None = None
        self._closed = False
        self.rest_errors = 0
        self.last_rest_error = ""
        self.rest_polls = 0  # REST fallback rounds that fetched something

    def _slot(self, exchange: str, symbol: str, source: Source) -> _Slot:
        key = (exchange, symbol, source)
        slot = self._slots.get(key)
        if slot is None:
            slot = self._slots[key] = _Slot()
        return slot

    # -- lifecycle -----------------------------------------------------------------------
    async def start(self) -> None:
        """Start the REST fallback poller, then subscribe every exchange (concurrently).

        A WebSocket that cannot connect does not hold anything up: its symbols go stale and
        REST serves them while the connection keeps retrying in the background.
        """
        self._closed = False
        for exchange in self.markets:
            self._ensure_rest(exchange)
        if self._poller is None:
            self._poller = asyncio.create_task(self._poll_loop(), name=f"{self.name}:rest")
        await asyncio.gather(*(self._subscribe(ex, syms) for ex, syms in self.markets.items()))

    def _ensure_rest(self, exchange: str) -> RestClient:
        rest = self._rest.get(exchange)
        if rest is None:
            url = self.urls.get(exchange, {}).get("rest")
            rest = self._rest[exchange] = RestClient(exchange, url, hub=self.hub)
        return rest

    async def _subscribe(self, exchange: str, symbols: list[str]) -> None:
        client = self._clients.get(exchange)
        if client is None:
            urls = self.urls.get(exchange, {})
            client = WebSocketClient(
                f"{self.name}:{exchange}",
                exchange=exchange,
                url=urls.get("ws"),
                rest_url=urls.get("rest"),
                sync_timeout=self.sync_timeout,
                hub=self.hub,
            )
            self._clients[exchange] = client
        if not symbols:
            for channel in ("ticker", "orderbook", "trade"):
                await client.unsubscribe(channel)
            return
        wanted: list[tuple[str, Callable[[Any], None]]] = [("ticker", self._on_ticker)]
        if self.books:
            wanted.append(("orderbook", self._on_book))
        if self.on_trade is not None:
            wanted.append(("trade", self._on_trade))
        for channel, callback in wanted:
            if self._closed:  # stop() ran while an earlier subscription was syncing
                return
            await client.subscribe(channel, symbols, callback)

    async def set_markets(self, markets: Mapping[str, Iterable[str]]) -> None:
        """Swap the watched symbols (exchanges may come and go) without restarting."""
        new = {ex.lower(): sorted(set(syms)) for ex, syms in markets.items()}
        for gone in set(self.markets) - set(new):
            client = self._clients.pop(gone, None)
            if client is not None:
                await client.cleanup()
            rest = self._rest.pop(gone, None)
            if rest is not None:
                await rest.close()
        self.markets = new
        wanted = {(ex, s) for ex, syms in new.items() for s in syms}
        self._slots = {k: v for k, v in self._slots.items() if (k[0], k[1]) in wanted}
        if self._poller is None:
            return  # not started: start() subscribes
        for exchange in new:
            self._ensure_rest(exchange)
        await asyncio.gather(*(self._subscribe(ex, syms) for ex, syms in new.items()))

    async def stop(self) -> None:
        self._closed = True
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

    # -- ingest --------------------------------------------------------------------------
    def _on_ticker(self, t: Ticker) -> None:
        self._slot(t.exchange, t.symbol, "ws").on_ticker(t, time.time(), self.stale_after)

    def _on_book(self, b: OrderBook) -> None:
        self._slot(b.exchange, b.symbol, "ws").on_book(b, time.time())

    def _on_trade(self, t: Trade) -> None:
        if self.on_trade is not None:
            self.on_trade(t)

    def ingest(
        self, event: Ticker | OrderBook | Trade, source: Source = "ws", now: float | None = None
    ) -> None:
        """Take an event as if ``source`` had delivered it at ``now`` (default: now)."""
        now = time.time() if now is None else now
        if isinstance(event, Ticker):
            self._slot(event.exchange, event.symbol, source).on_ticker(event, now, self.stale_after)
        elif isinstance(event, OrderBook):
            self._slot(event.exchange, event.symbol, source).on_book(event, now)
        elif isinstance(event, Trade):
            self._on_trade(event)

    # -- REST fallback -------------------------------------------------------------------
    def ws_live(self, exchange: str, now: float | None = None) -> bool:
        """The exchange's socket is connected and delivered something within ``stale_after``."""
        client = self._clients.get(exchange.lower())
        if client is None:
            return False
        h = client.health()
        now = time.time() if now is None else now
        return (
            h.state == "connected"
            and bool(h.last_message)
            and (now - h.last_message <= self.stale_after)
        )

    def _ws_fresh(self, slot: _Slot | None, now: float, live: bool) -> bool:
        if slot is None or not slot.received:
            return False
        age = now - slot.received
        return age <= self.stale_after or (live and self.quiet_ok and age <= self.max_age)

    def stale_symbols(self, exchange: str, now: float | None = None) -> list[str]:
        """The symbols REST has to serve: their WebSocket data is not fresh."""
        now = time.time() if now is None else now
        live = self.ws_live(exchange, now)
        return [
            symbol
            for symbol in self.markets.get(exchange, [])
            if not self._ws_fresh(self._slots.get((exchange, symbol, "ws")), now, live)
        ]

    async def poll_once(self) -> int:
        """Fetch REST data for every symbol whose WebSocket data is stale; returns how many
        tickers arrived. A round's tickers and books are applied together, so a quote never
        shows a REST price with no REST book behind it while the book call is in flight."""
        fetched = 0
        for exchange in list(self.markets):
            if exchange not in self.markets or self._closed:
                continue  # dropped by set_markets()/stop() while an earlier call awaited
            rest = self._ensure_rest(exchange)
            stale = self.stale_symbols(exchange)
            if not stale:
                continue
            try:
                tickers = await rest.tickers(stale)
            except RestError as exc:
                self._rest_failed(exchange, exc)
                continue
            books: list[OrderBook] = []
            if self.books:
                try:
                    books = await rest.orderbooks(stale)
                except RestError as exc:
                    self._rest_failed(exchange, exc)  # the tickers still count
            now = time.time()
            wanted = set(stale)
            for t in tickers:
                if t.symbol in wanted:
                    self._slot(exchange, t.symbol, "rest").on_ticker(t, now, self.stale_after)
                    fetched += 1
            for b in books:
                if b.symbol in wanted:
                    self._slot(exchange, b.symbol, "rest").on_book(b, now)
        if fetched:
            self.rest_polls += 1
        return fetched

    def _rest_failed(self, exchange: str, exc: RestError) -> None:
        self.rest_errors += 1
        self.last_rest_error = exc.message
        log.info("%s REST fallback failed: %s", exchange, exc.message)

    async def _poll_loop(self) -> None:
        while True:
            await asyncio.sleep(self.rest_interval)
            try:
                await self.poll_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the fallback must outlive any one bad reply
                self.rest_errors += 1
                self.last_rest_error = f"{type(exc).__name__}: {exc}"
                log.exception("%s REST fallback round failed", self.name)

    # -- reading -------------------------------------------------------------------------
    def latest(self, exchange: str, symbol: str, now: float | None = None) -> Quote | None:
        """WebSocket if fresh, else the freshest valid value of either source, else None."""
        exchange = exchange.lower()
        now = time.time() if now is None else now
        ws = self._slots.get((exchange, symbol, "ws"))
        if ws is not None and self._ws_fresh(ws, now, self.ws_live(exchange, now)):
            q = ws.quote(exchange, symbol, "ws", self.max_age, now)
            if is_valid(q, self.max_age, now):
                return q
        candidates = [
            slot.quote(exchange, symbol, source, self.max_age, now)
            for source in SOURCES
            if (slot := self._slots.get((exchange, symbol, source))) is not None
        ]
        valid = [q for q in candidates if is_valid(q, self.max_age, now)]
        return max(valid, key=lambda q: q.received) if valid else None

    def quotes(self, exchange: str | None = None) -> dict[tuple[str, str], Quote]:
        """Every symbol's :meth:`latest` that has one, keyed by (exchange, symbol)."""
        now = time.time()
        out: dict[tuple[str, str], Quote] = {}
        for ex, symbols in self.markets.items():
            if exchange is not None and ex != exchange.lower():
                continue
            for symbol in symbols:
                q = self.latest(ex, symbol, now)
                if q is not None:
                    out[(ex, symbol)] = q
        return out

    def freshness(self, exchange: str, symbol: str) -> dict[Source, float]:
        """Seconds since each source last delivered this symbol (absent = never)."""
        now = time.time()
        out: dict[Source, float] = {}
        for source in SOURCES:
            slot = self._slots.get((exchange.lower(), symbol, source))
            if slot is not None and slot.received:
                out[source] = now - slot.received
        return out

    def source_freshness(self, exchange: str) -> dict[Source, float]:
        """Per source, seconds since it last delivered anything for ``exchange``."""
        now = time.time()
        exchange = exchange.lower()
        newest: dict[Source, float] = {}
        for (ex, _, source), slot in self._slots.items():
            if ex == exchange and slot.received > newest.get(source, 0.0):
                newest[source] = slot.received
        return {s: now - t for s, t in newest.items()}

    def updates(self, exchange: str, symbol: str) -> dict[Source, int]:
        """How many tickers and books each source delivered for this symbol."""
        out: dict[Source, int] = {}
        for source in SOURCES:
            slot = self._slots.get((exchange.lower(), symbol, source))
            if slot is not None:
                out[source] = slot.updates
        return out
