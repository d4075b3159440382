"""The record command as a user runs it (its own process, against ``dantaro-tui sim``):
unknown market codes refused up front, whole lines off a terminal, a clean end."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dantaro_tui.recording.cli import fetch_markets
from dantaro_tui.recording.format import RECORDING_ENDED, Recording
from dantaro_tui.sim.server import SimServer

REPO = Path(__file__).resolve().parents[2]
Endpoints = dict[str, dict[str, str]]


def dantaro(
    *args: str, env: dict[str, str], timeout: float = 90
) -> subprocess.CompletedProcess[str]:
    """Output to pipes: stdout and stderr are not terminals."""
    return subprocess.run(
        [sys.executable, "-m", "dantaro_tui", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
        stdin=subprocess.DEVNULL,
        env={**os.environ, **env},
    )


def sim_env(sim: Endpoints) -> dict[str, str]:
    return {
        "DANTARO_UPBIT_WS_URL": sim["upbit"]["ws"],
        "DANTARO_UPBIT_REST_URL": sim["upbit"]["rest"],
    }


def test_an_unlisted_market_is_refused_at_once(sim_process: Endpoints, tmp_path: Path) -> None:
    out = tmp_path / "rec"
    started = time.monotonic()
    result = dantaro(
        "record", "--markets", "KRW-BTC,KRW-NOPE", "--duration", "60s", "--out", str(out),
        env=sim_env(sim_process),
    )  # fmt: skip
    elapsed = time.monotonic() - started
    assert result.returncode == 2
    assert "upbit does not list KRW-NOPE" in result.stderr
    assert "KRW-BTC" not in result.stderr.split("does not list", 1)[1].split("(")[0]
    assert "Traceback" not in result.stderr
    assert elapsed < 20  # not the 60 s of --duration
    assert not out.exists()


def test_an_unreachable_market_list_does_not_stop_the_recording(
    sim_process: Endpoints, tmp_path: Path
) -> None:
    out = tmp_path / "rec"
    env = {**sim_env(sim_process), "DANTARO_UPBIT_REST_URL": "http://127.0.0.1:9"}
    result = dantaro(
        "record", "--markets", "KRW-BTC", "--duration", "2s", "--out", str(out), env=env
    )
    assert result.returncode == 0, result.stderr
    assert "could not check the market codes" in result.stderr
    assert any(r.type == "recv" for r in Recording(out).records())


def test_a_timed_recording_off_a_terminal_ends_cleanly_in_whole_lines(
    sim_process: Endpoints, tmp_path: Path
) -> None:
    out = tmp_path / "rec"
    env = sim_env(sim_process)
    result = dantaro(
        "record", "--markets", "KRW-BTC,KRW-ETH", "--duration", "3s", "--out", str(out), env=env
    )
    assert result.returncode == 0, result.stderr
    text = result.stderr
    assert text.endswith("\n")
    lines = text.splitlines()
    assert lines[0].startswith("recording upbit KRW-BTC, KRW-ETH")
    assert lines[-1].startswith("recorded ") and " frames " in lines[-1]
    assert all(not ("recorded" in line and "trade" in line) for line in lines)  # not glued

    # the end of the recording is recorded as such, not as the exchange dropping us
    disconnects = [r for r in Recording(out).records() if r.type == "disconnect"]
    assert disconnects and all(r.reason == RECORDING_ENDED for r in disconnects)
    summary = dantaro("replay", str(out), "--headless", env=env).stdout
    assert "0 disconnect(s), 0 gap(s)" in summary
    assert "Errors reported" not in summary


@pytest.mark.parametrize("exchange", ["upbit", "okx", "binance", "gateio", "bithumb", "coinone"])
async def test_markets_all_lists_every_venue(exchange: str) -> None:
    """``record``/``collect --markets all`` start from the venue's own market list, each
    venue asked in its own words (exchangeInfo, currency_pairs, instruments...)."""
    async with SimServer(seed=1, rate_limits=False) as sim:
        if exchange not in sim.endpoints:
            pytest.skip(f"the simulator has no {exchange} venue")
        codes, url, body = await fetch_markets(exchange, sim.endpoints[exchange]["rest"], [])
        listed = {x.symbol for x in sim.market.listings(exchange)}
        assert set(codes) == listed and url.startswith(sim.endpoints[exchange]["rest"])
        assert body
