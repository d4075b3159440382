"""OKX v5 WebSocket codec, driven by the real recorded session and by documented shapes."""

from __future__ import annotations

import zlib
from typing import Any

import orjson
import pytest

from dantaro_tui.exchanges import codec_class
from dantaro_tui.exchanges.base import RateLimit
from dantaro_tui.exchanges.okx import OkxCodec, okx_channel, okx_checksum
from dantaro_tui.model import Candle, OrderBook, Status, Ticker, Trade
from tests.recorded import load

NS = 1_000_000_000


@pytest.fixture(scope="module")
def frames() -> list[tuple[int, str]]:
    rec = load("okx_ws.txt")
    out = []
    for ts, frame in rec.received:
        assert isinstance(frame, str)  # OKX sends text frames
        out.append((int(ts * NS), frame))
    return out


def decode_all(codec: OkxCodec, frames: list[tuple[int, str]]) -> list[Any]:
    return [ev for recv_ns, frame in frames for ev in codec.decode(frame, recv_ns)]


def book_frames(frames: list[tuple[int, str]], inst: str | None = None) -> list[dict[str, Any]]:
    out = []
    for _, f in frames:
        msg = orjson.loads(f)
        is_book = msg.get("arg", {}).get("channel") == "books" and "data" in msg
        if is_book and (inst is None or msg["arg"]["instId"] == inst):
            out.append(msg)
    return out


# -- an independent reference for the checksum (plain dicts, sorted every time) -------------


def reference_checksum(bids: dict[float, tuple[str, str]], asks: dict[float, tuple[str, str]]):
    b = [bids[p] for p in sorted(bids, reverse=True)[:25]]
    a = [asks[p] for p in sorted(asks)[:25]]
    parts: list[str] = []
    for i in range(max(len(b), len(a))):
        if i < len(b):
            parts += b[i]
        if i < len(a):
            parts += a[i]
    crc = zlib.crc32(":".join(parts).encode())
    return crc - 2**32 if crc >= 2**31 else crc


def reference_apply(side: dict[float, tuple[str, str]], levels: list[list[str]]) -> None:
    for px, sz, *_ in levels:
        if float(sz) == 0:
            side.pop(float(px), None)
        else:
            side[float(px)] = (px, sz)


# -- codec facts --------------------------------------------------------------------------


def test_class_facts() -> None:
    assert codec_class("okx") is OkxCodec
    c = OkxCodec()
    assert c.name == "okx"
    assert c.default_ws_url == "wss://ws.okx.com:8443"
    assert c.default_rest_url == "https://www.okx.com"
    assert 0 < c.keepalive_interval < 30
    assert c.ping_frame == "ping"
    assert c.connect_limits == (RateLimit(3, 1.0),)
    assert RateLimit(480, 3600.0) in c.message_limits
    assert any(lim.per == 1.0 for lim in c.message_limits)
    assert c.depth == 30
    with pytest.raises(ValueError):
        OkxCodec(depth=0)


def test_endpoints_and_urls() -> None:
    c = OkxCodec()
    assert c.endpoint("candle.1m") == "business"
    assert c.endpoint("candle.1d") == "business"
    for key in ("ticker", "trade", "orderbook", "orderbook5", "bbo"):
        assert c.endpoint(key) == ""
    base = OkxCodec.default_ws_url
    assert c.ws_url(base, "") == "wss://ws.okx.com:8443/ws/v5/public"
    assert c.ws_url(base, "business") == "wss://ws.okx.com:8443/ws/v5/business"
    # A configured full URL or a trailing slash (simulator, regional stack) still works.
    assert c.ws_url("ws://127.0.0.1:9000/", "business") == "ws://127.0.0.1:9000/ws/v5/business"
    assert (
        c.ws_url("wss://wseea.okx.com:8443/ws/v5/public", "business")
        == "wss://wseea.okx.com:8443/ws/v5/business"
    )


def test_channel_names() -> None:
    assert okx_channel("ticker") == "tickers"
    assert okx_channel("trade") == "trades"
    assert okx_channel("orderbook") == "books"
    assert okx_channel("orderbook5") == "books5"
    assert okx_channel("bbo") == "bbo-tbt"
    expected = {
        "1s": "candle1s",
        "1m": "candle1m",
        "3m": "candle3m",
        "5m": "candle5m",
        "15m": "candle15m",
        "30m": "candle30m",
        "1h": "candle1H",
        "2h": "candle2H",
        "4h": "candle4H",
        "6h": "candle6Hutc",
        "12h": "candle12Hutc",
        "1d": "candle1Dutc",
        "1w": "candle1Wutc",
        "1M": "candle1Mutc",
    }
    for iv, ch in expected.items():
        assert okx_channel(f"candle.{iv}") == ch
    for bad in ("tickers", "candle.7m", "candle.1H", "books", ""):
        with pytest.raises(ValueError):
            okx_channel(bad)


# -- subscriptions ------------------------------------------------------------------------


def test_subscribe_frames_send_diffs() -> None:
    c = OkxCodec()
    desired = {
        "ticker": frozenset({"BTC-USDT", "ETH-USDT"}),
        "orderbook": frozenset({"BTC-USDT"}),
        "candle.1h": frozenset({"BTC-USDT"}),
    }
    frames = c.subscribe_frames(desired, {})
    assert len(frames) == 1
    msg = orjson.loads(frames[0])
    assert msg["op"] == "subscribe"
    assert msg["id"].isalnum() and len(msg["id"]) <= 32
    assert sorted((a["channel"], a["instId"]) for a in msg["args"]) == [
        ("books", "BTC-USDT"),
        ("candle1H", "BTC-USDT"),
        ("tickers", "BTC-USDT"),
        ("tickers", "ETH-USDT"),
    ]
    assert c.subscribe_frames(desired, desired) == []

    smaller = {"ticker": frozenset({"BTC-USDT"}), "trade": frozenset({"BTC-USDT"})}
    frames = [orjson.loads(f) for f in c.subscribe_frames(smaller, desired)]
    assert [f["op"] for f in frames] == ["unsubscribe", "subscribe"]
    assert sorted((a["channel"], a["instId"]) for a in frames[0]["args"]) == [
        ("books", "BTC-USDT"),
        ("candle1H", "BTC-USDT"),
        ("tickers", "ETH-USDT"),
    ]
    assert frames[1]["args"] == [{"channel": "trades", "instId": "BTC-USDT"}]
    assert frames[0]["id"] != frames[1]["id"]


def test_subscribe_frames_split_under_64kb() -> None:
    c = OkxCodec()
    symbols = frozenset(f"COIN{i:05d}-USDT" for i in range(4000))
    frames = c.subscribe_frames({"ticker": symbols, "trade": symbols}, {})
    assert len(frames) > 1
    seen = []
    for f in frames:
        msg = orjson.loads(f)
        assert len(orjson.dumps(msg["args"])) < 64 * 1024
        seen += [(a["channel"], a["instId"]) for a in msg["args"]]
    assert len(seen) == len(set(seen)) == 8000


def test_unknown_channel_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        OkxCodec().subscribe_frames({"depth": frozenset({"BTC-USDT"})}, {})


# -- recorded traffic ---------------------------------------------------------------------


def test_every_recorded_book_message_verifies(frames: list[tuple[int, str]]) -> None:
    msgs = book_frames(frames)
    assert len(msgs) == 290
    assert all(m["data"][0]["checksum"] != 0 for m in msgs)

    # The reference model agrees with OKX on every message ...
    ref: dict[str, tuple[dict, dict]] = {}
    for m in msgs:
        inst, d = m["arg"]["instId"], m["data"][0]
        if m["action"] == "snapshot":
            ref[inst] = ({}, {})
        bids, asks = ref[inst]
        reference_apply(bids, d["bids"])
        reference_apply(asks, d["asks"])
        assert reference_checksum(bids, asks) == d["checksum"]

    # ... and so does the codec: one book event per message, never a resync.
    events = decode_all(OkxCodec(), frames)
    books = [e for e in events if isinstance(e, OrderBook)]
    statuses = [e for e in events if isinstance(e, Status)]
    assert len(books) == 290
    assert sum(b.snapshot for b in books) == 3
    assert not [s for s in statuses if s.kind != "subscribed"]
    for b in books:
        assert b.bids and b.asks
        assert b.bids[0].price < b.asks[0].price
        assert [lv.price for lv in b.bids] == sorted((lv.price for lv in b.bids), reverse=True)
        assert [lv.price for lv in b.asks] == sorted(lv.price for lv in b.asks)
        # The recording carries checksums, which cover only the best 25 levels a side.
        assert len(b.bids) <= 25 and len(b.asks) <= 25


def test_codec_book_matches_reference_top_levels(frames: list[tuple[int, str]]) -> None:
    """With checksums on, the codec shows the verified top 25 levels of the merged book."""
    codec = OkxCodec(depth=400)
    ref: dict[str, tuple[dict, dict]] = {}
    for recv_ns, f in frames:
        events = codec.decode(f, recv_ns)
        msg = orjson.loads(f)
        if msg.get("arg", {}).get("channel") != "books" or "data" not in msg:
            continue
        inst, d = msg["arg"]["instId"], msg["data"][0]
        if msg["action"] == "snapshot":
            ref[inst] = ({}, {})
        bids, asks = ref[inst]
        reference_apply(bids, d["bids"])
        reference_apply(asks, d["asks"])
        (book,) = events
        top_bids = sorted(bids, reverse=True)[:25]
        top_asks = sorted(asks)[:25]
        assert [lv.price for lv in book.bids] == top_bids
        assert [lv.price for lv in book.asks] == top_asks
        assert [lv.size for lv in book.bids] == [float(bids[p][1]) for p in top_bids]
        assert book.total_ask_size == pytest.approx(sum(float(asks[p][1]) for p in top_asks))


def test_recorded_book_values(frames: list[tuple[int, str]]) -> None:
    books = [
        e
        for e in decode_all(OkxCodec(), frames)
        if isinstance(e, OrderBook) and e.symbol == "BTC-USDT"
    ]
    assert len(books) == 98
    snap, first_update, last = books[0], books[1], books[-1]
    assert snap.snapshot and not first_update.snapshot
    assert (snap.base, snap.quote) == ("BTC", "USDT")
    assert snap.timestamp == 1652459225381
    assert (snap.bids[0].price, snap.bids[0].size) == (30243.4, 0.0012029)
    assert (snap.asks[0].price, snap.asks[0].size) == (30243.5, 1.44679)
    # The first update replaced the best ask's size and inserted 30243.6.
    assert first_update.timestamp == 1652459225453
    assert (first_update.asks[0].price, first_update.asks[0].size) == (30243.5, 1.2112)
    assert (first_update.asks[1].price, first_update.asks[1].size) == (30243.6, 0.059)
    # After all 97 updates.
    assert (last.bids[0].price, last.bids[0].size) == (30236.1, 0.18050747)
    assert (last.asks[0].price, last.asks[0].size) == (30236.2, 0.001)
    assert last.best_bid == 30236.1 and last.best_ask == 30236.2
    assert len(last.bids) == len(last.asks) == 25  # checksummed: only the verified levels


def test_recorded_tickers(frames: list[tuple[int, str]]) -> None:
    tickers = [e for e in decode_all(OkxCodec(), frames) if isinstance(e, Ticker)]
    assert len(tickers) == 28
    btc = next(t for t in tickers if t.symbol == "BTC-USDT")
    assert (btc.exchange, btc.base, btc.quote) == ("okx", "BTC", "USDT")
    assert btc.trade_price == 30236.0
    assert btc.opening_price == btc.prev_closing_price == 29700.4
    assert btc.change_price == pytest.approx(30236 - 29700.4)
    assert btc.change_rate == pytest.approx(30236 / 29700.4 - 1)
    assert btc.high_price == 31073.0 and btc.low_price == 28020.3
    assert btc.acc_trade_volume_24h == 17602.13085371  # vol24h: base for spot
    assert btc.acc_trade_price_24h == 525802090.62716611  # volCcy24h: quote for spot
    assert (btc.best_bid, btc.best_ask) == (30228.6, 30228.7)
    assert btc.trade_volume == 0.0002
    assert btc.timestamp == 1652459224956
    assert btc.recv_ns == int(1652459225.5069652 * NS)
    # Inverse future: vol24h is contracts, volCcy24h base.
    fut = next(t for t in tickers if t.symbol == "BTC-USD-220527")
    assert (fut.base, fut.quote) == ("BTC", "USD")
    assert fut.acc_trade_volume_24h == 2620.289
    assert fut.acc_trade_price_24h == pytest.approx(2620.289 * 30218.8)
    swap = next(t for t in tickers if t.symbol == "UNI-USD-SWAP")
    assert (swap.base, swap.quote, swap.trade_price) == ("UNI", "USD", 5.123)
    assert swap.acc_trade_volume_24h == 577730.7823
    assert swap.change_rate == pytest.approx(5.123 / 4.799 - 1)


def test_recorded_trades(frames: list[tuple[int, str]]) -> None:
    trades = [e for e in decode_all(OkxCodec(), frames) if isinstance(e, Trade)]
    assert len(trades) == 74
    t = next(t for t in trades if t.trade_id == "338476307")
    assert (t.symbol, t.base, t.quote) == ("BTC-USDT", "BTC", "USDT")
    assert (t.price, t.volume, t.side) == (30236.0, 0.0002, "buy")
    assert t.timestamp == 1652459224818
    uni = next(t for t in trades if t.trade_id == "12883020")
    assert (uni.symbol, uni.price, uni.volume, uni.side) == ("UNI-USD-SWAP", 5.123, 100.0, "sell")
    assert {t.side for t in trades} == {"buy", "sell"}
    assert sum(t.side == "sell" for t in trades) == 26


def test_recorded_acks(frames: list[tuple[int, str]]) -> None:
    acks = [e for e in decode_all(OkxCodec(), frames) if isinstance(e, Status)]
    assert len(acks) == 18
    assert {a.kind for a in acks} == {"subscribed"}
    assert {(a.code, a.symbol) for a in acks} >= {
        ("orderbook", "BTC-USDT"),
        ("ticker", "UNI-USD-SWAP"),
        ("trade", "BTC-USD-220527"),
    }


# -- book sync failures -------------------------------------------------------------------


def corrupt(msg: dict[str, Any], side: str, index: int, size: str) -> str:
    m = orjson.loads(orjson.dumps(msg))
    m["data"][0][side][index][1] = size
    return orjson.dumps(m).decode()


def test_corrupted_size_string_forces_resync(frames: list[tuple[int, str]]) -> None:
    msgs = book_frames(frames, "BTC-USDT")
    codec = OkxCodec()
    assert isinstance(codec.decode(orjson.dumps(msgs[0]).decode(), 1)[0], OrderBook)
    assert isinstance(codec.decode(orjson.dumps(msgs[1]).decode(), 2)[0], OrderBook)
    original = msgs[2]["data"][0]["asks"][0][1]
    events = codec.decode(corrupt(msgs[2], "asks", 0, original + "1"), 3)
    assert len(events) == 1
    (status,) = events
    assert isinstance(status, Status)
    assert (status.kind, status.code, status.symbol) == ("resync", "checksum", "BTC-USDT")
    assert "BTC-USDT" in status.message and "checksum" in status.message
    assert codec.book("BTC-USDT") is None
    assert codec.pending_resubscribe() == [("orderbook", "BTC-USDT")]
    assert codec.pending_resubscribe() == []
    # Later updates of the old subscription are dropped quietly until a new snapshot.
    for m in msgs[3:6]:
        assert codec.decode(orjson.dumps(m).decode(), 4) == []
    events = codec.decode(orjson.dumps(msgs[0]).decode(), 5)
    assert isinstance(events[0], OrderBook) and events[0].snapshot


def test_same_number_different_string_fails_checksum(frames: list[tuple[int, str]]) -> None:
    """The checksum is over the wire strings: "0.059" and "0.0590" are not the same."""
    msgs = book_frames(frames, "BTC-USDT")
    codec = OkxCodec()
    codec.decode(orjson.dumps(msgs[0]).decode(), 1)
    assert msgs[1]["data"][0]["asks"][1][:2] == ["30243.6", "0.059"]
    (status,) = codec.decode(corrupt(msgs[1], "asks", 1, "0.0590"), 2)
    assert (status.kind, status.code) == ("resync", "checksum")


def test_unreadable_update_forces_resync(frames: list[tuple[int, str]]) -> None:
    msgs = book_frames(frames, "BTC-USDT")
    codec = OkxCodec()
    codec.decode(orjson.dumps(msgs[0]).decode(), 1)
    events = codec.decode(corrupt(msgs[1], "bids", 0, "lots"), 2)
    assert [(e.kind, e.code) for e in events] == [("error", "malformed"), ("resync", "malformed")]
    assert not any(isinstance(e, OrderBook) for e in events)
    assert codec.pending_resubscribe() == [("orderbook", "BTC-USDT")]


def test_resync_frames() -> None:
    codec = OkxCodec()
    codec.decode(
        '{"arg":{"channel":"books","instId":"ETH-USDT"},"action":"update","data":[{"asks":[],'
        '"bids":[["1","1","0","1"]],"ts":"1","checksum":0,"prevSeqId":1,"seqId":2}]}',
        1,
    )
    frames = [orjson.loads(f) for f in codec.resync_frames()]
    assert [f["op"] for f in frames] == ["unsubscribe", "subscribe"]
    for f in frames:
        assert f["args"] == [{"channel": "books", "instId": "ETH-USDT"}]
    assert codec.resync_frames() == []
    assert codec.pending_resubscribe() == []
    # Explicit pairs do not touch the pending list.
    assert len(codec.resync_frames([("orderbook", "BTC-USDT")])) == 2


# Synthetic frames in the documented (2023+) shape, with seqId/prevSeqId and checksum 0.


def book_msg(action: str, asks: list, bids: list, prev: int, seq: int, checksum: int = 0) -> str:
    data = {
        "asks": asks,
        "bids": bids,
        "ts": "1700000000000",
        "checksum": checksum,
        "prevSeqId": prev,
        "seqId": seq,
    }
    msg = {"arg": {"channel": "books", "instId": "BTC-USDT"}, "action": action, "data": [data]}
    return orjson.dumps(msg).decode()


SNAP_ASKS = [["100.5", "2", "0", "1"], ["101", "3", "0", "2"], ["102.25", "1", "0", "1"]]
SNAP_BIDS = [["100", "1.5", "0", "1"], ["99.5", "4", "0", "3"], ["98", "10", "0", "5"]]


def test_sequence_chain() -> None:
    codec = OkxCodec(depth=2)
    (snap,) = codec.decode(book_msg("snapshot", SNAP_ASKS, SNAP_BIDS, -1, 1000), 1)
    assert isinstance(snap, OrderBook) and snap.snapshot
    assert [(lv.price, lv.size) for lv in snap.bids] == [(100.0, 1.5), (99.5, 4.0)]
    assert [(lv.price, lv.size) for lv in snap.asks] == [(100.5, 2.0), (101.0, 3.0)]
    assert snap.total_bid_size == 5.5

    (ev,) = codec.decode(book_msg("update", [["100.5", "0", "0", "0"]], [], 1000, 1003), 2)
    assert ev.asks[0].price == 101.0  # seqId may jump by more than one
    assert codec.decode(book_msg("update", [], [], 1003, 1003), 3) == []  # heartbeat
    # After maintenance seqId may go backwards: still fine, the chain is on prevSeqId.
    (ev,) = codec.decode(book_msg("update", [], [["100.2", "7", "0", "1"]], 1003, 12), 4)
    assert (ev.bids[0].price, ev.bids[0].size) == (100.2, 7.0)
    (ev,) = codec.decode(book_msg("update", [], [["100.2", "8", "0", "1"]], 12, 13), 5)
    assert ev.bids[0].size == 8.0

    # A skipped message: prevSeqId 14 but the last seqId seen was 13.
    events = codec.decode(book_msg("update", [], [["99", "1", "0", "1"]], 14, 15), 6)
    assert len(events) == 1
    (status,) = events
    assert isinstance(status, Status)
    assert (status.kind, status.code, status.symbol) == ("resync", "sequence", "BTC-USDT")
    assert "13" in status.message and "14" in status.message
    assert codec.pending_resubscribe() == [("orderbook", "BTC-USDT")]
    assert codec.decode(book_msg("update", [], [], 15, 16), 7) == []
    (snap,) = codec.decode(book_msg("snapshot", SNAP_ASKS, SNAP_BIDS, -1, 20), 8)
    assert snap.snapshot and snap.best_bid == 100.0
    (ev,) = codec.decode(book_msg("update", [["100.5", "5", "0", "1"]], [], 20, 21), 9)
    assert ev.asks[0].size == 5.0


def test_synthetic_checksum_is_verified() -> None:
    bids = {float(p): (p, s) for p, s, *_ in SNAP_BIDS}
    asks = {float(p): (p, s) for p, s, *_ in SNAP_ASKS}
    good = reference_checksum(bids, asks)
    assert good == okx_checksum(
        [(p, s) for p, s, *_ in SNAP_BIDS], [(p, s) for p, s, *_ in SNAP_ASKS]
    )
    codec = OkxCodec()
    (snap,) = codec.decode(book_msg("snapshot", SNAP_ASKS, SNAP_BIDS, -1, 1, good), 1)
    assert isinstance(snap, OrderBook)
    reference_apply(bids, [["99.5", "0", "0", "0"]])
    (ev,) = codec.decode(
        book_msg("update", [], [["99.5", "0", "0", "0"]], 1, 2, reference_checksum(bids, asks)), 2
    )
    assert [lv.price for lv in ev.bids] == [100.0, 98.0]
    (st,) = codec.decode(book_msg("update", [], [["98", "11", "0", "1"]], 2, 3, good), 3)
    assert (st.kind, st.code) == ("resync", "checksum")


def test_update_before_snapshot_and_unsubscribed_books() -> None:
    codec = OkxCodec()
    # Decode-only use (replay starting mid-stream): an orphan update asks for a snapshot.
    (st,) = codec.decode(book_msg("update", [], [], 1, 2), 1)
    assert (st.kind, st.code) == ("resync", "sequence")
    codec.reset()
    assert codec.pending_resubscribe() == []
    # With a subscription: updates in flight before the snapshot are ignored quietly ...
    codec.subscribe_frames({"orderbook": frozenset({"BTC-USDT"})}, {})
    assert codec.decode(book_msg("update", [], [], 1, 2), 2) == []
    assert codec.pending_resubscribe() == []
    assert len(codec.decode(book_msg("snapshot", SNAP_ASKS, SNAP_BIDS, -1, 5), 3)) == 1
    # ... and after an unsubscribe nothing about that book reaches the owner.
    codec.subscribe_frames({}, {"orderbook": frozenset({"BTC-USDT"})})
    assert codec.book("BTC-USDT") is None
    assert codec.decode(book_msg("update", [], [], 99, 100), 4) == []
    assert codec.decode(book_msg("snapshot", SNAP_ASKS, SNAP_BIDS, -1, 5), 5) == []
    assert codec.pending_resubscribe() == []


def test_reset_forgets_books(frames: list[tuple[int, str]]) -> None:
    codec = OkxCodec()
    decode_all(codec, frames)
    assert codec.book("BTC-USDT") is not None
    codec.reset()
    assert codec.book("BTC-USDT") is None


# -- other channels and events (documented shapes) ---------------------------------------


def test_books5_and_bbo() -> None:
    codec = OkxCodec()
    (b5,) = codec.decode(
        '{"arg":{"channel":"books5","instId":"BTC-USDT"},"data":[{"asks":[["8446","95","0","3"],'
        '["8447","1","0","1"]],"bids":[["8445","2","0","1"],["8444","11","0","2"]],'
        '"instId":"BTC-USDT","ts":"1597026383085","seqId":123}]}',
        7,
    )
    assert isinstance(b5, OrderBook)
    assert (b5.symbol, b5.base, b5.quote, b5.timestamp, b5.recv_ns) == (
        "BTC-USDT",
        "BTC",
        "USDT",
        1597026383085,
        7,
    )
    assert [(lv.price, lv.size) for lv in b5.bids] == [(8445.0, 2.0), (8444.0, 11.0)]
    assert [(lv.price, lv.size) for lv in b5.asks] == [(8446.0, 95.0), (8447.0, 1.0)]
    assert (b5.total_bid_size, b5.total_ask_size) == (13.0, 96.0)
    (bbo,) = codec.decode(
        '{"arg":{"channel":"bbo-tbt","instId":"ETH-USDT"},"data":[{"asks":[["3000.1","4","0","2"]],'
        '"bids":[["3000","1","0","1"]],"ts":"1700000000001","seqId":5}]}',
        8,
    )
    assert (bbo.symbol, bbo.best_bid, bbo.best_ask) == ("ETH-USDT", 3000.0, 3000.1)


def test_candles() -> None:
    codec = OkxCodec()
    events = codec.decode(
        '{"arg":{"channel":"candle1D","instId":"BTC-USDT"},"data":[["1597026383085","8533.02",'
        '"8553.74","8527.17","8548.26","45247","529.5858061","5529.5858061","0"]]}',
        9,
    )
    (c,) = events
    assert isinstance(c, Candle)
    assert (c.symbol, c.base, c.quote, c.interval) == ("BTC-USDT", "BTC", "USDT", "1d")
    assert (c.open_time, c.open, c.high, c.low, c.close) == (
        1597026383085,
        8533.02,
        8553.74,
        8527.17,
        8548.26,
    )
    assert c.volume == 45247.0 and c.quote_volume == 5529.5858061
    assert c.closed is False and c.recv_ns == 9
    (c,) = codec.decode(
        '{"arg":{"channel":"candle1H","instId":"BTC-USDT-SWAP"},"data":[["1700000000000","1","2",'
        '"0.5","1.5","1000","10","15","1"]]}',
        10,
    )
    assert (c.interval, c.base, c.quote, c.closed) == ("1h", "BTC", "USDT", True)
    assert (c.volume, c.quote_volume) == (10.0, 15.0)  # derivatives: volCcy is base


def test_events() -> None:
    codec = OkxCodec()
    assert codec.decode("pong", 1) == []
    (st,) = codec.decode(
        '{"id":"1512","event":"subscribe","arg":{"channel":"candle1m","instId":"BTC-USDT"},'
        '"connId":"a4d3ae55"}',
        1,
    )
    assert (st.kind, st.code, st.symbol) == ("subscribed", "candle.1m", "BTC-USDT")
    (st,) = codec.decode(
        '{"id":"1512","event":"error","code":"60012",'
        '"msg":"Invalid request: {\\"op\\": \\"sub\\"}","connId":"a4d3ae55"}',
        2,
    )
    assert (st.kind, st.code) == ("error", "60012")
    assert "Invalid request" in st.message and "not understood" in st.message
    (st,) = codec.decode(
        '{"event":"notice","code":"64008","msg":"The connection will soon be closed for a service'
        ' upgrade. Please reconnect.","connId":"a4d3ae55"}',
        3,
    )
    assert (st.kind, st.code) == ("notice", "64008")
    assert "upgrade" in st.message
    (st,) = codec.decode(
        '{"event":"unsubscribe","arg":{"channel":"books","instId":"BTC-USDT"},"connId":"a"}', 4
    )
    assert (st.kind, st.symbol) == ("status", "BTC-USDT")


@pytest.mark.parametrize(
    "frame",
    [
        "",
        "not json",
        b"\xff\xfe",
        "[1,2,3]",
        "42",
        '{"arg":{"channel":"tickers","instId":"BTC-USDT"}}',
        '{"arg":{"channel":"tickers","instId":"BTC-USDT"},"data":{}}',
        '{"arg":{"channel":"tickers","instId":"BTC-USDT"},"data":[{"instId":"BTC-USDT"}]}',
        '{"arg":{"channel":"trades","instId":"BTC-USDT"},"data":[{"instId":"BTC-USDT",'
        '"tradeId":"1","px":"1","sz":"1","side":"BID","ts":"1"}]}',
        '{"arg":{"channel":"candle1m","instId":"BTC-USDT"},"data":[["1","2"]]}',
        '{"data":[]}',
    ],
)
def test_malformed_frames_become_one_status(frame: str | bytes) -> None:
    events = OkxCodec().decode(frame, 5)
    assert len(events) == 1
    (st,) = events
    assert isinstance(st, Status)
    assert (st.kind, st.code, st.recv_ns) == ("error", "malformed", 5)
    assert st.message


def test_decode_never_raises_on_truncated_real_frames(frames: list[tuple[int, str]]) -> None:
    codec = OkxCodec()
    for recv_ns, f in frames[::7]:
        for cut in (1, len(f) // 3, len(f) // 2, len(f) - 1):
            events = codec.decode(f[:cut], recv_ns)
            assert isinstance(events, list)
        codec.decode(f, recv_ns)


def test_unknown_channel_push_is_ignored() -> None:
    frame = '{"arg":{"channel":"instruments","instType":"SPOT"},"data":[{"instId":"X-Y"}]}'
    assert OkxCodec().decode(frame, 1) == []


@pytest.mark.parametrize(
    "update",
    [
        '{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"update","data":[[1,2]]}',
        '{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"delta","data":[{"asks":[],'
        '"bids":[],"ts":"1"}]}',
        '{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"update","data":[{"asks":[],'
        '"bids":[["100","1"]],"ts":"soon","prevSeqId":1000,"seqId":1001}]}',
    ],
)
def test_odd_book_messages_drop_the_book(update: str) -> None:
    codec = OkxCodec()
    codec.decode(book_msg("snapshot", SNAP_ASKS, SNAP_BIDS, -1, 1000), 1)
    events = codec.decode(update, 2)
    assert [(e.kind, e.code) for e in events] == [("error", "malformed"), ("resync", "malformed")]
    assert codec.book("BTC-USDT") is None
    assert codec.pending_resubscribe() == [("orderbook", "BTC-USDT")]


def test_snapshot_with_wrong_checksum_is_not_shown() -> None:
    codec = OkxCodec()
    (st,) = codec.decode(book_msg("snapshot", SNAP_ASKS, SNAP_BIDS, -1, 1, checksum=12345), 1)
    assert (st.kind, st.code, st.symbol) == ("resync", "checksum", "BTC-USDT")
    assert codec.book("BTC-USDT") is None


# -- the sequence chain is the only guard once checksums are 0 ------------------------------


def bare_update(asks: list, bids: list, **fields: Any) -> str:
    """A books update with only the fields given (no seqId/prevSeqId/checksum by default)."""
    data = {"asks": asks, "bids": bids, "ts": "1700000000000", **fields}
    msg = {"arg": {"channel": "books", "instId": "BTC-USDT"}, "action": "update", "data": [data]}
    return orjson.dumps(msg).decode()


@pytest.mark.parametrize("checksum", [{}, {"checksum": 0}])
@pytest.mark.parametrize(
    "seq", [{}, {"seqId": 1001}, {"prevSeqId": 1000}], ids=["none", "no-prev", "no-seq"]
)
def test_update_without_sequence_or_checksum_is_a_broken_chain(
    checksum: dict[str, int], seq: dict[str, int]
) -> None:
    codec = OkxCodec()
    codec.decode(book_msg("snapshot", SNAP_ASKS, SNAP_BIDS, -1, 1000), 1)
    events = codec.decode(bare_update([], [["100.2", "1", "0", "1"]], **checksum, **seq), 2)
    (st,) = events
    assert isinstance(st, Status)
    assert (st.kind, st.code, st.symbol) == ("resync", "sequence", "BTC-USDT")
    assert codec.book("BTC-USDT") is None
    assert codec.pending_resubscribe() == [("orderbook", "BTC-USDT")]


def test_update_after_snapshot_without_sequence_needs_a_checksum() -> None:
    """A snapshot without seqId cannot anchor a chain: its updates need a real checksum."""
    codec = OkxCodec()
    codec.decode(bare_update(SNAP_ASKS, SNAP_BIDS).replace('"update"', '"snapshot"'), 1)
    (st,) = codec.decode(bare_update([], [["100.2", "1", "0", "1"]], prevSeqId=5, seqId=6), 2)
    assert (st.kind, st.code) == ("resync", "sequence")


def test_update_without_sequence_but_verified_checksum_is_fine() -> None:
    bids = {float(p): (p, s) for p, s, *_ in SNAP_BIDS}
    asks = {float(p): (p, s) for p, s, *_ in SNAP_ASKS}
    codec = OkxCodec()
    snap = bare_update(SNAP_ASKS, SNAP_BIDS, checksum=reference_checksum(bids, asks))
    (b,) = codec.decode(snap.replace('"update"', '"snapshot"'), 1)
    assert isinstance(b, OrderBook)
    reference_apply(bids, [["100.2", "1", "0", "1"]])
    good = reference_checksum(bids, asks)
    (u,) = codec.decode(bare_update([], [["100.2", "1", "0", "1"]], checksum=good), 2)
    assert isinstance(u, OrderBook) and u.best_bid == 100.2
    (st,) = codec.decode(bare_update([], [["100.3", "1", "0", "1"]], checksum=good), 3)
    assert (st.kind, st.code) == ("resync", "checksum")


def test_heartbeats_and_backward_seq_ids_are_not_gaps() -> None:
    codec = OkxCodec()
    codec.decode(book_msg("snapshot", SNAP_ASKS, SNAP_BIDS, -1, 1000), 1)
    for _ in range(3):
        assert codec.decode(book_msg("update", [], [], 1000, 1000), 2) == []
    (ev,) = codec.decode(book_msg("update", [], [["100.2", "1", "0", "1"]], 1000, 3), 3)
    assert isinstance(ev, OrderBook)
    assert codec.decode(book_msg("update", [], [], 3, 3), 4) == []
    (ev,) = codec.decode(book_msg("update", [], [["100.2", "0", "0", "0"]], 3, 4), 5)
    assert isinstance(ev, OrderBook) and ev.best_bid == 100.0
    assert codec.pending_resubscribe() == []


@pytest.mark.parametrize(
    ("asks", "bids"),
    [
        ([], [["100.5", "1", "0", "1"]]),  # a bid at the best ask
        ([], [["101", "1", "0", "1"]]),  # a bid through it
        ([["99.5", "1", "0", "1"]], []),  # an ask below the best bid
    ],
)
def test_update_that_crosses_the_book_resyncs(asks: list, bids: list) -> None:
    codec = OkxCodec()
    codec.decode(book_msg("snapshot", SNAP_ASKS, SNAP_BIDS, -1, 1000), 1)
    (st,) = codec.decode(book_msg("update", asks, bids, 1000, 1001), 2)
    assert isinstance(st, Status)
    assert (st.kind, st.code, st.symbol) == ("resync", "crossed", "BTC-USDT")
    assert "crossed" in st.message and "BTC-USDT" in st.message
    assert codec.book("BTC-USDT") is None
    assert codec.pending_resubscribe() == [("orderbook", "BTC-USDT")]


def test_crossed_snapshot_resyncs() -> None:
    codec = OkxCodec()
    crossed = [["99", "1", "0", "1"], *SNAP_ASKS]
    (st,) = codec.decode(book_msg("snapshot", crossed, SNAP_BIDS, -1, 1000), 1)
    assert (st.kind, st.code) == ("resync", "crossed")
    assert codec.book("BTC-USDT") is None


@pytest.mark.parametrize("level", [["NaN", "1"], ["-100", "1"], ["Infinity", "1"], ["99", "-1"]])
def test_update_with_impossible_level_resyncs(level: list[str]) -> None:
    codec = OkxCodec()
    codec.decode(book_msg("snapshot", SNAP_ASKS, SNAP_BIDS, -1, 1000), 1)
    events = codec.decode(book_msg("update", [], [[*level, "0", "1"]], 1000, 1001), 2)
    assert [(e.kind, e.code) for e in events] == [("error", "invalid"), ("resync", "invalid")]
    assert events[0].message.startswith("Ignored an OKX order book update for BTC-USDT ")
    assert codec.book("BTC-USDT") is None


def deep_levels(start: float, step: float, n: int) -> list[list[str]]:
    return [[f"{start + i * step:.1f}", "1", "0", "1"] for i in range(n)]


def test_only_checksummed_levels_are_shown() -> None:
    asks = deep_levels(100.5, 0.5, 40)
    bids = deep_levels(100.0, -0.5, 40)
    crc = okx_checksum([(p, s) for p, s, *_ in bids[:25]], [(p, s) for p, s, *_ in asks[:25]])
    codec = OkxCodec()  # depth 30
    (b,) = codec.decode(book_msg("snapshot", asks, bids, -1, 1, crc), 1)
    assert len(b.bids) == len(b.asks) == 25
    (b,) = OkxCodec().decode(book_msg("snapshot", asks, bids, -1, 1, 0), 1)
    assert len(b.bids) == len(b.asks) == 30  # checksum 0: the chain vouches for every level
    (b,) = OkxCodec(depth=10).decode(book_msg("snapshot", asks, bids, -1, 1, crc), 1)
    assert len(b.bids) == len(b.asks) == 10


# -- the codec contract: frames to send, side-effect-free validation ----------------------


def test_frames_to_send_drains_resyncs() -> None:
    codec = OkxCodec()
    assert codec.frames_to_send() == []
    codec.subscribe_frames({"orderbook": frozenset({"BTC-USDT"})}, {})
    codec.decode(book_msg("snapshot", SNAP_ASKS, SNAP_BIDS, -1, 1000), 1)
    (st,) = codec.decode(book_msg("update", [], [["99", "1", "0", "1"]], 999, 1001), 2)
    assert st.kind == "resync"
    frames = [orjson.loads(f) for f in codec.frames_to_send()]
    assert [f["op"] for f in frames] == ["unsubscribe", "subscribe"]
    for f in frames:
        assert f["args"] == [{"channel": "books", "instId": "BTC-USDT"}]
    assert codec.frames_to_send() == []
    assert codec.pending_resubscribe() == []
    # Updates of the dropped subscription are ignored quietly until the new snapshot.
    assert codec.decode(book_msg("update", [], [], 1001, 1002), 3) == []
    (b,) = codec.decode(book_msg("snapshot", SNAP_ASKS, SNAP_BIDS, -1, 5000), 4)
    assert isinstance(b, OrderBook)


def test_validate_channel_has_no_side_effects() -> None:
    codec = OkxCodec()
    codec.subscribe_frames({"orderbook": frozenset({"BTC-USDT"})}, {})
    assert codec.decode(book_msg("snapshot", SNAP_ASKS, SNAP_BIDS, -1, 1000), 1)[0].snapshot
    for channel in ("ticker", "trade", "orderbook", "orderbook5", "bbo", "candle.1m", "candle.1d"):
        codec.validate_channel(channel)
    for bad in ("depth", "tickers", "books", "candle.7m", ""):
        with pytest.raises(ValueError, match="OKX has no channel"):
            codec.validate_channel(bad)
    # The live book and the subscription state are untouched.
    assert codec.book("BTC-USDT") is not None
    (ev,) = codec.decode(book_msg("update", [], [["100.2", "7", "0", "1"]], 1000, 1001), 2)
    assert isinstance(ev, OrderBook) and ev.best_bid == 100.2
    assert codec.frames_to_send() == []
