"""Impossible values and terminal control characters stop at the codec boundary.

Every event a codec delivers carries finite, positive prices, non-negative sizes and ordered,
uncrossed books; anything else becomes ``Status(kind="error", code="invalid")`` with a
sentence that names the exchange and the market. No text the exchange wrote reaches the
terminal with a control character in it (an error frame must not retitle the tmux pane or
clear the screen).
"""

from __future__ import annotations

import math
from typing import Any

import msgspec
import orjson
import pytest

from dantaro_tui.exchanges import okx_rest, upbit_rest
from dantaro_tui.exchanges.okx import OkxCodec
from dantaro_tui.exchanges.sanity import clean, has_control
from dantaro_tui.exchanges.upbit import UpbitCodec
from dantaro_tui.model import Candle, Event, OrderBook, Status, Ticker, Trade

ESCAPES = "\x1b]2;pwned\x07\x1b[2J"
C1_CSI = "\x9b2J"  # the 8-bit form of ESC [


def strings(obj: Any) -> list[str]:
    """Every string inside an event (or list/tuple of them)."""
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, msgspec.Struct):
        return strings(msgspec.structs.astuple(obj))
    if isinstance(obj, list | tuple):
        return [s for item in obj for s in strings(item)]
    return []


def assert_no_control(obj: Any) -> None:
    for s in strings(obj):
        assert not has_control(s), repr(s)


def invalid(events: list[Event]) -> Status:
    (st,) = events
    assert isinstance(st, Status), st
    assert (st.kind, st.code) == ("error", "invalid"), st
    assert_no_control(st)
    return st


# --------------------------------------------------------------------------- the helpers


def test_clean_strips_c0_c1_and_del_keeps_unicode() -> None:
    assert clean("Format 이 맞지 않습니다.") == "Format 이 맞지 않습니다."
    text = clean(f"before{ESCAPES}after\x00\x7f{C1_CSI}\tend\n")
    assert not has_control(text)
    assert text.startswith("before") and "pwned" in text and text.rstrip().endswith("end")
    for ch in [*map(chr, range(0x20)), "\x7f", *map(chr, range(0x80, 0xA0))]:
        assert has_control(ch) and not has_control(clean(f"a{ch}b"))
    for ok in ("KRW-BTC", "비트코인", "BTC-USDT-SWAP", " ", "é", ""):
        assert not has_control(ok) and clean(ok) == ok


def test_clean_strips_line_separators_and_bidi_overrides() -> None:
    # U+202E shows "BTC\u202eDSU" as "BTCUSD"; U+2028 breaks a status line in two.
    for ch in ("\u2028", "\u2029", "\u202a", "\u202e", "\u2066", "\u2069"):
        assert has_control(f"a{ch}b") and clean(f"a{ch}b") == "a b"
    assert clean("👨\u200d👩") == "👨\u200d👩"  # a joiner is part of the glyph, kept


# --------------------------------------------------------------------------- Upbit WebSocket


def upbit_book(bids: list[float], asks: list[float], code: str = "KRW-BTC", size: float = 1.0):
    units = [{"ap": a, "bp": b, "as": size, "bs": size} for a, b in zip(asks, bids, strict=True)]
    return orjson.dumps({"ty": "orderbook", "cd": code, "tms": 1, "obu": units, "st": "REALTIME"})


UPBIT_TRADE = {
    "ty": "trade",
    "cd": "KRW-BTC",
    "tms": 1,
    "ttms": 1,
    "tp": 100.0,
    "tv": 0.5,
    "ab": "BID",
    "sid": 7,
    "st": "REALTIME",
}
UPBIT_TICKER = {
    "ty": "ticker",
    "cd": "KRW-BTC",
    "tp": 100.0,
    "op": 99.0,
    "hp": 101.0,
    "lp": 98.0,
    "pcp": 99.0,
    "scr": 0.01,
    "scp": 1.0,
    "tv": 0.1,
    "atv24h": 10.0,
    "atp24h": 1000.0,
    "tms": 1,
}
UPBIT_CANDLE = {
    "ty": "candle.1m",
    "cd": "KRW-BTC",
    "cdttmu": "2024-01-01T00:00:00",
    "op": 100.0,
    "hp": 110.0,
    "lp": 90.0,
    "tp": 105.0,
    "catv": 1.0,
    "catp": 100.0,
    "tms": 1,
}


@pytest.mark.parametrize("fmt", ["SIMPLE", "DEFAULT"])  # fast path, slow path
def test_upbit_crossed_book(fmt: str) -> None:
    st = invalid(UpbitCodec(fmt).decode(upbit_book([101.0, 99.0], [100.0, 102.0]), 3))
    assert st.message == (
        "Ignored an Upbit order book for KRW-BTC whose best bid 101 is at or above its "
        "best ask 100."
    )
    assert (st.symbol, st.recv_ns) == ("KRW-BTC", 3)


@pytest.mark.parametrize("fmt", ["SIMPLE", "DEFAULT"])
@pytest.mark.parametrize(
    ("bids", "asks", "size", "words"),
    [
        ([99.0, 99.5], [100.0, 101.0], 1.0, "bids"),  # not falling
        ([99.0, 99.0], [100.0, 101.0], 1.0, "bids"),  # a repeated level
        ([99.0, 98.0], [101.0, 100.0], 1.0, "asks"),  # not rising
        ([99.0, -1.0], [100.0, 101.0], 1.0, "-1"),  # a negative price is not padding
        ([99.0, 98.0], [100.0, 101.0], -2.0, "-2"),
    ],
)
def test_upbit_unsorted_or_negative_book(
    fmt: str, bids: list[float], asks: list[float], size: float, words: str
) -> None:
    st = invalid(UpbitCodec(fmt).decode(upbit_book(bids, asks, size=size), 0))
    assert st.message.startswith("Ignored an Upbit order book for KRW-BTC ")
    assert words in st.message


@pytest.mark.parametrize("fmt", ["SIMPLE", "DEFAULT"])
@pytest.mark.parametrize(
    ("change", "words"),
    [({"tp": -100.0}, "price"), ({"tv": 0.0}, "size"), ({"tv": -0.5}, "size")],
)
def test_upbit_impossible_trade(fmt: str, change: dict[str, float], words: str) -> None:
    st = invalid(UpbitCodec(fmt).decode(orjson.dumps(UPBIT_TRADE | change), 0))
    assert st.message.startswith("Ignored an Upbit trade for KRW-BTC whose ")
    assert words in st.message and st.symbol == "KRW-BTC"


@pytest.mark.parametrize("fmt", ["SIMPLE", "DEFAULT"])
@pytest.mark.parametrize(
    "change",
    [{"tp": 0.0}, {"tp": -1.0}, {"atv24h": -1.0}, {"hp": -5.0}, {"scr": None, "scp": None}],
)
def test_upbit_impossible_ticker(fmt: str, change: dict[str, Any]) -> None:
    obj = {k: v for k, v in (UPBIT_TICKER | change).items() if v is not None}
    if "scr" not in obj:  # old payload: rate derived from a previous close of ~0
        obj |= {"pcp": 1e-310, "tp": 1e300}
    st = invalid(UpbitCodec(fmt).decode(orjson.dumps(obj), 0))
    assert st.message.startswith("Ignored an Upbit ticker for KRW-BTC whose ")


@pytest.mark.parametrize("fmt", ["SIMPLE", "DEFAULT"])
@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"lp": 101.0}, "low 101 is above its open 100"),
        ({"hp": 104.0}, "high 104 is below its close 105"),
        ({"op": -1.0, "lp": -2.0}, "open -1"),
        ({"catv": -1.0}, "volume -1"),
    ],
)
def test_upbit_impossible_candle(fmt: str, change: dict[str, float], words: str) -> None:
    st = invalid(UpbitCodec(fmt).decode(orjson.dumps(UPBIT_CANDLE | change), 0))
    assert st.message.startswith("Ignored an Upbit 1m candle for KRW-BTC whose ")
    assert words in st.message


def test_upbit_list_frame_keeps_the_good_items() -> None:
    good = orjson.loads(upbit_book([99.0], [100.0]))
    bad = orjson.loads(upbit_book([101.0], [100.0], code="KRW-ETH"))
    out = UpbitCodec("SIMPLE_LIST").decode(orjson.dumps([good, bad, UPBIT_TRADE]), 0)
    assert [type(e).__name__ for e in out] == ["OrderBook", "Status", "Trade"]
    assert invalid(out[1:2]).symbol == "KRW-ETH"


@pytest.mark.parametrize("fmt", ["SIMPLE", "DEFAULT"])
def test_upbit_symbol_with_control_characters_is_invalid(fmt: str) -> None:
    for code in (f"KRW-BTC{ESCAPES}", "KRW-\x9bBTC", ""):
        st = invalid(UpbitCodec(fmt).decode(orjson.dumps(UPBIT_TRADE | {"cd": code}), 0))
        assert st.symbol == "" and "market code" in st.message


def test_upbit_error_frame_cannot_drive_the_terminal() -> None:
    frame = orjson.dumps({"error": {"name": f"WRONG{ESCAPES}", "message": f"bad {ESCAPES}"}})
    (st,) = UpbitCodec().decode(frame, 0)
    assert isinstance(st, Status) and st.kind == "error"
    assert_no_control(st)
    assert "pwned" in st.message and "bad" in st.message
    (st,) = UpbitCodec().decode(orjson.dumps({"error": f"oops{ESCAPES}"}), 0)
    assert_no_control(st)


@pytest.mark.parametrize(
    "obj",
    [
        {"status": f"UP{ESCAPES}"},
        {"ty": f"tick{ESCAPES}er", "cd": "KRW-BTC"},  # unknown type name
        {"ty": f"ticker{C1_CSI}", "cd": f"KRW{ESCAPES}"},
        {"what": f"no type {C1_CSI}{ESCAPES}"},  # preview of a frame without a type
        {"mthd": "LIST_SUBSCRIPTIONS", "rslt": [{"ty": f"x{ESCAPES}", "cds": [f"K{C1_CSI}"]}]},
        UPBIT_TRADE | {"tp": f"1{ESCAPES}"},  # a validation error quoting the frame
    ],
)
def test_upbit_status_text_is_clean(obj: dict[str, Any]) -> None:
    for fmt in ("SIMPLE", "DEFAULT"):
        (st,) = UpbitCodec(fmt).decode(orjson.dumps(obj), 0)
        assert isinstance(st, Status)
        assert_no_control(st)


def test_upbit_malformed_frame_preview_is_clean() -> None:
    for frame in (
        f"not json {ESCAPES}".encode(),
        f"[1, {ESCAPES}".encode(),
        f'{{"ty":"trade","cd":"{C1_CSI}"'.encode(),
    ):
        (st,) = UpbitCodec().decode(frame, 0)
        assert isinstance(st, Status) and st.kind == "error"
        assert_no_control(st)


# --------------------------------------------------------------------------- OKX WebSocket


def okx_push(channel: str, data: list[Any], inst: str = "BTC-USDT") -> str:
    return orjson.dumps({"arg": {"channel": channel, "instId": inst}, "data": data}).decode()


OKX_TICKER = {
    "instType": "SPOT",
    "instId": "BTC-USDT",
    "last": "100",
    "lastSz": "0.1",
    "askPx": "100.1",
    "askSz": "1",
    "bidPx": "99.9",
    "bidSz": "1",
    "open24h": "90",
    "high24h": "110",
    "low24h": "80",
    "volCcy24h": "1000",
    "vol24h": "10",
    "ts": "1700000000000",
}
OKX_TRADE = {
    "instId": "BTC-USDT",
    "tradeId": "1",
    "px": "100",
    "sz": "0.1",
    "side": "buy",
    "ts": "1700000000000",
}
OKX_CANDLE = ["1700000000000", "100", "110", "90", "105", "1", "100", "100", "0"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("last", "NaN"),
        ("last", "Infinity"),
        ("last", "-1e400"),
        ("last", "1e400"),
        ("last", "-100"),
        ("last", "0"),
        ("vol24h", "-1"),
        ("volCcy24h", "nan"),
        ("bidPx", "-inf"),
        ("open24h", "1e-320"),  # change rate last/open24h - 1 overflows
        ("high24h", "-110"),
        ("bidPx", "100.1"),  # a best bid at the best ask
        ("askPx", "99"),  # a best ask below the best bid
    ],
)
def test_okx_impossible_ticker(field: str, value: str) -> None:
    st = invalid(OkxCodec().decode(okx_push("tickers", [OKX_TICKER | {field: value}]), 5))
    assert st.message.startswith("Ignored an OKX ticker for BTC-USDT whose ")
    assert (st.symbol, st.recv_ns) == ("BTC-USDT", 5)


def test_okx_ticker_names_the_value() -> None:
    st = invalid(OkxCodec().decode(okx_push("tickers", [OKX_TICKER | {"last": "NaN"}]), 0))
    assert "last price" in st.message and "NaN" in st.message


@pytest.mark.parametrize(
    ("field", "value"),
    [("px", "NaN"), ("px", "-1"), ("px", "0"), ("sz", "0"), ("sz", "-0.1"), ("sz", "inf")],
)
def test_okx_impossible_trade(field: str, value: str) -> None:
    frame = okx_push("trades", [OKX_TRADE, OKX_TRADE | {field: value, "tradeId": "2"}])
    good, bad = OkxCodec().decode(frame, 0)
    assert isinstance(good, Trade) and good.trade_id == "1"
    st = invalid([bad])
    assert st.message.startswith("Ignored an OKX trade for BTC-USDT whose ")


def test_okx_trade_id_and_symbol_with_control_characters() -> None:
    frame = okx_push("trades", [OKX_TRADE | {"tradeId": f"1{ESCAPES}"}])
    invalid(OkxCodec().decode(frame, 0))
    frame = okx_push("trades", [OKX_TRADE | {"instId": f"BTC-USDT{ESCAPES}"}])
    assert invalid(OkxCodec().decode(frame, 0)).symbol == ""
    frame = okx_push("tickers", [OKX_TICKER | {"instId": f"BTC-{C1_CSI}"}])
    assert invalid(OkxCodec().decode(frame, 0)).symbol == ""


@pytest.mark.parametrize(
    ("index", "value", "words"),
    [
        (3, "106", "low 106 is above its open 100"),
        (2, "104", "high 104 is below its close 105"),
        (1, "NaN", "open"),
        (4, "-1", "close"),
        (5, "-1", "volume"),
    ],
)
def test_okx_impossible_candle(index: int, value: str, words: str) -> None:
    row = list(OKX_CANDLE)
    row[index] = value
    st = invalid(OkxCodec().decode(okx_push("candle1m", [row]), 0))
    assert st.message.startswith("Ignored an OKX 1m candle for BTC-USDT whose ")
    assert words in st.message


@pytest.mark.parametrize(
    ("bids", "asks", "words"),
    [
        ([["101", "1"]], [["100", "1"]], "best bid 101 is at or above its best ask 100"),
        ([["100", "1"]], [["100", "1"]], "best bid 100 is at or above its best ask 100"),
        ([["98", "1"], ["99", "1"]], [["100", "1"]], "bids"),
        ([["99", "1"]], [["101", "1"], ["100", "1"]], "asks"),
        ([["NaN", "1"]], [["100", "1"]], "NaN"),
        ([["99", "-1"]], [["100", "1"]], "-1"),
        ([["99", "1"]], [["Infinity", "1"]], "inf"),
    ],
)
def test_okx_shallow_books_are_checked(bids: list[Any], asks: list[Any], words: str) -> None:
    for channel in ("books5", "bbo-tbt"):
        data = [{"bids": bids, "asks": asks, "ts": "1"}]
        st = invalid(OkxCodec().decode(okx_push(channel, data), 0))
        assert st.message.startswith("Ignored an OKX order book for BTC-USDT ")
        assert words in st.message


def test_okx_error_event_cannot_drive_the_terminal() -> None:
    frame = orjson.dumps(
        {"event": "error", "code": f"60012{ESCAPES}", "msg": f"Invalid {ESCAPES}{C1_CSI}"}
    )
    (st,) = OkxCodec().decode(frame, 0)
    assert isinstance(st, Status) and st.kind == "error"
    assert_no_control(st)
    assert "Invalid" in st.message


@pytest.mark.parametrize(
    "frame",
    [
        {"event": f"login{ESCAPES}", "msg": ESCAPES},  # an event we do not know
        {"event": "notice", "code": "64008", "msg": ESCAPES},
        {"event": "subscribe", "arg": {"channel": f"tickers{ESCAPES}", "instId": ESCAPES}},
        {"event": "unsubscribe", "arg": {"channel": "books", "instId": f"BTC{C1_CSI}"}},
        {"arg": {"channel": "books", "instId": f"BTC-USDT{ESCAPES}"}, "action": "snapshot",
         "data": [{"bids": [["1", "1"]], "asks": [["2", "1"]], "ts": "1"}]},
        {"arg": {"channel": "tickers", "instId": "BTC-USDT"}, "data": [{"instId": ESCAPES}]},
    ],
)  # fmt: skip
def test_okx_status_text_is_clean(frame: dict[str, Any]) -> None:
    events = OkxCodec().decode(orjson.dumps(frame), 0)
    assert events and all(isinstance(e, Status) for e in events)
    assert_no_control(events)


def test_okx_malformed_frame_preview_is_clean() -> None:
    for frame in (f"not json {ESCAPES}", f"[{C1_CSI}", f'{{"arg":"{ESCAPES}"}}'):
        (st,) = OkxCodec().decode(frame, 0)
        assert isinstance(st, Status) and st.code == "malformed"
        assert_no_control(st)
        assert "not json" in st.message or "[" in st.message or "arg" in st.message


# --------------------------------------------------------------------------- REST


def test_upbit_rest_market_names_are_clean() -> None:
    body = [
        {"market": "KRW-BTC", "korean_name": f"비트코인{ESCAPES}", "english_name": f"Bit{C1_CSI}"},
        {
            "market": "KRW-ETH",
            "korean_name": "이더리움",
            "english_name": "Ethereum",
            "market_event": {"warning": True, "caution": {f"PRICE{ESCAPES}": True}},
        },
        {"market": f"KRW-XRP{ESCAPES}", "korean_name": "리플", "english_name": "Ripple"},
    ]
    rejected: list[Status] = []
    markets = upbit_rest.parse_markets(orjson.dumps(body), rejected=rejected)
    assert [m.symbol for m in markets] == ["KRW-BTC", "KRW-ETH"]  # a bad code is dropped
    assert_no_control(markets)
    assert markets[0].korean_name.startswith("비트코인")
    assert markets[1].warning and markets[1].cautions[0].startswith("PRICE")
    (st,) = rejected
    assert (st.kind, st.code) == ("error", "invalid") and "market code" in st.message
    assert_no_control(st)


def test_okx_rest_instrument_fields_are_clean() -> None:
    body = {
        "code": "0",
        "msg": "",
        "data": [
            {"instId": "BTC-USDT", "baseCcy": f"BTC{ESCAPES}", "quoteCcy": "USDT", "state": "live"},
            {"instId": "ETH-USDT", "baseCcy": "ETH", "quoteCcy": "USDT", "state": f"x{C1_CSI}"},
            {"instId": f"XRP-USDT{ESCAPES}", "baseCcy": "XRP", "quoteCcy": "USDT"},
        ],
    }
    rejected: list[Status] = []
    markets = okx_rest.parse_instruments(body, live_only=False, rejected=rejected)
    assert [m.symbol for m in markets] == ["BTC-USDT", "ETH-USDT"]
    assert_no_control(markets)
    assert len(rejected) == 1
    assert_no_control(rejected)


def test_okx_rest_error_text_is_clean() -> None:
    with pytest.raises(okx_rest.OkxApiError) as info:
        okx_rest.unwrap({"code": f"5{ESCAPES}", "msg": f"no {ESCAPES}"})
    assert not has_control(str(info.value))


def test_upbit_rest_error_text_is_clean() -> None:
    with pytest.raises(upbit_rest.UpbitApiError) as info:
        upbit_rest.load_body({"error": {"name": f"x{ESCAPES}", "message": f"m{C1_CSI}"}})
    assert not has_control(str(info.value))


def test_upbit_rest_rows_with_impossible_values_are_dropped() -> None:
    rest = {"market": "KRW-BTC"}
    ticker_row = {
        "trade_price": 100.0,
        "opening_price": 99.0,
        "high_price": 101.0,
        "low_price": 98.0,
        "prev_closing_price": 99.0,
        "acc_trade_volume_24h": 10.0,
        "acc_trade_price_24h": 1000.0,
        "timestamp": 1,
        "signed_change_rate": 0.01,
        "signed_change_price": 1.0,
    }
    rows = [{**rest, **ticker_row}, {**rest, **ticker_row, "trade_price": -1.0}]
    rejected: list[Status] = []
    tickers = upbit_rest.parse_tickers(orjson.dumps(rows), rejected=rejected)
    assert len(tickers) == 1 and isinstance(tickers[0], Ticker)
    assert invalid(rejected).symbol == "KRW-BTC"
    # Without a list to report to, the bad row is still dropped.
    assert len(upbit_rest.parse_tickers(rows)) == 1

    book = {
        "market": "KRW-BTC",
        "timestamp": 1,
        "orderbook_units": [
            {"ask_price": 100.0, "bid_price": 101.0, "ask_size": 1.0, "bid_size": 1}
        ],
    }
    rejected = []
    assert upbit_rest.parse_orderbooks([book], rejected=rejected) == []
    assert "best bid 101" in invalid(rejected).message

    trade = {
        "market": "KRW-BTC",
        "trade_price": 100.0,
        "trade_volume": 0.0,
        "ask_bid": "ASK",
        "sequential_id": 1,
        "timestamp": 1,
    }
    assert upbit_rest.parse_trades([trade]) == []
    candle = {
        "market": "KRW-BTC",
        "candle_date_time_utc": "2024-01-01T00:00:00",
        "opening_price": 100.0,
        "high_price": 90.0,
        "low_price": 80.0,
        "trade_price": 85.0,
        "candle_acc_trade_volume": 1.0,
        "candle_acc_trade_price": 1.0,
    }
    assert upbit_rest.parse_candles([candle], "1m") == []
    # A REST body handed over already parsed may carry floats JSON cannot: NaN, inf.
    rows = [{**rest, **ticker_row, "acc_trade_volume_24h": math.nan}]
    assert upbit_rest.parse_tickers(rows) == []
    rows = [{**rest, **ticker_row, "trade_price": math.inf}]
    assert upbit_rest.parse_tickers(rows) == []


def test_okx_rest_rows_with_impossible_values() -> None:
    def env(data: list[Any]) -> dict[str, Any]:
        return {"code": "0", "msg": "", "data": data}

    rejected: list[Status] = []
    tickers = okx_rest.parse_tickers(
        env([OKX_TICKER, OKX_TICKER | {"last": "NaN"}]), rejected=rejected
    )
    assert len(tickers) == 1 and len(rejected) == 1
    assert len(okx_rest.parse_trades(env([OKX_TRADE | {"px": "-1"}, OKX_TRADE]))) == 1
    bad_row = list(OKX_CANDLE)
    bad_row[3] = "200"
    assert len(okx_rest.parse_candles(env([OKX_CANDLE, bad_row]), "BTC-USDT", "1m")) == 1
    with pytest.raises(okx_rest.OkxApiError) as info:
        okx_rest.parse_book(
            env([{"bids": [["101", "1"]], "asks": [["100", "1"]], "ts": "1"}]), "BTC-USDT"
        )
    assert info.value.code == "invalid"
    assert "best bid 101 is at or above its best ask 100" in str(info.value)


# --------------------------------------------------------------------------- no false alarms


def test_real_values_pass() -> None:
    """Values real feeds send: tiny BTC-quoted prices, zero 24h volume, falling change."""
    obj = UPBIT_TICKER | {"tp": 1.3e-7, "op": 1.4e-7, "hp": 1.5e-7, "lp": 1.2e-7, "pcp": 1.4e-7}
    obj |= {"atv24h": 0.0, "atp24h": 0.0, "scr": -0.07, "scp": -1e-8, "tv": 0.0}
    (t,) = UpbitCodec().decode(orjson.dumps(obj), 0)
    assert isinstance(t, Ticker)
    (t,) = OkxCodec().decode(
        okx_push("tickers", [OKX_TICKER | {"bidPx": "", "askPx": "", "open24h": ""}]), 0
    )
    assert isinstance(t, Ticker) and t.best_bid == 0.0 and t.change_rate == 0.0
    # A market that has not traded yet: OKX writes "" for every price; no -100 % change.
    blank = dict.fromkeys(("last", "lastSz", "bidPx", "askPx", "open24h", "high24h"), "")
    (t,) = OkxCodec().decode(okx_push("tickers", [OKX_TICKER | blank | {"open24h": "90"}]), 0)
    assert isinstance(t, Ticker) and (t.trade_price, t.change_rate, t.change_price) == (0, 0, 0)
    st = invalid(OkxCodec().decode(okx_push("tickers", [OKX_TICKER | {"last": "0"}]), 0))
    assert "last price 0 is not above zero" in st.message
    (c,) = OkxCodec().decode(okx_push("candle1m", [[*OKX_CANDLE[:1], *["5"] * 4, "0", "0"]]), 0)
    assert isinstance(c, Candle) and c.low == c.high == 5.0 and c.volume == 0.0
    (b,) = UpbitCodec().decode(upbit_book([99.0, 0.0], [100.0, 101.0]), 0)
    assert isinstance(b, OrderBook) and len(b.bids) == 1  # the zero unit is padding
    (b,) = OkxCodec().decode(okx_push("books5", [{"bids": [], "asks": [], "ts": "1"}]), 0)
    assert isinstance(b, OrderBook)  # an empty book is not a wrong one
