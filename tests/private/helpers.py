"""What the private-stream tests share: a simulator with paper accounts, a hub pointed at
it, and a tiny signed HTTP client standing in for a trader placing orders (a test fixture:
the cockpit itself never places orders)."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson

from dantaro_tui.credentials import Credentials
from dantaro_tui.exchanges import bithumb_private
from dantaro_tui.exchanges.upbit_private import query_string, sign
from dantaro_tui.feed.hub import FeedHub
from dantaro_tui.sim.jwt_auth import ALL_PERMISSIONS, PaperKey
from dantaro_tui.sim.server import SimServer


def new_key(
    permissions: frozenset[str] = ALL_PERMISSIONS, balances: dict[str, float] | None = None
) -> PaperKey:
    # Secrets as long as Upbit issues them (40 characters), different in every test.
    return PaperKey(
        access_key="ak-" + secrets.token_hex(18),
        secret_key=secrets.token_urlsafe(30),
        permissions=permissions,
        balances=balances or {"KRW": 50_000_000.0, "BTC": 0.5},
    )


def creds_of(key: PaperKey, exchange: str = "upbit") -> Credentials:
    return Credentials(exchange, key.access_key, key.secret_key, "a test")


async def until(cond: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


@dataclass
class Exchange:
    sim: SimServer
    hub: FeedHub
    keys: list[PaperKey]
    venue: str = "upbit"

    @property
    def rest(self) -> str:
        return self.sim.endpoints[self.venue]["rest"]

    def creds(self, index: int = 0) -> Credentials:
        return creds_of(self.keys[index], self.venue)

    def book(self, symbol: str = "KRW-BTC") -> Any:
        listing = self.sim.market.listing(self.venue, symbol)
        assert listing is not None
        return listing


async def exchange(*keys: PaperKey, venue: str = "upbit") -> AsyncIterator[Exchange]:
    sim = SimServer(
        seed=5, intensity=3.0, step_interval=0.05, rate_limits=False, venues=[venue],
        accounts=list(keys),
    )  # fmt: skip
    await sim.start()
    hub = FeedHub()
    urls = sim.endpoints[venue]
    hub.set_endpoint(venue, ws=urls["ws"], rest=urls["rest"])
    try:
        yield Exchange(sim, hub, list(keys), venue)
    finally:
        await hub.close()
        await sim.stop()


async def call(
    rest: str,
    method: str,
    path: str,
    credentials: Credentials | None,
    params: dict[str, Any] | None = None,
    *,
    token: str | None = None,
) -> tuple[int, Any]:
    """One signed request, as a trading script would send it: JSON body for POST, query
    string otherwise; ``token`` overrides the signed one (to send a forged or replayed one)."""
    params = params or {}
    query = query_string(params)
    if token is None and credentials is not None:
        signer = bithumb_private.sign if credentials.exchange == "bithumb" else sign
        token = signer(credentials, query or None)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with aiohttp.ClientSession() as session:
        if method == "POST":
            req = session.post(rest + path, json=params, headers=headers)
        else:
            # Lists go out as repeated ``k[]=v``, the form their query_hash was taken over.
            pairs = [
                (k if k.endswith("[]") else f"{k}[]", str(x)) if isinstance(v, list) else (k, v)
                for k, v in params.items()
                for x in (v if isinstance(v, list) else [v])
            ]
            req = session.request(method, rest + path, params=pairs, headers=headers)
        async with req as resp:
            return resp.status, orjson.loads(await resp.read())
