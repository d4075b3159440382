"""Binance spot REST parsers, on the recorded exchangeInfo and depth snapshots and on the
documented response shapes."""

from __future__ import annotations

import orjson
import pytest

from dantaro_tui.exchanges import binance_rest as br
from dantaro_tui.exchanges.base import RateLimit, RestRequest
from dantaro_tui.exchanges.binance import BinanceCodec
from dantaro_tui.model import Market, Status, Trade
from tests.recorded import load


@pytest.fixture(scope="module")
def exchange_info() -> str:
    (rest,) = load("binance_rest.txt").rest
    assert rest[0] == "https://api.binance.com/api/v3/exchangeInfo"
    return rest[2]


def test_exchange_info_markets(exchange_info: str) -> None:
    rejected: list[Status] = []
    markets = br.parse_exchange_info(exchange_info, rejected=rejected)
    assert len(markets) == 1262 and not rejected  # TRADING only
    first = markets[0]
    assert first == Market("binance", "ETHBTC", "ETH", "BTC", tick=0.000001, lot=0.0001)
    by = br.markets_by_symbol(markets)
    assert by["NKNUSDT"] == Market("binance", "NKNUSDT", "NKN", "USDT", tick=0.0001, lot=1.0)
    assert (by["RUNEEUR"].base, by["RUNEEUR"].quote) == ("RUNE", "EUR")
    everything = br.parse_exchange_info(exchange_info, trading_only=False)
    assert len(everything) == 1695
    halted = [m for m in everything if m.warning]
    assert len(halted) == 433 and {m.cautions for m in halted} == {("BREAK",)}
    assert halted[0].symbol == "BCCBTC"


def test_exchange_info_rules(exchange_info: str) -> None:
    rules = br.parse_symbol_rules(exchange_info)
    assert len(rules) == 1695
    eth = rules["ETHBTC"]
    assert eth == br.SymbolRules(
        symbol="ETHBTC",
        status="TRADING",
        tick_size=0.000001,
        min_price=0.000001,
        max_price=922327.0,
        step_size=0.0001,
        min_qty=0.0001,
        max_qty=100000.0,
        min_notional=0.0001,
        base_precision=8,
        quote_precision=8,
    )
    nkn = rules["NKNUSDT"]
    assert (nkn.tick_size, nkn.step_size, nkn.min_notional) == (0.0001, 1.0, 10.0)


def test_codec_takes_the_markets(exchange_info: str) -> None:
    by = br.markets_by_symbol(br.parse_exchange_info(exchange_info))
    codec = BinanceCodec(markets=by)
    frame = (
        '{"stream":"runeeur@trade","data":{"e":"trade","E":1,"s":"RUNEEUR","t":9,"p":"7.1",'
        '"q":"2","T":3,"m":false,"M":true}}'
    )
    (t,) = codec.decode(frame, 1)
    assert isinstance(t, Trade) and (t.base, t.quote, t.side) == ("RUNE", "EUR", "buy")


def test_exchange_info_with_hostile_or_broken_rows() -> None:
    body = {
        "symbols": [
            {"symbol": "OKUSDT", "status": "TRADING", "baseAsset": "OK", "quoteAsset": "USDT"},
            {"symbol": "BAD\x1b[2JUSDT", "status": "TRADING", "baseAsset": "B", "quoteAsset": "U"},
        ]
    }
    rejected: list[Status] = []
    markets = br.parse_exchange_info(orjson.dumps(body), rejected=rejected)
    assert [m.symbol for m in markets] == ["OKUSDT"]
    (st,) = rejected
    assert st.kind == "error" and st.code == "invalid" and "\x1b" not in st.message
    with pytest.raises(br.BinanceApiError) as err:
        br.parse_exchange_info(b'{"timezone":"UTC"}')
    assert err.value.code == "malformed"
    with pytest.raises(br.BinanceApiError) as err:
        br.parse_exchange_info(b"<html>")
    assert err.value.code == "malformed"


def test_depth_snapshot_recorded() -> None:
    rest = load("binance_depth_rest.txt").rest
    last_id, book = br.parse_depth(rest[0][2], "NKNUSDT", recv_ns=5, depth=3)
    assert last_id == 499869752
    assert [(lv.price, lv.size) for lv in book.bids] == [
        (0.3521, 672.0),
        (0.352, 1144.0),
        (0.3519, 3260.0),
    ]
    assert book.asks[0].price == 0.3525 and book.snapshot and book.recv_ns == 5
    assert (book.base, book.quote) == ("NKN", "USDT")
    last_id, full = br.parse_depth(rest[3][2], "RUNEEUR")
    assert last_id == 15602511 and (len(full.bids), len(full.asks)) == (221, 468)
    with pytest.raises(br.BinanceApiError) as err:
        br.parse_depth(b'{"lastUpdateId":1,"bids":[["2","1"]],"asks":[["1","1"]]}', "X")
    assert err.value.code == "invalid"
    with pytest.raises(br.BinanceApiError) as err:
        br.parse_depth(b'{"lastUpdateId":1,"bids":[["NaN","1"]],"asks":[]}', "X")
    assert err.value.code == "invalid"


# Documented response shapes (Binance's rest-api page).
TICKER_24HR = {
    "symbol": "BNBBTC",
    "priceChange": "-94.99999800",
    "priceChangePercent": "-95.960",
    "weightedAvgPrice": "0.29628482",
    "prevClosePrice": "0.10002000",
    "lastPrice": "4.00000200",
    "lastQty": "200.00000000",
    "bidPrice": "4.00000000",
    "bidQty": "100.00000000",
    "askPrice": "4.00000200",
    "askQty": "100.00000000",
    "openPrice": "99.00000000",
    "highPrice": "100.00000000",
    "lowPrice": "0.10000000",
    "volume": "8913.30000000",
    "quoteVolume": "15.30000000",
    "openTime": 1499783499040,
    "closeTime": 1499869899040,
    "firstId": 28385,
    "lastId": 28460,
    "count": 76,
}


def test_tickers() -> None:
    (t,) = br.parse_tickers(orjson.dumps(TICKER_24HR), recv_ns=3)
    assert (t.symbol, t.base, t.quote, t.timestamp, t.recv_ns) == (
        "BNBBTC",
        "BNB",
        "BTC",
        1499869899040,
        3,
    )
    assert (t.trade_price, t.change_price) == (4.000002, -94.999998)
    assert t.change_rate == pytest.approx(-0.9596)
    assert (t.opening_price, t.high_price, t.low_price, t.prev_closing_price) == (
        99.0,
        100.0,
        0.1,
        0.10002,
    )
    assert (t.acc_trade_volume_24h, t.acc_trade_price_24h, t.trade_volume) == (8913.3, 15.3, 200.0)
    assert (t.best_bid, t.best_ask) == (4.0, 4.000002)
    # A list, with a market that did not trade (all zeros) and impossible rows left out.
    idle = dict.fromkeys(TICKER_24HR, "0.00000000") | {
        "symbol": "IDLEBTC",
        "closeTime": 1,
        "openTime": 0,
        "count": 0,
        "firstId": -1,
        "lastId": -1,
    }
    nan = TICKER_24HR | {"symbol": "NANBTC", "lastPrice": "NaN"}
    crossed = TICKER_24HR | {"symbol": "XBTC", "bidPrice": "5"}
    rejected: list[Status] = []
    out = br.parse_tickers(orjson.dumps([TICKER_24HR, idle, nan, crossed]), rejected=rejected)
    assert [t.symbol for t in out] == ["BNBBTC", "IDLEBTC"]
    assert out[1].trade_price == 0.0 and out[1].change_rate == 0.0
    assert [s.symbol for s in rejected] == ["NANBTC", "XBTC"]
    assert "last price NaN" in rejected[0].message
    assert "best bid 5 is at or above its best ask 4.000002" in rejected[1].message


def test_trades() -> None:
    body = [
        {
            "id": 28458,
            "price": "4.00000100",
            "qty": "12.00000000",
            "quoteQty": "48.000012",
            "time": 1499865549590,
            "isBuyerMaker": True,
            "isBestMatch": True,
        },
        {
            "id": 28457,
            "price": "4.00000200",
            "qty": "1.00000000",
            "quoteQty": "4.000002",
            "time": 1499865549590,
            "isBuyerMaker": False,
            "isBestMatch": True,
        },
        {
            "id": 28459,
            "price": "-4",
            "qty": "1",
            "time": 1499865549591,
            "isBuyerMaker": False,
        },
    ]
    rejected: list[Status] = []
    out = br.parse_trades(orjson.dumps(body), "BNBBTC", recv_ns=1, rejected=rejected)
    assert [(t.trade_id, t.side, t.price, t.volume) for t in out] == [
        ("28457", "buy", 4.000002, 1.0),
        ("28458", "sell", 4.000001, 12.0),  # the buyer was the maker: the taker sold
    ]
    assert out[0].timestamp == 1499865549590 and (out[0].base, out[0].quote) == ("BNB", "BTC")
    assert len(rejected) == 1 and "not above zero" in rejected[0].message


def test_klines() -> None:
    rows = [
        [
            1499040000000,
            "0.01634790",
            "0.80000000",
            "0.01575800",
            "0.01577100",
            "148976.11427815",
            1499644799999,
            "2434.19055334",
            308,
            "1756.87402397",
            "28.46694368",
            "0",
        ],
        [1499644800000, "0.016", "0.017", "0.015", "0.0165", "10", 1500249599999, "0.16", 1],
        [1500249600000, "0.016", "0.010", "0.015", "0.0165", "10", 1500854399999, "0.16", 1],
    ]
    rejected: list[Status] = []
    out = br.parse_klines(
        orjson.dumps(rows[::-1]), "BNBBTC", "1w", now_ms=1499700000000, rejected=rejected
    )
    assert [c.open_time for c in out] == [1499040000000, 1499644800000]  # oldest first
    c = out[0]
    assert (c.interval, c.open, c.high, c.low, c.close) == (
        "1w",
        0.0163479,
        0.8,
        0.015758,
        0.015771,
    )
    assert (c.volume, c.quote_volume, c.timestamp, c.closed) == (
        148976.11427815,
        2434.19055334,
        1499644799999,
        True,
    )
    assert out[1].closed is False  # still forming at now_ms
    assert len(rejected) == 1 and "high 0.01 is below its open 0.016" in rejected[0].message


def test_error_bodies_and_limits() -> None:
    with pytest.raises(br.BinanceApiError) as err:
        br.parse_tickers(b'{"code":-1121,"msg":"Invalid symbol."}')
    assert (err.value.code, err.value.msg) == ("-1121", "Invalid symbol.")
    headers = {"x-mbx-used-weight-1m": "1190", "Retry-After": "30"}
    assert br.used_weight(headers) == 1190
    assert br.retry_after(headers) == 30.0
    assert br.used_weight({}) is None and br.retry_after({"Retry-After": "soon"}) is None
    with pytest.raises(br.BinanceApiError) as err:
        br.check_response(429, b'{"code":-1003,"msg":"Too many requests."}', headers)
    e = err.value
    assert (e.code, e.http_status, e.retry_after, e.rate_limited, e.banned) == (
        "-1003",
        429,
        30.0,
        True,
        False,
    )
    assert "Too many requests." in e.msg
    with pytest.raises(br.BinanceApiError) as err:
        br.check_response(418, b"", {"Retry-After": "120"})
    assert err.value.banned and err.value.retry_after == 120.0
    assert "banned" in err.value.msg
    br.check_response(200, b"{}")
    limits = br.REST_LIMITS
    assert limits == (RateLimit(6000, 60.0), RateLimit(61000, 300.0))


def test_request_builders() -> None:
    assert br.depth_request("BTCUSDT") == RestRequest(
        "depth:BTCUSDT", "/api/v3/depth", (("symbol", "BTCUSDT"), ("limit", "1000")), 50
    )
    assert br.depth_request("BTCUSDT", 1000) == BinanceCodec().snapshot_request("BTCUSDT")
    assert br.depth_request("BTCUSDT", 9999).weight == 250
    assert br.depth_request("BTCUSDT", 100).weight == 5
    assert br.exchange_info_request().weight == 20
    assert br.exchange_info_request(["BTCUSDT", "ETHBTC"]).params == (
        ("symbols", '["BTCUSDT","ETHBTC"]'),
    )
    assert br.tickers_request().weight == 80
    assert br.tickers_request(["BTCUSDT"]) == RestRequest(
        "ticker24hr", "/api/v3/ticker/24hr", (("symbol", "BTCUSDT"),), 2
    )
    assert br.tickers_request([f"S{i}" for i in range(50)]).weight == 40
    assert br.trades_request("BTCUSDT", 5000).params == (("symbol", "BTCUSDT"), ("limit", "1000"))
    req = br.klines_request("BTCUSDT", "1h", start_ms=1, limit=2000)
    assert req.path == "/api/v3/klines" and req.weight == 2
    assert req.params == (
        ("symbol", "BTCUSDT"),
        ("interval", "1h"),
        ("startTime", "1"),
        ("limit", "1000"),
    )
    with pytest.raises(ValueError):
        br.klines_request("BTCUSDT", "1H")


def test_every_market_carries_the_recorded_tick_and_lot(exchange_info: str) -> None:
    """The cockpit formats prices on the venue's own step: PRICE_FILTER tickSize and
    LOT_SIZE stepSize, as exchangeInfo states them for every symbol."""
    raw = {d["symbol"]: d for d in orjson.loads(exchange_info)["symbols"]}
    markets = br.parse_exchange_info(exchange_info, trading_only=False)
    for m in markets:
        filters = {f["filterType"]: f for f in raw[m.symbol]["filters"]}
        assert m.tick == float(filters["PRICE_FILTER"]["tickSize"]) > 0, m.symbol
        assert m.lot == float(filters["LOT_SIZE"]["stepSize"]) > 0, m.symbol
    by = br.markets_by_symbol(markets)
    assert (by["BTCUSDT"].tick, by["BTCUSDT"].lot) == (0.01, 0.00001)
