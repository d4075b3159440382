"""Latency from a venue whose clock is not ours: over real sockets to a simulator whose
market clock the test sets, a clock running ahead never shows a negative (or unknown)
latency, an absurd time stamp is counted and left out, and a large skew is said in words."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest

from dantaro_tui import Trade, WebSocketClient
from dantaro_tui.feed.health import SKEW_WINDOW, Health
from dantaro_tui.feed.hub import FeedHub
from dantaro_tui.sim.server import SimServer
from tests.feed.helpers import conn_of, until
from tests.sim.spot_helpers import advance, manual_sim

AHEAD_MS = 5_000.0


@pytest.fixture
async def manual() -> AsyncIterator[SimServer]:
    server = manual_sim(["upbit"])
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def _live_trades(sim: SimServer, trades: list[Trade], more: int) -> None:
    """Moves the market until ``more`` realtime trades (not snapshots) have arrived."""
    target = sum(1 for t in trades if not t.snapshot) + more
    deadline = time.monotonic() + 30.0
    while sum(1 for t in trades if not t.snapshot) < target:
        assert time.monotonic() < deadline, "the simulated market sent no trades"
        await advance(sim, dt=0.02)


async def test_a_venue_clock_ahead_of_ours_never_shows_a_negative_latency(
    manual: SimServer,
) -> None:
    hub = FeedHub()
    trades: list[Trade] = []
    client = WebSocketClient("skew", url=manual.endpoints["upbit"]["ws"], hub=hub)
    try:
        manual.market.now_ms = time.time() * 1000.0 + AHEAD_MS
        await client.subscribe_trade(["KRW-BTC", "KRW-ETH", "KRW-XRP"], trades.append)
        await until(lambda: bool(trades), 10.0)
        await _live_trades(manual, trades, 20)
        stamped_ahead = [t for t in trades if not t.snapshot and t.timestamp > t.recv_ns / 1e6]
        assert stamped_ahead, "the test's clock skew did not reach the frames"
        health = client.health()
        assert 0.0 <= health.latency_ms < 1000.0, health
        assert health.clock_offset_ms <= -AHEAD_MS * 0.8
        assert "ahead of ours" in health.note
        (socket,) = hub.connection_health()
        assert 0.0 <= socket.latency_ms < 1000.0 and "ahead of ours" in socket.note
    finally:
        await client.cleanup()
        await hub.close()


async def test_an_absurd_time_stamp_is_counted_and_left_out_of_latency(
    manual: SimServer,
) -> None:
    hub = FeedHub()
    trades: list[Trade] = []
    client = WebSocketClient("absurd", url=manual.endpoints["upbit"]["ws"], hub=hub)
    try:
        manual.market.now_ms = time.time() * 1000.0
        await client.subscribe_trade(["KRW-BTC", "KRW-ETH", "KRW-XRP"], trades.append)
        await until(lambda: bool(trades), 10.0)
        await _live_trades(manual, trades, 5)
        before = client.health()
        assert 0.0 <= before.latency_ms < 1000.0 and before.bad_timestamps == 0
        # A frame stamped in 2100, then the market carries on with the right time.
        manual.market.now_ms = 4_102_444_800_000.0
        await _live_trades(manual, trades, 1)
        manual.market.now_ms = time.time() * 1000.0
        await _live_trades(manual, trades, 5)
        after = client.health()
        assert after.bad_timestamps >= 1
        assert 0.0 <= after.latency_ms < 1000.0, after
        assert abs(after.clock_offset_ms) < 1000.0 and after.note == ""
        assert conn_of(client).health.errors == 0  # a wrong clock is no broken feed
    finally:
        await client.cleanup()
        await hub.close()


def test_a_feed_steadily_late_for_a_whole_window_stays_late_and_is_said() -> None:
    # 5 s behind the stamps for over a minute: a clock behind ours, or a feed that late.
    # Nothing tells them apart, so the figure stays late (a late feed must never look
    # prompt) and the possibility is said. The windows turn on receive time.
    health = Health("upbit#1", "upbit")
    start = 1_700_000_000.0
    for i in range(SKEW_WINDOW * 2 + 2):
        now = start + i
        health.on_frame(now)
        health.on_latency(5_000.0 + (i % 7) * 10.0)  # a little jitter
    assert 5_000.0 <= health.latency_ms <= 5_070.0
    assert health.clock_off == 0.0
    assert "that late, or its clock runs behind ours" in health.note


def test_a_short_network_delay_is_kept_in_the_latency() -> None:
    health = Health("upbit#1", "upbit")
    start = 1_700_000_000.0
    for i in range(SKEW_WINDOW * 2 + 2):
        health.on_frame(start + i)
        health.on_latency(80.0 + (i % 5))
    assert 80.0 <= health.latency_ms <= 85.0
    assert health.clock_off == 0.0 and health.note == ""
