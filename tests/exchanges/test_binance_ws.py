"""Binance spot WebSocket codec, driven by the real recorded session (combined streams plus
the REST depth snapshots taken while it ran) and by the documented payloads."""

from __future__ import annotations

import math
from typing import Any

import orjson
import pytest

from dantaro_tui.exchanges import codec_class
from dantaro_tui.exchanges.base import RateLimit, RestRequest
from dantaro_tui.exchanges.binance import (
    CANDLE_INTERVALS,
    BinanceCodec,
    binance_stream,
    depth_weight,
    split_symbol_by_quote,
    stream_key,
)
from dantaro_tui.exchanges.sanity import checked
from dantaro_tui.model import Candle, Event, Market, OrderBook, Status, Ticker, Trade
from tests.recorded import load

NS = 1_000_000_000
CONTROL = set(map(chr, [*range(0x20), *range(0x7F, 0xA0)]))


# -- the recorded session -------------------------------------------------------------------


@pytest.fixture(scope="module")
def frames() -> list[tuple[int, str]]:
    rec = load("binance_ws.txt")
    out = []
    for ts, frame in rec.received:
        assert isinstance(frame, str)  # Binance sends text frames
        out.append((int(ts * NS), frame))
    assert len(out) == 265
    return out


@pytest.fixture(scope="module")
def snapshots() -> dict[str, tuple[int, bytes]]:
    """symbol -> (receive time, /api/v3/depth body) as recorded."""
    rec = load("binance_depth_rest.txt")
    out = {}
    for url, ts, body in rec.rest:
        sym = url.split("symbol=")[1].split("&")[0]
        assert url.endswith("limit=1000")
        out[sym] = (int(ts * NS), body.encode())
    assert sorted(out) == ["BLZETH", "LRCBTC", "NKNUSDT", "RUNEEUR"]
    return out


def replay(
    codec: BinanceCodec,
    frames: list[tuple[int, str]],
    snapshots: dict[str, tuple[int, bytes]],
) -> list[Event]:
    """The session in receive order: frames decoded, each snapshot handed to ``on_rest``
    when its recorded reply arrived (the codec must have asked for it by then)."""
    timeline: list[tuple[int, int, str]] = [(ns, 0, f) for ns, f in frames]
    timeline += [(ns, 1, sym) for sym, (ns, _) in snapshots.items()]
    timeline.sort()
    asked: dict[str, RestRequest] = {}
    events: list[Event] = []
    for ns, kind, item in timeline:
        if kind == 0:
            events += codec.decode(item, ns)
            for req in codec.rest_requests():
                asked[req.key] = req
        else:
            req = asked.pop(f"depth:{item}")
            events += codec.on_rest(req, 200, snapshots[item][1], ns)
    return events


def assert_trustworthy(events: list[Event]) -> None:
    """Every market event passes the sanity checks; no text carries a control character."""
    for ev in events:
        if isinstance(ev, Status):
            assert not CONTROL & set(ev.message + ev.code + ev.symbol)
        else:
            assert checked(ev) is ev


# -- an independent reference book (plain dicts) ---------------------------------------------


class RefBook:
    def __init__(self, snap: dict[str, Any]) -> None:
        self.bids = {float(p): float(q) for p, q in snap["bids"] if float(q)}
        self.asks = {float(p): float(q) for p, q in snap["asks"] if float(q)}
        self.last = snap["lastUpdateId"]

    def apply(self, d: dict[str, Any]) -> None:
        for side, levels in ((self.bids, d["b"]), (self.asks, d["a"])):
            for p, q in levels:
                if float(q) == 0:
                    side.pop(float(p), None)
                else:
                    side[float(p)] = float(q)
        self.last = d["u"]

    def top(self, n: int) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
        b = [(p, self.bids[p]) for p in sorted(self.bids, reverse=True)[:n]]
        a = [(p, self.asks[p]) for p in sorted(self.asks)[:n]]
        return b, a

    def body(self) -> bytes:
        """This book as a /api/v3/depth reply."""
        return orjson.dumps(
            {
                "lastUpdateId": self.last,
                "bids": [[repr(p), repr(q)] for p, q in sorted(self.bids.items(), reverse=True)],
                "asks": [[repr(p), repr(q)] for p, q in sorted(self.asks.items())],
            }
        )


def levels(book: OrderBook) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    return [(lv.price, lv.size) for lv in book.bids], [(lv.price, lv.size) for lv in book.asks]


def depth_msgs(frames: list[tuple[int, str]], sym: str) -> list[tuple[int, str, dict[str, Any]]]:
    out = []
    for ns, f in frames:
        m = orjson.loads(f)
        if m["stream"].endswith("@depth@100ms") and m["data"]["s"] == sym:
            out.append((ns, f, m["data"]))
    return out


# -- codec facts --------------------------------------------------------------------------


def test_class_facts() -> None:
    assert codec_class("binance") is BinanceCodec
    c = BinanceCodec()
    assert c.name == "binance"
    assert c.default_ws_url == "wss://stream.binance.com:9443"
    assert c.default_rest_url == "https://api.binance.com"
    assert c.ping_frame is None  # Binance pings us; the WebSocket library answers
    assert c.keepalive_interval == 20.0
    assert c.message_limits == (RateLimit(5, 1.0),)
    assert c.connect_limits == (RateLimit(300, 300.0),)
    assert c.max_pairs == 1024
    assert c.max_lifetime == 24 * 3600
    assert c.answers_subscriptions
    assert c.depth == 30
    with pytest.raises(ValueError):
        BinanceCodec(depth=0)
    with pytest.raises(ValueError):
        BinanceCodec(snapshot_limit=5001)


def test_ws_urls() -> None:
    c = BinanceCodec()
    assert c.ws_url(c.default_ws_url, "") == "wss://stream.binance.com:9443/stream"
    assert c.ws_url("wss://data-stream.binance.vision/", "") == (
        "wss://data-stream.binance.vision/stream"
    )
    assert c.ws_url("ws://127.0.0.1:9000/ws", "") == "ws://127.0.0.1:9000/stream"
    assert c.ws_url("ws://127.0.0.1:9000/stream", "") == "ws://127.0.0.1:9000/stream"
    full = "wss://stream.binance.com:9443/stream?streams=btcusdt@trade"
    assert c.ws_url(full, "") == full


def test_stream_names() -> None:
    assert binance_stream("trade", "BTCUSDT") == "btcusdt@trade"
    assert binance_stream("ticker", "BTCUSDT") == "btcusdt@ticker"
    assert binance_stream("bbo", "BTCUSDT") == "btcusdt@bookTicker"
    assert binance_stream("orderbook", "BTCUSDT") == "btcusdt@depth@100ms"
    assert binance_stream("candle.1m", "ETHBTC") == "ethbtc@kline_1m"
    assert binance_stream("candle.1M", "ETHBTC") == "ethbtc@kline_1M"  # a month
    assert " ".join(CANDLE_INTERVALS) == "1s 1m 3m 5m 15m 30m 1h 2h 4h 6h 8h 12h 1d 3d 1w 1M"
    for iv in ("1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d", "3d"):
        assert binance_stream(f"candle.{iv}", "X") == f"x@kline_{iv}"
        assert stream_key(f"x@kline_{iv}") == (f"candle.{iv}", "X")
    assert stream_key("nknusdt@depth@100ms") == ("orderbook", "NKNUSDT")
    assert stream_key("nknusdt@bookTicker") == ("bbo", "NKNUSDT")
    assert stream_key("nknusdt@aggTrade") is None
    for bad in ("tickers", "candle.7m", "candle.1H", "depth", ""):
        with pytest.raises(ValueError):
            binance_stream(bad, "BTCUSDT")
        with pytest.raises(ValueError):
            BinanceCodec().validate_channel(bad)
    BinanceCodec().validate_channel("candle.1w")


def test_symbol_split_fallback() -> None:
    assert split_symbol_by_quote("BTCUSDT") == ("BTC", "USDT")
    assert split_symbol_by_quote("BTCFDUSD") == ("BTC", "FDUSD")
    assert split_symbol_by_quote("ETHBTC") == ("ETH", "BTC")
    assert split_symbol_by_quote("ADAEUR") == ("ADA", "EUR")
    assert split_symbol_by_quote("BTCTRY") == ("BTC", "TRY")
    assert split_symbol_by_quote("USDT") == ("USDT", "")
    assert split_symbol_by_quote("WHAT") == ("WHAT", "")
    # Every symbol of the recorded exchangeInfo splits as Binance's baseAsset/quoteAsset.
    info = orjson.loads(load("binance_rest.txt").rest[0][2])
    wrong = [
        s["symbol"]
        for s in info["symbols"]
        if split_symbol_by_quote(s["symbol"]) != (s["baseAsset"], s["quoteAsset"])
    ]
    assert len(info["symbols"]) == 1695 and wrong == []


def test_markets_mapping_wins_over_the_split() -> None:
    # A made-up listing where the suffix rule would be wrong: the mapping is the truth.
    codec = BinanceCodec(markets={"ABCUSDT": Market("binance", "ABCUSDT", "ABCU", "SDT")})
    frame = (
        '{"stream":"abcusdt@trade","data":{"e":"trade","E":1,"s":"ABCUSDT","t":7,'
        '"p":"1.5","q":"2","T":2,"m":true,"M":true}}'
    )
    (t,) = codec.decode(frame, 1)
    assert isinstance(t, Trade) and (t.base, t.quote) == ("ABCU", "SDT")
    codec = BinanceCodec(markets={"ABCUSDT": ("ABC", "USDT")})
    (t,) = codec.decode(frame, 1)
    assert isinstance(t, Trade) and (t.base, t.quote) == ("ABC", "USDT")


def test_depth_weights() -> None:
    assert [depth_weight(n) for n in (5, 100, 101, 500, 1000, 1001, 5000)] == [
        5,
        5,
        25,
        25,
        50,
        250,
        250,
    ]


# -- subscriptions ------------------------------------------------------------------------


def test_subscribe_frames_send_diffs_and_acks_name_each_stream() -> None:
    c = BinanceCodec()
    desired = {
        "trade": frozenset({"BTCUSDT", "ETHUSDT"}),
        "orderbook": frozenset({"BTCUSDT"}),
        "candle.1h": frozenset({"BTCUSDT"}),
    }
    (frame,) = c.subscribe_frames(desired, {})
    msg = orjson.loads(frame)
    assert msg["method"] == "SUBSCRIBE"
    assert sorted(msg["params"]) == [
        "btcusdt@depth@100ms",
        "btcusdt@kline_1h",
        "btcusdt@trade",
        "ethusdt@trade",
    ]
    assert isinstance(msg["id"], int)
    assert c.subscribe_frames(desired, desired) == []
    assert c.rest_requests() == []  # the snapshot is asked for once deltas are buffered

    acks = c.decode(orjson.dumps({"result": None, "id": msg["id"]}).decode(), 9)
    assert all(isinstance(a, Status) and a.kind == "subscribed" for a in acks)
    assert sorted((a.code, a.symbol) for a in acks if isinstance(a, Status)) == [
        ("candle.1h", "BTCUSDT"),
        ("orderbook", "BTCUSDT"),
        ("trade", "BTCUSDT"),
        ("trade", "ETHUSDT"),
    ]
    assert acks[0].recv_ns == 9
    assert any(a.message == "Subscribed to Binance 1h candles for BTCUSDT." for a in acks)

    smaller = {"trade": frozenset({"BTCUSDT"}), "ticker": frozenset({"BTCUSDT"})}
    frames = [orjson.loads(f) for f in c.subscribe_frames(smaller, desired)]
    assert [f["method"] for f in frames] == ["UNSUBSCRIBE", "SUBSCRIBE"]
    assert frames[0]["params"] == ["btcusdt@depth@100ms", "btcusdt@kline_1h", "ethusdt@trade"]
    assert frames[1]["params"] == ["btcusdt@ticker"]
    assert frames[0]["id"] != frames[1]["id"] != msg["id"]
    (unsub,) = c.decode(orjson.dumps({"result": None, "id": frames[0]["id"]}), 1)
    assert isinstance(unsub, Status)
    assert (unsub.kind, unsub.code) == ("status", "unsubscribed")
    assert unsub.message == "Unsubscribed from 3 Binance streams."
    (ack,) = c.decode(orjson.dumps({"result": None, "id": frames[1]["id"]}), 1)
    assert isinstance(ack, Status) and (ack.kind, ack.code, ack.symbol) == (
        "subscribed",
        "ticker",
        "BTCUSDT",
    )


def test_large_subscriptions_are_split_and_stay_under_1024() -> None:
    c = BinanceCodec()
    symbols = frozenset(f"COIN{i:04d}USDT" for i in range(512))
    frames = [orjson.loads(f) for f in c.subscribe_frames({"trade": symbols, "bbo": symbols}, {})]
    assert len(frames) == 6  # 1,024 streams, 200 per request
    params = [p for f in frames for p in f["params"]]
    assert len(params) == len(set(params)) == 1024 == c.max_pairs
    assert len({f["id"] for f in frames}) == 6
    assert all(len(f["params"]) <= 200 for f in frames)


def test_refusals_become_errors() -> None:
    c = BinanceCodec()
    (frame,) = c.subscribe_frames({"trade": frozenset({"BTCUSDT"})}, {})
    rid = orjson.loads(frame)["id"]
    reply = {"code": 2, "msg": "Invalid request: too many parameters", "id": rid}
    (err,) = c.decode(orjson.dumps(reply).decode(), 3)
    assert isinstance(err, Status)
    assert (err.kind, err.code, err.symbol, err.recv_ns) == ("error", "2", "BTCUSDT", 3)
    assert err.message == (
        "Binance refused a request (subscribe to trades for BTCUSDT): the request was not "
        "understood, code 2 (Binance says: Invalid request: too many parameters)."
    )
    assert c.errors == 1
    # Errors without an id (documented) and with hostile text.
    (err,) = c.decode('{"code": 1, "msg": "Invalid value type: expected Boolean"}', 1)
    assert isinstance(err, Status) and (err.kind, err.code) == ("error", "1")
    assert "a value has the wrong type" in err.message
    (err,) = c.decode('{"code":3,"msg":"bad\\u001b]2;pwned\\u0007","id":99}', 1)
    assert isinstance(err, Status) and err.kind == "error"
    assert not CONTROL & set(err.message)


def test_list_subscriptions() -> None:
    c = BinanceCodec()
    frame = orjson.loads(c.list_subscriptions_frame())
    assert frame["method"] == "LIST_SUBSCRIPTIONS"
    (st,) = c.decode(orjson.dumps({"result": ["btcusdt@aggTrade"], "id": frame["id"]}), 1)
    assert isinstance(st, Status) and (st.kind, st.code) == ("status", "LIST_SUBSCRIPTIONS")
    assert st.message == "Binance lists 1 active streams on this connection: btcusdt@aggTrade."


@pytest.mark.parametrize(
    "frame",
    [
        '{"e":"serverShutdown","E":1770123456789}',
        '{"stream":"!serverShutdown","data":{"e":"serverShutdown","E":1770123456789}}',
    ],
)
def test_server_shutdown_is_a_notice(frame: str) -> None:
    (st,) = BinanceCodec().decode(frame, 4)
    assert isinstance(st, Status)
    assert (st.kind, st.code, st.recv_ns) == ("notice", "serverShutdown", 4)
    assert "reconnecting" in st.message


# -- the recorded session -----------------------------------------------------------------


def test_every_recorded_frame_decodes(
    frames: list[tuple[int, str]], snapshots: dict[str, tuple[int, bytes]]
) -> None:
    codec = BinanceCodec()
    events = replay(codec, frames, snapshots)
    assert not [e for e in events if isinstance(e, Status)]
    assert codec.errors == 0
    assert_trustworthy(events)
    books = [e for e in events if isinstance(e, OrderBook)]
    bbo = [b for b in books if len(b.bids) == len(b.asks) == 1 and b.timestamp == 0]
    trades = [e for e in events if isinstance(e, Trade)]
    candles = [e for e in events if isinstance(e, Candle)]
    assert (len(books), len(bbo), len(trades), len(candles)) == (260, 84, 2, 2)
    assert sum(b.snapshot for b in books) == 4
    assert {e.exchange for e in events} == {"binance"}
    assert {(e.symbol, e.base, e.quote) for e in events if not isinstance(e, Status)} == {
        ("NKNUSDT", "NKN", "USDT"),
        ("BLZETH", "BLZ", "ETH"),
        ("LRCBTC", "LRC", "BTC"),
        ("RUNEEUR", "RUNE", "EUR"),
    }


def test_recorded_trades_and_candles(frames: list[tuple[int, str]]) -> None:
    events = [e for ns, f in frames for e in BinanceCodec().decode(f, ns)]
    nkn, lrc = [e for e in events if isinstance(e, Trade)]
    # aggTrade {"a":15683430,"p":"0.35280000","q":"58.00000000","T":1633998523963,"m":false}
    assert (nkn.symbol, nkn.base, nkn.quote) == ("NKNUSDT", "NKN", "USDT")
    assert (nkn.price, nkn.volume, nkn.side) == (0.3528, 58.0, "buy")  # m false: taker bought
    assert (nkn.trade_id, nkn.timestamp) == ("15683430", 1633998523963)
    assert nkn.recv_ns == int(1633998523.957215 * NS)
    assert (lrc.symbol, lrc.price, lrc.volume, lrc.side) == ("LRCBTC", 0.00000638, 177.0, "buy")
    assert lrc.trade_id == "9213679"
    c1, c2 = [e for e in events if isinstance(e, Candle)]
    assert (c1.symbol, c1.interval, c1.open_time, c1.timestamp) == (
        "NKNUSDT",
        "1m",
        1633998480000,
        1633998523963,
    )
    assert (c1.open, c1.high, c1.low, c1.close) == (0.3527, 0.3528, 0.3522, 0.3528)
    assert (c1.volume, c1.quote_volume, c1.closed) == (25877.0, 9116.046, False)
    assert (c2.symbol, c2.open, c2.close, c2.volume) == ("LRCBTC", 0.00000638, 0.00000638, 177.0)
    assert c2.quote_volume == 0.00112926


def test_recorded_book_tickers(frames: list[tuple[int, str]]) -> None:
    codec = BinanceCodec()
    bbo = [
        e
        for ns, f in frames
        if "@bookTicker" in f
        for e in codec.decode(f, ns)
        if isinstance(e, OrderBook)
    ]
    assert len(bbo) == 84
    first, last = bbo[0], bbo[-1]
    # {"u":499869768,"s":"NKNUSDT","b":"0.35210000","B":"672.00000000","a":"0.35260000",...}
    assert first.symbol == "NKNUSDT" and not first.snapshot
    assert levels(first) == ([(0.3521, 672.0)], [(0.3526, 3199.0)])
    assert (first.total_bid_size, first.total_ask_size, first.timestamp) == (672.0, 3199.0, 0)
    assert levels(last) == ([(0.3527, 9602.0)], [(0.3531, 152.0)])
    assert {b.symbol for b in bbo} == {"NKNUSDT", "LRCBTC", "BLZETH"}


@pytest.mark.parametrize("depth", [1000, 30, 3])
def test_recorded_book_session_syncs_without_a_gap(
    frames: list[tuple[int, str]], snapshots: dict[str, tuple[int, bytes]], depth: int
) -> None:
    codec = BinanceCodec(depth=depth)
    events = replay(codec, frames, snapshots)
    s = codec.stats
    assert (s.applied, s.gaps, s.resyncs, s.snapshots, s.stale_snapshots) == (172, 0, 0, 4, 0)
    assert s.dropped == 5  # 4 buffered before their snapshot, 1 LRCBTC delta arriving after it
    for sym in snapshots:
        assert codec.book(sym) is not None

    # Every emitted book equals an independent dict model fed the same snapshot + deltas.
    refs = {sym: RefBook(orjson.loads(body)) for sym, (_, body) in snapshots.items()}
    applied_after: dict[str, list[dict[str, Any]]] = {sym: [] for sym in snapshots}
    for sym in snapshots:
        snap_ns = snapshots[sym][0]
        last = refs[sym].last
        for ns, _, d in depth_msgs(frames, sym):
            if ns > snap_ns and d["u"] > last:
                assert d["U"] <= last + 1  # the documented chain holds on the recording
                applied_after[sym].append(d)
                last = d["u"]
    assert sum(len(v) for v in applied_after.values()) == 172
    books = [e for e in events if isinstance(e, OrderBook) and (e.timestamp != 0 or e.snapshot)]
    seen: dict[str, int] = {sym: 0 for sym in snapshots}
    for b in books:
        assert isinstance(b, OrderBook)
        ref = refs[b.symbol]
        if not b.snapshot:
            ref.apply(applied_after[b.symbol][seen[b.symbol]])
            assert b.timestamp == applied_after[b.symbol][seen[b.symbol]]["E"]
            seen[b.symbol] += 1
        assert levels(b) == ref.top(depth)
        assert b.total_bid_size == pytest.approx(sum(q for _, q in ref.top(depth)[0]))
        assert b.total_ask_size == pytest.approx(sum(q for _, q in ref.top(depth)[1]))
    assert seen == {sym: len(v) for sym, v in applied_after.items()}


def test_recorded_book_values(
    frames: list[tuple[int, str]], snapshots: dict[str, tuple[int, bytes]]
) -> None:
    events = replay(BinanceCodec(depth=5), frames, snapshots)
    nkn = [e for e in events if isinstance(e, OrderBook) and e.symbol == "NKNUSDT"]
    snap, first, second = nkn[0], nkn[1], nkn[2]
    assert snap.snapshot and snap.timestamp == 0  # no buffered delta survived the snapshot
    assert snap.recv_ns == snapshots["NKNUSDT"][0]
    assert levels(snap)[0][:2] == [(0.3521, 672.0), (0.352, 1144.0)]
    assert levels(snap)[1][:2] == [(0.3525, 3959.0), (0.3526, 3199.0)]
    assert len(snap.bids) == len(snap.asks) == 5
    # U=499869753 u=499869754: b [0.35170000, 4265], a [0.35290000, 10968] (below the top 5
    # for the ask; the bid 0.3517 is the 5th level).
    assert (first.timestamp, first.snapshot) == (1633998512568, False)
    assert levels(first)[0][4] == (0.3517, 4265.0)
    # U=499869755 u=499869757: the bid 0.3520 becomes 1290.
    assert second.timestamp == 1633998512668
    assert levels(second)[0][1] == (0.352, 1290.0)


def test_book_agrees_with_book_ticker_at_the_same_update_id(
    frames: list[tuple[int, str]], snapshots: dict[str, tuple[int, bytes]]
) -> None:
    """bookTicker's ``u`` is the book's update id: where a delta ends at the same id, the
    synced book's best levels equal the book ticker's (an independent check from Binance)."""
    codec = BinanceCodec(depth=1)
    timeline = sorted(
        [(ns, 0, f) for ns, f in frames] + [(ns, 1, s) for s, (ns, _) in snapshots.items()]
    )
    asked: dict[str, RestRequest] = {}
    tops: dict[tuple[str, int], tuple[Any, ...]] = {}
    bbos: list[tuple[str, int, tuple[Any, ...]]] = []
    for ns, kind, item in timeline:
        if kind == 1:
            codec.on_rest(asked.pop(f"depth:{item}"), 200, snapshots[item][1], ns)
            continue
        msg = orjson.loads(item)
        for ev in codec.decode(item, ns):
            if not isinstance(ev, OrderBook):
                continue
            if "bookTicker" in msg["stream"]:
                bbos.append((ev.symbol, msg["data"]["u"], levels(ev)))
            else:
                tops[(ev.symbol, msg["data"]["u"])] = levels(ev)
        for req in codec.rest_requests():
            asked[req.key] = req
    matched = [(sym, u, top) for sym, u, top in bbos if (sym, u) in tops]
    assert len(matched) >= 20
    for sym, u, top in matched:
        assert tops[(sym, u)] == top, (sym, u)


# -- gaps are detected and healed, never shown ---------------------------------------------


def _run_with(
    frames: list[tuple[int, str]],
    snapshots: dict[str, tuple[int, bytes]],
    edit: Any,
) -> tuple[BinanceCodec, list[Event], RefBook, list[tuple[int, str, dict[str, Any]]]]:
    """NKNUSDT's book from its recorded snapshot, then its deltas edited by ``edit``."""
    codec = BinanceCodec(depth=1000)
    msgs = depth_msgs(frames, "NKNUSDT")
    snap_ns, body = snapshots["NKNUSDT"]
    codec.decode(msgs[0][1], msgs[0][0])
    (req,) = codec.rest_requests()
    assert req == RestRequest(
        "depth:NKNUSDT", "/api/v3/depth", (("symbol", "NKNUSDT"), ("limit", "1000")), 50
    )
    (snap,) = codec.on_rest(req, 200, body, snap_ns)
    assert isinstance(snap, OrderBook) and snap.snapshot
    live = [m for m in msgs if m[0] > snap_ns]
    events: list[Event] = []
    ref = RefBook(orjson.loads(body))
    for ns, f, _ in edit(live):
        events += codec.decode(f, ns)
    return codec, events, ref, live


def _heal(codec: BinanceCodec, ref: RefBook, upto: list[dict[str, Any]]) -> list[Event]:
    for d in upto:
        ref.apply(d)
    (req,) = codec.rest_requests()
    assert req.key == "depth:NKNUSDT"
    assert codec.rest_requests() == []  # drained
    return codec.on_rest(req, 200, ref.body(), 1)


def test_a_deleted_delta_resyncs_and_heals(
    frames: list[tuple[int, str]], snapshots: dict[str, tuple[int, bytes]]
) -> None:
    def drop_tenth(live: list[Any]) -> list[Any]:
        return live[:10] + live[11:20]

    codec, events, ref, live = _run_with(frames, snapshots, drop_tenth)
    books = [e for e in events if isinstance(e, OrderBook)]
    statuses = [e for e in events if isinstance(e, Status)]
    assert len(books) == 10  # the ten deltas before the hole, then nothing
    (st,) = statuses
    assert (st.kind, st.code, st.symbol) == ("resync", "sequence", "NKNUSDT")
    expected = live[10][2]["U"]
    assert f"expected update {expected}, got {live[11][2]['U']}" in st.message
    assert codec.book("NKNUSDT") is None
    assert codec.stats.gaps == 1
    # A fresh snapshot at the 15th update heals it; the buffered deltas after it are applied.
    healed = _heal(codec, ref, [m[2] for m in live[:15]])
    (book,) = healed
    assert isinstance(book, OrderBook) and book.snapshot
    for d in [m[2] for m in live[15:20]]:
        ref.apply(d)
    assert levels(book) == ref.top(1000)
    (nxt,) = codec.decode(live[20][1], live[20][0])
    ref.apply(live[20][2])
    assert isinstance(nxt, OrderBook) and levels(nxt) == ref.top(1000)


def test_reordered_deltas_resync_and_heal(
    frames: list[tuple[int, str]], snapshots: dict[str, tuple[int, bytes]]
) -> None:
    def swap(live: list[Any]) -> list[Any]:
        return [*live[:5], live[6], live[5], *live[7:9]]

    codec, events, ref, live = _run_with(frames, snapshots, swap)
    kinds = [(type(e).__name__, getattr(e, "kind", "")) for e in events]
    assert kinds == [("OrderBook", "")] * 5 + [("Status", "resync")]
    assert codec.book("NKNUSDT") is None
    healed = _heal(codec, ref, [m[2] for m in live[:9]])  # everything that was sent
    assert isinstance(healed[0], OrderBook) and levels(healed[0]) == ref.top(1000)
    for ns, f, d in live[9:30]:
        (ev,) = codec.decode(f, ns)
        ref.apply(d)
        assert isinstance(ev, OrderBook) and levels(ev) == ref.top(1000)


def test_a_snapshot_older_than_the_buffer_is_asked_for_again(
    frames: list[tuple[int, str]], snapshots: dict[str, tuple[int, bytes]]
) -> None:
    codec = BinanceCodec()
    msgs = depth_msgs(frames, "NKNUSDT")
    for ns, f, _ in msgs[3:6]:  # buffering starts at U=499869758
        assert codec.decode(f, ns) == []
    (req,) = codec.rest_requests()
    assert codec.on_rest(req, 200, snapshots["NKNUSDT"][1], 1) == []  # lastUpdateId 499869752
    assert codec.stats.stale_snapshots == 1 and codec.book("NKNUSDT") is None
    (again,) = codec.rest_requests()
    assert again == req


def test_failed_snapshot_calls_are_said_and_asked_again(
    frames: list[tuple[int, str]],
) -> None:
    codec = BinanceCodec()
    ns, f, _ = depth_msgs(frames, "NKNUSDT")[0]
    codec.decode(f, ns)
    (req,) = codec.rest_requests()
    (st,) = codec.on_rest(req, 429, b'{"code":-1003,"msg":"Too many requests."}', 5)
    assert isinstance(st, Status) and (st.kind, st.code, st.symbol) == (
        "error",
        "http429",
        "NKNUSDT",
    )
    assert "HTTP 429" in st.message and "Too many requests." in st.message
    (req,) = codec.rest_requests()
    (st,) = codec.on_rest(req, 200, b"<html>", 5)
    assert isinstance(st, Status) and (st.kind, st.code) == ("error", "malformed")
    (req,) = codec.rest_requests()
    bad = b'{"lastUpdateId":499869752,"bids":[["NaN","1"]],"asks":[]}'
    (st,) = codec.on_rest(req, 200, bad, 5)
    assert isinstance(st, Status) and (st.kind, st.code) == ("error", "invalid")
    (req,) = codec.rest_requests()
    crossed = b'{"lastUpdateId":499869752,"bids":[["2","1"]],"asks":[["1","1"]]}'
    (st,) = codec.on_rest(req, 200, crossed, 5)
    assert isinstance(st, Status) and (st.kind, st.code) == ("resync", "crossed")
    (req,) = codec.rest_requests()
    assert codec.book("NKNUSDT") is None
    # A reply nobody waits for any more (unsubscribed meanwhile) is ignored.
    codec.subscribe_frames({"trade": frozenset({"NKNUSDT"})}, {})
    assert codec.on_rest(req, 200, b"{}", 5) == []


@pytest.mark.parametrize(
    ("b", "a", "code"),
    [
        ([["NaN", "1"]], [], "invalid"),
        ([["0.35", "-1"]], [], "invalid"),
        ([["0.36", "5"]], [], "crossed"),  # above the best ask 0.3525
        ([], [["0.3", "5"]], "crossed"),
        ([["0.35", "1e400"]], [], "invalid"),
    ],
)
def test_impossible_or_crossing_deltas_are_never_shown(
    frames: list[tuple[int, str]],
    snapshots: dict[str, tuple[int, bytes]],
    b: Any,
    a: Any,
    code: str,
) -> None:
    codec = BinanceCodec()
    msgs = depth_msgs(frames, "NKNUSDT")
    codec.decode(msgs[0][1], msgs[0][0])
    (req,) = codec.rest_requests()
    codec.on_rest(req, 200, snapshots["NKNUSDT"][1], 1)
    d = dict(msgs[1][2], b=b, a=a)
    events = codec.decode(orjson.dumps({"stream": "nknusdt@depth@100ms", "data": d}), 2)
    assert not [e for e in events if isinstance(e, OrderBook)]
    assert events[-1].kind == "resync" and events[-1].code == code  # type: ignore[union-attr]
    assert codec.book("NKNUSDT") is None
    assert [r.key for r in codec.rest_requests()] == ["depth:NKNUSDT"]
    # Later deltas are buffered, not shown, until a new snapshot arrives.
    for ns, f, _ in msgs[2:6]:
        assert codec.decode(f, ns) == []


def test_unsubscribed_books_are_ignored_and_reset_forgets() -> None:
    codec = BinanceCodec()
    codec.subscribe_frames({"orderbook": frozenset({"BTCUSDT"})}, {})
    delta = (
        '{"stream":"ethusdt@depth@100ms","data":{"e":"depthUpdate","E":1,"s":"ETHUSDT",'
        '"U":1,"u":2,"b":[["1","1"]],"a":[]}}'
    )
    assert codec.decode(delta, 1) == []
    assert codec.rest_requests() == []  # not ours: no snapshot asked for
    codec.decode(delta.replace("ethusdt", "btcusdt").replace("ETHUSDT", "BTCUSDT"), 1)
    assert [r.key for r in codec.rest_requests()] == ["depth:BTCUSDT"]
    codec.reset()
    assert codec.rest_requests() == [] and codec.book("BTCUSDT") is None


# -- mutated and malformed frames -----------------------------------------------------------


def _mutate(frame: str, path: tuple[Any, ...], value: Any) -> str:
    msg = orjson.loads(frame)
    node = msg["data"]
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return orjson.dumps(msg).decode()


MUTATIONS = [
    ("aggTrade", ("p",), "NaN"),
    ("aggTrade", ("p",), "-0.35"),
    ("aggTrade", ("q",), "0"),
    ("aggTrade", ("q",), "1e400"),
    ("aggTrade", ("s",), "NKN\x1b]2;x\x07USDT"),
    ("kline_1m", ("k", "o"), "NaN"),
    ("kline_1m", ("k", "h"), "0.1"),  # below the open
    ("kline_1m", ("k", "l"), "-1"),
    ("kline_1m", ("k", "v"), "-5"),
    ("bookTicker", ("b",), "0.40000000"),  # crossed
    ("bookTicker", ("b",), "NaN"),
    ("bookTicker", ("A",), "-3"),
    ("bookTicker", ("a",), "Infinity"),
]


@pytest.mark.parametrize(("stream", "path", "value"), MUTATIONS)
def test_mutated_frames_never_produce_events(
    frames: list[tuple[int, str]], stream: str, path: tuple[Any, ...], value: Any
) -> None:
    frame = next(f for _, f in frames if f'@{stream}"' in f)
    codec = BinanceCodec()
    (ev,) = codec.decode(_mutate(frame, path, value), 1)
    assert isinstance(ev, Status) and ev.kind == "error", ev
    if value == "1e400":  # beyond a double: msgspec cannot read it as a number at all
        assert ev.code == "malformed" and "out of range" in ev.message
        assert ev.symbol in ("NKNUSDT", "LRCBTC")
    else:
        assert ev.code == "invalid" and ev.message.startswith("Ignored a Binance "), ev
    assert not CONTROL & set(ev.message + ev.symbol)
    assert codec.errors == 1


TICKER = (
    '{"stream":"bnbbtc@ticker","data":{"e":"24hrTicker","E":1672515782136,"s":"BNBBTC",'
    '"p":"0.0015","P":"250.00","w":"0.0018","x":"0.0009","c":"0.0025","Q":"10","b":"0.0024",'
    '"B":"10","a":"0.0026","A":"100","o":"0.0010","h":"0.0025","l":"0.0010","v":"10000",'
    '"q":"18","O":0,"C":86400000,"F":0,"L":18150,"n":18151}}'
)


@pytest.mark.parametrize(
    ("path", "value"),
    [(("c",), "NaN"), (("c",), "0"), (("b",), "0.0030"), (("v",), "-1"), (("P",), "1e400")],
)
def test_mutated_tickers_never_produce_events(path: tuple[Any, ...], value: Any) -> None:
    (ev,) = BinanceCodec().decode(_mutate(TICKER, path, value), 1)
    assert isinstance(ev, Status) and ev.kind == "error"
    assert ev.code == ("malformed" if value == "1e400" else "invalid"), ev
    assert ev.symbol == "BNBBTC"


@pytest.mark.parametrize(
    "frame",
    [
        "",
        "not json",
        b"\xff\xfe",
        "[1,2,3]",
        "42",
        '{"stream":"btcusdt@trade","data":[]}',
        '{"stream":"btcusdt@trade","data":{"e":"trade","s":"BTCUSDT"}}',
        '{"stream":5,"data":{}}',
        '{"hello":"world"}',
        '{"stream":"btcusdt@kline_1m","data":{"e":"kline","E":1,"s":"BTCUSDT","k":{}}}',
    ],
)
def test_malformed_frames_become_one_status(frame: str | bytes) -> None:
    codec = BinanceCodec()
    (st,) = codec.decode(frame, 5)
    assert isinstance(st, Status)
    assert (st.kind, st.code, st.recv_ns) == ("error", "malformed", 5)
    assert st.message.startswith("Ignored an unreadable Binance message")
    assert codec.errors == 1


def test_decode_never_raises_on_truncated_real_frames(frames: list[tuple[int, str]]) -> None:
    codec = BinanceCodec()
    for ns, f in frames[::5]:
        for cut in (1, 11, 30, len(f) // 2, len(f) - 1):
            out = codec.decode(f[:cut], ns)
            assert isinstance(out, list)
            assert_trustworthy(out)
        codec.decode(f.encode(), ns)  # bytes work too


def test_unknown_streams_are_ignored() -> None:
    frame = '{"stream":"btcusdt@avgPrice","data":{"e":"avgPrice","E":1,"s":"BTCUSDT"}}'
    assert BinanceCodec().decode(frame, 1) == []


# -- the documented payloads (Binance's web-socket-streams page) ---------------------------


def test_docs_trade_and_agg_trade() -> None:
    c = BinanceCodec()
    trade = (
        '{"e":"trade","E":1672515782136,"s":"BNBBTC","t":12345,"p":"0.001","q":"100",'
        '"b":88,"a":50,"T":1672515782136,"m":true,"M":true}'
    )
    for frame in (trade, f'{{"stream":"bnbbtc@trade","data":{trade}}}'):
        (t,) = c.decode(frame, 1)
        assert isinstance(t, Trade)
        assert (t.symbol, t.base, t.quote) == ("BNBBTC", "BNB", "BTC")
        assert (t.price, t.volume, t.side, t.trade_id) == (0.001, 100.0, "sell", "12345")
        assert t.timestamp == 1672515782136
    agg = (
        '{"stream":"bnbbtc@aggTrade","data":{"e":"aggTrade","E":1672515782136,"s":"BNBBTC",'
        '"a":12345,"p":"0.001","q":"100","f":100,"l":105,"T":1672515782136,"m":true,"M":true}}'
    )
    (t,) = c.decode(agg, 1)
    assert isinstance(t, Trade) and (t.side, t.trade_id) == ("sell", "12345")


def test_docs_ticker() -> None:
    (t,) = BinanceCodec().decode(TICKER, 7)
    assert isinstance(t, Ticker)
    assert (t.symbol, t.base, t.quote, t.timestamp, t.recv_ns) == (
        "BNBBTC",
        "BNB",
        "BTC",
        1672515782136,
        7,
    )
    assert (t.trade_price, t.change_price, t.change_rate) == (0.0025, 0.0015, 2.5)
    assert (t.opening_price, t.high_price, t.low_price, t.prev_closing_price) == (
        0.0010,
        0.0025,
        0.0010,
        0.0009,
    )
    assert (t.acc_trade_volume_24h, t.acc_trade_price_24h, t.trade_volume) == (10000.0, 18.0, 10.0)
    assert (t.best_bid, t.best_ask) == (0.0024, 0.0026)


def test_docs_kline_and_book_ticker() -> None:
    c = BinanceCodec()
    kline = (
        '{"stream":"bnbbtc@kline_1m","data":{"e":"kline","E":1672515782136,"s":"BNBBTC","k":'
        '{"t":1672515780000,"T":1672515839999,"s":"BNBBTC","i":"1m","f":100,"L":200,'
        '"o":"0.0010","c":"0.0020","h":"0.0025","l":"0.0015","v":"1000","n":100,"x":false,'
        '"q":"1.0000","V":"500","Q":"0.500","B":"123456"}}}'
    )
    # The documented sample's low (0.0015) is above its open (0.0010): no real candle.
    (st,) = c.decode(kline, 1)
    assert isinstance(st, Status) and st.code == "invalid"
    assert "low 0.0015 is above its open 0.001" in st.message
    (k,) = c.decode(kline.replace('"l":"0.0015"', '"l":"0.0010"').replace("false", "true"), 1)
    assert isinstance(k, Candle)
    assert (k.interval, k.open_time, k.open, k.high, k.low, k.close) == (
        "1m",
        1672515780000,
        0.001,
        0.0025,
        0.001,
        0.002,
    )
    assert (k.volume, k.quote_volume, k.closed, k.timestamp) == (1000.0, 1.0, True, 1672515782136)
    bbo = (
        '{"u":400900217,"s":"BNBUSDT","b":"25.35190000","B":"31.21000000",'
        '"a":"25.36520000","A":"40.66000000"}'
    )
    for frame in (bbo, f'{{"stream":"bnbusdt@bookTicker","data":{bbo}}}'):
        (b,) = c.decode(frame, 1)
        assert isinstance(b, OrderBook)
        assert levels(b) == ([(25.3519, 31.21)], [(25.3652, 40.66)])
        assert (b.symbol, b.base, b.quote) == ("BNBUSDT", "BNB", "USDT")


def test_docs_subscribe_and_list_samples() -> None:
    c = BinanceCodec()
    # The documented SUBSCRIBE request is what we send for the same wish.
    frame = c.subscribe_frames(
        {"trade": frozenset({"BTCUSDT"}), "orderbook": frozenset({"BTCUSDT"})}, {}
    )[0]
    msg = orjson.loads(frame)
    assert set(msg) == {"method", "params", "id"}
    assert msg["params"] == ["btcusdt@depth@100ms", "btcusdt@trade"]
    # Replies to ids we never used are still readable.
    (st,) = c.decode('{"result": null, "id": 312}', 1)
    assert isinstance(st, Status) and st.kind == "status"
    (st,) = c.decode('{"result": ["btcusdt@aggTrade"], "id": 3}', 1)
    assert isinstance(st, Status) and "btcusdt@aggTrade" in st.message
    (st,) = c.decode('{"code": 0, "msg": "Unknown property","id": 5}', 1)
    assert isinstance(st, Status) and (st.kind, st.code) == ("error", "0")
    assert "an unknown property" in st.message


def test_events_carry_finite_numbers(
    frames: list[tuple[int, str]], snapshots: dict[str, tuple[int, bytes]]
) -> None:
    for ev in replay(BinanceCodec(), frames, snapshots):
        if isinstance(ev, OrderBook):
            assert all(math.isfinite(lv.price) and lv.size > 0 for lv in ev.bids + ev.asks)


# -- seeded mutations of the real frames ----------------------------------------------------

BAD_VALUES: list[Any] = [
    "NaN",
    "nan",
    "Infinity",
    "-Infinity",
    "1e400",
    "-1",
    "0",
    "-0.0001",
    "",
    None,
    True,
    [],
    {},
    -1,
    1e308,
    "\x1b]2;pwned\x07",
    "\x9b2J",
]


def _leaves(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(node, dict):
        return [p for k, v in node.items() for p in _leaves(v, (*path, k))]
    if isinstance(node, list) and node:
        return [p for i, v in enumerate(node) for p in _leaves(v, (*path, i))]
    return [path]


def _independently_sound(ev: Event) -> None:
    """Checked here without ``sanity.py``: finite positive prices, sane sizes, order."""
    if isinstance(ev, Status):
        assert not CONTROL & set(ev.message + ev.code + ev.symbol)
        return
    assert ev.symbol.isprintable() and ev.symbol
    if isinstance(ev, Trade):
        assert 0 < ev.price < math.inf and 0 < ev.volume < math.inf
    elif isinstance(ev, Candle):
        assert 0 < ev.low <= min(ev.open, ev.close) <= max(ev.open, ev.close) <= ev.high
        assert ev.high < math.inf and 0 <= ev.volume < math.inf
    elif isinstance(ev, Ticker):
        assert 0 < ev.trade_price < math.inf and math.isfinite(ev.change_rate)
        assert not 0 < ev.best_ask <= ev.best_bid
    elif isinstance(ev, OrderBook):
        bids = [lv.price for lv in ev.bids]
        asks = [lv.price for lv in ev.asks]
        assert bids == sorted(set(bids), reverse=True) and asks == sorted(set(asks))
        assert all(0 < p < math.inf for p in bids + asks)
        assert all(0 <= lv.size < math.inf for lv in ev.bids + ev.asks)
        assert not (bids and asks and bids[0] >= asks[0])


def test_seeded_mutations_never_leak_an_impossible_value(
    frames: list[tuple[int, str]], snapshots: dict[str, tuple[int, bytes]]
) -> None:
    import random

    rng = random.Random(20211011)
    # A codec with synced books, so mutated deltas meet a live book.
    codec = BinanceCodec()
    replay(codec, frames, snapshots)
    ok_books = {sym: codec.book(sym) is not None for sym in snapshots}
    assert all(ok_books.values())
    asked: dict[str, RestRequest] = {}
    for i in range(2000):
        ns, frame = frames[rng.randrange(len(frames))]
        msg = orjson.loads(frame)
        path = rng.choice(_leaves(msg["data"]))
        node = msg["data"]
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = rng.choice(BAD_VALUES)
        for ev in codec.decode(orjson.dumps(msg), ns):
            _independently_sound(ev)
        for ev in BinanceCodec().decode(orjson.dumps(msg), ns):
            _independently_sound(ev)
        asked.update((r.key, r) for r in codec.rest_requests())
        if i % 10 == 0:  # heal the books the mutations broke (they buffer meanwhile)
            for key, req in asked.items():
                sym = key.partition(":")[2]
                if sym in snapshots:  # (a mutated "s" names a book nobody has)
                    for ev in codec.on_rest(req, 200, snapshots[sym][1], ns):
                        _independently_sound(ev)
            asked.clear()


def test_an_unreadable_delta_for_a_synced_book_resyncs_at_once(
    frames: list[tuple[int, str]], snapshots: dict[str, tuple[int, bytes]]
) -> None:
    codec = BinanceCodec()
    msgs = depth_msgs(frames, "NKNUSDT")
    codec.decode(msgs[0][1], msgs[0][0])
    (req,) = codec.rest_requests()
    codec.on_rest(req, 200, snapshots["NKNUSDT"][1], 1)
    assert codec.book("NKNUSDT") is not None
    d = dict(msgs[1][2], b=[[0.35, 1.0]])  # numbers where Binance writes strings
    events = codec.decode(orjson.dumps({"stream": "nknusdt@depth@100ms", "data": d}), 2)
    assert [(e.kind, e.code) for e in events if isinstance(e, Status)] == [
        ("error", "malformed"),
        ("resync", "malformed"),
    ]
    assert codec.book("NKNUSDT") is None
    assert [r.key for r in codec.rest_requests()] == ["depth:NKNUSDT"]


def test_a_nested_error_reply_is_a_refusal_too() -> None:
    # What the server actually sends: {"error": {"code": .., "msg": ..}, "id": N}.
    c = BinanceCodec()
    (frame,) = c.subscribe_frames({"trade": frozenset({"BTCUSDT"})}, {})
    rid = orjson.loads(frame)["id"]
    reply = {"error": {"code": 2, "msg": "Invalid request: unknown stream"}, "id": rid}
    (err,) = c.decode(orjson.dumps(reply).decode(), 3)
    assert isinstance(err, Status)
    assert (err.kind, err.code, err.symbol) == ("error", "2", "BTCUSDT")
    assert "refused a request (subscribe to trades for BTCUSDT)" in err.message
    assert "Binance says: Invalid request: unknown stream" in err.message
