"""A momentum bot watching 20 KRW markets on one client: buys the strongest 1-minute move."""

import asyncio
from collections import defaultdict, deque

from _demo import run

from dantaro_tui import Ticker, WebSocketClient
from dantaro_tui.feed.rest_venues import RestClient


async def main() -> None:
    rest = RestClient("upbit")
    tickers = await rest.all_tickers(quotes=["KRW"])
    await rest.close()
    top20 = [t.symbol for t in sorted(tickers, key=lambda t: -t.acc_trade_price_24h)[:20]]
    prices: dict[str, deque[float]] = defaultdict(lambda: deque(maxlen=60))

    def on_ticker(t: Ticker) -> None:
        prices[t.symbol].append(t.trade_price)

    bot = WebSocketClient("bot")
    await bot.subscribe_ticker(top20, on_ticker)
    for _ in range(4):
        await asyncio.sleep(2)
        moves = {s: p[-1] / p[0] - 1 for s, p in prices.items() if len(p) > 1}
        if moves:
            best = max(moves, key=moves.__getitem__)
            load = bot.health().msgs_30s
            print(f"signal: BUY {best} ({moves[best]:+.2%} since start); {load} msgs/30s")
    await bot.cleanup()


run(main)
