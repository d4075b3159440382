"""Alerts delivered away from the terminal: through Apprise's ``json://`` to a real HTTP
receiver on loopback, fed by the simulator's market through the watch rules."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

import pytest

from dantaro_tui.feed.client import WebSocketClient
from dantaro_tui.feed.hub import FeedHub
from dantaro_tui.feed.rest_venues import RestClient
from dantaro_tui.model import Market, Ticker
from dantaro_tui.services.alerts import AlertService
from dantaro_tui.services.notify import Notifier, Verdict
from dantaro_tui.services.notify_text import Notice
from dantaro_tui.services.watch_config import NotifySettings, WatchRule
from dantaro_tui.services.watch_rules import WatchService
from dantaro_tui.sim.server import SimServer
from tests.feed.helpers import LoopLag, until
from tests.services.receiver import Receiver, free_port
from tests.sim.helpers import fast_sim


@pytest.fixture
async def market() -> AsyncIterator[tuple[SimServer, FeedHub, dict[str, Market]]]:
    sim = fast_sim(seed=3)
    await sim.start()
    hub = FeedHub()
    for exchange, urls in sim.endpoints.items():
        hub.set_endpoint(exchange, ws=urls.get("ws"), rest=urls.get("rest"))
    rest = RestClient("upbit", hub=hub)
    try:
        markets = {m.symbol: m for m in await rest.markets()}
        yield sim, hub, markets
    finally:
        await rest.close()
        await hub.close()
        await sim.stop()


def notice(market: Market, n: int = 0, kind: str = "price_above", rule: str = "r") -> Notice:
    return Notice(
        rule=rule,
        kind=kind,
        market=market.symbol,
        korean_name=market.korean_name,
        english_name=market.english_name,
        quote=market.quote,
        value=100.0 + n,
        level=100.0 + n,
    )


@pytest.mark.parametrize("language", ["ko", "en"])
async def test_a_price_crossing_reaches_the_phone_with_the_korean_name(
    market: tuple[SimServer, FeedHub, dict[str, Market]], language: str
) -> None:
    _sim, hub, markets = market
    btc = markets["KRW-BTC"]
    first: list[Ticker] = []
    async with Receiver() as rx:
        settings = NotifySettings(language=language, urls=(rx.url,))  # type: ignore[arg-type]
        notifier = Notifier(settings, demo=True)
        # Levels just either side of where the market is now: one is crossed soon.
        probe = AlertService(hub)
        peek = WebSocketClient("peek", hub=hub)
        await peek.subscribe_ticker(["KRW-BTC"], first.append)
        await until(lambda: bool(first), 30.0)
        await peek.cleanup()
        price = first[-1].trade_price
        rule = WatchRule(
            "btc levels", "price", ("KRW-BTC",), above=price * 1.0002, below=price * 0.9998
        )
        watch = WatchService(hub, [rule], notifier, alert_service=probe, demo=True)
        await watch.start(markets.values())
        try:
            await rx.wait_for(lambda: rx.payloads, 60.0)
        finally:
            await watch.close()
            await probe.close()
    payload = rx.payloads[0]
    title, body = payload["title"], payload["message"]
    assert btc.korean_name and btc.korean_name in title  # the name Korean traders know
    assert "KRW-BTC" in title
    assert ("데모" if language == "ko" else "DEMO") in title  # simulated, and says so
    crossed = "above" if ("돌파" in title and "하향" not in title) or "above" in title else "below"
    level = rule.above if crossed == "above" else rule.below
    assert level is not None
    shown = f"{level:,.0f}"
    assert shown in title  # the level crossed, written as a trader reads a KRW price
    if language == "ko":
        assert "돌파" in title and "현재가" in body
    else:
        assert "crossed" in title and body.startswith("now ")
        assert btc.english_name in title


async def test_cooldown_dedupe_and_hourly_cap(
    market: tuple[SimServer, FeedHub, dict[str, Market]],
) -> None:
    _sim, _hub, markets = market
    btc, eth = markets["KRW-BTC"], markets["KRW-ETH"]
    now = [1000.0]
    async with Receiver() as rx:
        settings = NotifySettings(
            language="en", urls=(rx.url,), cooldown_s=60.0, dedupe_s=600.0, max_per_hour=3
        )
        notifier = Notifier(settings, clock=lambda: now[0])
        problems: list[str] = []
        notifier.on_problem = problems.append
        await notifier.start()
        rule = WatchRule("levels", "price", ("KRW-BTC",))
        verdicts: list[Verdict] = []
        verdicts.append(notifier.submit(notice(btc, 0), rule))  # sent
        verdicts.append(notifier.submit(notice(btc, 1), rule))  # same market, within cooldown
        verdicts.append(notifier.submit(notice(eth, 0), rule))  # other market: its own cooldown
        now[0] += 61.0
        verdicts.append(notifier.submit(notice(btc, 0), rule))  # the same crossing again
        verdicts.append(notifier.submit(notice(btc, 2), rule))  # a new level: third this hour
        now[0] += 61.0
        verdicts.append(notifier.submit(notice(btc, 3), rule))  # over the cap of 3 an hour
        now[0] += 3600.0
        verdicts.append(notifier.submit(notice(btc, 4), rule))  # the hour rolled on
        assert verdicts == [
            "queued",
            "cooldown",
            "queued",
            "duplicate",
            "queued",
            "capped",
            "queued",
        ]
        await rx.wait_for(lambda: len(rx.payloads) == 4)
        await notifier.close()
    health = notifier.health()
    assert (health.delivered, health.cooldown, health.duplicate, health.capped) == (4, 1, 1, 1)
    assert any("cap of 3 an hour" in p for p in problems)  # said once, in words
    sent = sorted(p["title"] for p in rx.payloads)
    assert sum("KRW-ETH" in t for t in sent) == 1 and sum("KRW-BTC" in t for t in sent) == 3


async def test_a_down_receiver_is_retried_with_backoff_and_counted(
    market: tuple[SimServer, FeedHub, dict[str, Market]],
) -> None:
    _sim, _hub, markets = market
    port = free_port()  # nothing listens there yet
    settings = NotifySettings(language="en", urls=(f"json://127.0.0.1:{port}/hook",), retries=8)
    notifier = Notifier(settings, backoff_base=0.2, backoff_max=1.0)
    problems: list[str] = []
    notifier.on_problem = problems.append
    await notifier.start()
    assert notifier.submit(notice(markets["KRW-BTC"]), WatchRule("r", "price")) == "queued"
    await until(lambda: notifier.health().retries >= 2, 30.0)
    health = notifier.health()
    assert health.state == "retrying" and health.delivered == 0 and health.failed == 0
    assert health.destinations[0].down and health.destinations[0].last_error
    assert any("failing" in p and "retrying" in p for p in problems)
    async with Receiver(port) as rx:  # the receiver comes back: the alert was kept
        await rx.wait_for(lambda: rx.payloads, 30.0)
        await until(lambda: notifier.health().delivered == 1, 30.0)
    await notifier.close()
    health = notifier.health()
    assert health.failed == 0 and health.unsent_at_exit == 0
    assert any("again" in p for p in problems)  # the recovery is said too


async def test_a_receiver_that_stays_down_is_given_up_in_words(
    market: tuple[SimServer, FeedHub, dict[str, Market]],
) -> None:
    _sim, _hub, markets = market
    url = f"json://127.0.0.1:{free_port()}/hook"
    notifier = Notifier(NotifySettings(urls=(url,), retries=2), backoff_base=0.05)
    problems: list[str] = []
    notifier.on_problem = problems.append
    await notifier.start()
    notifier.submit(notice(markets["KRW-BTC"]), WatchRule("r", "price"))
    await until(lambda: notifier.health().failed == 1, 30.0)
    await notifier.close()
    assert notifier.health().state == "failing"
    assert any("given up after 2 tries" in p for p in problems)


async def test_a_slow_receiver_does_not_stall_the_loop(
    market: tuple[SimServer, FeedHub, dict[str, Market]],
) -> None:
    _sim, _hub, markets = market
    async with Receiver() as rx:
        rx.hold.clear()  # every request waits: a receiver that hangs
        settings = NotifySettings(urls=(rx.url,), timeout_s=2.0, retries=3, cooldown_s=0.0)
        notifier = Notifier(settings, backoff_base=0.1, concurrency=2)
        await notifier.start()
        rule = WatchRule("r", "price")
        with LoopLag() as lag:
            for i, m in enumerate(list(markets.values())[:6]):
                assert notifier.submit(notice(m, i), rule) == "queued"
            # The receiver runs on this same loop: it sees the requests only because the
            # notifier waits for them in its threads, not on the loop.
            await rx.wait_for(lambda: rx.arrived >= 2, 30.0)
            await until(lambda: notifier.health().retries >= 2, 30.0)
            samples = len(lag.samples)
            await until(lambda: len(lag.samples) >= samples + 20, 30.0)
        # A notifier that waited on the loop would stall it for a delivery's timeout on every
        # attempt (at least four by now); a loaded machine may stall it once on its own.
        stalls = [s for s in lag.samples if s >= settings.timeout_s * 0.9]
        assert len(stalls) <= 1, f"the loop stalled {len(stalls)} times for a delivery's timeout"
        assert sorted(lag.samples)[len(lag.samples) // 2] < 0.1  # and it kept turning meanwhile
        assert "within" in notifier.health().last_error  # the timeout, said in health
        rx.hold.set()  # it recovers: everything still arrives
        await rx.wait_for(lambda: len({p["title"] for p in rx.payloads}) == 6, 60.0)
        await notifier.close()


async def test_a_full_queue_is_counted_not_silent(
    market: tuple[SimServer, FeedHub, dict[str, Market]],
) -> None:
    _sim, _hub, markets = market
    async with Receiver() as rx:
        rx.hold.clear()
        settings = NotifySettings(urls=(rx.url,), cooldown_s=0.0)
        notifier = Notifier(settings, queue_size=2, concurrency=1)
        problems: list[str] = []
        notifier.on_problem = problems.append
        await notifier.start()
        verdicts = [
            notifier.submit(notice(m, i), WatchRule("r", "price"))
            for i, m in enumerate(list(markets.values())[:6])
        ]
        assert "overflow" in verdicts
        lost = verdicts.count("overflow")
        assert notifier.health().overflow == lost
        assert any("already waiting" in p for p in problems)
        rx.hold.set()
        await rx.wait_for(lambda: len(rx.payloads) == 6 - lost, 60.0)
        await notifier.close()
    assert json.dumps(rx.payloads)  # what arrived is whole JSON


async def test_a_receiver_that_never_answers_is_let_go_at_the_timeout() -> None:
    """A hung receiver holds a delivery thread and its socket for our timeout, not for the
    sender library's own (4 s): the next alerts are not stuck behind it."""
    opened: list[float] = []
    closed: list[float] = []

    async def never_answers(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        opened.append(time.monotonic())
        while await reader.read(4096):
            pass
        closed.append(time.monotonic())
        writer.close()

    server = await asyncio.start_server(never_answers, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    settings = NotifySettings(urls=(f"json://127.0.0.1:{port}/hook",), timeout_s=1.0, retries=1)
    notifier = Notifier(settings, concurrency=1)
    await notifier.start()
    try:
        market = Market("upbit", "KRW-BTC", "BTC", "KRW", "비트코인", "Bitcoin")
        with LoopLag() as lag:
            assert notifier.submit(notice(market), WatchRule("r", "price")) == "queued"
            await until(lambda: bool(closed), 30.0)
        held = closed[0] - opened[0] - max(lag.samples, default=0.0)
        assert held < 3.0, f"the hung receiver held the sender for {held:.1f} s"
    finally:
        await notifier.close()
        server.close()
        await server.wait_closed()
