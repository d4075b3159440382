"""A 429's Retry-After from a server that means it, and from one that talks nonsense."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from aiohttp import web

from dantaro_tui.feed.hub import FeedHub
from dantaro_tui.feed.rest import HttpClient, RestError


@asynccontextmanager
async def limiting(retry_after: str) -> AsyncIterator[tuple[str, list[str]]]:
    asked: list[str] = []

    async def limited(request: web.Request) -> web.Response:
        asked.append(request.path)
        return web.json_response({"code": -1003}, status=429, headers={"Retry-After": retry_after})

    app = web.Application()
    app.router.add_get("/{tail:.*}", limited)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}", asked
    finally:
        await runner.cleanup()


@pytest.mark.parametrize(("header", "said"), [("60", "60 s"), ("999999999", "300 s")])
async def test_a_long_retry_after_is_said_and_nothing_is_asked_meanwhile(
    header: str, said: str
) -> None:
    async with limiting(header) as (url, asked):
        http = HttpClient("binance", url, hub=FeedHub())
        try:
            with pytest.raises(RestError, match=f"asking again in {said}"):
                await http.get("weight", "/api/v3/depth", {"symbol": "BTCUSDT"})
            with pytest.raises(RestError, match="rate-limiting"):
                await http.get("weight", "/api/v3/depth", {"symbol": "ETHUSDT"})
            assert len(asked) == 1  # the second call was not sent inside the wait
        finally:
            await http.close()
