"""MarketDataCollector: WebSocket first, REST when the WebSocket goes quiet, only valid
quotes handed out, freshness per source. Network tests run against the simulator on
loopback; the validation rules are checked on events pushed in by hand."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator, Callable

import pytest

from dantaro_tui.feed.collector import MarketDataCollector, Quote, is_valid
from dantaro_tui.feed.health import HealthSnapshot
from dantaro_tui.model import Level, OrderBook, Ticker, Trade
from dantaro_tui.sim.server import SimServer

SYMBOLS = ["KRW-BTC", "KRW-ETH"]


async def until(cond: Callable[[], bool], timeout: float = 8.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"not met in time: {what}")
        await asyncio.sleep(0.02)


@pytest.fixture
async def upbit_sim() -> AsyncIterator[SimServer]:
    server = SimServer(seed=11, venues=["upbit"], rate_limits=False)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


def source(c: MarketDataCollector, symbol: str) -> str | None:
    """The source of the symbol's quote once it has a price and a book."""
    q = c.latest("upbit", symbol)
    return None if q is None or not q.bid else q.source


def assert_sane(q: Quote | None) -> None:
    assert q is not None
    assert is_valid(q, 60.0)
    assert q.price > 0 and 0 < q.bid < q.ask
    assert q.bid_size > 0 and q.ask_size > 0


# ---------------------------------------------------------------------------- over the wire


async def test_websocket_values_are_used_while_fresh(upbit_sim: SimServer) -> None:
    trades: list[Trade] = []
    c = MarketDataCollector(
        {"upbit": SYMBOLS},
        urls=upbit_sim.endpoints,
        rest_interval=0.2,
        stale_after=2.0,
        on_trade=trades.append,
    )
    await c.start()
    try:
        await until(lambda: all(source(c, s) == "ws" for s in SYMBOLS), what="ws quotes")
        polls = c.rest_polls
        for _ in range(8):  # ~0.8 s, four REST intervals: every answer from the WebSocket
            for symbol in SYMBOLS:
                q = c.latest("upbit", symbol)
                assert_sane(q)
                assert q is not None and q.source == "ws"
            await asyncio.sleep(0.1)
        assert c.rest_polls == polls, "REST polled although the WebSocket was fresh"
        assert c.stale_symbols("upbit") == []
        # The quote is the simulator's book.
        listing = upbit_sim.market.listing("upbit", "KRW-BTC")
        assert listing is not None
        q = c.latest("upbit", "KRW-BTC")
        assert q is not None and q.bid == pytest.approx(listing.best()[0], rel=0.01)
        fresh = c.freshness("upbit", "KRW-BTC")
        assert set(fresh) == {"ws"} and fresh["ws"] < 2.0
        assert set(c.quotes()) == {("upbit", s) for s in SYMBOLS}
        await until(lambda: bool(trades), what="trades through on_trade")
        assert {t.symbol for t in trades} <= set(SYMBOLS)
    finally:
        await c.stop()


async def test_rest_takes_over_when_the_websocket_stalls_and_hands_back(
    upbit_sim: SimServer,
) -> None:
    c = MarketDataCollector(
        {"upbit": SYMBOLS}, urls=upbit_sim.endpoints, rest_interval=0.2, stale_after=0.6
    )
    await c.start()
    try:
        await until(lambda: source(c, "KRW-BTC") == "ws", what="ws quote")
        upbit_sim.faults.stall = True  # the socket stays open and goes silent
        await until(lambda: all(source(c, s) == "rest" for s in SYMBOLS), what="REST fallback")
        for symbol in SYMBOLS:
            assert_sane(c.latest("upbit", symbol))
            fresh = c.freshness("upbit", symbol)
            assert fresh["rest"] < 1.0 and fresh["ws"] > 0.6
        per_source = c.source_freshness("upbit")
        assert per_source["rest"] < per_source["ws"]
        assert c.rest_errors == 0 and c.rest_polls > 0

        upbit_sim.faults.stall = False  # data flows again on the same socket
        await until(lambda: all(source(c, s) == "ws" for s in SYMBOLS), what="back to ws")
    finally:
        await c.stop()


async def test_rest_serves_when_the_websocket_cannot_connect(upbit_sim: SimServer) -> None:
    urls = {"upbit": {"ws": "ws://127.0.0.1:9/upbit/websocket/v1", **_rest(upbit_sim)}}
    c = MarketDataCollector(
        {"upbit": SYMBOLS}, urls=urls, rest_interval=0.2, stale_after=0.5, sync_timeout=0.3
    )
    t0 = time.monotonic()
    await c.start()
    try:
        assert time.monotonic() - t0 < 2.0  # an unreachable WebSocket holds nothing up
        await until(lambda: all(source(c, s) == "rest" for s in SYMBOLS), what="REST only")
        for symbol in SYMBOLS:
            assert_sane(c.latest("upbit", symbol))
            assert set(c.freshness("upbit", symbol)) == {"rest"}
    finally:
        await c.stop()


def _rest(sim: SimServer) -> dict[str, str]:
    return {"rest": sim.endpoints["upbit"]["rest"]}


async def test_rest_errors_are_counted_not_fatal(upbit_sim: SimServer) -> None:
    # A REST root where every call is a 404: each round fails, the poller carries on.
    bad = upbit_sim.endpoints["upbit"]["rest"] + "/nowhere"
    urls = {"upbit": {"ws": "ws://127.0.0.1:9/", "rest": bad}}
    c = MarketDataCollector(
        {"upbit": ["KRW-BTC"]}, urls=urls, rest_interval=0.1, stale_after=0.1, sync_timeout=0.1
    )
    await c.start()
    try:
        await until(lambda: c.rest_errors >= 2, what="failed REST rounds")
        assert c.last_rest_error
        assert c.latest("upbit", "KRW-BTC") is None
        assert c._poller is not None and not c._poller.done()  # still polling
    finally:
        await c.stop()


# ---------------------------------------------------------------------------- validation


def ticker(price: float, bid: float = 0.0, ask: float = 0.0, symbol: str = "KRW-BTC") -> Ticker:
    return Ticker(
        "upbit", symbol, "BTC", "KRW", price, 0.0, 0.0, price, price, price, price, 0.0, 0.0,
        1, best_bid=bid, best_ask=ask,
    )  # fmt: skip


def book(bid: float, ask: float, bid_size: float = 1.0, ask_size: float = 2.0) -> OrderBook:
    return OrderBook(
        "upbit", "KRW-BTC", "BTC", "KRW", (Level(bid, bid_size),), (Level(ask, ask_size),),
        bid_size, ask_size, 1,
    )  # fmt: skip


def collector(**kw: float) -> MarketDataCollector:
    return MarketDataCollector({"upbit": ["KRW-BTC"]}, **kw)  # type: ignore[arg-type]


def test_a_valid_quote_merges_ticker_and_book() -> None:
    c = collector()
    c.ingest(ticker(100.5))
    c.ingest(book(100.0, 101.0, 3.0, 4.0))
    q = c.latest("upbit", "KRW-BTC")
    assert q is not None and q.source == "ws"
    assert (q.price, q.bid, q.ask, q.bid_size, q.ask_size) == (100.5, 100.0, 101.0, 3.0, 4.0)
    assert q.mid == 100.5


@pytest.mark.parametrize(
    "events",
    [
        [ticker(100.0), book(101.0, 101.0)],  # bid == ask
        [ticker(100.0), book(102.0, 101.0)],  # crossed
        [ticker(0.0), book(99.0, 101.0)],  # no price
        [ticker(-5.0)],  # negative price
        [ticker(math.nan)],
        [ticker(math.inf)],
        [ticker(100.0), book(-1.0, 101.0)],  # negative bid
        [ticker(100.0, 102.0, 101.0)],  # crossed ticker top
    ],
)
def test_invalid_quotes_are_never_returned(events: list[Ticker | OrderBook]) -> None:
    c = collector()
    for ev in events:
        c.ingest(ev)
    assert c.latest("upbit", "KRW-BTC") is None
    assert c.quotes() == {}


def test_too_old_is_never_returned() -> None:
    c = collector(max_age=60.0)
    c.ingest(ticker(100.0), now=time.time() - 61)
    c.ingest(book(99.0, 101.0), now=time.time() - 61)
    assert c.latest("upbit", "KRW-BTC") is None
    c.ingest(ticker(100.0), "rest", now=time.time() - 59)
    q = c.latest("upbit", "KRW-BTC")
    assert q is not None and q.source == "rest"


def test_an_invalid_websocket_quote_falls_back_to_a_valid_rest_one() -> None:
    c = collector(stale_after=5.0)
    c.ingest(ticker(100.0), "rest", now=time.time() - 3)
    c.ingest(book(99.0, 101.0), "rest", now=time.time() - 3)
    c.ingest(ticker(100.0))
    c.ingest(book(102.0, 101.0))  # the fresh WebSocket book is crossed
    q = c.latest("upbit", "KRW-BTC")
    assert q is not None and q.source == "rest" and (q.bid, q.ask) == (99.0, 101.0)


def test_stale_websocket_gives_way_to_fresher_rest() -> None:
    c = collector(stale_after=2.0)
    now = time.time()
    c.ingest(ticker(100.0), "ws", now=now - 3)
    c.ingest(ticker(101.0), "rest", now=now - 1)
    q = c.latest("upbit", "KRW-BTC")
    assert q is not None and q.source == "rest" and q.price == 101.0
    fresh = c.freshness("upbit", "KRW-BTC")
    assert fresh["ws"] == pytest.approx(3.0, abs=0.2)
    assert fresh["rest"] == pytest.approx(1.0, abs=0.2)
    assert c.source_freshness("upbit")["ws"] == pytest.approx(3.0, abs=0.2)
    assert c.stale_symbols("upbit") == ["KRW-BTC"]
    # A stale but newer WebSocket value still beats an older REST one.
    c.ingest(ticker(102.0), "ws", now=now - 0.5 - 2.0)
    c.ingest(ticker(103.0), "rest", now=now - 4)
    q = c.latest("upbit", "KRW-BTC")
    assert q is not None and q.source == "ws" and q.price == 102.0


def test_book_top_wins_over_ticker_top_and_old_tops_are_dropped() -> None:
    c = collector(stale_after=5.0, max_age=60.0)
    now = time.time()
    c.ingest(book(99.0, 101.0, 3.0, 4.0), now=now - 1)
    c.ingest(ticker(100.0, 99.5, 100.5), now=now)  # fresh book: its top (with sizes) stays
    q = c.latest("upbit", "KRW-BTC")
    assert q is not None and (q.bid, q.ask, q.bid_size) == (99.0, 101.0, 3.0)
    c2 = collector(stale_after=5.0, max_age=60.0)
    c2.ingest(book(99.0, 101.0, 3.0, 4.0), now=now - 10)
    c2.ingest(ticker(100.0, 99.5, 100.5), now=now)  # no fresh book: the ticker's top
    q = c2.latest("upbit", "KRW-BTC")
    assert q is not None and (q.bid, q.ask, q.bid_size, q.ask_size) == (99.5, 100.5, 0.0, 0.0)
    c3 = collector(max_age=60.0)
    c3.ingest(book(99.0, 101.0), now=now - 120)
    c3.ingest(ticker(100.0), now=now)  # a fresh price over a two-minute-old book
    q = c3.latest("upbit", "KRW-BTC")
    assert q is not None and (q.price, q.bid, q.ask) == (100.0, 0.0, 0.0)


async def test_set_markets_before_start_only_changes_the_set() -> None:
    c = collector()
    c.ingest(ticker(100.0))
    await c.set_markets({"upbit": ["KRW-ETH"]})
    assert c.markets == {"upbit": ["KRW-ETH"]}
    assert c.latest("upbit", "KRW-BTC") is None  # forgotten with its symbol


class _LiveSocket:
    """Stands in for a WebSocketClient whose socket is connected and busy."""

    def __init__(self, state: str = "connected", last: float | None = None) -> None:
        self.state = state
        self.last = time.time() if last is None else last

    def health(self) -> HealthSnapshot:
        return HealthSnapshot("t", "upbit", self.state, 0, 1, self.last, 0, 0, -1.0, "", 0.0)  # type: ignore[arg-type]


def test_a_quiet_market_on_a_live_socket_is_not_stale() -> None:
    c = collector(stale_after=2.0, max_age=60.0)
    now = time.time()
    c.ingest(ticker(100.0), now=now - 30)  # nothing for this symbol for 30 s
    c.ingest(book(99.0, 101.0), now=now - 30)
    assert c.stale_symbols("upbit", now) == ["KRW-BTC"]  # no socket known: per symbol
    c._clients["upbit"] = _LiveSocket()  # type: ignore[assignment]
    assert c.ws_live("upbit")
    assert c.stale_symbols("upbit", now) == []  # the socket is busy: the market is quiet
    q = c.latest("upbit", "KRW-BTC")
    assert q is not None and q.source == "ws" and q.age > 29
    c._clients["upbit"] = _LiveSocket(last=now - 10)  # type: ignore[assignment]  # silent socket
    assert not c.ws_live("upbit")
    assert c.stale_symbols("upbit", now) == ["KRW-BTC"]
    c._clients["upbit"] = _LiveSocket("reconnecting")  # type: ignore[assignment]
    assert c.stale_symbols("upbit", now) == ["KRW-BTC"]
    strict = collector(stale_after=2.0, quiet_ok=False)
    strict.ingest(ticker(100.0), now=now - 30)
    strict._clients["upbit"] = _LiveSocket()  # type: ignore[assignment]
    assert strict.stale_symbols("upbit", now) == ["KRW-BTC"]


async def test_stop_while_starting_leaves_no_socket(upbit_sim: SimServer) -> None:
    c = MarketDataCollector({"upbit": SYMBOLS}, urls=upbit_sim.endpoints, on_trade=lambda t: None)
    starting = asyncio.ensure_future(c.start())
    await asyncio.sleep(0.01)
    await c.stop()
    await asyncio.wait_for(starting, 10.0)
    await until(lambda: upbit_sim.connections == 0, what="no socket left")
    await asyncio.sleep(0.3)
    assert upbit_sim.connections == 0
