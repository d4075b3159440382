"""WebSocketClient: the subscription state of one owner (a widget, a bot strategy).

The client holds the *desired* set (channel x symbols) and one callback per channel; its
connection(s) reconcile the server with that set. Events for symbols no longer desired
never reach a callback, and after a reconnect the whole set is restored by itself.

    client = WebSocketClient("chart_1")
    await client.subscribe_ticker(["KRW-BTC", "KRW-ETH"], on_ticker)
    await client.resubscribe(["KRW-XRP"])
    await client.cleanup()
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from dantaro_tui.exchanges import codec_class
from dantaro_tui.exchanges.base import ExchangeCodec
from dantaro_tui.feed import endpoints
from dantaro_tui.feed.connection import Connection
from dantaro_tui.feed.health import CLIENTS, Health, HealthSnapshot
from dantaro_tui.model import Candle, Event, OrderBook, Status, Ticker, Trade

log = logging.getLogger(__name__)

Callback = Callable[[Any], Awaitable[None] | None]

_KEY_OF_TYPE: dict[type, str] = {Ticker: "ticker", Trade: "trade", OrderBook: "orderbook"}
CANDLE_INTERVALS = ("1s", "1m", "3m", "5m", "10m", "15m", "30m", "1h", "4h")


class _Sub:
    __slots__ = ("callback", "is_async", "symbols")

    def __init__(self, symbols: frozenset[str], callback: Callback) -> None:
        self.symbols = symbols
        self.callback = callback
        self.is_async = inspect.iscoroutinefunction(callback)


class WebSocketClient:
    def __init__(
        self,
        name: str,
        exchange: str = "upbit",
        url: str | None = None,
        rest_url: str | None = None,
        *,
        keepalive: float | None = None,
        sync_timeout: float = 5.0,
        on_status: Callback | None = None,
        codec_factory: Callable[[], ExchangeCodec] | None = None,
    ) -> None:
        self.name = name
        self.exchange = exchange.lower()
        self._codec_cls = codec_class(self.exchange)
        self._codec_factory = codec_factory or self._codec_cls
        self._validator = self._codec_factory()
        self.url = endpoints.ws_url(self.exchange, url)
        self.rest_url = endpoints.rest_url(self.exchange, rest_url)
        self.keepalive = keepalive
        self.sync_timeout = sync_timeout
        self.on_status = on_status
        self._subs: dict[str, _Sub] = {}
        self._conns: dict[str, Connection] = {}
        self._health = Health(name, self.exchange)
        self._status_tasks: set[asyncio.Future[None]] = set()
        CLIENTS.add(self)

    # -- subscriptions ---------------------------------------------------------------
    async def subscribe_ticker(self, symbols: Iterable[str], callback: Callback) -> None:
        await self.subscribe("ticker", symbols, callback)

    async def subscribe_trade(self, symbols: Iterable[str], callback: Callback) -> None:
        await self.subscribe("trade", symbols, callback)

    async def subscribe_orderbook(self, symbols: Iterable[str], callback: Callback) -> None:
        await self.subscribe("orderbook", symbols, callback)

    async def subscribe_candle(
        self, symbols: Iterable[str], callback: Callback, interval: str = "1m"
    ) -> None:
        await self.subscribe(f"candle.{interval}", symbols, callback)

    async def subscribe(self, channel: str, symbols: Iterable[str], callback: Callback) -> None:
        """Set ``channel``'s symbols (replacing the previous ones) and its callback."""
        codes = self._normalize(symbols)
        self._validator.subscribe_frames({channel: codes}, {})  # ValueError if unknown
        self._subs[channel] = _Sub(codes, callback)
        await self._apply()

    async def unsubscribe(self, channel: str, symbols: Iterable[str] | None = None) -> None:
        """Drop ``symbols`` (all when None) from ``channel``; "candle" means every interval."""
        keys = [k for k in self._subs if k == channel or k.startswith(f"{channel}.")]
        drop = None if symbols is None else self._normalize(symbols)
        for key in keys:
            sub = self._subs[key]
            sub.symbols = frozenset() if drop is None else sub.symbols - drop
            if not sub.symbols:
                del self._subs[key]
        await self._apply()

    async def resubscribe(self, symbols: Iterable[str]) -> None:
        """Swap every subscribed channel to ``symbols`` in one request."""
        codes = self._normalize(symbols)
        for sub in self._subs.values():
            sub.symbols = codes
        await self._apply()

    @property
    def subscriptions(self) -> dict[str, frozenset[str]]:
        return {k: s.symbols for k, s in self._subs.items()}

    @property
    def symbols(self) -> frozenset[str]:
        return frozenset().union(*(s.symbols for s in self._subs.values()))

    def health(self) -> HealthSnapshot:
        waited = sum(c.rate_limit_wait for c in self._conns.values())
        return self._health.snapshot(waited)

    async def cleanup(self) -> None:
        """Close every connection and forget every subscription; the client stays usable."""
        self._subs.clear()
        conns, self._conns = self._conns, {}
        for conn in conns.values():
            await conn.close()
        self._health.state = "closed"

    async def __aenter__(self) -> WebSocketClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.cleanup()

    # -- internals ---------------------------------------------------------------------
    def _normalize(self, symbols: Iterable[str]) -> frozenset[str]:
        if isinstance(symbols, str):
            symbols = [symbols]
        return frozenset(self._validator.normalize_symbol(s) for s in symbols)

    async def _apply(self) -> None:
        by_endpoint: dict[str, dict[str, frozenset[str]]] = {}
        for key, sub in self._subs.items():
            by_endpoint.setdefault(self._validator.endpoint(key), {})[key] = sub.symbols
        for endpoint in set(self._conns) | set(by_endpoint):
            desired = by_endpoint.get(endpoint, {})
            conn = self._conns.get(endpoint)
            if conn is None:
                if not desired:
                    continue
                url = self._validator.ws_url(self.url, endpoint)
                conn = Connection(
                    self._codec_factory(),
                    url,
                    self._dispatch,
                    self._health,
                    keepalive=self.keepalive,
                )
                self._conns[endpoint] = conn
            conn.update(desired)
        for conn in list(self._conns.values()):
            if conn.desired:
                await conn.synced(self.sync_timeout)

    def _dispatch(self, events: list[Event], recv_ns: int) -> Awaitable[None] | None:
        subs = self._subs
        pending: list[Awaitable[None]] | None = None
        for ev in events:
            key = _KEY_OF_TYPE.get(type(ev))
            if key is None:
                if isinstance(ev, Candle):
                    key = f"candle.{ev.interval}"
                else:
                    self._on_status(ev)  # type: ignore[arg-type]
                    continue
            sub = subs.get(key)
            if sub is None or ev.symbol not in sub.symbols:
                continue  # a symbol or channel the owner let go of: never delivered
            if ev.timestamp and not ev.snapshot:
                self._health.on_latency(recv_ns / 1e6 - ev.timestamp)
            try:
                result = sub.callback(ev)
            except Exception as exc:
                self._callback_failed(exc)
                continue
            if sub.is_async or (result is not None and inspect.isawaitable(result)):
                pending = pending or []
                pending.append(result)  # type: ignore[arg-type]
        if pending:
            return self._await_all(pending)
        return None

    async def _await_all(self, pending: list[Awaitable[None]]) -> None:
        for awaitable in pending:
            try:
                await awaitable
            except Exception as exc:
                self._callback_failed(exc)

    def _callback_failed(self, exc: Exception) -> None:
        self._health.on_error(f"{self.name}: callback failed: {type(exc).__name__}: {exc}")
        log.exception("callback of %s failed", self.name, exc_info=exc)

    def _on_status(self, status: Status) -> None:
        if status.kind == "error":
            self._health.on_error(status.message)
        elif status.kind == "resync":
            self._health.on_error(status.message)
            for conn in self._conns.values():
                conn.poke()
        if self.on_status is not None:
            try:
                result = self.on_status(status)
                if inspect.isawaitable(result):
                    task = asyncio.ensure_future(result)
                    self._status_tasks.add(task)
                    task.add_done_callback(self._status_tasks.discard)
            except Exception as exc:
                self._callback_failed(exc)

    def __repr__(self) -> str:
        return f"WebSocketClient({self.name!r}, exchange={self.exchange!r})"
