"""The account's REST calls against the paper account: balances, orders, fees, and a key
without the needed permission said in words."""

from __future__ import annotations

import asyncio

import pytest

from dantaro_tui.exchanges.upbit_account_rest import parse_orders
from dantaro_tui.feed.account_rest import AccountClient
from dantaro_tui.feed.hub import FeedHub
from dantaro_tui.feed.rest import RestError
from dantaro_tui.sim.jwt_auth import ORDERS_READ
from dantaro_tui.sim.server import SimServer
from tests.private.helpers import Exchange, call, creds_of, exchange, new_key


async def test_balances_orders_and_fees(ex: Exchange) -> None:
    creds = creds_of(ex.keys[0])
    low = round(ex.book().bids[-1][0] * 0.5, -3)
    status, placed = await call(ex.rest, "POST", "/v1/orders", creds, {
        "market": "KRW-BTC", "side": "bid", "ord_type": "limit", "price": str(low),
        "volume": "0.01",
    })  # fmt: skip
    assert status == 201
    async with AccountClient(creds, hub=ex.hub) as account:
        balances = {b.currency: b for b in await account.accounts()}
        assert balances["BTC"].total == pytest.approx(0.5)
        locked = low * 0.01 * 1.0005  # the order's value and its fee are held
        assert balances["KRW"].locked == pytest.approx(locked)
        assert balances["KRW"].balance == pytest.approx(50_000_000.0 - locked)
        open_ = await account.open_orders("KRW-BTC")
        assert [o.uuid for o in open_] == [placed["uuid"]]
        assert open_[0].side == "buy" and open_[0].price == low and open_[0].volume == 0.01
        chance = await account.chance("KRW-BTC")
        assert chance.bid_fee == pytest.approx(0.0005) and chance.min_total == 5000.0
        await call(ex.rest, "DELETE", "/v1/order", creds, {"uuid": placed["uuid"]})
        closed = await account.closed_orders()
        assert [(o.uuid, o.state) for o in closed] == [(placed["uuid"], "cancel")]
        assert await account.open_orders() == []


async def test_a_key_without_asset_inquiry_is_told_which_permission_is_missing() -> None:
    key = new_key(permissions=frozenset({ORDERS_READ}))
    async for ex in exchange(key):
        async with AccountClient(creds_of(key), hub=ex.hub) as account:
            with pytest.raises(RestError, match="자산조회"):
                await account.accounts()
            assert await account.open_orders() == []


def test_an_order_time_without_offset_is_read_as_korean_time() -> None:
    # An order row's time must not shift with the zone of the machine showing it.
    row = {"uuid": "u1", "side": "bid", "ord_type": "limit", "state": "wait"}
    row |= {"market": "KRW-BTC", "price": "100", "volume": "1"}
    with_offset = parse_orders([{**row, "created_at": "2024-07-02T10:41:13+09:00"}])
    without = parse_orders([{**row, "created_at": "2024-07-02T10:41:13"}])
    assert without[0].created_at == with_offset[0].created_at


async def test_two_clients_of_one_key_share_its_budget_and_a_burst_is_never_refused() -> None:
    """The exchange counts account requests per key pair (30/s): a bot and the cockpit on
    the same key must queue behind one budget, and each retry must be signed anew."""
    key = new_key()
    sim = SimServer(seed=5, step_interval=0.05, rate_limits=True, venues=["upbit"], accounts=[key])
    await sim.start()
    hub = FeedHub()
    hub.set_endpoint("upbit", ws=sim.endpoints["upbit"]["ws"], rest=sim.endpoints["upbit"]["rest"])
    try:
        async with (
            AccountClient(creds_of(key), hub=hub) as bot,
            AccountClient(creds_of(key), hub=hub) as cockpit,
        ):
            calls = [c.accounts() for c in (bot, cockpit) for _ in range(40)]
            replies = await asyncio.gather(*calls, return_exceptions=True)
            # Not one request went over the budget: no 429 had to be retried.
            assert bot._http.retries + cockpit._http.retries == 0
        refused = [r for r in replies if isinstance(r, BaseException)]
        assert refused == [], f"{len(refused)} of 80 refused: {refused[:1]}"
        assert all(any(b.currency == "KRW" for b in r) for r in replies)  # type: ignore[union-attr]
    finally:
        await hub.close()
        await sim.stop()
