"""Upbit WebSocket codec, checked against real recorded traffic (2021, SIMPLE format) and
against frames built from the documented field tables (exchange reference, section 1)."""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

import msgspec
import orjson
import pytest

from dantaro_tui.exchanges.base import RateLimit
from dantaro_tui.exchanges.upbit import UpbitCodec, build_request, upbit_type
from dantaro_tui.model import Candle, Event, OrderBook, Status, Ticker, Trade
from tests.recorded import load

# DEFAULT key -> SIMPLE key, transcribed from the reference's tables (1.2-1.6), independently
# of the codec's own table.
DOC_SIMPLE = {
    # ticker (1.3)
    "type": "ty",
    "code": "cd",
    "opening_price": "op",
    "high_price": "hp",
    "low_price": "lp",
    "trade_price": "tp",
    "prev_closing_price": "pcp",
    "change": "c",
    "change_price": "cp",
    "signed_change_price": "scp",
    "change_rate": "cr",
    "signed_change_rate": "scr",
    "trade_volume": "tv",
    "acc_trade_volume": "atv",
    "acc_trade_volume_24h": "atv24h",
    "acc_trade_price": "atp",
    "acc_trade_price_24h": "atp24h",
    "trade_date": "tdt",  # ticker spelling; trade messages use "td"
    "trade_time": "ttm",
    "trade_timestamp": "ttms",
    "ask_bid": "ab",
    "acc_ask_volume": "aav",
    "acc_bid_volume": "abv",
    "highest_52_week_price": "h52wp",
    "highest_52_week_date": "h52wdt",
    "lowest_52_week_price": "l52wp",
    "lowest_52_week_date": "l52wdt",
    "market_state": "ms",
    "is_trading_suspended": "its",
    "delisting_date": "dd",
    "market_warning": "mw",
    "timestamp": "tms",
    "stream_type": "st",
    # trade (1.4)
    "sequential_id": "sid",
    "best_ask_price": "bap",
    "best_ask_size": "bas",
    "best_bid_price": "bbp",
    "best_bid_size": "bbs",
    # orderbook (1.5)
    "total_ask_size": "tas",
    "total_bid_size": "tbs",
    "orderbook_units": "obu",
    "ask_price": "ap",
    "bid_price": "bp",
    "ask_size": "as",
    "bid_size": "bs",
    "level": "lv",
    # candle (1.6)
    "candle_date_time_utc": "cdttmu",
    "candle_date_time_kst": "cdttmk",
    "candle_acc_trade_volume": "catv",
    "candle_acc_trade_price": "catp",
}
SIMPLE_TO_DEFAULT = {v: k for k, v in DOC_SIMPLE.items()} | {"td": "trade_date"}


def to_default(obj: Any) -> Any:
    """A SIMPLE-format object rewritten with DEFAULT keys (recursively)."""
    if isinstance(obj, dict):
        return {SIMPLE_TO_DEFAULT[k]: to_default(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [to_default(v) for v in obj]
    return obj


def to_simple(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {DOC_SIMPLE[k]: to_simple(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [to_simple(v) for v in obj]
    return obj


def errors(events: list[Event]) -> list[Status]:
    return [e for e in events if isinstance(e, Status) and e.kind == "error"]


@pytest.fixture(scope="module")
def frames() -> list[bytes]:
    received = load("upbit_ws.txt").received
    assert all(isinstance(f, bytes) for _, f in received)  # Upbit sends binary frames
    return [f for _, f in received if isinstance(f, bytes)]


@pytest.fixture(scope="module")
def events(frames: list[bytes]) -> list[Event]:
    codec = UpbitCodec()
    out: list[Event] = []
    for i, frame in enumerate(frames):
        decoded = codec.decode(frame, i)
        assert len(decoded) == 1, frame
        out.extend(decoded)
    return out


# --------------------------------------------------------------------------- recorded traffic


def test_every_recorded_frame_decodes(events: list[Event]) -> None:
    assert errors(events) == []
    kinds = Counter(type(e).__name__ for e in events)
    assert kinds == {"Trade": 304, "OrderBook": 145}
    trades = Counter(e.symbol for e in events if isinstance(e, Trade))
    assert trades == {"KRW-LAMB": 299, "KRW-WAVES": 3, "BTC-ITAM": 2}
    books = Counter(e.symbol for e in events if isinstance(e, OrderBook))
    assert books == {"KRW-LAMB": 87, "KRW-WAVES": 26, "BTC-XTZ": 16, "BTC-ITAM": 8, "BTC-PAX": 8}
    # recv_ns is passed through; the session was subscribed isOnlyRealtime
    assert [e.recv_ns for e in events] == list(range(len(events)))
    assert not any(e.snapshot for e in events if isinstance(e, Trade | OrderBook))


def test_recorded_first_trade(events: list[Event]) -> None:
    first = events[0]
    assert first == Trade(
        exchange="upbit",
        symbol="KRW-LAMB",
        base="LAMB",
        quote="KRW",
        price=127.0,
        volume=46.48838371,
        side="buy",
        trade_id="1618678262000003",
        timestamp=1618678262000,  # ttms (match time), not tms
        recv_ns=0,
        snapshot=False,
    )
    second = events[2]
    assert isinstance(second, Trade)
    assert (second.price, second.volume, second.side) == (126.0, 47.97601199, "sell")
    assert second.trade_id == "1618678262000004"


def test_recorded_trades_tiny_btc_prices(events: list[Event]) -> None:
    itam = [e for e in events if isinstance(e, Trade) and e.symbol == "BTC-ITAM"]
    assert [(t.price, t.side, t.trade_id) for t in itam] == [
        (0.00000113, "sell", "16186782720000000"),
        (0.00000113, "sell", "16186782820000000"),
    ]
    assert itam[0].volume == 3416.89061628
    assert (itam[0].base, itam[0].quote) == ("ITAM", "BTC")
    assert itam[1].timestamp == 1618678282000


def test_recorded_trade_ids_unique_per_market(events: list[Event]) -> None:
    trades = [e for e in events if isinstance(e, Trade)]
    keys = [(t.symbol, t.trade_id) for t in trades]
    assert len(set(keys)) == len(keys) == 304
    # sequential_id is unique only within a market: KRW-LAMB and KRW-WAVES share three
    assert len({t.trade_id for t in trades}) == 301
    waves = [t for t in trades if t.symbol == "KRW-WAVES"]
    assert [(t.trade_id, t.price, t.volume, t.side) for t in waves] == [
        ("1618678275000000", 20230.0, 1.205185, "buy"),
        ("1618678275000001", 20230.0, 5.0, "buy"),
        ("1618678278000000", 20230.0, 19.66909134, "sell"),
    ]


def test_recorded_first_book(events: list[Event]) -> None:
    book = events[1]
    assert isinstance(book, OrderBook)
    assert (book.symbol, book.base, book.quote) == ("KRW-LAMB", "LAMB", "KRW")
    assert book.timestamp == 1618678262640
    assert (book.best_bid, book.best_ask) == (126.0, 127.0)
    assert len(book.bids) == len(book.asks) == 15
    assert (book.bids[0].size, book.asks[0].size) == (688682.44561413, 280460.37885666)
    assert (book.bids[-1].price, book.asks[-1].price) == (112.0, 141.0)
    assert book.total_bid_size == 14407925.20098682
    assert book.total_ask_size == 25752275.55420627


def test_recorded_books_other_markets(events: list[Event]) -> None:
    books = {e.symbol: e for e in events if isinstance(e, OrderBook)}  # last book per market
    first = {}
    for e in events:
        if isinstance(e, OrderBook):
            first.setdefault(e.symbol, e)
    waves = first["KRW-WAVES"]
    assert (waves.best_bid, waves.best_ask) == (20190.0, 20230.0)
    assert (waves.bids[0].size, waves.asks[0].size) == (10.0, 6.205185)
    assert waves.timestamp == 1618678263564
    assert (waves.total_ask_size, waves.total_bid_size) == (6264.72922222, 9148.38237693)
    xtz = first["BTC-XTZ"]
    assert (xtz.best_bid, xtz.best_ask) == (0.00011802, 0.00012221)
    itam = first["BTC-ITAM"]
    assert (itam.best_bid, itam.best_ask) == (0.00000113, 0.00000115)
    assert itam.asks[1].price == 0.00000116
    assert set(books) == {"KRW-LAMB", "KRW-WAVES", "BTC-XTZ", "BTC-ITAM", "BTC-PAX"}


def test_recorded_books_are_ordered_and_consistent(events: list[Event]) -> None:
    books = [e for e in events if isinstance(e, OrderBook)]
    assert len(books) == 145
    for b in books:
        assert len(b.bids) == len(b.asks) == 15  # 2021: 15 levels a side
        bid_prices = [lv.price for lv in b.bids]
        ask_prices = [lv.price for lv in b.asks]
        assert bid_prices == sorted(bid_prices, reverse=True)
        assert ask_prices == sorted(ask_prices)
        assert len(set(bid_prices)) == len(set(ask_prices)) == 15
        assert b.best_bid < b.best_ask
        assert all(lv.size > 0 for lv in b.bids + b.asks)
        # Upbit's totals are the sums over the levels sent
        assert b.total_bid_size == pytest.approx(sum(lv.size for lv in b.bids), rel=1e-9)
        assert b.total_ask_size == pytest.approx(sum(lv.size for lv in b.asks), rel=1e-9)


def test_text_frames_decode_like_binary(frames: list[bytes], events: list[Event]) -> None:
    codec = UpbitCodec()
    again = [e for i, f in enumerate(frames) for e in codec.decode(f.decode(), i)]
    assert again == events


def test_recorded_request_rebuilt(frames: list[bytes]) -> None:
    """The 2021 session's request (camelCase flags) carries the same content as ours."""
    (_, _, sent), *_ = load("upbit_ws.txt").sent
    recorded = orjson.loads(sent)
    codes = recorded[2]["codes"]
    ours = orjson.loads(
        build_request(
            {"trade": codes, "orderbook": codes},
            ticket=recorded[0]["ticket"],
            only_realtime=True,
            camel_case=True,
        )
    )

    def content(req: list[dict[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for obj in req:
            if "type" in obj:
                out[obj["type"]] = (sorted(obj["codes"]), obj.get("isOnlyRealtime"))
            else:
                out.update(obj)
        return out

    assert content(ours) == content(recorded)


# --------------------------------------------------------------------------- DEFAULT format


def test_default_twins_of_recorded_frames(frames: list[bytes], events: list[Event]) -> None:
    twins = [orjson.dumps(to_default(orjson.loads(f))) for f in frames]
    assert b'"type":"trade"' in twins[0] and b'"sequential_id"' in twins[0]
    assert b'"orderbook_units"' in twins[1] and b'"ask_price"' in twins[1]
    for codec in (UpbitCodec("SIMPLE"), UpbitCodec("DEFAULT")):  # slow path, then fast path
        decoded = [e for i, f in enumerate(twins) for e in codec.decode(f, i)]
        assert decoded == events


@pytest.mark.parametrize("fmt", ["JSON_LIST", "SIMPLE_LIST", "SIMPLE", "DEFAULT"])
def test_list_formats(fmt: str, frames: list[bytes], events: list[Event]) -> None:
    objs = [orjson.loads(f) for f in frames[:40]]
    if fmt in ("JSON_LIST", "DEFAULT"):
        objs = to_default(objs)
    codec = UpbitCodec(fmt)
    got: list[Event] = []
    for i in range(0, 40, 8):  # SIMPLE_LIST/JSON_LIST wrap messages in an array
        got += codec.decode(orjson.dumps(objs[i : i + 8]), 0)
    assert got == [_with_recv(e, 0) for e in events[:40]]


def _with_recv(e: Event, recv_ns: int) -> Event:
    return msgspec.structs.replace(e, recv_ns=recv_ns)


# --------------------------------------------------------------------------- ticker / candle

# A ticker as documented (1.3), every field present, numbers as Upbit writes them.
TICKER_DEFAULT = """{"type":"ticker","code":"KRW-BTC","opening_price":1.16539E8,
"high_price":117500000.0,"low_price":115600000,"trade_price":115900000.0,
"prev_closing_price":116539000.00000000,"change":"FALL","change_price":639000.0,
"signed_change_price":-639000.0,"change_rate":0.0054831430,"signed_change_rate":-0.0054831430,
"trade_volume":7.9276E-4,"acc_trade_volume":1520.55826163,"acc_trade_volume_24h":3002.97217465,
"acc_trade_price":176627548731.08,"acc_trade_price_24h":349385107285.21,"trade_date":"20240105",
"trade_time":"081530","trade_timestamp":1704442530123,"ask_bid":"ASK","acc_ask_volume":800.1,
"acc_bid_volume":720.45826163,"highest_52_week_price":132000000.0,"highest_52_week_date":"2023-12-08",
"lowest_52_week_price":22000000.0,"lowest_52_week_date":"2023-01-01","market_state":"ACTIVE",
"is_trading_suspended":false,"delisting_date":null,"market_warning":"NONE",
"timestamp":1704442530200,"stream_type":"SNAPSHOT"}"""

EXPECTED_TICKER = Ticker(
    exchange="upbit",
    symbol="KRW-BTC",
    base="BTC",
    quote="KRW",
    trade_price=115900000.0,
    change_rate=-0.0054831430,
    change_price=-639000.0,
    opening_price=116539000.0,
    high_price=117500000.0,
    low_price=115600000.0,
    prev_closing_price=116539000.0,
    acc_trade_volume_24h=3002.97217465,
    acc_trade_price_24h=349385107285.21,
    timestamp=1704442530200,
    recv_ns=7,
    trade_volume=0.00079276,
    snapshot=True,
)


def ticker_frames() -> dict[str, bytes]:
    default = orjson.loads(TICKER_DEFAULT)
    return {
        "DEFAULT": TICKER_DEFAULT.replace("\n", "").encode(),  # exponent numbers kept raw
        "SIMPLE": orjson.dumps(to_simple(default)),
    }


@pytest.mark.parametrize("codec_fmt", ["SIMPLE", "DEFAULT"])
@pytest.mark.parametrize("frame_fmt", ["SIMPLE", "DEFAULT"])
def test_ticker_both_formats(codec_fmt: str, frame_fmt: str) -> None:
    frame = ticker_frames()[frame_fmt]
    assert UpbitCodec(codec_fmt).decode(frame, 7) == [EXPECTED_TICKER]


@pytest.mark.parametrize(
    ("change", "rate", "price", "signed_rate", "signed_price"),
    [
        ("RISE", 0.0054831430, 639000.0, 0.0054831430, 639000.0),
        ("FALL", 0.0054831430, 639000.0, -0.0054831430, -639000.0),
        ("EVEN", 0.0, 0.0, 0.0, 0.0),
    ],
)
def test_ticker_sign_from_change_when_signed_fields_absent(
    change: str, rate: float, price: float, signed_rate: float, signed_price: float
) -> None:
    obj = to_simple(orjson.loads(TICKER_DEFAULT))
    del obj["scr"], obj["scp"]
    obj |= {"c": change, "cr": rate, "cp": price}
    (t,) = UpbitCodec().decode(orjson.dumps(obj), 0)
    assert isinstance(t, Ticker)
    assert (t.change_rate, t.change_price) == (signed_rate, signed_price)


def test_ticker_minimal_old_payload() -> None:
    """Only the fields every version carried; no change fields at all: derived from prices."""
    obj = {
        k: v
        for k, v in to_simple(orjson.loads(TICKER_DEFAULT)).items()
        if k in ("ty", "cd", "tp", "op", "hp", "lp", "pcp", "atv24h", "atp24h", "tms")
    }
    (t,) = UpbitCodec().decode(orjson.dumps(obj), 0)
    assert isinstance(t, Ticker)
    assert t.change_price == pytest.approx(115900000.0 - 116539000.0)
    assert t.change_rate == pytest.approx(-0.0054831430, rel=1e-6)
    assert t.trade_volume == 0.0 and t.snapshot is False


CANDLE_DEFAULT = {
    "type": "candle.1m",
    "code": "KRW-BTC",
    "candle_date_time_utc": "2024-01-01T00:00:00",
    "candle_date_time_kst": "2024-01-01T09:00:00",
    "opening_price": 58000000.0,
    "high_price": 58100000.0,
    "low_price": 57950000.0,
    "trade_price": 58050000.0,
    "candle_acc_trade_volume": 1.23456789,
    "candle_acc_trade_price": 71650000.5,
    "timestamp": 1704067259123,
    "stream_type": "REALTIME",
}


@pytest.mark.parametrize(
    ("upbit", "ours"),
    [
        ("candle.1s", "1s"),
        ("candle.1m", "1m"),
        ("candle.15m", "15m"),
        ("candle.60m", "1h"),
        ("candle.240m", "4h"),
    ],
)
@pytest.mark.parametrize("frame_fmt", ["SIMPLE", "DEFAULT"])
def test_candle_both_formats(upbit: str, ours: str, frame_fmt: str) -> None:
    obj = {**CANDLE_DEFAULT, "type": upbit}
    frame = orjson.dumps(to_simple(obj) if frame_fmt == "SIMPLE" else obj)
    for codec in (UpbitCodec("SIMPLE"), UpbitCodec("DEFAULT")):
        assert codec.decode(frame, 3) == [
            Candle(
                exchange="upbit",
                symbol="KRW-BTC",
                base="BTC",
                quote="KRW",
                interval=ours,
                open_time=1704067200000,
                open=58000000.0,
                high=58100000.0,
                low=57950000.0,
                close=58050000.0,
                volume=1.23456789,
                timestamp=1704067259123,
                recv_ns=3,
                quote_volume=71650000.5,
            )
        ]


def test_orderbook_padding_and_snapshot() -> None:
    """A thin book (30 levels requested, 2 bids exist) is padded with zero units."""
    units = [
        {"ap": 100.0 + i, "bp": 99.0 - i if i < 2 else 0, "as": 1.0, "bs": 2.0 if i < 2 else 0}
        for i in range(30)
    ]
    frame = orjson.dumps(
        {
            "ty": "orderbook",
            "cd": "USDT-ETH",
            "tms": 5,
            "tas": 30.0,
            "tbs": 4.0,
            "obu": units,
            "st": "SNAPSHOT",
            "lv": 0,
        }
    )
    (book,) = UpbitCodec().decode(frame, 0)
    assert isinstance(book, OrderBook)
    assert [lv.price for lv in book.bids] == [99.0, 98.0]
    assert len(book.asks) == 30 and book.asks[0].price == 100.0
    assert (book.base, book.quote, book.snapshot) == ("ETH", "USDT", True)


def test_trade_with_newer_fields_and_snapshot(frames: list[bytes], events: list[Event]) -> None:
    extra = {
        "bap": 128.0,
        "bas": 3.0,
        "bbp": 127.0,
        "bbs": 4.0,
        "st": "SNAPSHOT",
        "new_field": [1, {"x": 2}],
    }
    (trade,) = UpbitCodec().decode(orjson.dumps(orjson.loads(frames[0]) | extra), 0)
    assert trade == msgspec.structs.replace(events[0], snapshot=True)


# --------------------------------------------------------------------------- status frames


def test_status_up() -> None:
    for frame in (b'{"status":"UP"}', '{"status":"UP"}'):
        assert UpbitCodec().decode(frame, 9) == [
            Status(exchange="upbit", kind="status", message="UP", recv_ns=9)
        ]


@pytest.mark.parametrize(
    ("name", "server_text"),
    [
        ("WRONG_FORMAT", "Format 이 맞지 않습니다."),
        ("NO_TYPE", "nope 은 지원하지 않는 타입입니다."),
        ("NO_TICKET", "ticket 이 없습니다."),
        ("NO_CODES", "codes 가 없습니다."),
        ("INVALID_PARAM", "level 이 올바르지 않습니다."),
        ("INVALID_AUTH", "인증에 실패했습니다."),
        ("SOMETHING_NEW", "새로운 오류"),
    ],
)
def test_error_frames(name: str, server_text: str) -> None:
    frame = orjson.dumps({"error": {"name": name, "message": server_text}})
    (status,) = UpbitCodec().decode(frame, 1)
    assert isinstance(status, Status)
    assert (status.kind, status.code, status.recv_ns) == ("error", name, 1)
    assert f"({name})" in status.message
    assert server_text in status.message  # the server's own words are kept
    assert status.message.startswith("Upbit ")
    if name == "WRONG_FORMAT":
        assert status.message.startswith("Upbit rejected the subscription request")


@pytest.mark.parametrize("fmt", ["DEFAULT", "SIMPLE"])
def test_list_subscriptions_reply(fmt: str) -> None:
    reply = {
        "method": "LIST_SUBSCRIPTIONS",
        "result": [
            {"type": "ticker", "codes": ["KRW-BTC"]},
            {"type": "orderbook", "codes": ["KRW-BTC"], "level": 0},
        ],
        "ticket": "x",
    }
    if fmt == "SIMPLE":
        reply = {
            "mthd": "LIST_SUBSCRIPTIONS",
            "rslt": [
                {"ty": "ticker", "cds": ["KRW-BTC"]},
                {"ty": "orderbook", "cds": ["KRW-BTC"], "lv": 0},
            ],
            "tckt": "x",
        }
    (status,) = UpbitCodec(fmt).decode(orjson.dumps(reply), 0)
    assert isinstance(status, Status)
    assert status.kind == "subscribed"
    assert "ticker KRW-BTC" in status.message and "orderbook KRW-BTC" in status.message
    empty = {"method": "LIST_SUBSCRIPTIONS", "result": [], "ticket": "x"}
    (none,) = UpbitCodec(fmt).decode(orjson.dumps(empty), 0)
    assert isinstance(none, Status) and none.kind == "subscribed"
    assert "no active subscription" in none.message


def _malformed_frames() -> dict[str, Any]:
    trade = load("upbit_ws.txt").received[0][1]
    assert isinstance(trade, bytes)
    obj = orjson.loads(trade)
    return {
        "truncated": trade[: len(trade) // 2],
        "truncated text": trade.decode()[:40],
        "empty": b"",
        "not json": b"PONG",
        "non-utf8": b'{"ty":"trade","cd":"KRW-\xff\xfe"}',
        "non-utf8 only": b"\xff\xfe\xfd",
        "price is text": orjson.dumps(obj | {"tp": "127.0"}),
        "price is null": orjson.dumps(obj | {"tp": None}),
        "id is float": orjson.dumps(obj | {"sid": 1.5}),
        "code is number": orjson.dumps(obj | {"cd": 5}),
        "bad side": orjson.dumps(obj | {"ab": "SELL"}),
        "missing sid": orjson.dumps({k: v for k, v in obj.items() if k != "sid"}),
        "unknown type": orjson.dumps(obj | {"ty": "bogus"}),
        "type not text": orjson.dumps(obj | {"ty": 3}),
        "no type": orjson.dumps({"cd": "KRW-BTC", "tp": 1.0}),
        "scalar": b"123",
        "string": b'"trade"',
        "null": b"null",
        "units not list": orjson.dumps(
            {"ty": "orderbook", "cd": "KRW-BTC", "tms": 1, "obu": {"ap": 1}}
        ),
        "unit missing price": orjson.dumps(
            {"ty": "orderbook", "cd": "KRW-BTC", "tms": 1, "obu": [{"ap": 1, "as": 1, "bs": 1}]}
        ),
        "bad candle date": orjson.dumps(
            to_simple(CANDLE_DEFAULT | {"candle_date_time_utc": "2024-13-45T99:00:00"})
        ),
        "list with scalar": b"[1]",
        "wrong frame type": 12345,
    }


@pytest.mark.parametrize("fmt", ["SIMPLE", "DEFAULT", "SIMPLE_LIST"])
def test_malformed_frames_never_raise(fmt: str) -> None:
    codec = UpbitCodec(fmt)
    bad = _malformed_frames()
    statuses: list[Status] = []
    for label, frame in bad.items():
        out = codec.decode(frame, 4)
        assert len(out) == 1, label
        (status,) = out
        assert isinstance(status, Status), label
        assert (status.kind, status.code, status.recv_ns) == ("error", "malformed", 4), label
        assert status.message.startswith("Skipped a message from Upbit"), label
        statuses.append(status)
    assert len(statuses) == len(bad)
    by_label = dict(zip(bad, statuses, strict=True))
    assert "not valid JSON" in by_label["truncated"].message
    assert "unknown message type 'bogus'" in by_label["unknown type"].message
    assert by_label["price is text"].symbol == "KRW-LAMB"
    assert "$.tp" in by_label["price is text"].message
    assert by_label["bad candle date"].message.endswith("month must be in 1..12")
    assert "candle.1m message" in by_label["bad candle date"].message


def test_list_frame_with_one_bad_item(frames: list[bytes], events: list[Event]) -> None:
    items = [orjson.loads(frames[0]), {"ty": "trade", "cd": "KRW-LAMB"}, orjson.loads(frames[1])]
    out = UpbitCodec("SIMPLE_LIST").decode(orjson.dumps(items), 0)
    assert len(out) == 3
    assert out[0] == events[0] and out[2] == _with_recv(events[1], 0)
    assert isinstance(out[1], Status) and out[1].code == "malformed"
    assert len(errors(out)) == 1


# --------------------------------------------------------------------------- requests


def test_codec_declares_upbit_rules() -> None:
    codec = UpbitCodec()
    assert codec.name == "upbit"
    assert codec.default_ws_url == "wss://api.upbit.com/websocket/v1"
    assert codec.default_rest_url == "https://api.upbit.com"
    assert codec.keepalive_interval == 20.0 and codec.ping_frame == "PING"
    assert codec.connect_limits == (RateLimit(5, 1.0),)
    assert codec.message_limits == (RateLimit(5, 1.0), RateLimit(100, 60.0))
    assert codec.format == "SIMPLE"
    assert uuid.UUID(codec.ticket).version == 4
    assert UpbitCodec().ticket != codec.ticket
    with pytest.raises(ValueError, match="format"):
        UpbitCodec("XML")


def _sent(codec: UpbitCodec, desired: dict[str, set[str]], current: Any = None) -> list[Any]:
    frames = codec.subscribe_frames(
        {k: frozenset(v) for k, v in desired.items()},
        {k: frozenset(v) for k, v in (current or {}).items()},
    )
    assert len(frames) == 1 and isinstance(frames[0], str)
    return orjson.loads(frames[0])


def test_composite_request_shape() -> None:
    codec = UpbitCodec(ticket="t-1")
    req = _sent(
        codec,
        {
            "candle.1h": {"KRW-BTC"},
            "orderbook": {"KRW-ETH", "KRW-BTC"},
            "trade": {"KRW-BTC", "BTC-ETH"},
            "ticker": {"USDT-BTC", "KRW-BTC"},
            "candle.1m": {"KRW-XRP"},
        },
    )
    assert req == [
        {"ticket": "t-1"},
        {"type": "ticker", "codes": ["KRW-BTC", "USDT-BTC"]},
        {"type": "trade", "codes": ["BTC-ETH", "KRW-BTC"]},
        {"type": "orderbook", "codes": ["KRW-BTC", "KRW-ETH"]},
        {"type": "candle.1m", "codes": ["KRW-XRP"]},
        {"type": "candle.60m", "codes": ["KRW-BTC"]},
        {"format": "SIMPLE"},
    ]


def test_request_is_the_union_not_the_difference() -> None:
    codec = UpbitCodec(ticket="t")
    current = {"ticker": {"KRW-BTC"}}
    req = _sent(codec, {"ticker": {"KRW-BTC", "KRW-ETH"}, "trade": {"KRW-ETH"}}, current)
    assert req[1:3] == [
        {"type": "ticker", "codes": ["KRW-BTC", "KRW-ETH"]},
        {"type": "trade", "codes": ["KRW-ETH"]},
    ]
    # removing a market also sends the full remaining set
    req = _sent(codec, {"ticker": {"KRW-ETH"}}, {"ticker": {"KRW-BTC", "KRW-ETH"}})
    assert req == [{"ticket": "t"}, {"type": "ticker", "codes": ["KRW-ETH"]}, {"format": "SIMPLE"}]


def test_nothing_to_send() -> None:
    codec = UpbitCodec()
    same = {"ticker": frozenset({"KRW-BTC"})}
    assert codec.subscribe_frames(same, dict(same)) == []
    assert codec.subscribe_frames({}, same) == []
    assert codec.subscribe_frames({}, {}) == []
    assert codec.subscribe_frames({"ticker": frozenset()}, same) == []


def test_dedupe_and_case() -> None:
    req = orjson.loads(
        build_request(
            {
                "ticker": ["krw-btc", "KRW-BTC", "KRW-BTC"],
                "candle.1h": ["KRW-BTC"],
                "candle.60m": ["KRW-BTC", "krw-eth"],
                "candle.4h": ["KRW-BTC"],
            },
            ticket="x",
        )
    )
    assert req[1:-1] == [
        {"type": "ticker", "codes": ["KRW-BTC"]},
        {"type": "candle.60m", "codes": ["KRW-BTC", "KRW-ETH"]},
        {"type": "candle.240m", "codes": ["KRW-BTC"]},
    ]


@pytest.mark.parametrize(
    ("options", "flag"),
    [
        ({"only_snapshot": True}, {"is_only_snapshot": True}),
        ({"only_realtime": True}, {"is_only_realtime": True}),
        ({"only_snapshot": True, "camel_case": True}, {"isOnlySnapshot": True}),
        ({"only_realtime": True, "camel_case": True}, {"isOnlyRealtime": True}),
        ({}, {}),
    ],
)
def test_snapshot_realtime_flags(options: dict[str, bool], flag: dict[str, bool]) -> None:
    req = orjson.loads(
        build_request({"trade": ["KRW-BTC"], "ticker": ["KRW-BTC"]}, ticket="x", **options)
    )
    assert req[1] == {"type": "ticker", "codes": ["KRW-BTC"], **flag}
    assert req[2] == {"type": "trade", "codes": ["KRW-BTC"], **flag}
    # the same through the codec, from the constructor or per request
    codec = UpbitCodec(ticket="x", **options)
    assert orjson.loads(codec.request({"trade": ["KRW-BTC"], "ticker": ["KRW-BTC"]})) == req
    assert (
        orjson.loads(
            UpbitCodec(ticket="x").request({"trade": ["KRW-BTC"], "ticker": ["KRW-BTC"]}, **options)
        )
        == req
    )


def test_format_last_ticket_first() -> None:
    for fmt in ("DEFAULT", "SIMPLE", "JSON_LIST", "SIMPLE_LIST"):
        codec = UpbitCodec(fmt, ticket="tk")
        req = _sent(codec, {"trade": {"KRW-BTC"}})
        assert req[0] == {"ticket": "tk"} and req[-1] == {"format": fmt}
    frame = UpbitCodec("DEFAULT", ticket="tk").list_subscriptions_frame()
    assert orjson.loads(frame) == [
        {"ticket": "tk"},
        {"method": "LIST_SUBSCRIPTIONS"},
        {"format": "DEFAULT"},
    ]


def test_orderbook_depth_suffix() -> None:
    req = orjson.loads(
        build_request(
            {"orderbook": ["KRW-BTC"], "trade": ["KRW-BTC"]}, ticket="x", orderbook_depth=15
        )
    )
    assert req[1] == {"type": "trade", "codes": ["KRW-BTC"]}
    assert req[2] == {"type": "orderbook", "codes": ["KRW-BTC.15"]}
    with pytest.raises(ValueError, match="depth"):
        build_request({"orderbook": ["KRW-BTC"]}, ticket="x", orderbook_depth=10)


@pytest.mark.parametrize("channel", ["candle.2h", "candle", "tickers", "depth", "myOrder", ""])
def test_unknown_channel_is_refused(channel: str) -> None:
    with pytest.raises(ValueError, match="Upbit has no channel"):
        UpbitCodec().subscribe_frames({channel: frozenset({"KRW-BTC"})}, {})
    with pytest.raises(ValueError):
        upbit_type(channel)
    with pytest.raises(ValueError, match="Upbit has no channel"):
        UpbitCodec().validate_channel(channel)


def test_validate_channel_and_frames_to_send() -> None:
    codec = UpbitCodec()
    for channel in ("ticker", "trade", "orderbook", "candle.1m", "candle.1h", "candle.240m"):
        codec.validate_channel(channel)
    assert codec.frames_to_send() == []  # Upbit never asks for frames of its own


def test_contradictory_flags_refused() -> None:
    with pytest.raises(ValueError, match="exclude"):
        build_request({"trade": ["KRW-BTC"]}, ticket="x", only_snapshot=True, only_realtime=True)
    with pytest.raises(ValueError):
        UpbitCodec(only_snapshot=True, only_realtime=True)


def test_all_intervals_map() -> None:
    assert {
        i: upbit_type(f"candle.{i}")
        for i in ("1s", "1m", "3m", "5m", "10m", "15m", "30m", "1h", "4h", "60m", "240m")
    } == {
        "1s": "candle.1s",
        "1m": "candle.1m",
        "3m": "candle.3m",
        "5m": "candle.5m",
        "10m": "candle.10m",
        "15m": "candle.15m",
        "30m": "candle.30m",
        "1h": "candle.60m",
        "4h": "candle.240m",
        "60m": "candle.60m",
        "240m": "candle.240m",
    }
