"""A book held back by a REST ban or rate limit, over real sockets to the simulator: the
wait is the REST's, not the socket's. The owner is told "waiting" with the reason and when
it ends, in words, and the healthy socket is neither asked again nor replaced for it."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator

import pytest

from dantaro_tui import OrderBook, WebSocketClient
from dantaro_tui.feed.hub import FeedHub
from dantaro_tui.sim.server import SimServer
from tests.feed.helpers import conn_of, until
from tests.feed.hostile import banning_rest
from tests.sim.spot_helpers import venue

BAN_SECONDS = 600
# Short, so the old rule (ask again after one timeout, replace after two) acts within a
# few depth frames; the frames counted below span many timeouts.
CONFIRM = 0.5


@pytest.fixture
async def banning() -> AsyncIterator[tuple[str, list[str]]]:
    async with banning_rest(BAN_SECONDS) as server:
        yield server


def _frames_after(client: WebSocketClient, more: int) -> tuple[int, int]:
    conn = conn_of(client)
    return conn.health.messages, conn.health.messages + more


async def test_a_banned_snapshot_keeps_the_socket_and_says_until_when(
    sim: SimServer, banning: tuple[str, list[str]]
) -> None:
    if "binance" not in sim.endpoints:
        pytest.skip("the simulator does not serve binance")
    rest_url, asked = banning
    hub = FeedHub(confirm_timeout=CONFIRM)
    books: list[OrderBook] = []
    client = WebSocketClient(
        "banned", "binance", url=sim.endpoints["binance"]["ws"], rest_url=rest_url, hub=hub
    )
    try:
        started = time.time()
        await client.subscribe_orderbook(["BTCUSDT"], books.append)
        await until(lambda: "HTTP 418" in client.health().note, 10.0)
        conn = conn_of(client)
        session = conn.conn_id
        # Depth frames keep coming on the socket: wait for many confirmation timeouts.
        _, target = _frames_after(client, 40)
        await until(lambda: conn.health.messages >= target, 60.0)
        health = client.health()
        assert health.state == "waiting" and health.waiting == ("orderbook BTCUSDT",)
        assert "banned" in health.note and "BTCUSDT" in health.note
        # The end of the ban, as a clock time a trader can read.
        said = re.search(r"asking again at (\d\d):(\d\d):(\d\d)", health.note)
        assert said is not None, health.note
        ends = time.localtime(started + BAN_SECONDS)
        at = int(said[1]) * 3600 + int(said[2]) * 60 + int(said[3])
        expected = ends.tm_hour * 3600 + ends.tm_min * 60 + ends.tm_sec
        assert abs((at - expected + 43_200) % 86_400 - 43_200) <= 30
        # The socket was fine: never replaced, never asked again for the book.
        assert conn.conn_id == session and conn.health.reconnects == 0
        assert "did not answer" not in conn.health.last_error
        assert sim.connections == 1
        assert len(asked) == 1  # asking during a ban prolongs it
        assert books == []  # no book without its snapshot
        (socket,) = hub.connection_health()
        assert socket.state == "waiting" and "HTTP 418" in socket.note
    finally:
        await client.cleanup()
        await hub.close()


async def test_a_rate_limited_snapshot_keeps_the_socket_and_the_book_comes_after(
    sim: SimServer,
) -> None:
    if "binance" not in sim.endpoints:
        pytest.skip("the simulator does not serve binance")
    binance = venue(sim, "binance")
    limit = binance.weight_limit
    binance.weight_limit = 0  # every weighted request is answered 429 with Retry-After
    urls = sim.endpoints["binance"]
    hub = FeedHub(confirm_timeout=CONFIRM)
    books: list[OrderBook] = []
    client = WebSocketClient("limited", "binance", url=urls["ws"], rest_url=urls["rest"], hub=hub)
    try:
        await client.subscribe_orderbook(["BTCUSDT"], books.append)
        await until(lambda: "HTTP 429" in client.health().note, 30.0)
        conn = conn_of(client)
        session = conn.conn_id
        asked = conn.venue.http().requests
        _, target = _frames_after(client, 40)
        await until(lambda: conn.health.messages >= target, 60.0)
        health = client.health()
        assert health.state == "waiting" and "rate-limiting" in health.note
        assert conn.conn_id == session and conn.health.reconnects == 0
        assert books == []
        # Binance said Retry-After 60 s: asking on before then is what earns a ban.
        assert conn.venue.http().requests == asked, "asked again inside Retry-After"
        binance.weight_limit = limit  # the limit is lifted: the book comes after the wait
        await until(lambda: bool(books), 90.0)
        await until(lambda: client.health().state == "connected", 10.0)
        assert client.health().note == ""
        assert conn.conn_id == session and conn.health.reconnects == 0
        assert books[-1].bids[0].price < books[-1].asks[0].price
    finally:
        binance.weight_limit = limit
        await client.cleanup()
        await hub.close()
