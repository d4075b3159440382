"""Every KRW market on one client, with pump/dump alerts at +/-5 % from the previous close."""

import asyncio

from _demo import run

from dantaro_tui import Ticker, WebSocketClient
from dantaro_tui.feed.rest_venues import RestClient

THRESHOLD = 0.05


async def main() -> None:
    rest = RestClient("upbit")
    markets = [m for m in await rest.markets() if m.quote == "KRW"]
    await rest.close()
    names = {m.symbol: m.korean_name for m in markets}
    alerted: set[str] = set()

    def on_ticker(t: Ticker) -> None:
        if abs(t.change_rate) >= THRESHOLD and t.symbol not in alerted:
            alerted.add(t.symbol)
            kind = "PUMP" if t.change_rate > 0 else "DUMP"
            name = names.get(t.symbol, "")
            print(f"{kind} {t.symbol} {name} {t.change_rate:+.2%} @ {t.trade_price:,}")

    scanner = WebSocketClient("scanner")
    await scanner.subscribe_ticker(names, on_ticker)
    print(f"watching {len(names)} KRW markets")
    await asyncio.sleep(8)
    print(scanner.health())
    await scanner.cleanup()


run(main)
