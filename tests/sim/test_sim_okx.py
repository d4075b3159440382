"""The simulated OKX v5 API, spoken to over real sockets as a third-party client would
(aiohttp, with an order book and checksum written here, not the project's codec), checked
against the recorded real frames and the protocol reference (exchanges.md section 2). The
last test runs the project's own client against it, end to end."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import zlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest

from dantaro_tui.sim.server import SimServer
from tests.recorded import load
from tests.sim.helpers import fast_sim

Frame = dict[str, Any]


@pytest.fixture
async def sim() -> AsyncIterator[SimServer]:
    async with fast_sim(seed=11, intensity=4.0, venues=["okx"]) as server:
        yield server


def ws_url(sim: SimServer, path: str = "public") -> str:
    return f"{sim.endpoints['okx']['ws']}/ws/v5/{path}"


def rest_url(sim: SimServer, path: str) -> str:
    return f"{sim.endpoints['okx']['rest']}/api/v5/{path}"


def request(op: str, *args: tuple[str, str], rid: str = "1") -> str:
    return json.dumps({"id": rid, "op": op, "args": [{"channel": c, "instId": i} for c, i in args]})


async def subscribe(
    ws: aiohttp.ClientWebSocketResponse,
    *args: tuple[str, str],
    op: str = "subscribe",
    rid: str = "1",
) -> None:
    await ws.send_str(request(op, *args, rid=rid))


async def frames(
    ws: aiohttp.ClientWebSocketResponse,
    seconds: float,
    until: Callable[[list[Frame]], bool] | None = None,
) -> list[Frame]:
    """JSON frames received within ``seconds`` (or until ``until(frames)`` holds). Every frame
    must be a text frame."""
    out: list[Frame] = []
    deadline = time.monotonic() + seconds
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or (until is not None and until(out)):
            return out
        try:
            msg = await ws.receive(timeout=left)
        except TimeoutError:
            return out
        if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
            return out
        assert msg.type is aiohttp.WSMsgType.TEXT, msg
        out.append(json.loads(msg.data))


def pushes(got: list[Frame], channel: str, action: str | None = None) -> list[Frame]:
    return [
        f
        for f in got
        if "data" in f
        and f["arg"]["channel"] == channel
        and (action is None or f.get("action") == action)
    ]


# ---------------------------------------------------------------------------- an independent book


def crc(bids: list[tuple[str, str]], asks: list[tuple[str, str]]) -> int:
    """OKX's checksum (exchanges.md 2.5 item 4), written independently of the simulator."""
    pieces = []
    for bid, ask in itertools.zip_longest(bids[:25], asks[:25]):
        if bid is not None:
            pieces.append(f"{bid[0]}:{bid[1]}")
        if ask is not None:
            pieces.append(f"{ask[0]}:{ask[1]}")
    value = zlib.crc32(":".join(pieces).encode())
    return (value ^ 0x8000_0000) - 0x8000_0000


class Book:
    """A client-side OKX ``books`` keeper: the wire strings as received, merged."""

    def __init__(self, strict: bool = True) -> None:
        self.strict = strict  # the simulator never deletes a level it did not send
        self.bids: dict[str, str] = {}
        self.asks: dict[str, str] = {}
        self.seq: int | None = None
        self.bad_checksums: list[int] = []  # update numbers (1-based) whose checksum failed
        self.gaps: list[int] = []  # update numbers whose prevSeqId broke the chain
        self.updates = 0

    def sides(self) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        bids = sorted(self.bids.items(), key=lambda kv: -float(kv[0]))
        asks = sorted(self.asks.items(), key=lambda kv: float(kv[0]))
        return bids, asks

    def apply(self, frame: Frame) -> None:
        (d,) = frame["data"]
        if frame["action"] == "snapshot":
            assert d["prevSeqId"] == -1
            self.bids = {lv[0]: lv[1] for lv in d["bids"]}
            self.asks = {lv[0]: lv[1] for lv in d["asks"]}
        else:
            self.updates += 1
            if d["prevSeqId"] != self.seq:
                self.gaps.append(self.updates)
            for side, levels in ((self.bids, d["bids"]), (self.asks, d["asks"])):
                for px, sz, *_ in levels:
                    if float(sz) == 0:
                        assert px in side or not self.strict, f"deleting a missing level {px}"
                        side.pop(px, None)
                    else:
                        side[px] = sz
        self.seq = d["seqId"]
        bids, asks = self.sides()
        if crc(bids, asks) != d["checksum"]:
            assert frame["action"] == "update", "a snapshot with a wrong checksum"
            self.bad_checksums.append(self.updates)
        assert float(bids[0][0]) < float(asks[0][0]), "crossed book"


def test_simulator_checksum_agrees_with_real_okx() -> None:
    """The simulator's own CRC over the recorded real books reproduces OKX's checksums."""
    from dantaro_tui.sim.okx_wire import book_checksum

    books: dict[str, Book] = {}
    checked = 0
    for _, raw in load("okx_ws.txt").received:
        msg = json.loads(raw)
        if msg.get("arg", {}).get("channel") != "books" or "data" not in msg:
            continue
        book = books.setdefault(msg["arg"]["instId"], Book(strict=False))
        (d,) = msg["data"]
        # The 2022 recording predates seqId/prevSeqId: chain it as if they were there.
        d.setdefault("prevSeqId", -1 if msg["action"] == "snapshot" else book.seq)
        d.setdefault("seqId", checked)
        book.apply(msg)
        assert book.bad_checksums == []
        assert book_checksum(*book.sides()) == d["checksum"]
        checked += 1
    assert checked > 200


def test_diff_rows_turn_one_book_into_the_next() -> None:
    from dantaro_tui.sim.okx_wire import diff_rows

    old = {"100.1": "1", "100.0": "2", "99.5": "0.3"}
    new = [("100.2", "0.5"), ("100.1", "1"), ("99.5", "0.4")]
    got = diff_rows(old, new, descending=True)
    assert [r[:2] for r in got] == [["100.2", "0.5"], ["100.0", "0"], ["99.5", "0.4"]]
    merged = dict(old)
    for px, sz, *_ in got:
        if sz == "0":
            del merged[px]
        else:
            merged[px] = sz
    assert merged == dict(new)


# ---------------------------------------------------------------------------- recorded shapes


def recorded(channel: str, action: str | None = None) -> Frame:
    for _, raw in load("okx_ws.txt").received:
        msg = json.loads(raw)
        arg = msg.get("arg", {})
        if (
            "data" in msg
            and arg.get("channel") == channel
            and arg.get("instId") == "BTC-USDT"
            and (action is None or msg.get("action") == action)
        ):
            return msg
    raise AssertionError(f"no recorded {channel} {action} frame")


def types_of(obj: dict[str, Any]) -> dict[str, type]:
    return {k: type(v) for k, v in obj.items()}


def assert_like(sim_obj: dict[str, Any], real_obj: dict[str, Any]) -> None:
    """Every field of the real object is present with the same JSON type."""
    real = types_of(real_obj)
    mine = types_of(sim_obj)
    missing = set(real) - set(mine)
    assert not missing, f"missing fields {missing}"
    assert {k: mine[k] for k in real} == real


async def test_frames_match_the_recorded_ones(
    sim: SimServer, session: aiohttp.ClientSession
) -> None:
    async with session.ws_connect(ws_url(sim)) as ws:
        await subscribe(ws, ("tickers", "BTC-USDT"), ("trades", "BTC-USDT"), ("books", "BTC-USDT"))
        got = await frames(
            ws,
            10,
            until=lambda fs: bool(
                pushes(fs, "trades")
                and pushes(fs, "books", "update")
                and len(pushes(fs, "tickers")) > 1
            ),
        )
    acks = [f for f in got if f.get("event") == "subscribe"]
    assert [a["arg"] for a in acks] == [
        {"channel": "tickers", "instId": "BTC-USDT"},
        {"channel": "trades", "instId": "BTC-USDT"},
        {"channel": "books", "instId": "BTC-USDT"},
    ]
    assert all(a["id"] == "1" and isinstance(a["connId"], str) for a in acks)

    for channel, action in (
        ("tickers", None),
        ("trades", None),
        ("books", "snapshot"),
        ("books", "update"),
    ):
        real = recorded(channel, action)
        mine = pushes(got, channel, action)[0]
        assert set(mine) == set(real), channel  # envelope: arg, data (+ action for books)
        assert mine["arg"] == {"channel": channel, "instId": "BTC-USDT"}
        assert_like(mine["data"][0], real["data"][0])
    ticker = pushes(got, "tickers")[-1]["data"][0]
    assert all(isinstance(v, str) for v in ticker.values())
    assert float(ticker["bidPx"]) < float(ticker["askPx"])
    assert float(ticker["low24h"]) <= float(ticker["last"]) <= float(ticker["high24h"])
    trade = pushes(got, "trades")[0]["data"][0]
    assert trade["side"] in ("buy", "sell") and isinstance(trade["seqId"], int)
    for action in ("snapshot", "update"):
        d = pushes(got, "books", action)[0]["data"][0]
        assert isinstance(d["seqId"], int) and isinstance(d["prevSeqId"], int)
        for level in d["asks"] + d["bids"]:
            assert len(level) == 4 and all(isinstance(x, str) for x in level) and level[2] == "0"
    snap = pushes(got, "books", "snapshot")[0]["data"][0]
    assert snap["prevSeqId"] == -1 and len(snap["bids"]) >= 25 and len(snap["asks"]) >= 25
    # Numbers as OKX writes them: plain decimals on the tick grid, no exponent, no padding.
    for px in [lv[0] for lv in snap["bids"] + snap["asks"]] + [ticker["last"]]:
        assert "e" not in px.lower() and not (px.endswith("0") and "." in px)
        assert abs(round(float(px), 1) - float(px)) < 1e-9  # BTC-USDT tick 0.1


async def test_books_checksums_and_sequence_chain(
    sim: SimServer, session: aiohttp.ClientSession
) -> None:
    async with session.ws_connect(ws_url(sim)) as ws:
        await subscribe(ws, ("books", "BTC-USDT"), ("books", "DOGE-USDT"))
        got = await frames(ws, 4, until=lambda fs: len(pushes(fs, "books", "update")) >= 40)
    books = {"BTC-USDT": Book(), "DOGE-USDT": Book()}
    for f in pushes(got, "books"):
        books[f["arg"]["instId"]].apply(f)
        (d,) = f["data"]
        if f["action"] == "update":
            assert d["seqId"] > d["prevSeqId"]  # no heartbeats in a busy market
    for book in books.values():
        assert book.updates >= 3
        assert book.bad_checksums == [] and book.gaps == []


async def test_shallow_books(sim: SimServer, session: aiohttp.ClientSession) -> None:
    async with session.ws_connect(ws_url(sim)) as ws:
        await subscribe(ws, ("books5", "ETH-USDT"), ("bbo-tbt", "ETH-USDT"))
        got = await frames(
            ws, 3, until=lambda fs: len(pushes(fs, "books5")) > 2 and len(pushes(fs, "bbo-tbt")) > 2
        )
    for channel, depth in (("books5", 5), ("bbo-tbt", 1)):
        seen = pushes(got, channel)
        assert len(seen) > 2
        for f in seen:
            assert "action" not in f
            (d,) = f["data"]
            assert len(d["bids"]) == depth and len(d["asks"]) == depth
            assert float(d["bids"][0][0]) < float(d["asks"][0][0])
            assert isinstance(d["ts"], str) and "checksum" not in d


async def test_acks_per_arg_and_errors(sim: SimServer, session: aiohttp.ClientSession) -> None:
    async with session.ws_connect(ws_url(sim)) as ws:
        await subscribe(
            ws, ("tickers", "ETH-USDT"), ("tickers", "NOPE-USDT"), ("trades", "SOL-USDT"), rid="7"
        )
        got = await frames(ws, 3, until=lambda fs: len([f for f in fs if "event" in f]) >= 3)
        events = [f for f in got if "event" in f]
        assert [e["event"] for e in events] == ["subscribe", "error", "subscribe"]
        assert events[1]["code"] == "60018" and "NOPE-USDT" in events[1]["msg"]
        assert events[1]["id"] == "7" and isinstance(events[1]["connId"], str)
        assert {e["arg"]["instId"] for e in events if e["event"] == "subscribe"} == {
            "ETH-USDT",
            "SOL-USDT",
        }

        # A candle channel belongs on /business.
        await subscribe(ws, ("candle1m", "BTC-USDT"), rid="8")
        got = await frames(ws, 3, until=lambda fs: any(f.get("id") == "8" for f in fs))
        err = next(f for f in got if f.get("id") == "8")
        assert err["event"] == "error" and err["code"] == "60018" and "candle1m" in err["msg"]

        await subscribe(ws, ("tickers", "ETH-USDT"), op="unsubscribe", rid="9")
        got = await frames(ws, 3, until=lambda fs: any(f.get("event") == "unsubscribe" for f in fs))
        ack = next(f for f in got if f.get("event") == "unsubscribe")
        assert ack["arg"] == {"channel": "tickers", "instId": "ETH-USDT"} and ack["id"] == "9"
        await frames(ws, 0.3)  # whatever was in flight
        assert not pushes(await frames(ws, 1.0), "tickers")

        for raw, code in (
            ("{not json", "60012"),
            (json.dumps({"op": "subscribe"}), "60012"),
            (json.dumps({"op": "login", "args": [{}]}), "60019"),
            (json.dumps({"op": "subscribe", "args": ["tickers"]}), "60012"),
            (request("subscribe", ("nope", "BTC-USDT")), "60018"),
            (request("subscribe", ("tickers", "BTC-USDT"), rid="not-alnum!"), "60012"),
        ):
            await ws.send_str(raw)
            got = await frames(ws, 3, until=lambda fs: any(f.get("event") == "error" for f in fs))
            err = next(f for f in got if f.get("event") == "error")
            assert err["code"] == code, raw
            assert isinstance(err["msg"], str) and err["msg"]

    async with session.ws_connect(ws_url(sim, "business")) as ws:
        await subscribe(
            ws, ("tickers", "BTC-USDT"), ("candle1m", "BTC-USDT"), ("candle1D", "BTC-USDT")
        )
        got = await frames(
            ws,
            3,
            until=lambda fs: len(pushes(fs, "candle1D")) >= 1 and len(pushes(fs, "candle1m")) >= 1,
        )
        errors = [f for f in got if f.get("event") == "error"]
        assert len(errors) == 1 and errors[0]["code"] == "60018" and "tickers" in errors[0]["msg"]
        for channel in ("candle1m", "candle1D"):
            row = pushes(got, channel)[0]["data"][0]
            assert len(row) == 9 and all(isinstance(x, str) for x in row)
            ts, o, h, lo, c = int(row[0]), *map(float, row[1:5])
            assert lo <= min(o, c) <= max(o, c) <= h and row[8] in ("0", "1")
            if channel == "candle1D":  # OKX's 1D bar opens at midnight UTC+8
                assert (ts + 8 * 3_600_000) % 86_400_000 == 0


async def test_ping_pong_and_idle_close(sim: SimServer, session: aiohttp.ClientSession) -> None:
    async with session.ws_connect(ws_url(sim)) as ws:
        await ws.send_str("ping")
        msg = await ws.receive(timeout=2)
        assert msg.type is aiohttp.WSMsgType.TEXT and msg.data == "pong"
    sim.idle_timeout = 0.5
    async with session.ws_connect(ws_url(sim)) as ws:
        started = time.monotonic()
        msg = await ws.receive(timeout=5)  # no subscription, nothing sent: OKX hangs up
        assert msg.type in (
            aiohttp.WSMsgType.CLOSE,
            aiohttp.WSMsgType.CLOSED,
            aiohttp.WSMsgType.ERROR,
        )
        assert time.monotonic() - started < 3
    async with session.ws_connect(ws_url(sim)) as ws:  # pinging alone does not keep it open
        closed_with = None
        for _ in range(15):
            try:
                await ws.send_str("ping")
            except ConnectionError:
                closed_with = -1
                break
            msg = await ws.receive(timeout=1)
            if msg.type is not aiohttp.WSMsgType.TEXT:
                closed_with = msg.data if msg.type is aiohttp.WSMsgType.CLOSE else -1
                break
            await asyncio.sleep(0.2)
        assert closed_with in (4004, -1)


async def test_connection_and_operation_limits(session: aiohttp.ClientSession) -> None:
    async with SimServer(seed=3, venues=["okx"], step_interval=0.05) as sim:
        socks = []
        statuses = []
        for _ in range(4):
            try:
                socks.append(await session.ws_connect(ws_url(sim)))
                statuses.append(101)
            except aiohttp.WSServerHandshakeError as exc:
                statuses.append(exc.status)
        assert statuses == [101, 101, 101, 429]  # 3 connection attempts a second
        ws = socks[0]
        for i in range(480):
            await ws.send_str(request("unsubscribe", ("tickers", "BTC-USDT"), rid=str(i)))
        await ws.send_str(request("subscribe", ("tickers", "BTC-USDT"), rid="last"))
        got = await frames(ws, 5, until=lambda fs: any(f.get("id") == "last" for f in fs))
        assert sum(f.get("event") == "unsubscribe" for f in got) == 480
        last = next(f for f in got if f.get("id") == "last")
        assert last["event"] == "error" and last["code"] == "60014"
        for s in socks:
            await s.close()


# ---------------------------------------------------------------------------- faults


async def test_fault_switches_break_checksums_and_sequence(
    sim: SimServer, session: aiohttp.ClientSession
) -> None:
    sim.faults.corrupt_checksum_every = 3
    async with session.ws_connect(ws_url(sim)) as ws:
        await subscribe(ws, ("books", "BTC-USDT"))
        got = await frames(ws, 6, until=lambda fs: len(pushes(fs, "books", "update")) >= 9)
    book = Book()
    for f in pushes(got, "books"):
        book.apply(f)
    assert book.updates >= 9
    assert book.bad_checksums == list(range(3, book.updates + 1, 3))
    assert book.gaps == []

    sim.faults.corrupt_checksum_every = None
    sim.faults.skip_seq_every = 4
    async with session.ws_connect(ws_url(sim)) as ws:
        await subscribe(ws, ("books", "ETH-USDT"))
        got = await frames(ws, 6, until=lambda fs: len(pushes(fs, "books", "update")) >= 8)
    book = Book()
    for f in pushes(got, "books"):
        book.apply(f)
    assert book.updates >= 8
    assert book.gaps == list(range(4, book.updates + 1, 4))
    assert book.bad_checksums == []  # the levels stay right: only the chain is broken


# ---------------------------------------------------------------------------- REST


def recorded_instrument() -> Frame:
    (_, _, body), *_ = load("okx_rest.txt").rest
    return json.loads(body)["data"][0]


async def get(session: aiohttp.ClientSession, url: str) -> tuple[int, Frame]:
    async with session.get(url) as resp:
        return resp.status, await resp.json()


async def test_rest_shapes(sim: SimServer, session: aiohttp.ClientSession) -> None:
    status, body = await get(session, rest_url(sim, "public/instruments?instType=SPOT"))
    assert status == 200 and body["code"] == "0" and body["msg"] == ""
    insts = {i["instId"]: i for i in body["data"]}
    assert 30 <= len(insts) <= 60
    assert {"BTC-USDT", "ETH-USDT", "XRP-USDT", "SOL-USDT", "DOGE-USDT"} <= set(insts)
    btc = insts["BTC-USDT"]
    assert_like(btc, recorded_instrument())
    fields = ("baseCcy", "quoteCcy", "tickSz", "lotSz", "state")
    assert [btc[k] for k in fields] == ["BTC", "USDT", "0.1", "0.00000001", "live"]
    for inst in insts.values():
        assert all(isinstance(v, str) for v in inst.values())
        assert float(inst["tickSz"]) > 0 and float(inst["minSz"]) >= float(inst["lotSz"]) > 0

    status, body = await get(session, rest_url(sim, "market/tickers?instType=SPOT"))
    assert status == 200 and {t["instId"] for t in body["data"]} == set(insts)
    status, body = await get(session, rest_url(sim, "market/ticker?instId=BTC-USDT"))
    (ticker,) = body["data"]
    assert_like(ticker, recorded("tickers")["data"][0])

    _, body = await get(session, rest_url(sim, "market/books?instId=BTC-USDT"))
    (book,) = body["data"]
    assert set(book) >= {"asks", "bids", "ts"}
    assert len(book["asks"]) == 1 and len(book["bids"]) == 1  # sz defaults to 1
    _, body = await get(session, rest_url(sim, "market/books?instId=BTC-USDT&sz=20"))
    (book,) = body["data"]
    assert len(book["asks"]) == 20 and len(book["bids"]) == 20
    assert float(book["bids"][0][0]) < float(book["asks"][0][0])
    bid_prices = [float(b[0]) for b in book["bids"]]
    assert bid_prices == sorted(bid_prices, reverse=True)

    _, body = await get(session, rest_url(sim, "market/trades?instId=BTC-USDT&limit=50"))
    trades = body["data"]
    assert len(trades) == 50
    assert_like(trades[0], recorded("trades")["data"][0])
    ids = [int(t["tradeId"]) for t in trades]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 50  # newest first, increasing ids


async def test_rest_candles_paging(sim: SimServer, session: aiohttp.ClientSession) -> None:
    url = rest_url(sim, "market/candles?instId=ETH-USDT&bar=5m&limit=10")
    _, body = await get(session, url)
    page = body["data"]
    assert len(page) == 10
    starts = [int(r[0]) for r in page]
    assert starts == sorted(starts, reverse=True) and all(s % 300_000 == 0 for s in starts)
    assert all(len(r) == 9 and all(isinstance(x, str) for x in r) for r in page)
    assert [r[8] for r in page[1:]] == ["1"] * 9
    _, body = await get(session, url + f"&after={starts[-1]}")
    older = [int(r[0]) for r in body["data"]]
    assert len(older) == 10 and max(older) < starts[-1]
    _, body = await get(session, url + f"&before={starts[3]}")
    assert [int(r[0]) for r in body["data"]] == starts[:3]
    _, body = await get(session, rest_url(sim, "market/candles?instId=ETH-USDT&bar=1Dutc&limit=3"))
    assert all(int(r[0]) % 86_400_000 == 0 for r in body["data"])
    _, body = await get(session, rest_url(sim, "market/candles?instId=ETH-USDT"))
    assert len(body["data"]) == 100 and int(body["data"][0][0]) % 60_000 == 0  # 1m, 100 by default
    _, body = await get(
        session, rest_url(sim, "market/history-candles?instId=ETH-USDT&bar=1s&limit=5")
    )
    assert len(body["data"]) == 5


async def test_rest_errors(sim: SimServer, session: aiohttp.ClientSession) -> None:
    for path, status, code in (
        ("market/ticker", 400, "50014"),
        ("market/ticker?instId=NOPE-USDT", 200, "51001"),
        ("market/books?instId=BTC-USDT&sz=401", 400, "51000"),
        ("market/candles?instId=BTC-USDT&bar=1h", 400, "51000"),  # case-sensitive: 1H
        ("public/instruments", 400, "50014"),
    ):
        got_status, body = await get(session, rest_url(sim, path))
        assert (got_status, body["code"]) == (status, code), path
        assert body["data"] == [] and body["msg"]


async def test_rest_rate_limit(session: aiohttp.ClientSession) -> None:
    async with SimServer(seed=3, venues=["okx"]) as sim:
        codes = [
            (await get(session, rest_url(sim, "market/ticker?instId=BTC-USDT")))[1]["code"]
            for _ in range(21)
        ]
        assert codes[:20] == ["0"] * 20 and codes[20] == "50011"


# ---------------------------------------------------------------------------- across venues


async def test_kimchi_premium_between_upbit_and_okx(session: aiohttp.ClientSession) -> None:
    async with SimServer(
        seed=5, kimchi_premium=3.5, venues=["upbit", "okx"], rate_limits=False
    ) as sim:
        await asyncio.sleep(0.5)
        upbit = sim.endpoints["upbit"]["rest"]
        async with session.get(
            f"{upbit}/v1/orderbook?markets=KRW-BTC,KRW-ETH,KRW-USDT&count=1"
        ) as resp:
            units = {row["market"]: row["orderbook_units"][0] for row in await resp.json()}
        krw = {m: (u["bid_price"], u["ask_price"]) for m, u in units.items()}
        for base in ("BTC", "ETH"):
            _, body = await get(session, rest_url(sim, f"market/books?instId={base}-USDT"))
            (book,) = body["data"]
            okx = (float(book["bids"][0][0]), float(book["asks"][0][0]))
            mid = lambda q: (q[0] + q[1]) / 2  # noqa: E731
            premium = mid(krw[f"KRW-{base}"]) / (mid(okx) * mid(krw["KRW-USDT"])) - 1
            # Tolerance: the three books' relative spreads plus each venue's own price noise.
            spread = sum((q[1] - q[0]) / mid(q) for q in (okx, krw[f"KRW-{base}"], krw["KRW-USDT"]))
            assert abs(premium - 0.035) < spread + 0.004, (base, premium)


# ---------------------------------------------------------------------------- the project's client


async def test_project_client_agrees_end_to_end(sim: SimServer) -> None:
    from dantaro_tui import OrderBook, WebSocketClient

    books: list[OrderBook] = []
    client = WebSocketClient("t", exchange="okx", url=sim.endpoints["okx"]["ws"])
    try:
        await client.subscribe_orderbook(["BTC-USDT"], books.append)
        for _ in range(100):
            if len(books) >= 3:
                break
            await asyncio.sleep(0.05)
        assert len(books) >= 3 and books[0].snapshot
        assert client.health().errors == 0
        sim.faults.corrupt_checksum_every = 3
        before = len(books)
        for _ in range(100):
            if client.health().errors >= 2 and len(books) > before + 3:
                break
            await asyncio.sleep(0.05)
        health = client.health()
        assert health.errors >= 2 and "checksum" in health.last_error
        assert len(books) > before + 3  # it resynchronised and kept delivering
        for book in books:
            assert book.symbol == "BTC-USDT" and book.bids and book.asks
            assert book.bids[0].price < book.asks[0].price
    finally:
        await client.cleanup()
