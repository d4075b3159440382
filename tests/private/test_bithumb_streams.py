"""Bithumb's myOrder (v2) and myAsset through the public client API, against the simulated
Bithumb's paper account: the same events a trader gets from Upbit, field by field."""

from __future__ import annotations

from functools import partial

import pytest

from dantaro_tui.credentials import CredentialsError
from dantaro_tui.feed.client import WebSocketClient
from dantaro_tui.feed.private import PrivateStreamError
from dantaro_tui.model import MyAsset, MyOrder
from dantaro_tui.sim.bithumb import KRW_FEE
from dantaro_tui.sim.jwt_auth import ASSETS, ORDERS_WRITE
from tests.private.helpers import Exchange, call, exchange, new_key, until


async def subscribed(ex: Exchange) -> tuple[WebSocketClient, list[MyOrder], list[MyAsset]]:
    client = WebSocketClient("bot", "bithumb", hub=ex.hub, credentials=ex.creds())
    orders: list[MyOrder] = []
    assets: list[MyAsset] = []
    await client.subscribe_my_order(orders.append)
    await client.subscribe_my_asset(assets.append)
    return client, orders, assets


def states(orders: list[MyOrder], uuid: str) -> list[str]:
    return [o.state for o in orders if o.uuid == uuid]


async def test_a_marketable_limit_buy_flows_wait_trade_done(bithumb: Exchange) -> None:
    client, orders, assets = await subscribed(bithumb)
    assert client.health().state == "connected"
    price = bithumb.book().asks[3][0]
    volume = 0.05
    status, placed = await call(bithumb.rest, "POST", "/v1/orders", bithumb.creds(), {
        "market": "KRW-BTC", "side": "bid", "ord_type": "limit", "price": str(price),
        "volume": str(volume),
    })  # fmt: skip
    assert status == 201
    uuid = placed["uuid"]
    await until(lambda: "done" in states(orders, uuid))
    seen = states(orders, uuid)
    assert seen == ["wait", *["trade"] * (len(seen) - 2), "done"] and len(seen) >= 3
    fills = [o for o in orders if o.uuid == uuid and o.state == "trade"]
    done = next(o for o in orders if o.uuid == uuid and o.state == "done")
    assert all(f.exchange == "bithumb" and f.side == "buy" and f.symbol == "KRW-BTC" for f in fills)
    assert all(f.price is not None and f.price <= price for f in fills)
    assert sum(f.volume or 0.0 for f in fills) == pytest.approx(volume)
    funds = sum((f.price or 0.0) * (f.volume or 0.0) for f in fills)
    assert done.executed_volume == pytest.approx(volume)
    assert done.avg_price == pytest.approx(funds / volume)
    assert done.paid_fee == pytest.approx(funds * KRW_FEE)  # Bithumb's 0.04 %
    await until(lambda: any(a.currency == "BTC" for a in assets) and assets[-1].locked == 0.0)
    btc = [a for a in assets if a.currency == "BTC"][-1]
    krw = [a for a in assets if a.currency == "KRW"][-1]
    assert btc.balance == pytest.approx(0.5 + volume)
    assert krw.balance == pytest.approx(50_000_000.0 - funds - done.paid_fee, abs=0.02)
    await client.cleanup()


async def test_a_reconnect_signs_a_fresh_token_and_restores_the_streams(bithumb: Exchange) -> None:
    client, orders, _ = await subscribed(bithumb)
    await bithumb.sim.drop_all()
    await until(lambda: client.health().reconnects >= 1 and client.health().state == "connected")
    status, placed = await call(bithumb.rest, "POST", "/v1/orders", bithumb.creds(), {
        "market": "KRW-BTC", "side": "ask", "ord_type": "market", "volume": "0.001",
    })  # fmt: skip
    assert status == 201
    uuid = placed["uuid"]
    await until(lambda: {"done", "cancel"} & set(states(orders, uuid)) != set())
    assert states(orders, uuid)[0] == "wait"
    await client.cleanup()


async def test_a_key_without_order_inquiry_is_refused_in_words() -> None:
    key = new_key(permissions=frozenset({ASSETS, ORDERS_WRITE}))
    async for venue in exchange(key, venue="bithumb"):
        client = WebSocketClient("bot", "bithumb", hub=venue.hub, credentials=venue.creds())
        with pytest.raises(PrivateStreamError, match="주문조회"):
            await client.subscribe_my_order(lambda _: None)
        assert "Bithumb" in client.health().last_error
        # Refused: the socket is let go, not redialled with the same key forever.
        await until(partial(lambda sim: sim.connections == 0, venue.sim))
        await client.cleanup()


async def test_no_keys_is_said_with_bithumbs_variables(bithumb: Exchange) -> None:
    client = WebSocketClient("bot", "bithumb", hub=bithumb.hub)
    with pytest.raises(CredentialsError, match="DANTARO_BITHUMB_ACCESS_KEY"):
        await client.subscribe_my_asset(lambda _: None)
    await client.cleanup()
