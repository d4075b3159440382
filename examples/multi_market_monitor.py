"""KRW, BTC and USDT markets side by side: one client per quote currency."""

import asyncio

from _demo import run

from dantaro_tui import Ticker, WebSocketClient
from dantaro_tui.feed.rest_venues import RestClient


async def main() -> None:
    rest = RestClient("upbit")
    markets = await rest.markets()
    await rest.close()
    latest: dict[str, Ticker] = {}
    clients = []
    for quote in ("KRW", "BTC", "USDT"):
        client = WebSocketClient(f"{quote.lower()}_markets")
        await client.subscribe_ticker(
            [m.symbol for m in markets if m.quote == quote],
            lambda t: latest.__setitem__(t.symbol, t),
        )
        clients.append(client)
    for _ in range(3):
        await asyncio.sleep(2)
        for quote in ("KRW", "BTC", "USDT"):
            rows = [t for t in latest.values() if t.quote == quote]
            top = max(rows, key=lambda t: t.change_rate, default=None)
            if top:
                mover = f"{top.symbol} {top.change_rate:+.2%}"
                print(f"{quote:>4}: {len(rows):>3} markets, top mover {mover}")
    for client in clients:
        await client.cleanup()


run(main)
