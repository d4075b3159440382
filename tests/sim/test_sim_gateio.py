"""The simulated Gate.io v4 spot API, spoken to over real sockets as a third-party client
would (aiohttp, raw JSON, a book kept here by Gate.io's documented rules, not the project's
codec), checked against the recorded real frames and exchanges.md section 4."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

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
    async with fast_sim(seed=11, intensity=6.0, venues=["gateio"]) as server:
        yield server


def ws_url(sim: SimServer) -> str:
    return sim.endpoints["gateio"]["ws"]


def rest(sim: SimServer, path: str) -> str:
    return f"{sim.endpoints['gateio']['rest']}/api/v4/spot/{path}"


def request(
    channel: str, payload: list[str], event: str = "subscribe", rid: int | None = 1, **kw: Any
) -> str:
    body: dict[str, Any] = {"time": int(time.time()), "channel": channel, "event": event}
    body["payload"] = payload
    if rid is not None:
        body["id"] = rid
    body.update(kw)
    return json.dumps(body)


def acks(got: list[Frame]) -> list[Frame]:
    return [f for f in got if f.get("event") != "update"]


async def acked(ws: aiohttp.ClientWebSocketResponse) -> list[Frame]:
    """The frames up to the server's answer to the request just sent: the market must not
    move before the server has taken the subscription, however loaded the machine."""
    return await frames(ws, 5.0, until=lambda got: bool(acks(got)))


def updates(got: list[Frame], channel: str) -> list[Frame]:
    return [f["result"] for f in got if f.get("event") == "update" and f["channel"] == channel]


# ---------------------------------------------------------------------------- requests


async def test_endpoint_and_pairs() -> None:
    async with SimServer(seed=1, venues=["gateio"], rate_limits=False) as sim:
        assert sim.endpoints["gateio"] == {
            "ws": f"ws://127.0.0.1:{sim.port}/gateio/ws/v4/",
            "rest": f"http://127.0.0.1:{sim.port}/gateio",
        }
        symbols = {x.symbol for x in sim.market.listings("gateio")}
        assert {"BTC_USDT", "ETH_USDT", "XRP_USDT", "SOL_USDT", "DOGE_USDT"} <= symbols


async def test_subscriptions_add_and_are_acked_by_id(
    sim: SimServer, session: aiohttp.ClientSession
) -> None:
    async with session.ws_connect(ws_url(sim)) as ws:
        await ws.send_str(request("spot.trades", ["BTC_USDT"], rid=11))
        await ws.send_str(request("spot.trades", ["ETH_USDT"], rid=12))
        got = await frames(
            ws,
            6,
            until=lambda fs: (
                len(acks(fs)) >= 2
                and {t["currency_pair"] for t in updates(fs, "spot.trades")}
                >= {"BTC_USDT", "ETH_USDT"}
            ),
        )
        a, b = acks(got)
        for ack, rid, pair in ((a, 11, "BTC_USDT"), (b, 12, "ETH_USDT")):
            assert ack["id"] == rid and ack["event"] == "subscribe"
            assert ack["channel"] == "spot.trades" and ack["payload"] == [pair]
            assert ack["result"] == {"status": "success"} and ack["error"] is None
            assert isinstance(ack["time"], int) and isinstance(ack["time_ms"], int)
        # Both pairs flow: the second request added, it did not replace.
        assert {t["currency_pair"] for t in updates(got, "spot.trades")} >= {"BTC_USDT", "ETH_USDT"}

        await ws.send_str(request("spot.trades", ["ETH_USDT"], event="unsubscribe", rid=13))
        got = await frames(ws, 3, until=lambda fs: bool(acks(fs)))
        (ack,) = acks(got)
        assert ack["event"] == "unsubscribe" and ack["id"] == 13
        assert ack["result"] == {"status": "success"}
        await frames(ws, 0.3)
        got = await frames(ws, 2)
        assert {t["currency_pair"] for t in updates(got, "spot.trades")} <= {"BTC_USDT"}

        await ws.send_str(json.dumps({"time": int(time.time()), "channel": "spot.ping", "id": 14}))
        got = await frames(ws, 3, until=lambda fs: any(f["channel"] == "spot.pong" for f in fs))
        pong = next(f for f in got if f["channel"] == "spot.pong")
        assert pong["event"] == "" and pong["error"] is None and pong["result"] is None


async def test_request_errors(sim: SimServer, session: aiohttp.ClientSession) -> None:
    now = int(time.time())
    async with session.ws_connect(ws_url(sim)) as ws:
        for raw, code in (
            ("{not json", 1),
            (
                json.dumps(
                    {
                        "time": str(now),
                        "channel": "spot.trades",
                        "event": "subscribe",
                        "payload": ["BTC_USDT"],
                    }
                ),
                1,
            ),
            (
                json.dumps(
                    {"channel": "spot.trades", "event": "subscribe", "payload": ["BTC_USDT"]}
                ),
                1,
            ),
            (request("spot.trades", ["BTC_USDT"], time=now - 61), 2),
            (request("spot.trades", ["BTC_USDT"], time=now + 90), 2),
            (request("spot.trades", ["BTC_USDT", "NOPE_USDT"]), 2),
            (request("spot.nope", ["BTC_USDT"]), 2),
            (request("spot.candlesticks", ["BTC_USDT", "1m"]), 2),  # [interval, pair]
            (request("spot.order_book_update", ["BTC_USDT", "1000ms"]), 2),
            (request("spot.trades", ["BTC_USDT"], event="watch"), 2),
        ):
            await ws.send_str(raw)
            got = await frames(ws, 3, until=lambda fs: bool(acks(fs)))
            (err,) = acks(got)
            assert err["error"]["code"] == code, raw
            assert isinstance(err["error"]["message"], str) and err["error"]["message"]
            assert err["result"] == {"status": "fail"}
        # A request with one bad pair subscribed none of them.
        got = await frames(ws, 1.0)
        assert updates(got, "spot.trades") == []
        # Within 60 s is fine.
        await ws.send_str(request("spot.tickers", ["BTC_USDT"], time=now - 50))
        got = await frames(ws, 3, until=lambda fs: bool(acks(fs)))
        assert acks(got)[0]["result"] == {"status": "success"}


# ---------------------------------------------------------------------------- recorded shapes


def recorded(channel: str, event: str = "update") -> Frame:
    for _, raw in load("gateio_ws.txt").received:
        msg = json.loads(raw)
        if msg.get("channel") == channel and msg.get("event") == event:
            return dict(msg)
    raise AssertionError(f"no recorded {channel} {event}")


async def test_frames_match_the_recorded_ones(
    sim: SimServer, session: aiohttp.ClientSession
) -> None:
    channels = {
        "spot.tickers": ["BTC_USDT"],
        "spot.trades": ["BTC_USDT"],
        "spot.candlesticks": ["1m", "BTC_USDT"],
        "spot.order_book_update": ["BTC_USDT", "100ms"],
        "spot.book_ticker": ["BTC_USDT"],
    }
    async with session.ws_connect(ws_url(sim)) as ws:
        for channel, payload in channels.items():
            await ws.send_str(request(channel, payload, rid=None))
        got = await frames(
            ws,
            10,
            until=lambda fs: all(len(updates(fs, c)) >= 2 for c in channels),
        )
    for channel in channels:
        ups = [f for f in got if f.get("event") == "update" and f["channel"] == channel]
        assert len(ups) >= 2, channel
        if channel != "spot.book_ticker":  # not in the 2021 recording
            real = recorded(channel)
            assert_like(ups[-1], real)  # envelope: time, channel, event, result (+ time_ms)
            assert_like(ups[-1]["result"], real["result"])
            ack = next(f for f in acks(got) if f["channel"] == channel)
            assert_like(ack, recorded(channel, "subscribe"))
        assert isinstance(ups[-1]["time_ms"], int)
    trade = updates(got, "spot.trades")[0]
    assert trade["side"] in ("buy", "sell") and isinstance(trade["id_market"], int)
    assert float(trade["create_time_ms"]) // 1000 == trade["create_time"]
    candle = updates(got, "spot.candlesticks")[-1]
    assert int(candle["t"]) % 60 == 0 and int(candle["t"]) < 10**11  # seconds
    assert candle["n"] == "1m_BTC_USDT" and isinstance(candle["w"], bool)
    assert float(candle["l"]) <= min(float(candle["o"]), float(candle["c"])) <= float(candle["h"])
    ticker = updates(got, "spot.tickers")[-1]
    assert set(ticker) == {
        "currency_pair", "last", "lowest_ask", "highest_bid", "change_percentage",
        "base_volume", "quote_volume", "high_24h", "low_24h",
    }  # fmt: skip
    assert float(ticker["highest_bid"]) < float(ticker["lowest_ask"])
    bt = updates(got, "spot.book_ticker")[-1]
    assert set(bt) == {"t", "u", "s", "b", "B", "a", "A"} and isinstance(bt["u"], int)
    books = updates(got, "spot.order_book_update")
    assert books[0].get("full") is True and "full" not in books[1]
    for b in books:
        assert isinstance(b["U"], int) and isinstance(b["u"], int) and b["U"] <= b["u"]
        for level in b["b"] + b["a"]:
            assert len(level) == 2 and all(isinstance(x, str) for x in level)
            assert "e" not in level[0] and not (level[0].endswith("0") and "." in level[0])


# ---------------------------------------------------------------------------- the book


async def test_deltas_rebuild_the_rest_book_with_no_gap(
    session: aiohttp.ClientSession,
) -> None:
    async with manual_sim(["gateio"]) as sim, session.ws_connect(ws_url(sim)) as ws:
        books = {"BTC_USDT": DiffBook(), "DOGE_USDT": DiffBook()}
        full: dict[str, Frame] = {}

        async def pump(seconds: float = 0.2, until: Any = None) -> None:
            for f in await frames(ws, seconds, until):
                if f.get("event") != "update":
                    assert f["result"] == {"status": "success"}
                    continue
                r = f["result"]
                if r.get("full"):
                    full.setdefault(r["s"], r)
                    continue  # this client syncs from REST, as in 4.4 steps 1-5
                books[r["s"]].delta(r)

        for pair in books:
            await ws.send_str(request("spot.order_book_update", [pair, "100ms"]))
        # Both subscriptions are taken (ack + full push) before the market moves, so a
        # loaded machine cannot let the first deltas go out before the server subscribed.
        await pump(5.0, until=lambda got: len(acks(got)) == 2)
        await advance(sim, 4)

        def deltas_for_both(got: list[Frame]) -> bool:
            updates = [f["result"] for f in got if f.get("event") == "update"]
            return {r["s"] for r in updates if not r.get("full")} == set(books)

        await pump(5.0, until=deltas_for_both)
        assert set(full) == set(books)
        for pair, book in books.items():
            url = rest(sim, f"order_book?currency_pair={pair}&limit=100&with_id=true")
            _, snap, _ = await get(session, url)
            assert snap["id"] >= full[pair]["u"]
            assert book.buffer and book.buffer[0]["U"] <= snap["id"] + 1
            book.snapshot(snap["id"], snap["bids"], snap["asks"])
        for _ in range(8):
            await advance(sim, 3)
            await pump(0.1)
        await pump(0.5)  # what a loaded machine delivered late
        for pair, book in books.items():
            url = rest(sim, f"order_book?currency_pair={pair}&limit=100&with_id=true")
            _, snap, _ = await get(session, url)
            assert book.gaps == 0 and book.applied >= 3, pair
            assert book.id == snap["id"], pair
            bids, asks = book.sides()
            assert [list(x) for x in bids] == snap["bids"], pair
            assert [list(x) for x in asks] == snap["asks"], pair


async def test_full_snapshot_then_deltas_chain(session: aiohttp.ClientSession) -> None:
    """A client that takes the ``full: true`` push as its snapshot (4.4 item 6) needs no REST,
    even when it subscribes while others already receive deltas."""
    async with manual_sim(["gateio"]) as sim, session.ws_connect(ws_url(sim)) as first:
        await first.send_str(request("spot.order_book_update", ["ETH_USDT", "100ms"]))
        early = {first: await acked(first)}
        await advance(sim, 3)
        async with session.ws_connect(ws_url(sim)) as second:
            sim.market.step(0.05)  # changes the first connection has not been sent yet
            for v in sim.venues:
                v.dispatch(sim.market.step(0.01))
            await second.send_str(request("spot.order_book_update", ["ETH_USDT", "100ms"]))
            early[second] = await acked(second)
            await advance(sim, 10)
            book = DiffBook()
            for ws in (first, second):
                got = updates(early[ws] + await frames(ws, 0.5), "spot.order_book_update")
                book = DiffBook()
                for r in got:
                    if r.get("full"):
                        book.snapshot(r["u"], r["b"], r["a"])
                    else:
                        assert book.id is not None
                        assert r["U"] == book.id + 1  # strictly chained
                        book.delta(r)
                assert book.applied >= 3 and book.gaps == 0
            _, snap, _ = await get(
                session, rest(sim, "order_book?currency_pair=ETH_USDT&limit=100&with_id=true")
            )
            assert snap["id"] == book.id
            assert [list(x) for x in book.sides()[1]] == snap["asks"]


async def test_skip_seq_every_leaves_gaps(session: aiohttp.ClientSession) -> None:
    async with manual_sim(["gateio"]) as sim:
        sim.faults.skip_seq_every = 4
        async with session.ws_connect(ws_url(sim)) as ws:
            await ws.send_str(request("spot.order_book_update", ["BTC_USDT", "100ms"]))
            early = await acked(ws)
            await advance(sim, 14)
            got = updates(early + await frames(ws, 0.5), "spot.order_book_update")
        assert got[0]["full"] is True
        deltas = got[1:]
        assert len(deltas) >= 8
        last = got[0]["u"]
        gaps = []
        for i, r in enumerate(deltas, start=1):
            if r["U"] != last + 1:
                gaps.append(i)
            last = r["u"]
        # Delta 4 of the connection was withheld, so the one received 4th opens a gap.
        assert gaps and gaps[0] == 4


# ---------------------------------------------------------------------------- REST


async def test_rest_shapes(sim: SimServer, session: aiohttp.ClientSession) -> None:
    status, pairs, headers = await get(session, rest(sim, "currency_pairs"))
    assert status == 200 and headers["X-Gate-RateLimit-Limit"] == "200"
    (_, _, body), *_ = load("gateio_rest.txt").rest
    real = next(p for p in json.loads(body) if p["id"] == "BTC_USDT")
    by_id = {p["id"]: p for p in pairs}
    btc = by_id["BTC_USDT"]
    assert_like(btc, real)
    assert (btc["base"], btc["quote"], btc["trade_status"]) == ("BTC", "USDT", "tradable")
    assert isinstance(btc["precision"], int) and isinstance(btc["amount_precision"], int)
    _, one, _ = await get(session, rest(sim, "currency_pairs/ETH_USDT"))
    assert one["id"] == "ETH_USDT"

    _, tickers, _ = await get(session, rest(sim, "tickers"))
    assert {t["currency_pair"] for t in tickers} == set(by_id)
    _, (t,), _ = await get(session, rest(sim, "tickers?currency_pair=BTC_USDT"))
    assert_like(t, recorded("spot.tickers")["result"])
    assert {"lowest_size", "highest_size", "change_utc0", "change_utc8"} <= set(t)

    _, book, _ = await get(session, rest(sim, "order_book?currency_pair=BTC_USDT"))
    assert "id" not in book and len(book["asks"]) == 10 and len(book["bids"]) == 10
    assert isinstance(book["current"], int) and isinstance(book["update"], int)
    real_book = json.loads(load("gateio_depth_rest.txt").rest[0][2])
    _, book, _ = await get(session, rest(sim, "order_book?currency_pair=BTC_USDT&with_id=true"))
    assert_like(book, real_book)
    precision = btc["precision"]
    for px, _amount in book["bids"] + book["asks"]:
        assert len(px.split(".")[1]) <= precision if "." in px else True

    _, trades, _ = await get(session, rest(sim, "trades?currency_pair=BTC_USDT&limit=20"))
    assert len(trades) == 20
    assert set(trades[0]) >= {
        "id", "create_time", "create_time_ms", "currency_pair", "side", "amount", "price",
        "sequence_id",
    }  # fmt: skip
    assert all(isinstance(trades[0][k], str) for k in ("id", "create_time", "create_time_ms"))
    times = [float(x["create_time_ms"]) for x in trades]
    assert times == sorted(times, reverse=True)  # newest first

    _, rows, _ = await get(
        session, rest(sim, "candlesticks?currency_pair=BTC_USDT&interval=5m&limit=8")
    )
    assert len(rows) == 8
    starts = [int(r[0]) for r in rows]
    assert starts == sorted(starts) and all(s % 300 == 0 for s in starts)  # oldest first, s
    for r in rows:  # [t, quote volume, close, high, low, open, base volume, closed]
        assert len(r) == 8 and all(isinstance(x, str) for x in r)
        c, h, lo, o = float(r[2]), float(r[3]), float(r[4]), float(r[5])
        assert lo <= min(o, c) <= max(o, c) <= h
        assert float(r[1]) == pytest.approx(float(r[6]) * (o + c) / 2, rel=0.05) or float(r[6]) == 0
    assert [r[7] for r in rows[:-1]] == ["true"] * 7
    open_now = int(rows[-1][0]) + 300 > sim.market.now_ms / 1000
    assert rows[-1][7] == ("false" if open_now else "true")
    frm = starts[2]
    _, ranged, _ = await get(
        session,
        rest(sim, f"candlesticks?currency_pair=BTC_USDT&interval=5m&from={frm}&to={starts[5]}"),
    )
    assert [int(r[0]) for r in ranged] == starts[2:6]


async def test_rest_errors_and_rate_limit(session: aiohttp.ClientSession) -> None:
    async with SimServer(seed=3, venues=["gateio"]) as sim:
        for path, status, label in (
            ("order_book", 400, "MISSING_REQUIRED_PARAM"),
            ("order_book?currency_pair=NOPE_USDT", 400, "INVALID_CURRENCY_PAIR"),
            ("candlesticks?currency_pair=BTC_USDT&interval=2m", 400, "INVALID_PARAM_VALUE"),
            ("candlesticks?currency_pair=BTC_USDT&limit=5&from=1", 400, "INVALID_PARAM_VALUE"),
        ):
            got, body, _ = await get(session, rest(sim, path))
            assert (got, body["label"]) == (status, label), path
            assert body["message"]
        codes = []
        headers: Any = None
        body = None
        for _ in range(201):
            got, body, headers = await get(session, rest(sim, "tickers?currency_pair=BTC_USDT"))
            codes.append(got)
        assert codes[:196].count(200) == 196 and codes[-1] == 429
        assert body["label"] == "TOO_MANY_REQUESTS"
        assert headers["X-Gate-RateLimit-Requests-Remain"] == "0"
        # Per endpoint: another one still answers.
        got, _, _ = await get(session, rest(sim, "currency_pairs/BTC_USDT"))
        assert got == 200


# ---------------------------------------------------------------------------- faults, venues


async def test_generic_faults_act_on_gateio(sim: SimServer, session: aiohttp.ClientSession) -> None:
    sim.faults.drop_after = 4
    async with session.ws_connect(ws_url(sim)) as ws:
        await ws.send_str(request("spot.book_ticker", ["BTC_USDT", "ETH_USDT"]))
        got = await frames(ws, 4)
    assert len(updates(got, "spot.book_ticker")) == 4 and len(acks(got)) == 1
    sim.faults.drop_after = None
    sim.faults.stall = True
    async with session.ws_connect(ws_url(sim)) as ws:
        await ws.send_str(request("spot.trades", ["BTC_USDT"]))
        assert await frames(ws, 0.6) == []
    sim.faults.stall = False
    sim.faults.refuse_rate_limit = True
    with pytest.raises(aiohttp.WSServerHandshakeError) as info:
        await session.ws_connect(ws_url(sim))
    assert info.value.status == 429


async def test_time_is_checked_against_the_server_clock(
    sim: SimServer, session: aiohttp.ClientSession
) -> None:
    venue(sim, "gateio").clock = lambda: time.time() + 600  # the server's clock, not ours
    async with session.ws_connect(ws_url(sim)) as ws:
        await ws.send_str(request("spot.tickers", ["BTC_USDT"]))
        got = await frames(ws, 3, until=lambda fs: bool(acks(fs)))
        assert acks(got)[0]["error"]["code"] == 2
        await ws.send_str(request("spot.tickers", ["BTC_USDT"], time=int(time.time()) + 590))
        got = await frames(ws, 3, until=lambda fs: bool(acks(fs)))
        assert acks(got)[0]["result"] == {"status": "success"}


async def test_prices_agree_with_okx_and_binance(session: aiohttp.ClientSession) -> None:
    async with SimServer(seed=5, venues=["okx", "binance", "gateio"], rate_limits=False) as sim:
        await asyncio.sleep(0.3)
        okx = sim.endpoints["okx"]["rest"]
        bn = sim.endpoints["binance"]["rest"]
        for base in ("BTC", "ETH", "SOL"):
            _, body, _ = await get(session, f"{okx}/api/v5/market/books?instId={base}-USDT")
            (ob,) = body["data"]
            okx_mid = (float(ob["bids"][0][0]) + float(ob["asks"][0][0])) / 2
            _, t, _ = await get(session, f"{bn}/api/v3/ticker/24hr?symbol={base}USDT")
            bn_mid = (float(t["bidPrice"]) + float(t["askPrice"])) / 2
            _, (g,), _ = await get(session, rest(sim, f"tickers?currency_pair={base}_USDT"))
            gate_mid = (float(g["highest_bid"]) + float(g["lowest_ask"])) / 2
            assert abs(gate_mid / okx_mid - 1) < 0.006, base
            assert abs(gate_mid / bn_mid - 1) < 0.006, base


# ---------------------------------------------------------------------------- the project's codec


async def test_frames_decode_with_the_project_codec(
    sim: SimServer, session: aiohttp.ClientSession
) -> None:
    codec_module = pytest.importorskip("dantaro_tui.exchanges.gateio")
    codec = codec_module.GateioCodec()
    async with session.ws_connect(ws_url(sim)) as ws:
        for channel, payload in (
            ("spot.tickers", ["BTC_USDT"]),
            ("spot.trades", ["BTC_USDT"]),
            ("spot.candlesticks", ["1m", "BTC_USDT"]),
            ("spot.book_ticker", ["BTC_USDT"]),
        ):
            await ws.send_str(request(channel, payload))
        raw: list[str] = []
        deadline = time.monotonic() + 6
        while time.monotonic() < deadline and len(raw) < 40:
            msg = await ws.receive(timeout=3)
            raw.append(msg.data)
    errors = []
    for frame in raw:
        for ev in codec.decode(frame, time.time_ns()):
            if getattr(ev, "kind", None) == "error":
                errors.append((frame[:160], ev))
    assert errors == [], [str(e)[:400] for _, e in errors[:3]]


async def test_project_client_syncs_and_resyncs(sim: SimServer) -> None:
    pytest.importorskip("dantaro_tui.exchanges.gateio")
    await project_client_survives_gaps(sim, "gateio", "BTC_USDT")
