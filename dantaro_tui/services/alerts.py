"""AlertService: every alert of the app, computed outside the widgets.

One service per app (``app.alert_service``). It subscribes, through its own
``WebSocketClient("alerts", hub=app.hub)``, to the tickers of every market of one quote,
whichever screen is open, and keeps each market's :class:`MarketActivity` (per-minute
turnover and prices). :class:`MarketRules` turns that into pump, dump and volume-spike
alerts normalised by each market's own activity and volatility; the scanner's Spike column
reads :meth:`AlertService.spike` and :meth:`AlertService.spiking`, so the column and the
alerts are one computation. Feed problems (:meth:`connection`) and arbitrage alerts
(:meth:`add`) join the same log.

Every alert reaches the UI one way: the listeners given to :meth:`listen` (the app posts one
``AlertPosted`` message). Which kinds also make a toast is :attr:`toast_kinds` (default:
feed problems only); the rest waits in the log, counted in :attr:`unread` until the log
is opened.

    service = AlertService(hub)
    service.listen(lambda alert: print(alert.format()))
    await service.watch(markets)            # every KRW market
    service.spike("KRW-XRP")                # the scanner's Spike column
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Collection, Iterable
from dataclasses import replace

from dantaro_tui.analytics.alerts import (
    Alert,
    MarketActivity,
    MarketRuleConfig,
    MarketRules,
    SpikeScore,
    trade_value,
)
from dantaro_tui.feed.client import WebSocketClient
from dantaro_tui.feed.hub import FeedHub
from dantaro_tui.model import Market, Ticker

DEFAULT_TOASTS: frozenset[str] = frozenset({"connection"})
Listener = Callable[[Alert], None]


class AlertService:
    def __init__(
        self,
        hub: FeedHub | None = None,
        *,
        rules: MarketRuleConfig | None = None,
        exchange: str = "upbit",
        quote: str = "KRW",
        toast_kinds: Collection[str] = DEFAULT_TOASTS,
        log_size: int = 1000,
        client: WebSocketClient | None = None,
    ) -> None:
        self.exchange = exchange  # the venue whose markets the rules watch
        self.client = client or WebSocketClient("alerts", exchange=exchange, hub=hub)
        self.rules = MarketRules(rules)
        self.quote = quote
        self.toast_kinds = frozenset(toast_kinds)
        self.log: deque[Alert] = deque(maxlen=log_size)
        self.unread = 0
        self.clock_ms = 0  # newest exchange time seen: the service's "now"
        self.markets: frozenset[str] = frozenset()
        self._activity: dict[str, MarketActivity] = {}
        self._last: dict[str, Ticker] = {}
        self._labels: dict[str, str] = {}
        self._listeners: list[Listener] = []

    # -- feed ----------------------------------------------------------------------------
    async def watch(self, markets: Iterable[Market]) -> None:
        """Watch every market of :attr:`quote` in ``markets`` (names flavour the messages)."""
        wanted = []
        for m in markets:
            self._labels[m.symbol] = m.korean_name or m.english_name
            if m.quote == self.quote:
                wanted.append(m.symbol)
        self.markets = frozenset(wanted)
        if wanted:
            await self.client.subscribe_ticker(sorted(wanted), self.on_ticker)

    def on_ticker(self, ticker: Ticker) -> None:
        symbol = ticker.symbol
        now = ticker.timestamp or ticker.recv_ns // 1_000_000
        if now > self.clock_ms:
            self.clock_ms = now
        activity = self._activity.get(symbol)
        if activity is None:
            activity = MarketActivity(self.rules.config.baseline_minutes)
            self._activity[symbol] = activity
        prev = self._last.get(symbol)
        delta = ticker.acc_trade_price_24h - prev.acc_trade_price_24h if prev else 0.0
        value = (
            0.0 if ticker.snapshot else trade_value(ticker.trade_price, ticker.trade_volume, delta)
        )
        activity.update(now, ticker.trade_price, value)
        self._last[symbol] = ticker
        for alert in self.rules.check(
            symbol,
            now,
            activity,
            ticker.change_rate,
            ticker.acc_trade_price_24h,
            label=self._labels.get(symbol, ""),
            quote=ticker.quote,
        ):
            self.add(alert)

    async def close(self) -> None:
        await self.client.cleanup()

    # -- what the scanner shows ----------------------------------------------------------
    def score(self, market: str, now_ms: int | None = None) -> SpikeScore:
        activity = self._activity.get(market)
        if activity is None:
            return SpikeScore(0.0, 0.0, 0.0, 0.0, False)
        now = self.clock_ms if now_ms is None else max(now_ms, activity.last_ms)
        last = self._last.get(market)
        cfg = self.rules.config
        turnover = last.acc_trade_price_24h if last is not None else 0.0
        return activity.spike(now, cfg.min_baseline_minutes, turnover, cfg.spike_day_floor)

    def spike(self, market: str, now_ms: int | None = None) -> float:
        """The Spike column: the last minute's turnover, x the market's own per-minute
        mean (0 = not enough history yet, shown as ``-``)."""
        return self.score(market, now_ms).ratio

    def last(self, market: str) -> Ticker | None:
        """The newest ticker of ``market`` the service has seen."""
        return self._last.get(market)

    def spiking(self, market: str, now_ms: int | None = None) -> bool:
        """True exactly when the market is in the state a volume-spike alert fires on."""
        last = self._last.get(market)
        turnover = last.acc_trade_price_24h if last is not None else 0.0
        return self.rules.spiking(self.score(market, now_ms), turnover)

    def set_move_threshold(self, fraction: float) -> None:
        """The pump/dump threshold (the scanner's ``]``/``[``), a fraction."""
        cfg = self.rules.config
        hysteresis = min(cfg.move_hysteresis, fraction / 2)
        self.rules.reconfigure(replace(cfg, move_threshold=fraction, move_hysteresis=hysteresis))

    # -- the log -------------------------------------------------------------------------
    def listen(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def add(self, alert: Alert) -> None:
        """Log ``alert``, count it unread and hand it to every listener."""
        self.log.append(alert)
        self.unread += 1
        for listener in self._listeners:
            listener(alert)

    def connection(self, text: str, time_ms: int, market: str = "") -> Alert:
        alert = Alert(time_ms, market, "connection", text)
        self.add(alert)
        return alert

    def should_toast(self, alert: Alert) -> bool:
        return alert.kind in self.toast_kinds

    def recent(
        self, kinds: Collection[str] | None = None, market: str | None = None
    ) -> list[Alert]:
        """The log newest first (by the time each alert happened, not arrival), optionally
        only some kinds and one market."""
        alerts = [
            a
            for a in self.log
            if (kinds is None or a.kind in kinds) and (market is None or a.market == market)
        ]
        alerts.sort(key=lambda a: a.time_ms, reverse=True)
        return alerts

    def mark_read(self) -> None:
        self.unread = 0

    def clear(self) -> None:
        self.log.clear()
        self.unread = 0
