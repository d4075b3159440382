"""Four chart panes, each with its own client; press-a-key symbol switching via resubscribe."""

from _demo import run

from dantaro_tui import Candle, WebSocketClient


async def main() -> None:
    import asyncio

    charts = {
        f"chart_{i}": sym for i, sym in enumerate(["KRW-BTC", "KRW-ETH", "KRW-XRP", "KRW-SOL"])
    }
    clients = {name: WebSocketClient(name) for name in charts}

    def on_candle(name: str):
        def cb(c: Candle) -> None:
            print(
                f"{name}: {c.symbol} {c.interval} O {c.open:,.0f} H {c.high:,.0f} "
                f"L {c.low:,.0f} C {c.close:,.0f} V {c.volume:.4f}"
            )

        return cb

    for name, symbol in charts.items():
        await clients[name].subscribe_candle([symbol], on_candle(name), interval="1m")
    await asyncio.sleep(3)
    print("-- chart_0 switches to KRW-DOGE")
    await clients["chart_0"].resubscribe(["KRW-DOGE"])
    await asyncio.sleep(3)
    for client in clients.values():
        await client.cleanup()


run(main)
