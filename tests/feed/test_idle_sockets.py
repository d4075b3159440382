"""Owners and sockets with nothing to carry, over real sockets to the simulator: an owner
that asked for no symbols says so (never "connecting"), and a shared socket nobody needs
any more is closed and leaves the health screen, unless a swap picks it up in time."""

from __future__ import annotations

from dantaro_tui import Ticker, WebSocketClient
from dantaro_tui.feed.hub import FeedHub
from dantaro_tui.sim.server import SimServer
from tests.feed.helpers import conn_of, until, ws


async def test_an_owner_that_asks_for_no_symbols_is_idle_and_opens_no_socket(
    sim: SimServer,
) -> None:
    hub = FeedHub()
    empty = WebSocketClient("empty", url=ws(sim), hub=hub)
    live = WebSocketClient("live", url=ws(sim), hub=hub)
    got: list[Ticker] = []
    try:
        await empty.subscribe_ticker([], got.append)
        await empty.subscribe_trade([], got.append)
        await empty.subscribe_orderbook([], got.append)
        await empty.subscribe_candle([], got.append)
        # Another owner's socket coming up gives any socket of the empty one time to show.
        await live.subscribe_ticker(["KRW-XRP"], lambda _t: None)
        await until(lambda: live.health().state == "connected", 10.0)
        health = empty.health()
        assert health.state == "idle", health
        assert "nothing subscribed" in health.note
        assert health.connections == 0 and health.waiting == ()
        assert {h.name: h.state for h in hub.health()}["empty"] == "idle"
        assert hub.sockets() == 1 and sim.connections == 1  # the live owner's only
        assert not got
        # The callbacks were kept: symbols given later start the channels at once.
        await empty.resubscribe(["KRW-BTC"])
        await until(lambda: any(t.symbol == "KRW-BTC" for t in got), 10.0)
        await until(lambda: empty.health().state == "connected", 10.0)
        assert empty.health().note == ""
    finally:
        await empty.cleanup()
        await live.cleanup()
        await hub.close()


async def test_a_socket_nobody_needs_is_closed_and_dropped_after_the_grace(
    sim: SimServer,
) -> None:
    hub = FeedHub(idle_grace=0.5)
    got: list[Ticker] = []
    client = WebSocketClient("gone", url=ws(sim), hub=hub)
    try:
        await client.subscribe_ticker(["KRW-BTC"], got.append)
        await until(lambda: bool(got), 10.0)
        assert [h.state for h in hub.connection_health()] == ["connected"]
        await client.cleanup()
        await until(lambda: hub.connection_health() == [] and sim.connections == 0, 10.0)
        assert hub.sockets() == 0
        # Wanted again later: a new socket, labelled like the first.
        await client.subscribe_ticker(["KRW-ETH"], got.append)
        await until(lambda: any(t.symbol == "KRW-ETH" for t in got), 10.0)
        assert [h.name for h in hub.connection_health()] == ["upbit#1"]
    finally:
        await client.cleanup()
        await hub.close()


async def test_a_swap_that_lets_go_of_everything_first_reuses_the_socket(
    sim: SimServer,
) -> None:
    hub = FeedHub()  # the default grace
    got: list[Ticker] = []
    client = WebSocketClient("swap", url=ws(sim), hub=hub)
    try:
        await client.subscribe_ticker(["KRW-BTC"], got.append)
        await until(lambda: bool(got), 10.0)
        conn = conn_of(client)
        session = conn.conn_id
        await client.unsubscribe("ticker")
        # The socket lingers with nothing to carry: still open, said idle.
        await until(lambda: conn.health.state == "idle", 10.0)
        assert sim.connections == 1 and hub.sockets() == 1
        await client.subscribe_ticker(["KRW-ETH"], got.append)
        await until(lambda: any(t.symbol == "KRW-ETH" for t in got), 10.0)
        assert conn.conn_id == session and conn.health.reconnects == 0
        assert sim.connections == 1 and conn in hub.connections()
        await until(lambda: client.health().state == "connected", 10.0)
        # Let go of a market and take it back: the stream never stopped, nor does the owner.
        await client.unsubscribe("ticker")
        await until(lambda: conn.health.state == "idle", 10.0)
        await client.subscribe_ticker(["KRW-ETH"], got.append)
        assert client.health().state != "idle"
        got.clear()
        await until(lambda: any(t.symbol == "KRW-ETH" for t in got), 10.0)
        await until(lambda: client.health().state == "connected", 10.0)
        assert conn.conn_id == session and conn.health.reconnects == 0
    finally:
        await client.cleanup()
        await hub.close()
