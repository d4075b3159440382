"""The simulated Coinone, spoken to as a third-party client would (plain aiohttp, written
from exchanges.md section 5, not from the project's codec). Its frames are held against
the documented samples (the literal frames of the codec tests)."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from dantaro_tui.sim.server import SimServer
from tests.exchanges.test_coinone_ws import BOOK, CHART, TICKER, TRADE
from tests.sim.spot_helpers import Frame, advance, assert_like, frames, manual_sim, venue


@pytest.fixture
async def sim() -> AsyncIterator[SimServer]:
    server = SimServer(seed=5, intensity=8.0, step_interval=0.05, venues=["coinone"])
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


def _sub(channel: str, coin: str, **extra: Any) -> str:
    topic = {"quote_currency": "KRW", "target_currency": coin}
    topic.update({k: v for k, v in extra.items() if k == "interval"})
    req: dict[str, Any] = {"request_type": "SUBSCRIBE", "channel": channel, "topic": topic}
    if "format" in extra:
        req["format"] = extra["format"]
    return json.dumps(req)


def _data(channel: str) -> Any:
    return lambda got: any(
        f.get("channel") == channel and f.get("response_type") == "DATA" for f in got
    )


def _doc(sample: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(sample)["data"]
    return data


async def _open(session: aiohttp.ClientSession, sim: SimServer) -> aiohttp.ClientWebSocketResponse:
    ws = await session.ws_connect(sim.endpoints["coinone"]["ws"])
    (hello,) = await frames(ws, 5.0, lambda got: bool(got))
    assert hello["response_type"] == "CONNECTED" and hello["data"]["session_id"]
    return ws


async def test_data_frames_have_the_documented_shapes(
    sim: SimServer, session: aiohttp.ClientSession
) -> None:
    ws = await _open(session, sim)
    for channel in ("ORDERBOOK", "TRADE", "TICKER"):
        await ws.send_str(_sub(channel, "BTC"))
    await ws.send_str(_sub("CHART", "BTC", interval="1m"))
    got = await frames(
        ws, 30.0, lambda g: all(_data(c)(g) for c in ("ORDERBOOK", "TRADE", "TICKER", "CHART"))
    )
    acks = [f for f in got if f.get("response_type") == "SUBSCRIBED"]
    assert [a["channel"] for a in acks] == ["ORDERBOOK", "TRADE", "TICKER", "CHART"]
    assert acks[3]["data"] == {"quote_currency": "KRW", "target_currency": "BTC", "interval": "1m"}
    first: dict[str, Frame] = {}
    for f in got:
        if f.get("response_type") == "DATA":
            first.setdefault(f["channel"], f["data"])
    assert_like(first["ORDERBOOK"], _doc(BOOK), exact=True)
    assert_like(first["TICKER"], _doc(TICKER), exact=True)
    assert_like(first["TRADE"], _doc(TRADE), exact=True)
    assert_like(first["CHART"], _doc(CHART), exact=True)
    book = first["ORDERBOOK"]
    assert len(book["asks"]) == len(book["bids"]) == 16
    asks = [float(a["price"]) for a in book["asks"]]
    bids = [float(b["price"]) for b in book["bids"]]
    assert asks == sorted(asks, reverse=True)  # worst first on the socket
    assert bids == sorted(bids, reverse=True) and bids[0] < asks[-1]
    assert book["id"].isdigit() and book["id"].startswith(str(book["timestamp"])[:6])


async def test_books_replace_each_other_with_growing_ids(session: aiohttp.ClientSession) -> None:
    sim = manual_sim(["coinone"])
    await sim.start()
    try:
        ws = await _open(session, sim)
        await ws.send_str(_sub("ORDERBOOK", "BTC"))
        await frames(ws, 5.0, _data("ORDERBOOK"))
        books: list[Frame] = []
        for _ in range(40):
            await advance(sim, 1, 0.5)
            got = await frames(ws, 0.2)
            books += [f["data"] for f in got if f.get("channel") == "ORDERBOOK"]
            if len(books) >= 3:
                break
        assert len(books) >= 3
        ids = [int(b["id"]) for b in books]
        assert ids == sorted(ids) and len(set(ids)) == len(ids)
        lst = venue(sim, "coinone").listings["BTC"]
        asks, bids = lst.book(16)
        assert [float(a["price"]) for a in books[-1]["asks"]][::-1] == [p for p, _ in asks]
        assert [float(b["price"]) for b in books[-1]["bids"]] == [p for p, _ in bids]
    finally:
        await sim.stop()


async def test_an_unknown_coin_is_acknowledged_then_refused_without_a_name(
    sim: SimServer, session: aiohttp.ClientSession
) -> None:
    ws = await _open(session, sim)
    await ws.send_str(_sub("TICKER", "NOPE"))
    got = await frames(ws, 5.0, lambda g: any(f.get("response_type") == "ERROR" for f in g))
    ack, error = got[0], got[-1]
    assert ack == {
        "response_type": "SUBSCRIBED",
        "channel": "TICKER",
        "data": {"quote_currency": "KRW", "target_currency": "NOPE"},
    }
    assert error == {"response_type": "ERROR", "error_code": 160012, "message": "Invalid Topic"}
    await ws.send_str(_sub("TICKER", "BTC").replace('"KRW"', '"USDT"'))  # not KRW: refused too
    got = await frames(ws, 5.0, lambda g: any(f.get("response_type") == "ERROR" for f in g))
    assert got[-1]["error_code"] == 160012
    await ws.send_str('{"request_type":"PING"}')  # the socket stays open after errors
    assert await frames(ws, 5.0, lambda g: bool(g)) == [{"response_type": "PONG"}]


@pytest.mark.parametrize(
    ("request_text", "code", "field"),
    [
        ("hello", 160010, None),
        ('{"request_type":"subscribe","channel":"TICKER","topic":{}}', 160011, "request_type"),
        (_sub("TICKER", "BTC").replace("TICKER", "ticker"), 160011, "channel"),
        (_sub("TICKER", "BTC", format="short"), 160011, "format"),
        (_sub("CHART", "BTC", interval="10m"), 160011, "interval"),
    ],
)
async def test_requests_coinone_cannot_read_are_refused_with_a_code(
    sim: SimServer, session: aiohttp.ClientSession, request_text: str, code: int, field: str | None
) -> None:
    ws = await _open(session, sim)
    await ws.send_str(request_text)
    (error,) = await frames(ws, 5.0, lambda g: bool(g))
    assert error["response_type"] == "ERROR" and error["error_code"] == code
    assert error.get("field") == field


async def test_unsubscribing_stops_the_data(sim: SimServer, session: aiohttp.ClientSession) -> None:
    ws = await _open(session, sim)
    await ws.send_str(_sub("ORDERBOOK", "BTC"))
    await frames(ws, 5.0, _data("ORDERBOOK"))
    await ws.send_str(_sub("ORDERBOOK", "BTC").replace("SUBSCRIBE", "UNSUBSCRIBE"))
    got = await frames(ws, 5.0, lambda g: any(f["response_type"] == "UNSUBSCRIBED" for f in g))
    assert got[-1]["data"] == {"quote_currency": "KRW", "target_currency": "BTC"}
    assert not _data("ORDERBOOK")(await frames(ws, 1.0))


async def test_the_short_format_shortens_the_book(
    sim: SimServer, session: aiohttp.ClientSession
) -> None:
    ws = await _open(session, sim)
    await ws.send_str(_sub("ORDERBOOK", "ETH", format="SHORT"))
    got = await frames(ws, 5.0, lambda g: any(f.get("r") == "DATA" for f in g))
    book = next(f for f in got if f.get("r") == "DATA")
    assert book["c"] == "ORDERBOOK" and set(book["d"]) == {"qc", "tc", "t", "i", "a", "b"}
    assert set(book["d"]["a"][0]) == {"p", "q"} and book["d"]["tc"] == "ETH"


async def test_the_twenty_first_connection_is_closed_with_4290(
    sim: SimServer, session: aiohttp.ClientSession
) -> None:
    held = [await session.ws_connect(sim.endpoints["coinone"]["ws"]) for _ in range(20)]
    try:
        extra = await session.ws_connect(sim.endpoints["coinone"]["ws"])
        msg = await extra.receive(timeout=5.0)
        assert msg.type is aiohttp.WSMsgType.CLOSE and msg.data == 4290
    finally:
        await asyncio.gather(*(ws.close() for ws in held))


async def test_a_silent_socket_is_closed_and_a_pinging_one_is_kept(
    sim: SimServer, session: aiohttp.ClientSession
) -> None:
    venue(sim, "coinone").silent_close = 0.5
    quiet = await _open(session, sim)
    msg = await quiet.receive(timeout=10.0)
    assert msg.type is aiohttp.WSMsgType.CLOSE  # asked for nothing, said nothing
    venue(sim, "coinone").ping_timeout = 1.0
    pinging = await _open(session, sim)
    await pinging.send_str(_sub("TRADE", "BTC"))  # subscribed: only the PING rule applies
    for _ in range(4):
        await pinging.send_str('{"request_type":"PING"}')
        got = await frames(pinging, 5.0, lambda g: {"response_type": "PONG"} in g)
        assert {"response_type": "PONG"} in got
    assert not pinging.closed


async def test_the_generic_faults_apply(sim: SimServer, session: aiohttp.ClientSession) -> None:
    sim.faults.malformed_every = 2
    ws = await _open(session, sim)
    await ws.send_str(_sub("ORDERBOOK", "BTC"))
    bad = 0
    for _ in range(200):
        msg = await ws.receive(timeout=10.0)
        try:
            json.loads(msg.data)
        except json.JSONDecodeError:
            bad += 1
            break
    assert bad == 1
    sim.faults.malformed_every = None
    sim.faults.drop_after = 1
    dropped = await _open(session, sim)
    await dropped.send_str(_sub("ORDERBOOK", "BTC"))
    kinds = []
    for _ in range(5):
        msg = await dropped.receive(timeout=10.0)
        kinds.append(msg.type)
        if msg.type is not aiohttp.WSMsgType.TEXT:
            break
    assert kinds[-1] in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR)


# -- REST -------------------------------------------------------------------------------


async def _get(session: aiohttp.ClientSession, sim: SimServer, path: str) -> tuple[int, Any]:
    async with session.get(sim.endpoints["coinone"]["rest"] + path) as resp:
        return resp.status, await resp.json()


async def test_rest_answers_in_the_documented_shapes(
    sim: SimServer, session: aiohttp.ClientSession
) -> None:
    status, markets = await _get(session, sim, "/public/v2/markets/KRW")
    assert status == 200 and markets["result"] == "success" and markets["error_code"] == "0"
    btc = next(m for m in markets["markets"] if m["target_currency"] == "BTC")
    for key in ("price_unit", "qty_unit", "min_qty", "min_order_amount", "order_book_units"):
        assert key in btc
    assert btc["maintenance_status"] in (0, 1) and btc["trade_status"] in (0, 1, 2, 3)
    _, tickers = await _get(session, sim, "/public/v2/ticker_new/KRW")
    row = next(t for t in tickers["tickers"] if t["target_currency"] == "btc")  # lower case
    assert {"best_asks", "best_bids", "first", "last", "quote_volume", "id"} <= set(row)
    _, book = await _get(session, sim, "/public/v2/orderbook/KRW/BTC?size=10")
    asks = [float(a["price"]) for a in book["asks"]]
    bids = [float(b["price"]) for b in book["bids"]]
    assert len(asks) == len(bids) == 10
    assert asks == sorted(asks) and bids == sorted(bids, reverse=True)  # REST: best first
    _, trades = await _get(session, sim, "/public/v2/trades/KRW/BTC?size=20")
    rows = trades["transactions"]
    assert len(rows) == 20 and set(rows[0]) == {
        "id",
        "timestamp",
        "price",
        "qty",
        "is_seller_maker",
    }
    assert [r["timestamp"] for r in rows] == sorted((r["timestamp"] for r in rows), reverse=True)
    _, chart = await _get(session, sim, "/public/v2/chart/KRW/BTC?interval=1h&size=24")
    bars = chart["chart"]
    assert len(bars) == 24 and set(bars[0]) == {
        "timestamp", "open", "high", "low", "close", "target_volume", "quote_volume",
    }  # fmt: skip
    starts = [b["timestamp"] for b in bars]
    assert all(a - b == 3_600_000 for a, b in itertools.pairwise(starts))
    end = starts[5]
    _, older = await _get(
        session, sim, f"/public/v2/chart/KRW/BTC?interval=1h&size=3&timestamp={end}"
    )
    assert [b["timestamp"] for b in older["chart"]] == starts[5:8]
    _, cur = await _get(session, sim, "/public/v2/currencies")
    assert {"name", "symbol", "deposit_status", "withdraw_status"} <= set(cur["currencies"][0])


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/public/v2/orderbook/KRW/NOPE", "108"),
        ("/public/v2/ticker_new/KRW/NOPE", "108"),
        ("/public/v2/orderbook/KRW/BTC?size=20", "107"),
        ("/public/v2/trades/KRW/BTC?size=201", "107"),
        ("/public/v2/chart/KRW/BTC?interval=7m", "107"),
    ],
)
async def test_rest_errors_come_with_http_200(
    sim: SimServer, session: aiohttp.ClientSession, path: str, code: str
) -> None:
    status, body = await _get(session, sim, path)
    assert status == 200 and body["result"] == "error" and body["error_code"] == code
    assert body["error_msg"]


async def test_rest_rate_limit_is_error_4_with_the_headers(
    sim: SimServer, session: aiohttp.ClientSession
) -> None:
    async with session.get(sim.endpoints["coinone"]["rest"] + "/public/v2/markets/KRW") as resp:
        assert resp.headers["public-ratelimit-burst-capacity"] == "1200"
        assert int(resp.headers["public-ratelimit-remaining"]) < 1200
    sim.faults.refuse_rate_limit = True
    status, body = await _get(session, sim, "/public/v2/markets/KRW")
    assert (
        status == 200 and body["error_code"] == "4" and body["error_msg"] == "Blocked user access"
    )


async def test_a_korean_venue_trades_near_upbit_at_its_own_price() -> None:
    sim = SimServer(seed=3, venues=["upbit", "coinone"], kimchi_premium=3.0, rate_limits=False)
    upbit = sim.market.listing("upbit", "KRW-BTC")
    coinone = sim.market.listing("coinone", "BTC/KRW")
    assert upbit is not None and coinone is not None
    for _ in range(50):
        sim.market.step(1.0)
    assert coinone.last != upbit.last  # its own book and tape
    assert abs(coinone.mid() / upbit.mid() - 1) < 0.01  # the same KRW market, premium and all
    global_krw = sim.market.fair_usd("BTC") * sim.market.krw_per_usd
    assert coinone.mid() / global_krw - 1 == pytest.approx(0.03, abs=0.01)
