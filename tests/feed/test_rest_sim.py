"""The REST side against the simulator: market list, batched tickers, candles for the
chart backfill, rate limits respected, and errors in words."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from dantaro_tui.feed.rest import RestError
from dantaro_tui.feed.rest_venues import RestClient
from dantaro_tui.sim.server import SimServer


def rest_url(sim: SimServer) -> str:
    return sim.endpoints["upbit"]["rest"]


async def test_market_list_and_all_krw_tickers(sim: SimServer) -> None:
    rest = RestClient("upbit", rest_url(sim))
    try:
        markets = await rest.markets()
        krw = [m for m in markets if m.quote == "KRW"]
        assert len(krw) >= 150  # the whole KRW board: more than one ticker batch
        btc = next(m for m in markets if m.symbol == "KRW-BTC")
        assert (btc.base, btc.korean_name, btc.english_name) == ("BTC", "비트코인", "Bitcoin")
        tickers = await rest.tickers([m.symbol for m in krw])  # more than one batch
        assert {t.symbol for t in tickers} == {m.symbol for m in krw}
        assert all(t.trade_price > 0 and t.quote == "KRW" for t in tickers)
    finally:
        await rest.close()


async def test_candle_backfill_is_oldest_first_and_consistent(sim: SimServer) -> None:
    rest = RestClient("upbit", rest_url(sim))
    try:
        candles = await rest.candles("KRW-BTC", "1m", count=200)
        assert len(candles) == 200
        times = [c.open_time for c in candles]
        assert times == sorted(times) and len(set(times)) == 200
        assert all(c.low <= min(c.open, c.close) <= max(c.open, c.close) <= c.high for c in candles)
        assert all(c.interval == "1m" for c in candles)
        book = (await rest.orderbooks(["KRW-BTC"]))[0]
        assert book.bids[0].price < book.asks[0].price
    finally:
        await rest.close()


async def test_unknown_market_is_a_plain_error(sim: SimServer) -> None:
    rest = RestClient("upbit", rest_url(sim))
    try:
        with pytest.raises(RestError) as err:
            await rest.candles("KRW-NOPE", "1m")
        assert "upbit" in err.value.message and "refused" in err.value.message
    finally:
        await rest.close()


async def test_bursts_queue_under_the_limit_and_429_is_retried(sim: SimServer) -> None:
    rest = RestClient("upbit", rest_url(sim))
    try:
        results = await asyncio.gather(*(rest.tickers(["KRW-BTC"]) for _ in range(25)))
        assert all(r and r[0].symbol == "KRW-BTC" for r in results)
        assert rest.http.retries == 0  # our limiter kept us under 10/s: no 429 at all
        # Someone else on this IP burns the budget; we get 429s, back off, and succeed.
        async with aiohttp.ClientSession() as s:
            for _ in range(15):
                async with s.get(f"{rest_url(sim)}/v1/ticker", params={"markets": "KRW-BTC"}):
                    pass
        got = await rest.tickers(["KRW-ETH"])
        assert got[0].symbol == "KRW-ETH"
        assert rest.http.retries >= 1  # it did meet a 429 and came through
    finally:
        await rest.close()


async def test_unreachable_exchange_suggests_demo() -> None:
    rest = RestClient("upbit", "http://127.0.0.1:9", timeout=2)
    try:
        with pytest.raises(RestError) as err:
            await rest.markets()
        assert "--demo" in err.value.message
    finally:
        await rest.close()
