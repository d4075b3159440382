"""The simulated Upbit REST quotation API, over real HTTP on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest

from dantaro_tui.sim.server import SimServer
from dantaro_tui.sim.upbit import krw_tick, usdt_tick
from tests.sim.helpers import fast_sim


@pytest.fixture
async def sim() -> AsyncIterator[SimServer]:
    async with fast_sim(seed=11) as server:
        yield server


@pytest.fixture
async def get(sim: SimServer, session: aiohttp.ClientSession) -> AsyncIterator[Any]:
    base = sim.endpoints["upbit"]["rest"]

    async def call(path: str, **params: Any) -> tuple[int, Any, Any]:
        async with session.get(base + path, params=params) as r:
            return r.status, await r.json(), r.headers

    yield call


def ms(iso: str) -> int:
    return int(datetime.fromisoformat(iso).replace(tzinfo=UTC).timestamp() * 1000)


async def test_market_all(get: Any) -> None:
    status, rows, headers = await get("/v1/market/all")
    assert status == 200 and headers["Remaining-Req"].startswith("group=market; min=")
    codes = {r["market"] for r in rows}
    assert sum(c.startswith("KRW-") for c in codes) >= 170
    assert {"KRW-BTC", "KRW-ETH", "KRW-USDT", "BTC-ETH", "USDT-BTC"} <= codes
    btc = next(r for r in rows if r["market"] == "KRW-BTC")
    assert btc == {"market": "KRW-BTC", "korean_name": "비트코인", "english_name": "Bitcoin"}
    for flag in ("is_details", "isDetails"):
        _, rows, _ = await get("/v1/market/all", **{flag: "true"})
        event = rows[0]["market_event"]
        assert isinstance(event["warning"], bool)
        assert set(event["caution"]) == {
            "PRICE_FLUCTUATIONS", "TRADING_VOLUME_SOARING", "DEPOSIT_AMOUNT_SOARING",
            "GLOBAL_PRICE_DIFFERENCES", "CONCENTRATION_OF_SMALL_ACCOUNTS",
        }  # fmt: skip


TICKER_KEYS = {
    "market", "trade_date", "trade_time", "trade_date_kst", "trade_time_kst", "trade_timestamp",
    "opening_price", "high_price", "low_price", "trade_price", "prev_closing_price", "change",
    "change_price", "change_rate", "signed_change_price", "signed_change_rate", "trade_volume",
    "acc_trade_price", "acc_trade_price_24h", "acc_trade_volume", "acc_trade_volume_24h",
    "highest_52_week_price", "highest_52_week_date", "lowest_52_week_price",
    "lowest_52_week_date", "timestamp",
}  # fmt: skip


async def test_ticker(get: Any) -> None:
    status, rows, headers = await get("/v1/ticker", markets="KRW-BTC,KRW-ETH,KRW-USDT")
    assert status == 200 and headers["Remaining-Req"].startswith("group=ticker;")
    btc, eth, usdt = rows
    assert set(btc) == TICKER_KEYS
    assert 1.1e8 < btc["trade_price"] < 1.7e8
    assert 4e6 < eth["trade_price"] < 6.5e6
    assert 1380 <= usdt["trade_price"] <= 1450
    for r in rows:
        assert r["low_price"] <= r["trade_price"] <= r["high_price"]
        assert (
            r["lowest_52_week_price"]
            <= r["low_price"]
            <= r["high_price"]
            <= r["highest_52_week_price"]
        )
        assert r["signed_change_price"] == pytest.approx(r["trade_price"] - r["prev_closing_price"])
        assert r["acc_trade_volume_24h"] > 0 and isinstance(r["trade_price"], float)


async def test_ticker_errors(get: Any) -> None:
    status, body, _ = await get("/v1/ticker", markets="KRW-BTC,KRW-NOPE")
    assert status == 404 and body == {"error": {"name": 404, "message": "Code not found"}}
    status, body, _ = await get("/v1/ticker")
    assert status == 400 and body["error"]["name"] == 400


async def test_ticker_all(get: Any) -> None:
    _, rows, _ = await get("/v1/ticker/all", quote_currencies="KRW")
    assert len(rows) >= 170 and all(r["market"].startswith("KRW-") for r in rows)
    _, rows, _ = await get("/v1/ticker/all", quote_currencies="BTC,USDT")
    assert {r["market"].split("-")[0] for r in rows} == {"BTC", "USDT"}


async def test_orderbook(get: Any) -> None:
    _, rows, headers = await get("/v1/orderbook", markets="KRW-BTC,KRW-XRP,USDT-BTC")
    assert headers["Remaining-Req"].startswith("group=orderbook;")
    for row in rows:
        units = row["orderbook_units"]
        assert len(units) == 30 and set(units[0]) == {
            "ask_price",
            "bid_price",
            "ask_size",
            "bid_size",
        }
        assert units[0]["bid_price"] < units[0]["ask_price"]
        asks = [u["ask_price"] for u in units if u["ask_price"]]
        assert asks == sorted(asks)
        assert row["total_ask_size"] == pytest.approx(sum(u["ask_size"] for u in units))
        assert row["level"] == 0
    krw = rows[0]["orderbook_units"]
    assert all(u["ask_price"] % krw_tick(u["ask_price"]) == 0 for u in krw)
    _, rows, _ = await get("/v1/orderbook", markets="KRW-BTC", count="5")
    assert len(rows[0]["orderbook_units"]) == 5
    _, rows, _ = await get("/v1/orderbook", markets="KRW-BTC", level="100000")
    assert rows == []


async def test_trades_ticks(get: Any) -> None:
    await asyncio.sleep(0.3)
    _, rows, headers = await get("/v1/trades/ticks", market="KRW-BTC", count="50")
    assert headers["Remaining-Req"].startswith("group=trade;")
    assert len(rows) == 50
    assert set(rows[0]) == {
        "market", "trade_date_utc", "trade_time_utc", "timestamp", "trade_price", "trade_volume",
        "prev_closing_price", "change_price", "ask_bid", "sequential_id",
    }  # fmt: skip
    sids = [r["sequential_id"] for r in rows]
    assert sids == sorted(sids, reverse=True)
    _, older, _ = await get("/v1/trades/ticks", market="KRW-BTC", count="10", cursor=str(sids[-1]))
    assert len(older) == 10 and older[0]["sequential_id"] < sids[-1]
    status, _, _ = await get("/v1/trades/ticks", market="KRW-BTC", count="501")
    assert status == 400


async def test_candles_newest_first_and_paging(get: Any) -> None:
    paths = (
        ("/v1/candles/minutes/1", 60_000),
        ("/v1/candles/minutes/240", 14_400_000),
        ("/v1/candles/days", 86_400_000),
        ("/v1/candles/seconds", 1000),
    )
    for path, unit_ms in paths:
        status, rows, headers = await get(path, market="KRW-BTC", count="200")
        assert status == 200 and headers["Remaining-Req"].startswith("group=candle;")
        assert len(rows) >= 150, path  # seconds and minutes may have gaps in quiet periods
        starts = [ms(r["candle_date_time_utc"]) for r in rows]
        assert starts == sorted(starts, reverse=True) and len(set(starts)) == len(starts)
        assert all(s % unit_ms == 0 for s in starts)
        for r in rows:
            assert r["low_price"] <= min(r["opening_price"], r["trade_price"])
            assert max(r["opening_price"], r["trade_price"]) <= r["high_price"]
            kst = datetime.fromisoformat(r["candle_date_time_kst"])
            assert (
                kst - datetime.fromisoformat(r["candle_date_time_utc"])
            ).total_seconds() == 9 * 3600
        _, older, _ = await get(
            path, market="KRW-BTC", count="20", to=rows[-1]["candle_date_time_utc"] + "Z"
        )
        assert older and all(ms(r["candle_date_time_utc"]) < starts[-1] for r in older)
    _, rows, _ = await get("/v1/candles/minutes/5", market="KRW-BTC", count="3")
    assert len(rows) == 3 and rows[0]["unit"] == 5
    _, days, _ = await get("/v1/candles/days", market="KRW-BTC", count="3")
    assert days[0]["prev_closing_price"] == days[1]["trade_price"]
    assert days[0]["change_price"] == pytest.approx(
        days[0]["trade_price"] - days[0]["prev_closing_price"]
    )


async def test_candle_errors(get: Any) -> None:
    assert (await get("/v1/candles/minutes/1", market="KRW-BTC", count="201"))[0] == 400
    assert (await get("/v1/candles/minutes/7", market="KRW-BTC"))[0] == 400
    assert (await get("/v1/candles/minutes/1", market="KRW-NOPE"))[0] == 404
    assert (await get("/v1/candles/minutes/1", market="KRW-BTC", to="yesterday"))[0] == 400


async def test_second_candles_agree_with_trades(sim: SimServer, get: Any) -> None:
    # A few whole seconds: a loaded machine steps the market in coarse jumps, and a second
    # without a trade has no candle to compare.
    first_full = (int(sim.market.start_ms) // 1000 + 4) * 1000
    while sim.market.now_ms < first_full + 100:
        await asyncio.sleep(0.05)
    fetched = sim.market.now_ms  # every second that ended before this is complete
    _, candles, _ = await get("/v1/candles/seconds", market="KRW-BTC", count="200")
    _, trades, _ = await get("/v1/trades/ticks", market="KRW-BTC", count="500")
    start = int(sim.market.start_ms)
    oldest = min(t["timestamp"] for t in trades)
    by_second: dict[int, list[dict[str, Any]]] = {}
    for t in sorted(trades, key=lambda t: t["sequential_id"]):
        by_second.setdefault(t["timestamp"] // 1000 * 1000, []).append(t)
    compared = 0
    for c in candles:
        s = ms(c["candle_date_time_utc"])
        if s <= max(start, oldest) or s + 1000 > fetched:
            continue  # only complete seconds fully inside the live tape we fetched
        ts = by_second[s]
        prices = [t["trade_price"] for t in ts]
        assert c["opening_price"] == prices[0] and c["trade_price"] == prices[-1]
        assert c["high_price"] == max(prices) and c["low_price"] == min(prices)
        assert c["candle_acc_trade_volume"] == pytest.approx(sum(t["trade_volume"] for t in ts))
        compared += 1
    assert compared >= 1


async def test_rest_rate_limit() -> None:
    sim = SimServer(seed=2, step_interval=0.05, venues=["upbit"])
    await sim.start()
    try:
        base = sim.endpoints["upbit"]["rest"]
        async with aiohttp.ClientSession() as session:
            statuses, left = [], []
            for _ in range(11):
                async with session.get(base + "/v1/ticker", params={"markets": "KRW-BTC"}) as r:
                    statuses.append(r.status)
                    left.append(r.headers["Remaining-Req"])
                    body = await r.json()
            assert statuses == [200] * 10 + [429]
            assert left[0] == "group=ticker; min=600; sec=9" and left[9].endswith("sec=0")
            assert body["error"]["name"] == "too_many_requests"
            async with session.get(base + "/v1/orderbook", params={"markets": "KRW-BTC"}) as r:
                assert r.status == 200  # another group has its own budget
    finally:
        await sim.stop()


def test_tick_tables() -> None:
    assert krw_tick(141_000_000) == 1000 and krw_tick(1_500_000) == 1000
    assert krw_tick(700_000) == 500 and krw_tick(250_000) == 100 and krw_tick(60_000) == 50
    assert krw_tick(20_000) == 10 and krw_tick(7_000) == 5 and krw_tick(3_000) == 1
    assert krw_tick(500) == 1 and krw_tick(50) == 0.1 and krw_tick(5) == 0.01
    assert usdt_tick(95_000) == 0.01 and usdt_tick(5) == 0.001 and usdt_tick(0.5) == 0.0001
