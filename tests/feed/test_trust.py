"""Every way the data can silently stop, tried over real sockets: against the simulator's
fault switches, a proxy that takes the exchange away, and hostile servers that flood.

The rule under test: a trader never sees a frozen market as live, and a feed heals by
itself as soon as the exchange is reachable again."""

from __future__ import annotations

import asyncio
import time
from urllib.parse import urlsplit

from dantaro_tui import Ticker, Trade, WebSocketClient
from dantaro_tui.exchanges.upbit import UpbitCodec
from dantaro_tui.sim.server import SimServer
from tests.feed.helpers import LoopLag, until, ws
from tests.feed.hostile import OutageProxy, ServerProcess

# A bound that catches a starved loop (it was 0.9-15 s) on a busy shared CI machine; the
# benchmarks measure the real figure (goal p99 < 50 ms).
LAG_BOUND = 0.25


async def lag_bound() -> float:
    """LAG_BOUND plus what the machine itself adds now: the lag of an idle loop, measured
    just before the flood, so a loaded CI machine does not fail a loop that kept up."""
    with LoopLag() as idle:
        await asyncio.sleep(0.5)
    return LAG_BOUND + 2 * idle.p99()


async def test_a_swallowed_subscription_is_asked_again_and_never_shown_as_connected(
    sim: SimServer,
) -> None:
    got: list[Ticker] = []
    # A short heartbeat: the stall is noticed in about a second and the client reconnects
    # while the server is still stalled, so its new request is swallowed.
    client = WebSocketClient("swallowed", url=ws(sim), keepalive=0.5)
    await client.subscribe_ticker(["KRW-BTC", "KRW-ETH"], got.append)
    try:
        await until(lambda: len(got) > 3)
        sim.faults.stall = True
        await until(lambda: client.health().reconnects >= 1, 5.0)
        await asyncio.sleep(1.5)  # a reconnect happened during the stall: request lost
        sim.faults.stall = False
        lifted = time.monotonic()
        mark = len(got)
        claimed_live_without_data = 0
        while len(got) == mark and time.monotonic() - lifted < 10.0:
            if client.health().state == "connected":
                claimed_live_without_data += 1
            await asyncio.sleep(0.05)
        healed = time.monotonic() - lifted
        assert len(got) > mark, "no market data after the stall lifted"
        assert healed < 8.0
        assert claimed_live_without_data == 0, "health said connected over a frozen market"
        await until(lambda: client.health().state == "connected", 5.0)
    finally:
        await client.cleanup()


async def test_back_to_back_outages_each_heal_within_three_seconds(sim: SimServer) -> None:
    target = urlsplit(ws(sim))
    proxy = OutageProxy(target.hostname or "127.0.0.1", target.port or 80)
    await proxy.up()
    got: list[Trade] = []
    client = WebSocketClient("outages", url=proxy.url(target.path))
    await client.subscribe_trade(["KRW-BTC", "KRW-ETH", "KRW-XRP"], got.append)
    heals: list[float] = []
    try:
        await until(lambda: bool(got))
        for _ in range(3):
            await proxy.down()
            await asyncio.sleep(3.0)
            await proxy.up()
            back = time.monotonic()
            mark = len(got)
            with LoopLag() as lag:  # the client cannot act sooner than its loop lets it
                await until(lambda mark=mark: len(got) > mark, 15.0)  # type: ignore[misc]
            heals.append(time.monotonic() - back - max(lag.samples, default=0.0))
        assert max(heals) < 3.0, f"heal times, less the loop's own stalls: {heals}"
    finally:
        await client.cleanup()
        await proxy.down()


async def test_a_silent_peer_is_declared_dead_within_two_heartbeats(sim: SimServer) -> None:
    got: list[Ticker] = []
    client = WebSocketClient("silent", url=ws(sim), keepalive=1.0)
    await client.subscribe_ticker(["KRW-BTC"], got.append)
    try:
        await until(lambda: client.health().state == "connected")
        sim.faults.stall = True
        silent_from = time.monotonic()
        with LoopLag() as lag:  # the client cannot act sooner than its loop lets it
            await until(lambda: client.health().reconnects >= 1, 5.0)
        detected = time.monotonic() - silent_from - max(lag.samples, default=0.0)
        assert detected <= 2.0, f"dead peer noticed after {detected:.2f} s (2 heartbeats = 2 s)"
        assert client.health().state != "connected"
    finally:
        sim.faults.stall = False
        await client.cleanup()


async def test_a_flood_into_a_slow_owner_neither_starves_the_loop_nor_ages_the_prices() -> None:
    bound = await lag_bound()
    server = await ServerProcess("flood_tickers").start()
    newest: list[Ticker] = []

    def slow(t: Ticker) -> None:
        time.sleep(0.002)  # a 2 ms callback: far slower than the flood
        newest[:] = [t]

    client = WebSocketClient("flooded", url=server.url)
    try:
        with LoopLag() as lag:
            await client.subscribe_ticker(["KRW-BTC", "KRW-ETH", "KRW-XRP"], slow)
            await asyncio.sleep(4.0)
        assert newest, "nothing delivered"
        age = time.time() - newest[0].recv_ns / 1e9
        assert age < 2.0, f"the newest price shown is {age:.1f} s old"  # was 65 s
        assert client.health().conflated > 0  # the backlog was collapsed, not queued
        assert lag.p99() < bound, f"event loop lag p99 {lag.p99() * 1000:.0f} ms"
        t0 = time.monotonic()
        await client.cleanup()
        assert time.monotonic() - t0 < 1.0
    finally:
        await client.cleanup()
        await server.stop()


async def test_trades_a_slow_owner_cannot_take_are_counted_and_said_once() -> None:
    bound = await lag_bound()
    server = await ServerProcess("flood_trades").start()
    taken: list[Trade] = []

    def slow(t: Trade) -> None:
        time.sleep(0.002)
        taken.append(t)

    client = WebSocketClient("tape", url=server.url, max_pending_trades=500)
    try:
        with LoopLag() as lag:
            await client.subscribe_trade(["KRW-BTC"], slow)
            await until(lambda: client.health().dropped > 0, 10.0)
            await asyncio.sleep(0.5)
        h = client.health()
        assert h.dropped > 0
        assert "fell behind" in h.last_error and "dropped" in h.last_error
        assert h.errors == 1  # said once, counted in ``dropped``
        seqs = [int(t.trade_id) for t in taken]
        assert seqs == sorted(seqs)  # what was delivered stayed in order
        assert lag.p99() < bound, f"event loop lag p99 {lag.p99() * 1000:.0f} ms"
    finally:
        await client.cleanup()
        await server.stop()


async def test_one_slow_owner_never_delays_another(sim: SimServer) -> None:
    sim.market.intensity = 20.0
    delays: list[float] = []

    def slow(_ev: object) -> None:
        time.sleep(0.005)

    def fast(t: Ticker) -> None:
        delays.append(time.time() - t.recv_ns / 1e9)

    hog = WebSocketClient("hog", url=ws(sim))
    quick = WebSocketClient("quick", url=ws(sim))
    markets = ["KRW-BTC", "KRW-ETH", "KRW-XRP", "KRW-SOL", "KRW-DOGE", "KRW-ADA"]
    try:
        await hog.subscribe_orderbook(markets, slow)
        await hog.subscribe_trade(markets, slow)
        await quick.subscribe_ticker(["KRW-BTC", "KRW-ETH"], fast)
        await asyncio.sleep(4.0)
        assert len(delays) > 5
        delays.sort()
        p95 = delays[int(len(delays) * 0.95)]
        assert p95 < 0.1, f"the quick owner waited {p95 * 1000:.0f} ms (p95) behind the slow one"
    finally:
        await hog.cleanup()
        await quick.cleanup()


async def test_a_ping_flood_neither_blocks_the_loop_nor_cleanup() -> None:
    bound = await lag_bound()
    server = await ServerProcess("flood_pings").start()
    got: list[Ticker] = []
    client = WebSocketClient("pinged", url=server.url)
    try:
        with LoopLag() as lag:
            await client.subscribe_ticker(["KRW-BTC"], got.append)
            await asyncio.sleep(2.0)
        assert got
        assert lag.p99() < bound, f"event loop lag p99 {lag.p99() * 1000:.0f} ms"
        t0 = time.monotonic()
        await client.cleanup()
        assert time.monotonic() - t0 < 1.0
    finally:
        await client.cleanup()
        await server.stop()


async def test_a_server_that_answers_then_hangs_up_is_not_stormed() -> None:
    # Each session delivers a snapshot (market data!) and ends at once. Data resets the
    # backoff, but not for a flapping server: its connect rate must fall, not sit at the
    # exchange's connection limit (5 a second on Upbit, where a ban follows).
    server = await ServerProcess("flap").start()
    got: list[Ticker] = []
    client = WebSocketClient("flapping", url=server.url)
    try:
        await client.subscribe_ticker(["KRW-BTC"], got.append)
        await asyncio.sleep(6.0)
        attempts = client.health().reconnects + 1
        assert got  # each session did deliver
        assert attempts <= 15, f"{attempts} connections in 6 s (26 without the guard)"
    finally:
        await client.cleanup()
        await server.stop()


class _ShortLived(UpbitCodec):
    """Upbit as if it ended every connection at 61.5 s: replaced 60 s before, i.e. at 1.5 s."""

    max_lifetime = 61.5


class _NoHeartbeat(UpbitCodec):
    """An exchange that pings us instead (Binance): no heartbeat frame of ours."""

    ping_frame = None


async def test_a_connection_lifetime_is_a_planned_reconnect_not_an_error(sim: SimServer) -> None:
    got: list[Ticker] = []
    client = WebSocketClient("lifetime", url=ws(sim), codec_factory=_ShortLived)
    try:
        await client.subscribe_ticker(["KRW-BTC"], got.append)
        await until(lambda: client.health().reconnects >= 2, 8.0)
        mark = len(got)
        await until(lambda: len(got) > mark, 5.0)  # data keeps coming on the new socket
        h = client.health()
        assert h.errors == 0, h.last_error
    finally:
        await client.cleanup()


async def test_without_a_heartbeat_frame_the_writer_sleeps(sim: SimServer) -> None:
    got: list[Ticker] = []
    client = WebSocketClient(
        "pinged-by-them", url=ws(sim), codec_factory=_NoHeartbeat, keepalive=0.2
    )
    try:
        await client.subscribe_ticker(["KRW-BTC"], got.append)
        await until(lambda: bool(got))
        await asyncio.sleep(0.5)  # past the keepalive interval: nothing to send
        cpu0, t0 = time.process_time(), time.monotonic()
        await asyncio.sleep(2.0)
        busy = (time.process_time() - cpu0) / (time.monotonic() - t0)
        assert busy < 0.5, f"{busy:.0%} of a core while idle: the writer spins"
        assert client.health().state == "connected"
    finally:
        await client.cleanup()
