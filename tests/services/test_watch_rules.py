"""The feed and premium rules of ``[[watch]]`` over the simulator: a feed that stops is said
after the rule's delay and its recovery too; the kimchi premium crossing a level is said."""

from __future__ import annotations

import pytest

from dantaro_tui.feed.hub import FeedHub
from dantaro_tui.feed.rest_venues import RestClient
from dantaro_tui.services.alerts import AlertService
from dantaro_tui.services.notify import Notifier
from dantaro_tui.services.premium import PremiumService
from dantaro_tui.services.watch_config import NotifySettings, WatchRule
from dantaro_tui.services.watch_rules import WatchService
from dantaro_tui.sim.server import SimServer
from tests.feed.helpers import until
from tests.services.receiver import Receiver
from tests.sim.helpers import fast_sim


def hub_on(sim: SimServer) -> FeedHub:
    hub = FeedHub()
    for exchange, urls in sim.endpoints.items():
        hub.set_endpoint(exchange, ws=urls.get("ws"), rest=urls.get("rest"))
    return hub


async def test_a_stopped_feed_is_said_after_its_delay_and_its_recovery_too() -> None:
    sim = fast_sim(seed=5)
    await sim.start()
    hub = hub_on(sim)
    rest = RestClient("upbit", hub=hub)
    markets = await rest.markets()
    await rest.close()
    alerts = AlertService(hub)
    rules = [
        WatchRule("btc", "price", ("KRW-BTC",), above=1e12),  # gives the watch a feed
        WatchRule("feed down", "feed", after_s=2.0),
    ]
    async with Receiver() as rx:
        notifier = Notifier(NotifySettings(language="en", urls=(rx.url,)), demo=True)
        watch = WatchService(hub, rules, notifier, alert_service=alerts, demo=True)
        await watch.start(markets)
        try:
            await until(lambda: any(f.state == "connected" for f in watch.feeds()), 30.0)
            assert not rx.payloads  # a healthy feed says nothing
            await sim.stop()  # the exchange goes away
            await rx.wait_for(lambda: rx.payloads, 60.0)
            down = rx.payloads[0]
            assert "feed unhealthy" in down["title"] and "upbit" in down["title"]
            assert "no good data for" in down["message"]
            await sim.start()  # the same port: the feed reconnects by itself
            await rx.wait_for(lambda: len(rx.payloads) >= 2, 90.0)
            assert "feed restored" in rx.payloads[1]["title"]
            assert len(rx.payloads) == 2  # one sentence each way, not one a second
        finally:
            await watch.close()
            await alerts.close()
            await hub.close()
            await sim.stop()


async def test_the_kimchi_premium_crossing_a_level_is_said() -> None:
    sim = SimServer(seed=6, kimchi_premium=3.0, step_interval=0.05, rate_limits=False)
    await sim.start()
    hub = hub_on(sim)
    premium = PremiumService(hub)
    alerts = AlertService(hub)
    await premium.start()
    try:
        await until(lambda: premium.reading().premium is not None, 30.0)
        now = premium.reading().premium
        assert now is not None
        pct = now * 100.0
        if not 1.0 < pct < 5.0:
            pytest.fail(f"the demo premium should be near 3 %, not {pct:.2f} %")
        # Levels well clear of the premium's own noise, so both start armed; then the
        # market's premium rises by a point and crosses the upper one.
        rule = WatchRule("kimchi", "premium", above=pct + 0.4, below=pct - 0.4)
        async with Receiver() as rx:
            notifier = Notifier(NotifySettings(language="ko", urls=(rx.url,)), demo=True)
            watch = WatchService(
                hub, [rule], notifier, alert_service=alerts, premium=premium, demo=True
            )
            await watch.start([])
            sim.market.kimchi_premium += 1.0
            try:
                await rx.wait_for(lambda: rx.payloads, 120.0)
            finally:
                await watch.close()
        title = rx.payloads[0]["title"]
        assert title.startswith("[데모] 김치 프리미엄") and "돌파" in title
        assert "BTC 김프" in rx.payloads[0]["message"]
    finally:
        await premium.close()
        await alerts.close()
        await hub.close()
        await sim.stop()
