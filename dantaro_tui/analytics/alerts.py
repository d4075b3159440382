"""Alerts: threshold *crossings* of a market's 24 h change and volume-spike score.

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

from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Literal, Protocol

AlertKind = Literal["pump", "dump", "volume_spike", "connection"]


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
