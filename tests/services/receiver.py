"""A real HTTP receiver on loopback for Apprise's ``json://`` URL: what a phone's push
service would get, kept for the tests to read."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

from aiohttp import web


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Receiver:
    """``async with Receiver() as rx``: ``rx.url`` takes JSON posts into ``rx.payloads``.

    ``hold`` (cleared) keeps every request waiting, as a slow receiver would; ``status``
    is what it answers."""

    def __init__(self, port: int = 0) -> None:
        self.port = port
        self.payloads: list[dict[str, Any]] = []
        self.arrived = 0  # requests seen, answered or not
        self.hold = asyncio.Event()
        self.hold.set()
        self.status = 200
        self.changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"json://127.0.0.1:{self.port}/hook"

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.arrived += 1
        async with self.changed:
            self.changed.notify_all()
        await self.hold.wait()
        if self.status == 200:
            self.payloads.append(body)
            async with self.changed:
                self.changed.notify_all()
        return web.Response(status=self.status, text="ok")

    async def wait_for(self, predicate: Any, timeout: float = 60.0) -> None:
        """Until ``predicate()`` holds (a generous timeout, for a loaded machine)."""

        async def until() -> None:
            async with self.changed:
                await self.changed.wait_for(predicate)

        await asyncio.wait_for(until(), timeout)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/hook", self._handle)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        self.hold.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Receiver:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
