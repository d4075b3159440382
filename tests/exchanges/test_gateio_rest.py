"""Gate.io v4 spot REST request builders and body parsers (recorded and documented bodies)."""

from __future__ import annotations

from collections import Counter

import orjson
import pytest

from dantaro_tui.exchanges.gateio_rest import (
    GateioApiError,
    PairInfo,
    candles_request,
    currency_pairs_request,
    order_book_request,
    parse_book_snapshot,
    parse_candles,
    parse_currency_pairs,
    parse_order_book,
    parse_pair_info,
    parse_tickers,
    parse_trades,
    tickers_request,
    trades_request,
)
from dantaro_tui.model import Candle, Market, OrderBook, Status
from tests.recorded import load


@pytest.fixture(scope="module")
def pairs_body() -> str:
    (url, _, body) = load("gateio_rest.txt").rest[0]
    assert url.endswith("/api/v4/spot/currency_pairs")
    return body


@pytest.fixture(scope="module")
def depth_bodies() -> dict[str, str]:
    out = {}
    for url, _, body in load("gateio_depth_rest.txt").rest:
        out[url.split("currency_pair=")[1].split("&")[0]] = body
    return out


# -- requests -----------------------------------------------------------------------------


def test_requests() -> None:
    assert currency_pairs_request() == ("/api/v4/spot/currency_pairs", {})
    assert tickers_request() == ("/api/v4/spot/tickers", {})
    assert tickers_request("BTC_USDT") == ("/api/v4/spot/tickers", {"currency_pair": "BTC_USDT"})
    assert order_book_request("BTC_USDT") == (
        "/api/v4/spot/order_book",
        {"currency_pair": "BTC_USDT", "limit": "100", "with_id": "true"},
    )
    assert order_book_request("BTC_USDT", 5000, with_id=False)[1] == {
        "currency_pair": "BTC_USDT",
        "limit": "100",
    }
    assert trades_request("BTC_USDT", 5000) == (
        "/api/v4/spot/trades",
        {"currency_pair": "BTC_USDT", "limit": "1000"},
    )
    assert trades_request("BTC_USDT", last_id="123", reverse=True)[1]["reverse"] == "true"
    assert candles_request("BTC_USDT", "1w", limit=10) == (
        "/api/v4/spot/candlesticks",
        {"currency_pair": "BTC_USDT", "interval": "7d", "limit": "10"},
    )
    _, params = candles_request("BTC_USDT", "1M", start=1700000000, end=1700086400)
    assert params == {
        "currency_pair": "BTC_USDT",
        "interval": "30d",
        "from": "1700000000",
        "to": "1700086400",
    }
    with pytest.raises(ValueError):
        candles_request("BTC_USDT", "1m", limit=10, start=1)
    with pytest.raises(ValueError):
        candles_request("BTC_USDT", "3m")


# -- currency pairs -----------------------------------------------------------------------


def test_recorded_currency_pairs(pairs_body: str) -> None:
    markets = parse_currency_pairs(pairs_body)
    assert len(markets) == 1458
    assert all(isinstance(m, Market) and m.exchange == "gateio" for m in markets)
    by = {m.symbol: m for m in markets}
    assert len(by) == 1458
    btc = by["BTC_USDT"]
    assert (btc.base, btc.quote, btc.warning, btc.cautions) == ("BTC", "USDT", False, ())
    sal = by["SAL_USDT"]
    assert (sal.warning, sal.cautions) == (True, ("untradable",))
    assert Counter(m.cautions for m in markets) == {
        (): 1408,
        ("untradable",): 44,
        ("sellable",): 6,
    }
    for m in markets:
        assert m.symbol == f"{m.base}_{m.quote}"
    assert len(parse_currency_pairs(pairs_body, tradable_only=True)) == 1408


def test_recorded_pair_info(pairs_body: str) -> None:
    info = parse_pair_info(pairs_body)
    assert len(info) == 1458
    assert info["BTC_USDT"] == PairInfo(
        symbol="BTC_USDT",
        price_precision=2,
        amount_precision=4,
        min_base_amount=0.0001,
        min_quote_amount=1.0,
        fee_percent=0.2,
        trade_status="tradable",
    )
    iht = info["IHT_ETH"]
    assert (iht.price_precision, iht.amount_precision, iht.min_base_amount) == (9, 1, 0.0)
    assert iht.min_quote_amount == 0.001


def test_currency_pairs_current_shape_and_bad_rows() -> None:
    body = [
        {
            "id": "ETH_USDT",
            "base": "ETH",
            "base_name": "Ethereum",
            "quote": "USDT",
            "quote_name": "Tether",
            "fee": "0.2",
            "min_base_amount": "0.001",
            "min_quote_amount": "1.0",
            "max_base_amount": "10000",
            "max_quote_amount": "10000000",
            "amount_precision": 3,
            "precision": 6,
            "trade_status": "tradable",
            "sell_start": 1516378650,
            "buy_start": 1516378650,
            "delisting_time": 0,
            "type": "normal",
            "st_tag": False,
        },
        {"id": "ST_USDT", "base": "ST", "quote": "USDT", "st_tag": True},
        {"id": "EVIL_\x1b[2J", "base": "EVIL", "quote": "USDT"},
    ]
    rejected: list[Status] = []
    markets = parse_currency_pairs(orjson.dumps(body), rejected=rejected)
    assert [(m.symbol, m.english_name, m.cautions) for m in markets] == [
        ("ETH_USDT", "Ethereum", ()),
        ("ST_USDT", "", ("ST",)),
    ]
    assert markets[1].warning
    (st,) = rejected
    assert (st.kind, st.code) == ("error", "invalid") and "\x1b" not in st.message
    info = parse_pair_info(body)
    assert info["ETH_USDT"].max_base_amount == 10000.0
    assert info["ETH_USDT"].buy_start == 1516378650


def test_error_bodies() -> None:
    body = orjson.dumps(
        {"label": "INVALID_CURRENCY_PAIR", "message": "Invalid currency pair \x1b]2;x\x07"}
    )
    with pytest.raises(GateioApiError) as err:
        parse_currency_pairs(body)
    assert err.value.label == "INVALID_CURRENCY_PAIR"
    assert "\x1b" not in str(err.value) and "\x07" not in err.value.message
    for bad in (b"<html>", b'{"a":1}', b"42"):
        with pytest.raises(GateioApiError) as err:
            parse_tickers(bad)
        assert err.value.label == "malformed"
    e = GateioApiError.from_body(429, b'{"label":"TOO_MANY_REQUESTS","message":"slow down"}')
    assert (e.label, e.status) == ("TOO_MANY_REQUESTS", 429) and "HTTP 429" in str(e)
    assert GateioApiError.from_body(502, b"Bad Gateway").label == "HTTP 502"


# -- order book ---------------------------------------------------------------------------


def test_recorded_order_books(depth_bodies: dict[str, str]) -> None:
    assert len(depth_bodies) == 10
    snap = parse_book_snapshot(depth_bodies["NEO_BTC"])
    assert snap.id == 31244065 and snap.timestamp == 0  # 2021: no current/update fields
    assert snap.bids[0] == ("0.0018697", "0.5") and snap.asks[0] == ("0.0018734", "5.084")
    assert len(snap.bids) == len(snap.asks) == 100
    book = parse_order_book(depth_bodies["NEO_BTC"], "NEO_BTC", recv_ns=5, depth=10)
    assert isinstance(book, OrderBook) and book.snapshot and book.recv_ns == 5
    assert (book.symbol, book.base, book.quote) == ("NEO_BTC", "NEO", "BTC")
    assert (book.best_bid, book.best_ask) == (0.0018697, 0.0018734)
    assert len(book.bids) == len(book.asks) == 10
    for pair, body in depth_bodies.items():
        b = parse_order_book(body, pair)
        assert b.bids[0].price < b.asks[0].price
        d = orjson.loads(body)
        assert len(b.bids) == len(d["bids"]) and len(b.asks) == len(d["asks"])


def test_order_book_current_shape_and_impossible_books() -> None:
    body = {
        "id": 123456,
        "current": 1623898993123,
        "update": 1623898993121,
        "asks": [["1.52", "1.151"], ["1.53", "1.218"]],
        "bids": [["1.17", "201.863"], ["1.16", "725.464"]],
    }
    snap = parse_book_snapshot(orjson.dumps(body))
    assert (snap.id, snap.timestamp) == (123456, 1623898993121)
    book = parse_order_book(body, "X_USDT")
    assert book.timestamp == 1623898993121
    assert book.total_bid_size == pytest.approx(201.863 + 725.464)
    with pytest.raises(GateioApiError, match="with_id"):
        parse_book_snapshot(orjson.dumps({k: v for k, v in body.items() if k != "id"}))
    for bad in (
        {**body, "bids": [["NaN", "1"]]},
        {**body, "asks": [["-1", "1"]]},
        {**body, "bids": [["2", "1"]]},  # crossed
    ):
        with pytest.raises(GateioApiError) as err:
            parse_order_book(orjson.dumps(bad), "X_USDT")
        assert err.value.label == "invalid"
    with pytest.raises(GateioApiError) as err:
        parse_book_snapshot(b'{"label":"INVALID_CURRENCY_PAIR","message":"no such pair"}')
    assert err.value.label == "INVALID_CURRENCY_PAIR"


# -- tickers, trades, candles -------------------------------------------------------------


TICKERS = [
    {
        "currency_pair": "BTC3L_USDT",
        "last": "2.46140352",
        "lowest_ask": "2.477",
        "highest_bid": "2.4606821",
        "change_percentage": "-8.91",
        "change_utc0": "-8.91",
        "change_utc8": "-8.91",
        "base_volume": "656614.0845820589",
        "quote_volume": "1602221.66468375534639404191",
        "high_24h": "2.7431",
        "low_24h": "1.9863",
        "etf_net_value": "2.46316141",
    },
    {
        "currency_pair": "NEW_USDT",
        "last": "",
        "lowest_ask": "",
        "highest_bid": "",
        "change_percentage": "0",
        "base_volume": "0",
        "quote_volume": "0",
        "high_24h": "0",
        "low_24h": "0",
    },
    {"currency_pair": "BAD_USDT", "last": "-1", "change_percentage": "0"},
]


def test_tickers() -> None:
    rejected: list[Status] = []
    out = parse_tickers(orjson.dumps(TICKERS), recv_ns=1_700_000_000_123_000_000, rejected=rejected)
    assert [t.symbol for t in out] == ["BTC3L_USDT", "NEW_USDT"]
    t = out[0]
    assert (t.base, t.quote, t.trade_price) == ("BTC3L", "USDT", 2.46140352)
    assert t.change_rate == pytest.approx(-0.0891)
    assert t.opening_price == pytest.approx(2.46140352 / (1 - 0.0891))
    assert (t.best_bid, t.best_ask) == (2.4606821, 2.477)
    assert (t.acc_trade_volume_24h, t.high_price) == (656614.0845820589, 2.7431)
    assert t.snapshot and t.timestamp == 1_700_000_000_123
    new = out[1]  # never traded: no price, no change
    assert (new.trade_price, new.change_rate, new.best_ask) == (0.0, 0.0, 0.0)
    (st,) = rejected
    assert st.symbol == "BAD_USDT" and "not above zero" in st.message


TRADES = [
    {
        "id": "1232893232",
        "create_time": "1548000000",
        "create_time_ms": "1548000000123.456",
        "currency_pair": "BTC_USDT",
        "side": "sell",
        "role": "taker",
        "amount": "0.15",
        "price": "7400",
        "sequence_id": "588018",
    },
    {
        "id": "1232893231",
        "create_time": "1547999999",
        "create_time_ms": "1547999999001.1",
        "currency_pair": "BTC_USDT",
        "side": "buy",
        "amount": "0.2",
        "price": "7399.5",
    },
    {
        "id": "1",
        "create_time": "1",
        "currency_pair": "BTC_USDT",
        "side": "buy",
        "amount": "NaN",
        "price": "1",
    },
]


def test_trades_oldest_first() -> None:
    rejected: list[Status] = []
    out = parse_trades(orjson.dumps(TRADES), recv_ns=9, rejected=rejected)
    assert [(t.trade_id, t.side, t.price, t.volume, t.timestamp) for t in out] == [
        ("1232893231", "buy", 7399.5, 0.2, 1547999999001),
        ("1232893232", "sell", 7400.0, 0.15, 1548000000123),
    ]
    assert all(t.snapshot and t.recv_ns == 9 for t in out)
    assert len(rejected) == 1 and "not a finite number" in rejected[0].message
    with pytest.raises(GateioApiError):
        parse_trades(orjson.dumps([{**TRADES[0], "side": "ask"}]))


# Documented row order: [t (s), quote volume, close, high, low, open, base volume, closed].
CANDLES = [
    ["1539852540", "8.8123", "6.55", "6.57", "6.54", "6.56", "1.3447", "true"],
    ["1539852480", "2.1", "6.56", "6.6", "6.5", "6.51", "0.32", "true"],
    ["1539852600", "0.1", "6.55", "6.55", "6.55", "6.55", "0.015", "false"],
    ["1539852660", "1", "7", "6", "6.5", "6.5", "1", "false"],  # high below low
]


def test_candles_column_order() -> None:
    rejected: list[Status] = []
    out = parse_candles(orjson.dumps(CANDLES), "BTC_USDT", "1m", rejected=rejected)
    assert [c.open_time for c in out] == [1539852480000, 1539852540000, 1539852600000]
    c = out[1]
    assert isinstance(c, Candle)
    assert (c.interval, c.base, c.quote) == ("1m", "BTC", "USDT")
    assert (c.open, c.high, c.low, c.close) == (6.56, 6.57, 6.54, 6.55)
    assert (c.volume, c.quote_volume, c.closed) == (1.3447, 8.8123, True)
    assert out[2].closed is False
    assert len(rejected) == 1
    with pytest.raises(ValueError):
        parse_candles(orjson.dumps(CANDLES), "BTC_USDT", "3m")
    with pytest.raises(GateioApiError):
        parse_candles(orjson.dumps([["1", "2"]]), "BTC_USDT", "1m")


def test_every_pair_carries_the_recorded_tick_and_lot(pairs_body: str) -> None:
    """Gate.io states steps as decimals: ``precision`` for the price, ``amount_precision``
    for the size; the cockpit formats on them."""
    raw = {d["id"]: d for d in orjson.loads(pairs_body)}
    for m in parse_currency_pairs(pairs_body):
        assert m.tick == pytest.approx(10.0 ** -int(raw[m.symbol]["precision"])), m.symbol
        assert m.lot == pytest.approx(10.0 ** -int(raw[m.symbol]["amount_precision"])), m.symbol
    btc = next(m for m in parse_currency_pairs(pairs_body) if m.symbol == "BTC_USDT")
    assert btc.tick == pytest.approx(0.01) and btc.lot == pytest.approx(0.0001)
