"""WebSocketClient over real sockets to the simulated exchange: what a widget or a bot
relies on when it subscribes, switches symbols, and survives a bad connection."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable

import pytest

from dantaro_tui import OrderBook, Ticker, Trade, WebSocketClient
from dantaro_tui.feed.hub import IDLE_GRACE, FeedHub
from dantaro_tui.sim.server import SimServer
from tests.feed.helpers import until, ws


async def test_composite_subscription_delivers_every_type_on_one_connection(
    sim: SimServer,
) -> None:
    got: dict[str, list] = {"ticker": [], "trade": [], "orderbook": []}
    client = WebSocketClient("composite", url=ws(sim))
    await client.subscribe_ticker(["KRW-BTC", "KRW-ETH"], got["ticker"].append)
    await client.subscribe_orderbook(["KRW-BTC"], got["orderbook"].append)
    await client.subscribe_trade(["krw-btc", "KRW-BTC"], got["trade"].append)  # dupes harmless
    try:
        await until(lambda: all(got.values()))
        assert sim.connections == 1
        assert {t.symbol for t in got["ticker"]} <= {"KRW-BTC", "KRW-ETH"}
        assert all(isinstance(t, Ticker) and t.trade_price > 0 for t in got["ticker"])
        book = got["orderbook"][-1]
        assert isinstance(book, OrderBook) and book.symbol == "KRW-BTC"
        assert book.bids[0].price < book.asks[0].price
        assert all(a.price < b.price for a, b in zip(book.asks, book.asks[1:], strict=False))
        assert all(isinstance(t, Trade) and t.side in ("buy", "sell") for t in got["trade"])
        assert client.health().state == "connected"
    finally:
        await client.cleanup()


async def test_resubscribe_never_delivers_the_old_symbol_and_is_fast(sim: SimServer) -> None:
    events: list = []
    client = WebSocketClient("switch", url=ws(sim))
    await client.subscribe_ticker(["KRW-BTC"], events.append)
    await client.subscribe_trade(["KRW-BTC"], events.append)
    await client.subscribe_orderbook(["KRW-BTC"], events.append)
    try:
        await until(lambda: any(e.symbol == "KRW-BTC" for e in events))
        t0 = time.perf_counter()
        await client.resubscribe(["KRW-ETH"])
        mark = len(events)
        await until(lambda: any(e.symbol == "KRW-ETH" for e in events[mark:]), 2.0)
        first_ms = (time.perf_counter() - t0) * 1000
        await asyncio.sleep(0.5)
        after = events[mark:]
        assert after, "no events after the switch"
        assert {e.symbol for e in after} == {"KRW-ETH"}
        assert first_ms < 1000  # the benchmark measures the real figure
        assert client.subscriptions == {
            "ticker": frozenset({"KRW-ETH"}),
            "trade": frozenset({"KRW-ETH"}),
            "orderbook": frozenset({"KRW-ETH"}),
        }
    finally:
        await client.cleanup()


async def test_unsubscribe_one_type_keeps_the_others(sim: SimServer) -> None:
    tickers: list[Ticker] = []
    books: list[OrderBook] = []
    client = WebSocketClient("unsub", url=ws(sim))
    await client.subscribe_ticker(["KRW-BTC"], tickers.append)
    await client.subscribe_orderbook(["KRW-BTC"], books.append)
    try:
        await until(lambda: bool(tickers) and bool(books))
        await client.unsubscribe("orderbook", ["KRW-BTC"])
        n_books, n_tickers = len(books), len(tickers)
        await until(lambda: len(tickers) > n_tickers + 2, 5.0)
        assert len(books) == n_books
        assert "orderbook" not in client.subscriptions
    finally:
        await client.cleanup()


async def test_reconnects_and_restores_after_the_server_drops(sim: SimServer) -> None:
    events: list = []
    client = WebSocketClient("drop", url=ws(sim))
    await client.subscribe_orderbook(["KRW-BTC"], events.append)
    await client.subscribe_trade(["KRW-XRP"], events.append)
    try:
        await until(lambda: len(events) > 3)
        await sim.drop_all()
        await until(lambda: client.health().reconnects >= 1)
        mark = len(events)
        await until(lambda: len(events) > mark + 3, 8.0)
        assert {e.symbol for e in events[mark:]} <= {"KRW-BTC", "KRW-XRP"}
        h = client.health()
        assert h.state == "connected"
        assert h.errors >= 1 and h.last_error  # the drop is explained, in words
    finally:
        await client.cleanup()


async def test_a_silent_peer_is_detected_within_two_heartbeats(sim: SimServer) -> None:
    events: list = []
    client = WebSocketClient("stall", url=ws(sim), keepalive=0.5)
    await client.subscribe_orderbook(["KRW-BTC"], events.append)
    try:
        await until(lambda: bool(events))
        sim.faults.stall = True
        t0 = time.monotonic()
        await until(lambda: client.health().reconnects >= 1, 5.0)
        detected = time.monotonic() - t0
        assert detected < 2 * 0.5 + 1.2  # two intervals, plus the writer tick and a busy CI loop
        assert "dead" in client.health().last_error or "no data" in client.health().last_error
        sim.faults.stall = False
        mark = len(events)
        await until(lambda: len(events) > mark, 8.0)
    finally:
        sim.faults.stall = False
        await client.cleanup()


async def test_malformed_frames_are_counted_and_lose_nothing_else(sim: SimServer) -> None:
    sim.faults.malformed_every = 4
    events: list = []
    client = WebSocketClient("garbage", url=ws(sim))
    await client.subscribe_orderbook(["KRW-BTC", "KRW-ETH"], events.append)
    await client.subscribe_ticker(["KRW-BTC", "KRW-ETH"], events.append)
    try:
        await until(lambda: client.health().errors >= 2 and len(events) > 6, 8.0)
        # Each subscription counts as confirmed once a readable frame of it has arrived.
        await until(lambda: client.health().state == "connected", 5.0)
        assert client.health().reconnects == 0
    finally:
        await client.cleanup()


async def test_twenty_clients_share_one_socket_and_all_get_data(sim: SimServer) -> None:
    seen: dict[str, int] = {}
    clients = [WebSocketClient(f"c{i}", url=ws(sim)) for i in range(20)]

    def counter(name: str) -> Callable[[object], None]:
        def cb(_ev: object) -> None:
            seen[name] = seen.get(name, 0) + 1

        return cb

    try:
        await asyncio.gather(
            *(c.subscribe_ticker(["KRW-BTC", "KRW-ETH"], counter(c.name)) for c in clients)
        )
        await until(lambda: len(seen) == 20, 5.0)
        assert sim.connections == 1  # one hub, one endpoint: one socket
        await until(lambda: all(c.health().state == "connected" for c in clients), 5.0)
    finally:
        await asyncio.gather(*(c.cleanup() for c in clients))


async def test_twenty_sockets_opened_at_once_queue_instead_of_being_refused(
    sim: SimServer,
) -> None:
    # Twenty venues of one hub (distinct heartbeat settings force distinct sockets) share
    # the hub's connection limiter: Upbit allows 5 connects a second per IP.
    hub = FeedHub()
    seen: dict[str, int] = {}
    clients = [
        WebSocketClient(f"c{i}", url=ws(sim), hub=hub, keepalive=20.0 + i) for i in range(20)
    ]

    def counter(name: str) -> Callable[[object], None]:
        def cb(_ev: object) -> None:
            seen[name] = seen.get(name, 0) + 1

        return cb

    try:
        t0 = time.monotonic()
        await asyncio.gather(
            *(c.subscribe_ticker(["KRW-BTC", "KRW-ETH"], counter(c.name)) for c in clients)
        )
        await until(lambda: len(seen) == 20, 15.0)
        elapsed = time.monotonic() - t0
        assert elapsed > 2.5  # 20 connects at Upbit's 5/s cannot take less than ~3 s
        assert all(c.health().reconnects == 0 for c in clients)  # none refused
        assert sim.connections == 20
    finally:
        await asyncio.gather(*(c.cleanup() for c in clients))
        await hub.close()


async def test_rate_limit_refusal_is_explained_and_recovered_from(sim: SimServer) -> None:
    sim.faults.refuse_rate_limit = True
    events: list = []
    client = WebSocketClient("refused", url=ws(sim), sync_timeout=0.5)
    try:
        await client.subscribe_ticker(["KRW-BTC"], events.append)
        await until(lambda: client.health().errors >= 1, 5.0)
        assert "rate limit" in client.health().last_error or "too many" in (
            client.health().last_error.lower()
        )
        assert not events
        sim.faults.refuse_rate_limit = False
        await until(lambda: bool(events), 15.0)
    finally:
        sim.faults.refuse_rate_limit = False
        await client.cleanup()


async def test_cleanup_then_subscribe_again_and_async_callbacks(sim: SimServer) -> None:
    got: list[Ticker] = []

    async def on_ticker(t: Ticker) -> None:
        await asyncio.sleep(0)
        got.append(t)

    client = WebSocketClient("again", url=ws(sim))
    await client.subscribe_ticker(["KRW-BTC"], on_ticker)
    await until(lambda: bool(got))
    await client.cleanup()
    assert client.subscriptions == {}
    assert sim.connections == 0 or await _eventually_zero(sim)
    got.clear()
    await client.subscribe_ticker(["KRW-ETH"], on_ticker)
    try:
        await until(lambda: bool(got))
        assert {t.symbol for t in got} == {"KRW-ETH"}
    finally:
        await client.cleanup()


async def _eventually_zero(sim: SimServer) -> bool:
    # A socket with nothing to carry lingers for the hub's grace period, then closes.
    await until(lambda: sim.connections == 0, IDLE_GRACE + 5.0)
    return True


async def test_a_failing_callback_is_counted_not_fatal(sim: SimServer) -> None:
    calls = 0

    def boom(_t: Ticker) -> None:
        nonlocal calls
        calls += 1
        raise RuntimeError("strategy bug")

    client = WebSocketClient("boom", url=ws(sim))
    await client.subscribe_ticker(["KRW-BTC"], boom)
    try:
        await until(lambda: calls >= 3, 8.0)
        h = client.health()
        assert h.errors >= 3 and "strategy bug" in h.last_error
        assert h.state == "connected"
    finally:
        await client.cleanup()


def test_bad_symbols_and_channels_are_refused_clearly() -> None:
    client = WebSocketClient("bad")
    with pytest.raises(ValueError, match="not a market code"):
        asyncio.run(client.subscribe_ticker(["KRW BTC"], print))
    with pytest.raises(ValueError):
        asyncio.run(client.subscribe_candle(["KRW-BTC"], print, interval="7m"))


def test_endpoint_environment_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DANTARO_UPBIT_WS_URL", "ws://127.0.0.1:1/x")
    monkeypatch.setenv("DANTARO_UPBIT_REST_URL", "http://127.0.0.1:1/y/")
    client = WebSocketClient("env")
    assert client.url == "ws://127.0.0.1:1/x"
    assert client.rest_url == "http://127.0.0.1:1/y"
    assert WebSocketClient("explicit", url="ws://h/z").url == "ws://h/z"


async def test_swaps_beyond_the_message_budget_spill_onto_another_socket(sim: SimServer) -> None:
    got: list[Ticker] = []
    returned: dict[str, float] = {}
    client = WebSocketClient("burst", url=ws(sim))
    await client.subscribe_ticker(["KRW-BTC"], got.append)
    symbols = ["KRW-ETH", "KRW-XRP", "KRW-SOL", "KRW-DOGE", "KRW-ADA", "KRW-BCH", "KRW-ETC"]
    try:
        await until(lambda: bool(got))
        t0 = time.monotonic()
        for symbol in symbols:  # 7 requests at once: Upbit allows 5 a second per socket
            await client.resubscribe([symbol])
            returned[symbol] = time.monotonic()
        await until(lambda: any(t.symbol == symbols[-1] for t in got), 3.0)
        first_last = next(t for t in got if t.symbol == symbols[-1])
        assert first_last.recv_ns / 1e9 - (time.time() - (time.monotonic() - t0)) < 0.8
        venue = client._venue
        assert venue is not None
        assert 2 <= len(venue.connections()) <= 4  # spilled onto another socket, politely
        assert sim.connections <= 2  # a socket left with nothing to carry closes
        # No event of a symbol is handed over after the swap away from it returned.
        for earlier, later in itertools.pairwise(symbols):
            left = returned[later]
            late = [t for t in got if t.symbol == earlier and t.recv_ns / 1e9 > _wall(left)]
            assert not late, f"{earlier} delivered after the swap to {later}"
    finally:
        await client.cleanup()


def _wall(monotonic_t: float) -> float:
    return time.time() - (time.monotonic() - monotonic_t)


async def test_two_hundred_owners_share_one_socket_and_all_stay_live(sim: SimServer) -> None:
    hub = FeedHub()
    markets = ["KRW-BTC", "KRW-ETH", "KRW-XRP", "KRW-SOL", "KRW-DOGE", "KRW-ADA"]
    seen: dict[str, set[str]] = {}
    clients = [WebSocketClient(f"owner{i}", url=ws(sim), hub=hub) for i in range(200)]

    def counter(name: str) -> Callable[[Ticker], None]:
        def cb(t: Ticker) -> None:
            seen.setdefault(name, set()).add(t.symbol)

        return cb

    try:
        for i, c in enumerate(clients):
            await c.subscribe_ticker([markets[i % 6], markets[(i + 1) % 6]], counter(c.name))
        await until(lambda: len(seen) == 200, 10.0)
        assert sim.connections == 1 and hub.sockets() == 1
        # each owner got only what it asked for
        for i, c in enumerate(clients):
            assert seen[c.name] <= {markets[i % 6], markets[(i + 1) % 6]}
        await until(lambda: all(c.health().state == "connected" for c in clients), 10.0)
    finally:
        await asyncio.gather(*(c.cleanup() for c in clients))
        await hub.close()


async def test_swaps_under_load_never_deliver_a_market_after_it_was_left(sim: SimServer) -> None:
    sim.market.intensity = 20.0  # a busy market: frames queue while the swaps go out
    got: list[tuple[float, str]] = []  # (delivery time, symbol)

    def take(e: Ticker | Trade | OrderBook) -> None:
        got.append((time.monotonic(), e.symbol))

    client = WebSocketClient("swapper", url=ws(sim))
    symbols = ["KRW-BTC", "KRW-ETH", "KRW-XRP", "KRW-SOL", "KRW-DOGE", "KRW-ADA"] * 2
    windows: list[tuple[float, float, str]] = []  # [swap returned, next swap called): symbol
    try:
        await asyncio.gather(
            client.subscribe_ticker([symbols[0]], take),
            client.subscribe_trade([symbols[0]], take),
            client.subscribe_orderbook([symbols[0]], take),
        )
        await until(lambda: bool(got))
        start = time.monotonic()
        current = symbols[0]
        for nxt in symbols[1:]:
            await asyncio.sleep(0.25)  # about 4 swaps a second
            called = time.monotonic()
            windows.append((start, called, current))
            await client.resubscribe([nxt])
            start, current = time.monotonic(), nxt
        await until(lambda: any(sym == current for _, sym in got), 3.0)
        windows.append((start, time.monotonic(), current))
        for t, sym in got:
            for begin, end, wanted in windows:
                if begin <= t < end:
                    assert sym == wanted, f"{sym} delivered while only {wanted} was wanted"
        assert len({sym for _, sym in got}) == 6  # every market did get data in its turn
    finally:
        await client.cleanup()
