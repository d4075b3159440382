"""AlertEngine: crossings (not levels), hysteresis, cooldown, first observations."""

from __future__ import annotations

from datetime import UTC

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
