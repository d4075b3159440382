"""Bithumb v1 WebSocket codec, checked against frames written from the exchange reference
(section 6: field lists and the SIMPLE sample, values read off by hand) and against the real
recorded Upbit frames, whose wire format Bithumb copied."""

from __future__ import annotations

import orjson
import pytest

from dantaro_tui.exchanges import codec_class
from dantaro_tui.exchanges.base import RateLimit
from dantaro_tui.exchanges.bithumb import BithumbCodec, book_timestamp_ms, build_request
from dantaro_tui.exchanges.upbit import UpbitCodec
from dantaro_tui.model import OrderBook, Status, Ticker, Trade
from tests.recorded import load

# The SIMPLE sample of exchanges.md 6.3, with the microsecond timestamp 6.3 describes.
DOC_BOOK = (
    b'{"ty":"orderbook","cd":"KRW-BTC","tas":0.1823,"tbs":6.9593,'
    b'"obu":[{"ap":116279000,"bp":116267000,"as":0.0892,"bs":0.0084}],'
    b'"tms":1755066412345678,"st":"REALTIME"}'
)


def default_ticker(**over: object) -> bytes:
    """A DEFAULT ticker with the Upbit field set 6.3 names (KST date and time)."""
    row: dict[str, object] = {
        "type": "ticker", "code": "KRW-BTC", "opening_price": 116000000,
        "high_price": 117000000, "low_price": 115500000, "trade_price": 116279000,
        "prev_closing_price": 115900000, "change": "RISE", "change_price": 379000,
        "signed_change_price": 379000, "change_rate": 0.0032700604,
        "signed_change_rate": 0.0032700604, "trade_volume": 0.0012,
        "acc_trade_volume_24h": 1234.5678, "acc_trade_price_24h": 143000000000.5,
        "trade_date": "20250813", "trade_time": "150652", "trade_timestamp": 1755065212000,
        "market_state": "ACTIVE", "is_trading_suspended": False, "delisting_date": None,
        "market_warning": "NONE", "timestamp": 1755065212345, "stream_type": "REALTIME",
    }  # fmt: skip
    row.update(over)
    return orjson.dumps(row)


def test_the_documented_simple_book_decodes_with_its_values() -> None:
    (book,) = BithumbCodec().decode(DOC_BOOK, 42)
    assert isinstance(book, OrderBook)
    assert (book.exchange, book.symbol, book.base, book.quote) == (
        "bithumb",
        "KRW-BTC",
        "BTC",
        "KRW",
    )
    assert [(lv.price, lv.size) for lv in book.bids] == [(116267000.0, 0.0084)]
    assert [(lv.price, lv.size) for lv in book.asks] == [(116279000.0, 0.0892)]
    assert (book.total_bid_size, book.total_ask_size) == (6.9593, 0.1823)
    assert book.timestamp == 1755066412345  # microseconds on the wire, ms in the event
    assert book.recv_ns == 42 and not book.snapshot


def test_padding_and_sizes_printed_as_zero_never_reach_the_book() -> None:
    units = [
        {"ask_price": 100.5, "bid_price": 100.0, "ask_size": 1.25, "bid_size": 0},  # live, "0"
        {"ask_price": 101.0, "bid_price": 99.5, "ask_size": 0, "bid_size": 3.5},
        {"ask_price": 0, "bid_price": 99.0, "ask_size": 0, "bid_size": 2.0},  # thin ask side
        {"ask_price": 0, "bid_price": 0, "ask_size": 0, "bid_size": 0},  # padding
    ]
    frame = orjson.dumps(
        {"type": "orderbook", "code": "KRW-XRP", "total_ask_size": 1.25, "total_bid_size": 5.5,
         "orderbook_units": units, "level": 1, "timestamp": 1755066412000001,
         "stream_type": "SNAPSHOT"}
    )  # fmt: skip
    (book,) = BithumbCodec().decode(frame, 1)
    assert isinstance(book, OrderBook) and book.snapshot
    assert [(lv.price, lv.size) for lv in book.bids] == [(99.5, 3.5), (99.0, 2.0)]
    assert [(lv.price, lv.size) for lv in book.asks] == [(100.5, 1.25)]
    assert book.timestamp == 1755066412000


def test_book_time_is_read_as_microseconds_only_when_it_is() -> None:
    assert book_timestamp_ms(1755066412345678) == 1755066412345
    assert book_timestamp_ms(1755066412345) == 1755066412345  # already ms (REST)


def test_default_ticker_and_a_market_warning_notice() -> None:
    codec = BithumbCodec(format="DEFAULT")
    (t,) = codec.decode(default_ticker(), 7)
    assert isinstance(t, Ticker) and t.exchange == "bithumb"
    assert (t.trade_price, t.change_price, t.change_rate) == (116279000.0, 379000.0, 0.0032700604)
    assert (t.acc_trade_volume_24h, t.acc_trade_price_24h) == (1234.5678, 143000000000.5)
    assert t.timestamp == 1755065212345
    ticker, notice = codec.decode(default_ticker(market_warning="CAUTION"), 8)
    assert isinstance(ticker, Ticker)
    assert isinstance(notice, Status) and notice.kind == "notice" and notice.symbol == "KRW-BTC"
    assert "investment warning" in notice.message
    assert len(codec.decode(default_ticker(market_warning="CAUTION"), 9)) == 1  # said once
    lifted = codec.decode(default_ticker(market_warning="NONE"), 10)
    assert isinstance(lifted[1], Status) and "lifted" in lifted[1].message


def test_default_trade_from_the_documented_fields() -> None:
    frame = orjson.dumps(
        {"type": "trade", "code": "BTC-ETH", "trade_price": 0.0265, "trade_volume": 1.5,
         "ask_bid": "ASK", "trade_date": "2025-08-13", "trade_time": "15:06:52",
         "trade_timestamp": 1755065212000, "sequential_id": 17550652120000001,
         "timestamp": 1755065212050, "stream_type": "REALTIME"}
    )  # fmt: skip
    (tr,) = BithumbCodec().decode(frame, 3)
    assert isinstance(tr, Trade)
    assert (tr.symbol, tr.base, tr.quote) == ("BTC-ETH", "ETH", "BTC")
    assert (tr.price, tr.volume, tr.side) == (0.0265, 1.5, "sell")
    assert tr.trade_id == "17550652120000001" and tr.timestamp == 1755065212000


def test_recorded_upbit_frames_decode_alike_under_bithumbs_name() -> None:
    """Bithumb's stream is Upbit's wire format: every real recorded trade decodes to the same
    values, with Bithumb's name on it."""
    frames = [f for _, f in load("upbit_ws.txt").received if b'"ty":"trade"' in f]
    assert len(frames) >= 300
    bithumb, upbit = BithumbCodec(), UpbitCodec()
    for frame in frames:
        (mine,) = bithumb.decode(frame, 1)
        (theirs,) = upbit.decode(frame, 1)
        assert isinstance(mine, Trade) and isinstance(theirs, Trade)
        assert mine.exchange == "bithumb"
        assert (mine.symbol, mine.price, mine.volume, mine.side, mine.trade_id, mine.timestamp) == (
            theirs.symbol,
            theirs.price,
            theirs.volume,
            theirs.side,
            theirs.trade_id,
            theirs.timestamp,
        )


def test_requests_use_camel_case_flags_and_replace_the_whole_set() -> None:
    codec = BithumbCodec(ticket="t1", only_realtime=True, orderbook_depth=5)
    (frame,) = codec.subscribe_frames(
        {"trade": frozenset({"krw-btc"}), "orderbook": frozenset({"KRW-ETH", "KRW-BTC"})}, {}
    )
    assert orjson.loads(frame) == [
        {"ticket": "t1"},
        {"type": "trade", "codes": ["KRW-BTC"], "isOnlyRealtime": True},
        {"type": "orderbook", "codes": ["KRW-BTC.5", "KRW-ETH.5"], "isOnlyRealtime": True},
        {"format": "SIMPLE"},
    ]
    assert not codec.answers_subscriptions  # realtime only: silence proves nothing
    same = {"trade": frozenset({"KRW-BTC"})}
    assert codec.subscribe_frames(same, same) == []


def test_what_bithumb_does_not_have_is_refused_in_words() -> None:
    codec = BithumbCodec()
    with pytest.raises(ValueError, match="no candles"):
        codec.validate_channel("candle.1m")
    with pytest.raises(ValueError, match="depth"):
        BithumbCodec(orderbook_depth=30)  # 15 levels a push at most
    with pytest.raises(ValueError, match="format"):
        BithumbCodec(format="JSON_LIST")
    with pytest.raises(ValueError, match="format"):
        build_request({"ticker": ["KRW-BTC"]}, ticket="x", fmt="SIMPLE_LIST")
    assert codec.normalize_symbol("btc_krw") == "KRW-BTC" == codec.normalize_symbol("krw-btc")


def test_registered_with_its_own_limits() -> None:
    cls = codec_class("bithumb")
    assert cls is BithumbCodec
    assert cls.connect_limits == (RateLimit(10, 1.0),)
    assert cls.default_ws_url == "wss://ws-api.bithumb.com/websocket/v1"
    assert cls.ping_frame == "PING"


def test_error_frames_and_status_are_sentences() -> None:
    codec = BithumbCodec()
    (err,) = codec.decode(b'{"error":{"name":"NO_TICKET","message":"\\u001b]2;x\\u0007no"}}', 1)
    assert isinstance(err, Status) and err.kind == "error" and err.code == "NO_TICKET"
    assert "Bithumb rejected" in err.message and "\x1b" not in err.message
    (up,) = codec.decode(b'{"status":"UP"}', 1)
    assert isinstance(up, Status) and up.kind == "status"


HOSTILE: list[bytes] = [
    b"",
    b"not json",
    b"[1,2",
    b"null",
    b"[]",
    b'{"ty":"orderbook"}',
    b'{"ty":"nope","cd":"KRW-BTC"}',
    b'{"ty":"trade","cd":"KRW-\\u001b[2JBTC","tp":1,"tv":1,"ab":"BID","sid":1,"ttms":1}',
    b'{"ty":"trade","cd":"KRW-BTC","tp":-5,"tv":1,"ab":"BID","sid":1,"ttms":1}',
    b'{"ty":"trade","cd":"KRW-BTC","tp":1e400,"tv":1,"ab":"BID","sid":1,"ttms":1}',
    b'{"ty":"trade","cd":"KRW-BTC","tp":1,"tv":1,"ab":"HOLD","sid":1,"ttms":1}',
    DOC_BOOK.replace(b'"bp":116267000', b'"bp":116290000'),  # crossed
    DOC_BOOK.replace(b'"as":0.0892', b'"as":-0.0892'),
    DOC_BOOK.replace(b'"tas":0.1823', b'"tas":"x"'),
]


@pytest.mark.parametrize("frame", HOSTILE)
def test_garbage_becomes_a_counted_error_never_an_exception(frame: bytes) -> None:
    events = BithumbCodec().decode(frame, 1)
    assert events, "a bad frame must be reported"
    for ev in events:
        assert isinstance(ev, Status) and ev.kind == "error" and ev.exchange == "bithumb"
        assert ev.message.isprintable()


def test_hostile_frames_in_a_stream_cost_only_themselves() -> None:
    codec = BithumbCodec()
    stream = [DOC_BOOK, *HOSTILE, DOC_BOOK]
    events = [ev for f in stream for ev in codec.decode(f, 1)]
    books = [ev for ev in events if isinstance(ev, OrderBook)]
    errors = [ev for ev in events if isinstance(ev, Status) and ev.kind == "error"]
    assert len(books) == 2 and len(errors) == len(HOSTILE)
