"""The simulator's kimchi premium, per Korean venue, and the bank rate it serves.

The simulator defines the premium against the **bank rate** (the simulated won's fair
value, served at ``/fx/usdkrw``): a Korean venue's KRW price of a coin is the global USDT
price x the bank rate x (1 + that venue's premium), up to each venue's own noise and spread.
The dollar coins carry no premium, so the tether rate (``KRW-USDT``) sits at the bank rate.
These tests read prices off the wire (raw REST JSON, no codec) and hold the premiums to
within 0.1 percentage point of the configured ones.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from dantaro_tui.sim.market import ListingSpec, MarketProcess
from dantaro_tui.sim.premiums import parse_premium, parse_premiums
from dantaro_tui.sim.server import SimServer

REPO = Path(__file__).resolve().parents[2]
UPBIT_PREMIUM = 3.5
BITHUMB_PREMIUM = 2.8
TOLERANCE = 0.1  # percentage points


@pytest.fixture
async def quiet_sim() -> AsyncIterator[SimServer]:
    """Upbit at 3.5 %, Bithumb at 2.8 %, Coinone at the market's 3.5 %, with the venues'
    own noise off so a premium read at any moment is the configured one."""
    sim = SimServer(
        seed=7,
        kimchi_premium=UPBIT_PREMIUM,
        premiums={"bithumb": BITHUMB_PREMIUM},
        venues=["upbit", "bithumb", "coinone", "binance"],
        venue_noise=0.0,
        rate_limits=False,
    )
    await sim.start()
    try:
        yield sim
    finally:
        await sim.stop()


async def get_json(session: aiohttp.ClientSession, url: str, **params: str) -> Any:
    async with session.get(url, params=params) as resp:
        assert resp.status == 200, f"{url}: HTTP {resp.status}"
        return json.loads(await resp.read())


def mid_of(units: list[dict[str, Any]]) -> float:
    top = units[0]
    return (float(top["ask_price"]) + float(top["bid_price"])) / 2.0


async def test_each_korean_venue_shows_its_own_premium_over_the_served_bank_rate(
    quiet_sim: SimServer,
) -> None:
    eps = quiet_sim.endpoints
    async with aiohttp.ClientSession() as session:
        fx = await get_json(session, quiet_sim.fx_url)
        assert (fx["base"], fx["quote"], fx["source"]) == ("USD", "KRW", "simulator")
        assert isinstance(fx["timestamp"], int) and fx["timestamp"] > 0
        bank = float(fx["rate"])
        assert 500 < bank < 5000
        up = await get_json(session, eps["upbit"]["rest"] + "/v1/orderbook",
                            markets="KRW-BTC,KRW-USDT")  # fmt: skip
        bt = await get_json(session, eps["bithumb"]["rest"] + "/v1/orderbook", markets="KRW-BTC")
        cn = await get_json(session, eps["coinone"]["rest"] + "/public/v2/orderbook/KRW/BTC")
        bn = await get_json(session, eps["binance"]["rest"] + "/api/v3/depth",
                            symbol="BTCUSDT", limit="5")  # fmt: skip
    books = {row["market"]: row["orderbook_units"] for row in up}
    global_btc = (float(bn["asks"][0][0]) + float(bn["bids"][0][0])) / 2.0
    coinone_btc = (float(cn["asks"][0]["price"]) + float(cn["bids"][0]["price"])) / 2.0

    def premium(krw: float, rate: float) -> float:
        return (krw / (global_btc * rate) - 1.0) * 100.0

    assert premium(mid_of(books["KRW-BTC"]), bank) == pytest.approx(UPBIT_PREMIUM, abs=TOLERANCE)
    assert premium(mid_of(bt[0]["orderbook_units"]), bank) == pytest.approx(
        BITHUMB_PREMIUM, abs=TOLERANCE
    )
    assert premium(coinone_btc, bank) == pytest.approx(UPBIT_PREMIUM, abs=TOLERANCE)
    # The tether rate carries no premium of its own: against it the premium is the same.
    tether = mid_of(books["KRW-USDT"])
    assert tether == pytest.approx(bank, rel=0.001)
    assert premium(mid_of(books["KRW-BTC"]), tether) == pytest.approx(UPBIT_PREMIUM, abs=TOLERANCE)


def test_with_the_venues_noise_on_the_premium_averages_to_the_configured_one() -> None:
    """The demo's venues wander ~0.08 % each around fair value (so the board looks alive);
    over a simulated hour each venue's premium averages to its configured one."""
    market = MarketProcess(
        11, kimchi_premium=UPBIT_PREMIUM, premiums={"bithumb": BITHUMB_PREMIUM}, start_ms=0.0
    )
    krw = [
        market.add_listing(ListingSpec(v, "KRW-BTC", "BTC", "KRW", lambda p: 1000.0, rate=2.0,
                                       premium=True))
        for v in ("upbit", "bithumb")
    ]  # fmt: skip
    usdt = market.add_listing(
        ListingSpec("binance", "BTCUSDT", "BTC", "USDT", lambda p: 0.01, rate=2.0)
    )
    sums = [0.0, 0.0]
    steps = 3600
    for _ in range(steps):
        market.step(1.0)
        for i, listing in enumerate(krw):
            sums[i] += (listing.mid() / (usdt.mid() * market.krw_per_usd) - 1.0) * 100.0
    assert sums[0] / steps == pytest.approx(UPBIT_PREMIUM, abs=TOLERANCE)
    assert sums[1] / steps == pytest.approx(BITHUMB_PREMIUM, abs=TOLERANCE)


async def test_a_venue_in_an_outage_answers_nothing_and_comes_back(quiet_sim: SimServer) -> None:
    eps = quiet_sim.endpoints
    async with aiohttp.ClientSession() as session:
        await quiet_sim.set_outage("bithumb")
        async with session.get(eps["bithumb"]["rest"] + "/v1/market/all") as resp:
            assert resp.status == 503
        with pytest.raises(aiohttp.WSServerHandshakeError):
            await session.ws_connect(eps["bithumb"]["ws"])
        # The others keep going, and so does the bank rate.
        assert await get_json(session, eps["upbit"]["rest"] + "/v1/market/all")
        assert (await get_json(session, quiet_sim.fx_url))["rate"] > 0
        await quiet_sim.set_outage("bithumb", down=False)
        assert await get_json(session, eps["bithumb"]["rest"] + "/v1/market/all")


def test_premium_flags_are_read_or_refused_in_one_sentence() -> None:
    assert parse_premium("Bithumb=2.8") == ("bithumb", 2.8)
    assert parse_premium("coinone=-1.5%") == ("coinone", -1.5)
    assert parse_premiums(["bithumb=1", "bithumb=2.8", "upbit=3.5"]) == {
        "bithumb": 2.8,
        "upbit": 3.5,
    }
    for bad, words in (
        ("bithumb", "VENUE=PERCENT"),
        ("binance=2", "Korean venues"),
        ("bithumb=lots", "not a number"),
        ("bithumb=nan", "between"),
        ("upbit=250", "between"),
    ):
        with pytest.raises(ValueError, match=words) as err:
            parse_premium(bad)
        assert "\n" not in str(err.value)


def test_the_sim_command_takes_per_venue_premiums_and_prints_the_bank_rate_url() -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    bad = subprocess.run(
        [sys.executable, "-m", "dantaro_tui", "sim", "--premium", "binance=2"],
        capture_output=True, text=True, env=env, cwd=REPO, timeout=60,
    )  # fmt: skip
    assert bad.returncode == 2 and "Korean venues" in bad.stderr and "Traceback" not in bad.stderr
    proc = subprocess.Popen(
        [sys.executable, "-m", "dantaro_tui", "sim", "--port", "0", "--kimchi-premium", "3.5",
         "--premium", "bithumb=2.8", "--intensity", "0.2"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env, cwd=REPO,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        line = json.loads(proc.stdout.readline())
        assert line["fx"].endswith("/fx/usdkrw") and line["fx"].startswith("http://127.0.0.1:")
        venues = {k for k, v in line.items() if isinstance(v, dict)}
        assert {"upbit", "bithumb", "coinone", "binance"} <= venues
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
