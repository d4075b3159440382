"""Subscription changes that arrive at awkward moments, over real sockets to the simulator."""

from __future__ import annotations

import asyncio
import time

from websockets.protocol import State

from dantaro_tui import Ticker, WebSocketClient
from dantaro_tui.feed.hub import FeedHub
from dantaro_tui.sim.server import SimServer
from tests.feed.helpers import conn_of, until, ws


async def test_a_change_made_while_a_request_waits_on_the_rate_limit_is_not_lost(
    sim: SimServer,
) -> None:
    got: list[Ticker] = []
    client = WebSocketClient("rapid", url=ws(sim))
    await client.subscribe_ticker(["KRW-BTC"], got.append)
    try:
        # Spend Upbit's 5 requests a second, so the next request waits in the limiter.
        for symbol in ("KRW-ETH", "KRW-XRP", "KRW-BTC", "KRW-ETH"):
            await client.resubscribe([symbol])
        queued = asyncio.create_task(client.resubscribe(["KRW-XRP"]))
        await asyncio.sleep(0.05)  # that request is now waiting for the limiter
        await client.resubscribe(["KRW-BTC"])  # the user moved on
        await queued
        conn = conn_of(client)
        assert conn._current == conn.desired, "synced before the last change was sent"
        mark = len(got)
        t0 = time.monotonic()
        await until(lambda: any(t.symbol == "KRW-BTC" for t in got[mark:]), 3.0)
        assert time.monotonic() - t0 < 2.5
    finally:
        await client.cleanup()


async def test_unsubscribing_everything_then_subscribing_again_is_not_an_error(
    sim: SimServer,
) -> None:
    got: list[Ticker] = []
    hub = FeedHub(idle_grace=0.0)  # no grace: the useless socket closes at once
    client = WebSocketClient("again", url=ws(sim), hub=hub)
    await client.subscribe_ticker(["KRW-BTC"], got.append)
    try:
        await until(lambda: bool(got))
        conn = conn_of(client)
        sock = conn._ws
        assert sock is not None
        await client.unsubscribe("ticker")
        # The writer starts closing the now useless socket; the user changes their mind.
        for _ in range(1000):
            if sock.state is not State.OPEN:
                break
            await asyncio.sleep(0)
        assert sock.state is State.CLOSING
        await client.subscribe_ticker(["KRW-ETH"], got.append)
        mark = len(got)
        await until(lambda: any(t.symbol == "KRW-ETH" for t in got[mark:]), 5.0)
        h = client.health()
        assert h.errors == 0, h.last_error
        assert h.reconnects == 0
        assert h.state == "connected"
    finally:
        await client.cleanup()
        await hub.close()


async def test_a_callback_that_returns_an_awaitable_is_awaited(sim: SimServer) -> None:
    # e.g. handing events to an asyncio.Queue: the lambda is not a coroutine function,
    # but what it returns must still run.
    queue: asyncio.Queue[Ticker] = asyncio.Queue()
    client = WebSocketClient("queue", url=ws(sim))
    await client.subscribe_ticker(["KRW-BTC"], lambda t: queue.put(t))
    try:
        ticker = await asyncio.wait_for(queue.get(), 5.0)
        assert ticker.symbol == "KRW-BTC"
        assert client.health().errors == 0
    finally:
        await client.cleanup()


async def test_a_quiet_realtime_only_stream_never_schedules_a_wake_up_in_the_past(
    sim: SimServer,
) -> None:
    # A realtime-only stream (a private one: no orders for minutes is normal) proves
    # nothing by its silence; a quiet deadline in the past would spin the writer at 100 %.
    from dantaro_tui.exchanges.upbit import UpbitCodec
    from dantaro_tui.feed.hub import FeedHub

    hub = FeedHub(quiet_after={"upbit": 0.5})
    got: list[Ticker] = []
    client = WebSocketClient(
        "realtime", url=ws(sim), hub=hub, keepalive=60.0,
        codec_factory=lambda: UpbitCodec("SIMPLE", None, only_realtime=True),
    )  # fmt: skip
    await client.subscribe_ticker(["KRW-BTC"], got.append)
    try:
        await until(lambda: bool(got), 10.0)
        conn = conn_of(client)
        await until(lambda: not conn.waiting, 10.0)
        later = max(conn.data_at, conn._request_at) + 5.0  # long past the quiet period
        assert conn._next_deadline(later) > later
    finally:
        await client.cleanup()
        await hub.close()
