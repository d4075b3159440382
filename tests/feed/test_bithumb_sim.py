"""Bithumb through the hub, over real sockets to the simulator: the public client API as a
bot uses it (``WebSocketClient("bot", exchange="bithumb")``), the REST adapter the cockpit
uses, and a damaged stream counted in health without losing the rest."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from dantaro_tui import OrderBook, Ticker, Trade, WebSocketClient
from dantaro_tui.config import known_exchanges
from dantaro_tui.feed.hub import FeedHub
from dantaro_tui.feed.rest import RestError
from dantaro_tui.feed.rest_venues import RestClient
from dantaro_tui.model import Event
from dantaro_tui.sim.server import SimServer
from tests.feed.helpers import until
from tests.sim.helpers import fast_sim


@pytest.fixture
async def sim() -> AsyncIterator[SimServer]:
    async with fast_sim(seed=9, intensity=4.0, venues=["bithumb"]) as server:
        yield server


@pytest.fixture
async def hub() -> AsyncIterator[FeedHub]:
    h = FeedHub()
    try:
        yield h
    finally:
        await h.close()


def client_for(sim: SimServer, hub: FeedHub, name: str = "bot") -> WebSocketClient:
    urls = sim.endpoints["bithumb"]
    return WebSocketClient(name, exchange="bithumb", url=urls["ws"], rest_url=urls["rest"], hub=hub)


async def test_a_bot_gets_ticker_trade_and_book(sim: SimServer, hub: FeedHub) -> None:
    got: dict[str, list[Event]] = {"ticker": [], "trade": [], "orderbook": []}
    client = client_for(sim, hub)
    try:
        await client.subscribe_ticker(["KRW-BTC"], got["ticker"].append)
        await client.subscribe_trade(["KRW-BTC"], got["trade"].append)
        await client.subscribe_orderbook(["KRW-BTC", "KRW-ETH"], got["orderbook"].append)
        await until(lambda: all(len(v) >= 2 for v in got.values()), 20.0)
        assert all(isinstance(t, Ticker) and t.trade_price > 0 for t in got["ticker"])
        assert all(isinstance(t, Trade) and t.side in ("buy", "sell") for t in got["trade"])
        books = [b for b in got["orderbook"] if isinstance(b, OrderBook)]
        assert len(books) == len(got["orderbook"])
        for book in books:
            assert book.exchange == "bithumb" and 0 < len(book.bids) <= 15
            assert book.bids[0].price < book.asks[0].price
            assert all(lv.size > 0 for lv in (*book.bids, *book.asks))  # no "0" levels
            # The microsecond wire time arrives as ms, close to the receive time.
            assert abs(book.timestamp - book.recv_ns / 1e6) < 60_000
        await until(lambda: client.health().state == "connected", 10.0)
        assert client.health().errors == 0, client.health().last_error
        await client.resubscribe(["KRW-ETH"])
        mark = {k: len(v) for k, v in got.items()}
        await until(lambda: len(got["orderbook"]) > mark["orderbook"] + 2, 20.0)
        later = got["orderbook"][mark["orderbook"] + 1 :]
        assert {e.symbol for e in later} == {"KRW-ETH"}
    finally:
        await client.cleanup()


async def test_malformed_frames_are_counted_and_the_rest_still_arrives(
    sim: SimServer, hub: FeedHub
) -> None:
    sim.faults.malformed_every = 4
    events: list[Event] = []
    client = client_for(sim, hub, "garbage")
    try:
        await client.subscribe_orderbook(["KRW-BTC"], events.append)
        await client.subscribe_ticker(["KRW-BTC"], events.append)
        await until(lambda: client.health().errors >= 2 and len(events) > 6, 20.0)
        assert all(isinstance(e, OrderBook | Ticker) for e in events)
        assert client.health().reconnects == 0
        assert client.health().last_error.isprintable()
    finally:
        sim.faults.malformed_every = None
        await client.cleanup()


async def test_candles_are_refused_in_words_before_anything_is_sent(
    sim: SimServer, hub: FeedHub
) -> None:
    client = client_for(sim, hub)
    try:
        with pytest.raises(ValueError, match="no candles"):
            await client.subscribe_candle(["KRW-BTC"], "1m", lambda ev: None)
        assert sim.subscriptions_received == 0
    finally:
        await client.cleanup()


async def test_rest_adapter_reads_the_simulator(sim: SimServer, hub: FeedHub) -> None:
    assert "bithumb" in known_exchanges()
    rest = RestClient("bithumb", sim.endpoints["bithumb"]["rest"], hub=hub)
    try:
        markets = await rest.markets()
        by = {m.symbol: m for m in markets}
        assert (by["KRW-BTC"].base, by["KRW-BTC"].quote) == ("BTC", "KRW")
        assert by["KRW-BTC"].korean_name and not by["KRW-BTC"].warning
        (ticker,) = await rest.tickers(["KRW-BTC"])
        # The +9 h REST times are taken back: the ticker is from now, not from the future.
        assert ticker.recv_ns and abs(ticker.timestamp - ticker.recv_ns / 1e6) < 60_000
        all_krw = await rest.all_tickers(("KRW",))
        assert {t.symbol for t in all_krw} == {m.symbol for m in markets if m.quote == "KRW"}
        (book,) = await rest.orderbooks(["KRW-BTC"])
        assert 0 < len(book.asks) <= 30 and book.bids[0].price < book.asks[0].price
        trades = await rest.trades("KRW-BTC", 30)
        stamps = [t.timestamp for t in trades]
        assert len(trades) == 30 and stamps == sorted(stamps)
        candles = await rest.candles("KRW-BTC", "1m", 40)
        assert len(candles) == 40 and all(c.closed for c in candles[:-1])
        with pytest.raises(RestError, match="Code not found"):
            await rest.tickers(["KRW-NOPE"])
    finally:
        await rest.close()
