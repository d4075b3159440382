"""myOrder and myAsset through the public client API, against the simulator's paper account:
orders placed over REST (as a trading script would) come back as typed events, in order."""

from __future__ import annotations

from functools import partial

import pytest

from dantaro_tui.credentials import CredentialsError
from dantaro_tui.feed.client import WebSocketClient
from dantaro_tui.feed.private import PrivateStreamError
from dantaro_tui.model import MyAsset, MyOrder
from dantaro_tui.sim.jwt_auth import ASSETS, ORDERS_WRITE
from tests.private.helpers import Exchange, call, creds_of, exchange, new_key, until


async def subscribed(
    ex: Exchange, name: str = "bot"
) -> tuple[WebSocketClient, list[MyOrder], list[MyAsset]]:
    client = WebSocketClient(name, hub=ex.hub, credentials=creds_of(ex.keys[0]))
    orders: list[MyOrder] = []
    assets: list[MyAsset] = []
    await client.subscribe_my_order(orders.append)
    await client.subscribe_my_asset(assets.append)
    return client, orders, assets


def states(orders: list[MyOrder], uuid: str) -> list[str]:
    return [o.state for o in orders if o.uuid == uuid]


async def test_a_marketable_limit_buy_flows_wait_trade_done_with_balances(ex: Exchange) -> None:
    client, orders, assets = await subscribed(ex)
    health = client.health()
    assert health.state == "connected", health
    # Marketable: a limit a few ticks above the best ask fills at once, at the book's prices.
    price = ex.book().asks[3][0]
    volume = 0.05
    status, placed = await call(
        ex.rest,
        "POST",
        "/v1/orders",
        creds_of(ex.keys[0]),
        {"market": "KRW-BTC", "side": "bid", "ord_type": "limit", "price": str(price),
         "volume": str(volume)},
    )  # fmt: skip
    assert status == 201
    uuid = placed["uuid"]
    await until(lambda: "done" in states(orders, uuid))
    seen = states(orders, uuid)
    assert seen[0] == "wait" and seen[-1] == "done" and seen.count("trade") >= 1
    assert seen == ["wait", *["trade"] * (len(seen) - 2), "done"]
    fills = [o for o in orders if o.uuid == uuid and o.state == "trade"]
    done = next(o for o in orders if o.uuid == uuid and o.state == "done")
    # Field by field: what a trader reads from the events.
    assert all(f.side == "buy" and f.symbol == "KRW-BTC" and f.base == "BTC" for f in fills)
    assert all(f.is_maker is False and f.price is not None and f.price <= price for f in fills)
    assert sum(f.volume or 0.0 for f in fills) == pytest.approx(volume)
    assert done.executed_volume == pytest.approx(volume)
    assert done.remaining_volume == pytest.approx(0.0)
    assert done.trades_count == len(fills)
    funds = sum((f.price or 0.0) * (f.volume or 0.0) for f in fills)
    assert done.avg_price == pytest.approx(funds / volume)
    assert done.paid_fee == pytest.approx(sum(f.trade_fee or 0.0 for f in fills))
    assert done.paid_fee == pytest.approx(funds * 0.0005)  # Upbit's KRW-market fee
    # Balances: the BTC bought arrived, the KRW spent (with the fee) left, nothing locked.
    await until(lambda: any(a.currency == "BTC" for a in assets) and assets[-1].locked == 0.0)
    btc = [a for a in assets if a.currency == "BTC"][-1]
    krw = [a for a in assets if a.currency == "KRW"][-1]
    assert btc.balance == pytest.approx(0.5 + volume)
    assert krw.balance == pytest.approx(50_000_000.0 - funds - done.paid_fee, abs=0.02)
    assert krw.locked == 0.0
    await client.cleanup()


async def test_a_resting_order_waits_then_cancels_and_unlocks(ex: Exchange) -> None:
    client, orders, assets = await subscribed(ex)
    creds = creds_of(ex.keys[0])
    far_below = ex.book().bids[-1][0] * 0.5
    status, placed = await call(ex.rest, "POST", "/v1/orders", creds, {
        "market": "KRW-BTC", "side": "bid", "ord_type": "limit", "price": str(round(far_below, -3)),
        "volume": "0.01",
    })  # fmt: skip
    assert status == 201
    uuid = placed["uuid"]
    await until(lambda: states(orders, uuid) == ["wait"])
    await until(lambda: any(a.locked > 0 for a in assets))
    status, _ = await call(ex.rest, "DELETE", "/v1/order", creds, {"uuid": uuid})
    assert status == 200
    await until(lambda: "cancel" in states(orders, uuid))
    assert states(orders, uuid) == ["wait", "cancel"]
    await until(lambda: assets[-1].currency == "KRW" and assets[-1].locked == 0.0)
    assert assets[-1].balance == pytest.approx(50_000_000.0)
    await client.cleanup()


async def test_codes_keep_other_markets_out(ex: Exchange) -> None:
    client = WebSocketClient("eth-only", hub=ex.hub, credentials=creds_of(ex.keys[0]))
    everything = WebSocketClient("all", hub=ex.hub, credentials=creds_of(ex.keys[0]))
    eth: list[MyOrder] = []
    all_: list[MyOrder] = []
    await client.subscribe_my_order(eth.append, codes=["KRW-ETH"])
    await everything.subscribe_my_order(all_.append)
    creds = creds_of(ex.keys[0])
    await call(ex.rest, "POST", "/v1/orders", creds, {
        "market": "KRW-BTC", "side": "bid", "ord_type": "price", "price": "100000",
    })  # fmt: skip
    await until(lambda: any(o.state == "done" or o.state == "cancel" for o in all_))
    assert all_ and all(o.symbol == "KRW-BTC" for o in all_)
    assert eth == []
    await client.cleanup()
    await everything.cleanup()


async def test_a_reconnect_restores_the_private_subscription(ex: Exchange) -> None:
    client, orders, _ = await subscribed(ex)
    await ex.sim.drop_all()  # every socket cut at once, no goodbye
    await until(lambda: client.health().reconnects >= 1 and client.health().state == "connected")
    status, placed = await call(ex.rest, "POST", "/v1/orders", creds_of(ex.keys[0]), {
        "market": "KRW-BTC", "side": "ask", "ord_type": "market", "volume": "0.001",
    })  # fmt: skip
    assert status == 201
    # The reconnect signed a fresh token (a replayed nonce is refused) and asked again.
    await until(
        lambda: (
            "done" in states(orders, placed["uuid"]) or "cancel" in states(orders, placed["uuid"])
        )
    )
    assert states(orders, placed["uuid"])[0] == "wait"
    await client.cleanup()


async def test_a_key_without_order_inquiry_is_refused_in_words() -> None:
    key = new_key(permissions=frozenset({ASSETS, ORDERS_WRITE}))
    async for venue in exchange(key):
        client = WebSocketClient("bot", hub=venue.hub, credentials=creds_of(key))
        with pytest.raises(PrivateStreamError, match="주문조회"):
            await client.subscribe_my_order(lambda _: None)
        health = client.health()
        assert "주문조회" in health.last_error
        assert health.state != "connected"
        # Refused: the socket is let go, not redialled with the same key forever.
        await until(partial(lambda sim: sim.connections == 0, venue.sim))
        await client.cleanup()


async def test_no_keys_is_said_with_how_to_add_them(ex: Exchange) -> None:
    client = WebSocketClient("bot", hub=ex.hub)
    with pytest.raises(CredentialsError, match="DANTARO_UPBIT_ACCESS_KEY"):
        await client.subscribe_my_asset(lambda _: None)
    await client.cleanup()
