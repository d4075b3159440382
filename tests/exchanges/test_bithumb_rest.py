"""Bithumb v1 REST parsers on bodies written from the exchange reference (6.5, with Upbit's
row shapes of 1.10), values read off by hand; the recorded legacy bodies where they apply."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from dantaro_tui.exchanges import bithumb_rest as br
from dantaro_tui.exchanges.bithumb import BithumbApiError
from dantaro_tui.model import Status
from tests.recorded import load

NINE_HOURS_MS = 9 * 3600 * 1000


def test_markets_with_the_warning_flag_and_the_alert_list() -> None:
    markets_body = [
        {"market": "KRW-BTC", "korean_name": "비트코인", "english_name": "Bitcoin",
         "market_warning": "NONE"},
        {"market": "KRW-XYZ", "korean_name": "엑스와이\x1b[2J", "english_name": "Xyz",
         "market_warning": "CAUTION"},
        {"market": "BTC-ETH", "korean_name": "이더리움", "english_name": "Ethereum",
         "market_warning": "NONE"},
    ]  # fmt: skip
    alerts_body = [
        {"market": "KRW-XYZ", "warning_type": "PRICE_SUDDEN_FLUCTUATION",
         "warning_step": "CAUTION", "end_date": "2025-08-14 09:00:00"},
        {"market": "KRW-BTC", "warning_type": "TRADING_VOLUME_SUDDEN_FLUCTUATION",
         "warning_step": "WARNING", "end_date": "2025-08-13 09:00:00"},
    ]  # fmt: skip
    warnings = br.parse_warnings(orjson.dumps(alerts_body))
    # 2025-08-14 09:00:00 KST = 2025-08-14 00:00:00 UTC.
    assert warnings[0].end_ms == 1755129600000 and warnings[0].warning_step == "CAUTION"
    now = 1755100000000  # 2025-08-13 15:46 UTC: the KRW-BTC alert ended at 00:00 UTC
    markets = br.parse_markets(orjson.dumps(markets_body), warnings, now_ms=now)
    by = {m.symbol: m for m in markets}
    assert list(by) == ["KRW-BTC", "KRW-XYZ", "BTC-ETH"]
    assert (by["BTC-ETH"].base, by["BTC-ETH"].quote) == ("ETH", "BTC")
    assert by["KRW-XYZ"].warning and by["KRW-XYZ"].cautions == ("PRICE_SUDDEN_FLUCTUATION",)
    assert not by["KRW-BTC"].warning and by["KRW-BTC"].cautions == ()
    assert by["KRW-XYZ"].korean_name.isprintable()
    assert all(m.exchange == "bithumb" for m in markets)
    assert br.markets_request() == ("/v1/market/all", {"isDetails": "true"})


def ticker_row(**over: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "market": "KRW-BTC", "trade_date": "20250813", "trade_time": "061652",
        "trade_date_kst": "20250813", "trade_time_kst": "151652",
        "trade_timestamp": 1755098212000 + NINE_HOURS_MS, "opening_price": 116000000,
        "high_price": 117000000, "low_price": 115500000, "trade_price": 116279000,
        "prev_closing_price": 115900000, "change": "RISE", "change_price": 379000,
        "change_rate": 0.0032700604, "signed_change_price": 379000,
        "signed_change_rate": 0.0032700604, "trade_volume": 0.0012,
        "acc_trade_price": 5e10, "acc_trade_price_24h": 143000000000.5,
        "acc_trade_volume": 400.1, "acc_trade_volume_24h": 1234.5678,
        "highest_52_week_price": 163000000, "highest_52_week_date": "2025-01-20",
        "lowest_52_week_price": 80000000, "lowest_52_week_date": "2024-09-07",
        "timestamp": 1755098212345 + NINE_HOURS_MS,
    }  # fmt: skip
    row.update(over)
    return row


def test_ticker_times_are_taken_back_nine_hours() -> None:
    recv_ns = 1755098212500 * 1_000_000  # received half a second after the real time
    (t,) = br.parse_tickers(orjson.dumps([ticker_row()]), recv_ns)
    assert t.timestamp == 1755098212345 and t.snapshot and t.exchange == "bithumb"
    assert (t.trade_price, t.change_price, t.change_rate) == (116279000.0, 379000.0, 0.0032700604)
    assert (t.acc_trade_volume_24h, t.acc_trade_price_24h) == (1234.5678, 143000000000.5)
    # A server that stops writing Korean time as UTC is not shifted into the past.
    fixed = ticker_row(timestamp=1755098212345)
    (t,) = br.parse_tickers(orjson.dumps([fixed]), recv_ns)
    assert t.timestamp == 1755098212345
    # Without a receive time the documented shift applies.
    assert br.ticker_timestamp_ms(1755098212345 + NINE_HOURS_MS) == 1755098212345


def test_ticker_request_limits() -> None:
    assert br.ticker_request(["krw-btc", "KRW-ETH", "KRW-BTC"]) == (
        "/v1/ticker",
        {"markets": "KRW-BTC,KRW-ETH"},
    )
    with pytest.raises(ValueError, match="200"):
        br.ticker_request(f"KRW-C{i}" for i in range(201))


def test_orderbook_padding_and_zero_sizes_dropped() -> None:
    body = [
        {
            "market": "KRW-BTC", "timestamp": 1755098212345, "total_ask_size": 0.1823,
            "total_bid_size": 6.9593, "level": 1,
            "orderbook_units": [
                {"ask_price": 116279000, "bid_price": 116267000, "ask_size": 0.0892, "bid_size": 0},
                {"ask_price": 116280000, "bid_price": 116266000, "ask_size": 0.0931,
                 "bid_size": 6.9593},
                {"ask_price": 0, "bid_price": 0, "ask_size": 0, "bid_size": 0},
            ],
        }
    ]  # fmt: skip
    (book,) = br.parse_orderbooks(orjson.dumps(body), 9)
    assert [(lv.price, lv.size) for lv in book.asks] == [
        (116279000.0, 0.0892),
        (116280000.0, 0.0931),
    ]
    assert [(lv.price, lv.size) for lv in book.bids] == [(116266000.0, 6.9593)]
    assert book.timestamp == 1755098212345 and book.snapshot and book.recv_ns == 9


def test_trades_oldest_first_and_candles_closed_but_the_newest() -> None:
    trades = [
        {"market": "KRW-BTC", "trade_date_utc": "2025-08-13", "trade_time_utc": "06:16:53",
         "timestamp": 1755065813000, "trade_price": 116280000, "trade_volume": 0.01,
         "prev_closing_price": 115900000, "change_price": 380000, "ask_bid": "BID",
         "sequential_id": 17550658130000002},
        {"market": "KRW-BTC", "trade_date_utc": "2025-08-13", "trade_time_utc": "06:16:52",
         "timestamp": 1755065812000, "trade_price": 116279000, "trade_volume": 0.5,
         "prev_closing_price": 115900000, "change_price": 379000, "ask_bid": "ASK",
         "sequential_id": 17550658120000001},
    ]  # fmt: skip
    got = br.parse_trades(orjson.dumps(trades))
    assert [(t.price, t.volume, t.side, t.timestamp) for t in got] == [
        (116279000.0, 0.5, "sell", 1755065812000),
        (116280000.0, 0.01, "buy", 1755065813000),
    ]
    candles = [
        {"market": "KRW-BTC", "candle_date_time_utc": "2025-08-13T06:17:00",
         "candle_date_time_kst": "2025-08-13T15:17:00", "opening_price": 116279000,
         "high_price": 116300000, "low_price": 116270000, "trade_price": 116290000,
         "timestamp": 1755065830000, "candle_acc_trade_price": 58145000.0,
         "candle_acc_trade_volume": 0.5, "unit": 1},
        {"market": "KRW-BTC", "candle_date_time_utc": "2025-08-13T06:16:00",
         "candle_date_time_kst": "2025-08-13T15:16:00", "opening_price": 116200000,
         "high_price": 116280000, "low_price": 116200000, "trade_price": 116279000,
         "timestamp": 1755065812000, "candle_acc_trade_price": 116279000.0,
         "candle_acc_trade_volume": 1.0, "unit": 1},
    ]  # fmt: skip
    got_c = br.parse_candles(orjson.dumps(candles), "1m")
    assert [(c.open_time, c.open, c.close, c.closed) for c in got_c] == [
        (1755065760000, 116200000.0, 116279000.0, True),
        (1755065820000, 116279000.0, 116290000.0, False),
    ]
    assert br.candles_request("KRW-BTC", "4h", count=5) == (
        "/v1/candles/minutes/240",
        {"market": "KRW-BTC", "count": "5"},
    )
    with pytest.raises(ValueError, match="no '1s' candles"):
        br.candles_request("KRW-BTC", "1s")


@pytest.mark.parametrize(
    "parse",
    [br.parse_markets, br.parse_tickers, br.parse_orderbooks, br.parse_trades, br.parse_warnings],
)
def test_an_error_sent_with_http_200_is_an_error_never_no_data(parse: Any) -> None:
    body = b'{"error":{"name":404,"message":"Code not found"}}'
    with pytest.raises(BithumbApiError) as info:
        parse(body)
    assert info.value.name == 404 and "Code not found" in str(info.value)


def test_error_text_is_cleaned_and_unreadable_bodies_say_so() -> None:
    with pytest.raises(BithumbApiError) as info:
        br.load_body(b'{"error":{"name":"bad\\u001b[2J","message":"x\\u009b2J"}}')
    assert str(info.value).isprintable()
    with pytest.raises(ValueError, match="not JSON"):
        br.parse_tickers(b"<html>502</html>")
    with pytest.raises(ValueError, match="unexpected ticker"):
        br.parse_tickers(b'[{"market":"KRW-BTC"}]')


def test_bad_rows_cost_only_themselves() -> None:
    rows = [ticker_row(), ticker_row(market="KRW-\x1b]2;x\x07"), ticker_row(trade_price=-1)]
    rejected: list[Status] = []
    got = br.parse_tickers(orjson.dumps(rows), rejected=rejected)
    assert [t.symbol for t in got] == ["KRW-BTC"]
    assert len(rejected) == 2 and all(r.message.isprintable() for r in rejected)


def test_the_recorded_legacy_bodies_are_not_mistaken_for_errors() -> None:
    """The recorded ``/public/ticker`` bodies carry the legacy envelope with status 0000:
    the v1 body reader passes them through (and refuses the envelope's error status)."""
    for _, _, body in load("bithumb_rest.txt").rest:
        parsed = br.load_body(body)
        assert parsed["status"] == "0000" and "ETH" in parsed["data"]
    with pytest.raises(BithumbApiError, match="5500"):
        br.load_body(b'{"status":"5500","message":"Invalid Parameter"}')
