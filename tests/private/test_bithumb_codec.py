"""Bithumb's myOrder v2 and myAsset frames, written by the simulator's Bithumb writer (which
never imports the codec): both key formats agree, the v2 fields land where a trader reads
them, impossible values and control characters never pass."""

from __future__ import annotations

import orjson

from dantaro_tui.exchanges.bithumb_private import decode_private
from dantaro_tui.model import MyAsset, MyOrder, Status
from dantaro_tui.sim.account import (
    ASSET_SIMPLE,
    BITHUMB_ORDER_SIMPLE,
    Fill,
    PaperOrder,
    _keys,
    bithumb_order_frame,
)


def order(**changes: object) -> PaperOrder:
    base = PaperOrder(
        uuid="o-1", market="KRW-ETH", base="ETH", quote="KRW", side="ask", ord_type="limit",
        price=5_000_000.0, volume=0.4, fee_rate=0.0004, created_ms=1_700_000_000_000,
        identifier="mine-1", remaining=0.4, reserved_fee=800.0, locked=0.4,
    )  # fmt: skip
    for name, value in changes.items():
        setattr(base, name, value)
    return base


def test_default_and_simple_agree_and_map_the_v2_fields() -> None:
    frame = bithumb_order_frame(order(), 1_700_000_000_900, None)
    assert "uuid" not in frame and frame["side"] == "sell"  # v2 names, not Upbit's
    default = decode_private(orjson.dumps(frame), 3)
    simple = decode_private(orjson.dumps(_keys(frame, BITHUMB_ORDER_SIMPLE)), 3)
    assert default == simple
    (ev,) = default
    assert isinstance(ev, MyOrder) and ev.exchange == "bithumb"
    assert (ev.uuid, ev.side, ev.state, ev.order_type) == ("o-1", "sell", "wait", "limit")
    assert (ev.price, ev.volume, ev.remaining_volume) == (5_000_000.0, 0.4, 0.4)
    assert ev.identifier == "mine-1" and ev.order_timestamp == 1_700_000_000_000
    assert ev.trade_fee is None and ev.is_maker is None  # v2 does not say; never guessed


def test_a_fill_reports_its_own_price_and_quantity_and_the_average() -> None:
    paper = order(executed_volume=0.1, executed_funds=500_100.0, remaining=0.3, paid_fee=200.04)
    fill = Fill("t-9", 5_001_000.0, 0.1, 500_100.0, 200.04, True, 1_700_000_000_500)
    (ev,) = decode_private(orjson.dumps(bithumb_order_frame(paper, 1_700_000_000_600, fill)), 1)
    assert isinstance(ev, MyOrder) and ev.state == "trade"
    assert (ev.price, ev.volume, ev.trade_uuid) == (5_001_000.0, 0.1, "t-9")
    assert ev.avg_price == 500_100.0 / 0.1
    assert (ev.executed_volume, ev.remaining_volume, ev.paid_fee) == (0.1, 0.3, 200.04)
    assert ev.trade_timestamp == 1_700_000_000_500


def test_a_market_buy_carries_its_total_as_price() -> None:
    paper = order(side="bid", ord_type="price", price=100_000.0, volume=None, remaining=100_000.0)
    (ev,) = decode_private(orjson.dumps(bithumb_order_frame(paper, 1, None)), 1)
    assert isinstance(ev, MyOrder)
    assert (ev.side, ev.order_type, ev.price, ev.volume) == ("buy", "price", 100_000.0, None)


def test_assets_keep_upbits_shape() -> None:
    body = {"type": "myAsset", "asset_uuid": "a", "timestamp": 5, "stream_type": "REALTIME",
            "assets": [{"currency": "KRW", "balance": 10.0, "locked": 2.5}]}  # fmt: skip
    for frame in (body, _keys(body, ASSET_SIMPLE)):
        (ev,) = decode_private(orjson.dumps(frame), 1)
        assert isinstance(ev, MyAsset)
        assert (ev.exchange, ev.currency, ev.balance, ev.locked) == ("bithumb", "KRW", 10.0, 2.5)


def test_impossible_values_and_control_characters_never_pass() -> None:
    frame = bithumb_order_frame(order(), 1, None)
    (ev,) = decode_private(orjson.dumps({**frame, "executed_quantity": -1.0}), 1)
    assert isinstance(ev, Status) and ev.kind == "error" and "executed_quantity" in ev.message
    (ev,) = decode_private(orjson.dumps({**frame, "code": "KRW-\x1b[2JETH"}), 1)
    assert isinstance(ev, Status) and ev.kind == "error"
    (ev,) = decode_private(orjson.dumps({**frame, "client_order_id": "a\x1b]0;x\x07b"}), 1)
    assert isinstance(ev, MyOrder) and ev.identifier.isprintable()
    (ev,) = decode_private(b"{not json", 1)
    assert isinstance(ev, Status) and "Bithumb" in ev.message
