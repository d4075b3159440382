"""The account's REST calls against the simulated Bithumb: balances, orders listed by state
(Bithumb's ``GET /v1/orders``), fees, and a missing permission said in words."""

from __future__ import annotations

import pytest

from dantaro_tui.feed.account_rest import AccountClient
from dantaro_tui.feed.rest import RestError
from dantaro_tui.sim.bithumb import KRW_FEE
from dantaro_tui.sim.jwt_auth import ORDERS_READ
from tests.private.helpers import Exchange, call, exchange, new_key


async def test_balances_orders_and_fees(bithumb: Exchange) -> None:
    creds = bithumb.creds()
    low = round(bithumb.book().bids[-1][0] * 0.5, -3)
    status, placed = await call(bithumb.rest, "POST", "/v1/orders", creds, {
        "market": "KRW-BTC", "side": "bid", "ord_type": "limit", "price": str(low),
        "volume": "0.01",
    })  # fmt: skip
    assert status == 201
    async with AccountClient(creds, hub=bithumb.hub) as account:
        balances = {b.currency: b for b in await account.accounts()}
        locked = low * 0.01 * (1 + KRW_FEE)
        assert balances["KRW"].locked == pytest.approx(locked)
        assert balances["BTC"].total == pytest.approx(0.5)
        open_ = await account.open_orders("KRW-BTC")
        assert [(o.uuid, o.side, o.price, o.volume) for o in open_] == [
            (placed["uuid"], "buy", low, 0.01)
        ]
        chance = await account.chance("KRW-BTC")
        assert chance.bid_fee == pytest.approx(KRW_FEE)
        await call(bithumb.rest, "DELETE", "/v1/order", creds, {"uuid": placed["uuid"]})
        closed = await account.closed_orders()
        assert [(o.uuid, o.state) for o in closed] == [(placed["uuid"], "cancel")]
        assert await account.open_orders() == []


async def test_orders_are_listed_by_state_never_open_and_closed_together(
    bithumb: Exchange,
) -> None:
    creds = bithumb.creds()
    status, body = await call(
        bithumb.rest, "GET", "/v1/orders", creds, {"states": ["wait", "done"]}
    )
    assert status == 400 and body["error"]["name"] == "invalid_parameter"
    status, body = await call(bithumb.rest, "GET", "/v1/orders", creds, {"limit": "101"})
    assert status == 400


async def test_a_key_without_asset_inquiry_is_told_which_permission_is_missing() -> None:
    key = new_key(permissions=frozenset({ORDERS_READ}))
    async for ex in exchange(key, venue="bithumb"):
        async with AccountClient(ex.creds(), hub=ex.hub) as account:
            with pytest.raises(RestError, match="자산조회"):
                await account.accounts()
            assert await account.open_orders() == []
