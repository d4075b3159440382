"""The simulator, driven the way widely used third-party clients drive the real exchanges.

Nothing here uses the project's codecs: requests are written as pyupbit, ccxt/ccxt.pro,
cryptofeed and the exchanges' own documentation write them, sent over real sockets with the
``websockets`` and ``aiohttp`` libraries, and the answers are checked against the field
names and JSON types of the documentation samples (``tests/exchanges/test_docs_samples.py``).

What the clients send (from their sources):

* pyupbit ``WebSocketManager``: ``websockets.connect(uri, ping_interval=60)``, a text frame
  ``[{"ticket": <6 chars>}, {"type": ..., "codes": [...], "isOnlyRealtime": true}]``, no
  format object (so DEFAULT), reads binary frames. REST through ``requests``: a list of
  markets becomes repeated ``markets=`` parameters; candles ``to`` as ``%Y-%m-%d %H:%M:%S``.
* ccxt.pro upbit: ``[{"ticket": uuid}, {"type": t, "codes": [one]}, {"type": t, ...}, ...]``,
  one type object per symbol, no format; ccxt upbit REST uses ``candles/{timeframe}``
  (weeks, months) as well as ``candles/minutes/{unit}``.
* cryptofeed upbit: ``[{"ticket": uuid}, {"format": "SIMPLE"}, {"type": "trade", ...,
  "isOnlyRealtime": true}, {"type": "orderbook", ...}]``: the format object comes second.
* ccxt.pro okx: ``{"op": "subscribe", "args": [...]}`` without ``id``, several args per
  request, keepalive the text ``ping``. cryptofeed okx re-sends the whole (growing) arg list.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
import uuid
import zlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
import websockets

from dantaro_tui.sim.server import SimServer
from tests.exchanges import test_docs_samples as docs
from tests.sim.helpers import fast_sim

Json = Any


@pytest.fixture
async def upbit() -> AsyncIterator[SimServer]:
    server = fast_sim(seed=5)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def okx() -> AsyncIterator[SimServer]:
    server = fast_sim(seed=5, intensity=6.0, venues=["okx"])
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


def keys_of(sample: str) -> set[str]:
    return set(json.loads(sample))


def number(x: object) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


async def upbit_frames(ws: Any, seconds: float, until: int = 10_000) -> list[Json]:
    """Frames received within ``seconds`` (at most ``until``); every one must be binary."""
    out: list[Json] = []
    deadline = time.monotonic() + seconds
    while len(out) < until:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        try:
            raw = await asyncio.wait_for(ws.recv(), left)
        except TimeoutError:
            break
        assert isinstance(raw, bytes), f"Upbit sends binary frames, got {raw!r}"
        out.append(json.loads(raw.decode("utf8")))
    return out


# ============================================================================ Upbit WebSocket


async def test_pyupbit_websocket_manager(upbit: SimServer) -> None:
    """pyupbit: camelCase isOnlyRealtime, no format object (DEFAULT), WS pings."""
    uri = upbit.endpoints["upbit"]["ws"]
    async with websockets.connect(uri, ping_interval=0.2, ping_timeout=1.0) as ws:
        data = [
            {"ticket": str(uuid.uuid4())[:6]},
            {"type": "ticker", "codes": ["KRW-BTC", "KRW-XRP"], "isOnlyRealtime": True},
        ]
        await ws.send(json.dumps(data))
        got = await upbit_frames(ws, 2.5)  # several ping/pong rounds on the way
        assert got and ws.state is websockets.State.OPEN
    docs_keys = keys_of(docs.UPBIT_TICKER)
    for t in got:
        assert set(t) == docs_keys, set(t) ^ docs_keys
        assert t["type"] == "ticker" and t["code"] in ("KRW-BTC", "KRW-XRP")
        assert t["stream_type"] == "REALTIME"  # isOnlyRealtime: no snapshot first
        assert t["change"] in ("RISE", "EVEN", "FALL") and t["ask_bid"] in ("ASK", "BID")
        assert re.fullmatch(r"\d{8}", t["trade_date"]) and re.fullmatch(r"\d{6}", t["trade_time"])
        assert re.fullmatch(r"\d{4}-\d\d-\d\d", t["highest_52_week_date"])
        assert t["market_state"] == "ACTIVE" and t["is_trading_suspended"] is False
        assert t["delisting_date"] is None and t["market_warning"] == "NONE"
        for key, value in json.loads(docs.UPBIT_TICKER).items():
            if number(value):
                assert number(t[key]), (key, t[key])
        assert isinstance(t["timestamp"], int) and isinstance(t["trade_timestamp"], int)


async def test_ccxt_one_type_object_per_symbol(upbit: SimServer) -> None:
    """ccxt.pro: a type object per symbol, repeated types, no format (DEFAULT)."""
    request = [
        {"ticket": str(uuid.uuid4())},
        {"type": "trade", "codes": ["KRW-BTC"]},
        {"type": "trade", "codes": ["KRW-ETH"]},
        {"type": "orderbook", "codes": ["KRW-BTC"]},
        {"type": "ticker", "codes": ["KRW-ETH"]},
    ]
    async with websockets.connect(upbit.endpoints["upbit"]["ws"]) as ws:
        await ws.send(json.dumps(request))
        got = await upbit_frames(ws, 2.0)
    seen = {(f["type"], f["code"]) for f in got}
    assert seen >= {
        ("trade", "KRW-BTC"),
        ("trade", "KRW-ETH"),
        ("orderbook", "KRW-BTC"),
        ("ticker", "KRW-ETH"),
    }
    assert seen <= {
        ("trade", "KRW-BTC"),
        ("trade", "KRW-ETH"),
        ("orderbook", "KRW-BTC"),
        ("ticker", "KRW-ETH"),
    }
    trades = [f for f in got if f["type"] == "trade"]
    assert {f["stream_type"] for f in got} == {"SNAPSHOT", "REALTIME"}
    for t in trades:
        assert set(t) == keys_of(docs.UPBIT_TRADE)
        assert re.fullmatch(r"\d{4}-\d\d-\d\d", t["trade_date"])
        assert re.fullmatch(r"\d\d:\d\d:\d\d", t["trade_time"])
        assert isinstance(t["sequential_id"], int) and t["ask_bid"] in ("ASK", "BID")
        assert all(number(t[k]) for k in ("trade_price", "trade_volume", "best_ask_price"))
        assert t["best_bid_price"] <= t["best_ask_price"]
    books = [f for f in got if f["type"] == "orderbook"]
    assert books and books[0]["stream_type"] == "SNAPSHOT"
    for b in books:
        assert set(b) == keys_of(docs.UPBIT_ORDERBOOK)
        assert len(b["orderbook_units"]) == 30 and b["level"] == 0
        assert set(b["orderbook_units"][0]) == {"ask_price", "bid_price", "ask_size", "bid_size"}
        assert b["orderbook_units"][0]["bid_price"] < b["orderbook_units"][0]["ask_price"]


async def test_cryptofeed_format_object_second(upbit: SimServer) -> None:
    """cryptofeed puts {"format": "SIMPLE"} right after the ticket; SIMPLE keys come back."""
    codes = ["KRW-BTC", "KRW-XRP", "BTC-ETH"]
    request = [
        {"ticket": str(uuid.uuid4())},
        {"format": "SIMPLE"},
        {"type": "orderbook", "codes": codes, "isOnlyRealtime": True},
        {"type": "trade", "codes": codes, "isOnlyRealtime": True},
    ]
    async with websockets.connect(upbit.endpoints["upbit"]["ws"]) as ws:
        await ws.send(json.dumps(request))
        got = await upbit_frames(ws, 1.5)
    assert got and all(f["st"] == "REALTIME" for f in got)
    assert {f["ty"] for f in got} == {"trade", "orderbook"}
    for f in got:
        assert "type" not in f and f["cd"] in codes
        if f["ty"] == "orderbook":
            assert {"obu", "tas", "tbs", "tms", "lv"} <= set(f)
            assert {"ap", "bp", "as", "bs"} == set(f["obu"][0])
        else:
            assert {"tp", "tv", "ab", "sid", "ttms", "td", "ttm"} <= set(f)


async def test_lower_case_and_unknown_codes_are_ignored_silently(upbit: SimServer) -> None:
    request = [
        {"ticket": "t"},
        {"type": "ticker", "codes": ["krw-btc", "KRW-NOPE", "BTC_KRW", "KRW-ETH"]},
        {"format": "SIMPLE"},
    ]
    async with websockets.connect(upbit.endpoints["upbit"]["ws"]) as ws:
        await ws.send(json.dumps(request))
        got = await upbit_frames(ws, 1.0)
        assert ws.state is websockets.State.OPEN
    assert got and {f["cd"] for f in got} == {"KRW-ETH"}
    assert not [f for f in got if "error" in f]


@pytest.mark.parametrize(("code", "units"), [("KRW-BTC.5", 5), ("KRW-BTC.1", 1), ("KRW-BTC.3", 30)])
async def test_orderbook_depth_suffix(upbit: SimServer, code: str, units: int) -> None:
    """``{code}.{n}``: n in 1, 5, 15, 30; anything else means 30. The answer's code has no
    suffix."""
    request = [{"ticket": "t"}, {"type": "orderbook", "codes": [code]}]
    async with websockets.connect(upbit.endpoints["upbit"]["ws"]) as ws:
        await ws.send(json.dumps(request))
        got = await upbit_frames(ws, 0.6, until=3)
    assert got
    for b in got:
        assert b["code"] == "KRW-BTC" and len(b["orderbook_units"]) == units


async def test_text_ping_and_list_subscriptions_as_documented(upbit: SimServer) -> None:
    async with websockets.connect(upbit.endpoints["upbit"]["ws"]) as ws:
        # The official request example: ticket, a type object with a level and a depth
        # suffix, DEFAULT format; level may also be given as a numeric string.
        await ws.send(
            json.dumps(
                [
                    {"ticket": 12345},  # a number binds to the String field, as on Upbit
                    {"type": "ticker", "codes": ["KRW-BTC", "KRW-ETH"]},
                    {"type": "orderbook", "codes": ["KRW-BTC", "KRW-ETH.5"], "level": "0"},
                    {"format": "DEFAULT"},
                ]
            )
        )
        first = await upbit_frames(ws, 0.5, until=4)
        assert {f["type"] for f in first} <= {"ticker", "orderbook"} and first
        await ws.send("PING")
        # LIST_SUBSCRIPTIONS exactly as the changelog shows it: method first, no format.
        await ws.send(json.dumps([{"method": "LIST_SUBSCRIPTIONS"}, {"ticket": "unique uuid"}]))
        got = await upbit_frames(ws, 1.0)
    assert {"status": "UP"} in got
    (listing,) = [f for f in got if f.get("method") == "LIST_SUBSCRIPTIONS"]
    assert set(listing) == keys_of(docs.UPBIT_LIST_QUOTATION)
    assert listing["ticket"] == "unique uuid"
    rows = {r["type"]: r for r in listing["result"]}
    assert set(rows["ticker"]["codes"]) == {"KRW-BTC", "KRW-ETH"}
    assert rows["orderbook"]["level"] == 0


async def test_only_snapshot_then_silence(upbit: SimServer) -> None:
    request = [
        {"ticket": "t"},
        {"type": "ticker", "codes": ["KRW-BTC"], "is_only_snapshot": True},
        {"type": "trade", "codes": ["KRW-BTC"], "isOnlySnapshot": True},
    ]
    async with websockets.connect(upbit.endpoints["upbit"]["ws"]) as ws:
        await ws.send(json.dumps(request))
        got = await upbit_frames(ws, 1.0)
    assert sorted(f["type"] for f in got) == ["ticker", "trade"]
    assert {f["stream_type"] for f in got} == {"SNAPSHOT"}


async def test_candle_subscription_from_the_official_tutorial(upbit: SimServer) -> None:
    """The docs' candle tutorial subscribes ``candle.1s`` with no format object."""
    request = [{"ticket": str(uuid.uuid4())}, {"type": "candle.1s", "codes": ["KRW-BTC"]}]
    async with websockets.connect(upbit.endpoints["upbit"]["ws"]) as ws:
        await ws.send(json.dumps(request))
        got = await upbit_frames(ws, 2.5, until=3)
    assert got
    for c in got:
        assert set(c) == keys_of(docs.UPBIT_CANDLE) and c["type"] == "candle.1s"
        utc = datetime.fromisoformat(c["candle_date_time_utc"])
        kst = datetime.fromisoformat(c["candle_date_time_kst"])
        assert kst - utc == timedelta(hours=9)
        assert c["low_price"] <= c["trade_price"] <= c["high_price"]


async def test_error_frame_then_close(upbit: SimServer) -> None:
    async with websockets.connect(upbit.endpoints["upbit"]["ws"]) as ws:
        await ws.send(json.dumps([{"ticket": "t"}, {"type": "nope", "codes": ["KRW-BTC"]}]))
        raw = await asyncio.wait_for(ws.recv(), 2)
        assert isinstance(raw, bytes)
        err = json.loads(raw)["error"]
        assert set(err) == {"name", "message"} and err["name"] == "NO_TYPE"
        with pytest.raises(websockets.ConnectionClosedOK):
            await asyncio.wait_for(ws.recv(), 2)


# ============================================================================ Upbit REST

REMAINING_REQ = re.compile(r"group=([a-z]+); min=([0-9]+); sec=([0-9]+)")  # pyupbit's parser


async def upbit_get(
    session: aiohttp.ClientSession, sim: SimServer, path: str, params: Any = None
) -> tuple[int, Json, aiohttp.ClientResponse]:
    async with session.get(sim.endpoints["upbit"]["rest"] + path, params=params) as resp:
        return resp.status, await resp.json(content_type=None), resp


async def test_pyupbit_rest_calls(upbit: SimServer, session: aiohttp.ClientSession) -> None:
    # get_current_price(["KRW-BTC", "KRW-XRP"]): requests repeats the parameter.
    status, rows, resp = await upbit_get(
        session, upbit, "/v1/ticker", [("markets", "KRW-BTC"), ("markets", "KRW-XRP")]
    )
    assert status == 200 and [r["market"] for r in rows] == ["KRW-BTC", "KRW-XRP"]
    assert REMAINING_REQ.search(resp.headers["Remaining-Req"])
    assert set(json.loads(docs.UPBIT_REST_TICKER)[0]) <= set(rows[0])
    # get_ohlcv("KRW-BTC", "minute1", to=...): `to` in UTC as "%Y-%m-%d %H:%M:%S".
    to = (datetime.now(UTC) - timedelta(minutes=30)).strftime("%Y-%m-%d %H:%M:%S")
    status, candles, _ = await upbit_get(
        session, upbit, "/v1/candles/minutes/1", {"market": "KRW-BTC", "count": "200", "to": to}
    )
    assert status == 200 and len(candles) == 200
    limit = datetime.strptime(to, "%Y-%m-%d %H:%M:%S")
    starts = [datetime.fromisoformat(c["candle_date_time_utc"]) for c in candles]
    assert starts == sorted(starts, reverse=True) and starts[0] < limit
    assert set(candles[0]) == set(json.loads(docs.UPBIT_REST_MINUTES)[0])
    # get_orderbook(["KRW-BTC"])
    status, books, resp = await upbit_get(session, upbit, "/v1/orderbook", {"markets": "KRW-BTC"})
    assert status == 200 and len(books[0]["orderbook_units"]) == 30
    assert REMAINING_REQ.search(resp.headers["Remaining-Req"]).group(1) == "orderbook"
    # get_tickers(): /v1/market/all without parameters
    status, markets, _ = await upbit_get(session, upbit, "/v1/market/all")
    assert status == 200 and {"market", "korean_name", "english_name"} == set(markets[0])


async def test_ccxt_rest_calls(upbit: SimServer, session: aiohttp.ClientSession) -> None:
    status, markets, _ = await upbit_get(session, upbit, "/v1/market/all", {"isDetails": "true"})
    assert status == 200 and all("market_event" in m for m in markets)
    caution = markets[0]["market_event"]["caution"]
    assert set(caution) == set(json.loads(docs.UPBIT_REST_MARKETS)[0]["market_event"]["caution"])
    status, rows, _ = await upbit_get(session, upbit, "/v1/ticker", {"markets": "KRW-BTC,KRW-ETH"})
    assert status == 200 and len(rows) == 2
    status, books, _ = await upbit_get(
        session, upbit, "/v1/orderbook", {"markets": "KRW-BTC,BTC-ETH"}
    )
    assert status == 200 and [b["market"] for b in books] == ["KRW-BTC", "BTC-ETH"]
    status, candles, _ = await upbit_get(
        session, upbit, "/v1/candles/minutes/1", {"market": "KRW-BTC", "count": 200}
    )
    assert status == 200 and len(candles) == 200 and candles[0]["unit"] == 1
    # fetchOHLCV(timeframe="1w" / "1M"): candles/weeks and candles/months
    for path, days in (("/v1/candles/weeks", 7), ("/v1/candles/months", 31)):
        status, rows, _ = await upbit_get(session, upbit, path, {"market": "KRW-BTC", "count": 4})
        assert status == 200 and len(rows) == 4, (path, rows)
        starts = [datetime.fromisoformat(r["candle_date_time_utc"]) for r in rows]
        assert starts == sorted(starts, reverse=True)
        assert all(
            r["first_day_of_period"] == s.date().isoformat()
            for r, s in zip(rows, starts, strict=True)
        )
        if days == 7:
            assert all(s.weekday() == 0 for s in starts)
            assert all((a - b).days % 7 == 0 for a, b in itertools.pairwise(starts))
        else:
            assert all(s.day == 1 for s in starts)
        for r in rows:
            assert r["low_price"] <= min(r["opening_price"], r["trade_price"])
            assert r["high_price"] >= max(r["opening_price"], r["trade_price"])
    status, weeks, _ = await upbit_get(
        session,
        upbit,
        "/v1/candles/weeks",
        {"market": "KRW-BTC", "count": 2, "to": rows[0]["candle_date_time_utc"]},
    )
    assert (
        status == 200
        and weeks
        and weeks[0]["candle_date_time_utc"] < rows[0]["candle_date_time_utc"]
    )


async def test_older_camel_case_rest_parameters(
    upbit: SimServer, session: aiohttp.ClientSession
) -> None:
    """Older docs and clients write isDetails, daysAgo and convertingPriceUnit."""
    status, rows, _ = await upbit_get(
        session, upbit, "/v1/trades/ticks", {"market": "KRW-BTC", "count": 5, "daysAgo": 1}
    )
    assert status == 200 and rows == []  # only today's tape is simulated
    status, rows, _ = await upbit_get(
        session,
        upbit,
        "/v1/candles/days",
        {"market": "BTC-ETH", "count": 2, "convertingPriceUnit": "KRW"},
    )
    assert status == 200 and all("converted_trade_price" in r for r in rows)
    status, rows, _ = await upbit_get(session, upbit, "/v1/market/all", {"isDetails": "false"})
    assert status == 200 and all("market_event" not in r for r in rows)


async def test_rest_errors_keep_upbits_shape(
    upbit: SimServer, session: aiohttp.ClientSession
) -> None:
    for path, params in (
        ("/v1/candles/minutes/1", {"market": "KRW-BTC,KRW-ETH"}),
        ("/v1/candles/weeks", {"market": "KRW-NOPE"}),
        ("/v1/trades/ticks", {"market": "krw-btc"}),
        ("/v1/ticker", [("markets", "KRW-BTC"), ("markets", "KRW-NOPE")]),
    ):
        status, body, _ = await upbit_get(session, upbit, path, params)
        assert status == 404 and body == {"error": {"name": 404, "message": "Code not found"}}


# ============================================================================ OKX WebSocket


async def okx_frames(ws: aiohttp.ClientWebSocketResponse, seconds: float) -> list[Json]:
    out: list[Json] = []
    deadline = time.monotonic() + seconds
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return out
        try:
            msg = await ws.receive(timeout=left)
        except TimeoutError:
            return out
        assert msg.type is aiohttp.WSMsgType.TEXT, msg
        out.append(msg.data if msg.data == "pong" else json.loads(msg.data))


def okx_crc(bids: dict[str, str], asks: dict[str, str]) -> int:
    """OKX's checksum, written here from the docs: 25 best a side, bid:ask interleaved."""
    b = sorted(bids.items(), key=lambda kv: -float(kv[0]))[:25]
    a = sorted(asks.items(), key=lambda kv: float(kv[0]))[:25]
    parts: list[str] = []
    for i in range(max(len(a), len(b))):
        if i < len(b):
            parts += b[i]
        if i < len(a):
            parts += a[i]
    crc = zlib.crc32(":".join(parts).encode())
    return crc - 2**32 if crc >= 2**31 else crc


async def test_ccxt_okx_subscribe_ping_unsubscribe(
    okx: SimServer, session: aiohttp.ClientSession
) -> None:
    url = okx.endpoints["okx"]["ws"] + "/ws/v5/public"
    async with session.ws_connect(url) as ws:
        await ws.send_str(
            json.dumps(
                {
                    "op": "subscribe",
                    "args": [
                        {"channel": "tickers", "instId": "BTC-USDT"},
                        {"channel": "tickers", "instId": "ETH-USDT"},
                        {"channel": "trades", "instId": "BTC-USDT"},
                    ],
                }
            )
        )
        await ws.send_str("ping")
        got = await okx_frames(ws, 2.0)
        assert "pong" in got
        acks = [f for f in got if isinstance(f, dict) and f.get("event") == "subscribe"]
        assert len(acks) == 3 and all("id" not in a and a["connId"] for a in acks)
        assert all(set(a) == keys_of(docs.OKX_SUBSCRIBE) - {"id"} for a in acks)
        tickers = [
            f for f in got if isinstance(f, dict) and f.get("arg", {}).get("channel") == "tickers"
        ]
        assert {t["arg"]["instId"] for t in tickers if "data" in t} == {"BTC-USDT", "ETH-USDT"}
        doc_ticker = json.loads(docs.OKX_TICKERS)["data"][0]
        for t in (t for t in tickers if "data" in t):
            (d,) = t["data"]
            assert set(d) == set(doc_ticker) and all(isinstance(v, str) for v in d.values())
            assert float(d["bidPx"]) < float(d["askPx"])
        trades = [
            f
            for f in got
            if isinstance(f, dict) and f.get("arg", {}).get("channel") == "trades" and "data" in f
        ]
        assert trades
        doc_trade = json.loads(docs.OKX_TRADES)["data"][0]
        for t in trades:
            for d in t["data"]:
                assert set(d) == set(doc_trade) and isinstance(d["seqId"], int)
                assert d["side"] in ("buy", "sell") and isinstance(d["px"], str)
        # ccxt unWatchTicker
        await ws.send_str(
            json.dumps(
                {"op": "unsubscribe", "args": [{"channel": "tickers", "instId": "ETH-USDT"}]}
            )
        )
        later = await okx_frames(ws, 1.0)
        (ack,) = [f for f in later if isinstance(f, dict) and f.get("event") == "unsubscribe"]
        assert ack["arg"] == {"channel": "tickers", "instId": "ETH-USDT"} and ack["connId"]
        after = later[later.index(ack) + 1 :]
        assert not [
            f for f in after if isinstance(f, dict) and f.get("arg", {}).get("instId") == "ETH-USDT"
        ]


async def test_cryptofeed_okx_growing_resubscribe_keeps_books_in_sync(
    okx: SimServer, session: aiohttp.ClientSession
) -> None:
    """cryptofeed sends the whole arg list again as it grows; the book chain must still hold
    (prevSeqId == last seqId, checksum of the merged book)."""
    url = okx.endpoints["okx"]["ws"] + "/ws/v5/public"
    first = [{"channel": "books", "instId": "BTC-USDT"}]
    second = [*first, {"channel": "trades", "instId": "BTC-USDT"}]
    async with session.ws_connect(url) as ws:
        await ws.send_str(json.dumps({"op": "subscribe", "args": first}))
        await asyncio.sleep(0.5)
        await ws.send_str(json.dumps({"op": "subscribe", "args": second}))
        got = await okx_frames(ws, 2.0)
    books = [
        f
        for f in got
        if isinstance(f, dict) and f.get("arg", {}).get("channel") == "books" and "data" in f
    ]
    assert books[0]["action"] == "snapshot"
    bids: dict[str, str] = {}
    asks: dict[str, str] = {}
    last = None
    for msg in books:
        (d,) = msg["data"]
        if msg["action"] == "snapshot":
            bids = {p: s for p, s, *_ in d["bids"]}
            asks = {p: s for p, s, *_ in d["asks"]}
            assert d["prevSeqId"] == -1
        else:
            assert d["prevSeqId"] == last
            for side, rows in ((bids, d["bids"]), (asks, d["asks"])):
                for p, s, *_ in rows:
                    if s == "0":
                        side.pop(p, None)
                    else:
                        side[p] = s
        last = d["seqId"]
        assert d["checksum"] in (0, okx_crc(bids, asks))
        assert all(len(row) == 4 for row in d["bids"] + d["asks"])
    assert sum(1 for f in got if isinstance(f, dict) and f.get("event") == "subscribe") == 3


async def test_okx_business_candles_and_wrong_url(
    okx: SimServer, session: aiohttp.ClientSession
) -> None:
    base = okx.endpoints["okx"]["ws"]
    arg = {"channel": "candle1m", "instId": "BTC-USDT"}
    async with session.ws_connect(base + "/ws/v5/public") as ws:
        await ws.send_str(json.dumps({"id": "1512", "op": "subscribe", "args": [arg]}))
        (err,) = await okx_frames(ws, 0.5)
        assert err["event"] == "error" and err["code"] == "60018" and err["id"] == "1512"
        assert set(err) == keys_of(docs.OKX_ERROR)
    async with session.ws_connect(base + "/ws/v5/business") as ws:
        await ws.send_str(json.dumps({"op": "subscribe", "args": [arg]}))
        got = await okx_frames(ws, 1.0)
    assert got[0] == {"event": "subscribe", "arg": arg, "connId": got[0]["connId"]}
    pushes = [f for f in got if "data" in f]
    assert pushes and all(f["arg"] == arg for f in pushes)
    for f in pushes:
        for row in f["data"]:
            assert len(row) == 9 and all(isinstance(x, str) for x in row)
            assert row[8] in ("0", "1") and float(row[3]) <= float(row[4]) <= float(row[2])


# ============================================================================ OKX REST


async def okx_get(session: aiohttp.ClientSession, sim: SimServer, path: str, **params: str) -> Json:
    async with session.get(sim.endpoints["okx"]["rest"] + path, params=params) as resp:
        body = await resp.json(content_type=None)
        assert resp.status == 200 and body["code"] == "0" and body["msg"] == "", body
        return body["data"]


async def test_okx_rest_calls_of_ccxt_and_python_okx(
    okx: SimServer, session: aiohttp.ClientSession
) -> None:
    rows = await okx_get(
        session, okx, "/api/v5/market/candles", instId="BTC-USDT", bar="1m", limit="100"
    )
    assert len(rows) == 100 and all(len(r) == 9 for r in rows)
    starts = [int(r[0]) for r in rows]
    assert all(a > b and (a - b) % 60_000 == 0 for a, b in itertools.pairwise(starts))
    assert rows[0][8] in ("0", "1") and {r[8] for r in rows[1:]} == {"1"}
    older = await okx_get(
        session,
        okx,
        "/api/v5/market/history-candles",
        instId="BTC-USDT",
        bar="1H",
        after=rows[-1][0],
        limit="100",
    )
    assert older and int(older[0][0]) < int(rows[-1][0])
    (ticker,) = await okx_get(session, okx, "/api/v5/market/ticker", instId="BTC-USDT")
    assert set(ticker) == set(json.loads(docs.OKX_REST_TICKER)["data"][0])
    tickers = await okx_get(session, okx, "/api/v5/market/tickers", instType="SPOT")
    assert {t["instId"] for t in tickers} >= {"BTC-USDT", "ETH-USDT"}
    (book,) = await okx_get(session, okx, "/api/v5/market/books", instId="BTC-USDT", sz="5")
    assert set(book) == set(json.loads(docs.OKX_REST_BOOKS)["data"][0])
    assert len(book["asks"]) == len(book["bids"]) == 5
    trades = await okx_get(session, okx, "/api/v5/market/trades", instId="BTC-USDT", limit="3")
    assert len(trades) == 3 and set(trades[0]) == set(json.loads(docs.OKX_REST_TRADES)["data"][0])
    spot = await okx_get(session, okx, "/api/v5/public/instruments", instType="SPOT")
    assert {"instId", "baseCcy", "quoteCcy", "tickSz", "lotSz", "minSz", "state"} <= set(spot[0])
    # ccxt loadMarkets also walks the derivative types; spot only here, so they are empty.
    assert await okx_get(session, okx, "/api/v5/public/instruments", instType="SWAP") == []
    assert await okx_get(session, okx, "/api/v5/public/underlying", instType="OPTION") == [[]]
