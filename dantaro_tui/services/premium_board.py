"""PremiumBoard: the live inputs of the kimchi premium matrix, across six venues.

It finds the coins listed in KRW on a Korean venue (Upbit, Bithumb, Coinone) and in USDT
on a global one (Binance, OKX, Gate.io) from each venue's market list, then watches their
books and tickers, plus each Korean venue's USDT/KRW, through one
:class:`~dantaro_tui.feed.collector.MarketDataCollector` on the app's hub (so a venue's
socket is shared with the panes already on it). Coinone's public deposit and withdrawal
status is read every minute. :meth:`snapshot` turns what is live into the matrix
(``analytics/premium_matrix.py``).

What is not live never becomes a number: a (venue, coin) whose data stopped (nothing by
WebSocket within ``stale_after`` while its socket is not healthy, and no REST answer
either) is ``stale`` and left out of the figures; one never seen is ``none``.

    board = PremiumBoard(hub, bank=BankRate(1380.5))
    await board.start()
    snap = board.snapshot()   # rows, per (venue, coin) state, rates, wallet status
    await board.stop()
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from dantaro_tui.analytics.premium_matrix import (
    KOREAN_VENUES,
    TETHER,
    VENUES,
    MatrixRow,
    Rates,
    coins_listed,
    compute_matrix,
    tether_rate,
    venue_symbol,
)
from dantaro_tui.exchanges.coinone_rest import CurrencyInfo
from dantaro_tui.feed.collector import SOURCES, MarketDataCollector, Quote
from dantaro_tui.feed.fx import BankRate, BankReading
from dantaro_tui.feed.hub import FeedHub
from dantaro_tui.feed.rest import RestError
from dantaro_tui.feed.rest_venues import CoinoneRest, RestClient
from dantaro_tui.services.premium_config import PremiumSettings

log = logging.getLogger(__name__)

State = Literal["live", "stale", "none"]
# Shown when the market lists cannot be read: majors every one of the six venues lists.
DEFAULT_COINS = ("BTC", "ETH", "XRP", "SOL", "DOGE", "ADA", "TRX", "LINK", "AVAX", "DOT")
WALLET_EVERY_S = 60.0


@dataclass(frozen=True)
class Listings:
    """What the market lists say: venue -> coin -> the venue's symbol (KRW markets on the
    Korean venues, USDT markets on the global ones), the coins in Upbit's 24 h turnover
    order, and each venue whose list could not be read, with why."""

    symbols: dict[str, dict[str, str]]
    coins: list[str]
    problems: dict[str, str] = field(default_factory=dict)


async def discover(
    hub: FeedHub | None,
    urls: Mapping[str, Mapping[str, str]] | None = None,
    max_coins: int = 30,
    venues: Sequence[str] = VENUES,
) -> Listings:
    """Each venue's market list, read concurrently; a venue that fails is named in
    ``problems`` and its symbols are spelled by rule (its feed may still work)."""
    urls = urls or {}
    clients = {v: RestClient(v, urls.get(v, {}).get("rest"), hub=hub) for v in venues}
    try:
        results = await asyncio.gather(
            *(c.markets() for c in clients.values()), return_exceptions=True
        )
        symbols: dict[str, dict[str, str]] = {}
        problems: dict[str, str] = {}
        for venue, result in zip(clients, results, strict=True):
            if isinstance(result, BaseException):
                problems[venue] = getattr(result, "message", "") or str(result) or "no answer"
                continue
            quote = "KRW" if venue in KOREAN_VENUES else "USDT"
            symbols[venue] = {m.base.upper(): m.symbol for m in result if m.quote == quote}
        coins = coins_listed({v: s.keys() for v, s in symbols.items()})
        if not coins:
            coins = list(DEFAULT_COINS)
        turnover: dict[str, float] = {}
        upbit = clients.get("upbit")
        if upbit is not None and "upbit" in symbols:
            with contextlib.suppress(RestError):
                listed = [symbols["upbit"][c] for c in coins if c in symbols["upbit"]]
                turnover = {t.base: t.acc_trade_price_24h for t in await upbit.tickers(listed)}
        # The most traded first; coins Upbit does not list, by how many venues list them.
        reach = {c: sum(c in s for s in symbols.values()) for c in coins}
        coins.sort(key=lambda c: (-turnover.get(c, 0.0), -reach[c], c))
        if "BTC" in coins:  # the reference coin always leads
            coins.remove("BTC")
            coins.insert(0, "BTC")
        return Listings(symbols, coins[:max_coins], problems)
    finally:
        for client in clients.values():
            with contextlib.suppress(Exception):
                await client.close()


class BookCollector(MarketDataCollector):
    """The collector, plus the top of book of a market that has not traded since we
    subscribed: the matrix works on books, and a quiet coin's book (Binance pushes no
    ticker until a trade) is no less real for lacking a last price."""

    def socket_alive(self, exchange: str, now: float | None = None) -> bool:
        """The venue's socket delivered something within ``stale_after``. Unlike
        :meth:`ws_live` it also counts a socket still *waiting* for some topic to be
        confirmed (a Coinone coin that has not traded): its other topics are flowing."""
        client = self._clients.get(exchange)
        if client is None:
            return False
        h = client.health()
        now = time.time() if now is None else now
        return (
            h.state in ("connected", "waiting")
            and bool(h.last_message)
            and now - h.last_message <= self.stale_after
        )

    def latest_book(self, exchange: str, symbol: str, now: float | None = None) -> Quote | None:
        now = time.time() if now is None else now
        quote = self.latest(exchange, symbol, now)
        if quote is not None:
            return quote
        tops = [
            slot.quote(exchange, symbol, source, self.max_age, now)
            for source in SOURCES
            if (slot := self._slots.get((exchange, symbol, source))) is not None
        ]
        # The newest book; its sanity is the matrix's to judge (analytics.sane_top).
        tops = [q for q in tops if q.bid and q.ask]
        return max(tops, key=lambda q: q.received) if tops else None


@dataclass(frozen=True)
class BoardSnapshot:
    rows: list[MatrixRow]
    states: dict[tuple[str, str], State]  # (venue, coin) -> live / stale / none
    rates: Rates
    bank: BankReading | None
    tether_states: dict[str, State]  # Korean venue -> the state of its USDT/KRW
    wallet: dict[str, CurrencyInfo]  # coin -> Coinone's deposit / withdrawal status
    taken_at: float


class PremiumBoard:
    def __init__(
        self,
        hub: FeedHub | None = None,
        *,
        bank: BankRate | None = None,
        settings: PremiumSettings | None = None,
        coins: Sequence[str] | None = None,
        max_coins: int = 30,
        urls: Mapping[str, Mapping[str, str]] | None = None,
        stale_after: float = 5.0,
        rest_interval: float = 5.0,
        max_age: float = 60.0,
        wallet_every: float = WALLET_EVERY_S,
    ) -> None:
        self.hub = hub
        self.settings = settings or PremiumSettings()
        self.bank = bank or self.settings.bank()
        self.coins: list[str] = [c.upper() for c in coins] if coins else []
        self._fixed = bool(coins)
        self.max_coins = max_coins
        self.urls = {k: dict(v) for k, v in (urls or {}).items()}
        self.stale_after = stale_after
        self.rest_interval = rest_interval
        self.max_age = max_age
        self.wallet_every = wallet_every
        self.listings = Listings({}, [])
        self.collector: BookCollector | None = None
        self.wallet: dict[str, CurrencyInfo] = {}
        self.wallet_error = ""
        self.notes: list[str] = []
        self._wallet_task: asyncio.Task[None] | None = None
        self._stopped = False

    # -- symbols --------------------------------------------------------------------------
    def symbol(self, venue: str, coin: str) -> str:
        listed = self.listings.symbols.get(venue)
        if listed is not None:
            return listed.get(coin, "")  # not listed there: no market to watch
        return venue_symbol(venue, coin)  # the list was out of reach: spelled by rule

    def markets(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for venue in VENUES:
            wanted = [self.symbol(venue, c) for c in self.coins]
            if venue in KOREAN_VENUES:
                wanted.append(self.symbol(venue, TETHER) or venue_symbol(venue, TETHER))
            out[venue] = sorted({s for s in wanted if s})
        return out

    # -- lifecycle ------------------------------------------------------------------------
    async def start(self) -> None:
        self._stopped = False
        if not self._fixed:
            try:
                self.listings = await discover(self.hub, self.urls, self.max_coins)
            except Exception as exc:  # any failure: the majors are still worth watching
                why = getattr(exc, "message", "") or str(exc) or type(exc).__name__
                self.notes.append(f"market lists out of reach ({why}): showing the majors")
                self.listings = Listings({}, list(DEFAULT_COINS))
            self.coins = list(self.listings.coins)
            for venue, why in sorted(self.listings.problems.items()):
                self.notes.append(f"{venue} market list: {why}")
        if self._stopped:
            return
        self.collector = BookCollector(
            self.markets(),
            name="premium-matrix",
            rest_interval=self.rest_interval,
            stale_after=self.stale_after,
            max_age=self.max_age,
            urls=self.urls,
            hub=self.hub,
        )
        self._wallet_task = asyncio.create_task(self._wallet_loop(), name="premium-wallet")
        await self.bank.start()
        await self.collector.start()

    async def stop(self) -> None:
        self._stopped = True
        task, self._wallet_task = self._wallet_task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        collector, self.collector = self.collector, None
        if collector is not None:
            await collector.stop()

    async def _wallet_loop(self) -> None:
        rest = RestClient("coinone", self.urls.get("coinone", {}).get("rest"), hub=self.hub)
        good_at = time.monotonic()
        try:
            while True:
                if isinstance(rest, CoinoneRest):
                    try:
                        self.wallet = await rest.currencies()
                        self.wallet_error = ""
                        good_at = time.monotonic()
                    except Exception as exc:  # any failure: the loop must outlive it
                        why = exc.message if isinstance(exc, RestError) else repr(exc)
                        self.wallet_error = why
                        # A status that stopped updating is not shown as current: after
                        # three missed reads the column says why instead.
                        if time.monotonic() - good_at > 3 * self.wallet_every:
                            self.wallet = {}
                await asyncio.sleep(self.wallet_every)
        finally:
            with contextlib.suppress(Exception):
                await rest.close()

    # -- reading --------------------------------------------------------------------------
    def state(self, venue: str, symbol: str, live_ws: bool | None = None) -> State:
        """``live``: the symbol's data is current (WebSocket within ``stale_after``, or a
        quiet market on a healthy socket, or a recent REST answer); ``stale``: it was seen
        but stopped; ``none``: never seen."""
        collector = self.collector
        if collector is None or not symbol:
            return "none"
        ages = collector.freshness(venue, symbol)
        if not ages:
            return "none"
        ws, rest = ages.get("ws"), ages.get("rest")
        if ws is not None:
            live = collector.socket_alive(venue) if live_ws is None else live_ws
            if ws <= self.stale_after or (live and ws <= self.max_age):
                return "live"
        if rest is not None and rest <= self.rest_interval + self.stale_after:
            return "live"
        return "stale"

    def snapshot(self) -> BoardSnapshot:
        collector = self.collector
        now = time.time()
        states: dict[tuple[str, str], State] = {}
        quotes: dict[tuple[str, str], Quote] = {}
        tether: dict[str, float | None] = {}
        tether_states: dict[str, State] = {}
        if collector is not None:
            live_ws = {v: collector.socket_alive(v, now) for v in VENUES}
            for venue in VENUES:
                for coin in self.coins:
                    symbol = self.symbol(venue, coin)
                    state = states[(venue, coin)] = self.state(venue, symbol, live_ws[venue])
                    if state == "live":
                        q = collector.latest_book(venue, symbol, now)
                        if q is not None:
                            quotes[(venue, coin)] = q
            for venue in KOREAN_VENUES:
                symbol = self.symbol(venue, TETHER) or venue_symbol(venue, TETHER)
                state = tether_states[venue] = self.state(venue, symbol, live_ws[venue])
                q = collector.latest_book(venue, symbol, now) if state == "live" else None
                tether[venue] = tether_rate(q)
        bank = self.bank.reading()
        rates = Rates(None if bank is None else bank.rate, tether)
        rows = compute_matrix(
            self.coins, quotes, rates, self.settings.fees, self.settings.transfer_pct
        )
        return BoardSnapshot(rows, states, rates, bank, tether_states, dict(self.wallet), now)
