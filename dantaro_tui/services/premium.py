"""PremiumService: the BTC kimchi premium and the USD/KRW rate the status bar shows.

One service per app (``app.premium_service``), outside the widgets. Through the app's hub
it subscribes to three tickers: Upbit ``KRW-BTC`` and ``KRW-USDT`` (the rate Korean
traders use for the dollar) and the global venue's BTC/USDT (Binance ``BTCUSDT`` by
default, the reference traders quote; ``venue="okx"`` or ``"gateio"``). The premium is
``KRW-BTC / (BTC/USDT x KRW-USDT) - 1`` (:func:`analytics.arbitrage.premium`).

A number is only given while it is live: an input with no update for :attr:`STALE_S`
seconds (by the local clock of receipt), or never seen, makes the premium ``None``, and
the status bar says ``김프 –`` rather than show an old figure as if it were current.

    service = PremiumService(hub)
    await service.start()
    reading = service.reading()   # PremiumReading(premium=0.031, usdt_krw=1411.0)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from dantaro_tui.analytics.arbitrage import (
    OKX,
    RATE_SYMBOL,
    UPBIT,
    global_symbol,
    premium,
    upbit_symbol,
)
from dantaro_tui.feed.client import WebSocketClient
from dantaro_tui.feed.hub import FeedHub
from dantaro_tui.model import Ticker

COIN = "BTC"
STALE_S = 10.0


@dataclass(frozen=True, slots=True)
class PremiumReading:
    """What is live now; ``None`` = missing or stale."""

    premium: float | None  # fraction: 0.031 = +3.1 %
    usdt_krw: float | None


class PremiumService:
    STALE_S = STALE_S

    def __init__(
        self,
        hub: FeedHub | None = None,
        *,
        coin: str = COIN,
        venue: str = "binance",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.coin = coin
        self.venue = venue
        self.clock = clock
        self.upbit = WebSocketClient("premium", exchange=UPBIT, hub=hub)
        # The global leg keeps the name ``okx`` (its first venue) for callers that read it.
        self.okx = WebSocketClient(f"premium-{venue}", exchange=venue, hub=hub)
        self.krw_symbol = upbit_symbol(coin)
        self.usdt_symbol = global_symbol(venue, coin)
        # (venue, symbol) -> (last price, local time it arrived)
        self._last: dict[tuple[str, str], tuple[float, float]] = {}

    async def start(self) -> None:
        await self.upbit.subscribe_ticker([self.krw_symbol, RATE_SYMBOL], self._on_upbit)
        await self.okx.subscribe_ticker([self.usdt_symbol], self._on_okx)

    async def close(self) -> None:
        await self.upbit.cleanup()
        await self.okx.cleanup()

    def _on_upbit(self, ticker: Ticker) -> None:
        self._store(UPBIT, ticker)

    def _on_okx(self, ticker: Ticker) -> None:
        self._store(OKX, ticker)

    def _store(self, venue: str, ticker: Ticker) -> None:
        if ticker.trade_price > 0.0:
            self._last[(venue, ticker.symbol)] = (ticker.trade_price, self.clock())

    def _fresh(self, venue: str, symbol: str, now: float) -> float | None:
        seen = self._last.get((venue, symbol))
        if seen is None or now - seen[1] > self.STALE_S:
            return None
        return seen[0]

    def reading(self) -> PremiumReading:
        now = self.clock()
        krw = self._fresh(UPBIT, self.krw_symbol, now)
        rate = self._fresh(UPBIT, RATE_SYMBOL, now)
        usdt = self._fresh(OKX, self.usdt_symbol, now)
        value = premium(krw, usdt, rate) if krw and rate and usdt else None
        return PremiumReading(value, rate)


def premium_text(reading: PremiumReading | None, coin: str = COIN) -> str:
    """``김프 BTC +3.1%  USDT 1,411``; ``김프 –`` while the premium is not live."""
    if reading is None:
        return "김프 –"
    head = f"김프 {coin} {reading.premium * 100:+.1f}%" if reading.premium is not None else "김프 –"
    if reading.usdt_krw is None:
        return head
    return f"{head}  USDT {reading.usdt_krw:,.0f}"
