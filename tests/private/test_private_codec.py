"""The private codec on frames written the way the exchange writes them (the simulator's
writer, independent of the codec): both key formats agree, impossible values and control
characters never reach a trader."""

from __future__ import annotations

import orjson

from dantaro_tui.exchanges.upbit_private import decode_private
from dantaro_tui.model import MyAsset, MyOrder, Status
from dantaro_tui.sim.account import ASSET_SIMPLE, ORDER_SIMPLE, PaperOrder, _keys, order_frame

ORDER = PaperOrder(
    uuid="u-1", market="KRW-BTC", base="BTC", quote="KRW", side="ask", ord_type="limit",
    price=100_000_000.0, volume=0.02, fee_rate=0.0005, created_ms=1_700_000_000_000,
    identifier="my-id", remaining=0.02, reserved_fee=1000.0, locked=0.02,
)  # fmt: skip


def test_default_and_simple_frames_give_the_same_event() -> None:
    frame = order_frame(ORDER, 1_700_000_000_500, None)
    default = decode_private(orjson.dumps(frame), 7)
    simple = decode_private(orjson.dumps(_keys(frame, ORDER_SIMPLE)), 7)
    assert default == simple
    (ev,) = default
    assert isinstance(ev, MyOrder)
    assert (ev.side, ev.state, ev.price, ev.volume, ev.locked) == ("sell", "wait", 1e8, 0.02, 0.02)
    assert ev.identifier == "my-id" and ev.order_timestamp == 1_700_000_000_000


def test_an_asset_frame_gives_one_event_per_currency() -> None:
    body = {"type": "myAsset", "asset_uuid": "a", "timestamp": 5, "stream_type": "REALTIME",
            "assets": [{"currency": "KRW", "balance": 10.0, "locked": 1.0},
                       {"currency": "BTC", "balance": 0.5, "locked": 0.0}]}  # fmt: skip
    for frame in (body, _keys(body, ASSET_SIMPLE)):
        events = decode_private(orjson.dumps(frame), 1)
        assert [(e.currency, e.balance, e.locked) for e in events if isinstance(e, MyAsset)] == [
            ("KRW", 10.0, 1.0),
            ("BTC", 0.5, 0.0),
        ]


def test_impossible_values_and_control_characters_never_pass() -> None:
    negative = {**order_frame(ORDER, 1, None), "locked": -0.5}
    (ev,) = decode_private(orjson.dumps(negative), 1)
    assert isinstance(ev, Status) and ev.kind == "error" and "locked" in ev.message
    hostile = {**order_frame(ORDER, 1, None), "identifier": "x\x1b]2;owned\x07y"}
    (ev,) = decode_private(orjson.dumps(hostile), 1)
    assert isinstance(ev, MyOrder) and ev.identifier.isprintable()
    bad_code = {**order_frame(ORDER, 1, None), "code": "KRW-\x1b[2JBTC"}
    (ev,) = decode_private(orjson.dumps(bad_code), 1)
    assert isinstance(ev, Status) and ev.kind == "error"
    error = {"error": {"name": "INVALID_AUTH", "message": "인증 정보가 올바르지 않습니다."}}
    (ev,) = decode_private(orjson.dumps(error), 1, ("myAsset",))
    assert isinstance(ev, Status) and "자산조회" in ev.message and "주문조회" not in ev.message
