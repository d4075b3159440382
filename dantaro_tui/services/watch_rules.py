"""WatchService: the ``[[watch]]`` rules run over the feed, each alert handed to a Notifier.

One service for ``dantaro-tui watch`` and for the cockpit's "send alerts" toggle, so both
say the same things. It reuses what the cockpit already runs:

* ``volume_spike``, ``pump``, ``dump``: the :class:`AlertService`'s own rules (each market
  measured against its own activity); the service listens to its alerts;
* ``premium``: :class:`PremiumService` readings, which are ``None`` while an input is stale,
  so a stopped feed never crosses a level;
* ``price`` and ``move``: tickers through its own ``WebSocketClient("watch")`` on the same
  hub (the hub shares the connection);
* ``feed``: the health of the feeds the rules read (and of a collector's source where one
  is given), checked once a second.

Levels are *crossings* (``analytics.alerts.Crossings``): a price already above a level
when the watch starts is not news; going from below to above is. The Notifier adds the
per-rule cooldown, deduplication and hourly cap.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from dantaro_tui.analytics.alerts import Alert, Crossings
from dantaro_tui.analytics.premium_matrix import STABLES
from dantaro_tui.feed.client import WebSocketClient
from dantaro_tui.feed.health import HealthSnapshot
from dantaro_tui.feed.hub import FeedHub
from dantaro_tui.model import Market, Ticker
from dantaro_tui.services.alerts import AlertService
from dantaro_tui.services.notify import Notifier
from dantaro_tui.services.notify_text import Notice
from dantaro_tui.services.premium import PremiumService
from dantaro_tui.services.watch_config import SERVICE_KINDS, WatchRule

PRICE_HYSTERESIS = 0.002  # re-arm a price level once 0.2 % back on the other side
UNHEALTHY = frozenset({"connecting", "reconnecting", "waiting", "stale"})
FIATS = frozenset({"KRW", "USD", "EUR", "JPY", "TRY", "BRL"})  # the quotes that are money
HealthSource = Callable[[], Iterable[HealthSnapshot]]


@dataclass(frozen=True, slots=True)
class _CrossCfg:
    cooldown_s: float = 0.0  # the Notifier keeps the cooldown
    alert_on_first: bool = False


_CFG = _CrossCfg()


class RuleEngine:
    """The pure part: observations in, notices out (no I/O, any clock)."""

    def __init__(self, rules: Iterable[WatchRule], *, demo: bool = False) -> None:
        self.rules = list(rules)
        self.demo = demo
        self.names: dict[str, Market] = {}
        self._cross = Crossings()
        self._prices: dict[str, deque[tuple[int, float]]] = {}
        self._window = max((r.window_s for r in self.rules if r.kind == "move"), default=0.0)
        self._down_since: dict[tuple[str, str], float] = {}
        self._down_said: set[tuple[str, str]] = set()

    def of(self, kind: str) -> list[WatchRule]:
        return [r for r in self.rules if r.kind == kind]

    def ticker_markets(self) -> set[str] | None:
        """Markets the price/move rules need (None: every market of the quote)."""
        wanted: set[str] = set()
        for rule in self.rules:
            if rule.kind in ("price", "move"):
                if not rule.markets:
                    return None
                wanted.update(rule.markets)
        return wanted

    def _notice(self, rule: WatchRule, kind: str, market: str = "", **values: object) -> Notice:
        m = self.names.get(market)
        return Notice(
            rule=rule.name,
            kind=kind,
            market=market,
            korean_name=m.korean_name if m else "",
            english_name=m.english_name if m else "",
            quote=m.quote if m else (market.split("-", 1)[0] if "-" in market else ""),
            demo=self.demo,
            **values,  # type: ignore[arg-type]
        )

    # -- tickers -----------------------------------------------------------------------------
    def on_ticker(self, t: Ticker) -> list[tuple[WatchRule, Notice]]:
        price = t.trade_price
        if not price > 0.0:
            return []
        symbol = t.symbol
        now = t.timestamp or t.recv_ns // 1_000_000
        out: list[tuple[WatchRule, Notice]] = []
        for rule in self.rules:
            if rule.kind == "price" and rule.covers(symbol):
                out.extend(self._price(rule, symbol, price, now))
        if self._window:
            history = self._prices.get(symbol)
            if history is None:
                history = self._prices[symbol] = deque()
            sec = now - now % 1000
            if history and history[-1][0] == sec:
                history[-1] = (sec, price)  # one point a second is plenty for a window
            else:
                history.append((sec, price))
            # Keep one point older than the longest window: the move's starting price.
            while len(history) > 2 and history[1][0] <= now - self._window * 1000:
                history.popleft()
            for rule in self.rules:
                if rule.kind == "move" and rule.covers(symbol):
                    out.extend(self._move(rule, symbol, history, price, now))
        return out

    def _price(
        self, rule: WatchRule, symbol: str, price: float, now: int
    ) -> list[tuple[WatchRule, Notice]]:
        out = []
        cross = self._cross.cross
        key = f"{rule.name}\x00{symbol}"
        if rule.above is not None:
            lvl = rule.above
            if cross(_CFG, key, "above", price, lvl, lvl * (1 - PRICE_HYSTERESIS), now):
                n = self._notice(rule, "price_above", symbol, value=price, level=lvl, time_ms=now)
                out.append((rule, n))
        if rule.below is not None:
            lvl = rule.below
            if cross(_CFG, key, "below", -price, -lvl, -lvl * (1 + PRICE_HYSTERESIS), now):
                n = self._notice(rule, "price_below", symbol, value=price, level=lvl, time_ms=now)
                out.append((rule, n))
        return out

    def _move(
        self,
        rule: WatchRule,
        symbol: str,
        history: deque[tuple[int, float]],
        price: float,
        now: int,
    ) -> list[tuple[WatchRule, Notice]]:
        start = now - rule.window_s * 1000
        base = None
        for t, p in history:  # the newest point at or before the window's start
            if t > start:
                break
            base = p
        if base is None:
            return []  # not watched for a whole window yet
        pct = (price / base - 1.0) * 100.0
        out = []
        key = f"{rule.name}\x00{symbol}"
        for kind, signed in (("move_up", pct), ("move_down", -pct)):
            if self._cross.cross(_CFG, key, kind, signed, rule.percent, rule.percent / 2, now):
                n = self._notice(
                    rule,
                    kind,
                    symbol,
                    value=pct,
                    level=rule.percent,
                    window_s=rule.window_s,
                    price=price,
                    time_ms=now,
                )
                out.append((rule, n))
        return out

    # -- the alert service -------------------------------------------------------------------
    def stablecoin(self, market: str) -> bool:
        """Whether ``market`` trades a dollar coin (KRW-USDT, USDC-USDT)."""
        m = self.names.get(market)
        if m is not None:
            return m.base.upper() in STABLES
        # Not in the market list: venues disagree on which side of the code is the base
        # (KRW-USDT, USDC-USDT), so it is a dollar coin's market when no side is a coin.
        parts = [p for p in re.split(r"[-_/]", market.upper()) if p]
        return len(parts) == 2 and all(p in STABLES or p in FIATS for p in parts)

    def on_alert(self, alert: Alert, price: float = 0.0) -> list[tuple[WatchRule, Notice]]:
        out = []
        stable: bool | None = None  # worked out once, only if a rule asks
        for rule in self.rules:
            if rule.kind in SERVICE_KINDS and rule.kind == alert.kind and rule.covers(alert.market):
                if not rule.stablecoins:
                    if stable is None:
                        stable = self.stablecoin(alert.market)
                    if stable:
                        continue
                n = self._notice(
                    rule,
                    alert.kind,
                    alert.market,
                    value=alert.value,
                    price=price,
                    detail=alert.message,
                    time_ms=alert.time_ms,
                )
                out.append((rule, n))
        return out

    # -- premium and feeds -------------------------------------------------------------------
    def on_premium(self, coin: str, premium: float | None) -> list[tuple[WatchRule, Notice]]:
        if premium is None:
            return []  # stale or missing: no crossing is ever computed from an old number
        pct = premium * 100.0
        now = int(time.time() * 1000)
        out = []
        for rule in self.of("premium"):
            if rule.coin != coin:
                continue
            key = f"{rule.name}\x00{coin}"
            for kind, level, sign in (
                ("premium_above", rule.above, 1.0),
                ("premium_below", rule.below, -1.0),
            ):
                if level is None:
                    continue
                fire = sign * level
                # Re-armed a tenth of a percent back on the other side of the level.
                if self._cross.cross(_CFG, key, kind, sign * pct, fire, fire - 0.1, now):
                    n = self._notice(rule, kind, "", value=pct, level=level, time_ms=now)
                    out.append((rule, replace(n, market=coin)))
        return out

    def on_health(
        self, feeds: Iterable[tuple[str, str, str]], now: float
    ) -> list[tuple[WatchRule, Notice]]:
        """``feeds``: (name, state, last error). A feed unhealthy for a rule's ``after_s``
        says so once; when it is healthy again, that is said too."""
        out = []
        rules = self.of("feed")
        for name, state, error in feeds:
            for rule in rules:
                key = (rule.name, name)
                if state in UNHEALTHY:
                    since = self._down_since.setdefault(key, now)
                    if now - since >= rule.after_s and key not in self._down_said:
                        self._down_said.add(key)
                        detail = f"{state}" + (f" ({error})" if error else "")
                        n = self._notice(rule, "feed_down", "", value=now - since, detail=detail)
                        out.append((rule, replace(n, market=name)))
                else:
                    self._down_since.pop(key, None)
                    if key in self._down_said:
                        self._down_said.discard(key)
                        n = self._notice(rule, "feed_up", "")
                        out.append((rule, replace(n, market=name)))
        return out


class WatchService:
    """Runs a :class:`RuleEngine` over live feeds and submits its notices."""

    def __init__(
        self,
        hub: FeedHub,
        rules: Iterable[WatchRule],
        notifier: Notifier,
        *,
        alert_service: AlertService,
        premium: PremiumService | None = None,
        exchange: str = "upbit",
        demo: bool = False,
        health_sources: Iterable[HealthSource] = (),
    ) -> None:
        self.hub = hub
        self.engine = RuleEngine(rules, demo=demo)
        self.notifier = notifier
        self.alert_service = alert_service
        self.exchange = exchange
        self.enabled = True
        self.fired = 0  # notices the rules raised (before cooldown, dedupe and cap)
        self._premiums: dict[str, PremiumService] = {}
        self._own_premiums: list[PremiumService] = []
        coins = {r.coin for r in self.engine.of("premium")}
        for coin in coins:
            if premium is not None and premium.coin == coin:
                self._premiums[coin] = premium
            else:
                service = PremiumService(hub, coin=coin)
                self._premiums[coin] = service
                self._own_premiums.append(service)
        self.client: WebSocketClient | None = None
        self._health_sources = list(health_sources)
        self._ticker: asyncio.Task[None] | None = None
        alert_service.listen(self._on_alert)

    async def start(self, markets: Iterable[Market]) -> None:
        """Subscribe what the rules need; ``markets`` give names (and, for rules over every
        market, the list)."""
        listed = list(markets)
        self.engine.names.update({m.symbol: m for m in listed})
        await self.notifier.start()
        for service in self._own_premiums:
            await service.start()
        wanted = self.engine.ticker_markets()
        if wanted is None:
            quote = self.alert_service.quote
            wanted = {m.symbol for m in listed if m.quote == quote}
        if wanted:
            self.client = WebSocketClient("watch", exchange=self.exchange, hub=self.hub)
            await self.client.subscribe_ticker(sorted(wanted), self._on_ticker)
        if self._ticker is None:
            self._ticker = asyncio.create_task(self._every_second())

    async def close(self, drain_s: float = 5.0) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
            self._ticker = None
        if self.client is not None:
            await self.client.cleanup()
        for service in self._own_premiums:
            await service.close()
        await self.notifier.close(drain_s)

    def feeds(self) -> list[HealthSnapshot]:
        """The feeds the rules read: their health decides the ``feed`` rules."""
        clients = [self.alert_service.client, self.client]
        for service in self._premiums.values():
            clients.extend([service.upbit, service.okx])
        out = [c.health() for c in clients if c is not None and c.subscriptions]
        for source in self._health_sources:
            out.extend(source())
        return out

    def _submit(self, found: list[tuple[WatchRule, Notice]]) -> None:
        if not self.enabled:
            return
        for rule, notice in found:
            self.fired += 1
            self.notifier.submit(notice, rule)

    def _on_ticker(self, ticker: Ticker) -> None:
        self._submit(self.engine.on_ticker(ticker))

    def _on_alert(self, alert: Alert) -> None:
        if alert.kind in SERVICE_KINDS:
            last = self.alert_service.last(alert.market)
            self._submit(self.engine.on_alert(alert, last.trade_price if last else 0.0))

    async def _every_second(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            try:
                self.check_now()
            except Exception as exc:  # a rule's bug must not end the watch
                self.notifier._problem(f"watch rules: {type(exc).__name__}: {exc}")

    def check_now(self) -> int:
        """Evaluate the premium and feed rules now; the number of notices raised."""
        found: list[tuple[WatchRule, Notice]] = []
        for coin, service in self._premiums.items():
            found.extend(self.engine.on_premium(coin, service.reading().premium))
        if self.engine.of("feed"):
            feeds = [(f"{h.exchange}/{h.name}", h.state, h.last_error) for h in self.feeds()]
            found.extend(self.engine.on_health(feeds, time.monotonic()))
        self._submit(found)
        return len(found)
