"""Alerts: threshold *crossings* with hysteresis and a cooldown.

``MarketRules`` (below, run by ``services.alerts.AlertService``) is what the app uses: each
market measured against its own per-minute turnover and volatility (``MarketActivity``).
``AlertEngine`` is the plain fixed-threshold engine (24 h change, a given spike score).

An alert fires when a value goes from below a threshold to at or above it, not on every
tick that stays above. After firing, a rule is disarmed until the value falls back past
the threshold by a hysteresis margin (so a price wobbling around +5 % alerts once), and a
per-market cooldown suppresses repeats even when it re-arms quickly.

The first observation of a market only sets its state: a coin already up 12 % when the
scanner starts is highlighted by the scanner, not announced as a crossing (set
``AlertConfig.alert_on_first`` to change that).

    engine = AlertEngine(AlertConfig(move_threshold=0.05))
    for alert in engine.check("KRW-XRP", time_ms, change_rate=0.061, spike=1.2):
        ...
"""

from __future__ import annotations

import itertools
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Literal, Protocol

AlertKind = Literal[
    "pump", "dump", "volume_spike", "connection", "premium", "discount", "arbitrage"
]
MARKET_KINDS: tuple[AlertKind, ...] = ("pump", "dump", "volume_spike")
ARB_KINDS: tuple[AlertKind, ...] = ("premium", "discount", "arbitrage")
ALL_KINDS: tuple[AlertKind, ...] = (*MARKET_KINDS, *ARB_KINDS, "connection")


@dataclass(frozen=True, slots=True)
class Alert:
    """One alert. ``time_ms`` is the exchange time of the event that caused it."""

    time_ms: int
    market: str
    kind: AlertKind
    message: str
    value: float = 0.0  # the change rate (fraction) or spike score that crossed

    @property
    def time(self) -> datetime:
        return datetime.fromtimestamp(self.time_ms / 1000.0, tz=UTC)

    def format(self, tz: tzinfo | None = None) -> str:
        """``HH:MM:SS KIND message`` in ``tz`` (local time when None): one alert-log line."""
        stamp = self.time.astimezone(tz).strftime("%H:%M:%S")
        return f"{stamp} {self.kind.upper().replace('_', ' ')} {self.message}"


@dataclass(frozen=True, slots=True)
class AlertConfig:
    move_threshold: float = 0.05  # |change rate| that counts as a pump/dump (fraction)
    move_hysteresis: float = 0.01  # re-arm once back inside threshold - this
    spike_threshold: float = 5.0  # spike score (x the 24 h average pace)
    spike_hysteresis: float = 1.5  # re-arm once below spike_threshold - this
    cooldown_s: float = 300.0  # per market and kind: no repeat within this time
    alert_on_first: bool = False  # may the very first observation count as a crossing?
    log_size: int = 500  # alerts kept in AlertEngine.log


@dataclass(slots=True)
class _Rule:
    armed: bool
    last_fired: int | None = None


class CrossingConfig(Protocol):
    """What :class:`Crossings` reads of an engine's config (``AlertConfig`` and
    ``arbitrage.ArbAlertConfig`` fit)."""

    @property
    def cooldown_s(self) -> float: ...
    @property
    def alert_on_first(self) -> bool: ...


class Crossings:
    """Threshold crossings with hysteresis and a cooldown, one rule per (market, kind).

    ``cross`` is True when ``value`` is at or above ``fire`` while the rule is armed; the
    rule then disarms until ``value`` falls below ``rearm``, and a crossing within
    ``cooldown_s`` of the last one that fired disarms it without firing. A rule's first
    observation arms it only when below ``fire`` (or with ``alert_on_first``).
    """

    def __init__(self) -> None:
        self._rules: dict[tuple[str, str], _Rule] = {}

    def clear(self, market: str | None = None) -> None:
        """Forget the rules of ``market`` (of every market when None)."""
        if market is None:
            self._rules.clear()
        else:
            for key in [k for k in self._rules if k[0] == market]:
                del self._rules[key]

    def cross(
        self,
        cfg: CrossingConfig,
        market: str,
        kind: str,
        value: float,
        fire: float,
        rearm: float,
        now_ms: int,
    ) -> bool:
        key = (market, kind)
        rule = self._rules.get(key)
        if rule is None:
            rule = self._rules[key] = _Rule(armed=value < fire or cfg.alert_on_first)
        if not rule.armed:
            if value < rearm:
                rule.armed = True
            return False
        if value < fire:
            return False
        rule.armed = False
        if rule.last_fired is not None and now_ms - rule.last_fired < cfg.cooldown_s * 1000.0:
            return False
        rule.last_fired = now_ms
        return True


def _pct(rate: float) -> str:
    return f"{rate * 100:+.2f}%"


@dataclass
class AlertEngine:
    config: AlertConfig = field(default_factory=AlertConfig)
    log: deque[Alert] = field(init=False)
    _rules: Crossings = field(init=False, default_factory=Crossings)

    def __post_init__(self) -> None:
        self.log = deque(maxlen=self.config.log_size)

    def reconfigure(self, config: AlertConfig) -> None:
        """New thresholds; every market's state is rebuilt from its next observation."""
        self.config = config
        self._rules.clear()
        self.log = deque(self.log, maxlen=config.log_size)

    def reset(self, market: str | None = None) -> None:
        """Forget the state of ``market`` (every market when None)."""
        self._rules.clear(market)

    def check(
        self,
        market: str,
        time_ms: int,
        change_rate: float | None = None,
        spike: float | None = None,
        *,
        label: str = "",
        price: float | None = None,
    ) -> list[Alert]:
        """Feed the newest values of ``market``; returns the alerts this observation raised.

        ``None`` leaves a rule untouched (e.g. no spike score yet). ``label`` (a display
        name) and ``price`` only flavour the message.
        """
        cfg = self.config
        cross = self._rules.cross
        out: list[Alert] = []
        name = f"{market} {label}".rstrip()
        at = "" if price is None else f" at {price:,.8g}"
        if change_rate is not None:
            thr, rearm = cfg.move_threshold, cfg.move_threshold - cfg.move_hysteresis
            if cross(cfg, market, "pump", change_rate, thr, rearm, time_ms):
                msg = f"{name} up {_pct(change_rate)} (24h){at}"
                out.append(Alert(time_ms, market, "pump", msg, change_rate))
            if cross(cfg, market, "dump", -change_rate, thr, rearm, time_ms):
                msg = f"{name} down {_pct(change_rate)} (24h){at}"
                out.append(Alert(time_ms, market, "dump", msg, change_rate))
        if spike is not None:
            thr, rearm = cfg.spike_threshold, cfg.spike_threshold - cfg.spike_hysteresis
            if cross(cfg, market, "volume_spike", spike, thr, rearm, time_ms):
                msg = f"{name} volume spike: last minute traded at {spike:.1f}x the 24h pace"
                out.append(Alert(time_ms, market, "volume_spike", msg, spike))
        self.log.extend(out)
        return out

    def connection(self, message: str, time_ms: int, market: str = "") -> Alert:
        """Record a connection alert (feed lost/restored, exchange error)."""
        alert = Alert(time_ms, market, "connection", message)
        self.log.append(alert)
        return alert


# ---------------------------------------------------------------- market activity rules
#
# The rules above compare a market with fixed numbers. On a full KRW market that floods:
# the busiest markets trade at 2-3x their own 24 h average pace all day (the day is not
# flat), a coin with 70 M KRW a day reads 80x after one trade, and 40 coins sit near +5 %.
# ``MarketActivity`` measures each market against *itself*: per-minute turnover over the
# last ``baseline_minutes`` (mean and spread) and per-minute price returns (volatility),
# and ``MarketRules`` alerts only when a liquid market moves far outside its own normal.


@dataclass(frozen=True, slots=True)
class MarketRuleConfig:
    """Thresholds of the market rules (the service's and the scanner's Spike column)."""

    move_threshold: float = 0.05  # |24 h change| that counts as a pump/dump (fraction)
    move_hysteresis: float = 0.01  # re-arm once back inside threshold - this
    move_minutes: int = 5  # the recent move a pump/dump needs ...
    move_sigmas: float = 3.0  # ... at least this many of the market's own sigmas over it
    move_min: float = 0.01  # ... and at least this much (1 %)
    spike_threshold: float = 5.0  # last minute's turnover, x the market's own per-minute mean
    spike_sigmas: float = 3.0  # ... and at least mean + this x its per-minute std
    # The usual minute is never taken below this share of the 24 h average minute: a
    # market coming out of a quiet spell is not spiking at 5x a quiet minute.
    spike_day_floor: float = 0.5
    spike_rearm: float = 2.0  # re-arm once the ratio falls below this
    min_turnover_24h: float = 1e9  # quote units (1B KRW): thinner markets never alert
    baseline_minutes: int = 30  # per-minute history a market is compared with
    min_baseline_minutes: int = 3  # no score (Spike "-") and no alert before this
    cooldown_s: float = 1800.0  # per market and kind: no repeat within this time
    alert_on_first: bool = False


@dataclass(frozen=True, slots=True)
class SpikeScore:
    """The last 60 s of turnover against the market's own per-minute baseline."""

    ratio: float  # last minute / baseline mean (0 while warming up)
    sigmas: float  # (last minute - mean) / std
    last_minute: float  # quote units traded in the last 60 s
    mean: float  # baseline per-minute turnover
    ready: bool  # enough history for a score


NO_SCORE = SpikeScore(0.0, 0.0, 0.0, 0.0, False)
MINUTE_MS = 60_000


class MarketActivity:
    """Per-minute turnover and closing prices of one market, and the last 60 s against them.

    ``update(t_ms, price, value)`` adds one trade's (or ticker's) turnover ``value``. Closed
    minutes (aligned to the clock) form the baseline; a minute without trades is a 0 (a
    quiet market is quiet), and the first, partly watched minute is scaled to a full one.
    A gap longer than the baseline (a resubscribe, a reconnect) starts over.
    """

    __slots__ = (
        "_cur_start",
        "_cur_value",
        "_first_ms",
        "_sigma",
        "_stats",
        "_window",
        "_window_sum",
        "baseline_minutes",
        "closes",
        "last_ms",
        "last_price",
        "minutes",
    )

    def __init__(self, baseline_minutes: int = 30) -> None:
        self.baseline_minutes = baseline_minutes
        # Closed minutes' turnover and last prices. The newest closed minute overlaps the
        # last 60 s, so it is not part of the baseline (a spike would lift its own bar).
        self.minutes: deque[float] = deque(maxlen=baseline_minutes + 1)
        self.closes: deque[float] = deque(maxlen=baseline_minutes + 1)
        self._window: deque[tuple[int, float]] = deque()
        self._window_sum = 0.0
        self._cur_start: int | None = None
        self._cur_value = 0.0
        self._first_ms = 0
        self.last_ms = 0
        self.last_price = 0.0
        self._stats: tuple[float, float] | None = None
        self._sigma: float | None = None

    def reset(self) -> None:
        self.minutes.clear()
        self.closes.clear()
        self._window.clear()
        self._window_sum = 0.0
        self._cur_start = None
        self._cur_value = 0.0
        self._stats = None
        self._sigma = None

    def update(self, t_ms: int, price: float, value: float) -> None:
        start = t_ms - t_ms % MINUTE_MS
        cur = self._cur_start
        if cur is None or start - cur > self.baseline_minutes * MINUTE_MS:
            self.reset()
            self._cur_start = start
            self._first_ms = t_ms
        elif start > cur:
            self._close_minutes(start)
        if t_ms < self.last_ms:
            t_ms = self.last_ms  # slightly out of order: count it, keep the newer clock
        self._cur_value += value
        if value:
            self._window.append((t_ms, value))
            self._window_sum += value
        self.last_ms = t_ms
        if price > 0.0:
            self.last_price = price

    def _close_minutes(self, start: int) -> None:
        cur = self._cur_start
        assert cur is not None
        value = self._cur_value
        if cur <= self._first_ms < cur + MINUTE_MS:  # watched part of the first minute only
            watched = cur + MINUTE_MS - self._first_ms
            value = value * MINUTE_MS / watched if watched >= 20_000 else -1.0
        if value >= 0.0:
            self.minutes.append(value)
            self.closes.append(self.last_price)
        for _ in range(min((start - cur) // MINUTE_MS - 1, self.baseline_minutes)):
            self.minutes.append(0.0)  # minutes without a trade
            self.closes.append(self.last_price)
        self._cur_start = start
        self._cur_value = 0.0
        self._stats = None
        self._sigma = None

    def _baseline(self) -> tuple[float, float]:
        if self._stats is None:
            minutes = list(self.minutes)[:-1]
            n = len(minutes)
            mean = sum(minutes) / n if n else 0.0
            var = sum((v - mean) ** 2 for v in minutes) / (n - 1) if n > 1 else 0.0
            self._stats = (mean, var**0.5)
        return self._stats

    def last_minute(self, now_ms: int) -> float:
        window = self._window
        cutoff = now_ms - MINUTE_MS
        while window and window[0][0] <= cutoff:
            self._window_sum -= window.popleft()[1]
        if not window:
            self._window_sum = 0.0  # no float drift left behind
        return self._window_sum

    def spike(
        self, now_ms: int, min_minutes: int = 3, turnover_24h: float = 0.0, day_floor: float = 0.5
    ) -> SpikeScore:
        if self._cur_start is not None and now_ms - now_ms % MINUTE_MS > self._cur_start:
            self._close_minutes(now_ms - now_ms % MINUTE_MS)  # minutes that passed quietly
        if len(self.minutes) - 1 < min_minutes:
            return NO_SCORE
        last = self.last_minute(now_ms)
        mean, std = self._baseline()
        mean = max(mean, day_floor * turnover_24h / 1440.0)
        if mean <= 0.0:
            return SpikeScore(0.0, 0.0, last, mean, True)
        # A Poisson-like floor: a market with three steady minutes is not infinitely calm.
        std = max(std, 0.25 * mean)
        return SpikeScore(last / mean, (last - mean) / std, last, mean, True)

    def move(self, minutes: int) -> tuple[float, float, int] | None:
        """(return since the close ``k`` closed minutes ago up to the last price, the
        market's own sigma over ``k`` minutes, ``k``): ``k`` is ``minutes`` once there is
        history enough; None while warming up."""
        closes = [c for c in self.closes if c > 0.0]
        k = min(minutes, len(closes) - 3)
        if k < 2 or self.last_price <= 0.0:
            return None
        ret = self.last_price / closes[-k - 1] - 1.0
        if self._sigma is None:
            # Volatility from the minutes *before* the move (a jump must not widen its own
            # yardstick).
            rets = [b / a - 1.0 for a, b in itertools.pairwise(closes[: len(closes) - k])]
            mean = sum(rets) / len(rets)
            var = sum((r - mean) ** 2 for r in rets) / max(1, len(rets) - 1)
            self._sigma = max(var**0.5, 0.0005)  # never below 0.05 % a minute
        sigma = self._sigma
        return ret, sigma * k**0.5, k


def trade_value(ticker_price: float, trade_volume: float, acc_delta: float) -> float:
    """Turnover one ticker adds: its trade (price x size) when the feed carries the size,
    else the growth of the rolling 24 h total (never negative)."""
    if trade_volume > 0.0:
        return ticker_price * trade_volume
    return max(acc_delta, 0.0)


class MarketRules:
    """Pump/dump and volume-spike rules over :class:`MarketActivity`, per market.

    * **volume spike**: the last 60 s traded at least ``spike_threshold`` x the market's own
      per-minute mean *and* ``spike_sigmas`` above it (bursty markets need more);
    * **pump / dump**: the 24 h change crosses ``move_threshold`` *and* the last
      ``move_minutes`` moved at least ``move_sigmas`` of the market's own volatility in the
      same direction (a coin drifting across +5 % is not news; one jumping across it is);
    * both only for markets with ``min_turnover_24h`` traded in 24 h, once per crossing
      (hysteresis), at most once per ``cooldown_s`` per market and kind.
    """

    def __init__(self, config: MarketRuleConfig | None = None) -> None:
        self.config = config or MarketRuleConfig()
        self._rules = Crossings()

    def reconfigure(self, config: MarketRuleConfig) -> None:
        self.config = config

    def spiking(self, score: SpikeScore, turnover_24h: float) -> bool:
        """What the scanner highlights and what alerts: the same test."""
        cfg = self.config
        return (
            score.ready
            and turnover_24h >= cfg.min_turnover_24h
            and score.ratio >= cfg.spike_threshold
            and score.sigmas >= cfg.spike_sigmas
        )

    def check(
        self,
        market: str,
        now_ms: int,
        activity: MarketActivity,
        change_rate: float,
        turnover_24h: float,
        *,
        label: str = "",
        quote: str = "",
    ) -> list[Alert]:
        cfg = self.config
        cross = self._rules.cross
        out: list[Alert] = []
        name = f"{market} {label}".rstrip()
        price = activity.last_price
        at = f" at {price:,.8g}" if price else ""
        liquid = turnover_24h >= cfg.min_turnover_24h
        score = activity.spike(now_ms, cfg.min_baseline_minutes, turnover_24h, cfg.spike_day_floor)
        if score.ready:
            hot = self.spiking(score, turnover_24h)
            # Not hot: at most just under the threshold, so a failed gate never re-arms.
            value = score.ratio if hot else min(score.ratio, cfg.spike_threshold * 0.999)
            if cross(
                cfg, market, "volume_spike", value, cfg.spike_threshold, cfg.spike_rearm, now_ms
            ):
                msg = (
                    f"{name} volume spike: {_money(score.last_minute, quote)} in the last"
                    f" minute, {score.ratio:.1f}x its usual {_money(score.mean, quote)}/min"
                    f" ({score.sigmas:.0f}σ){at}"
                )
                out.append(Alert(now_ms, market, "volume_spike", msg, score.ratio))
        move = activity.move(cfg.move_minutes)
        if move is not None:
            ret, sigma, minutes = move
            thr, rearm = cfg.move_threshold, cfg.move_threshold - cfg.move_hysteresis
            just_under = thr * 0.999
            for kind, sign in (("pump", 1.0), ("dump", -1.0)):
                signed = sign * change_rate
                real = liquid and sign * ret >= max(cfg.move_sigmas * sigma, cfg.move_min)
                value = signed if real else min(signed, just_under)
                if cross(cfg, market, kind, value, thr, rearm, now_ms):
                    word = "up" if sign > 0 else "down"
                    msg = (
                        f"{name} {word} {_pct(change_rate)} (24h), {_pct(ret)} in"
                        f" {minutes} min ({abs(ret) / sigma:.1f}σ){at}"
                    )
                    out.append(Alert(now_ms, market, kind, msg, change_rate))  # type: ignore[arg-type]
        return out


def _money(value: float, quote: str) -> str:
    for div, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(value) >= div:
            return f"{value / div:.1f}{suffix} {quote}".rstrip()
    return f"{value:,.0f} {quote}".rstrip()
