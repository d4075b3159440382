"""SimServer lifecycle, mounting, and the blocking ``run()`` entry used by the CLI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import aiohttp

from dantaro_tui.sim.server import VENUES, SimServer

REPO = Path(__file__).resolve().parents[2]


async def test_endpoints_and_lifecycle() -> None:
    sim = SimServer(seed=1, venues=["upbit"])
    await sim.start()
    try:
        assert sim.port > 0
        assert sim.endpoints == {
            "upbit": {
                "ws": f"ws://127.0.0.1:{sim.port}/upbit/websocket/v1",
                "rest": f"http://127.0.0.1:{sim.port}/upbit",
            }
        }
        assert sim.connections == 0 and sim.subscriptions_received == 0
        async with aiohttp.ClientSession() as session:
            async with session.get(sim.endpoints["upbit"]["rest"] + "/v1/market/all") as r:
                assert r.status == 200
            async with session.get(f"http://127.0.0.1:{sim.port}/nope") as r:
                assert r.status == 404
    finally:
        await sim.stop()


async def test_every_registered_venue_is_mounted() -> None:
    async with SimServer(seed=2, rate_limits=False) as sim:
        assert set(sim.endpoints) == set(VENUES) and "upbit" in VENUES
        for name, urls in sim.endpoints.items():
            assert urls["rest"].endswith(f"/{name}") and urls["ws"].startswith(
                f"ws://127.0.0.1:{sim.port}/{name}"
            )
        symbols = {(x.venue, x.symbol) for x in sim.market.listings()}
        assert ("upbit", "KRW-BTC") in symbols


async def test_idle_timeout_is_configurable() -> None:
    sim = SimServer(idle_timeout=3.0, venues=["upbit"])
    assert sim.idle_timeout == 3.0
    sim.idle_timeout = 5.0
    assert sim.ctx.idle_timeout == 5.0


def test_run_prints_endpoints_and_stops_on_sigterm() -> None:
    code = "from dantaro_tui.sim.server import run; run('127.0.0.1', 0, 3, 1.5, 0.5)"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env, cwd=REPO
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        endpoints = json.loads(line)
        assert endpoints["upbit"]["ws"].startswith("ws://127.0.0.1:")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        assert proc.stdout.read() == ""  # exactly one line
    finally:
        if proc.poll() is None:
            proc.kill()
