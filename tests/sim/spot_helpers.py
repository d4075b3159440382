"""What the Binance and Gate.io simulator tests share: a market moved by hand, a frame
reader, and the recorded-shape comparison. Clients here are written from the protocol
reference, not from the project's codecs."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

import aiohttp

from dantaro_tui.sim.server import SimServer

Frame = dict[str, Any]


def manual_sim(venues: list[str], **options: Any) -> SimServer:
    """A simulator whose market moves only when the test calls :func:`advance` (the
    driver sleeps an hour between steps), so a book can be compared id for id."""
    defaults: dict[str, Any] = {
        "seed": 7,
        "intensity": 6.0,
        "step_interval": 3600.0,
        "rate_limits": False,
        "venues": venues,
    }
    return SimServer(**{**defaults, **options})


async def advance(sim: SimServer, steps: int = 1, dt: float = 0.1) -> None:
    """Move the market ``steps`` times by ``dt`` seconds, as the server's driver does, and
    let the frames go out."""
    for _ in range(steps):
        step = sim.market.step(dt)
        for venue in sim.venues:
            venue.dispatch(step)
        await asyncio.sleep(0)
    await asyncio.sleep(0.02)


def venue(sim: SimServer, name: str) -> Any:
    return next(v for v in sim.venues if v.name == name)


async def frames(
    ws: aiohttp.ClientWebSocketResponse,
    seconds: float,
    until: Callable[[list[Frame]], bool] | None = None,
) -> list[Frame]:
    """JSON text frames received within ``seconds`` (or until ``until(frames)`` holds)."""
    out: list[Frame] = []
    deadline = time.monotonic() + seconds
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or (until is not None and until(out)):
            return out
        try:
            msg = await ws.receive(timeout=left)
        except TimeoutError:
            return out
        if msg.type in (
            aiohttp.WSMsgType.CLOSE,
            aiohttp.WSMsgType.CLOSED,
            aiohttp.WSMsgType.CLOSING,
            aiohttp.WSMsgType.ERROR,
        ):
            return out
        assert msg.type is aiohttp.WSMsgType.TEXT, msg
        out.append(json.loads(msg.data))


async def get(session: aiohttp.ClientSession, url: str) -> tuple[int, Any, Any]:
    """A REST answer: its status, JSON body and headers."""
    async with session.get(url) as resp:
        return resp.status, await resp.json(), resp.headers


def types_of(obj: dict[str, Any]) -> dict[str, type]:
    return {k: type(v) for k, v in obj.items()}


def assert_like(mine: dict[str, Any], real: dict[str, Any], exact: bool = False) -> None:
    """Every field of the real object is present with the same JSON type (``exact``: and
    no other field)."""
    missing = set(real) - set(mine)
    assert not missing, f"missing fields {missing}"
    if exact:
        assert set(mine) == set(real), f"extra fields {set(mine) - set(real)}"
    want = types_of(real)
    got = {k: type(mine[k]) for k in real}
    assert got == want


class DiffBook:
    """A client-side book kept from a REST snapshot plus ``U``/``u`` deltas, by the rules
    both exchanges document (exchanges.md 3.4 and 4.4). Prices and sizes as wire strings."""

    def __init__(self) -> None:
        self.bids: dict[str, str] = {}
        self.asks: dict[str, str] = {}
        self.id: int | None = None  # None: not synced yet
        self.buffer: list[Frame] = []
        self.applied = 0
        self.gaps = 0

    def snapshot(self, last_id: int, bids: list[list[str]], asks: list[list[str]]) -> None:
        self.bids = {p: q for p, q in bids}
        self.asks = {p: q for p, q in asks}
        self.id = last_id
        pending, self.buffer = self.buffer, []
        for d in pending:
            self.delta(d)

    def delta(self, d: Frame) -> None:
        if self.id is None:
            self.buffer.append(d)
            return
        if d["u"] <= self.id:
            return  # older than the book
        if d["U"] > self.id + 1:
            self.gaps += 1
            self.id = None  # resync needed
            self.buffer = [d]
            return
        for side, rows in ((self.bids, d["b"]), (self.asks, d["a"])):
            for p, q in rows:
                if float(q) == 0:
                    side.pop(p, None)
                else:
                    side[p] = q
        self.id = d["u"]
        self.applied += 1

    def sides(self) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        bids = sorted(self.bids.items(), key=lambda kv: -float(kv[0]))
        asks = sorted(self.asks.items(), key=lambda kv: float(kv[0]))
        return bids, asks


async def project_client_survives_gaps(sim: SimServer, exchange: str, symbol: str) -> None:
    """The project's own client on a hub pointed at the simulator: its book syncs, then
    ``skip_seq_every`` gaps are noticed, the book is reloaded, and books keep coming."""
    from dantaro_tui import OrderBook, WebSocketClient
    from dantaro_tui.feed.hub import FeedHub

    hub = FeedHub()
    for name, urls in sim.endpoints.items():
        hub.set_endpoint(name, ws=urls["ws"], rest=urls["rest"])
    books: list[OrderBook] = []
    client = WebSocketClient("t", exchange=exchange, hub=hub)
    try:
        await client.subscribe_orderbook([symbol], books.append)
        for _ in range(100):
            if len(books) >= 3:
                break
            await asyncio.sleep(0.05)
        assert len(books) >= 3, client.health()
        assert client.health().errors == 0, client.health().last_error
        sim.faults.skip_seq_every = 3
        before = len(books)
        for _ in range(100):
            if client.health().errors >= 2 and len(books) > before + 3:
                break
            await asyncio.sleep(0.05)
        health = client.health()
        assert health.errors >= 2 and health.last_error, health
        assert len(books) > before + 3  # it resynchronised and kept delivering
        for book in books:
            assert book.symbol == symbol and book.bids and book.asks
            assert book.bids[0].price < book.asks[0].price
    finally:
        sim.faults.skip_seq_every = None
        await client.cleanup()
        await hub.close()
