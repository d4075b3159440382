"""The server side of one simulated WebSocket connection, the same for every venue, and the
background tasks a venue starts for its connections.

A venue passes what is its own: how it keeps a connection (``open_conn`` / ``close_conn``),
what it does with a request (``on_message``), when it stops reading (``muted``), how its data
frames go out (``wrap``; :class:`TextSocket` for the venues that send text frames) and the
headers of the upgrade response.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from aiohttp import WSMsgType, web

from dantaro_tui.sim.faults import Peer

if TYPE_CHECKING:
    from dantaro_tui.sim.server import SimContext

C = TypeVar("C")

_ENDED = (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR)


async def serve_socket(
    request: web.Request,
    ctx: SimContext,
    idle_timeout: float,
    *,
    open_conn: Callable[[Peer], C],
    on_message: Callable[[C, str], None],
    close_conn: Callable[[C], None],
    muted: Callable[[C], bool] | None = None,
    wrap: Callable[[web.WebSocketResponse], Any] | None = None,
    headers: Mapping[str, str] | None = None,
    on_frame: Callable[[C, WSMsgType], None] | None = None,
) -> web.WebSocketResponse:
    """Accept the upgrade, register a :class:`Peer` and read from the client until either
    side ends the connection.

    ``open_conn(peer)`` makes the venue's connection state once the socket is open;
    ``close_conn(conn)`` runs when reading ends, before the peer is detached. While the
    faults stall the server or ``muted(conn)`` is true, what arrives is read and ignored (no
    activity, no pong). Otherwise every frame counts as activity, a ping is answered with a
    pong, and a text or binary frame (decoded as UTF-8) goes to ``on_message(conn, text)``.
    ``wrap(ws)`` is what the peer writes data frames to (default: the socket itself).
    ``on_frame(conn, kind)`` sees every frame read (pings and pongs too) before it is handled,
    for per-connection message limits; it may close the peer.
    """
    ws = web.WebSocketResponse(autoping=False, timeout=1.0)
    if headers:
        ws.headers.update(headers)
    await ws.prepare(request)
    peer = Peer(ws if wrap is None else wrap(ws), request, ctx.faults, idle_timeout, ctx.forget)
    ctx.peers.add(peer)
    conn = open_conn(peer)
    try:
        while not peer.closed:
            try:
                msg = await ws.receive()
            except (ConnectionError, RuntimeError, asyncio.CancelledError):
                break
            kind = msg.type
            if kind in _ENDED:
                break
            if ctx.faults.stall or (muted is not None and muted(conn)):
                continue  # a stalled server reads nothing and answers nothing
            peer.touch()
            if on_frame is not None:
                on_frame(conn, kind)
                if peer.closed:
                    break
            if kind is WSMsgType.PING:
                with contextlib.suppress(Exception):
                    await ws.pong(msg.data)
            elif kind is WSMsgType.TEXT:
                on_message(conn, msg.data)
            elif kind is WSMsgType.BINARY:
                on_message(conn, msg.data.decode("utf-8", "replace"))
    finally:
        close_conn(conn)
        if not peer.closed:
            peer.detach()
    return ws


class TextSocket:
    """A socket whose data frames go out as text: the shared :class:`Peer` writes bytes
    through ``send_bytes``, and OKX, Binance, Gate.io and Coinone send text frames."""

    def __init__(self, ws: web.WebSocketResponse) -> None:
        self._ws = ws

    async def send_bytes(self, data: bytes, compress: int | None = None) -> None:
        await self._ws.send_frame(data, WSMsgType.TEXT, compress)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ws, name)


class Tasks:
    """Fire-and-forget tasks of a venue (a delayed close, say); ``cancel`` stops the ones
    still running."""

    def __init__(self) -> None:
        self._running: set[asyncio.Task[None]] = set()

    def spawn(self, coro: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coro)
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    def cancel(self) -> None:
        for task in list(self._running):
            task.cancel()
