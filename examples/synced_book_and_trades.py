"""An order book widget and a trade widget that always show the same market."""

import asyncio

from _demo import run

from dantaro_tui import OrderBook, Trade, WebSocketClient


async def main() -> None:
    book_client, tape_client = WebSocketClient("orderbook"), WebSocketClient("trades")

    def on_book(b: OrderBook) -> None:
        spread = b.asks[0].price - b.bids[0].price
        print(
            f"[book] {b.symbol} bid {b.bids[0].price:,.0f} ask {b.asks[0].price:,.0f} "
            f"spread {spread:,.0f} imbalance {b.total_bid_size / b.total_ask_size:.2f}"
        )

    def on_trade(t: Trade) -> None:
        print(f"[tape] {t.symbol} {t.side:<4} {t.volume:.4f} @ {t.price:,.0f}")

    async def show(symbol: str) -> None:  # both widgets switch in one step
        await asyncio.gather(
            book_client.subscribe_orderbook([symbol], on_book),
            tape_client.subscribe_trade([symbol], on_trade),
        )

    await show("KRW-BTC")
    await asyncio.sleep(3)
    await show("KRW-ETH")
    await asyncio.sleep(3)
    await asyncio.gather(book_client.cleanup(), tape_client.cleanup())


run(main)
