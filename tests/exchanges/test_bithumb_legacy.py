"""Bithumb's legacy API decoded: the real recorded ``pubwss`` session and the recorded
``/public/ticker/ALL_*`` bodies, every expected value read off the raw JSON by hand (the
times converted from Korean local time, UTC+9, by hand too)."""

from __future__ import annotations

import orjson
import pytest

from dantaro_tui.exchanges.bithumb import BithumbApiError
from dantaro_tui.exchanges.bithumb_legacy import (
    LegacyDecoder,
    kst_ms,
    legacy_code,
    load_envelope,
    parse_orderbook,
    parse_tickers,
    subscribe_message,
    v1_code,
)
from dantaro_tui.model import OrderBook, Status, Ticker, Trade
from tests.recorded import load

# 2021-06-02 08:43:34.555058 KST = 2021-06-01 23:43:34.555058 UTC = 1622591014.555058.
# (price, size, side, trade id = the microsecond time, ms time, market), frame by frame.
EXPECTED_TRADES = [
    [(3.908, 12365.191, "buy", "1622591014555058", 1622591014555, "KRW-CON")],
    [(7.524, 626.0, "sell", "1622591021416901", 1622591021416, "KRW-GOM2")],
    [(7.523, 526.0, "buy", "1622591022239684", 1622591022239, "KRW-GOM2")],
    [
        (7.524, 76999.569, "buy", "1622591022240601", 1622591022240, "KRW-GOM2"),
        (7.525, 537.0, "buy", "1622591022241208", 1622591022241, "KRW-GOM2"),
        (7.525, 524.0, "buy", "1622591022241810", 1622591022241, "KRW-GOM2"),
        (7.525, 556.0, "sell", "1622591023188333", 1622591023188, "KRW-GOM2"),
    ],
]


def test_the_recorded_session_decodes_with_exact_values() -> None:
    rec = load("bithumb_ws.txt")
    decoder = LegacyDecoder()
    statuses: list[Status] = []
    trades: list[list[Trade]] = []
    for t, frame in rec.received:
        events = decoder.decode(frame, int(t * 1e9))
        if all(isinstance(e, Trade) for e in events):
            trades.append([e for e in events if isinstance(e, Trade)])
        else:
            statuses.extend(e for e in events if isinstance(e, Status))
    assert [(s.kind, s.message) for s in statuses] == [
        ("status", "Connected Successfully"),
        ("status", "Filter Registered Successfully"),
    ]
    got = [
        [(e.price, e.volume, e.side, e.trade_id, e.timestamp, e.symbol) for e in frame]
        for frame in trades
    ]
    assert got == EXPECTED_TRADES
    for frame in trades:
        for e in frame:
            assert (e.exchange, e.quote) == ("bithumb", "KRW") and e.base == e.symbol[4:]
            assert not e.snapshot


def test_trade_times_are_korean_local_time() -> None:
    assert kst_ms("2021-06-02 08:43:41.416901") == 1622591021416
    assert kst_ms("20200129121844") == 1580267924000  # 2020-01-29 03:18:44 UTC


def test_the_recorded_subscription_is_what_we_would_send() -> None:
    (sent,) = load("bithumb_ws.txt").sent
    theirs = orjson.loads(sent[2])
    ours = orjson.loads(subscribe_message("transaction", [v1_code(s) for s in theirs["symbols"]]))
    assert ours["type"] == theirs["type"] == "transaction"
    assert sorted(ours["symbols"]) == sorted(theirs["symbols"])
    assert legacy_code("krw-btc") == "BTC_KRW" and v1_code("ETH_BTC") == "BTC-ETH"


def _rest(name: str) -> dict[str, str]:
    return {url.rsplit("_", 1)[1]: body for url, _, body in load(name).rest}


def test_recorded_rest_tickers_exact_values() -> None:
    bodies = _rest("bithumb_rest.txt")
    rejected: list[Status] = []
    krw = {t.symbol: t for t in parse_tickers(bodies["KRW"], "KRW", 5, rejected)}
    btc = {t.symbol: t for t in parse_tickers(bodies["BTC"], "BTC", 5, rejected)}
    assert rejected == []
    # "BTC":{"opening_price":"43462000","closing_price":"43232000","min_price":"42431000",
    # "max_price":"43479000",...,"prev_closing_price":"43466000",
    # "units_traded_24H":"3919.13944524","acc_trade_value_24H":"169853829676.0389"}
    b = krw["KRW-BTC"]
    assert isinstance(b, Ticker) and b.snapshot and b.recv_ns == 5
    assert (b.trade_price, b.opening_price, b.high_price, b.low_price) == (
        43232000.0,
        43462000.0,
        43479000.0,
        42431000.0,
    )
    assert b.prev_closing_price == 43466000.0
    assert b.change_price == 43232000.0 - 43466000.0
    assert b.change_rate == pytest.approx(-234000 / 43466000)
    assert (b.acc_trade_volume_24h, b.acc_trade_price_24h) == (3919.13944524, 169853829676.0389)
    assert b.timestamp == 1622591001555  # the body's "date"
    # ALL_BTC "ETH": closing 0.07182213, prev 0.07074967, 24H 167.95843247 / 12.02605618.
    e = btc["BTC-ETH"]
    assert (e.base, e.quote, e.trade_price, e.prev_closing_price) == (
        "ETH",
        "BTC",
        0.07182213,
        0.07074967,
    )
    assert (e.acc_trade_volume_24h, e.acc_trade_price_24h) == (167.95843247, 12.02605618)
    # Every coin of the body is a ticker ("date" is not a coin).
    assert len(krw) == len(orjson.loads(bodies["KRW"])["data"]) - 1
    assert len(btc) == len(orjson.loads(bodies["BTC"])["data"]) - 1


def test_a_market_that_has_not_traded_today_keeps_zero_day_figures() -> None:
    # ALL_BTC "AAVE": opening/min/max "0" (no trade since midnight), closing "0.01017594".
    btc = {t.symbol: t for t in parse_tickers(_rest("bithumb_rest.txt")["BTC"], "BTC")}
    a = btc["BTC-AAVE"]
    assert (a.opening_price, a.high_price, a.low_price) == (0.0, 0.0, 0.0)
    assert a.trade_price == 0.01017594 and a.change_price == 0.0


def test_error_envelopes_raise_in_words() -> None:
    with pytest.raises(BithumbApiError, match="5500"):
        load_envelope(b'{"status":"5500","message":"Invalid Parameter"}')
    with pytest.raises(ValueError, match="not JSON"):
        load_envelope(b"<html>")
    rejected: list[Status] = []
    body = {"status": "0000", "data": {"X\x1b[2J": {}, "OK": {"closing_price": "-1"}, "date": "1"}}
    assert parse_tickers(body, "KRW", rejected=rejected) == []
    assert len(rejected) == 2 and all(s.message.isprintable() for s in rejected)


# The shapes of exchanges.md 6.6 / Bithumb's legacy docs, values by hand.
TICKER = {
    "type": "ticker",
    "content": {
        "symbol": "BTC_KRW", "tickType": "24H", "date": "20200129", "time": "121844",
        "openPrice": "2302", "closePrice": "2317", "lowPrice": "2272", "highPrice": "2344",
        "value": "2831915078.07065789", "volume": "1222314.51355788",
        "sellVolume": "760129.34079004", "buyVolume": "462185.17276784",
        "prevClosePrice": "2326", "chgRate": "0.65", "chgAmt": "15", "volumePower": "60.80",
    },
}  # fmt: skip


def test_legacy_ticker_24h_only() -> None:
    (t,) = LegacyDecoder().decode(orjson.dumps(TICKER), 1)
    assert isinstance(t, Ticker) and t.symbol == "KRW-BTC"
    assert (t.trade_price, t.opening_price, t.high_price, t.low_price) == (2317, 2302, 2344, 2272)
    assert (t.change_rate, t.change_price, t.prev_closing_price) == (0.0065, 15.0, 2326.0)
    assert (t.acc_trade_volume_24h, t.acc_trade_price_24h) == (
        1222314.51355788,
        2831915078.07065789,
    )
    assert t.timestamp == 1580267924000
    mid = {**TICKER, "content": {**TICKER["content"], "tickType": "MID"}}
    assert LegacyDecoder().decode(orjson.dumps(mid), 1) == []


def depth(*levels: tuple[str, str, str], dt: int = 1580268255864325) -> bytes:
    rows = [
        {"symbol": "BTC_KRW", "orderType": o, "price": p, "quantity": q, "total": "1"}
        for o, p, q in levels
    ]
    return orjson.dumps({"type": "orderbookdepth", "content": {"list": rows, "datetime": dt}})


def test_a_depth_frame_naming_a_bad_market_changes_no_book() -> None:
    decoder = LegacyDecoder()
    snap = {"symbol": "BTC_KRW", "datetime": 1, "asks": [["101", "1"]], "bids": [["99", "1"]]}
    decoder.decode(orjson.dumps({"type": "orderbooksnapshot", "content": snap}), 1)
    frame = orjson.loads(depth(("bid", "100", "5"), ("bid", "98", "1")))
    frame["content"]["list"][1]["symbol"] = "X\x1b[2J_KRW"
    (refused,) = decoder.decode(orjson.dumps(frame), 2)
    assert isinstance(refused, Status) and refused.kind == "error"
    assert "\x1b" not in refused.message
    # The next good change shows the book without any part of the refused frame.
    (book,) = decoder.decode(depth(("ask", "102", "2")), 3)
    assert isinstance(book, OrderBook)
    assert [(lv.price, lv.size) for lv in book.bids] == [(99.0, 1.0)]


def test_depth_changes_need_a_full_book_then_apply_and_a_crossing_drops_it() -> None:
    decoder = LegacyDecoder()
    (wait,) = decoder.decode(depth(("ask", "10593000", "1.11223318")), 1)
    assert isinstance(wait, Status) and wait.kind == "notice" and wait.symbol == "KRW-BTC"
    assert decoder.decode(depth(("ask", "10593000", "1.2")), 1) == []  # told once
    snap = {
        "type": "orderbooksnapshot",
        "content": {
            "symbol": "BTC_KRW",
            "datetime": "1580268255864325",
            "asks": [["10596000", "0.5495"], ["10598000", "18.2085"]],
            "bids": [["10572000", "2.3324"], ["10571000", "1.469"]],
        },
    }
    (book,) = decoder.decode(orjson.dumps(snap), 2)
    assert isinstance(book, OrderBook) and book.snapshot and book.timestamp == 1580268255864
    (book,) = decoder.decode(depth(("ask", "10593000", "1.11223318"), ("bid", "10571000", "0")), 3)
    assert isinstance(book, OrderBook)
    assert [(lv.price, lv.size) for lv in book.asks] == [
        (10593000.0, 1.11223318),
        (10596000.0, 0.5495),
        (10598000.0, 18.2085),
    ]
    assert [(lv.price, lv.size) for lv in book.bids] == [(10572000.0, 2.3324)]
    (gone,) = decoder.decode(depth(("bid", "10600000", "1")), 4)  # a bid above the best ask
    assert isinstance(gone, Status) and gone.kind == "resync"
    after = decoder.decode(depth(("bid", "10500000", "1")), 5)  # no book until a full one
    assert not any(isinstance(e, OrderBook) for e in after)


def test_rest_orderbook_seeds_the_depth_stream() -> None:
    body = {
        "status": "0000",
        "data": {
            "timestamp": "1417142049868", "order_currency": "BTC", "payment_currency": "KRW",
            "bids": [{"quantity": "6.1189306", "price": "504000"},
                     {"quantity": "10.35117828", "price": "503000"}],
            "asks": [{"quantity": "2.67575", "price": "506000"},
                     {"quantity": "3.54343", "price": "507000"}],
        },
    }  # fmt: skip
    book = parse_orderbook(body)
    assert book.symbol == "KRW-BTC" and book.timestamp == 1417142049868
    assert [(lv.price, lv.size) for lv in book.bids] == [
        (504000.0, 6.1189306),
        (503000.0, 10.35117828),
    ]
    decoder = LegacyDecoder()
    decoder.seed_book(book)
    (after,) = decoder.decode(depth(("ask", "506000", "0")), 1)
    assert isinstance(after, OrderBook) and [lv.price for lv in after.asks] == [507000.0]


HOSTILE = [
    b"",
    b"{",
    b"[]",
    b'{"type":"transaction"}',
    b'{"type":"transaction","content":{"list":[{"buySellGb":"3","contPrice":"1","contQty":"1",'
    b'"contDtm":"2021-06-02 08:43:34.555058","symbol":"BTC_KRW"}]}}',
    b'{"type":"transaction","content":{"list":[{"buySellGb":"2","contPrice":"NaN","contQty":"1",'
    b'"contDtm":"2021-06-02 08:43:34.555058","symbol":"BTC_KRW"}]}}',
    b'{"type":"transaction","content":{"list":[{"buySellGb":"2","contPrice":"1","contQty":"1",'
    b'"contDtm":"yesterday","symbol":"BTC_KRW"}]}}',
    b'{"type":"transaction","content":{"list":[{"buySellGb":"2","contPrice":"1","contQty":"1",'
    b'"contDtm":"2021-06-02 08:43:34.555058","symbol":"BTC\\u001b]2;x\\u0007_KRW"}]}}',
    b'{"type":"nope"}',
    b'{"status":"5100","resmsg":"Invalid Filter Syntax"}',
]


@pytest.mark.parametrize("frame", HOSTILE)
def test_garbage_becomes_a_counted_error_never_an_exception(frame: bytes) -> None:
    events = LegacyDecoder().decode(frame, 1)
    assert events
    for ev in events:
        assert isinstance(ev, Status) and ev.kind == "error" and ev.message.isprintable()
