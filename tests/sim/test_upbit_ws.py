"""The simulated Upbit WebSocket, spoken to as a third-party client would (aiohttp), checked
against the recorded real frames and the protocol reference (exchanges.md 1.2-1.6)."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from dantaro_tui.sim import upbit
from dantaro_tui.sim.server import SimServer
from tests.recorded import load
from tests.sim.helpers import fast_sim


@pytest.fixture
async def sim() -> AsyncIterator[SimServer]:
    async with fast_sim(seed=7) as server:
        yield server


async def connect(
    sim: SimServer, session: aiohttp.ClientSession, **kw: Any
) -> aiohttp.ClientWebSocketResponse:
    return await session.ws_connect(sim.endpoints["upbit"]["ws"], **kw)


async def frames(
    ws: aiohttp.ClientWebSocketResponse, seconds: float, limit: int = 10_000
) -> list[Any]:
    """Decoded binary frames received within ``seconds`` (stops early at ``limit``)."""
    out: list[Any] = []
    deadline = time.monotonic() + seconds
    while len(out) < limit:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        try:
            msg = await ws.receive(timeout=left)
        except TimeoutError:
            break
        if msg.type is not aiohttp.WSMsgType.BINARY:
            break
        out.append(json.loads(msg.data))
    return out


def request(*types: dict[str, Any], fmt: str | None = "SIMPLE", ticket: str = "t") -> str:
    body: list[dict[str, Any]] = [{"ticket": ticket}, *types]
    if fmt:
        body.append({"format": fmt})
    return json.dumps(body)


def recorded_frame(kind: str) -> dict[str, Any]:
    for _, frame in load("upbit_ws.txt").received:
        data = json.loads(frame)
        if data.get("ty") == kind:
            return data
    raise AssertionError(f"no recorded {kind} frame")


async def test_frames_are_binary_utf8_json(sim: SimServer, session: aiohttp.ClientSession) -> None:
    ws = await connect(sim, session)
    await ws.send_str(request({"type": "ticker", "codes": ["KRW-BTC"]}))
    msg = await ws.receive(timeout=2)
    assert msg.type is aiohttp.WSMsgType.BINARY
    assert json.loads(msg.data.decode("utf-8"))["cd"] == "KRW-BTC"


async def test_simple_trade_and_orderbook_match_recorded_types(
    sim: SimServer, session: aiohttp.ClientSession
) -> None:
    real_trade, real_book = recorded_frame("trade"), recorded_frame("orderbook")
    ws = await connect(sim, session)
    await ws.send_str(
        request(
            {"type": "trade", "codes": ["KRW-BTC"]}, {"type": "orderbook", "codes": ["BTC-ETH"]}
        )
    )
    got = {f["ty"]: f for f in await frames(ws, 2.0, limit=2)}
    trade, book = got["trade"], got["orderbook"]
    for key, value in real_trade.items():
        assert key in trade, key
        assert type(trade[key]) is type(value), (key, trade[key], value)
    for key, value in real_book.items():
        assert key in book, key
        assert type(book[key]) is type(value), (key, book[key], value)
    for key, value in real_book["obu"][0].items():
        for unit in book["obu"]:
            assert type(unit[key]) is type(value), (key, unit[key])
    assert trade["ab"] in ("ASK", "BID") and trade["c"] in ("RISE", "EVEN", "FALL")
    assert len(trade["td"]) == 10 and trade["td"][4] == "-" and trade["ttm"][2] == ":"


# Field names from exchanges.md 1.3-1.6, DEFAULT format.
TICKER_DEFAULT = {
    "type", "code", "opening_price", "high_price", "low_price", "trade_price",
    "prev_closing_price", "change", "change_price", "signed_change_price", "change_rate",
    "signed_change_rate", "trade_volume", "acc_trade_volume", "acc_trade_volume_24h",
    "acc_trade_price", "acc_trade_price_24h", "trade_date", "trade_time", "trade_timestamp",
    "ask_bid", "acc_ask_volume", "acc_bid_volume", "highest_52_week_price",
    "highest_52_week_date", "lowest_52_week_price", "lowest_52_week_date", "market_state",
    "is_trading_suspended", "delisting_date", "market_warning", "timestamp", "stream_type",
}  # fmt: skip
TRADE_DEFAULT = {
    "type", "code", "trade_price", "trade_volume", "ask_bid", "prev_closing_price", "change",
    "change_price", "trade_date", "trade_time", "trade_timestamp", "timestamp", "sequential_id",
    "best_ask_price", "best_ask_size", "best_bid_price", "best_bid_size", "stream_type",
}  # fmt: skip
BOOK_DEFAULT = {
    "type", "code", "total_ask_size", "total_bid_size", "orderbook_units", "timestamp",
    "level", "stream_type",
}  # fmt: skip
CANDLE_DEFAULT = {
    "type", "code", "candle_date_time_utc", "candle_date_time_kst", "opening_price",
    "high_price", "low_price", "trade_price", "candle_acc_trade_volume",
    "candle_acc_trade_price", "timestamp", "stream_type",
}  # fmt: skip


async def test_default_format_names(sim: SimServer, session: aiohttp.ClientSession) -> None:
    ws = await connect(sim, session)
    types = ("ticker", "trade", "orderbook", "candle.1m")
    await ws.send_str(request(*({"type": t, "codes": ["KRW-BTC"]} for t in types), fmt=None))
    got = {f["type"]: f for f in await frames(ws, 2.0, limit=4)}
    assert set(got["ticker"]) == TICKER_DEFAULT
    assert set(got["trade"]) == TRADE_DEFAULT
    assert set(got["orderbook"]) == BOOK_DEFAULT
    assert set(got["candle.1m"]) == CANDLE_DEFAULT
    assert set(got["orderbook"]["orderbook_units"][0]) == {
        "ask_price",
        "bid_price",
        "ask_size",
        "bid_size",
    }
    t = got["ticker"]
    assert len(t["trade_date"]) == 8 and len(t["trade_time"]) == 6  # yyyyMMdd, HHmmss
    assert t["signed_change_price"] == pytest.approx(t["trade_price"] - t["prev_closing_price"])
    assert isinstance(t["is_trading_suspended"], bool) and t["delisting_date"] is None
    assert t["low_price"] <= t["trade_price"] <= t["high_price"]
    assert all(f["stream_type"] == "SNAPSHOT" for f in got.values())


async def test_simple_ticker_and_candle_keys(
    sim: SimServer, session: aiohttp.ClientSession
) -> None:
    ws = await connect(sim, session)
    await ws.send_str(
        request(
            {"type": "ticker", "codes": ["KRW-ETH"]}, {"type": "candle.1s", "codes": ["KRW-ETH"]}
        )
    )
    got = {f["ty"]: f for f in await frames(ws, 2.0, limit=2)}
    assert {
        "ty", "cd", "op", "hp", "lp", "tp", "pcp", "c", "cp", "scp", "cr", "scr", "tv", "atv",
        "atv24h", "atp", "atp24h", "tdt", "ttm", "ttms", "ab", "aav", "abv", "h52wp", "h52wdt",
        "l52wp", "l52wdt", "ms", "its", "dd", "mw", "tms", "st",
    } <= set(got["ticker"])  # fmt: skip
    assert {
        "ty",
        "cd",
        "cdttmu",
        "cdttmk",
        "op",
        "hp",
        "lp",
        "tp",
        "catv",
        "catp",
        "tms",
        "st",
    } <= set(got["candle.1s"])


async def test_new_request_replaces_subscription(
    sim: SimServer, session: aiohttp.ClientSession
) -> None:
    ws = await connect(sim, session)
    await ws.send_str(
        request(
            {"type": "trade", "codes": ["KRW-BTC", "KRW-XRP"]},
            {"type": "orderbook", "codes": ["KRW-BTC"]},
        )
    )
    first = await frames(ws, 0.6)
    assert {f["cd"] for f in first} >= {"KRW-BTC", "KRW-XRP"}
    await ws.send_str(request({"type": "ticker", "codes": ["KRW-ETH"]}))
    later = await frames(ws, 1.2)
    seen_new = [i for i, f in enumerate(later) if f["cd"] == "KRW-ETH"]
    assert seen_new, "the new subscription delivered nothing"
    old_after = [f for f in later[seen_new[0] :] if f["cd"] != "KRW-ETH"]
    assert len(old_after) <= 2
    assert all(f["ty"] == "ticker" for f in later[seen_new[0] :] if f["cd"] == "KRW-ETH")


@pytest.mark.parametrize("flag", ["is_only_realtime", "isOnlyRealtime"])
async def test_only_realtime_skips_snapshot(
    sim: SimServer, session: aiohttp.ClientSession, flag: str
) -> None:
    ws = await connect(sim, session)
    await ws.send_str(request({"type": "trade", "codes": ["KRW-BTC"], flag: True}))
    got = await frames(ws, 1.0, limit=5)
    assert got and all(f["st"] == "REALTIME" for f in got)


async def test_snapshot_first_by_default(sim: SimServer, session: aiohttp.ClientSession) -> None:
    ws = await connect(sim, session)
    await ws.send_str(
        request({"type": "trade", "codes": ["KRW-BTC"]}, {"type": "ticker", "codes": ["KRW-BTC"]})
    )
    got = await frames(ws, 1.0, limit=8)
    assert [f["st"] for f in got[:2]] == ["SNAPSHOT", "SNAPSHOT"]
    assert all(f["st"] == "REALTIME" for f in got[2:])


@pytest.mark.parametrize("flag", ["is_only_snapshot", "isOnlySnapshot"])
async def test_only_snapshot(sim: SimServer, session: aiohttp.ClientSession, flag: str) -> None:
    ws = await connect(sim, session)
    await ws.send_str(request({"type": "orderbook", "codes": ["KRW-BTC", "KRW-XRP"], flag: True}))
    got = await frames(ws, 0.8)
    assert sorted(f["cd"] for f in got) == ["KRW-BTC", "KRW-XRP"]
    assert all(f["st"] == "SNAPSHOT" for f in got)


@pytest.mark.parametrize(
    ("payload", "name"),
    [
        ("not json", "WRONG_FORMAT"),
        ('{"ticket":"t"}', "WRONG_FORMAT"),
        ('[{"type":"ticker","codes":["KRW-BTC"]}]', "NO_TICKET"),
        ('[{"ticket":"t"},{"format":"SIMPLE"}]', "NO_TYPE"),
        ('[{"ticket":"t"},{"type":"nope","codes":["KRW-BTC"]}]', "NO_TYPE"),
        ('[{"ticket":"t"},{"type":"ticker"}]', "NO_CODES"),
        ('[{"ticket":"t"},{"type":"ticker","codes":[]}]', "NO_CODES"),
        ('[{"ticket":"t"},{"type":"ticker","codes":["KRW-BTC"]},{"format":"XML"}]', "WRONG_FORMAT"),
        (
            '[{"ticket":"t"},{"type":"ticker","codes":["KRW-BTC"],"is_only_realtime":"y"}]',
            "INVALID_PARAM",
        ),
        ('[{"ticket":"t"},{"type":"myAsset"}]', "INVALID_AUTH"),
    ],
)
async def test_error_frame_then_close(
    sim: SimServer, session: aiohttp.ClientSession, payload: str, name: str
) -> None:
    ws = await connect(sim, session)
    await ws.send_str(payload)
    msg = await ws.receive(timeout=2)
    assert msg.type is aiohttp.WSMsgType.BINARY
    err = json.loads(msg.data)["error"]
    assert err["name"] == name and isinstance(err["message"], str) and err["message"]
    started = time.monotonic()
    msg = await ws.receive(timeout=2)
    assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    assert ws.close_code == 1000
    assert time.monotonic() - started > 0.05


async def test_unknown_and_lowercase_codes_are_ignored(
    sim: SimServer, session: aiohttp.ClientSession
) -> None:
    ws = await connect(sim, session)
    await ws.send_str(request({"type": "trade", "codes": ["KRW-NOPE", "krw-btc", "KRW-BTC.5"]}))
    assert await frames(ws, 0.6) == []
    assert not ws.closed
    await ws.send_str(request({"type": "trade", "codes": ["KRW-NOPE", "KRW-BTC"]}))
    got = await frames(ws, 1.0, limit=3)
    assert got and {f["cd"] for f in got} == {"KRW-BTC"}


async def test_text_ping_answers_status_up(
    sim: SimServer, session: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(upbit, "STATUS_EVERY", 0.2)
    ws = await connect(sim, session)
    await ws.send_str("PING")
    got = await frames(ws, 0.7)
    assert len(got) >= 2 and all(f == {"status": "UP"} for f in got)


async def test_ws_ping_frame_answered(sim: SimServer, session: aiohttp.ClientSession) -> None:
    ws = await connect(sim, session, autoping=False)
    await ws.ping(b"hi")
    msg = await ws.receive(timeout=1)
    assert msg.type is aiohttp.WSMsgType.PONG and msg.data == b"hi"


async def test_orderbook_depth_suffix_and_padding(
    sim: SimServer, session: aiohttp.ClientSession
) -> None:
    thin = next(x for x in sim.market.listings("upbit") if x.depth < 30)
    ws = await connect(sim, session)
    codes = ["KRW-BTC.5", "KRW-XRP.7", "KRW-ETH.1", thin.symbol]
    await ws.send_str(request({"type": "orderbook", "codes": codes, "is_only_snapshot": True}))
    got = {f["cd"]: f for f in await frames(ws, 1.0, limit=4)}
    assert len(got["KRW-BTC"]["obu"]) == 5
    assert len(got["KRW-XRP"]["obu"]) == 30  # unsupported depth -> 30
    assert len(got["KRW-ETH"]["obu"]) == 1
    units = got[thin.symbol]["obu"]
    assert len(units) == 30
    assert all(u["ap"] > 0 for u in units[: thin.depth])
    assert all(u == {"ap": 0.0, "bp": 0.0, "as": 0.0, "bs": 0.0} for u in units[thin.depth :])
    book = got["KRW-BTC"]
    assert book["tas"] == pytest.approx(sum(u["as"] for u in book["obu"]))


async def test_list_formats(sim: SimServer, session: aiohttp.ClientSession) -> None:
    ws = await connect(sim, session)
    await ws.send_str(request({"type": "ticker", "codes": ["KRW-BTC"]}, fmt="SIMPLE_LIST"))
    (first,) = await frames(ws, 1.0, limit=1)
    assert isinstance(first, list) and first[0]["ty"] == "ticker"
    await ws.send_str(request({"type": "ticker", "codes": ["KRW-BTC"]}, fmt="JSON_LIST"))
    got = await frames(ws, 1.0, limit=10)
    assert isinstance(got[-1], list) and got[-1][0]["type"] == "ticker"


async def test_list_subscriptions(sim: SimServer, session: aiohttp.ClientSession) -> None:
    ws = await connect(sim, session)
    await ws.send_str(request({"type": "ticker", "codes": ["KRW-BTC"], "is_only_realtime": True}))
    await ws.send_str(
        json.dumps([{"ticket": "x"}, {"method": "LIST_SUBSCRIPTIONS"}, {"format": "DEFAULT"}])
    )
    for f in await frames(ws, 1.0):
        if "method" in f:
            assert f == {
                "method": "LIST_SUBSCRIPTIONS",
                "result": [{"type": "ticker", "codes": ["KRW-BTC"]}],
                "ticket": "x",
            }
            return
    raise AssertionError("no LIST_SUBSCRIPTIONS reply")


async def test_books_and_trades_are_consistent(
    sim: SimServer, session: aiohttp.ClientSession
) -> None:
    ws = await connect(sim, session)
    codes = ["KRW-BTC", "KRW-XRP", "KRW-DOGE"]
    await ws.send_str(
        request({"type": "orderbook", "codes": codes}, {"type": "trade", "codes": codes})
    )
    books: dict[str, dict[str, Any]] = {}
    checked = 0
    for f in await frames(ws, 1.5):
        units = f.get("obu")
        if units is not None:
            asks = [u["ap"] for u in units if u["ap"] > 0]
            bids = [u["bp"] for u in units if u["bp"] > 0]
            assert asks == sorted(asks) and bids == sorted(bids, reverse=True)
            assert bids[0] < asks[0]
            books[f["cd"]] = f
        elif f["st"] == "REALTIME" and f["cd"] in books:
            best = books[f["cd"]]["obu"][0]
            if f["ab"] == "BID":  # the taker bought: hit the asks of the last book seen
                assert f["tp"] >= best["ap"]
                assert f["tp"] in {u["ap"] for u in books[f["cd"]]["obu"]}
            else:
                assert f["tp"] <= best["bp"]
                assert f["tp"] in {u["bp"] for u in books[f["cd"]]["obu"]}
            checked += 1
    assert checked > 10


async def test_sequential_ids_increase(sim: SimServer, session: aiohttp.ClientSession) -> None:
    ws = await connect(sim, session)
    await ws.send_str(request({"type": "trade", "codes": ["KRW-BTC"]}))
    sids = [f["sid"] for f in await frames(ws, 1.0)]
    assert len(sids) > 5 and sids == sorted(sids) and len(set(sids)) == len(sids)


async def test_candle_stream(sim: SimServer, session: aiohttp.ClientSession) -> None:
    ws = await connect(sim, session)
    await ws.send_str(request({"type": "candle.1s", "codes": ["KRW-BTC"]}))
    got = await frames(ws, 1.6)
    assert got[0]["st"] == "SNAPSHOT"
    assert len(got) >= 2
    for c in got:
        assert (
            c["ty"] == "candle.1s"
            and c["lp"] <= min(c["op"], c["tp"]) <= max(c["op"], c["tp"]) <= c["hp"]
        )
