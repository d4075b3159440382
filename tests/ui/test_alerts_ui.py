"""Alerts as a trader meets them: computed behind any screen, logged quietly, counted in the
status bar, read in the alert log (newest first, filtered by kind or market); toasts only
for feed problems by default; the kimchi screen says what its alert rule does."""

from __future__ import annotations

import msgspec
import pytest

from dantaro_tui.analytics.alerts import Alert
from dantaro_tui.analytics.arbitrage import ArbAlertConfig
from dantaro_tui.ui.screens.alerts import AlertsScreen
from dantaro_tui.ui.screens.arbitrage import ArbitrageScreen
from dantaro_tui.ui.screens.health import HealthScreen
from tests.ui.test_app import (  # noqa: F401  (offline is a fixture)
    MARKETS,
    SIZE,
    T0,
    make_app,
    offline,
    push,
    started,
    ticker,
    until,
)
from tests.ui.test_arbitrage_screen import PREMS, USDT, Host, fed_collector

# No sockets, a private config file, UTC (the fixture of tests/ui/test_app.py).
pytestmark = pytest.mark.usefixtures("offline")


def status_text(app: object) -> str:
    cockpit = app.cockpit  # type: ignore[attr-defined]
    return str(cockpit.status.render())


async def test_a_spike_behind_another_screen_is_logged_counted_and_not_toasted() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        service = app.alert_service
        # The service watches every KRW market through its own client on the app's hub.
        await until(lambda: service.client.subscriptions.get("ticker"), pilot)
        krw = {m.symbol for m in MARKETS if m.quote == "KRW"}
        assert service.client.subscriptions["ticker"] == krw
        await pilot.press("h")  # the health screen covers the scanner
        assert isinstance(app.screen, HealthScreen)
        # KRW-BTC (117B KRW a day): a 0.1 BTC trade every 10 s for ten minutes (57M KRW a
        # minute), then a minute of trades eight times the size.
        for i in range(66):
            size = 0.8 if i >= 60 else 0.1
            tick = msgspec.structs.replace(
                ticker("KRW-BTC", 95_000_000.0, 0.01, T0 + i * 10_000), trade_volume=size
            )
            push(service.client, tick)
            await pilot.pause()
        await until(lambda: list(service.log), pilot)
        assert [(a.kind, a.market) for a in service.log] == [("volume_spike", "KRW-BTC")]
        assert "x its usual" in service.log[0].message
        assert not any("volume spike" in n.message for n in app._notifications)  # no toast
        await pilot.press("escape")
        await pilot.pause()
        assert "⚑ 1 new" in status_text(app)
        await pilot.press("a")
        assert isinstance(app.screen, AlertsScreen)
        assert app.screen.query_one("#alerts-table").row_count == 1
        assert service.unread == 0  # seen
        await pilot.press("escape")
        await pilot.pause()
        assert "⚑" not in status_text(app)


async def test_alert_log_is_newest_first_and_filters_by_kind_and_market() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        service = app.alert_service
        # Arrival order is not time order (an arbitrage refresh lands after a feed event).
        service.add(Alert(T0 + 3_000, "KRW-ETH", "pump", "KRW-ETH up +5.20% (24h)", 0.052))
        service.add(Alert(T0 + 1_000, "KRW-BTC", "volume_spike", "KRW-BTC volume spike", 6.0))
        service.connection("upbit: connection lost, reconnecting", T0 + 2_000)
        service.add(Alert(T0 + 4_000, "KRW-BTC", "premium", "BTC premium +5.10%", 0.051))
        await pilot.pause()
        # Only the feed problem made a toast.
        toasts = [n.message for n in app._notifications]
        assert any("connection lost" in t for t in toasts)
        assert not any("up +5.20%" in t or "volume spike" in t for t in toasts)
        await pilot.press("a")
        screen = app.screen
        assert isinstance(screen, AlertsScreen)
        assert [a.time_ms - T0 for a in screen.shown()] == [4_000, 3_000, 2_000, 1_000]
        await pilot.press("f")  # pumps and dumps
        assert [a.kind for a in screen.shown()] == ["pump"]
        await pilot.press("f")  # volume spikes
        assert [a.kind for a in screen.shown()] == ["volume_spike"]
        await pilot.press("f")  # arbitrage
        assert [a.kind for a in screen.shown()] == ["premium"]
        await pilot.press("f", "f")  # feed, then every kind again
        assert len(screen.shown()) == 4
        title = str(screen.query_one("#alerts-title").render())
        assert "4 in the log" in title
        await pilot.press("m")  # the cursor is on the newest row: KRW-BTC
        assert [a.market for a in screen.shown()] == ["KRW-BTC", "KRW-BTC"]
        assert "of KRW-BTC" in str(screen.query_one("#alerts-title").render())
        await pilot.press("m")
        assert len(screen.shown()) == 4
        await pilot.press("enter")  # opens the market of the cursor's row
        await pilot.pause()
        assert app.cockpit is not None and app.screen is app.cockpit


async def test_the_kimchi_screen_says_when_it_alerts() -> None:
    c = fed_collector(PREMS, USDT)
    screen = ArbitrageScreen(
        list(PREMS),
        collector=c,
        global_venue="okx",  # the fed quotes are OKX's
        alert_config=ArbAlertConfig(premium_pct=3.0, hysteresis_pct=0.5),
    )
    app = Host(screen)
    async with app.run_test(size=(150, 45)) as pilot:
        await pilot.pause()
        rule = str(screen.query_one("#arb-rule").render())
        assert "crosses ±3.0 %" in rule and "falls back below 2.5 %" in rule
        assert "already past a threshold are shown, not alerted" in rule
        await pilot.press("right_square_bracket")
        await pilot.pause()
        assert "crosses ±3.5 %" in str(screen.query_one("#arb-rule").render())


async def test_feed_problems_toast_once_per_cause_and_startup_failure_once() -> None:
    from tests.ui.test_app import FakeRest

    FakeRest.fail_markets = 1
    app = make_app(mode="live")
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await until(lambda: app.markets, pilot, timeout=6)
        reach = [n for n in app._notifications if "cannot reach" in n.message.lower()]
        assert len(reach) == 1  # the explicit "Cannot reach Upbit ... --demo" toast only
        app.tell("chart-1: connection lost, reconnecting", "Feed")
        app.tell("chart-2: connection lost, reconnecting", "Feed")
        await pilot.pause()
        lost = [n for n in app._notifications if "connection lost" in n.message]
        assert len(lost) == 1  # two clients, one cause: one toast
        assert sum("connection lost" in a.message for a in app.alert_service.log) == 2
        assert "⚑ 3 new" in status_text(app)


async def test_the_threshold_keys_move_the_services_pump_and_dump_rule() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        rules = app.alert_service.rules
        assert rules.config.move_threshold == pytest.approx(0.05)
        await pilot.press("right_square_bracket")
        assert rules.config.move_threshold == pytest.approx(0.055)
        await pilot.press("left_square_bracket", "left_square_bracket")
        assert rules.config.move_threshold == pytest.approx(0.045)


async def test_toasts_are_the_kinds_the_user_asked_for() -> None:
    import os

    from dantaro_tui.config import load_config

    cfg = load_config(os.environ["DANTARO_CONFIG"], env={})  # the test's own file
    cfg.alert_toasts = ["volume_spike"]  # type: ignore[attr-defined]  # read when present
    app = make_app(cfg)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        app.alert_service.add(Alert(T0, "KRW-BTC", "volume_spike", "KRW-BTC volume spike", 6.0))
        app.alert_service.add(Alert(T0, "KRW-ETH", "pump", "KRW-ETH up +5.20% (24h)", 0.052))
        app.tell("chart-1: connection lost, reconnecting", "Feed")
        await pilot.pause()
        toasts = [n.message for n in app._notifications]
        assert "KRW-BTC volume spike" in toasts
        assert not any("KRW-ETH" in t or "connection lost" in t for t in toasts)
