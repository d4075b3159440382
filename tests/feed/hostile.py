"""Small hostile servers on loopback: they speak just enough of Upbit's wire protocol to
misbehave in ways the built-in simulator does not (floods), and a TCP proxy that can take
the exchange away and give it back (outages)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import orjson
from websockets.asyncio.server import Server, ServerConnection, serve


def ticker_frame(code: str, price: float, seq: int, snapshot: bool = False) -> bytes:
    return orjson.dumps(
        {
            "ty": "ticker",
            "cd": code,
            "tp": price,
            "op": price,
            "hp": price * 1.01,
            "lp": price * 0.99,
            "pcp": price,
            "atv24h": 1000.0 + seq,
            "atp24h": 1e9,
            "tms": int(time.time() * 1000),
            "st": "SNAPSHOT" if snapshot else "REALTIME",
        }
    )


def trade_frame(code: str, price: float, seq: int, snapshot: bool = False) -> bytes:
    return orjson.dumps(
        {
            "ty": "trade",
            "cd": code,
            "tp": price,
            "tv": 0.01,
            "ab": "BID",
            "sid": seq,
            "ttms": int(time.time() * 1000),
            "st": "SNAPSHOT" if snapshot else "REALTIME",
        }
    )


Producer = Callable[[ServerConnection, list[str], list[str]], Awaitable[None]]


class FloodServer:
    """Answers a subscription with snapshots, then runs ``producer`` (types, codes) until
    the client leaves. ``PING`` gets ``{"status":"UP"}`` as on Upbit."""

    def __init__(self, producer: Producer) -> None:
        self.producer = producer
        self.server: Server | None = None
        self.url = ""
        self.connections = 0

    async def start(self) -> FloodServer:
        self.server = await serve(self._handler, "127.0.0.1", 0, compression=None)
        port = next(iter(self.server.sockets)).getsockname()[1]
        self.url = f"ws://127.0.0.1:{port}/websocket/v1"
        return self

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.server.wait_closed(), 2)

    async def _handler(self, ws: ServerConnection) -> None:
        self.connections += 1
        task: asyncio.Task[None] | None = None
        try:
            async for msg in ws:
                if msg in ("PING", b"PING"):
                    await ws.send(b'{"status":"UP"}')
                    continue
                request = orjson.loads(msg)
                types = [o["type"] for o in request if "type" in o]
                codes = sorted({c for o in request if "codes" in o for c in o["codes"]})
                for i, code in enumerate(codes):
                    if "ticker" in types:
                        await ws.send(ticker_frame(code, 100.0 + i, 0, snapshot=True))
                    if "trade" in types:
                        await ws.send(trade_frame(code, 100.0 + i, 0, snapshot=True))
                if task is not None:
                    task.cancel()
                task = asyncio.create_task(self.producer(ws, types, codes))
        except Exception:
            pass
        finally:
            if task is not None:
                task.cancel()


async def flood_tickers(ws: ServerConnection, types: list[str], codes: list[str]) -> None:
    """Tickers as fast as the socket takes them."""
    for seq in itertools.count(1):
        for i, code in enumerate(codes):
            await ws.send(ticker_frame(code, 100.0 + i + seq % 7, seq))


async def flood_trades(ws: ServerConnection, types: list[str], codes: list[str]) -> None:
    for seq in itertools.count(1):
        for i, code in enumerate(codes):
            await ws.send(trade_frame(code, 100.0 + i, seq))


async def flood_pings(ws: ServerConnection, types: list[str], codes: list[str]) -> None:
    """WebSocket pings as fast as they go, and a ticker now and then."""
    for seq in itertools.count(1):
        for _ in range(200):
            with contextlib.suppress(Exception):
                await ws.ping()
        if seq % 50 == 0:
            await ws.send(ticker_frame(codes[0], 100.0, seq))
        await asyncio.sleep(0)


class ServerProcess:
    """Runs a FloodServer in its own process, so its flood costs the client's process
    nothing (no shared event loop, no shared GIL): a hostile exchange is another machine."""

    def __init__(self, producer: str) -> None:
        self.producer = producer
        self.proc: subprocess.Popen[str] | None = None
        self.url = ""

    async def start(self) -> ServerProcess:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.feed.hostile", self.producer],
            stdout=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).resolve().parents[2],
        )
        assert self.proc.stdout is not None
        line = await asyncio.to_thread(self.proc.stdout.readline)
        self.url = line.strip()
        if not self.url:
            raise RuntimeError("the hostile server did not start")
        return self

    async def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            await asyncio.to_thread(self.proc.wait)


async def _serve_forever(producer: str) -> None:
    server = await FloodServer(PRODUCERS[producer]).start()
    print(server.url, flush=True)
    await asyncio.Event().wait()


class OutageProxy:
    """A TCP proxy in front of the exchange: ``down()`` cuts every connection and stops
    listening (the exchange is unreachable), ``up()`` listens on the same port again."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self._server: asyncio.Server | None = None
        self._pipes: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()

    async def up(self) -> None:
        self._server = await asyncio.start_server(
            self._handle, "127.0.0.1", self.port, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def down(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for w in list(self._writers):
            w.transport.abort()
        for t in list(self._pipes):
            t.cancel()

    def url(self, path: str = "/websocket/v1") -> str:
        return f"ws://127.0.0.1:{self.port}{path}"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self._writers.update((writer, up_writer))

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except Exception:
                pass
            finally:
                dst.transport.abort()

        tasks = [
            asyncio.create_task(pipe(reader, up_writer)),
            asyncio.create_task(pipe(up_reader, writer)),
        ]
        self._pipes.update(tasks)
        await asyncio.wait(tasks)
        self._pipes.difference_update(tasks)
        self._writers.difference_update((writer, up_writer))


async def flap(ws: ServerConnection, types: list[str], codes: list[str]) -> None:
    """Answers with its snapshots, then hangs up: a server that accepts and drops."""
    await ws.close()


PRODUCERS: dict[str, Producer] = {
    "flap": flap,
    "flood_tickers": flood_tickers,
    "flood_trades": flood_trades,
    "flood_pings": flood_pings,
}

if __name__ == "__main__":
    asyncio.run(_serve_forever(sys.argv[1]))


@contextlib.asynccontextmanager
async def banning_rest(ban_seconds: int) -> AsyncIterator[tuple[str, list[str]]]:
    """A REST server that answers every request as Binance does a banned IP: HTTP 418 with
    Retry-After. Yields its URL and the paths it was asked for."""
    from aiohttp import web

    asked: list[str] = []

    async def banned(request: web.Request) -> web.Response:
        asked.append(request.path)
        return web.json_response(
            {"code": -1003, "msg": "Way too many requests; IP banned"},
            status=418,
            headers={"Retry-After": str(ban_seconds)},
        )

    app = web.Application()
    app.router.add_get("/{tail:.*}", banned)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}", asked
    finally:
        await runner.cleanup()
