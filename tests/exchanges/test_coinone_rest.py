"""Coinone REST v2 parsers, on bodies written from the protocol reference's tables
(exchanges.md 5.5) with the expected values worked out by hand. No recorded Coinone
traffic exists."""

from __future__ import annotations

import pytest

from dantaro_tui.exchanges import coinone_rest as rest
from dantaro_tui.model import Level, Status

NS = 1_000_000_000

# 5.5, verbatim: an error comes with HTTP 200.
UNKNOWN_COIN = b'{"result":"error","error_code":"108","error_msg":"Unknown CryptoCurrency"}'
BLOCKED = b'{"result":"error","error_code":"4","error_msg":"Blocked user access"}'

MARKETS = b"""{"result":"success","error_code":"0","server_time":1760000000000,"markets":[
 {"quote_currency":"KRW","target_currency":"BTC","price_unit":"1000","qty_unit":"0.0001",
  "min_qty":"0.0001","min_order_amount":"5000","order_book_units":["1000","10000"],
  "maintenance_status":0,"trade_status":1,"order_types":["limit","market"]},
 {"quote_currency":"KRW","target_currency":"XYZ","price_unit":"1","qty_unit":"1",
  "min_qty":"1","min_order_amount":"5000","order_book_units":["1"],
  "maintenance_status":1,"trade_status":2,"order_types":["limit"]}]}"""

# ticker_new: targets in lower case, best_asks/best_bids lists. Hand-checked change:
# 141,400,000 against yesterday_last 140,000,000 = +1 %.
TICKERS = b"""{"result":"success","error_code":"0","server_time":1760000000000,"tickers":[
 {"quote_currency":"KRW","target_currency":"btc","timestamp":1760000000000,
  "high":"142000000","low":"139000000","first":"140500000","last":"141400000",
  "quote_volume":"98765432100.5","target_volume":"702.123",
  "best_asks":[{"price":"141401000","qty":"0.02"}],"best_bids":[{"price":"141399000","qty":"0.7"}],
  "id":"1760000000000001","yesterday_last":"140000000"},
 {"quote_currency":"KRW","target_currency":"bad","timestamp":1760000000000,
  "high":"1","low":"1","first":"1","last":"NaN","quote_volume":"0","target_volume":"0",
  "best_asks":[],"best_bids":[],"id":"1"}]}"""

# orderbook: bids descending, asks ascending (REST is best first on both sides).
BOOK = b"""{"result":"success","error_code":"0","server_time":1760000000000,
 "timestamp":1760000000100,"id":"1760000000100001","quote_currency":"KRW",
 "target_currency":"BTC","order_book_unit":"1000",
 "bids":[{"price":"140050000","qty":"0.5"},{"price":"140000000","qty":"2"}],
 "asks":[{"price":"140100000","qty":"0.3"},{"price":"140200000","qty":"1.25"}]}"""

# trades, newest first; is_seller_maker true = taker bought.
TRADES = b"""{"result":"success","error_code":"0","server_time":1760000000000,
 "quote_currency":"KRW","target_currency":"XRP","transactions":[
 {"id":"1760000000600002","timestamp":1760000000600,"price":"3246","qty":"10",
  "is_seller_maker":false},
 {"id":"1760000000600001","timestamp":1760000000600,"price":"3245","qty":"1500.5",
  "is_seller_maker":true},
 {"id":"1760000000500001","timestamp":1760000000500,"price":"-3","qty":"1",
  "is_seller_maker":true}]}"""

CHART = b"""{"result":"success","error_code":"0","server_time":1760000100000,"chart":[
 {"timestamp":1760000040000,"open":"5000000","high":"5010000","low":"4990000",
  "close":"5005000","target_volume":"3.5","quote_volume":"17500000"},
 {"timestamp":1759999980000,"open":"4990000","high":"5000000","low":"4980000",
  "close":"5000000","target_volume":"1","quote_volume":"4990000"}]}"""

CURRENCIES = b"""{"result":"success","error_code":"0","server_time":1760000000000,"currencies":[
 {"name":"Bitcoin","symbol":"BTC","deposit_status":"normal","withdraw_status":"normal"},
 {"name":"Ripple","symbol":"XRP","deposit_status":"normal","withdraw_status":"suspended"}]}"""


def test_requests_are_the_documented_paths() -> None:
    assert rest.markets_request() == ("/public/v2/markets/KRW", {})
    assert rest.ticker_request() == ("/public/v2/ticker_new/KRW", {})
    assert rest.ticker_request("BTC/KRW") == ("/public/v2/ticker_new/KRW/BTC", {})
    assert rest.orderbook_request("BTC/KRW", 16) == ("/public/v2/orderbook/KRW/BTC", {"size": "16"})
    assert rest.orderbook_request("BTC/KRW", 12)[1] == {"size": "15"}  # sizes are 5/10/15/16
    assert rest.orderbook_request("BTC/KRW", 30)[1] == {"size": "16"}  # 20 would be error 107
    assert rest.trades_request("XRP/KRW", 5000)[1] == {"size": str(rest.MAX_TRADES)}
    path, params = rest.chart_request("ETH/KRW", "1h", 50, end_ms=1_760_000_000_000)
    assert path == "/public/v2/chart/KRW/ETH"
    assert params == {"interval": "1h", "size": "50", "timestamp": "1760000000000"}
    with pytest.raises(ValueError, match="no '10m' candles"):
        rest.chart_request("ETH/KRW", "10m")


@pytest.mark.parametrize(
    ("body", "code", "words"),
    [
        (UNKNOWN_COIN, "108", "does not list that coin"),
        (BLOCKED, "4", "limiting requests"),
        (b'{"result":"error","error_code":"107","error_msg":"Parameter error"}', "107", "param"),
        (b"<html>busy</html>", "malformed", "not JSON"),
        (b"[]", "malformed", "not a JSON object"),
    ],
)
def test_an_error_sent_with_http_200_is_an_error(body: bytes, code: str, words: str) -> None:
    for parse in (rest.parse_markets, rest.parse_tickers, rest.parse_currencies):
        with pytest.raises(rest.CoinoneApiError) as info:
            parse(body)
        assert info.value.code == code and words in str(info.value)
    with pytest.raises(rest.CoinoneApiError):
        rest.parse_order_book(body, "BTC/KRW")


def test_markets_flag_maintenance_and_one_way_trading() -> None:
    btc, xyz = rest.parse_markets(MARKETS)
    assert (btc.symbol, btc.base, btc.quote, btc.warning) == ("BTC/KRW", "BTC", "KRW", False)
    assert xyz.warning and xyz.cautions == ("MAINTENANCE", "BUYING_SUSPENDED")
    info = rest.parse_market_info(MARKETS)
    assert info["BTC/KRW"].price_unit == 1000.0 and info["BTC/KRW"].min_order_amount == 5000.0
    assert info["XYZ/KRW"].maintenance and info["XYZ/KRW"].trade_status == 2


def test_tickers_upper_case_the_targets_and_drop_an_impossible_row() -> None:
    rejected: list[Status] = []
    (t,) = rest.parse_tickers(TICKERS, recv_ns=5 * NS, rejected=rejected)
    assert (t.symbol, t.base, t.quote) == ("BTC/KRW", "BTC", "KRW")
    assert t.trade_price == 141_400_000.0 and t.change_rate == pytest.approx(0.01)
    assert (t.best_bid, t.best_ask) == (141_399_000.0, 141_401_000.0)
    assert t.snapshot and t.timestamp == 1_760_000_000_000
    (why,) = rejected
    assert why.symbol == "BAD/KRW" and "NaN" in why.message


def test_the_book_is_best_first_and_names_its_market() -> None:
    book = rest.parse_order_book(BOOK)
    assert book.symbol == "BTC/KRW" and book.snapshot
    assert book.bids == (Level(140_050_000.0, 0.5), Level(140_000_000.0, 2.0))
    assert book.asks == (Level(140_100_000.0, 0.3), Level(140_200_000.0, 1.25))
    crossed = BOOK.replace(b'"140050000"', b'"140150000"')
    with pytest.raises(rest.CoinoneApiError) as info:
        rest.parse_order_book(crossed, "BTC/KRW")
    assert info.value.code == "invalid" and "best ask" in str(info.value)


def test_trades_are_oldest_first_with_the_takers_side() -> None:
    rejected: list[Status] = []
    trades = rest.parse_trades(TRADES, "XRP/KRW", rejected=rejected)
    assert [(t.trade_id, t.side) for t in trades] == [
        ("1760000000600001", "buy"),
        ("1760000000600002", "sell"),
    ]
    assert all(t.symbol == "XRP/KRW" and t.snapshot for t in trades)
    assert len(rejected) == 1 and "-3" in rejected[0].message


def test_candles_are_oldest_first_and_closed_once_their_minute_is_over() -> None:
    candles = rest.parse_candles(CHART, "ETH/KRW", "1m", recv_ns=1_760_000_050 * NS)
    assert [c.open_time for c in candles] == [1_759_999_980_000, 1_760_000_040_000]
    older, newer = candles
    assert older.closed and not newer.closed  # 1760000040000 + 60 s is still to come
    assert (newer.open, newer.high, newer.low, newer.close) == (5e6, 5.01e6, 4.99e6, 5.005e6)
    assert newer.volume == 3.5 and newer.quote_volume == 17_500_000.0


def test_currencies_say_where_deposits_and_withdrawals_are_open() -> None:
    got = rest.parse_currencies(CURRENCIES)
    assert got["BTC"].deposit and got["BTC"].withdraw and got["BTC"].name == "Bitcoin"
    assert got["XRP"].deposit and not got["XRP"].withdraw


def test_exchange_text_is_stripped_of_control_characters() -> None:
    evil = b'{"result":"error","error_code":"108","error_msg":"\\u001b]2;pwned\\u0007"}'
    with pytest.raises(rest.CoinoneApiError) as info:
        rest.parse_markets(evil)
    assert str(info.value).isprintable()
