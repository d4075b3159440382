"""Fault switches, connection limits and timeouts of the simulated exchange, observed by
third-party clients (the ``websockets`` library and aiohttp)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import websockets
from websockets.exceptions import ConnectionClosed, ConnectionClosedError, InvalidStatus

from dantaro_tui.sim.server import SimServer
from tests.sim.helpers import fast_sim

REQUEST = json.dumps(
    [
        {"ticket": "f"},
        {"type": "trade", "codes": ["KRW-BTC", "KRW-XRP"]},
        {"type": "orderbook", "codes": ["KRW-BTC"]},
    ]
)


async def make(**kw: Any) -> SimServer:
    server = fast_sim(**{"seed": 3, **kw})
    await server.start()
    return server


@pytest.fixture
async def sim() -> AsyncIterator[SimServer]:
    server = await make()
    try:
        yield server
    finally:
        await server.stop()


def url(sim: SimServer) -> str:
    return sim.endpoints["upbit"]["ws"]


async def read(
    ws: websockets.ClientConnection, seconds: float
) -> tuple[list[bytes], ConnectionClosed | None]:
    """Frames received within ``seconds`` and how the connection ended (None = still open)."""
    got: list[bytes] = []
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            got.append(await asyncio.wait_for(ws.recv(), left))
        except TimeoutError:
            break
        except ConnectionClosed as exc:
            return got, exc
    return got, None


async def test_connections_and_drop_all(sim: SimServer) -> None:
    a = await websockets.connect(url(sim))
    b = await websockets.connect(url(sim))
    await asyncio.sleep(0.05)
    assert sim.connections == 2
    await a.send(REQUEST)
    await sim.drop_all()
    _, closed = await read(a, 1.0)
    assert isinstance(closed, ConnectionClosedError) and closed.rcvd is None  # 1006
    _, closed = await read(b, 1.0)
    assert closed is not None and closed.rcvd is None
    await asyncio.sleep(0.05)
    assert sim.connections == 0


async def test_drop_after(sim: SimServer) -> None:
    sim.faults.drop_after = 5
    ws = await websockets.connect(url(sim))
    await ws.send(REQUEST)
    got, closed = await read(ws, 2.0)
    assert len(got) == 5
    assert isinstance(closed, ConnectionClosedError) and closed.rcvd is None
    ws2 = await websockets.connect(url(sim))  # every connection gets its own 5
    await ws2.send(REQUEST)
    got, closed = await read(ws2, 2.0)
    assert len(got) == 5 and closed is not None


async def test_drop_probability(sim: SimServer) -> None:
    sim.faults.drop_probability = 1.0
    ws = await websockets.connect(url(sim))
    await ws.send(REQUEST)
    got, closed = await read(ws, 1.0)
    assert got == [] and closed is not None and closed.rcvd is None


async def test_malformed_every(sim: SimServer) -> None:
    sim.faults.malformed_every = 3
    ws = await websockets.connect(url(sim))
    await ws.send(REQUEST)
    got, _ = await read(ws, 1.0)
    assert len(got) >= 9
    for i, frame in enumerate(got, start=1):
        if i % 3 == 0:
            with pytest.raises(json.JSONDecodeError):
                json.loads(frame)
        else:
            json.loads(frame)


async def test_stall_sends_nothing_and_answers_no_ping(sim: SimServer) -> None:
    async with aiohttp.ClientSession() as session:
        ws = await session.ws_connect(url(sim), autoping=False)
        await ws.send_str(REQUEST)
        assert (await ws.receive(timeout=1)).type is aiohttp.WSMsgType.BINARY
        sim.faults.stall = True
        await asyncio.sleep(0.1)
        while True:  # drain what was already on the wire
            try:
                await ws.receive(timeout=0.05)
            except TimeoutError:
                break
        await ws.ping(b"x")
        await ws.send_str("PING")
        with pytest.raises(TimeoutError):
            await ws.receive(timeout=0.6)
        sim.faults.stall = False
        msg = await ws.receive(timeout=1)
        assert msg.type is aiohttp.WSMsgType.BINARY
        await ws.close()


async def test_refuse_rate_limit() -> None:
    sim = await make()
    try:
        ws = await websockets.connect(url(sim))
        sim.faults.refuse_rate_limit = True
        with pytest.raises(InvalidStatus) as info:
            await websockets.connect(url(sim))
        assert info.value.response.status_code == 429
        await ws.send(REQUEST)
        got, closed = await read(ws, 0.5)
        assert closed is None
        assert [json.loads(g)["error"]["name"] for g in got] == ["TOO_MANY_REQUESTS"]
        sim.faults.refuse_rate_limit = False
        await ws.send(REQUEST)
        got, _ = await read(ws, 0.5)
        assert got and "error" not in json.loads(got[0])
    finally:
        await sim.stop()


async def test_connect_rate_limit_and_remaining_req() -> None:
    sim = await make(rate_limits=True)
    try:
        opened = []
        for _ in range(5):
            ws = await websockets.connect(url(sim))
            opened.append(ws.response.headers["Remaining-Req"])
        assert opened[0].startswith("group=websocket; min=") and opened[-1].endswith("sec=0")
        with pytest.raises(InvalidStatus) as info:
            await websockets.connect(url(sim))
        assert info.value.response.status_code == 429
        await asyncio.sleep(1.05)
        ws = await websockets.connect(url(sim))
        assert sim.connections == 6
    finally:
        await sim.stop()


async def test_message_rate_limit() -> None:
    sim = await make(rate_limits=True)
    try:
        ws = await websockets.connect(url(sim))
        sub = json.dumps([{"ticket": "m"}, {"type": "ticker", "codes": ["KRW-NOPE"]}])
        for _ in range(6):
            await ws.send(sub)
        got, closed = await read(ws, 0.4)
        assert closed is None
        assert [json.loads(g)["error"]["name"] for g in got] == ["TOO_MANY_REQUESTS"]
        assert sim.subscriptions_received == 6
    finally:
        await sim.stop()


async def test_idle_timeout() -> None:
    sim = await make(idle_timeout=0.4)
    try:
        idle = await websockets.connect(url(sim), ping_interval=None)
        busy = await websockets.connect(url(sim), ping_interval=None)
        await busy.send(REQUEST)
        started = time.monotonic()
        _, closed = await read(idle, 2.0)
        assert closed is not None and 0.3 < time.monotonic() - started < 1.5
        got, closed = await read(busy, 0.3)
        assert got and closed is None
    finally:
        await sim.stop()
