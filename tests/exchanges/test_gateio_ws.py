"""Gate.io v4 spot WebSocket codec, driven by the real recorded session (and its REST
snapshots) and by documented shapes."""

from __future__ import annotations

import math
import random
from collections import Counter
from typing import Any

import orjson
import pytest

from dantaro_tui.exchanges import codec_class
from dantaro_tui.exchanges.base import RestRequest
from dantaro_tui.exchanges.gateio import (
    BOOK_LIMIT,
    GateioCodec,
    gate_channel,
    gate_interval,
)
from dantaro_tui.model import Candle, Event, OrderBook, Status, Ticker, Trade
from tests.recorded import load

NS = 1_000_000_000
T0 = 1619093532.0  # the recording's clock


@pytest.fixture(scope="module")
def frames() -> list[tuple[float, str]]:
    out = []
    for ts, frame in load("gateio_ws.txt").received:
        assert isinstance(frame, str)  # Gate.io sends text frames
        out.append((ts, frame))
    return out


@pytest.fixture(scope="module")
def snapshots() -> dict[str, tuple[float, str]]:
    """pair -> (receive time, body) of the recorded REST snapshots."""
    out = {}
    for url, ts, body in load("gateio_depth_rest.txt").rest:
        assert "limit=100" in url and "with_id=true" in url
        out[url.split("currency_pair=")[1].split("&")[0]] = (ts, body)
    return out


@pytest.fixture(scope="module")
def sent() -> list[dict[str, Any]]:
    return [orjson.loads(p) for _, _, p in load("gateio_ws.txt").sent]


def recorded_desired(sent: list[dict[str, Any]]) -> dict[str, frozenset[str]]:
    """The recorded session's subscriptions, as our channel keys."""
    want: dict[str, set[str]] = {}
    for req in sent:
        ch, payload = req["channel"], req["payload"]
        if ch == "spot.candlesticks":
            want.setdefault(f"candle.{payload[0]}", set()).add(payload[1])
        elif ch == "spot.order_book_update":
            want.setdefault("orderbook", set()).add(payload[0])
        else:
            key = {"spot.trades": "trade", "spot.tickers": "ticker"}[ch]
            want.setdefault(key, set()).update(payload)
    return {k: frozenset(v) for k, v in want.items()}


class Session:
    """Replays the recording the way the transport drives a codec: frames in receive
    order; a snapshot the codec asked for is answered with the recorded body at the time
    it was recorded (or right away when it was recorded before the codec asked)."""

    def __init__(
        self,
        codec: GateioCodec,
        frames: list[tuple[float, str]],
        snapshots: dict[str, tuple[float, str]],
    ) -> None:
        self.codec = codec
        self.snapshots = dict(snapshots)
        self.timeline: list[tuple[float, int, Any]] = [(ts, 0, f) for ts, f in frames]
        self.timeline += [(ts, 1, pair) for pair, (ts, _) in snapshots.items()]
        self.timeline.sort(key=lambda x: (x[0], x[1]))
        self.asked: dict[str, RestRequest] = {}
        self.served: dict[str, tuple[float, str]] = {}
        self.requests: list[RestRequest] = []

    def _collect(self) -> None:
        for r in self.codec.rest_requests():
            self.requests.append(r)
            self.asked[r.key.removeprefix("depth:")] = r

    def answer(self, pair: str, body: str, ts: float) -> list[Event]:
        req = self.asked.pop(pair)
        return self.codec.on_rest(req, 200, body.encode(), int(ts * NS))

    def recorded(self, pair: str, ts: float) -> str | None:
        """The recorded snapshot of ``pair``, once, from the time it was recorded."""
        if pair in self.served or self.snapshots[pair][0] > ts:
            return None
        self.served[pair] = self.snapshots[pair]
        return self.snapshots[pair][1]

    def run(self, frame_filter: Any = None, serve: Any = None) -> list[Event]:
        serve = serve or self.recorded
        out: list[Event] = []
        for ts, kind, x in self.timeline:
            if kind == 0:
                if frame_filter is not None:
                    x = frame_filter(x)
                    if x is None:
                        continue
                out += self.codec.decode(x, int(ts * NS))
            self._collect()
            for pair in list(self.asked):
                body = serve(pair, ts)
                if body is not None:
                    out += self.answer(pair, body, ts)
                    self._collect()
        return out


def book_updates(frames: list[tuple[float, str]], pair: str) -> list[dict[str, Any]]:
    out = []
    for _, f in frames:
        m = orjson.loads(f)
        is_book = m.get("channel") == "spot.order_book_update" and m["event"] == "update"
        if is_book and m["result"]["s"] == pair:
            out.append(m)
    return out


# -- an independent reference book (plain dicts, sorted every time) -----------------------


class RefBook:
    def __init__(self, snapshot: dict[str, Any]) -> None:
        self.id = snapshot["id"]
        self.bids = {float(p): float(s) for p, s in snapshot["bids"]}
        self.asks = {float(p): float(s) for p, s in snapshot["asks"]}

    def apply(self, r: dict[str, Any]) -> None:
        for side, levels in ((self.bids, r["b"]), (self.asks, r["a"])):
            for p, s in levels:
                if float(s) == 0:
                    side.pop(float(p), None)
                else:
                    side[float(p)] = float(s)

    def top(self, n: int) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
        bids = [(p, self.bids[p]) for p in sorted(self.bids, reverse=True)[:n]]
        asks = [(p, self.asks[p]) for p in sorted(self.asks)[:n]]
        return bids, asks

    def body(self, new_id: int) -> str:
        bids = [[repr(p), repr(s)] for p, s in sorted(self.bids.items(), reverse=True)[:100]]
        asks = [[repr(p), repr(s)] for p, s in sorted(self.asks.items())[:100]]
        return orjson.dumps({"id": new_id, "bids": bids, "asks": asks}).decode()


def levels(book: OrderBook) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    return [(lv.price, lv.size) for lv in book.bids], [(lv.price, lv.size) for lv in book.asks]


# -- codec facts --------------------------------------------------------------------------


def test_class_facts() -> None:
    assert codec_class("gateio") is GateioCodec
    c = GateioCodec()
    assert c.name == "gateio"
    assert c.default_ws_url == "wss://api.gateio.ws/ws/v4/"
    assert c.default_rest_url == "https://api.gateio.ws"
    assert 0 < c.keepalive_interval <= 20
    assert c.depth == 30
    assert c.answers_subscriptions
    for bad in (0, BOOK_LIMIT + 1):
        with pytest.raises(ValueError):
            GateioCodec(depth=bad)


def test_channels_and_intervals() -> None:
    assert gate_channel("ticker") == "spot.tickers"
    assert gate_channel("trade") == "spot.trades"
    assert gate_channel("orderbook") == "spot.order_book_update"
    assert gate_channel("bbo") == "spot.book_ticker"
    assert gate_channel("candle.1m") == "spot.candlesticks"
    assert gate_interval("1w") == "7d" and gate_interval("1h") == "1h"
    assert gate_interval("1M", rest=True) == "30d"
    for bad in ("tickers", "candle.3m", "candle.1M", "spot.trades", ""):
        with pytest.raises(ValueError, match=r"Gate\.io has no"):
            gate_channel(bad)
    c = GateioCodec()
    for key in ("ticker", "trade", "orderbook", "bbo", "candle.10s", "candle.1d", "candle.1w"):
        c.validate_channel(key)
    with pytest.raises(ValueError):
        c.validate_channel("candle.2h")


def test_normalize_symbol() -> None:
    c = GateioCodec()
    for raw in ("btc_usdt", " BTC-USDT ", "btc/usdt"):
        assert c.normalize_symbol(raw) == "BTC_USDT"
    for bad in ("", "BTC USDT", "A,B"):
        with pytest.raises(ValueError):
            c.normalize_symbol(bad)


# -- requests -----------------------------------------------------------------------------


def test_subscribe_frames_are_time_stamped_diffs() -> None:
    now = [1700000000.7]
    c = GateioCodec(clock=lambda: now[0])
    desired = {
        "ticker": frozenset({"BTC_USDT", "ETH_USDT"}),
        "trade": frozenset({"BTC_USDT"}),
        "orderbook": frozenset({"BTC_USDT", "ETH_USDT"}),
        "candle.1m": frozenset({"BTC_USDT"}),
        "candle.1w": frozenset({"ETH_USDT"}),
        "bbo": frozenset({"BTC_USDT"}),
    }
    msgs = [orjson.loads(f) for f in c.subscribe_frames(desired, {})]
    assert all(m["time"] == 1700000000 and m["event"] == "subscribe" for m in msgs)
    assert [m["id"] for m in msgs] == list(range(1, len(msgs) + 1))
    got = sorted((m["channel"], tuple(m["payload"])) for m in msgs)
    assert got == [
        ("spot.book_ticker", ("BTC_USDT",)),
        ("spot.candlesticks", ("1m", "BTC_USDT")),
        ("spot.candlesticks", ("7d", "ETH_USDT")),
        ("spot.order_book_update", ("BTC_USDT", "100ms")),
        ("spot.order_book_update", ("ETH_USDT", "100ms")),
        ("spot.tickers", ("BTC_USDT", "ETH_USDT")),
        ("spot.trades", ("BTC_USDT",)),
    ]
    assert c.subscribe_frames(desired, desired) == []
    now[0] += 90  # later requests carry the later time
    smaller = {"ticker": frozenset({"BTC_USDT"}), "trade": frozenset({"BTC_USDT", "SOL_USDT"})}
    msgs = [orjson.loads(f) for f in c.subscribe_frames(smaller, desired)]
    assert all(m["time"] == 1700000090 for m in msgs)
    unsub = sorted((m["channel"], tuple(m["payload"])) for m in msgs if m["event"] == "unsubscribe")
    sub = [(m["channel"], m["payload"]) for m in msgs if m["event"] == "subscribe"]
    assert msgs[-1]["event"] == "subscribe" and msgs[0]["event"] == "unsubscribe"
    assert unsub == [
        ("spot.book_ticker", ("BTC_USDT",)),
        ("spot.candlesticks", ("1m", "BTC_USDT")),
        ("spot.candlesticks", ("7d", "ETH_USDT")),
        ("spot.order_book_update", ("BTC_USDT", "100ms")),
        ("spot.order_book_update", ("ETH_USDT", "100ms")),
        ("spot.tickers", ("ETH_USDT",)),
    ]
    assert sub == [("spot.trades", ["SOL_USDT"])]


def test_restamp_refreshes_the_time() -> None:
    now = [1700000000.0]
    c = GateioCodec(clock=lambda: now[0])
    (frame,) = c.subscribe_frames({"trade": frozenset({"BTC_USDT"})}, {})
    now[0] += 75  # held in a send queue past Gate.io's 60 s window
    fresh = orjson.loads(c.restamp(frame))
    assert fresh == {**orjson.loads(frame), "time": 1700000075}
    assert c.restamp("ping") == "ping" and c.restamp("[1]") == "[1]"


def test_many_pairs_are_split_into_requests() -> None:
    c = GateioCodec(clock=lambda: 1.0)
    pairs = frozenset(f"C{i:04d}_USDT" for i in range(250))
    msgs = [orjson.loads(f) for f in c.subscribe_frames({"trade": pairs}, {})]
    assert [len(m["payload"]) for m in msgs] == [100, 100, 50]
    assert {p for m in msgs for p in m["payload"]} == pairs


def test_ping_is_fresh_each_time() -> None:
    now = [1700000000.2]
    c = GateioCodec(clock=lambda: now[0])
    assert orjson.loads(c.heartbeat_frame() or "") == {"time": 1700000000, "channel": "spot.ping"}
    now[0] = 1700000042.9
    assert orjson.loads(c.ping() or "")["time"] == 1700000042
    assert orjson.loads(GateioCodec.ping_frame or "") == {"channel": "spot.ping"}
    pong = (
        '{"time":1700000042,"time_ms":1700000042001,"channel":"spot.pong","event":"",'
        '"error":null,"result":null}'
    )
    assert c.decode(pong, 1) == []


def test_unknown_channel_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        GateioCodec().subscribe_frames({"depth": frozenset({"BTC_USDT"})}, {})


# -- acks and errors ----------------------------------------------------------------------


def test_acks_and_errors_by_id() -> None:
    c = GateioCodec(clock=lambda: 1700000000.0)
    frames = c.subscribe_frames(
        {"trade": frozenset({"BTC_USDT", "ETH_USDT"}), "candle.5m": frozenset({"BTC_USDT"})}, {}
    )
    ids = {orjson.loads(f)["channel"]: orjson.loads(f)["id"] for f in frames}
    ack = {
        "time": 1700000000,
        "time_ms": 1700000000123,
        "id": ids["spot.trades"],
        "conn_id": "abc",
        "trace_id": "x",
        "channel": "spot.trades",
        "event": "subscribe",
        "payload": ["BTC_USDT", "ETH_USDT"],
        "error": None,
        "result": {"status": "success"},
    }
    events = c.decode(orjson.dumps(ack), 7)
    assert [(e.kind, e.code, e.symbol, e.recv_ns) for e in events] == [
        ("subscribed", "trade", "BTC_USDT", 7),
        ("subscribed", "trade", "ETH_USDT", 7),
    ]
    err = {
        "time": 1700000000,
        "id": ids["spot.candlesticks"],
        "channel": "spot.candlesticks",
        "event": "subscribe",
        "error": {"code": 2, "message": "Alert sub \x1b]2;pwned\x07 5m_BTC_USDT"},
        "result": {"status": "fail"},
    }
    (st,) = c.decode(orjson.dumps(err), 8)
    assert isinstance(st, Status)
    assert (st.kind, st.code, st.symbol) == ("error", "2", "BTC_USDT")
    assert "invalid argument" in st.message and "5m candles" in st.message
    assert "Alert sub" in st.message and "\x1b" not in st.message and "\x07" not in st.message
    # Unsubscribe acks say so; an ack nobody asked for still reads its own payload.
    (st,) = c.decode(
        '{"time":1,"channel":"spot.tickers","event":"unsubscribe","payload":["SOL_USDT"],'
        '"error":null,"result":{"status":"success"}}',
        9,
    )
    assert (st.kind, st.code, st.symbol) == ("status", "unsubscribed", "SOL_USDT")
    (st,) = c.decode(
        '{"time":1,"channel":"spot.candlesticks","event":"subscribe","payload":["1h","SOL_USDT"],'
        '"result":{"status":"success"}}',
        10,
    )
    assert (st.kind, st.code, st.symbol) == ("subscribed", "candle.1h", "SOL_USDT")
    # An error about no request (a bad body) is still one readable error.
    (st,) = c.decode(
        '{"time":1,"channel":"","event":"","error":{"code":1,"message":"invalid json"}}', 11
    )
    assert (st.kind, st.code) == ("error", "1") and "not understood" in st.message


def test_book_ack_asks_for_the_snapshot() -> None:
    """A quiet market sends no update for a while: the snapshot is asked for as soon as
    the subscription is confirmed, so its book is shown (and the hub's check answered)."""
    c = GateioCodec(clock=lambda: 1.0)
    (frame,) = c.subscribe_frames({"orderbook": frozenset({"BTC_USDT"})}, {})
    assert c.rest_requests() == []
    ack = {
        "time": 1,
        "id": orjson.loads(frame)["id"],
        "channel": "spot.order_book_update",
        "event": "subscribe",
        "payload": ["BTC_USDT", "100ms"],
        "result": {"status": "success"},
    }
    (st,) = c.decode(orjson.dumps(ack), 1)
    assert (st.kind, st.code, st.symbol) == ("subscribed", "orderbook", "BTC_USDT")
    (req,) = c.rest_requests()
    (b,) = c.on_rest(req, 200, orjson.dumps(SNAP), 2)
    assert isinstance(b, OrderBook) and b.snapshot
    # The first update after it: U <= id + 1 <= u.
    (b,) = c.decode(book_update("BTC_USDT", 101, 101, [["100", "3"]], []), 3)
    assert b.bids[0].size == 3.0
    # A first update that starts later than id + 1: updates were missed, never shown.
    c2 = GateioCodec(clock=lambda: 1.0)
    (frame,) = c2.subscribe_frames({"orderbook": frozenset({"BTC_USDT"})}, {})
    c2.decode(orjson.dumps({**ack, "id": orjson.loads(frame)["id"]}), 1)
    (req,) = c2.rest_requests()
    c2.on_rest(req, 200, orjson.dumps(SNAP), 2)
    (st,) = c2.decode(book_update("BTC_USDT", 105, 106, [["100", "3"]], []), 3)
    assert (st.kind, st.code) == ("resync", "sequence")
    assert len(c2.rest_requests()) == 1


def test_refused_book_subscription_stops_the_sync() -> None:
    c = GateioCodec(clock=lambda: 1.0)
    (frame,) = c.subscribe_frames({"orderbook": frozenset({"NOPE_USDT"})}, {})
    rid = orjson.loads(frame)["id"]
    (st,) = c.decode(
        orjson.dumps(
            {
                "id": rid,
                "channel": "spot.order_book_update",
                "event": "subscribe",
                "error": {"code": 2, "message": "unknown currency pair NOPE_USDT"},
                "result": {"status": "fail"},
            }
        ),
        1,
    )
    assert (st.kind, st.symbol) == ("error", "NOPE_USDT")
    assert c.rest_requests() == []
    assert c.decode(book_update("NOPE_USDT", 1, 2, [["1", "1"]], []), 2) == []


# -- the recorded session -----------------------------------------------------------------


def test_recorded_session_decodes_completely(
    frames: list[tuple[float, str]],
    snapshots: dict[str, tuple[float, str]],
    sent: list[dict[str, Any]],
) -> None:
    codec = GateioCodec(clock=lambda: T0)
    codec.subscribe_frames(recorded_desired(sent), {})
    session = Session(codec, frames, snapshots)
    events = session.run()
    kinds = Counter(type(e).__name__ for e in events)
    assert kinds == {"OrderBook": 168, "Ticker": 22, "Candle": 14, "Trade": 9, "Status": 40}
    statuses = [e for e in events if isinstance(e, Status)]
    assert {s.kind for s in statuses} == {"subscribed"}  # no error, no resync
    acks = Counter(s.code for s in statuses)
    # One ack for trades and one for tickers (10 pairs each), one a pair for books and
    # candles: a Status per pair.
    assert acks == {"trade": 10, "ticker": 10, "orderbook": 10, "candle.1m": 10}
    assert all(s.symbol for s in statuses)
    # Every pair's book got exactly one snapshot request.
    assert sorted(r.key for r in session.requests) == sorted(f"depth:{p}" for p in snapshots)
    r = session.requests[0]
    assert r.path == "/api/v4/spot/order_book"
    assert dict(r.params) == {"currency_pair": r.key[6:], "limit": "100", "with_id": "true"}


def test_recorded_books_rebuild_without_a_gap(
    frames: list[tuple[float, str]], snapshots: dict[str, tuple[float, str]]
) -> None:
    """159 updates applied, 0 gaps (exchange reference 4.4), and every book event equals
    an independent reference book built from the same snapshot and deltas."""
    codec = GateioCodec(depth=100, clock=lambda: T0)
    session = Session(codec, frames, snapshots)
    refs = {p: RefBook(orjson.loads(body)) for p, (_, body) in snapshots.items()}
    applied = 0
    shown = 0
    last_u: dict[str, int] = {}

    def check(frame: str) -> str:
        nonlocal applied
        m = orjson.loads(frame)
        if m.get("channel") == "spot.order_book_update" and m["event"] == "update":
            r = m["result"]
            ref = refs[r["s"]]
            prev = last_u.get(r["s"], ref.id)
            if r["u"] > prev and r["U"] <= prev + 1:
                ref.apply(r)
                last_u[r["s"]] = r["u"]
                applied += 1
        return frame

    books: list[OrderBook] = []
    for e in session.run(check):
        if isinstance(e, OrderBook):
            books.append(e)
    assert applied == 159
    # 10 books synced (one snapshot event each; DIS_USDT's includes one buffered update),
    # then one event per live update: 10 + 158.
    assert sum(b.snapshot for b in books) == 10
    assert sum(not b.snapshot for b in books) == 158
    # The final state of every book matches the reference.
    for pair, ref in refs.items():
        book = codec.book(pair)
        assert book is not None
        bids, asks = book.top(100)
        assert [(lv.price, lv.size) for lv in bids] == ref.top(100)[0]
        assert [(lv.price, lv.size) for lv in asks] == ref.top(100)[1]
        shown += 1
    assert shown == 10
    for b in books:
        assert b.bids and b.asks and b.bids[0].price < b.asks[0].price


def test_recorded_book_values(
    frames: list[tuple[float, str]], snapshots: dict[str, tuple[float, str]]
) -> None:
    codec = GateioCodec(clock=lambda: T0)
    events = Session(codec, frames, snapshots).run()
    dis = [e for e in events if isinstance(e, OrderBook) and e.symbol == "DIS_USDT"]
    first = dis[0]
    # Snapshot id 1750468 plus the buffered update 1750469, which deleted the ask at 122.
    assert first.snapshot and (first.base, first.quote) == ("DIS", "USDT")
    assert first.timestamp == 1619093535601
    assert (first.bids[0].price, first.bids[0].size) == (120.92, 0.014821)
    assert (first.asks[0].price, first.asks[0].size) == (122.36, 0.024)
    assert len(first.bids) == len(first.asks) == 30
    assert len(dis) == 17
    neo = [e for e in events if isinstance(e, OrderBook) and e.symbol == "NEO_BTC"]
    snap, live = neo[0], neo[1]
    assert snap.snapshot and not live.snapshot
    assert (snap.bids[0].price, snap.bids[0].size) == (0.0018697, 0.5)
    assert (snap.asks[0].price, snap.asks[0].size) == (0.0018734, 5.084)
    assert live.timestamp == 1619093534945  # U=u=31244066: the bid at 0.0018697 grew
    assert (live.bids[0].price, live.bids[0].size) == (0.0018697, 5.37064)
    assert live.recv_ns == int(1619093534.962755 * NS)
    assert live.total_bid_size == pytest.approx(sum(lv.size for lv in live.bids))


def test_recorded_tickers(frames: list[tuple[float, str]]) -> None:
    codec = GateioCodec()
    events = [e for ts, f in frames for e in codec.decode(f, int(ts * NS))]
    tickers = [e for e in events if isinstance(e, Ticker)]
    assert len(tickers) == 22
    t = tickers[0]
    assert (t.exchange, t.symbol, t.base, t.quote) == ("gateio", "NEO_BTC", "NEO", "BTC")
    assert t.trade_price == 0.0018716
    assert (t.best_bid, t.best_ask) == (0.0018697, 0.0018734)
    assert t.change_rate == pytest.approx(0.029256)
    assert t.opening_price == t.prev_closing_price == pytest.approx(0.0018716 / 1.029256)
    assert t.change_price == pytest.approx(0.0018716 - 0.0018716 / 1.029256)
    assert (t.high_price, t.low_price) == (0.0018754, 0.0017148)
    assert t.acc_trade_volume_24h == 1138.01640718
    assert t.acc_trade_price_24h == 2.048263365803126
    assert t.timestamp == 1619093533000  # the envelope's time (no time_ms in 2021)
    assert t.recv_ns == int(1619093534.5403242 * NS)
    assert not t.snapshot


def test_recorded_trades(frames: list[tuple[float, str]]) -> None:
    codec = GateioCodec()
    trades = [e for ts, f in frames for e in codec.decode(f, int(ts * NS)) if isinstance(e, Trade)]
    assert len(trades) == 9
    t = trades[0]
    assert (t.symbol, t.base, t.quote, t.trade_id) == ("DIS_USDT", "DIS", "USDT", "816995772")
    assert (t.price, t.volume, t.side) == (121.58, 0.201, "sell")
    assert t.timestamp == 1619093543708  # create_time_ms "1619093543708.2642"
    neo = trades[1]
    assert (neo.symbol, neo.price, neo.volume, neo.side) == ("NEO_BTC", 0.0018735, 0.5, "buy")
    assert Counter(t.side for t in trades) == {"sell": 7, "buy": 2}


def test_recorded_candles(frames: list[tuple[float, str]]) -> None:
    codec = GateioCodec()
    candles = [
        e for ts, f in frames for e in codec.decode(f, int(ts * NS)) if isinstance(e, Candle)
    ]
    assert len(candles) == 14
    assert {c.interval for c in candles} == {"1m"}
    assert {c.open_time for c in candles} == {1619093520000}  # "t": "1619093520" (seconds)
    dis = [c for c in candles if c.symbol == "DIS_USDT"]
    assert (dis[0].open, dis[0].quote_volume) == (120.92, 0.0)
    last = dis[-1]
    assert (last.base, last.quote) == ("DIS", "USDT")
    assert (last.open, last.high, last.low, last.close) == (121.58, 121.58, 121.58, 121.58)
    # "v" is the quote volume: DIS_USDT's one trade, 0.201 at 121.58 = 24.43758.
    assert last.quote_volume == 24.43758 == pytest.approx(0.201 * 121.58)
    assert last.volume == 0.0  # the 2021 frames carry no "a" (base volume)
    assert last.timestamp == 1619093548000 and not last.closed
    fast = next(c for c in candles if c.symbol == "FAST_USDT" and c.close == 10.42)
    assert (fast.open, fast.high, fast.low, fast.quote_volume) == (10.46, 10.46, 10.42, 38.43458)


def test_fast_and_slow_paths_agree(frames: list[tuple[float, str]]) -> None:
    """Every recorded update takes the fast path, and the slow path gives equal events."""
    fast, slow = GateioCodec(), GateioCodec()
    slow_calls = 0
    original = fast._decode_slow

    def counting(frame: Any, recv_ns: int) -> list[Event]:
        nonlocal slow_calls
        slow_calls += 1
        return original(frame, recv_ns)

    fast._decode_slow = counting  # type: ignore[method-assign]
    for ts, f in frames:
        recv_ns = int(ts * NS)
        assert fast.decode(f, recv_ns) == slow._decode_slow(f, recv_ns)
    assert slow_calls == 22  # the acks only


def test_current_shapes() -> None:
    """Fields newer than the recording: time_ms, candle base amount and window flag,
    book_ticker, a ``full`` book."""
    c = GateioCodec()
    (t,) = c.decode(
        '{"time":1606292218,"time_ms":1606292218231,"channel":"spot.tickers","event":"update",'
        '"result":{"currency_pair":"BTC_USDT","last":"19106.55","lowest_ask":"19108.71",'
        '"highest_bid":"19106.55","change_percentage":"3.66","base_volume":"2811.3042155865",'
        '"quote_volume":"53441606.52411221454674732293","high_24h":"19417.74",'
        '"low_24h":"18434.21"}}',
        1,
    )
    assert isinstance(t, Ticker) and t.timestamp == 1606292218231
    assert t.change_rate == pytest.approx(0.0366)
    (tr,) = c.decode(
        '{"time":1606292218,"time_ms":1606292218231,"channel":"spot.trades","event":"update",'
        '"result":{"id":309143071,"id_market":5,"create_time":1606292218,'
        '"create_time_ms":"1606292218213.4578","side":"sell","currency_pair":"GT_USDT",'
        '"amount":"16.4700000000","price":"0.4705000000","range":"2390902-2390902"}}',
        2,
    )
    assert isinstance(tr, Trade)
    assert (tr.trade_id, tr.timestamp, tr.volume, tr.price) == (
        "309143071",
        1606292218213,
        16.47,
        0.4705,
    )
    (cd,) = c.decode(
        '{"time":1606292600,"time_ms":1606292600376,"channel":"spot.candlesticks",'
        '"event":"update","result":{"t":"1606292580","v":"2362.32035","c":"19128.1",'
        '"h":"19128.1","l":"19128.1","o":"19128.1","n":"1m_BTC_USDT","a":"3.8283","w":true}}',
        3,
    )
    assert isinstance(cd, Candle)
    assert (cd.open_time, cd.volume, cd.quote_volume, cd.closed) == (
        1606292580000,
        3.8283,
        2362.32035,
        True,
    )
    (bbo,) = c.decode(
        '{"time":1606293275,"time_ms":1606293275723,"channel":"spot.book_ticker",'
        '"event":"update","result":{"t":1606293275123,"u":48733182,"s":"BTC_USDT",'
        '"b":"19177.79","B":"0.0003341504","a":"19179.38","A":"0.09"}}',
        4,
    )
    assert isinstance(bbo, OrderBook)
    assert levels(bbo) == ([(19177.79, 0.0003341504)], [(19179.38, 0.09)])
    assert (bbo.symbol, bbo.timestamp) == ("BTC_USDT", 1606293275123)


# -- the book sync ------------------------------------------------------------------------


def book_update(
    pair: str, first: int, last: int, bids: list, asks: list, full: bool = False, t: int = 1
) -> str:
    r: dict[str, Any] = {"t": t, "s": pair, "U": first, "u": last, "b": bids, "a": asks}
    if full:
        r["full"] = True
    return orjson.dumps(
        {"time": 1, "channel": "spot.order_book_update", "event": "update", "result": r}
    ).decode()


SNAP = {
    "id": 100,
    "current": 1700000000500,
    "update": 1700000000400,
    "bids": [["100", "1"], ["99", "2"], ["98", "3"]],
    "asks": [["101", "1"], ["102", "2"], ["103", "3"]],
}


def synced(depth: int = 30) -> GateioCodec:
    c = GateioCodec(depth=depth, clock=lambda: 1000.0)
    c.subscribe_frames({"orderbook": frozenset({"BTC_USDT"})}, {})
    assert c.rest_requests() == []  # asked once the stream has started
    assert c.decode(book_update("BTC_USDT", 99, 100, [["100", "5"]], []), 1) == []
    (req,) = c.rest_requests()
    assert req == GateioCodec.snapshot_request("BTC_USDT")
    assert req.key == "depth:BTC_USDT" and req.path == "/api/v4/spot/order_book"
    assert req.params == (("currency_pair", "BTC_USDT"), ("limit", "100"), ("with_id", "true"))
    assert c.rest_requests() == []  # drained
    (b,) = c.on_rest(req, 200, orjson.dumps(SNAP), 2)
    assert isinstance(b, OrderBook) and b.snapshot
    assert b.timestamp == 1700000000400  # "update": the book's last change
    assert levels(b) == ([(100.0, 1.0), (99.0, 2.0), (98.0, 3.0)], [(101, 1), (102, 2), (103, 3)])
    return c


def test_sync_chain() -> None:
    c = synced()
    # First after the snapshot: U <= id+1 <= u.
    (b,) = c.decode(book_update("BTC_USDT", 99, 102, [["100", "0"], ["99.5", "4"]], []), 3)
    assert isinstance(b, OrderBook) and not b.snapshot
    assert b.bids[0].price == 99.5
    (b,) = c.decode(book_update("BTC_USDT", 103, 103, [], [["101", "0"]]), 4)
    assert b.asks[0].price == 102.0
    assert c.decode(book_update("BTC_USDT", 100, 101, [["1", "1"]], []), 5) == []  # old
    (b,) = c.decode(book_update("BTC_USDT", 104, 110, [], [["101.5", "1"]]), 6)
    assert b.asks[0].price == 101.5
    assert c.rest_requests() == []


def test_buffered_updates_are_applied_on_sync() -> None:
    c = GateioCodec(clock=lambda: 1000.0)
    c.subscribe_frames({"orderbook": frozenset({"BTC_USDT"})}, {})
    c.decode(book_update("BTC_USDT", 90, 95, [["97", "1"]], []), 1)  # dropped: u <= id
    (req,) = c.rest_requests()
    c.decode(book_update("BTC_USDT", 96, 101, [["100", "7"]], [], t=11), 2)
    c.decode(book_update("BTC_USDT", 102, 102, [], [["101", "0"]], t=12), 3)
    (b,) = c.on_rest(req, 200, orjson.dumps(SNAP), 4)
    assert b.snapshot and b.timestamp == 12
    assert levels(b)[0][0] == (100.0, 7.0) and b.asks[0].price == 102.0
    assert levels(b)[0][-1] == (98.0, 3.0)  # 97 was never applied
    (b,) = c.decode(book_update("BTC_USDT", 103, 103, [["99", "0"]], []), 5)
    assert [lv.price for lv in b.bids] == [100.0, 98.0]


def test_stale_snapshot_is_asked_again() -> None:
    now = [1000.0]
    c = GateioCodec(clock=lambda: now[0])
    c.subscribe_frames({"orderbook": frozenset({"BTC_USDT"})}, {})
    c.decode(book_update("BTC_USDT", 150, 151, [["100", "7"]], []), 1)
    (req,) = c.rest_requests()
    (st,) = c.on_rest(req, 200, orjson.dumps(SNAP), 2)  # id 100, stream starts at 150
    assert (st.kind, st.code, st.symbol) == ("status", "stale_snapshot", "BTC_USDT")
    assert c.book("BTC_USDT") is None
    assert c.rest_requests() == []  # backing off
    now[0] += 5
    (req,) = c.rest_requests()
    (b,) = c.on_rest(req, 200, orjson.dumps({**SNAP, "id": 150}), 3)
    assert isinstance(b, OrderBook) and b.bids[0].size == 7.0


def test_failed_snapshot_is_asked_again_with_backoff() -> None:
    now = [1000.0]
    c = GateioCodec(clock=lambda: now[0])
    c.subscribe_frames({"orderbook": frozenset({"BTC_USDT"})}, {})
    c.decode(book_update("BTC_USDT", 99, 100, [], []), 1)
    (req,) = c.rest_requests()
    body = b'{"label":"TOO_MANY_REQUESTS","message":"Request Rate \x1b[2J limit Exceeded"}'
    (st,) = c.on_rest(req, 429, body, 2)
    assert (st.kind, st.code, st.symbol) == ("error", "snapshot", "BTC_USDT")
    assert "TOO_MANY_REQUESTS" in st.message and "\x1b" not in st.message
    assert c.rest_requests() == []
    now[0] += 1.5
    (req,) = c.rest_requests()
    (st,) = c.on_rest(req, 200, b"<html>", 3)
    assert st.kind == "error" and "could not be loaded" in st.message
    now[0] += 60
    (req,) = c.rest_requests()
    assert isinstance(c.on_rest(req, 200, orjson.dumps(SNAP), 4)[0], OrderBook)
    # A reply for a pair nobody wants any more, or a key that is not ours: nothing.
    assert c.on_rest(RestRequest("depth:ETH_USDT", "/x"), 200, b"{}", 5) == []
    assert c.on_rest(RestRequest("other", "/x"), 200, b"{}", 5) == []


def test_gap_resyncs_and_is_never_shown() -> None:
    c = synced()
    c.decode(book_update("BTC_USDT", 101, 101, [], []), 3)
    (st,) = c.decode(book_update("BTC_USDT", 103, 104, [["100.5", "1"]], []), 4)
    assert isinstance(st, Status)
    assert (st.kind, st.code, st.symbol) == ("resync", "sequence", "BTC_USDT")
    assert "102" in st.message and "103" in st.message
    assert c.book("BTC_USDT") is None
    (req,) = c.rest_requests()
    assert c.decode(book_update("BTC_USDT", 105, 105, [], []), 5) == []  # buffered
    # The new snapshot takes over from 104: the update that showed the gap is used.
    (b,) = c.on_rest(req, 200, orjson.dumps({**SNAP, "id": 103}), 6)
    assert b.bids[0].price == 100.5
    (b,) = c.decode(book_update("BTC_USDT", 106, 106, [], []), 7)
    assert isinstance(b, OrderBook)


def test_full_update_replaces_the_book() -> None:
    c = synced()
    (b,) = c.decode(
        book_update("BTC_USDT", 500, 900, [["50", "1"]], [["51", "2"]], full=True, t=77), 3
    )
    assert b.snapshot and levels(b) == ([(50.0, 1.0)], [(51.0, 2.0)]) and b.timestamp == 77
    (b,) = c.decode(book_update("BTC_USDT", 901, 901, [["50.5", "1"]], []), 4)
    assert b.bids[0].price == 50.5
    # A full book also syncs a book still waiting for its REST snapshot.
    c2 = GateioCodec(clock=lambda: 1.0)
    c2.subscribe_frames({"orderbook": frozenset({"BTC_USDT"})}, {})
    assert c2.decode(book_update("BTC_USDT", 1, 1, [], []), 0) == []  # a snapshot is asked
    (b,) = c2.decode(book_update("BTC_USDT", 1, 10, [["1", "1"]], [["2", "1"]], full=True), 1)
    assert b.snapshot
    assert c2.rest_requests() == []
    # ... and a later gap still asks for a snapshot.
    (st,) = c2.decode(book_update("BTC_USDT", 12, 12, [], []), 2)
    assert st.kind == "resync"
    assert len(c2.rest_requests()) == 1


@pytest.mark.parametrize(
    ("bids", "asks", "code"),
    [
        ([["NaN", "1"]], [], "invalid"),
        ([["-100", "1"]], [], "invalid"),
        ([["99", "-1"]], [], "invalid"),
        ([["Infinity", "1"]], [], "invalid"),
        ([["101", "1"]], [], "crossed"),
        ([], [["99.5", "1"]], "crossed"),
        ([["lots", "1"]], [], "malformed"),
    ],
)
def test_impossible_update_resyncs(bids: list, asks: list, code: str) -> None:
    c = synced()
    events = c.decode(book_update("BTC_USDT", 101, 101, bids, asks), 3)
    assert not any(isinstance(e, OrderBook) for e in events)
    assert events[-1].kind == "resync" and events[-1].code == code  # type: ignore[union-attr]
    assert c.book("BTC_USDT") is None
    assert len(c.rest_requests()) == 1


@pytest.mark.parametrize(
    "snap",
    [
        {**SNAP, "bids": [["NaN", "1"]]},
        {**SNAP, "asks": [["99", "1"]]},  # crossed with the bid at 100
        {k: v for k, v in SNAP.items() if k != "id"},
        {"bids": "x"},
    ],
)
def test_impossible_snapshot_is_not_shown(snap: dict[str, Any]) -> None:
    c = GateioCodec(clock=lambda: 1.0)
    c.subscribe_frames({"orderbook": frozenset({"BTC_USDT"})}, {})
    c.decode(book_update("BTC_USDT", 99, 100, [], []), 1)
    (req,) = c.rest_requests()
    events = c.on_rest(req, 200, orjson.dumps(snap), 2)
    assert events and not any(isinstance(e, OrderBook) for e in events)
    assert all(isinstance(e, Status) and e.kind in ("error", "resync") for e in events)
    assert c.book("BTC_USDT") is None


def test_unsubscribed_book_is_forgotten() -> None:
    c = synced()
    c.subscribe_frames({}, {"orderbook": frozenset({"BTC_USDT"})})
    assert c.book("BTC_USDT") is None
    assert c.decode(book_update("BTC_USDT", 101, 101, [["100", "2"]], []), 3) == []
    assert c.rest_requests() == []


def test_reset_forgets_everything() -> None:
    c = synced()
    c.reset()
    assert c.book("BTC_USDT") is None and c.rest_requests() == []


# -- damaged recordings: detected, healed, never shown --------------------------------------


def _broken_session_check(
    frames: list[tuple[float, str]],
    snapshots: dict[str, tuple[float, str]],
    pair: str,
    damage: Any,
) -> None:
    """Replay with ``damage`` applied to ``pair``'s updates. The first snapshot is the
    recorded one; any later one is built by an independent reference book at the newest
    update the stream has reached. Every book shown must equal the reference at some
    update, and the book must end whole."""
    codec = GateioCodec(depth=100, clock=lambda: T0)
    session = Session(codec, frames, snapshots)
    snap = orjson.loads(snapshots[pair][1])
    truth: dict[int, RefBook] = {snap["id"]: RefBook(snap)}
    cur = RefBook(snap)
    for m in book_updates(frames, pair):
        r = m["result"]
        if r["u"] > cur.id:
            cur.apply(r)
            cur.id = r["u"]
            state = RefBook({"id": r["u"], "bids": [], "asks": []})
            state.bids, state.asks = dict(cur.bids), dict(cur.asks)
            truth[r["u"]] = state
    seen_u = [0]

    def filt(frame: str) -> str | None:
        m = orjson.loads(frame)
        if m.get("channel") != "spot.order_book_update" or m["event"] != "update":
            return frame
        if m["result"]["s"] != pair:
            return frame
        out = damage(m)
        if out is not None:
            seen_u[0] = max(seen_u[0], orjson.loads(out)["result"]["u"])
        return out

    def serve(p: str, ts: float) -> str | None:
        if p != pair or p not in session.served:
            return session.recorded(p, ts)
        base = max(u for u in truth if u <= max(seen_u[0], snap["id"]))
        return truth[base].body(base)

    events = session.run(filt, serve)
    statuses = [e for e in events if isinstance(e, Status) and e.symbol == pair]
    shown = [e for e in events if isinstance(e, OrderBook) and e.symbol == pair]
    assert [s.kind for s in statuses if s.kind != "subscribed"] == ["resync"]
    assert statuses[-1].code == "sequence"
    assert len(shown) > 10
    states = [t.top(100) for t in truth.values()]
    for b in shown:
        assert levels(b) in states  # never a wrong book
    final = codec.book(pair)
    assert final is not None  # healed
    bids, asks = final.top(100)
    got = ([(lv.price, lv.size) for lv in bids], [(lv.price, lv.size) for lv in asks])
    assert got == truth[max(truth)].top(100)


def test_deleted_delta_is_detected_and_healed(
    frames: list[tuple[float, str]], snapshots: dict[str, tuple[float, str]]
) -> None:
    target = book_updates(frames, "OMG_USDT")[10]["result"]["U"]

    def drop(m: dict[str, Any]) -> str | None:
        return None if m["result"]["U"] == target else orjson.dumps(m).decode()

    _broken_session_check(frames, snapshots, "OMG_USDT", drop)


def test_reordered_deltas_are_detected_and_healed(
    frames: list[tuple[float, str]], snapshots: dict[str, tuple[float, str]]
) -> None:
    ups = book_updates(frames, "NEO_BTC")
    a, b = ups[8], ups[9]
    swap = {a["result"]["U"]: b, b["result"]["U"]: a}

    def reorder(m: dict[str, Any]) -> str | None:
        return orjson.dumps(swap.get(m["result"]["U"], m)).decode()

    _broken_session_check(frames, snapshots, "NEO_BTC", reorder)


# -- mutated frames never become events ----------------------------------------------------


def mutate(frame: str, field: str, value: Any) -> str:
    m = orjson.loads(frame)
    m["result"][field] = value
    return orjson.dumps(m).decode()


@pytest.mark.parametrize("value", ["NaN", "-1", "Infinity", "1e400", "-0.5", "nan"])
@pytest.mark.parametrize("channel", ["spot.tickers", "spot.trades", "spot.candlesticks"])
def test_mutated_values_never_produce_events(
    frames: list[tuple[float, str]], channel: str, value: str
) -> None:
    field = {"spot.tickers": "last", "spot.trades": "price", "spot.candlesticks": "o"}[channel]
    frame = next(f for _, f in frames if f'"channel":"{channel}","event":"update"' in f)
    events = GateioCodec().decode(mutate(frame, field, value), 5)
    (st,) = events
    assert isinstance(st, Status) and st.kind == "error" and st.recv_ns == 5
    assert st.code in ("invalid", "malformed")
    assert st.message.startswith("Ignored a Gate.io")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("highest_bid", "0.0018800"),  # above the best ask: crossed
        ("base_volume", "-3"),
        ("change_percentage", "NaN"),
        ("currency_pair", "NEO_\x1b]2;x\x07BTC"),
    ],
)
def test_mutated_ticker(frames: list[tuple[float, str]], field: str, value: str) -> None:
    frame = next(f for _, f in frames if '"spot.tickers","event":"update"' in f)
    (st,) = GateioCodec().decode(mutate(frame, field, value), 1)
    assert isinstance(st, Status) and (st.kind, st.code) == ("error", "invalid")
    assert "\x1b" not in st.message and "\x07" not in st.message


def test_mutated_candle_that_does_not_bracket(frames: list[tuple[float, str]]) -> None:
    frame = next(f for _, f in frames if '"spot.candlesticks","event":"update"' in f)
    (st,) = GateioCodec().decode(mutate(frame, "h", "1"), 1)  # high below the open
    assert (st.kind, st.code) == ("error", "invalid")  # type: ignore[union-attr]
    assert "high 1 is below its open" in st.message  # type: ignore[union-attr]


def test_mutated_trade_side(frames: list[tuple[float, str]]) -> None:
    frame = next(f for _, f in frames if '"spot.trades","event":"update"' in f)
    (st,) = GateioCodec().decode(mutate(frame, "side", "BID"), 1)
    assert (st.kind, st.code) == ("error", "malformed")  # type: ignore[union-attr]


def test_crossed_book_ticker_is_refused() -> None:
    (st,) = GateioCodec().decode(
        '{"time":1,"channel":"spot.book_ticker","event":"update","result":{"t":1,"u":2,'
        '"s":"BTC_USDT","b":"101","B":"1","a":"100","A":"1"}}',
        1,
    )
    assert (st.kind, st.code) == ("error", "invalid")  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "frame",
    [
        "",
        "not json",
        b"\xff\xfe",
        "[1,2,3]",
        "42",
        '{"time":1,"channel":"spot.tickers","event":"update"}',
        '{"time":1,"channel":"spot.tickers","event":"update","result":5}',
        '{"time":1,"channel":"spot.trades","event":"update","result":{"id":1}}',
        '{"time":1,"channel":"spot.candlesticks","event":"update","result":{"t":"1","o":"1",'
        '"h":"1","l":"1","c":"1","n":"3m_BTC_USDT"}}',
        '{"time":1,"channel":"spot.order_book_update","event":"update","result":{"s":"X_Y"}}',
    ],
)
def test_malformed_frames_become_one_status(frame: str | bytes) -> None:
    events = GateioCodec().decode(frame, 5)
    (st,) = events
    assert isinstance(st, Status)
    assert (st.kind, st.code, st.recv_ns) == ("error", "malformed", 5)
    assert st.message.startswith("Ignored an unreadable Gate.io message")


def test_decode_never_raises_on_truncated_real_frames(frames: list[tuple[float, str]]) -> None:
    codec = GateioCodec()
    for ts, f in frames[::5]:
        for cut in (1, len(f) // 3, len(f) // 2, len(f) - 1):
            events = codec.decode(f[:cut], int(ts * NS))
            assert isinstance(events, list)
            for e in events:
                if isinstance(e, Status):
                    assert e.kind in ("error", "subscribed", "resync")
        codec.decode(f, int(ts * NS))


def test_no_nan_reaches_an_event(
    frames: list[tuple[float, str]], snapshots: dict[str, tuple[float, str]]
) -> None:
    events = Session(GateioCodec(clock=lambda: T0), frames, snapshots).run()
    for e in events:
        if isinstance(e, Status):
            continue
        for name in e.__struct_fields__:
            v = getattr(e, name)
            if isinstance(v, float):
                assert (math.isfinite(v) and v >= 0.0) or name in ("change_rate", "change_price")


def test_unknown_channel_push_is_ignored() -> None:
    frame = '{"time":1,"channel":"spot.order_book","event":"update","result":{"s":"X_Y"}}'
    assert GateioCodec().decode(frame, 1) == []


@pytest.mark.parametrize("depth", [1, 5, 30])
def test_shown_levels_always_equal_the_book(depth: int) -> None:
    """The levels an event carries are kept from the deltas (not rebuilt from the book);
    on a random stream with many deletes near the top they equal the book's best levels."""
    rng = random.Random(depth)
    c = GateioCodec(depth=depth, clock=lambda: 1.0)
    c.subscribe_frames({"orderbook": frozenset({"BTC_USDT"})}, {})
    c.decode(book_update("BTC_USDT", 1, 1, [], []), 1)
    (req,) = c.rest_requests()
    bids = {1000 - i: 1.0 for i in range(40)}
    asks = {1001 + i: 1.0 for i in range(40)}
    snap = {
        "id": 1,
        "bids": [[str(k), "1"] for k in sorted(bids, reverse=True)],
        "asks": [[str(k), "1"] for k in sorted(asks)],
    }
    c.on_rest(req, 200, orjson.dumps(snap), 2)
    last = 1
    for step in range(3000):
        b: list[list[str]] = []
        a: list[list[str]] = []
        for _ in range(rng.randint(1, 6)):
            side, out, sign = (bids, b, -1) if rng.random() < 0.5 else (asks, a, 1)
            other = asks if side is bids else bids
            if rng.random() < 0.45 and len(side) > 2:
                k = sorted(side, key=lambda x: sign * x)[
                    min(int(rng.expovariate(0.2)), len(side) - 1)
                ]
                del side[k]
                out.append([str(k), "0"])
            else:
                best = min(side, key=lambda x: sign * x)
                k = best + sign * (int(rng.expovariate(0.1)) - 2)
                opp = min(other, key=lambda x: -sign * x)
                if (sign < 0 and k >= opp) or (sign > 0 and k <= opp):
                    continue
                side[k] = round(rng.uniform(0.1, 9), 3)
                out.append([str(k), str(side[k])])
        events = c.decode(book_update("BTC_USDT", last + 1, last + 1, b, a, t=step), 3)
        last += 1
        (ev,) = events
        assert isinstance(ev, OrderBook), ev
        book = c.book("BTC_USDT")
        assert book is not None
        top_bids, top_asks = book.top(depth)
        assert ev.bids == top_bids and ev.asks == top_asks
        assert ev.total_bid_size == pytest.approx(sum(lv.size for lv in top_bids))
        want = sorted(bids, reverse=True)[:depth]
        assert [lv.price for lv in ev.bids] == [float(k) for k in want]


def test_events_are_built_positionally_in_model_order() -> None:
    """The fast path builds events from positional arguments; it relies on model.py's
    field order, and falls back to keywords (never wrong) if that order changes."""
    from dantaro_tui.exchanges import gateio

    assert gateio._new_ticker is Ticker and gateio._new_trade is Trade
    assert gateio._new_candle is Candle and gateio._new_book is OrderBook
    swapped = gateio._ctor(Trade, ("exchange", "base", "symbol", "quote"))
    assert swapped is not Trade
    with pytest.raises(TypeError):  # the keyword form: Trade's other fields are required
        swapped("gateio", "BTC", "BTC_USDT", "USDT")


def test_snapshot_is_asked_again_after_the_wall_clock_goes_back() -> None:
    now = [1_000_000.0]
    c = GateioCodec(clock=lambda: now[0])
    c.subscribe_frames({"orderbook": frozenset({"BTC_USDT"})}, {})
    c.decode(book_update("BTC_USDT", 99, 100, [], []), 1)
    (req,) = c.rest_requests()
    (st,) = c.on_rest(req, 500, b"{}", 2)
    assert st.kind == "error" and c.rest_requests() == []  # backing off
    now[0] -= 3600  # the clock was set back an hour: the book must not wait that long
    (req,) = c.rest_requests()
    assert req.key == "depth:BTC_USDT"


def test_long_run_of_failed_snapshots_keeps_asking() -> None:
    now = [1000.0]
    c = GateioCodec(clock=lambda: now[0])
    c.subscribe_frames({"orderbook": frozenset({"BTC_USDT"})}, {})
    c.decode(book_update("BTC_USDT", 99, 100, [], []), 1)
    for _ in range(1100):  # hours of refusals: the backoff stays capped and never raises
        (req,) = c.rest_requests()
        (st,) = c.on_rest(req, 503, b"{}", 2)
        assert st.kind == "error"
        now[0] += 30.0
    (req,) = c.rest_requests()
    (b,) = c.on_rest(req, 200, orjson.dumps({**SNAP, "id": 99}), 3)
    assert isinstance(b, OrderBook)
