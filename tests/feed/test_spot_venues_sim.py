"""Binance and Gate.io through the hub, over real sockets to the simulator: books are
synced from the REST snapshot the hub fetches for the codec (from the owner's rest_url)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from dantaro_tui import OrderBook, Trade, WebSocketClient
from dantaro_tui.feed.hub import FeedHub
from dantaro_tui.sim.server import SimServer
from tests.feed.helpers import until
from tests.feed.hostile import banning_rest


@pytest.mark.parametrize(("exchange", "symbol"), [("binance", "BTCUSDT"), ("gateio", "BTC_USDT")])
async def test_a_synced_book_and_trades_arrive_and_health_says_connected(
    sim: SimServer, exchange: str, symbol: str
) -> None:
    if exchange not in sim.endpoints:
        pytest.skip(f"the simulator does not serve {exchange}")
    urls = sim.endpoints[exchange]
    hub = FeedHub()
    books: list[OrderBook] = []
    trades: list[Trade] = []
    client = WebSocketClient("spot", exchange, url=urls["ws"], rest_url=urls["rest"], hub=hub)
    try:
        await client.subscribe_orderbook([symbol], books.append)
        await client.subscribe_trade([symbol], trades.append)
        await until(lambda: len(books) >= 3 and bool(trades), 10.0)
        book = books[-1]
        assert book.symbol == symbol and book.bids and book.asks
        assert book.bids[0].price < book.asks[0].price
        assert all(a.price < b.price for a, b in zip(book.asks, book.asks[1:], strict=False))
        await until(lambda: client.health().state == "connected", 5.0)
        assert client.health().errors == 0, client.health().last_error
    finally:
        await client.cleanup()
        await hub.close()


@pytest.mark.parametrize(("exchange", "symbol"), [("binance", "BTCUSDT"), ("gateio", "BTC_USDT")])
async def test_rest_market_list_candles_trades_and_book(
    sim: SimServer, exchange: str, symbol: str
) -> None:
    if exchange not in sim.endpoints:
        pytest.skip(f"the simulator does not serve {exchange}")
    from dantaro_tui.feed.rest_venues import RestClient

    rest = RestClient(exchange, sim.endpoints[exchange]["rest"], hub=FeedHub())
    try:
        markets = await rest.markets()
        btc = next(m for m in markets if m.symbol == symbol)
        assert (btc.base, btc.quote) == ("BTC", "USDT")
        candles = await rest.candles(symbol, "1m", count=50)
        assert 10 <= len(candles) <= 50
        times = [c.open_time for c in candles]
        assert times == sorted(times) and len(set(times)) == len(times)
        assert all(
            c.low <= min(c.open, c.close) and c.high >= max(c.open, c.close) for c in candles
        )
        trades = await rest.trades(symbol, 20)
        assert trades and all(t.symbol == symbol and t.price > 0 for t in trades)
        (book,) = await rest.orderbooks([symbol])
        assert book.bids[0].price < book.asks[0].price
        tickers = await rest.all_tickers(("USDT",))
        assert any(t.symbol == symbol for t in tickers)
    finally:
        await rest.close()


async def test_a_recording_keeps_the_book_snapshot_the_deltas_build_on(
    sim: SimServer, tmp_path: Path
) -> None:
    if "binance" not in sim.endpoints:
        pytest.skip("the simulator does not serve binance")
    from dantaro_tui.recording.format import Recording
    from dantaro_tui.recording.recorder import Recorder

    urls = sim.endpoints["binance"]
    hub = FeedHub()
    recorder = Recorder(tmp_path).start(hub)
    books: list[OrderBook] = []
    client = WebSocketClient("rec", "binance", url=urls["ws"], rest_url=urls["rest"], hub=hub)
    try:
        await client.subscribe_orderbook(["BTCUSDT"], books.append)
        await until(lambda: len(books) >= 2, 10.0)
    finally:
        await client.cleanup()
        await hub.close()
        await asyncio.to_thread(recorder.close)
    rest = [r for r in Recording(tmp_path).records() if r.type == "rest"]
    assert rest, "the snapshot the book was synced from is not in the recording"
    assert "/api/v3/depth" in (rest[0].url or "") and "BTCUSDT" in (rest[0].url or "")
    assert b"lastUpdateId" in (
        rest[0].frame if isinstance(rest[0].frame, bytes) else rest[0].frame.encode()
    )


async def test_a_banned_ip_asks_for_no_snapshot_until_the_ban_ends(sim: SimServer) -> None:
    """Binance answers 418 (this IP is banned, Retry-After) to the depth snapshot: asking
    again during a ban prolongs it, so the hub asks once, the book is said to be unsynced
    and nothing is shown in its place."""
    if "binance" not in sim.endpoints:
        pytest.skip("the simulator does not serve binance")
    async with banning_rest(600) as (rest_url, asked):
        await _banned_snapshot(sim, rest_url, asked)


async def _banned_snapshot(sim: SimServer, rest_url: str, asked: list[str]) -> None:
    hub = FeedHub()
    books: list[OrderBook] = []
    said: list[str] = []
    client = WebSocketClient(
        "banned",
        "binance",
        url=sim.endpoints["binance"]["ws"],
        rest_url=rest_url,
        hub=hub,
        on_status=lambda st: said.append(st.message),
    )
    try:
        await client.subscribe_orderbook(["BTCUSDT"], books.append)
        await until(lambda: bool(asked), 10.0)
        await asyncio.sleep(3.0)  # 30 depth frames of the socket, each wanting a snapshot
        assert len(asked) == 1
        assert books == []  # no book without its snapshot
        assert client.health().state == "waiting"  # never "connected" without a book
        assert any("HTTP 418" in text and "banned" in text for text in said), said
    finally:
        await client.cleanup()
        await hub.close()
