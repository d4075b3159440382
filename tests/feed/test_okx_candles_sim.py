"""OKX daily candles reach the client on UTC days, like Upbit's, so charts bucket them right."""

from __future__ import annotations

from dantaro_tui import Candle, WebSocketClient
from dantaro_tui.feed.rest_venues import RestClient
from dantaro_tui.sim.server import SimServer
from tests.feed.helpers import until

DAY_MS = 86_400_000


async def test_daily_candles_open_at_utc_midnight(sim: SimServer) -> None:
    got: list[Candle] = []
    client = WebSocketClient("okx-day", exchange="okx", url=sim.endpoints["okx"]["ws"])
    await client.subscribe_candle(["BTC-USDT"], got.append, interval="1d")
    rest = RestClient("okx", sim.endpoints["okx"]["rest"])
    try:
        await until(lambda: bool(got), 10.0)
        assert all(c.interval == "1d" and c.open_time % DAY_MS == 0 for c in got)
        history = await rest.candles("BTC-USDT", "1d", count=5)
        assert history and all(c.open_time % DAY_MS == 0 for c in history)
    finally:
        await client.cleanup()
        await rest.close()
