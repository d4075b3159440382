"""The simulated Binance spot API, spoken to over real sockets as a third-party client would
(aiohttp and websockets, raw JSON, a book kept here by Binance's documented rules, not the
project's codec), checked against the recorded real frames and exchanges.md section 3."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import websockets

from dantaro_tui.sim.server import SimServer
from tests.recorded import load
from tests.sim.helpers import fast_sim
from tests.sim.spot_helpers import (
    DiffBook,
    Frame,
    advance,
    assert_like,
    frames,
    get,
    manual_sim,
    project_client_survives_gaps,
    venue,
)


@pytest.fixture
async def sim() -> AsyncIterator[SimServer]:
    async with fast_sim(seed=11, intensity=4.0, venues=["binance"]) as server:
        yield server


def ws_base(sim: SimServer) -> str:
    return sim.endpoints["binance"]["ws"]


def rest(sim: SimServer, path: str) -> str:
    return f"{sim.endpoints['binance']['rest']}/api/v3/{path}"


def req(method: str, params: list[Any] | None = None, rid: Any = 1) -> str:
    body: dict[str, Any] = {"method": method, "id": rid}
    if params is not None:
        body["params"] = params
    return json.dumps(body)


def replies(got: list[Frame]) -> list[Frame]:
    return [f for f in got if "result" in f or "error" in f]


def stream_data(got: list[Frame], stream: str) -> list[Frame]:
    return [f["data"] for f in got if f.get("stream") == stream]


# ---------------------------------------------------------------------------- requests


async def test_endpoints_are_printed_with_the_others() -> None:
    async with SimServer(seed=1, rate_limits=False) as sim:
        eps = sim.endpoints
        assert {"upbit", "okx", "binance", "gateio"} <= set(eps)
        assert eps["binance"] == {
            "ws": f"ws://127.0.0.1:{sim.port}/binance",
            "rest": f"http://127.0.0.1:{sim.port}/binance",
        }
        symbols = {x.symbol for x in sim.market.listings("binance")}
        assert {"BTCUSDT", "ETHUSDT", "XRPUSDT", "SOLUSDT", "DOGEUSDT"} <= symbols
        assert 30 <= len(symbols) <= 60


async def test_subscriptions_add_are_acked_by_id_and_listed(
    sim: SimServer, session: aiohttp.ClientSession
) -> None:
    async with session.ws_connect(ws_base(sim) + "/ws") as ws:  # raw: payloads unwrapped
        await ws.send_str(req("SUBSCRIBE", ["btcusdt@trade"], 1))
        await ws.send_str(req("SUBSCRIBE", ["ethusdt@trade", "nopeusdt@trade"], "two"))
        await ws.send_str(req("LIST_SUBSCRIPTIONS", None, 3))
        got = await frames(ws, 5, until=lambda fs: len(replies(fs)) >= 3)
        assert replies(got) == [
            {"result": None, "id": 1},
            {"result": None, "id": "two"},  # a well-formed unknown stream is accepted
            {"result": ["btcusdt@trade", "ethusdt@trade", "nopeusdt@trade"], "id": 3},
        ]
        got = await frames(
            ws, 5, until=lambda fs: {f.get("s") for f in fs} >= {"BTCUSDT", "ETHUSDT"}
        )
        trades = [f for f in got if f.get("e") == "trade"]
        assert {t["s"] for t in trades} == {"BTCUSDT", "ETHUSDT"}
        assert all("stream" not in f for f in got)

        await ws.send_str(req("SET_PROPERTY", ["combined", True], 4))
        await ws.send_str(req("GET_PROPERTY", ["combined"], 5))
        await ws.send_str(req("UNSUBSCRIBE", ["ethusdt@trade"], 6))
        got = await frames(ws, 5, until=lambda fs: len(replies(fs)) >= 3)
        assert replies(got) == [
            {"result": None, "id": 4},
            {"result": True, "id": 5},
            {"result": None, "id": 6},
        ]
        await frames(ws, 0.3)  # in flight
        got = await frames(ws, 3, until=lambda fs: len(fs) >= 2)
        assert got and all(f["stream"] == "btcusdt@trade" for f in got)


async def test_combined_url_and_path_streams(
    sim: SimServer, session: aiohttp.ClientSession
) -> None:
    url = ws_base(sim) + "/stream?streams=btcusdt@trade/ethusdt@bookTicker"
    async with session.ws_connect(url) as ws:
        got = await frames(
            ws,
            5,
            until=lambda fs: bool(
                stream_data(fs, "btcusdt@trade") and stream_data(fs, "ethusdt@bookTicker")
            ),
        )
        assert stream_data(got, "btcusdt@trade") and stream_data(got, "ethusdt@bookTicker")
        await ws.send_str(req("LIST_SUBSCRIPTIONS", None, 9))
        got = await frames(ws, 3, until=lambda fs: bool(replies(fs)))
        assert replies(got) == [{"result": ["btcusdt@trade", "ethusdt@bookTicker"], "id": 9}]
    async with session.ws_connect(ws_base(sim) + "/ws/btcusdt@aggTrade") as ws:
        got = await frames(ws, 5, until=lambda fs: bool(fs))
        assert got[0]["e"] == "aggTrade" and got[0]["s"] == "BTCUSDT"


async def test_request_errors(sim: SimServer, session: aiohttp.ClientSession) -> None:
    async with session.ws_connect(ws_base(sim) + "/ws") as ws:
        for raw, code in (
            ("{not json", 3),
            (json.dumps({"params": ["btcusdt@trade"], "id": 1}), 2),
            (req("PUBLISH", ["btcusdt@trade"], 2), 2),
            (req("SUBSCRIBE", [7], 3), 2),
            (req("SUBSCRIBE", ["btcusdt@trade"], "not-alnum!"), 2),
            (req("SET_PROPERTY", ["combined", "yes"], 4), 1),
            (req("SET_PROPERTY", ["colour", True], 5), 0),
        ):
            await ws.send_str(raw)
            got = await frames(ws, 3, until=lambda fs: bool(replies(fs)))
            (err,) = replies(got)
            assert err["error"]["code"] == code, raw
            assert isinstance(err["error"]["msg"], str) and err["error"]["msg"]
            if code in (0, 1):
                assert err["id"] == json.loads(raw)["id"]
        # An upper-case symbol is well-formed but names no stream: accepted, never data.
        await ws.send_str(req("SUBSCRIBE", ["BTCUSDT@trade"], 7))
        got = await frames(ws, 1.0)
        assert got == [{"result": None, "id": 7}]
        # A malformed stream name: refused, then the connection is closed.
        await ws.send_str(req("SUBSCRIBE", ["@@@junk###"], 8))
        got = await frames(ws, 3)
        assert replies(got) == [
            {"error": {"code": 2, "msg": "Invalid request: invalid stream"}, "id": 8}
        ]
        msg = await ws.receive(timeout=2)
        assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)


async def test_at_most_1024_streams(sim: SimServer, session: aiohttp.ClientSession) -> None:
    names = [f"sym{i}usdt@trade" for i in range(1024)]
    async with session.ws_connect(ws_base(sim) + "/stream") as ws:
        await ws.send_str(req("SUBSCRIBE", names, 1))
        await ws.send_str(req("SUBSCRIBE", ["btcusdt@trade"], 2))
        got = await frames(ws, 5, until=lambda fs: len(replies(fs)) >= 2)
        first, second = replies(got)
        assert first == {"result": None, "id": 1}
        assert second["id"] == 2 and second["error"]["code"] == 2


async def test_more_than_5_messages_a_second_disconnects() -> None:
    async with (
        fast_sim(seed=2, venues=["binance"], rate_limits=True) as sim,
        aiohttp.ClientSession() as session,
        session.ws_connect(ws_base(sim) + "/ws") as ws,
    ):
        for i in range(5):
            await ws.send_str(req("LIST_SUBSCRIPTIONS", None, i))
        got = await frames(ws, 1.5, until=lambda fs: len(fs) >= 5)
        assert len(replies(got)) == 5
        await asyncio.sleep(1.05)
        for i in range(6):
            await ws.send_str(req("LIST_SUBSCRIPTIONS", None, 10 + i))
        await frames(ws, 2)
        msg = await ws.receive(timeout=2)
        assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
        assert ws.close_code == 1008


async def test_server_pings_and_drops_a_silent_client(sim: SimServer) -> None:
    bn = venue(sim, "binance")
    bn.ping_interval = 0.2
    bn.pong_timeout = 0.7
    # The websockets library answers pings by itself: the connection stays.
    async with websockets.connect(ws_base(sim) + "/ws", ping_interval=None) as ws:
        await asyncio.sleep(1.5)
        await ws.send(req("LIST_SUBSCRIPTIONS", None, 1))
        assert json.loads(await asyncio.wait_for(ws.recv(), 2)) == {"result": [], "id": 1}
    # A client that never answers is cut off.
    async with aiohttp.ClientSession() as session:
        ws2 = await session.ws_connect(ws_base(sim) + "/ws", autoping=False)
        pings = 0
        started = time.monotonic()
        msg = await ws2.receive(timeout=5)
        while time.monotonic() - started < 5:
            if msg.type is not aiohttp.WSMsgType.PING:
                break
            pings += 1
            msg = await ws2.receive(timeout=5)
        assert pings >= 2
        assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
        await ws2.close()


# ---------------------------------------------------------------------------- recorded shapes


def recorded_data(kind: str) -> Frame:
    for _, raw in load("binance_ws.txt").received:
        msg = json.loads(raw)
        if msg.get("stream", "").split("@", 1)[-1] == kind:
            data: Frame = msg["data"]
            return data
    raise AssertionError(f"no recorded {kind}")


async def test_frames_match_the_recorded_ones(
    sim: SimServer, session: aiohttp.ClientSession
) -> None:
    kinds = ("depth@100ms", "bookTicker", "kline_1m", "aggTrade", "trade", "ticker")
    url = ws_base(sim) + "/stream?streams=" + "/".join(f"btcusdt@{k}" for k in kinds)
    async with session.ws_connect(url) as ws:
        got = await frames(
            ws, 10, until=lambda fs: all(stream_data(fs, f"btcusdt@{k}") for k in kinds)
        )
    for kind in ("depth@100ms", "bookTicker", "kline_1m", "aggTrade"):
        real = recorded_data(kind)
        mine = stream_data(got, f"btcusdt@{kind}")[0]
        assert_like(mine, real, exact=True)
        if kind == "kline_1m":
            assert_like(mine["k"], real["k"], exact=True)
    depth = stream_data(got, "btcusdt@depth@100ms")[0]
    for level in depth["b"] + depth["a"]:
        assert len(level) == 2 and all(isinstance(x, str) for x in level)
        assert len(level[0].split(".")[1]) == 8  # Binance writes 8 decimals
    trade = stream_data(got, "btcusdt@trade")[0]
    assert set(trade) == {"e", "E", "s", "t", "p", "q", "T", "m", "M"}
    assert trade["e"] == "trade" and isinstance(trade["m"], bool) and isinstance(trade["t"], int)
    ticker = stream_data(got, "btcusdt@ticker")[0]
    fields = "e E s p P w x c Q b B a A o h l v q O C F L n"
    assert set(ticker) == set(fields.split(" "))
    assert ticker["e"] == "24hrTicker"
    assert float(ticker["b"]) < float(ticker["a"])
    assert float(ticker["l"]) <= float(ticker["c"]) <= float(ticker["h"])
    k = stream_data(got, "btcusdt@kline_1m")[0]["k"]
    assert k["i"] == "1m" and k["t"] % 60_000 == 0 and k["T"] == k["t"] + 59_999
    assert float(k["l"]) <= min(float(k["o"]), float(k["c"])) <= float(k["h"])


async def test_trade_side_and_ids(sim: SimServer, session: aiohttp.ClientSession) -> None:
    async with session.ws_connect(ws_base(sim) + "/stream?streams=btcusdt@trade") as ws:
        got = await frames(ws, 6, until=lambda fs: len(fs) >= 12)
    trades = stream_data(got, "btcusdt@trade")
    ids = [t["t"] for t in trades]
    assert ids == list(range(ids[0], ids[0] + len(ids)))  # one id per trade, no gap
    assert {t["m"] for t in trades} <= {True, False}
    _, rows, _ = await get(session, rest(sim, "trades?symbol=BTCUSDT&limit=1000"))
    by_id = {r["id"]: r for r in rows}
    for t in trades:  # the stream and REST agree on every trade, side included
        if t["t"] in by_id:
            r = by_id[t["t"]]
            assert (r["price"], r["qty"], r["time"]) == (t["p"], t["q"], t["T"])
            assert r["isBuyerMaker"] is t["m"]


# ---------------------------------------------------------------------------- the book


async def test_diff_depth_rebuilds_the_rest_book_with_no_gap(
    session: aiohttp.ClientSession,
) -> None:
    async with manual_sim(["binance"]) as sim:
        base = ws_base(sim)
        url = base + "/stream?streams=btcusdt@depth@100ms/dogeusdt@depth@100ms"
        async with session.ws_connect(url) as ws:
            books = {"BTCUSDT": DiffBook(), "DOGEUSDT": DiffBook()}

            async def pump(seconds: float = 0.3) -> None:
                for f in await frames(ws, seconds):
                    d = f["data"]
                    assert d["e"] == "depthUpdate" and d["U"] <= d["u"]
                    books[d["s"]].delta(d)

            await advance(sim, 5)
            await pump()
            for sym, book in books.items():  # documented step 2: the snapshot after buffering
                _, snap, _ = await get(session, rest(sim, f"depth?symbol={sym}&limit=1000"))
                assert book.buffer and snap["lastUpdateId"] >= book.buffer[0]["U"] - 1
                book.snapshot(snap["lastUpdateId"], snap["bids"], snap["asks"])
            for _ in range(6):
                await advance(sim, 4)
                await pump(0.15)
            await pump(0.5)  # what a loaded machine delivered late
            for sym, book in books.items():
                _, snap, _ = await get(session, rest(sim, f"depth?symbol={sym}&limit=1000"))
                assert book.gaps == 0 and book.applied >= 3, sym
                assert book.id == snap["lastUpdateId"], sym
                bids, asks = book.sides()
                assert [list(x) for x in bids] == snap["bids"], sym
                assert [list(x) for x in asks] == snap["asks"], sym
                assert float(bids[0][0]) < float(asks[0][0])


async def test_skip_seq_every_leaves_gaps_the_client_resyncs_from(
    session: aiohttp.ClientSession,
) -> None:
    async with manual_sim(["binance"]) as sim:
        sim.faults.skip_seq_every = 3
        async with session.ws_connect(ws_base(sim) + "/ws/ethusdt@depth@100ms") as ws:
            book = DiffBook()
            _, snap, _ = await get(session, rest(sim, "depth?symbol=ETHUSDT"))
            book.snapshot(snap["lastUpdateId"], snap["bids"], snap["asks"])
            resyncs = 0
            for _ in range(12):
                await advance(sim, 1)
                for d in await frames(ws, 0.1):
                    book.delta(d)
                if book.id is None:  # a gap: resync from REST, as documented
                    resyncs += 1
                    _, snap, _ = await get(session, rest(sim, "depth?symbol=ETHUSDT"))
                    book.snapshot(snap["lastUpdateId"], snap["bids"], snap["asks"])
            assert book.gaps >= 2 and resyncs == book.gaps
            await advance(sim, 1)
            for d in await frames(ws, 0.1):
                book.delta(d)
            if book.id is not None:
                _, snap, _ = await get(session, rest(sim, "depth?symbol=ETHUSDT&limit=1000"))
                if snap["lastUpdateId"] == book.id:
                    assert [list(x) for x in book.sides()[0]] == snap["bids"]


async def test_book_ticker_ids_follow_the_depth_ids(
    sim: SimServer, session: aiohttp.ClientSession
) -> None:
    url = ws_base(sim) + "/stream?streams=solusdt@bookTicker"
    async with session.ws_connect(url) as ws:
        got = await frames(ws, 4, until=lambda fs: len(fs) >= 5)
    ticks = stream_data(got, "solusdt@bookTicker")
    assert len(ticks) >= 5
    ids = [t["u"] for t in ticks]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    _, snap, _ = await get(session, rest(sim, "depth?symbol=SOLUSDT&limit=5"))
    assert snap["lastUpdateId"] >= ids[-1]
    for t in ticks:
        assert float(t["b"]) < float(t["a"])


# ---------------------------------------------------------------------------- REST


async def test_rest_shapes(sim: SimServer, session: aiohttp.ClientSession) -> None:
    status, info, headers = await get(session, rest(sim, "exchangeInfo"))
    assert status == 200 and headers["X-MBX-USED-WEIGHT-1M"] == "20"
    (_, _, body), *_ = load("binance_rest.txt").rest
    real = json.loads(body)
    assert_like(info, real)
    syms = {s["symbol"]: s for s in info["symbols"]}
    btc = syms["BTCUSDT"]
    assert_like(btc, real["symbols"][0])
    assert (btc["baseAsset"], btc["quoteAsset"], btc["status"]) == ("BTC", "USDT", "TRADING")
    filters = {f["filterType"]: f for f in btc["filters"]}
    assert filters["PRICE_FILTER"]["tickSize"] == "0.01000000"
    assert float(filters["LOT_SIZE"]["stepSize"]) > 0
    _, one, _ = await get(session, rest(sim, "exchangeInfo?symbol=DOGEUSDT"))
    assert [s["symbol"] for s in one["symbols"]] == ["DOGEUSDT"]

    _, t, headers = await get(session, rest(sim, "ticker/24hr?symbol=BTCUSDT"))
    assert headers["X-MBX-USED-WEIGHT-1M"] == "42"  # 20 + 2, per address and minute
    assert set(t) >= {
        "symbol", "priceChange", "priceChangePercent", "weightedAvgPrice", "prevClosePrice",
        "lastPrice", "lastQty", "bidPrice", "bidQty", "askPrice", "askQty", "openPrice",
        "highPrice", "lowPrice", "volume", "quoteVolume", "openTime", "closeTime", "firstId",
        "lastId", "count",
    }  # fmt: skip
    assert isinstance(t["count"], int) and isinstance(t["lastPrice"], str)
    _, many, _ = await get(session, rest(sim, 'ticker/24hr?symbols=["BTCUSDT","ETHUSDT"]'))
    assert [x["symbol"] for x in many] == ["BTCUSDT", "ETHUSDT"]
    _, every, _ = await get(session, rest(sim, "ticker/24hr"))
    assert {x["symbol"] for x in every} == set(syms)

    _, depth, _ = await get(session, rest(sim, "depth?symbol=BTCUSDT&limit=10"))
    real_depth = json.loads(load("binance_depth_rest.txt").rest[0][2])
    assert_like(depth, real_depth, exact=True)
    assert len(depth["bids"]) == 10 and len(depth["asks"]) == 10
    assert float(depth["bids"][0][0]) < float(depth["asks"][0][0])

    _, trades, _ = await get(session, rest(sim, "trades?symbol=ETHUSDT&limit=50"))
    assert len(trades) == 50
    assert set(trades[0]) == {
        "id",
        "price",
        "qty",
        "quoteQty",
        "time",
        "isBuyerMaker",
        "isBestMatch",
    }
    ids = [x["id"] for x in trades]
    assert ids == list(range(ids[0], ids[0] + 50))  # oldest first, consecutive

    _, klines, _ = await get(session, rest(sim, "klines?symbol=ETHUSDT&interval=5m&limit=10"))
    assert len(klines) == 10
    starts = [r[0] for r in klines]
    assert starts == sorted(starts) and all(s % 300_000 == 0 for s in starts)  # oldest first
    for r in klines:
        assert len(r) == 12 and isinstance(r[0], int) and isinstance(r[6], int)
        assert r[6] == r[0] + 299_999 and isinstance(r[8], int)
        o, h, lo, c = map(float, r[1:5])
        assert lo <= min(o, c) <= max(o, c) <= h
    _, week, _ = await get(session, rest(sim, "klines?symbol=ETHUSDT&interval=1w&limit=3"))
    assert all((r[0] - 4 * 86_400_000) % (7 * 86_400_000) == 0 for r in week)  # Mondays
    _, since, _ = await get(
        session, rest(sim, f"klines?symbol=ETHUSDT&interval=1m&startTime={starts[0]}&limit=5")
    )
    assert since[0][0] == starts[0] and len(since) == 5


async def test_rest_errors_and_weight_limit(session: aiohttp.ClientSession) -> None:
    async with SimServer(seed=3, venues=["binance"]) as sim:
        for path, code in (
            ("depth", -1102),
            ("depth?symbol=NOPEUSDT", -1121),
            ("klines?symbol=BTCUSDT&interval=7m", -1120),
            ("trades?symbol=BTCUSDT&limit=x", -1100),
        ):
            status, body, _ = await get(session, rest(sim, path))
            assert status == 400 and body["code"] == code and body["msg"], path
        venue(sim, "binance").weight_limit = 100
        statuses = []
        headers: Any = None
        body = None
        for _ in range(6):
            status, body, headers = await get(session, rest(sim, "exchangeInfo"))
            statuses.append(status)
        assert statuses[-1] == 429 and 200 in statuses
        assert body["code"] == -1003 and int(headers["Retry-After"]) >= 1
        assert int(headers["X-MBX-USED-WEIGHT-1M"]) <= 100


# ---------------------------------------------------------------------------- faults, venues


async def test_generic_faults_act_on_binance(
    sim: SimServer, session: aiohttp.ClientSession
) -> None:
    sim.faults.malformed_every = 2
    async with session.ws_connect(ws_base(sim) + "/ws/btcusdt@bookTicker") as ws:
        raw: list[str] = []
        while len(raw) < 4:
            msg = await ws.receive(timeout=3)
            raw.append(msg.data)
    bad = 0
    for r in raw:
        try:
            json.loads(r)
        except json.JSONDecodeError:
            bad += 1
    assert bad == 2
    sim.faults.malformed_every = None
    sim.faults.drop_after = 3
    async with session.ws_connect(ws_base(sim) + "/ws/btcusdt@bookTicker") as ws:
        got = await frames(ws, 3)
        assert len(got) == 3
    sim.faults.drop_after = None
    sim.faults.refuse_rate_limit = True
    with pytest.raises(aiohttp.WSServerHandshakeError) as info:
        await session.ws_connect(ws_base(sim) + "/ws")
    assert info.value.status == 429
    status, body, _ = await get(session, rest(sim, "ping"))
    assert status == 429 and body["code"] == -1003


async def test_prices_agree_with_okx(session: aiohttp.ClientSession) -> None:
    async with SimServer(seed=5, venues=["okx", "binance"], rate_limits=False) as sim:
        await asyncio.sleep(0.3)
        for base in ("BTC", "ETH", "XRP"):
            okx = sim.endpoints["okx"]["rest"]
            _, body, _ = await get(session, f"{okx}/api/v5/market/books?instId={base}-USDT")
            (ob,) = body["data"]
            okx_mid = (float(ob["bids"][0][0]) + float(ob["asks"][0][0])) / 2
            _, t, _ = await get(session, rest(sim, f"ticker/24hr?symbol={base}USDT"))
            mid = (float(t["bidPrice"]) + float(t["askPrice"])) / 2
            assert abs(mid / okx_mid - 1) < 0.006, base


# ---------------------------------------------------------------------------- the project's codec


async def test_frames_decode_with_the_project_codec(
    sim: SimServer, session: aiohttp.ClientSession
) -> None:
    codec_module = pytest.importorskip("dantaro_tui.exchanges.binance")
    codec = codec_module.BinanceCodec()
    kinds = ("trade", "ticker", "bookTicker", "kline_1m", "depth@100ms")
    url = ws_base(sim) + "/stream?streams=" + "/".join(f"btcusdt@{k}" for k in kinds)
    async with session.ws_connect(url) as ws:
        raw: list[str] = []
        deadline = time.monotonic() + 6
        while time.monotonic() < deadline and len(raw) < 60:
            msg = await ws.receive(timeout=3)
            raw.append(msg.data)
    errors = []
    for frame in raw:
        for ev in codec.decode(frame, time.time_ns()):
            if getattr(ev, "kind", None) == "error":
                errors.append((frame[:120], ev))
    assert errors == []


async def test_project_client_syncs_and_resyncs(sim: SimServer) -> None:
    pytest.importorskip("dantaro_tui.exchanges.binance")
    await project_client_survives_gaps(sim, "binance", "BTCUSDT")


async def test_partial_depth_streams(sim: SimServer, session: aiohttp.ClientSession) -> None:
    url = ws_base(sim) + "/stream?streams=btcusdt@depth5@100ms/ethusdt@depth10"
    async with session.ws_connect(url) as ws:
        got = await frames(
            ws,
            4,
            until=lambda fs: (
                len(stream_data(fs, "btcusdt@depth5@100ms")) >= 3
                and bool(stream_data(fs, "ethusdt@depth10"))
            ),
        )
    fives = stream_data(got, "btcusdt@depth5@100ms")
    assert len(fives) >= 3
    for d in fives + stream_data(got, "ethusdt@depth10"):
        assert set(d) == {"lastUpdateId", "bids", "asks"}  # no symbol: the stream name says
        assert isinstance(d["lastUpdateId"], int)
        assert float(d["bids"][0][0]) < float(d["asks"][0][0])
    assert all(len(d["bids"]) == 5 and len(d["asks"]) == 5 for d in fives)
    ids = [d["lastUpdateId"] for d in fives]
    assert ids == sorted(ids)
    assert len(stream_data(got, "ethusdt@depth10")[0]["bids"]) == 10
