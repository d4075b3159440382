"""AlertEngine: crossings (not levels), hysteresis, cooldown, first observations."""

from __future__ import annotations

from datetime import UTC

import pytest

from dantaro_tui.analytics.alerts import Alert, AlertConfig, AlertEngine

T0 = 1_700_000_000_000
MIN = 60_000


def kinds(alerts: list[Alert]) -> list[str]:
    return [a.kind for a in alerts]


def test_pump_fires_on_the_crossing_only() -> None:
    engine = AlertEngine(AlertConfig(move_threshold=0.05))
    assert engine.check("KRW-XRP", T0, 0.01) == []
    fired = engine.check("KRW-XRP", T0 + 1000, 0.052, label="리플", price=812)
    assert kinds(fired) == ["pump"]
    assert fired[0].market == "KRW-XRP" and fired[0].time_ms == T0 + 1000
    assert "리플" in fired[0].message and "+5.20%" in fired[0].message
    for i in range(2, 20):  # staying above is not news
        assert engine.check("KRW-XRP", T0 + i * 1000, 0.06) == []
    assert list(engine.log) == fired


def test_dump_fires_below_minus_threshold() -> None:
    engine = AlertEngine(AlertConfig(move_threshold=0.05))
    engine.check("KRW-ETH", T0, -0.02)
    assert kinds(engine.check("KRW-ETH", T0 + 1, -0.05)) == ["dump"]


def test_hysteresis_a_wobble_around_the_threshold_alerts_once() -> None:
    cfg = AlertConfig(move_threshold=0.05, move_hysteresis=0.01, cooldown_s=0)
    engine = AlertEngine(cfg)
    engine.check("KRW-XRP", T0, 0.0)
    fired = []
    for i, rate in enumerate([0.051, 0.049, 0.051, 0.045, 0.052]):
        fired += engine.check("KRW-XRP", T0 + i * MIN, rate)
    assert kinds(fired) == ["pump"]
    # Falling below threshold - hysteresis (4 %) re-arms the rule.
    engine.check("KRW-XRP", T0 + 10 * MIN, 0.039)
    assert kinds(engine.check("KRW-XRP", T0 + 11 * MIN, 0.05)) == ["pump"]


def test_cooldown_suppresses_quick_repeats() -> None:
    engine = AlertEngine(AlertConfig(move_threshold=0.05, cooldown_s=300))
    engine.check("KRW-XRP", T0, 0.0)
    assert kinds(engine.check("KRW-XRP", T0 + 1000, 0.06)) == ["pump"]
    engine.check("KRW-XRP", T0 + 2000, 0.0)  # re-armed...
    assert engine.check("KRW-XRP", T0 + 3000, 0.06) == []  # ...but within 5 minutes
    engine.check("KRW-XRP", T0 + 4000, 0.0)
    assert kinds(engine.check("KRW-XRP", T0 + 6 * MIN, 0.06)) == ["pump"]


def test_first_observation_above_is_not_a_crossing_unless_asked() -> None:
    engine = AlertEngine(AlertConfig(move_threshold=0.05))
    assert engine.check("KRW-DOGE", T0, 0.12) == []
    assert engine.check("KRW-DOGE", T0 + 1, 0.13) == []
    eager = AlertEngine(AlertConfig(move_threshold=0.05, alert_on_first=True))
    assert kinds(eager.check("KRW-DOGE", T0, 0.12)) == ["pump"]


def test_markets_are_independent() -> None:
    engine = AlertEngine(AlertConfig(move_threshold=0.05))
    engine.check("KRW-A", T0, 0.0)
    engine.check("KRW-B", T0, 0.0)
    assert kinds(engine.check("KRW-A", T0 + 1, 0.06)) == ["pump"]
    assert kinds(engine.check("KRW-B", T0 + 1, 0.06)) == ["pump"]


def test_volume_spike_crossing() -> None:
    engine = AlertEngine(AlertConfig(spike_threshold=5.0, spike_hysteresis=1.5, cooldown_s=0))
    assert engine.check("KRW-XRP", T0, spike=1.0) == []
    fired = engine.check("KRW-XRP", T0 + 1, spike=6.2)
    assert kinds(fired) == ["volume_spike"] and fired[0].value == 6.2
    assert "6.2x" in fired[0].message
    assert engine.check("KRW-XRP", T0 + 2, spike=4.0) == []  # 4.0 > 5.0 - 1.5: still armed off
    assert engine.check("KRW-XRP", T0 + 3, spike=6.0) == []
    engine.check("KRW-XRP", T0 + 4, spike=3.0)  # re-armed
    assert kinds(engine.check("KRW-XRP", T0 + 5, spike=5.0)) == ["volume_spike"]


def test_none_leaves_a_rule_alone() -> None:
    engine = AlertEngine(AlertConfig(move_threshold=0.05))
    engine.check("KRW-XRP", T0, 0.0, spike=1.0)
    assert engine.check("KRW-XRP", T0 + 1, None, spike=None) == []
    assert kinds(engine.check("KRW-XRP", T0 + 2, 0.07, spike=9.0)) == ["pump", "volume_spike"]


def test_connection_alerts_and_formatting() -> None:
    engine = AlertEngine()
    alert = engine.connection("Upbit: connection lost, reconnecting", T0)
    assert alert.kind == "connection" and engine.log[-1] is alert
    line = alert.format(UTC)
    assert line.startswith("22:13:20 CONNECTION Upbit: connection lost")
    assert alert.time.tzinfo is UTC


def test_log_is_bounded_and_reset_forgets_state() -> None:
    engine = AlertEngine(AlertConfig(move_threshold=0.05, cooldown_s=0, log_size=3))
    for i in range(5):
        engine.check(f"KRW-{i}", T0, 0.0)
        engine.check(f"KRW-{i}", T0 + 1, 0.06)
    assert [a.market for a in engine.log] == ["KRW-2", "KRW-3", "KRW-4"]
    engine.reset("KRW-4")
    assert engine.check("KRW-4", T0 + 2, 0.07) == []  # a first observation again
    engine.reset()
    assert engine.check("KRW-3", T0 + 3, 0.07) == []


# -- MarketRules: each market against its own activity and volatility ----------------------
from collections.abc import Callable  # noqa: E402

from dantaro_tui.analytics.alerts import (  # noqa: E402
    MarketActivity,
    MarketRuleConfig,
    MarketRules,
)

LIQUID = 2e9  # 24 h turnover, KRW: 1.4M KRW a minute on average
THIN = 70.7e6  # KRW-LOOM's 24 h turnover in the report


class Market:
    """One market fed a ticker a second, checked by one MarketRules."""

    def __init__(self, rules: MarketRules, symbol: str = "KRW-XRP", turnover: float = LIQUID):
        self.rules, self.symbol, self.turnover = rules, symbol, turnover
        self.activity = MarketActivity()
        self.t = T0 - T0 % MIN  # on a minute boundary: whole minutes are easy to read
        self.price = 1000.0
        self.change = 0.0
        self.alerts: list[Alert] = []

    def run(
        self,
        seconds: int,
        per_second: float | Callable[[int], float],
        step: float = 0.0,  # price change per second, a fraction
        change: float | None = None,  # 24 h change at the end (linear from now)
    ) -> list[Alert]:
        fired: list[Alert] = []
        start_change = self.change
        for s in range(seconds):
            value = per_second(s) if callable(per_second) else per_second
            self.price *= 1.0 + step
            if change is not None:
                self.change = start_change + (change - start_change) * (s + 1) / seconds
            self.activity.update(self.t, self.price, value)
            fired += self.rules.check(
                self.symbol, self.t, self.activity, self.change, self.turnover, quote="KRW"
            )
            self.t += 1000
        self.alerts += fired
        return fired


def test_a_volume_spike_is_five_times_the_markets_own_minutes() -> None:
    rules = MarketRules()
    xrp = Market(rules)
    assert xrp.run(600, 20_000.0) == []  # ten steady minutes: its normal
    fired = xrp.run(60, 120_000.0)  # then a minute at 6x
    assert kinds(fired) == ["volume_spike"]
    alert = fired[0]
    assert alert.market == "KRW-XRP" and alert.value >= 5.0
    # The message says what happened in money, against the market's usual minute.
    assert "KRW in the last minute, 5.0x its usual 1.2M KRW/min" in alert.message
    score = xrp.activity.spike(xrp.t, 3)
    assert rules.spiking(score, LIQUID)  # what the scanner highlights: the same test


def test_thin_markets_and_steadily_busy_markets_never_spike_alert() -> None:
    rules = MarketRules()
    loom = Market(rules, "KRW-LOOM", THIN)
    loom.run(600, lambda s: 1_000.0 if s % 30 == 0 else 0.0)
    assert loom.run(60, 160_000.0) == []  # 80x its minutes, on 70.7M KRW a day: not news
    assert not rules.spiking(loom.activity.spike(loom.t, 3), THIN)
    # The market trading at 3x its 24 h average pace all day never alerts: that is its day.
    btc = Market(rules, "KRW-BTC", 3e12)
    assert btc.run(1800, 3 * 3e12 / 86_400) == []


def test_a_market_waking_from_a_quiet_spell_is_not_spiking() -> None:
    # 2B KRW a day (1.4M a minute) but 0.2M a minute for ten minutes, then 1.5M: 7.5x its
    # quiet minutes, yet only its ordinary day's pace. The usual minute never drops below
    # half the day's average minute, so this reads 2.2x, not 7.5x.
    rules = MarketRules()
    sleepy = Market(rules)
    sleepy.run(600, 200_000.0 / 60)
    assert sleepy.run(60, 1_500_000.0 / 60) == []
    assert sleepy.activity.spike(sleepy.t, 3, LIQUID).ratio == pytest.approx(2.16, abs=0.05)


def test_a_bursty_market_needs_more_than_five_times_its_mean() -> None:
    rules = MarketRules()
    bursty = Market(rules)
    # Most minutes quiet, every fifth minute a burst of 20x: a wide spread around the mean.
    bursty.run(1200, lambda s: 100_000.0 if (s // 60) % 5 == 4 else 5_000.0)
    fired = bursty.run(60, 130_000.0)
    score = bursty.activity.spike(bursty.t, 3, LIQUID)
    assert score.ratio >= 5.0 and score.sigmas < 3.0  # 5x the mean, within its own bursts
    assert fired == []


def test_spike_alerts_once_then_cool_down_and_rearm() -> None:
    rules = MarketRules(MarketRuleConfig(cooldown_s=600))
    xrp = Market(rules)
    xrp.run(600, 20_000.0)
    assert kinds(xrp.run(120, 160_000.0)) == ["volume_spike"]  # two minutes hot: one alert
    xrp.run(120, 20_000.0)
    assert xrp.run(60, 160_000.0) == []  # re-armed, but within the cooldown
    xrp.run(900, 20_000.0)
    assert kinds(xrp.run(60, 300_000.0)) == ["volume_spike"]


def test_pump_needs_a_real_move_not_a_drift_across_the_threshold() -> None:
    rules = MarketRules()
    drift = Market(rules, "KRW-DRIFT")
    drift.run(600, 20_000.0, step=0.0, change=0.045)
    # Wobbling about +5 % with no move of its own: the scanner highlights it, no alert.
    assert drift.run(600, 20_000.0, step=0.0, change=0.055) == []
    jump = Market(rules, "KRW-JUMP")
    jump.run(600, 20_000.0, change=0.02)
    fired = jump.run(120, 20_000.0, step=0.0003, change=0.058)  # +3.7 % in two minutes
    assert kinds(fired) == ["pump"]
    assert "KRW-JUMP up +5.01% (24h), +2.89% in 5 min" in fired[0].message
    dump = Market(rules, "KRW-DUMP")
    dump.run(600, 20_000.0, change=-0.02)
    assert kinds(dump.run(120, 20_000.0, step=-0.0003, change=-0.058)) == ["dump"]


def test_no_alert_before_the_market_has_a_baseline() -> None:
    rules = MarketRules()
    new = Market(rules)
    assert new.run(60, 20_000.0) == []
    assert new.run(60, 500_000.0, step=0.001, change=0.08) == []  # two minutes in: no baseline
    assert not new.activity.spike(new.t, 3).ready
