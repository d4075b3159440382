"""Coinone WebSocket codec. No recorded Coinone traffic exists: the frames below are the
protocol reference's examples and field lists (exchanges.md section 5) written out as
literal JSON, with the expected values worked out by hand, plus hostile frames."""

from __future__ import annotations

import random
from typing import Any

import orjson
import pytest
import websockets
from websockets.frames import Close

from dantaro_tui.exchanges import codec_class
from dantaro_tui.exchanges.coinone import CoinoneCodec
from dantaro_tui.feed.connection import _refused, explain
from dantaro_tui.model import Candle, Event, Level, OrderBook, Status, Ticker, Trade

NS = 1_000_000_000
T0 = 1_760_000_000 * NS  # an arbitrary receive clock

# exchanges.md 5.1 / 5.2, verbatim.
CONNECTED = (
    '{"response_type":"CONNECTED","data":{"session_id":"0f9c3c1e-2f1a-4a43-9f0e-8d9a1c2b3d4e"}}'
)
REQUEST = (
    '{"request_type":"SUBSCRIBE","channel":"ORDERBOOK","topic":{"quote_currency":"KRW",'
    '"target_currency":"BTC"},"format":"DEFAULT"}'
)
ACK = (
    '{"response_type":"SUBSCRIBED","channel":"ORDERBOOK","data":{"quote_currency":"KRW",'
    '"target_currency":"BTC"}}'
)
INVALID_TOPIC = '{"response_type":"ERROR","error_code":160012,"message":"Invalid Topic"}'
PONG = '{"response_type":"PONG"}'

# 5.3's ORDERBOOK fields; asks worst first as on the socket. Hand-checked: best ask
# 140,100,000 (the last ask), best bid 140,050,000; totals 0.3 + 1.25 = 1.55 asks and
# 0.5 + 2 = 2.5 bids.
BOOK = """{"response_type":"DATA","channel":"ORDERBOOK","data":{
 "quote_currency":"KRW","target_currency":"BTC","timestamp":1760000000123,
 "id":"1760000000123001",
 "asks":[{"price":"140200000","qty":"1.25"},{"price":"140100000","qty":"0.3"}],
 "bids":[{"price":"140050000","qty":"0.5"},{"price":"140000000","qty":"2"}]}}"""

# 5.3's TICKER fields. Hand-checked: change from yesterday_last 140,000,000 to last
# 141,400,000 is +1,400,000 = +1 %.
TICKER = """{"response_type":"DATA","channel":"TICKER","data":{
 "quote_currency":"KRW","target_currency":"BTC","timestamp":1760000000500,
 "quote_volume":"98765432100.5","target_volume":"702.123","high":"142000000",
 "low":"139000000","first":"140500000","last":"141400000","volume_power":"95.5",
 "ask_best_price":"141401000","ask_best_qty":"0.02","bid_best_price":"141399000",
 "bid_best_qty":"0.7","id":"1760000000500002","yesterday_high":"141000000",
 "yesterday_low":"138000000","yesterday_first":"139500000","yesterday_last":"140000000",
 "yesterday_quote_volume":"90000000000","yesterday_target_volume":"650.5"}}"""

# 5.3's TRADE fields: is_seller_maker true = the buyer took the offer = a taker BUY.
TRADE = """{"response_type":"DATA","channel":"TRADE","data":{
 "quote_currency":"KRW","target_currency":"XRP","id":"1760000000600001",
 "timestamp":1760000000600,"price":"3245","qty":"1500.5","is_seller_maker":true}}"""

# 5.3 CHART (fields unconfirmed): read as the REST chart row plus the topic.
CHART = """{"response_type":"DATA","channel":"CHART","data":{
 "quote_currency":"KRW","target_currency":"ETH","interval":"1m","timestamp":1760000040000,
 "open":"5000000","high":"5010000","low":"4990000","close":"5005000",
 "target_volume":"3.5","quote_volume":"17500000"}}"""

# 5.3's SHORT keys for the order book.
SHORT_BOOK = """{"r":"DATA","c":"ORDERBOOK","d":{"qc":"KRW","tc":"BTC","t":1760000000700,
 "i":"1760000000700001","a":[{"p":"140300000","q":"1"},{"p":"140200000","q":"2"}],
 "b":[{"p":"140100000","q":"3"}]}}"""


def _tc(frame: str, coin: str) -> str:
    return frame.replace('"target_currency":"BTC"', f'"target_currency":"{coin}"')


def _ack(channel: str, coin: str, interval: str | None = None) -> str:
    topic: dict[str, str] = {"quote_currency": "KRW", "target_currency": coin}
    if interval:
        topic["interval"] = interval
    return orjson.dumps({"response_type": "SUBSCRIBED", "channel": channel, "data": topic}).decode()


def _statuses(events: list[Event]) -> list[Status]:
    return [e for e in events if isinstance(e, Status)]


# -- requests ---------------------------------------------------------------------------


def test_the_registry_knows_coinone() -> None:
    assert codec_class("coinone") is CoinoneCodec


def test_a_subscription_is_the_documented_request_one_topic_a_frame() -> None:
    codec = CoinoneCodec()
    frames = codec.subscribe_frames({"orderbook": frozenset({"BTC/KRW"})}, {})
    assert [orjson.loads(f) for f in frames] == [orjson.loads(REQUEST)]
    frames = codec.subscribe_frames(
        {"ticker": frozenset({"BTC/KRW", "ETH/KRW"}), "candle.1h": frozenset({"BTC/KRW"})}, {}
    )
    sent = [orjson.loads(f) for f in frames]
    assert len(sent) == 3  # one topic a message
    assert {(m["channel"], m["topic"]["target_currency"]) for m in sent} == {
        ("TICKER", "BTC"),
        ("TICKER", "ETH"),
        ("CHART", "BTC"),
    }
    chart = next(m for m in sent if m["channel"] == "CHART")
    assert chart["topic"] == {"quote_currency": "KRW", "target_currency": "BTC", "interval": "1h"}
    assert all(m["request_type"] == "SUBSCRIBE" and m["format"] == "DEFAULT" for m in sent)


def test_subscriptions_add_so_only_the_difference_is_sent() -> None:
    codec = CoinoneCodec()
    current = {"trade": frozenset({"BTC/KRW", "XRP/KRW"})}
    frames = codec.subscribe_frames({"trade": frozenset({"BTC/KRW", "ETH/KRW"})}, current)
    sent = [orjson.loads(f) for f in frames]
    assert [(m["request_type"], m["topic"]["target_currency"]) for m in sent] == [
        ("UNSUBSCRIBE", "XRP"),
        ("SUBSCRIBE", "ETH"),
    ]
    assert codec.subscribe_frames(current, current) == []


def test_the_heartbeat_is_the_documented_ping() -> None:
    codec = CoinoneCodec()
    assert orjson.loads(codec.heartbeat_frame() or "") == {"request_type": "PING"}
    assert codec.decode(PONG, T0) == []
    assert codec.decode(CONNECTED, T0) == []


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("BTC/KRW", "BTC/KRW"),
        ("btc/krw", "BTC/KRW"),
        ("KRW-BTC", "BTC/KRW"),
        ("BTC-KRW", "BTC/KRW"),
        ("btc_krw", "BTC/KRW"),
        (" eth ", "ETH/KRW"),
    ],
)
def test_a_market_is_written_target_slash_quote(written: str, code: str) -> None:
    assert CoinoneCodec().normalize_symbol(written) == code


@pytest.mark.parametrize("written", ["", "BTC/", "/KRW", "BTC/KRW/X", "BT C", "BTC;KRW"])
def test_what_cannot_be_a_market_is_refused_in_words(written: str) -> None:
    with pytest.raises(ValueError, match="not a market on coinone"):
        CoinoneCodec().normalize_symbol(written)


@pytest.mark.parametrize("channel", ["bbo", "candle.10m", "orderbook5"])
def test_a_channel_coinone_lacks_is_refused_before_anything_is_sent(channel: str) -> None:
    with pytest.raises(ValueError, match="Coinone has no"):
        CoinoneCodec().validate_channel(channel)


# -- data -------------------------------------------------------------------------------


def test_a_book_arrives_best_first_with_its_totals_and_the_first_is_a_snapshot() -> None:
    codec = CoinoneCodec()
    (book,) = codec.decode(BOOK, T0)
    assert isinstance(book, OrderBook)
    assert (book.symbol, book.base, book.quote) == ("BTC/KRW", "BTC", "KRW")
    assert book.asks == (Level(140_100_000.0, 0.3), Level(140_200_000.0, 1.25))
    assert book.bids == (Level(140_050_000.0, 0.5), Level(140_000_000.0, 2.0))
    assert book.best_ask == 140_100_000.0 and book.best_bid == 140_050_000.0
    assert book.total_ask_size == pytest.approx(1.55)
    assert book.total_bid_size == pytest.approx(2.5)
    assert book.timestamp == 1_760_000_000_123 and book.recv_ns == T0
    assert book.snapshot  # the first book can be ~10 s old: not a latency sample
    newer = BOOK.replace("1760000000123001", "1760000000124001")
    (again,) = codec.decode(newer, T0 + 1)
    assert isinstance(again, OrderBook) and not again.snapshot


def test_an_older_book_never_replaces_a_newer_one() -> None:
    codec = CoinoneCodec()
    codec.decode(BOOK.replace("1760000000123001", "1760000000130001"), T0)
    assert codec.decode(BOOK, T0 + 1) == []  # id 1760000000123001 is older


def test_a_ticker_measures_its_change_from_the_previous_windows_last_price() -> None:
    (t,) = CoinoneCodec().decode(TICKER, T0)
    assert isinstance(t, Ticker)
    assert (t.symbol, t.trade_price, t.opening_price) == ("BTC/KRW", 141_400_000.0, 140_500_000.0)
    assert t.prev_closing_price == 140_000_000.0
    assert t.change_price == 1_400_000.0
    assert t.change_rate == pytest.approx(0.01)
    assert (t.high_price, t.low_price) == (142_000_000.0, 139_000_000.0)
    assert t.acc_trade_volume_24h == 702.123 and t.acc_trade_price_24h == 98_765_432_100.5
    assert (t.best_bid, t.best_ask) == (141_399_000.0, 141_401_000.0)
    assert t.timestamp == 1_760_000_000_500


@pytest.mark.parametrize(("maker_is_seller", "side"), [("true", "buy"), ("false", "sell")])
def test_a_trade_is_the_takers_side(maker_is_seller: str, side: str) -> None:
    frame = TRADE.replace('"is_seller_maker":true', f'"is_seller_maker":{maker_is_seller}')
    (t,) = CoinoneCodec().decode(frame, T0)
    assert isinstance(t, Trade)
    assert (t.symbol, t.price, t.volume, t.side) == ("XRP/KRW", 3245.0, 1500.5, side)
    assert (t.trade_id, t.timestamp) == ("1760000000600001", 1_760_000_000_600)


def test_a_chart_push_is_a_candle_of_its_interval() -> None:
    (c,) = CoinoneCodec().decode(CHART, T0)
    assert isinstance(c, Candle)
    assert (c.symbol, c.interval, c.open_time) == ("ETH/KRW", "1m", 1_760_000_040_000)
    assert (c.open, c.high, c.low, c.close) == (5_000_000.0, 5_010_000.0, 4_990_000.0, 5_005_000.0)
    assert (c.volume, c.quote_volume) == (3.5, 17_500_000.0)


def test_the_short_format_book_reads_like_the_default_one() -> None:
    (book,) = CoinoneCodec().decode(SHORT_BOOK, T0)
    assert isinstance(book, OrderBook) and book.symbol == "BTC/KRW"
    assert [lv.price for lv in book.asks] == [140_200_000.0, 140_300_000.0]
    assert book.bids == (Level(140_100_000.0, 3.0),)


def test_bytes_decode_like_text() -> None:
    (book,) = CoinoneCodec().decode(BOOK.encode(), T0)
    assert isinstance(book, OrderBook)


# -- acks, refusals, unserved topics ----------------------------------------------------


def test_an_unknown_coin_is_acknowledged_then_refused_and_named() -> None:
    codec = CoinoneCodec()
    codec.subscribe_frames({"orderbook": frozenset({"BTC/KRW", "NOPE/KRW"})}, {})
    assert codec.answers_subscriptions  # requests out, no answer yet
    codec.decode(ACK, T0)
    codec.decode(BOOK, T0 + 1000)  # BTC is served
    (ack,) = codec.decode(_ack("ORDERBOOK", "NOPE"), T0 + 2000)
    assert ack.kind == "status" and ack.symbol == "NOPE/KRW"  # acknowledged is not live
    (refusal,) = codec.decode(INVALID_TOPIC, T0 + 5_000_000)
    assert refusal.kind == "error" and refusal.symbol == "NOPE/KRW"
    assert "order book for NOPE/KRW" in refusal.message and "160012" in refusal.message
    assert codec.unserved() == [("orderbook", "NOPE/KRW")]
    # Coinone heard every request: silence is its answer, not a lost request.
    assert not codec.answers_subscriptions


def test_a_refusal_among_several_fresh_acks_is_named_once_the_others_deliver() -> None:
    codec = CoinoneCodec(unserved_after=5.0)
    codec.subscribe_frames({"ticker": frozenset({"BTC/KRW", "NOPE/KRW"})}, {})
    codec.decode(_ack("TICKER", "BTC"), T0)
    codec.decode(_ack("TICKER", "NOPE"), T0 + 1000)
    (refusal,) = codec.decode(INVALID_TOPIC, T0 + 5_000_000)
    assert refusal.symbol == "" and "without saying which" in refusal.message
    assert "NOPE/KRW" in refusal.message and "BTC/KRW" in refusal.message
    codec.decode(TICKER, T0 + 1 * NS)  # BTC delivers: only NOPE is left
    assert _statuses(codec.decode(TICKER, T0 + 2 * NS)) == []
    named = _statuses(codec.decode(TICKER, T0 + 6 * NS))
    assert [(s.code, s.symbol) for s in named] == [("unserved", "NOPE/KRW")]
    assert "probably does not list NOPE/KRW" in named[0].message
    assert _statuses(codec.decode(PONG, T0 + 20 * NS)) == []  # said once


def test_a_book_with_no_snapshot_after_its_ack_is_called_unserved() -> None:
    codec = CoinoneCodec(unserved_after=5.0)
    codec.subscribe_frames({"orderbook": frozenset({"BTC/KRW"})}, {})
    codec.decode(ACK, T0)
    assert codec.decode(PONG, T0 + 4 * NS) == []
    (late,) = codec.decode(PONG, T0 + 6 * NS)
    assert isinstance(late, Status) and late.code == "unserved" and late.symbol == "BTC/KRW"


def test_a_quiet_trade_tape_alone_is_not_a_fault() -> None:
    codec = CoinoneCodec(unserved_after=5.0)
    codec.subscribe_frames({"trade": frozenset({"XRP/KRW"})}, {})
    codec.decode(_ack("TRADE", "XRP"), T0)
    assert codec.decode(PONG, T0 + 60 * NS) == []
    assert codec.unserved() == [("trade", "XRP/KRW")]
    codec.decode(TRADE, T0 + 61 * NS)
    assert codec.unserved() == [] and codec.answers_subscriptions


def test_unsubscribing_forgets_the_topic_and_the_ack_says_so() -> None:
    codec = CoinoneCodec()
    codec.subscribe_frames({"trade": frozenset({"XRP/KRW"})}, {})
    codec.decode(_ack("TRADE", "XRP"), T0)
    codec.subscribe_frames({}, {"trade": frozenset({"XRP/KRW"})})
    assert codec.unserved() == [] and codec.answers_subscriptions
    frame = _ack("TRADE", "XRP").replace("SUBSCRIBED", "UNSUBSCRIBED")
    (done,) = codec.decode(frame, T0)
    assert isinstance(done, Status) and done.code == "unsubscribed" and done.symbol == "XRP/KRW"


def test_a_reconnect_forgets_what_the_old_socket_was_told() -> None:
    codec = CoinoneCodec()
    codec.subscribe_frames({"orderbook": frozenset({"BTC/KRW"})}, {})
    codec.decode(ACK, T0)
    codec.decode(BOOK, T0)
    codec.reset()
    assert codec.unserved() == [] and codec.answers_subscriptions
    (book,) = codec.decode(BOOK, T0)  # the same id again: a new session's snapshot
    assert isinstance(book, OrderBook) and book.snapshot


@pytest.mark.parametrize(
    ("frame", "words"),
    [
        (
            '{"response_type":"ERROR","error_code":160011,"message":"Invalid Type",'
            '"field":"channel"}',
            "a field of the request had a wrong value, code 160011 (Coinone says: "
            "Invalid Type, field channel)",
        ),
        (
            '{"response_type":"ERROR","error_code":160010,"message":"Invalid Request"}',
            "the request was not understood, code 160010",
        ),
        ('{"response_type":"ERROR","error_code":999,"message":"Odd"}', "code 999"),
    ],
)
def test_other_errors_are_said_in_words(frame: str, words: str) -> None:
    (s,) = CoinoneCodec().decode(frame, T0)
    assert isinstance(s, Status) and s.kind == "error" and words in s.message


def test_the_connection_limit_close_is_said_in_words_and_backed_off() -> None:
    closed = websockets.ConnectionClosedError(Close(4290, ""), None)
    said = explain(closed, CoinoneCodec())
    assert "at most 20 connections per IP address" in said and "4290" in said
    assert _refused(closed, CoinoneCodec())
    other = websockets.ConnectionClosedError(Close(1011, "oops"), None)
    assert not _refused(other, CoinoneCodec())


# -- hostile frames -----------------------------------------------------------------------

HOSTILE: list[tuple[str, str]] = [
    ("not json", "not JSON"),
    ("[1,2]", "not a JSON object"),
    ('{"response_type":"DATA","channel":"ORDERBOOK","data":[]}', "data is not an object"),
    ('{"response_type":"NEWS"}', "unknown response_type"),
    (BOOK.replace('"price":"140100000"', '"price":"NaN"'), "ask at NaN"),
    (BOOK.replace('"qty":"0.5"', '"qty":"-0.5"'), "negative"),
    (BOOK.replace('"price":"140050000"', '"price":"140150000"'), "at or above its best ask"),
    (TICKER.replace('"last":"141400000"', '"last":"-1"'), "not above zero"),
    (TICKER.replace('"ask_best_price":"141401000"', '"ask_best_price":"141000000"'), "best bid"),
    (TRADE.replace('"qty":"1500.5"', '"qty":"1e400"'), "not a finite number"),
    (TRADE.replace('"is_seller_maker":true', '"is_seller_maker":"yes"'), "is_seller_maker"),
    (TRADE.replace('"price":"3245"', '"price":null'), ""),
    (CHART.replace('"low":"4990000"', '"low":"5020000"'), "low"),
    (CHART.replace('"interval":"1m"', '"interval":"7m"'), "interval"),
    (TRADE.replace('"id":"1760000000600001"', '"id":"16\\u001b[2J"'), "unprintable"),
]


@pytest.mark.parametrize(("frame", "words"), HOSTILE)
def test_a_hostile_frame_becomes_one_readable_error_never_an_exception(
    frame: str, words: str
) -> None:
    events = CoinoneCodec().decode(frame, T0)
    assert len(events) == 1
    (s,) = events
    assert isinstance(s, Status) and s.kind == "error" and words in s.message
    assert s.message.isprintable()


def test_control_characters_never_reach_the_screen() -> None:
    codec = CoinoneCodec()
    evil = '{"response_type":"ERROR","error_code":160012,"message":"\\u001b]2;pwned\\u0007"}'
    (s,) = codec.decode(evil, T0)
    assert s.message.isprintable() and "\x1b" not in s.message  # type: ignore[union-attr]
    evil_coin = BOOK.replace('"target_currency":"BTC"', '"target_currency":"B\\u009bTC"')
    (bad,) = codec.decode(evil_coin, T0)
    assert isinstance(bad, Status) and bad.kind == "error"
    assert bad.message.isprintable() and bad.symbol.isprintable()


def _mutate(obj: Any, rng: random.Random) -> Any:
    if isinstance(obj, dict):
        out = {k: _mutate(v, rng) for k, v in obj.items()}
        if out and rng.random() < 0.1:
            del out[rng.choice(list(out))]
        return out
    if isinstance(obj, list):
        return [_mutate(v, rng) for v in obj][:: -1 if rng.random() < 0.1 else 1]
    if rng.random() < 0.15:
        return rng.choice(
            ["NaN", "-1", "0", "1e400", None, True, [], {}, "", "\x1b[2J", -5, "Infinity"]
        )
    return obj


def test_mutated_documented_frames_never_raise_nor_deliver_the_impossible() -> None:
    rng = random.Random(20260911)
    samples = [orjson.loads(f) for f in (BOOK, TICKER, TRADE, CHART, ACK, INVALID_TOPIC)]
    codec = CoinoneCodec()
    codec.subscribe_frames({"orderbook": frozenset({"BTC/KRW"})}, {})
    delivered = 0
    for i in range(3000):
        frame = orjson.dumps(_mutate(rng.choice(samples), rng))
        for ev in codec.decode(frame, T0 + i):
            if isinstance(ev, Status):
                assert ev.message.isprintable() and ev.symbol.isprintable()
                continue
            delivered += 1
            assert ev.symbol.isprintable()
            if isinstance(ev, OrderBook):
                levels = ev.bids + ev.asks
                assert all(0 < lv.price < float("inf") and lv.size >= 0 for lv in levels)
                if ev.bids and ev.asks:
                    assert ev.bids[0].price < ev.asks[0].price
            elif isinstance(ev, Ticker):
                assert 0 < ev.trade_price < float("inf") and ev.acc_trade_volume_24h >= 0
            elif isinstance(ev, Trade):
                assert 0 < ev.price < float("inf") and 0 < ev.volume < float("inf")
            elif isinstance(ev, Candle):
                assert 0 < ev.low <= min(ev.open, ev.close) <= max(ev.open, ev.close) <= ev.high
    assert delivered > 100  # most mutations leave a readable frame


def test_a_book_with_a_far_future_id_does_not_hide_the_books_after_it() -> None:
    codec = CoinoneCodec()
    codec.decode(BOOK.replace("1760000000123001", "99999999999999999999"), T0)
    newer = BOOK.replace("1760000000123001", "1760000000124001")
    (book,) = codec.decode(newer, T0 + 1)
    assert isinstance(book, OrderBook) and book.timestamp == 1_760_000_000_123
