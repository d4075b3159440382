"""The simulated Bithumb v1 API, spoken to over real sockets as a third-party client would
(aiohttp, raw JSON, not the project's codec), its shapes held against exchanges.md
section 6 (field lists, the SIMPLE sample, limits and error conventions)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import aiohttp
import orjson
import pytest

from dantaro_tui.sim.server import SimServer
from tests.sim.helpers import fast_sim

Frame = dict[str, Any]

# exchanges.md 6.3, transcribed here independently of the simulator.
DOC_BOOK_KEYS = {
    "type", "code", "total_ask_size", "total_bid_size", "orderbook_units", "level",
    "timestamp", "stream_type",
}  # fmt: skip
DOC_UNIT_KEYS = {"ask_price", "bid_price", "ask_size", "bid_size"}
DOC_TRADE_KEYS = {
    "type", "code", "trade_price", "trade_volume", "ask_bid", "trade_date", "trade_time",
    "trade_timestamp", "sequential_id", "timestamp", "stream_type",
}  # fmt: skip
DOC_TICKER_KEYS = {
    "type", "code", "trade_price", "market_state", "is_trading_suspended", "delisting_date",
    "market_warning", "timestamp", "stream_type", "trade_date", "trade_time",
    "trade_timestamp",
}  # fmt: skip
# The SIMPLE sample of 6.3: {"ty","cd","tas","tbs","obu":[{"ap","bp","as","bs"}]}.
DOC_SIMPLE_BOOK_KEYS = {"ty", "cd", "tas", "tbs", "obu"}
DOC_SIMPLE_UNIT_KEYS = {"ap", "bp", "as", "bs"}
KST_S = 9 * 3600


@pytest.fixture
async def sim() -> AsyncIterator[SimServer]:
    async with fast_sim(seed=3, venues=["bithumb"]) as server:
        yield server


def ws_url(sim: SimServer) -> str:
    return sim.endpoints["bithumb"]["ws"]


def rest(sim: SimServer, path: str) -> str:
    return f"{sim.endpoints['bithumb']['rest']}{path}"


def request(*types: Frame, fmt: str | None = None, ticket: str | None = "t") -> str:
    body: list[Frame] = [{"ticket": ticket}] if ticket is not None else []
    body += list(types)
    if fmt is not None:
        body.append({"format": fmt})
    return orjson.dumps(body).decode()


async def read(
    ws: aiohttp.ClientWebSocketResponse, until: Any, seconds: float = 20.0
) -> list[Frame]:
    """Binary JSON frames until ``until(frames)`` holds (AssertionError after ``seconds``)."""
    out: list[Frame] = []
    deadline = time.monotonic() + seconds
    while not until(out):
        left = deadline - time.monotonic()
        assert left > 0, f"condition not met; got {len(out)} frames"
        msg = await ws.receive(timeout=left)
        if msg.type is aiohttp.WSMsgType.CLOSE:
            out.append({"_close": msg.data})
            continue
        assert msg.type is aiohttp.WSMsgType.BINARY, msg  # Bithumb sends binary frames
        out.append(orjson.loads(msg.data))
    return out


def decimals(x: float) -> int:
    exp = Decimal(repr(x)).normalize().as_tuple().exponent
    return max(0, -exp) if isinstance(exp, int) else 0


def kst_parts(ms: int) -> tuple[str, str]:
    t = time.gmtime(ms // 1000 + KST_S)
    return time.strftime("%Y-%m-%d", t), time.strftime("%H:%M:%S", t)


async def test_snapshots_in_default_keys_match_the_documented_fields(sim: SimServer) -> None:
    async with aiohttp.ClientSession() as s, s.ws_connect(ws_url(sim)) as ws:
        await ws.send_str(
            request(
                {"type": "ticker", "codes": ["KRW-BTC"], "isOnlySnapshot": True},
                {"type": "trade", "codes": ["KRW-BTC"], "isOnlySnapshot": True},
                {"type": "orderbook", "codes": ["KRW-BTC"], "isOnlySnapshot": True},
            )
        )
        got = await read(ws, lambda f: len(f) >= 3)
    by = {f["type"]: f for f in got}
    assert set(by) == {"ticker", "trade", "orderbook"}
    assert all(f["stream_type"] == "SNAPSHOT" for f in got)
    book, trade, ticker = by["orderbook"], by["trade"], by["ticker"]
    assert set(book) == DOC_BOOK_KEYS and set(trade) == DOC_TRADE_KEYS
    assert set(ticker) >= DOC_TICKER_KEYS
    assert all(set(u) == DOC_UNIT_KEYS for u in book["orderbook_units"])
    assert len(book["orderbook_units"]) == 15 and book["level"] == 1
    assert len(str(book["timestamp"])) == 16  # microseconds
    assert abs(book["timestamp"] // 1000 - time.time() * 1000) < 3_600_000
    assert all(
        decimals(u["ask_size"]) <= 4 and decimals(u["bid_size"]) <= 4
        for u in book["orderbook_units"]
    )
    # Dates and times in Korean time, the timestamps in ms.
    assert (trade["trade_date"], trade["trade_time"]) == kst_parts(trade["trade_timestamp"])
    date, tod = kst_parts(ticker["trade_timestamp"])
    assert (ticker["trade_date"], ticker["trade_time"]) == (
        date.replace("-", ""),
        tod.replace(":", ""),
    )
    assert ticker["market_warning"] in ("NONE", "CAUTION")
    assert isinstance(book["orderbook_units"][0]["ask_price"], int)  # 116279000, not 1.16279E8


async def test_simple_keys_narrowed_depth_and_realtime_after_snapshot(sim: SimServer) -> None:
    async with aiohttp.ClientSession() as s, s.ws_connect(ws_url(sim)) as ws:
        await ws.send_str(
            request({"type": "orderbook", "codes": ["KRW-BTC.5", "KRW-ETH.30"]}, fmt="SIMPLE")
        )
        got = await read(ws, lambda f: sum(x.get("st") == "REALTIME" for x in f) >= 4)
    assert all(set(f) >= DOC_SIMPLE_BOOK_KEYS and f["ty"] == "orderbook" for f in got)
    assert all(set(u) == DOC_SIMPLE_UNIT_KEYS for f in got for u in f["obu"])
    depth = {f["cd"]: len(f["obu"]) for f in got}
    assert depth == {"KRW-BTC": 5, "KRW-ETH": 15}  # .N narrows; nothing beyond 15
    assert {f["cd"] for f in got} == {"KRW-BTC", "KRW-ETH"}  # no suffix on the way back


async def test_only_camel_case_flags_are_read(sim: SimServer) -> None:
    async with aiohttp.ClientSession() as s, s.ws_connect(ws_url(sim)) as ws:
        # snake_case: ignored, so the snapshot comes and realtime frames follow.
        await ws.send_str(
            request({"type": "trade", "codes": ["KRW-BTC"], "is_only_snapshot": True})
        )
        got = await read(ws, lambda f: any(x.get("stream_type") == "REALTIME" for x in f))
        assert got[0]["stream_type"] == "SNAPSHOT"
    async with aiohttp.ClientSession() as s, s.ws_connect(ws_url(sim)) as ws:
        await ws.send_str(request({"type": "trade", "codes": ["KRW-BTC"], "isOnlyRealtime": True}))
        got = await read(ws, lambda f: len(f) >= 2)
        assert all(f["stream_type"] == "REALTIME" for f in got)


async def test_a_new_request_replaces_the_set(sim: SimServer) -> None:
    async with aiohttp.ClientSession() as s, s.ws_connect(ws_url(sim)) as ws:
        await ws.send_str(request({"type": "orderbook", "codes": ["KRW-BTC"]}))
        await read(ws, lambda f: len(f) >= 2)
        await ws.send_str(request({"type": "orderbook", "codes": ["KRW-ETH"]}))
        got = await read(ws, lambda f: sum(x["code"] == "KRW-ETH" for x in f) >= 4)
    first_eth = next(i for i, f in enumerate(got) if f["code"] == "KRW-ETH")
    assert all(f["code"] == "KRW-ETH" for f in got[first_eth:])


@pytest.mark.parametrize(
    ("body", "name"),
    [
        (request({"type": "ticker", "codes": ["KRW-BTC"]}, ticket=None), "NO_TICKET"),
        (request({"type": "ticker", "codes": ["KRW-BTC"]}, fmt="JSON_LIST"), "WRONG_FORMAT"),
        (request({"type": "candle.1m", "codes": ["KRW-BTC"]}), "INVALID_PARAM"),
        (request({"type": "ticker", "codes": []}), "INVALID_PARAM"),
        ("{not json", "WRONG_FORMAT"),
    ],
)
async def test_errors_then_a_normal_close(sim: SimServer, body: str, name: str) -> None:
    async with aiohttp.ClientSession() as s, s.ws_connect(ws_url(sim)) as ws:
        await ws.send_str(body)
        got = await read(ws, lambda f: any("_close" in x for x in f))
    assert got[0]["error"]["name"] == name and got[0]["error"]["message"]
    assert got[-1]["_close"] == 1000


async def test_ping_answers_status_up_and_unknown_codes_are_silent(sim: SimServer) -> None:
    async with aiohttp.ClientSession() as s, s.ws_connect(ws_url(sim)) as ws:
        await ws.send_str(request({"type": "ticker", "codes": ["KRW-NOPE"]}))
        await ws.send_str("PING")
        got = await read(ws, lambda f: len(f) >= 1)
        assert got == [{"status": "UP"}]


async def test_ten_connections_a_second_per_ip() -> None:
    async with (
        fast_sim(seed=3, venues=["bithumb"], rate_limits=True) as sim,
        aiohttp.ClientSession() as s,
    ):
        statuses = []
        sockets = []
        for _ in range(12):
            try:
                sockets.append(await s.ws_connect(ws_url(sim)))
                statuses.append(101)
            except aiohttp.WSServerHandshakeError as exc:
                statuses.append(exc.status)
        for ws in sockets:
            await ws.close()
    # A loaded machine may spread the attempts over more than a second: at least ten pass.
    assert statuses[:10] == [101] * 10
    assert 429 in statuses or len(sockets) == 12


async def get(s: aiohttp.ClientSession, url: str, **params: str) -> tuple[int, Any, Any]:
    async with s.get(url, params=params) as resp:
        return resp.status, orjson.loads(await resp.read()), resp.headers


async def test_rest_errors_come_with_http_200_and_limits_are_headed(sim: SimServer) -> None:
    async with aiohttp.ClientSession() as s:
        status, body, headers = await get(s, rest(sim, "/v1/ticker"), markets="KRW-BTC,KRW-NOPE")
        assert status == 200 and body == {"error": {"name": 404, "message": "Code not found"}}
        assert headers["x-ratelimit-burst-capacity"] == "150"
        assert "x-ratelimit-remaining" in headers and "x-ratelimit-replenish-rate" in headers
        many = ",".join(["KRW-BTC"] * 201)
        status, body, _ = await get(s, rest(sim, "/v1/ticker"), markets=many)
        assert status == 400 and "error" in body


async def test_rest_ticker_times_are_nine_hours_ahead(sim: SimServer) -> None:
    async with aiohttp.ClientSession() as s:
        before = time.time() * 1000
        _, (row,), _ = await get(s, rest(sim, "/v1/ticker"), markets="KRW-BTC")
    ahead = row["timestamp"] - before
    assert 9 * 3_600_000 - 60_000 < ahead < 9 * 3_600_000 + 60_000
    assert row["market"] == "KRW-BTC" and row["trade_price"] > 0


async def test_rest_orderbook_units_one_market_or_several(sim: SimServer) -> None:
    async with aiohttp.ClientSession() as s:
        _, one, _ = await get(s, rest(sim, "/v1/orderbook"), markets="KRW-BTC")
        _, two, _ = await get(s, rest(sim, "/v1/orderbook"), markets="KRW-BTC,KRW-ETH")
    assert len(one[0]["orderbook_units"]) == 30
    assert [len(r["orderbook_units"]) for r in two] == [15, 15]
    for unit in one[0]["orderbook_units"]:
        assert decimals(unit["ask_size"]) <= 4 and decimals(unit["bid_size"]) <= 4


async def test_rest_market_list_warnings_and_history(sim: SimServer) -> None:
    async with aiohttp.ClientSession() as s:
        _, markets, _ = await get(s, rest(sim, "/v1/market/all"), isDetails="true")
        _, alerts, _ = await get(s, rest(sim, "/v1/market/virtual_asset_warning"))
        _, candles, _ = await get(
            s, rest(sim, "/v1/candles/minutes/1"), market="KRW-BTC", count="50"
        )
        _, ticks, _ = await get(s, rest(sim, "/v1/trades/ticks"), market="KRW-BTC", count="20")
    codes = {m["market"] for m in markets}
    assert {"KRW-BTC", "KRW-ETH", "KRW-USDT"} <= codes and any(c.startswith("BTC-") for c in codes)
    assert all(m["market_warning"] in ("NONE", "CAUTION") for m in markets)
    assert all(
        m["market_warning"] == "NONE" for m in markets if m["market"] in ("KRW-BTC", "KRW-ETH")
    )
    for a in alerts:
        assert set(a) == {"market", "warning_type", "warning_step", "end_date"}
        assert a["market"] in codes
    assert len(candles) == 50
    starts = [c["candle_date_time_utc"] for c in candles]
    assert starts == sorted(starts, reverse=True)  # newest first
    assert all(c["low_price"] <= min(c["opening_price"], c["trade_price"]) for c in candles)
    assert len(ticks) == 20 and all(t["ask_bid"] in ("ASK", "BID") for t in ticks)


async def test_bithumb_trades_near_upbit_but_at_its_own_price() -> None:
    async with fast_sim(seed=5, venues=["upbit", "bithumb"]) as sim, aiohttp.ClientSession() as s:
        await asyncio.sleep(0.2)
        _, (u,), _ = await get(s, f"{sim.endpoints['upbit']['rest']}/v1/ticker", markets="KRW-BTC")
        _, (b,), _ = await get(s, rest(sim, "/v1/ticker"), markets="KRW-BTC")
    assert abs(b["trade_price"] / u["trade_price"] - 1) < 0.01
    assert (
        b["trade_price"] != u["trade_price"]
        or b["acc_trade_volume_24h"] != u["acc_trade_volume_24h"]
    )


async def test_the_fault_switches_act_on_bithumb(sim: SimServer) -> None:
    sim.faults.refuse_rate_limit = True
    try:
        async with aiohttp.ClientSession() as s:
            with pytest.raises(aiohttp.WSServerHandshakeError) as info:
                await s.ws_connect(ws_url(sim))
            assert info.value.status == 429
            status, body, _ = await get(s, rest(sim, "/v1/ticker"), markets="KRW-BTC")
            assert status == 429 and "error" in body
    finally:
        sim.faults.refuse_rate_limit = False
    sim.faults.drop_after = 3
    try:
        async with aiohttp.ClientSession() as s, s.ws_connect(ws_url(sim)) as ws:
            await ws.send_str(request({"type": "orderbook", "codes": ["KRW-BTC"]}))
            kinds = []
            while True:
                msg = await ws.receive(timeout=20.0)
                kinds.append(msg.type)
                if msg.type is not aiohttp.WSMsgType.BINARY:
                    break
        assert kinds[:3] == [aiohttp.WSMsgType.BINARY] * 3 and len(kinds) == 4  # then cut off
    finally:
        sim.faults.drop_after = None
