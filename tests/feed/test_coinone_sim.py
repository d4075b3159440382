"""Coinone through the hub, over real sockets to the simulator: the project's own client
(``WebSocketClient("bot", exchange="coinone")``) gets tickers, trades and books, says an
unknown coin in its health without tearing the socket down, and names the 4290 close."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from dantaro_tui import OrderBook, Ticker, Trade, WebSocketClient
from dantaro_tui.feed.hub import FeedHub
from dantaro_tui.sim.server import SimServer
from tests.feed.helpers import until


@pytest.fixture
async def sim() -> AsyncIterator[SimServer]:
    server = SimServer(seed=11, intensity=8.0, step_interval=0.05, venues=["coinone"])
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


def _client(sim: SimServer, hub: FeedHub, keepalive: float | None = None) -> WebSocketClient:
    urls = sim.endpoints["coinone"]
    return WebSocketClient(
        "bot", exchange="coinone", url=urls["ws"], rest_url=urls["rest"], hub=hub,
        keepalive=keepalive,
    )  # fmt: skip


async def test_tickers_trades_and_books_arrive_best_first_and_health_says_connected(
    sim: SimServer,
) -> None:
    hub = FeedHub()
    client = _client(sim, hub)
    tickers: list[Ticker] = []
    trades: list[Trade] = []
    books: list[OrderBook] = []
    try:
        await client.subscribe_ticker(["KRW-BTC"], tickers.append)  # Upbit's spelling works
        await client.subscribe_trade(["BTC/KRW"], trades.append)
        await client.subscribe_orderbook(["btc"], books.append)
        await until(lambda: bool(tickers) and bool(trades) and len(books) >= 3, 20.0)
        for book in books:
            assert book.symbol == "BTC/KRW" and (book.base, book.quote) == ("BTC", "KRW")
            assert book.bids[0].price < book.asks[0].price
            assert [a.price for a in book.asks] == sorted(a.price for a in book.asks)
            assert [b.price for b in book.bids] == sorted(
                (b.price for b in book.bids), reverse=True
            )
        assert books[0].snapshot and not books[-1].snapshot
        listing = sim.market.listing("coinone", "BTC/KRW")
        assert listing is not None
        upbit_like = sim.market.fair_usd("BTC") * sim.market.krw_per_usd
        assert abs(tickers[-1].trade_price / upbit_like - 1) < 0.02  # a KRW price
        assert all(t.side in ("buy", "sell") and t.price > 0 for t in trades)
        await until(lambda: client.health().state == "connected", 10.0)
        health = client.health()
        assert health.errors == 0, health.last_error
        assert health.connections == 1  # one socket carries every topic
    finally:
        await client.cleanup()
        await hub.close()


async def test_an_unknown_coin_is_said_in_health_and_the_known_one_keeps_flowing(
    sim: SimServer,
) -> None:
    hub = FeedHub(confirm_timeout=1.0)
    client = _client(sim, hub)
    books: list[OrderBook] = []
    try:
        await client.subscribe_orderbook(["BTC/KRW", "NOPE/KRW"], books.append)
        await until(lambda: "NOPE/KRW" in client.health().last_error, 20.0)
        health = client.health()
        assert "orderbook NOPE/KRW" in health.waiting
        assert health.state == "waiting"  # never "connected" while a topic is unserved
        assert health.errors >= 1
        before = len(books)
        await until(lambda: len(books) >= before + 3, 20.0)
        assert {b.symbol for b in books} == {"BTC/KRW"}
        assert client.health().reconnects == 0  # the socket was kept: Coinone heard us
    finally:
        await client.cleanup()
        await hub.close()


async def test_letting_go_of_the_unknown_coin_makes_the_socket_say_connected(
    sim: SimServer,
) -> None:
    hub = FeedHub(confirm_timeout=1.0)
    client = _client(sim, hub)
    books: list[OrderBook] = []
    try:
        await client.subscribe_orderbook(["BTC/KRW", "NOPE/KRW"], books.append)
        await until(lambda: "NOPE/KRW" in client.health().last_error, 20.0)
        assert hub.connection_health()[0].state == "waiting"
        await client.subscribe_orderbook(["BTC/KRW"], books.append)
        # Only the confirmed book is left on the socket: its own row must not stay "waiting".
        await until(lambda: hub.connection_health()[0].state == "connected", 20.0)
        assert client.health().waiting == ()
    finally:
        await client.cleanup()
        await hub.close()


async def test_an_unknown_coin_alone_does_not_make_the_socket_reconnect(sim: SimServer) -> None:
    hub = FeedHub(confirm_timeout=0.5)
    client = _client(sim, hub, keepalive=2.0)  # PONGs every 2 s: the test's clock
    try:
        await client.subscribe_ticker(["NOPE/KRW"], lambda _t: None)
        await until(lambda: "NOPE/KRW" in client.health().last_error, 20.0)
        conn = hub.connections()[0]
        # Several confirmation periods pass; each would have asked again or reconnected.
        for _ in range(3):
            seen = conn.health.messages
            await until(lambda seen=seen: conn.health.messages > seen, 30.0)
        health = client.health()
        assert health.reconnects == 0 and health.waiting == ("ticker NOPE/KRW",)
    finally:
        await client.cleanup()
        await hub.close()


async def test_the_twenty_first_connection_is_refused_and_said_in_words(sim: SimServer) -> None:
    import aiohttp

    urls = sim.endpoints["coinone"]
    hub = FeedHub()
    client = _client(sim, hub)
    async with aiohttp.ClientSession() as session:
        held = [await session.ws_connect(urls["ws"]) for _ in range(20)]
        try:
            await client.subscribe_ticker(["BTC/KRW"], lambda _t: None)
            await until(lambda: "20 connections" in client.health().last_error, 20.0)
            assert "4290" in client.health().last_error
            await held.pop().close()  # room again: the client gets its socket back
            await until(lambda: client.health().connections == 1, 60.0)
        finally:
            await client.cleanup()
            await hub.close()
            await asyncio.gather(*(ws.close() for ws in held))


async def test_the_rest_client_reads_every_call_and_says_coinones_errors(sim: SimServer) -> None:
    from dantaro_tui.config import known_exchanges
    from dantaro_tui.feed.rest import RestError
    from dantaro_tui.feed.rest_venues import RestClient

    assert "coinone" in known_exchanges()
    rest = RestClient("coinone", sim.endpoints["coinone"]["rest"], hub=FeedHub())
    try:
        markets = await rest.markets()
        btc = next(m for m in markets if m.symbol == "BTC/KRW")
        assert (btc.base, btc.quote) == ("BTC", "KRW")
        tickers = await rest.all_tickers()
        assert {t.symbol for t in tickers} == {m.symbol for m in markets}
        (one,) = await rest.tickers(["BTC/KRW"])
        assert one.symbol == "BTC/KRW" and one.trade_price > 0
        (book,) = await rest.orderbooks(["BTC/KRW"])
        assert len(book.asks) == 16 and book.bids[0].price < book.asks[0].price
        trades = await rest.trades("BTC/KRW", 50)
        assert len(trades) == 50
        assert [t.timestamp for t in trades] == sorted(t.timestamp for t in trades)
        candles = await rest.candles("BTC/KRW", "1m", count=700)  # more than one page
        times = [c.open_time for c in candles]
        assert len(candles) == 700 and times == sorted(set(times))
        wallets = await rest.currencies()  # type: ignore[attr-defined]
        assert wallets["BTC"].deposit and wallets["BTC"].withdraw
        with pytest.raises(RestError, match="does not list that coin"):
            await rest.orderbooks(["NOPE/KRW"])
        sim.faults.refuse_rate_limit = True
        with pytest.raises(RestError, match="limiting requests"):
            await rest.markets()
    finally:
        sim.faults.refuse_rate_limit = False
        await rest.close()
