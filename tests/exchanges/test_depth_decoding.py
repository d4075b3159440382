"""The fast book paths of the Binance and Gate.io codecs against what the slow paths say:
levels read straight into the book must give the same books, and whatever the fast path
cannot vouch for (numbers where strings belong, new keys, unreadable levels) must still be
read, or refused with a sentence, never shown wrong."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from dantaro_tui.exchanges.base import RestRequest
from dantaro_tui.exchanges.binance import BinanceCodec
from dantaro_tui.exchanges.gateio import GateioCodec
from dantaro_tui.model import Event, OrderBook, Status
from tests.recorded import load

NS = 1_000_000_000


@pytest.fixture(scope="module")
def binance_frames() -> list[tuple[int, str]]:
    return [(int(ts * NS), f) for ts, f in load("binance_ws.txt").received if isinstance(f, str)]


@pytest.fixture(scope="module")
def binance_snapshots() -> dict[str, tuple[int, bytes]]:
    return {
        url.split("symbol=")[1].split("&")[0]: (int(ts * NS), body.encode())
        for url, ts, body in load("binance_depth_rest.txt").rest
    }


def replay(
    codec: BinanceCodec,
    frames: list[tuple[int, Any]],
    snapshots: dict[str, tuple[int, bytes]],
) -> list[Event]:
    """The session in receive order, each snapshot handed over when it was received."""
    timeline = sorted(
        [(ns, 0, f) for ns, f in frames] + [(ns, 1, sym) for sym, (ns, _) in snapshots.items()]
    )
    asked: dict[str, RestRequest] = {}
    events: list[Event] = []
    for ns, kind, item in timeline:
        if kind == 0:
            events += codec.decode(item, ns)
            asked.update((r.key, r) for r in codec.rest_requests())
        else:
            events += codec.on_rest(asked.pop(f"depth:{item}"), 200, snapshots[item][1], ns)
    return events


def test_binance_bytes_frames_give_the_same_events_as_text(
    binance_frames: list[tuple[int, str]], binance_snapshots: dict[str, tuple[int, bytes]]
) -> None:
    as_text = replay(BinanceCodec(), binance_frames, binance_snapshots)
    as_bytes = replay(
        BinanceCodec(), [(ns, f.encode()) for ns, f in binance_frames], binance_snapshots
    )
    assert as_bytes == as_text
    assert sum(isinstance(e, OrderBook) for e in as_text) > 172
    assert not [e for e in as_text if isinstance(e, Status) and e.kind != "subscribed"]


def test_binance_delta_with_a_key_the_count_does_not_know_is_still_applied(
    binance_frames: list[tuple[int, str]], binance_snapshots: dict[str, tuple[int, bytes]]
) -> None:
    # A new key (futures streams carry "pu") makes the quote count differ: the slow path
    # reads the frame, and the books shown are the same as from the documented shape.
    def with_key(frame: str) -> str:
        if "@depth" not in frame:
            return frame
        msg = orjson.loads(frame)
        msg["data"]["pu"] = msg["data"]["U"] - 1
        return orjson.dumps(msg).decode()

    plain = replay(BinanceCodec(), binance_frames, binance_snapshots)
    keyed = replay(
        BinanceCodec(), [(ns, with_key(f)) for ns, f in binance_frames], binance_snapshots
    )
    assert keyed == plain


def test_binance_numbers_in_place_of_strings_are_unreadable_before_the_sync(
    binance_frames: list[tuple[int, str]],
) -> None:
    ns, frame = next((ns, f) for ns, f in binance_frames if "nknusdt@depth" in f)
    msg = orjson.loads(frame)
    msg["data"]["a"] = [[0.3528, 7231.0]]
    (err,) = BinanceCodec().decode(orjson.dumps(msg), ns)
    assert isinstance(err, Status) and (err.kind, err.code) == ("error", "malformed")
    assert "Ignored an unreadable Binance message" in err.message


def test_binance_snapshot_with_a_number_out_of_range_is_refused_and_asked_again(
    binance_frames: list[tuple[int, str]], binance_snapshots: dict[str, tuple[int, bytes]]
) -> None:
    codec = BinanceCodec()
    ns, frame = next((ns, f) for ns, f in binance_frames if "nknusdt@depth" in f)
    codec.decode(frame, ns)
    (req,) = codec.rest_requests()
    body = orjson.loads(binance_snapshots["NKNUSDT"][1])
    body["asks"][3][0] = "1e400"  # float("1e400") is infinity
    (err,) = codec.on_rest(req, 200, orjson.dumps(body), ns)
    assert isinstance(err, Status) and (err.kind, err.code) == ("error", "invalid")
    assert "an ask at infinity whose price is not a finite number" in err.message
    assert codec.book("NKNUSDT") is None
    assert [r.key for r in codec.rest_requests()] == ["depth:NKNUSDT"]


def gate_update(first: int, last: int, bids: list[Any], asks: list[Any]) -> str:
    result = {"t": 5, "s": "BTC_USDT", "U": first, "u": last, "b": bids, "a": asks}
    msg = {"time": 1, "channel": "spot.order_book_update", "event": "update", "result": result}
    return orjson.dumps(msg).decode()


def gate_synced() -> GateioCodec:
    c = GateioCodec(depth=2, clock=lambda: 1000.0)
    c.subscribe_frames({"orderbook": frozenset({"BTC_USDT"})}, {})
    c.decode(gate_update(99, 100, [], []), 1)
    (req,) = c.rest_requests()
    snap = {"id": 100, "bids": [["100", "1"], ["99", "2"]], "asks": [["101", "1"], [102, 2]]}
    (book,) = c.on_rest(req, 200, orjson.dumps(snap), 2)  # numbers read too, on REST
    assert isinstance(book, OrderBook) and book.asks[1].price == 102.0
    return c


def test_gateio_unreadable_level_in_a_live_update_resyncs_at_once() -> None:
    c = gate_synced()
    events = c.decode(gate_update(101, 101, [["abc", "1"]], []), 3)
    assert [(e.kind, e.code) for e in events if isinstance(e, Status)] == [
        ("error", "malformed"),
        ("resync", "malformed"),
    ]
    assert c.book("BTC_USDT") is None
    assert [r.key for r in c.rest_requests()] == ["depth:BTC_USDT"]


def test_gateio_delta_deeper_than_the_view_still_shows_the_book() -> None:
    c = gate_synced()
    (first,) = c.decode(gate_update(101, 101, [["98", "7"]], []), 3)  # below the 2 shown
    assert isinstance(first, OrderBook) and first.timestamp == 5
    assert [(x.price, x.size) for x in first.bids] == [(100.0, 1.0), (99.0, 2.0)]
    (second,) = c.decode(gate_update(102, 102, [["99", "0"]], []), 4)  # 98 comes into view
    assert isinstance(second, OrderBook)
    assert [(x.price, x.size) for x in second.bids] == [(100.0, 1.0), (98.0, 7.0)]
    assert second.total_bid_size == 8.0
