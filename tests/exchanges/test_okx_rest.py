"""OKX v5 REST request builders and body parsers."""

from __future__ import annotations

import orjson
import pytest

from dantaro_tui.exchanges.okx_rest import (
    OkxApiError,
    book_request,
    candles_request,
    instruments_request,
    next_page_after,
    parse_book,
    parse_candles,
    parse_instruments,
    parse_tickers,
    parse_trades,
    tickers_request,
    trades_request,
    unwrap,
)
from dantaro_tui.model import Market
from tests.recorded import load


@pytest.fixture(scope="module")
def instruments_body() -> str:
    rest = load("okx_rest.txt").rest
    (url, _, body) = next(r for r in rest if "/public/instruments" in r[0])
    assert "instType=SPOT" in url
    return body


def test_recorded_instruments(instruments_body: str) -> None:
    markets = parse_instruments(instruments_body)
    assert len(markets) == 513
    assert all(isinstance(m, Market) and m.exchange == "okx" for m in markets)
    by_symbol = {m.symbol: m for m in markets}
    assert len(by_symbol) == 513
    btc = by_symbol["BTC-USDT"]
    assert (btc.base, btc.quote, btc.warning) == ("BTC", "USDT", False)
    assert (by_symbol["ETH-USDT"].base, by_symbol["ETH-USDT"].quote) == ("ETH", "USDT")
    for m in markets:
        assert m.base and m.quote
        assert m.symbol == f"{m.base}-{m.quote}"


def test_instruments_state() -> None:
    body = {
        "code": "0",
        "msg": "",
        "data": [
            {"instId": "BTC-USDT", "baseCcy": "BTC", "quoteCcy": "USDT", "state": "live"},
            {"instId": "NEW-USDT", "baseCcy": "NEW", "quoteCcy": "USDT", "state": "preopen"},
        ],
    }
    assert [m.symbol for m in parse_instruments(body)] == ["BTC-USDT"]
    kept = parse_instruments(orjson.dumps(body), live_only=False)
    assert [(m.symbol, m.warning, m.cautions) for m in kept] == [
        ("BTC-USDT", False, ()),
        ("NEW-USDT", True, ("preopen",)),
    ]


def test_error_envelope_raises() -> None:
    with pytest.raises(OkxApiError) as info:
        unwrap('{"code":"50011","msg":"Too Many Requests","data":[]}')
    assert info.value.code == "50011"
    assert info.value.msg == "Too Many Requests"
    assert "50011" in str(info.value)
    with pytest.raises(OkxApiError) as info:
        parse_tickers("<html>502 Bad Gateway</html>")
    assert info.value.code == "malformed"
    with pytest.raises(OkxApiError):
        parse_trades('{"code":"0","msg":"","data":[{"instId":"BTC-USDT"}]}')


def test_tickers() -> None:
    body = (
        '{"code":"0","msg":"","data":[{"instType":"SPOT","instId":"BTC-USDT","last":"30236",'
        '"lastSz":"0.0002","askPx":"30228.7","askSz":"1.5","bidPx":"30228.6","bidSz":"0.2",'
        '"open24h":"29700.4","high24h":"31073","low24h":"28020.3","sodUtc0":"29028.8",'
        '"sodUtc8":"30337.7","volCcy24h":"525802090.6","vol24h":"17602.1","ts":"1652459224956"},'
        '{"instType":"SPOT","instId":"NEW-USDT","last":"","lastSz":"","askPx":"","askSz":"",'
        '"bidPx":"","bidSz":"","open24h":"","high24h":"","low24h":"","volCcy24h":"0",'
        '"vol24h":"0","ts":"1652459224956"}]}'
    )
    btc, new = parse_tickers(body, recv_ns=3)
    assert (btc.symbol, btc.trade_price, btc.best_bid, btc.recv_ns) == (
        "BTC-USDT",
        30236,
        30228.6,
        3,
    )
    assert btc.acc_trade_volume_24h == 17602.1 and btc.acc_trade_price_24h == 525802090.6
    assert btc.change_rate == pytest.approx(30236 / 29700.4 - 1)
    # A market with no trades yet: OKX sends "" for the missing numbers.
    assert (new.trade_price, new.change_rate, new.best_ask) == (0.0, 0.0, 0.0)


def test_book() -> None:
    body = (
        '{"code":"0","msg":"","data":[{"asks":[["41006.8","0.60038921","0","1"],'
        '["41007","1","0","2"]],"bids":[["41006.3","0.30178218","0","2"],["41006","2","0","1"]],'
        '"ts":"1629966436396"}]}'
    )
    book = parse_book(body, "BTC-USDT", recv_ns=4)
    assert (book.symbol, book.base, book.quote, book.snapshot) == ("BTC-USDT", "BTC", "USDT", True)
    assert (book.best_bid, book.best_ask, book.timestamp) == (41006.3, 41006.8, 1629966436396)
    assert [lv.price for lv in book.bids] == [41006.3, 41006.0]
    assert book.total_ask_size == pytest.approx(1.60038921)
    assert len(parse_book(body, "BTC-USDT", depth=1).asks) == 1
    with pytest.raises(OkxApiError):
        parse_book('{"code":"0","msg":"","data":[]}', "BTC-USDT")


def test_candles_oldest_first() -> None:
    body = (
        '{"code":"0","msg":"","data":['
        '["1700000120000","3","4","2.5","3.5","10","35","35","0"],'
        '["1700000060000","2","3","1.5","3","20","60","60","1"],'
        '["1700000000000","1","2","0.5","2","30","45","45","1"]]}'
    )
    candles = parse_candles(body, "BTC-USDT", "1m")
    assert [c.open_time for c in candles] == [1700000000000, 1700000060000, 1700000120000]
    first, last = candles[0], candles[-1]
    assert (first.open, first.high, first.low, first.close) == (1.0, 2.0, 0.5, 2.0)
    assert (first.volume, first.quote_volume, first.closed) == (30.0, 45.0, True)
    assert (last.closed, last.interval, last.symbol, last.base) == (False, "1m", "BTC-USDT", "BTC")
    assert next_page_after(candles) == 1700000000000
    assert next_page_after([]) is None


def test_trades_oldest_first() -> None:
    body = (
        '{"code":"0","msg":"","data":['
        '{"instId":"BTC-USDT","side":"sell","sz":"0.5","px":"30000.1","source":"0",'
        '"tradeId":"130639474","ts":"1629966436396"},'
        '{"instId":"BTC-USDT","side":"buy","sz":"0.1","px":"30000.2","source":"0",'
        '"tradeId":"130639473","ts":"1629966436300"}]}'
    )
    trades = parse_trades(body)
    assert [t.trade_id for t in trades] == ["130639473", "130639474"]
    assert (trades[1].side, trades[1].price, trades[1].volume) == ("sell", 30000.1, 0.5)
    assert trades[0].side == "buy"


def test_requests() -> None:
    assert instruments_request() == ("/api/v5/public/instruments", {"instType": "SPOT"})
    assert tickers_request() == ("/api/v5/market/tickers", {"instType": "SPOT"})
    # sz is always explicit: OKX's default is one level.
    assert book_request("BTC-USDT") == ("/api/v5/market/books", {"instId": "BTC-USDT", "sz": "400"})
    assert book_request("BTC-USDT", 5000)[1]["sz"] == "400"
    assert trades_request("BTC-USDT", 1000)[1]["limit"] == "500"
    path, params = candles_request("BTC-USDT", "1h")
    assert path == "/api/v5/market/candles"
    assert params == {"instId": "BTC-USDT", "bar": "1H", "limit": "300"}
    assert candles_request("BTC-USDT", "1d")[1]["bar"] == "1Dutc"  # UTC days, as Upbit's
    assert candles_request("BTC-USDT", "1m")[1]["bar"] == "1m"
    path, params = candles_request("BTC-USDT", "5m", after=1700000000000, history=True, limit=300)
    assert path == "/api/v5/market/history-candles"
    assert params == {"instId": "BTC-USDT", "bar": "5m", "limit": "100", "after": "1700000000000"}
    with pytest.raises(ValueError):
        candles_request("BTC-USDT", "7m")


def test_every_instrument_carries_the_recorded_tick_and_lot(instruments_body: str) -> None:
    raw = {d["instId"]: d for d in orjson.loads(instruments_body)["data"]}
    for m in parse_instruments(instruments_body):
        assert m.tick == float(raw[m.symbol]["tickSz"]) > 0, m.symbol
        assert m.lot == float(raw[m.symbol]["lotSz"]) > 0, m.symbol
