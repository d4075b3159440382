"""Upbit REST body parsers and request builders: the recorded ``/v1/market/all`` body, and
bodies built from recorded WebSocket data or from the documented row shapes (reference 1.10)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import msgspec
import orjson
import pytest

from dantaro_tui.exchanges.upbit import UpbitApiError, UpbitCodec
from dantaro_tui.exchanges.upbit_rest import (
    candles_path,
    candles_request,
    interval_ms,
    load_body,
    markets_request,
    orderbook_request,
    parse_candles,
    parse_markets,
    parse_orderbooks,
    parse_tickers,
    parse_trades,
    ticker_all_request,
    ticker_request,
    trades_request,
)
from dantaro_tui.model import Candle, Market, OrderBook, Trade
from tests.recorded import load


@pytest.fixture(scope="module")
def market_body() -> str:
    ((url, _, body),) = load("upbit_rest.txt").rest
    assert url == "https://api.upbit.com/v1/market/all"
    return body


@pytest.fixture(scope="module")
def ws_frames() -> list[dict[str, Any]]:
    return [orjson.loads(f) for _, f in load("upbit_ws.txt").received]


# --------------------------------------------------------------------------- markets


def test_recorded_market_list(market_body: str) -> None:
    markets = parse_markets(market_body)
    assert len(markets) == 294
    assert Counter(m.quote for m in markets) == {"BTC": 161, "KRW": 117, "USDT": 16}
    assert markets[0] == Market(
        exchange="upbit",
        symbol="KRW-BTC",
        base="BTC",
        quote="KRW",
        korean_name="비트코인",
        english_name="Bitcoin",
    )
    by_symbol = {m.symbol: m for m in markets}
    assert len(by_symbol) == 294
    assert (by_symbol["BTC-ETH"].korean_name, by_symbol["BTC-ETH"].english_name) == (
        "이더리움",
        "Ethereum",
    )
    assert by_symbol["USDT-BTC"].korean_name == "비트코인"
    assert by_symbol["BTC-ETC"].english_name == "Ethereum Classic"
    assert (by_symbol["KRW-LAMB"].base, by_symbol["KRW-LAMB"].quote) == ("LAMB", "KRW")
    assert all(m.korean_name and m.english_name for m in markets)
    assert not any(m.warning or m.cautions for m in markets)
    # same body as bytes and as parsed JSON
    assert parse_markets(market_body.encode()) == markets
    assert parse_markets(orjson.loads(market_body)) == markets


def test_market_details_flags() -> None:
    body = [
        {
            "market": "KRW-BTC",
            "korean_name": "비트코인",
            "english_name": "Bitcoin",
            "market_event": {
                "warning": False,
                "caution": {
                    "PRICE_FLUCTUATIONS": False,
                    "TRADING_VOLUME_SOARING": False,
                    "DEPOSIT_AMOUNT_SOARING": False,
                    "GLOBAL_PRICE_DIFFERENCES": False,
                    "CONCENTRATION_OF_SMALL_ACCOUNTS": False,
                },
            },
        },
        {
            "market": "KRW-XYZ",
            "korean_name": "엑스와이지",
            "english_name": "XYZ",
            "market_event": {
                "warning": True,
                "caution": {
                    "PRICE_FLUCTUATIONS": True,
                    "TRADING_VOLUME_SOARING": False,
                    "DEPOSIT_AMOUNT_SOARING": True,
                    "GLOBAL_PRICE_DIFFERENCES": False,
                    "CONCENTRATION_OF_SMALL_ACCOUNTS": False,
                },
            },
        },
        # older detail format
        {
            "market": "BTC-OLD",
            "korean_name": "올드",
            "english_name": "Old",
            "market_warning": "CAUTION",
        },
        {
            "market": "BTC-OK",
            "korean_name": "오케이",
            "english_name": "Ok",
            "market_warning": "NONE",
        },
    ]
    btc, xyz, old, ok = parse_markets(orjson.dumps(body))
    assert (btc.warning, btc.cautions) == (False, ())
    assert (xyz.warning, xyz.cautions) == (True, ("PRICE_FLUCTUATIONS", "DEPOSIT_AMOUNT_SOARING"))
    assert (old.warning, old.base, old.quote) == (True, "OLD", "BTC")
    assert ok.warning is False


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "body",
    [
        b'{"error":{"name":404,"message":"Code not found"}}',
        '{"error":{"name":404,"message":"Code not found"}}',
        {"error": {"name": 404, "message": "Code not found"}},
    ],
)
@pytest.mark.parametrize(
    "parse",
    [
        parse_markets,
        parse_tickers,
        parse_orderbooks,
        parse_trades,
        lambda b: parse_candles(b, "1m"),
    ],
)
def test_error_body_raises(body: Any, parse: Any) -> None:
    with pytest.raises(UpbitApiError) as info:
        parse(body)
    assert (info.value.name, info.value.message) == (404, "Code not found")
    assert "Code not found" in str(info.value)


def test_error_body_with_text_name() -> None:
    body = '{"error":{"name":"invalid_query_payload","message":"값이 잘못"}}'.encode()
    with pytest.raises(UpbitApiError) as info:
        load_body(body)
    assert info.value.name == "invalid_query_payload"
    assert info.value.message == "값이 잘못"


@pytest.mark.parametrize(
    "body",
    [
        b"<html>502</html>",
        b'{"market":"KRW-BTC"}',
        b'[{"market":5}]',
        b'[{"korean_name":"x"}]',
        b"",
    ],
)
def test_wrong_shape_is_a_value_error(body: bytes) -> None:
    with pytest.raises(ValueError, match="Upbit sent"):
        parse_markets(body)


def test_empty_list_is_fine() -> None:
    assert parse_orderbooks(b"[]") == []  # e.g. an unsupported ``level``
    assert parse_candles(b"[]", "1m") == []


# --------------------------------------------------------------------------- tickers

TICKER_ROW = {
    "market": "KRW-BTC",
    "trade_date": "20240105",
    "trade_time": "081530",
    "trade_date_kst": "20240105",
    "trade_time_kst": "171530",
    "trade_timestamp": 1704442530123,
    "opening_price": 116539000.0,
    "high_price": 117500000.0,
    "low_price": 115600000.0,
    "trade_price": 115900000.0,
    "prev_closing_price": 116539000.0,
    "change": "FALL",
    "change_price": 639000.0,
    "change_rate": 0.005483143,
    "signed_change_price": -639000.0,
    "signed_change_rate": -0.005483143,
    "trade_volume": 0.00079276,
    "acc_trade_price": 176627548731.08,
    "acc_trade_price_24h": 349385107285.21,
    "acc_trade_volume": 1520.55826163,
    "acc_trade_volume_24h": 3002.97217465,
    "highest_52_week_price": 132000000.0,
    "highest_52_week_date": "2023-12-08",
    "lowest_52_week_price": 22000000.0,
    "lowest_52_week_date": "2023-01-01",
    "timestamp": 1704442530200,
}


def test_tickers() -> None:
    rise = TICKER_ROW | {
        "market": "BTC-ETH",
        "trade_price": 0.055,
        "prev_closing_price": 0.05,
        "change": "RISE",
        "change_price": 0.005,
        "change_rate": 0.1,
        "signed_change_price": 0.005,
        "signed_change_rate": 0.1,
    }
    btc, eth = parse_tickers(orjson.dumps([TICKER_ROW, rise]), recv_ns=11)
    assert (btc.symbol, btc.base, btc.quote) == ("KRW-BTC", "BTC", "KRW")
    assert (btc.trade_price, btc.change_rate, btc.change_price) == (
        115900000.0,
        -0.005483143,
        -639000.0,
    )
    assert (btc.acc_trade_volume_24h, btc.acc_trade_price_24h) == (3002.97217465, 349385107285.21)
    assert (btc.timestamp, btc.recv_ns, btc.snapshot) == (1704442530200, 11, True)
    assert (btc.opening_price, btc.high_price, btc.low_price) == (
        116539000.0,
        117500000.0,
        115600000.0,
    )
    assert (eth.base, eth.quote, eth.change_rate) == ("ETH", "BTC", 0.1)


def test_ticker_rest_matches_ws_ticker() -> None:
    """A REST row and the same data as a DEFAULT WebSocket frame normalize alike."""
    (rest,) = parse_tickers([TICKER_ROW])
    frame = {k: v for k, v in TICKER_ROW.items() if k != "market"}
    frame |= {"type": "ticker", "code": "KRW-BTC", "stream_type": "SNAPSHOT"}
    assert UpbitCodec("DEFAULT").decode(orjson.dumps(frame), 0) == [rest]


# --------------------------------------------------------------------------- order books


def _rest_book(ws: dict[str, Any]) -> dict[str, Any]:
    """A recorded SIMPLE order book frame as a ``/v1/orderbook`` row."""
    return {
        "market": ws["cd"],
        "timestamp": ws["tms"],
        "total_ask_size": ws["tas"],
        "total_bid_size": ws["tbs"],
        "orderbook_units": [
            {"ask_price": u["ap"], "bid_price": u["bp"], "ask_size": u["as"], "bid_size": u["bs"]}
            for u in ws["obu"]
        ],
        "level": 0,
    }


def test_orderbooks_from_recorded_books(ws_frames: list[dict[str, Any]]) -> None:
    books = [f for f in ws_frames if f["ty"] == "orderbook"][:5]
    parsed = parse_orderbooks(orjson.dumps([_rest_book(b) for b in books]), recv_ns=2)
    codec = UpbitCodec()
    for row, book in zip(books, parsed, strict=True):
        (ws,) = codec.decode(orjson.dumps(row), 2)
        assert book == msgspec.structs.replace(ws, snapshot=True)
    first = parsed[0]
    assert isinstance(first, OrderBook)
    assert (first.symbol, first.best_bid, first.best_ask) == ("KRW-LAMB", 126.0, 127.0)
    assert len(first.bids) == len(first.asks) == 15


def test_orderbook_rest_padding_dropped() -> None:
    row = {
        "market": "BTC-NEW",
        "timestamp": 1,
        "total_ask_size": 2.0,
        "total_bid_size": 1.0,
        "orderbook_units": [
            {"ask_price": 0.00000120, "bid_price": 0.00000110, "ask_size": 2.0, "bid_size": 1.0},
            {"ask_price": 0.0, "bid_price": 0.0, "ask_size": 0.0, "bid_size": 0.0},
        ],
    }
    (book,) = parse_orderbooks([row])
    assert (len(book.bids), len(book.asks)) == (1, 1)
    assert (book.best_bid, book.best_ask) == (0.0000011, 0.0000012)


# --------------------------------------------------------------------------- trades


def test_trades_oldest_first_from_recorded_trades(ws_frames: list[dict[str, Any]]) -> None:
    trades = [f for f in ws_frames if f["ty"] == "trade" and f["cd"] == "KRW-LAMB"][:20]
    rows = [
        {
            "market": t["cd"],
            "trade_date_utc": t["td"],
            "trade_time_utc": t["ttm"],
            "timestamp": t["ttms"],
            "trade_price": t["tp"],
            "trade_volume": t["tv"],
            "prev_closing_price": t["pcp"],
            "change_price": t["cp"],
            "ask_bid": t["ab"],
            "sequential_id": t["sid"],
        }
        for t in reversed(trades)  # Upbit answers newest first
    ]
    parsed = parse_trades(orjson.dumps(rows), recv_ns=5)
    codec = UpbitCodec()
    expected = [e for t in trades for e in codec.decode(orjson.dumps(t), 5)]
    # the stream delivered a few trades late (frame order is not match order): REST trades
    # come out in match order
    assert [e.timestamp for e in expected] != sorted(e.timestamp for e in expected)
    expected.sort(key=lambda e: (e.timestamp, int(e.trade_id)))
    assert parsed == [msgspec.structs.replace(e, snapshot=True) for e in expected]
    assert parsed[0] == Trade(
        exchange="upbit",
        symbol="KRW-LAMB",
        base="LAMB",
        quote="KRW",
        price=127.0,
        volume=46.48838371,
        side="buy",
        trade_id="1618678262000003",
        timestamp=1618678262000,
        recv_ns=5,
        snapshot=True,
    )
    assert [t.side for t in parsed[:3]] == ["buy", "sell", "buy"]


# --------------------------------------------------------------------------- candles


def _candle_row(utc: str, close: float, unit: int | None = 1) -> dict[str, Any]:
    row = {
        "market": "KRW-BTC",
        "candle_date_time_utc": utc,
        "candle_date_time_kst": utc,  # not read
        "opening_price": close - 10,
        "high_price": close + 20,
        "low_price": close - 30,
        "trade_price": close,
        "timestamp": 1704067259123,
        "candle_acc_trade_price": close * 2,
        "candle_acc_trade_volume": 2.0,
    }
    if unit is not None:
        row["unit"] = unit
    return row


def test_candles_oldest_first_and_closed() -> None:
    rows = [  # newest first, as Upbit sends them
        _candle_row("2024-01-01T00:02:00", 300.0),
        _candle_row("2024-01-01T00:01:00", 200.0),
        _candle_row("2024-01-01T00:00:00", 100.0),
    ]
    candles = parse_candles(orjson.dumps(rows), "1m", recv_ns=4)
    assert [c.open_time for c in candles] == [1704067200000, 1704067260000, 1704067320000]
    assert [c.close for c in candles] == [100.0, 200.0, 300.0]
    assert [c.closed for c in candles] == [True, True, False]
    assert candles[0] == Candle(
        exchange="upbit",
        symbol="KRW-BTC",
        base="BTC",
        quote="KRW",
        interval="1m",
        open_time=1704067200000,
        open=90.0,
        high=120.0,
        low=70.0,
        close=100.0,
        volume=2.0,
        timestamp=1704067259123,
        recv_ns=4,
        quote_volume=200.0,
        closed=True,
    )
    # with the time known, the newest is closed once its minute is over
    later = parse_candles(rows, "1m", now_ms=1704067380000)
    assert [c.closed for c in later] == [True, True, True]
    during = parse_candles(rows, "1m", now_ms=1704067379999)
    assert during[-1].closed is False


@pytest.mark.parametrize(
    ("interval", "ours"), [("1h", "1h"), ("60m", "1h"), ("4h", "4h"), ("1d", "1d")]
)
def test_candles_interval_from_caller(interval: str, ours: str) -> None:
    rows = [
        _candle_row("2024-01-02T00:00:00", 50.0, None),
        _candle_row("2024-01-01T00:00:00", 40.0, None),
    ]
    candles = parse_candles(rows, interval)
    assert {c.interval for c in candles} == {ours}
    assert candles[0].open_time == 1704067200000


def test_candle_bad_row() -> None:
    with pytest.raises(ValueError, match="candle"):
        parse_candles([{"market": "KRW-BTC", "trade_price": 1.0}], "1m")
    with pytest.raises(ValueError, match="no '2h' candles"):
        parse_candles([], "2h")


# --------------------------------------------------------------------------- requests


@pytest.mark.parametrize(
    ("interval", "path"),
    [
        ("1s", "/v1/candles/seconds"),
        ("1m", "/v1/candles/minutes/1"),
        ("3m", "/v1/candles/minutes/3"),
        ("5m", "/v1/candles/minutes/5"),
        ("10m", "/v1/candles/minutes/10"),
        ("15m", "/v1/candles/minutes/15"),
        ("30m", "/v1/candles/minutes/30"),
        ("1h", "/v1/candles/minutes/60"),
        ("60m", "/v1/candles/minutes/60"),
        ("4h", "/v1/candles/minutes/240"),
        ("240m", "/v1/candles/minutes/240"),
        ("1d", "/v1/candles/days"),
        ("1w", "/v1/candles/weeks"),
        ("1M", "/v1/candles/months"),
        ("1y", "/v1/candles/years"),
    ],
)
def test_candles_path(interval: str, path: str) -> None:
    assert candles_path(interval) == path


def test_candles_path_unknown() -> None:
    for bad in ("2h", "1H", "", "minutes"):
        with pytest.raises(ValueError):
            candles_path(bad)


def test_interval_ms() -> None:
    assert [interval_ms(i) for i in ("1s", "1m", "1h", "4h", "1d", "1w", "1M")] == [
        1000,
        60_000,
        3_600_000,
        14_400_000,
        86_400_000,
        604_800_000,
        None,
    ]


def test_request_builders() -> None:
    assert markets_request() == ("/v1/market/all", {"is_details": "true"})
    assert markets_request(details=False) == ("/v1/market/all", {})
    assert ticker_request(["KRW-BTC", "krw-eth", "KRW-BTC"]) == (
        "/v1/ticker",
        {"markets": "KRW-BTC,KRW-ETH"},
    )
    assert ticker_all_request() == ("/v1/ticker/all", {"quote_currencies": "KRW,BTC,USDT"})
    assert orderbook_request(["KRW-BTC"], count=15, level=100000) == (
        "/v1/orderbook",
        {"markets": "KRW-BTC", "count": "15", "level": "100000"},
    )
    assert trades_request("krw-btc", count=500, cursor=1618678262000003, days_ago=2) == (
        "/v1/trades/ticks",
        {"market": "KRW-BTC", "count": "500", "cursor": "1618678262000003", "days_ago": "2"},
    )
    assert candles_request("KRW-BTC", "4h", count=10, to=1704067200000) == (
        "/v1/candles/minutes/240",
        {"market": "KRW-BTC", "count": "10", "to": "2024-01-01T00:00:00Z"},
    )
    assert candles_request("KRW-BTC", "1d", to="2024-01-01T00:00:00+09:00")[1]["to"] == (
        "2024-01-01T00:00:00+09:00"
    )
    with pytest.raises(ValueError):
        candles_request("KRW-BTC", "1m", count=201)
    with pytest.raises(ValueError):
        trades_request("KRW-BTC", days_ago=8)
    with pytest.raises(ValueError):
        ticker_request([])
