"""PremiumService: the BTC kimchi premium and the rates the status bar shows.

One service per app (``app.premium_service``), outside the widgets. Through the app's hub
it subscribes to three tickers: Upbit ``KRW-BTC`` and ``KRW-USDT`` (the rate Korean
traders use for the dollar) and the global venue's BTC/USDT (Binance ``BTCUSDT`` by
default, the reference traders quote; ``venue="okx"`` or ``"gateio"``). The premium is
``KRW-BTC / (BTC/USDT x KRW-USDT) - 1`` (:func:`analytics.arbitrage.premium`).

The same price against the **bank** USD/KRW rate (:class:`~dantaro_tui.feed.fx.BankRate`:
fixed in the settings, a URL, or the simulator's in the demo) is the headline kimchi
premium (``bank_premium``); ``premium`` stays the tether one (what ``[[watch]]`` premium
rules compare, and the only one there is while no bank rate is set).

A number is only given while it is live: an input with no update for :attr:`STALE_S`
seconds (by the local clock of receipt), or never seen, makes the premium ``None``, and
the status bar says ``김프 –`` rather than show an old figure as if it were current.

The service also keeps the session's history of both premiums (one sample every
:data:`SAMPLE_S` seconds while they are live), which the premium matrix draws.

    service = PremiumService(hub, bank=BankRate(1380.5))
    await service.start()
    reading = service.reading()   # PremiumReading(premium=0.031, usdt_krw=1411.0,
                                  #                bank_premium=0.053, usd_krw=1380.5)
"""

from __future__ import annotations

import math
import time
from collections import deque
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
from dantaro_tui.feed.fx import BankRate
from dantaro_tui.feed.hub import FeedHub
from dantaro_tui.model import Ticker

COIN = "BTC"
STALE_S = 10.0
SAMPLE_S = 2.0  # one history sample per this many seconds
HISTORY_S = 24 * 3600.0  # a day of session history at most


@dataclass(frozen=True, slots=True)
class PremiumReading:
    """What is live now; ``None`` = missing or stale."""

    premium: float | None  # against the tether rate, fraction: 0.031 = +3.1 %
    usdt_krw: float | None
    bank_premium: float | None = None  # against the bank rate: the headline
    usd_krw: float | None = None  # the bank rate


class PremiumHistory:
    """The session's premiums, in %, one sample per ``every`` seconds; NaN where a
    premium was not live (so a gap stays a gap, not a line drawn through it)."""

    def __init__(self, every: float = SAMPLE_S, span: float = HISTORY_S) -> None:
        self.every = every
        size = max(1, int(span / every))
        self.times: deque[float] = deque(maxlen=size)
        self.bank: deque[float] = deque(maxlen=size)
        self.tether: deque[float] = deque(maxlen=size)

    def add(self, now: float, reading: PremiumReading, force: bool = False) -> bool:
        if not force and self.times and now - self.times[-1] < self.every:
            return False
        if reading.premium is None and reading.bank_premium is None:
            return False
        self.times.append(now)
        self.bank.append(_pct(reading.bank_premium))
        self.tether.append(_pct(reading.premium))
        return True

    def series(self, which: str = "bank") -> list[float]:
        """The live samples of one premium, oldest first (gaps left out)."""
        values = self.bank if which == "bank" else self.tether
        return [v for v in values if math.isfinite(v)]

    def __len__(self) -> int:
        return len(self.times)


def _pct(fraction: float | None) -> float:
    return math.nan if fraction is None else fraction * 100.0


class PremiumService:
    STALE_S = STALE_S

    def __init__(
        self,
        hub: FeedHub | None = None,
        *,
        coin: str = COIN,
        venue: str = "binance",
        clock: Callable[[], float] = time.monotonic,
        bank: BankRate | None = None,
    ) -> None:
        self.coin = coin
        self.venue = venue
        self.clock = clock
        self.bank = bank or BankRate()
        self.history = PremiumHistory()
        self.upbit = WebSocketClient("premium", exchange=UPBIT, hub=hub)
        # The global leg keeps the name ``okx`` (its first venue) for callers that read it.
        self.okx = WebSocketClient(f"premium-{venue}", exchange=venue, hub=hub)
        self.krw_symbol = upbit_symbol(coin)
        self.usdt_symbol = global_symbol(venue, coin)
        # (venue, symbol) -> (last price, local time it arrived)
        self._last: dict[tuple[str, str], tuple[float, float]] = {}

    async def start(self) -> None:
        await self.bank.start()
        await self.upbit.subscribe_ticker([self.krw_symbol, RATE_SYMBOL], self._on_upbit)
        await self.okx.subscribe_ticker([self.usdt_symbol], self._on_okx)

    async def close(self) -> None:
        await self.bank.close()
        await self.upbit.cleanup()
        await self.okx.cleanup()

    def _on_upbit(self, ticker: Ticker) -> None:
        self._store(UPBIT, ticker)

    def _on_okx(self, ticker: Ticker) -> None:
        self._store(OKX, ticker)

    def _store(self, venue: str, ticker: Ticker) -> None:
        price = ticker.trade_price
        if price > 0.0 and math.isfinite(price):
            now = self.clock()
            self._last[(venue, ticker.symbol)] = (price, now)
            history = self.history
            if not history.times or now - history.times[-1] >= history.every:
                history.add(now, self.reading())

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
        bank = self.bank.rate()
        headline = premium(krw, usdt, bank) if krw and bank and usdt else None
        return PremiumReading(value, rate, headline, bank)


def premium_parts(reading: PremiumReading | None, coin: str = COIN) -> list[str]:
    """The status bar's words: the headline (against the bank rate), the tether premium,
    the rates; each part only while it is live."""
    if reading is None:
        return ["김프 –"]
    bank = reading.bank_premium
    parts = [f"김프 {coin} {bank * 100:+.1f}%" if bank is not None else "김프 –"]
    if reading.premium is not None:
        parts.append(f"테더 {reading.premium * 100:+.1f}%")
    if reading.usd_krw is not None:
        parts.append(f"USD {reading.usd_krw:,.0f}")
    if reading.usdt_krw is not None:
        parts.append(f"USDT {reading.usdt_krw:,.0f}")
    return parts


def premium_text(reading: PremiumReading | None, coin: str = COIN) -> str:
    """``김프 BTC +3.5%  테더 +3.1%  USD 1,381  USDT 1,411``: the headline is against the
    bank rate, the tether premium beside it; ``김프 –`` while the headline is not live."""
    return "  ".join(premium_parts(reading, coin))
