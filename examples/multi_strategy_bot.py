"""Two strategies, each with its own client: a spread watcher and a large-trade follower."""

import asyncio

from _demo import run

from dantaro_tui import OrderBook, Trade, WebSocketClient


async def main() -> None:
    spread_client, flow_client = WebSocketClient("spread"), WebSocketClient("flow")

    def on_book(b: OrderBook) -> None:
        bps = (b.asks[0].price / b.bids[0].price - 1) * 1e4
        if bps > 5:
            print(f"[spread] {b.symbol} wide: {bps:.1f} bps")

    def on_trade(t: Trade) -> None:
        if t.price * t.volume > 5_000_000:
            print(f"[flow] large {t.side} {t.symbol}: {t.price * t.volume:,.0f} KRW")

    await spread_client.subscribe_orderbook(["KRW-BTC", "KRW-ETH", "KRW-XRP"], on_book)
    await flow_client.subscribe_trade(["KRW-BTC", "KRW-ETH", "KRW-XRP", "KRW-SOL"], on_trade)
    await asyncio.sleep(6)
    await flow_client.unsubscribe("trade", ["KRW-SOL"])  # one strategy drops one market
    await asyncio.sleep(2)
    for c in (spread_client, flow_client):
        print(c.name, c.health())
        await c.cleanup()


run(main)
