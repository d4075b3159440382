"""What the socket layer must get right however the exchange cuts its bytes: messages split
into fragments, a text message that is not UTF-8, and the last frames before a hang-up."""

from __future__ import annotations

import asyncio
import contextlib
import struct
from collections.abc import AsyncIterator, Awaitable, Callable

import orjson
import pytest
from websockets.asyncio.server import ServerConnection, serve

from dantaro_tui import Ticker, Trade, WebSocketClient
from dantaro_tui.feed.hub import FeedHub
from dantaro_tui.feed.tap import TapRecord
from tests.feed.helpers import until
from tests.feed.hostile import ticker_frame, trade_frame

Script = Callable[[ServerConnection, list[str]], Awaitable[None]]


def raw_frame(payload: bytes, opcode: int = 0x1) -> bytes:
    """An unmasked server->client frame, written as is (websockets would refuse to send
    some of what these tests need)."""
    n = len(payload)
    if n < 126:
        return struct.pack("!BB", 0x80 | opcode, n) + payload
    return struct.pack("!BBH", 0x80 | opcode, 126, n) + payload


@contextlib.asynccontextmanager
async def exchange(script: Script) -> AsyncIterator[str]:
    """An Upbit-like server that runs ``script`` with the codes of the first request."""

    async def handler(ws: ServerConnection) -> None:
        request = orjson.loads(await ws.recv())
        codes = sorted({c for o in request if "codes" in o for c in o["codes"]})
        with contextlib.suppress(Exception):
            await script(ws, codes)
            await ws.wait_closed()

    async with serve(handler, "127.0.0.1", 0, compression=None) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        yield f"ws://127.0.0.1:{port}/websocket/v1"


@pytest.fixture
async def hub() -> AsyncIterator[FeedHub]:
    hub = FeedHub()
    try:
        yield hub
    finally:
        await hub.close()


async def test_a_message_split_into_fragments_arrives_whole(hub: FeedHub) -> None:
    async def script(ws: ServerConnection, codes: list[str]) -> None:
        text = ticker_frame(codes[0], 101.5, 1, snapshot=True).decode()
        third = len(text) // 3
        await ws.send([text[:third], text[third : 2 * third], text[2 * third :]])
        await ws.send(ticker_frame(codes[0], 102.5, 2))

    got: list[Ticker] = []
    async with exchange(script) as url:
        client = WebSocketClient("fragments", url=url, hub=hub)
        await client.subscribe_ticker(["KRW-BTC"], got.append)
        try:
            await until(lambda: len(got) >= 2, 10.0)
            assert [t.trade_price for t in got] == [101.5, 102.5]
            health = client.health()
            assert health.errors == 0, health.last_error
            assert health.state == "connected"
        finally:
            await client.cleanup()


async def test_a_text_message_that_is_not_utf8_is_counted_and_the_feed_goes_on(
    hub: FeedHub,
) -> None:
    async def script(ws: ServerConnection, codes: list[str]) -> None:
        await ws.send(ticker_frame(codes[0], 100.0, 0, snapshot=True))
        ws.transport.write(raw_frame(b'{"ty":"ticker","cd":"\xff\xfe"}'))
        await ws.send(ticker_frame(codes[0], 103.0, 1))

    got: list[Ticker] = []
    async with exchange(script) as url:
        client = WebSocketClient("not-utf8", url=url, hub=hub)
        await client.subscribe_ticker(["KRW-BTC"], got.append)
        try:
            await until(lambda: any(t.trade_price == 103.0 for t in got), 10.0)
            health = client.health()
            assert health.errors == 1
            assert "UTF-8" in health.last_error
            assert health.reconnects == 0, "one bad message must not cost the socket"
        finally:
            await client.cleanup()


async def test_trades_sent_just_before_a_hang_up_all_reach_the_owner(hub: FeedHub) -> None:
    sent = 300

    async def script(ws: ServerConnection, codes: list[str]) -> None:
        # One write: the trades and the goodbye arrive in the same read of the client.
        frames = [raw_frame(trade_frame(codes[0], 100.0, seq), 0x2) for seq in range(1, sent)]
        goodbye = raw_frame(struct.pack("!H", 1000), 0x8)
        ws.transport.write(raw_frame(trade_frame(codes[0], 100.0, 0, True), 0x2))
        await asyncio.sleep(0.2)  # the snapshot confirms the subscription first
        ws.transport.write(b"".join(frames) + goodbye)

    got: list[Trade] = []
    async with exchange(script) as url:
        client = WebSocketClient("hang-up", url=url, hub=hub)
        await client.subscribe_trade(["KRW-BTC"], got.append)
        try:
            await until(lambda: len(got) >= sent, 10.0)
            assert [t.trade_id for t in got] == [str(seq) for seq in range(sent)]
            assert client.health().dropped == 0
        finally:
            await client.cleanup()


async def test_a_recorder_that_fails_is_named_in_health_not_hidden_as_a_dropped_socket(
    hub: FeedHub,
) -> None:
    async def script(ws: ServerConnection, codes: list[str]) -> None:
        await ws.send(ticker_frame(codes[0], 100.0, 0, snapshot=True))

    def full_disk(rec: TapRecord) -> None:
        if rec.kind == "recv":
            raise RuntimeError("no space left for the recording")

    hub.add_tap(full_disk)
    async with exchange(script) as url:
        client = WebSocketClient("recorded", url=url, hub=hub)
        await client.subscribe_ticker(["KRW-BTC"], lambda _t: None)
        try:
            await until(lambda: "no space left" in client.health().last_error, 10.0)
            assert client.health().state != "connected"
        finally:
            await client.cleanup()
