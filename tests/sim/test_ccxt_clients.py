"""ccxt, the most used third-party exchange client, finds the simulator coherent.

Each venue's ccxt client (REST through ``ccxt.async_support``, WebSocket through
``ccxt.pro``) is pointed at the simulator with only ``urls['api']`` changed and used as a
ccxt user uses it. Bithumb is reached twice: through its v1 API (ccxt's default) and its
legacy ``/public`` API (``options['generation'] = 1``).

The REST tests run on a market that holds still, so answers given one after the other
describe the same instant: the ticker's last price must sit inside the order book to a
tick, and the global venues' USDT prices must agree. The WebSocket tests run on a moving
market.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from typing import Any

import aiohttp
import pytest

from tests import recorded
from tests.sim.ccxt_helpers import (
    CASES,
    GLOBAL,
    MAJORS,
    TIMEOUT_S,
    Case,
    assert_book,
    assert_ohlcv,
    assert_trades,
    connected,
    held_market,
    listing,
    live_market,
    now_ms,
    pro_client,
    rest_client,
    ticks_from,
)

# The venues whose markets tell ccxt their own tick and lot (the Korean ones' ccxt clients
# write fixed precisions of their own, whatever the exchange says).
PRECISION_FROM_VENUE = frozenset({"okx", "binance", "gateio"})
# Bithumb's v1 REST ticker writes its times 9 hours ahead (exchanges.md 6.5); ccxt passes
# them on unchanged, as it does from the real exchange.
BITHUMB_V1_SHIFT_MS = 9 * 3_600_000
MINUTE_MS = 60_000
HOUR_MS = 3_600_000


def ids(cases: tuple[Case, ...]) -> list[str]:
    return [c.name for c in cases]


# ---------------------------------------------------------------------------- REST


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
async def test_load_markets_lists_the_simulators_markets(case: Case) -> None:
    async with held_market([case.venue]) as sim, connected(rest_client(case, sim)) as ex:
        markets = await ex.load_markets()
        served = sim.market.listings(case.venue)
        assert len(markets) == len(served), "ccxt must see every market, and no other"
        for base in MAJORS:
            m = markets[case.symbol(base)]
            assert (m["base"], m["quote"], m["spot"]) == (base, case.quote(), True)
            lst = listing(sim, case, base)
            if case.venue in PRECISION_FROM_VENUE:
                assert m["precision"]["price"] == pytest.approx(lst.tick(lst.last))
                assert m["precision"]["amount"] == pytest.approx(10.0**-lst.spec.size_decimals)


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
async def test_ticker_last_lies_inside_the_order_book(case: Case) -> None:
    async with held_market([case.venue]) as sim, connected(rest_client(case, sim)) as ex:
        await ex.load_markets()
        for base in MAJORS:
            symbol = case.symbol(base)
            ticker = await ex.fetch_ticker(symbol)
            book = await ex.fetch_order_book(symbol)
            tick = listing(sim, case, base).tick(ticker["last"])
            bid, ask = book["bids"][0][0], book["asks"][0][0]
            assert ticks_from(ticker["last"], bid, ask, tick) <= 2, (ticker["last"], bid, ask)
            assert ticker["high"] >= ticker["last"] >= ticker["low"] > 0
            assert ticker["baseVolume"] > 0
            if ticker["bid"] is not None:
                assert ticker["bid"] < ticker["ask"]
            if ticker["timestamp"] is not None:
                shift = BITHUMB_V1_SHIFT_MS if case.name == "bithumb" else 0
                assert abs(ticker["timestamp"] - shift - now_ms()) < 120_000, ticker["datetime"]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
async def test_fetch_tickers_agrees_with_fetch_ticker(case: Case) -> None:
    async with held_market([case.venue]) as sim, connected(rest_client(case, sim)) as ex:
        await ex.load_markets()
        tickers = await ex.fetch_tickers()
        assert set(tickers) <= set(ex.markets)
        assert all(t["last"] > 0 for t in tickers.values())
        for base in MAJORS:
            one = await ex.fetch_ticker(case.symbol(base))
            assert tickers[case.symbol(base)]["last"] == one["last"]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
async def test_order_book_is_sorted_uncrossed_and_the_simulators(case: Case) -> None:
    async with held_market([case.venue]) as sim, connected(rest_client(case, sim)) as ex:
        await ex.load_markets()
        for base in MAJORS:
            book = await ex.fetch_order_book(case.symbol(base))
            assert_book(book, zero_sizes=case.name == "bithumb")
            ask, _, bid, _ = listing(sim, case, base).best()
            assert (book["bids"][0][0], book["asks"][0][0]) == (bid, ask)


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
async def test_trades_are_the_simulators_tape(case: Case) -> None:
    async with held_market([case.venue]) as sim, connected(rest_client(case, sim)) as ex:
        await ex.load_markets()
        for base in MAJORS:
            symbol = case.symbol(base)
            trades = await ex.fetch_trades(symbol, limit=20)
            assert_trades(trades, symbol)
            known = [(_taker_side(sim, case, base, t), t["side"]) for t in trades]
            assert all(taker for taker, _ in known), "ccxt shows trades the simulator never made"
            if case.venue == "coinone":
                # ccxt maps is_seller_maker true to "sell", the maker's side; the taker
                # bought (exchanges.md 5.3). The simulator follows the exchange.
                assert all(taker != shown for taker, shown in known)
            else:
                assert all(taker == shown for taker, shown in known), "side is the taker's"


def _taker_side(sim: Any, case: Case, base: str, shown: dict[str, Any]) -> str | None:
    """The side of the simulator's trade that ccxt's ``shown`` is, found by price, second
    (Bithumb's legacy API writes whole seconds) and size on the venue's lot (the wire
    rounds sizes to it)."""
    lst = listing(sim, case, base)
    lot = 10.0**-lst.spec.size_decimals
    for t in lst.recent_trades(500):
        if (
            t.price == shown["price"]
            and t.ts // 1000 == shown["timestamp"] // 1000
            and abs(t.size - shown["amount"]) <= lot / 2 + 1e-12
        ):
            return t.side
    return None


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
@pytest.mark.parametrize(("timeframe", "period_ms"), [("1m", MINUTE_MS), ("1h", HOUR_MS)])
async def test_ohlcv_rows_are_candles_on_the_grid(
    case: Case, timeframe: str, period_ms: int
) -> None:
    async with held_market([case.venue]) as sim, connected(rest_client(case, sim)) as ex:
        if not ex.has.get("fetchOHLCV"):
            pytest.skip(f"ccxt's {case.ccxt_id} has no fetch_ohlcv (the simulator has candles)")
        await ex.load_markets()
        for base in MAJORS:
            rows = await ex.fetch_ohlcv(case.symbol(base), timeframe, limit=50)
            assert_ohlcv(rows, period_ms)
            assert len(rows) == 50


async def test_global_venues_agree_on_usdt_prices() -> None:
    venues = [c.venue for c in GLOBAL]
    async with held_market(venues) as sim:
        last: dict[str, list[float]] = {base: [] for base in MAJORS}
        for case in GLOBAL:
            async with connected(rest_client(case, sim)) as ex:
                tickers = await ex.fetch_tickers([case.symbol(b) for b in MAJORS])
                for base in MAJORS:
                    last[base].append(tickers[case.symbol(base)]["last"])
    for base, prices in last.items():
        assert len(prices) == len(GLOBAL)
        assert max(prices) / min(prices) - 1.0 < 0.005, (base, prices)


async def test_bithumb_legacy_ticker_is_written_as_the_recorded_exchange_wrote_it(
    session: aiohttp.ClientSession,
) -> None:
    """The legacy API added for ccxt's generation 1 has the recorded answers' shape: the
    same fields per coin, every number a decimal string, the time beside the coins."""
    session_rest = recorded.load("bithumb_rest.txt").rest
    real = {url.rsplit("/", 1)[1]: json.loads(body) for url, _, body in session_rest}
    async with held_market(["bithumb"]) as sim:
        rest = sim.endpoints["bithumb"]["rest"]
        for quote in ("ALL_KRW", "ALL_BTC"):
            async with session.get(f"{rest}/public/ticker/{quote}") as resp:
                assert resp.status == 200
                ours = await resp.json()
            assert ours["status"] == real[quote]["status"] == "0000"
            real_rows = [row for coin, row in real[quote]["data"].items() if coin != "date"]
            real_fields = {key for row in real_rows for key in row}
            assert ours["data"]["date"].isdigit()
            coins = {k: v for k, v in ours["data"].items() if k != "date"}
            assert coins and (quote == "ALL_BTC" or set(MAJORS) <= set(coins))
            for row in coins.values():
                assert set(row) == real_fields
                assert all(re.fullmatch(r"-?\d+(\.\d+)?", v) for v in row.values()), row
        async with session.get(f"{rest}/public/ticker/NOPE_KRW") as resp:
            assert resp.status == 200 and (await resp.json())["status"] == "5500"


# ---------------------------------------------------------------------------- ccxt.pro

PRO_CASES = tuple(c for c in CASES if c.name != "bithumb-legacy")
BOOK_UPDATES = 20


async def _watch(coro: Any) -> Any:
    return await asyncio.wait_for(coro, TIMEOUT_S)


@pytest.mark.parametrize("case", PRO_CASES, ids=ids(PRO_CASES))
async def test_pro_order_book_stays_sorted_and_uncrossed(case: Case) -> None:
    async with live_market([case.venue]) as sim, connected(pro_client(case, sim)) as ex:
        symbol = case.symbol("BTC")
        seen = set()
        for _ in range(BOOK_UPDATES):
            book = await _watch(ex.watch_order_book(symbol))
            assert_book(book, zero_sizes=case.venue == "bithumb")
            seen.add((book["bids"][0][0], book["asks"][0][0]))
        assert len(seen) > 1, "the book never moved"


@pytest.mark.parametrize("case", PRO_CASES, ids=ids(PRO_CASES))
async def test_pro_trades_are_coherent(case: Case) -> None:
    async with live_market([case.venue]) as sim, connected(pro_client(case, sim)) as ex:
        symbol = case.symbol("BTC")
        trades: list[Any] = []
        while len(trades) < 5:
            trades.extend(await _watch(ex.watch_trades(symbol)))
        assert_trades(sorted(trades, key=lambda t: t["timestamp"]), symbol)


@pytest.mark.parametrize("case", PRO_CASES, ids=ids(PRO_CASES))
async def test_pro_ticker_last_is_a_price_the_book_offered(case: Case) -> None:
    """The streamed ticker's last trade happened up to a second before it was sent, so it is
    held against every level the book showed over a few seconds around it."""
    async with (
        live_market([case.venue]) as sim,
        connected(pro_client(case, sim)) as ex,
        connected(pro_client(case, sim)) as second,
    ):
        # ccxt.pro's bithumb sends each watch as its own request on one connection, and on
        # Bithumb a request replaces the connection's subscriptions (exchanges.md 6.2): the
        # ticker would end the book. A ccxt user needs a second client there.
        watcher = second if case.venue == "bithumb" else ex
        symbol = case.symbol("BTC")
        lows: list[float] = []
        highs: list[float] = []

        async def record() -> None:
            while True:
                book = await ex.watch_order_book(symbol)
                assert_book(book, zero_sizes=case.venue == "bithumb")
                lows.append(book["bids"][-1][0])
                highs.append(book["asks"][-1][0])

        recorder = asyncio.ensure_future(record())
        try:
            await _until(lambda: len(lows) >= 10 or recorder.done())
            await _watch(watcher.watch_ticker(symbol))
            ticker = await _watch(watcher.watch_ticker(symbol))  # sent while books were seen
            seen = len(lows)
            await _until(lambda: len(lows) >= seen + 10 or recorder.done())
        finally:
            recorder.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await recorder
        tick = listing(sim, case, "BTC").tick(ticker["last"])
        assert ticks_from(ticker["last"], min(lows), max(highs), tick) <= 2
        if ticker["bid"] is not None and ticker["ask"] is not None:
            assert ticker["bid"] < ticker["ask"]


async def _until(done: Any) -> None:
    async def poll() -> None:
        while not done():
            await asyncio.sleep(0.02)

    await asyncio.wait_for(poll(), TIMEOUT_S)
