"""The simulated exchange server: one aiohttp app on loopback, one sub-app per exchange
(``/upbit``, ``/okx``, ``/binance``, ``/gateio``), all fed by one :class:`MarketProcess`
stepped on a timer.

Beside the exchanges, ``GET /fx/usdkrw`` serves the bank USD/KRW rate of the simulated market
(``{"base": "USD", "quote": "KRW", "rate": 1402.37, "timestamp": <ms>, "source":
"simulator"}``): the rate the kimchi premium is defined against (see ``market.py``). The
endpoint line ``run`` prints carries its URL as ``"fx"``. :meth:`SimServer.set_outage`
takes one venue down (503 to every request, its sockets dropped, nothing dispatched), so a
test can watch a venue's data stop while the others keep going.

Adding an exchange: write ``sim/<name>.py`` with a class taking a :class:`SimContext` that
registers its listings on ``ctx.market`` and provides ``app()``, ``endpoints(http_root,
ws_root)``, ``dispatch(step)``, ``drop_all()`` and ``close()`` (see :class:`Venue`), then add
it to :data:`VENUES`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
import sys
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from aiohttp import web, web_app

from dantaro_tui.sim.binance import BinanceVenue
from dantaro_tui.sim.bithumb import BithumbVenue
from dantaro_tui.sim.coinone import CoinoneVenue
from dantaro_tui.sim.faults import Faults, Peer
from dantaro_tui.sim.gateio import GateioVenue
from dantaro_tui.sim.jwt_auth import PaperKey
from dantaro_tui.sim.market import MarketProcess, StepResult
from dantaro_tui.sim.okx import OkxVenue
from dantaro_tui.sim.upbit import UpbitVenue

log = logging.getLogger(__name__)


@dataclass
class SimContext:
    """What every venue module shares."""

    market: MarketProcess
    faults: Faults
    idle_timeout: float = 120.0
    rate_limits: bool = True
    peers: set[Peer] = field(default_factory=set)
    subscriptions_received: int = 0
    accounts: list[PaperKey] = field(default_factory=list)  # the paper accounts' key pairs

    def forget(self, peer: Peer) -> None:
        self.peers.discard(peer)


class Venue(Protocol):
    name: str

    def app(self) -> web.Application: ...

    def endpoints(self, http_root: str, ws_root: str) -> dict[str, str]: ...

    def dispatch(self, step: StepResult) -> None: ...

    async def drop_all(self) -> None: ...

    async def close(self) -> None: ...


# Exchange name -> venue class, in the order a server without ``venues=`` runs them.
VENUES: dict[str, Callable[[SimContext], Venue]] = {
    "upbit": UpbitVenue,
    "okx": OkxVenue,
    "binance": BinanceVenue,
    "gateio": GateioVenue,
    "coinone": CoinoneVenue,
    "bithumb": BithumbVenue,
}


class SimServer:
    """The built-in simulated exchange.

    ``intensity`` scales message volume (1 = a busy Upbit day, several hundred messages/s
    across the KRW markets). ``step_interval`` is how often the market advances (seconds).
    ``idle_timeout`` closes a WebSocket after that long with nothing sent or received.
    ``rate_limits=False`` disables the connect / message / REST limits (faults still apply).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: int = 1,
        kimchi_premium: float = 0.0,
        intensity: float = 1.0,
        *,
        idle_timeout: float = 120.0,
        step_interval: float = 0.1,
        rate_limits: bool = True,
        venues: Sequence[str] | None = None,
        accounts: Sequence[PaperKey] = (),
        premiums: Mapping[str, float] | None = None,
        venue_noise: float = 1.0,
    ) -> None:
        self.host = host
        self.port = port
        self.step_interval = step_interval
        self.faults = Faults(seed=seed)
        self.market = MarketProcess(
            seed,
            intensity=intensity,
            kimchi_premium=kimchi_premium,
            premiums=premiums,
            venue_noise=venue_noise,
        )
        self.ctx = SimContext(
            self.market, self.faults, idle_timeout, rate_limits, accounts=list(accounts)
        )
        self.venues: list[Venue] = [VENUES[name](self.ctx) for name in (venues or VENUES)]
        self._runner: web.AppRunner | None = None
        self._driver: asyncio.Task[None] | None = None
        self.step_seconds = 0.0  # time spent stepping and fanning out (for benchmarks)
        self.down: set[str] = set()  # venues in an outage (set_outage)

    # -- public API
    @property
    def idle_timeout(self) -> float:
        return self.ctx.idle_timeout

    @idle_timeout.setter
    def idle_timeout(self, value: float) -> None:
        self.ctx.idle_timeout = value

    @property
    def connections(self) -> int:
        return len(self.ctx.peers)

    @property
    def subscriptions_received(self) -> int:
        return self.ctx.subscriptions_received

    @property
    def endpoints(self) -> dict[str, dict[str, str]]:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return {
            v.name: v.endpoints(
                f"http://{host}:{self.port}/{v.name}", f"ws://{host}:{self.port}/{v.name}"
            )
            for v in self.venues
        }

    @property
    def fx_url(self) -> str:
        """Where the bank USD/KRW rate is served."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/fx/usdkrw"

    def bank_rate(self) -> float:
        """The bank USD/KRW rate as served: two decimals, as banks quote it."""
        return round(self.market.krw_per_usd, 2)

    async def _fx(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(
            {
                "base": "USD",
                "quote": "KRW",
                "rate": self.bank_rate(),
                "timestamp": int(self.market.now_ms),
                "source": "simulator",
            }
        )

    @web.middleware
    async def _outage(
        self,
        request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        venue = request.path.strip("/").split("/", 1)[0]
        if venue in self.down:
            return web.json_response({"error": f"{venue} is down"}, status=503)
        return await handler(request)

    async def set_outage(self, venue: str, down: bool = True) -> None:
        """Take ``venue`` down (every request 503, open sockets dropped) or bring it back."""
        if down:
            self.down.add(venue)
            for v in self.venues:
                if v.name == venue:
                    await v.drop_all()
        else:
            self.down.discard(venue)

    async def start(self) -> None:
        app = web.Application(middlewares=[self._outage])
        app.router.add_get("/fx/usdkrw", self._fx)
        for venue in self.venues:
            app.add_subapp(f"/{venue.name}/", venue.app())
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, reuse_address=True)
        await site.start()
        # The runner's public view of the bound sockets (port 0 asks for any free port).
        addresses = self._runner.addresses
        if addresses:
            self.port = addresses[0][1]
        self.market.now_ms = time.time() * 1000.0
        self._driver = asyncio.ensure_future(self._drive())

    async def drop_all(self) -> None:
        """Abort every open WebSocket now (no close frame)."""
        for venue in self.venues:
            await venue.drop_all()
        for peer in list(self.ctx.peers):
            peer.abort()

    async def stop(self) -> None:
        if self._driver is not None:
            self._driver.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._driver
            self._driver = None
        for peer in list(self.ctx.peers):
            peer.abort()
        for venue in self.venues:
            await venue.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        # aiohttp caches each (handler, apps) pair it built middlewares for, up to 1,024 of
        # them; our handlers hold this server and its whole simulated market, so a process
        # that starts many servers (a test run) would keep every stopped one alive.
        cached = getattr(web_app, "_cached_build_middleware", None)
        if cached is not None and hasattr(cached, "cache_clear"):
            cached.cache_clear()

    async def __aenter__(self) -> SimServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- the market clock
    async def _drive(self) -> None:
        market = self.market
        while True:
            await asyncio.sleep(self.step_interval)
            started = time.perf_counter()
            now = time.time() * 1000.0
            dt = (now - market.now_ms) / 1000.0
            if dt <= 0.0:
                continue
            if dt > 2.0:  # the loop was blocked: skip ahead rather than replay it all
                market.now_ms = now - 2000.0
                dt = 2.0
            step = market.step(dt)
            for venue in self.venues:
                if venue.name in self.down:
                    continue
                try:
                    venue.dispatch(step)
                except Exception:
                    log.exception("%s: dispatch failed", venue.name)
            self.step_seconds += time.perf_counter() - started


async def _serve(
    host: str,
    port: int,
    seed: int,
    kimchi_premium: float,
    intensity: float,
    accounts: Sequence[PaperKey] = (),
    premiums: Mapping[str, float] | None = None,
) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):  # before the endpoints line: callers may
        with contextlib.suppress(NotImplementedError, RuntimeError):  # signal right after it
            loop.add_signal_handler(sig, stop.set)
    sim = SimServer(
        host, port, seed, kimchi_premium, intensity, accounts=accounts, premiums=premiums
    )
    await sim.start()
    # "fx" is a plain URL, not a venue's {"ws", "rest"}: readers that keep only the venues
    # (those whose value is a table) are not disturbed by it.
    print(json.dumps({**sim.endpoints, "fx": sim.fx_url}), flush=True)
    try:
        await stop.wait()
    finally:
        await sim.stop()


def run(
    host: str = "127.0.0.1",
    port: int = 0,
    seed: int = 1,
    kimchi_premium: float = 0.0,
    intensity: float = 1.0,
    accounts: Sequence[PaperKey] = (),
    premiums: Mapping[str, float] | None = None,
) -> None:
    """Serve until SIGINT/SIGTERM; prints one JSON line of endpoints to stdout first."""
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(host, port, seed, kimchi_premium, intensity, accounts, premiums))
    sys.stdout.flush()
