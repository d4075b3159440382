"""A script written for the exchanges runs unchanged on a collector: ``DANTARO_SOURCE``
points the default hub at Redis. Real ``dantaro-tui collect --demo``, real redis-server,
the script in a process of its own as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.redis.helpers import RedisServer, free_port

SCRIPT = """
import asyncio
from dantaro_tui import WebSocketClient


async def main() -> None:
    client = WebSocketClient("bot")
    done = asyncio.Event()
    seen = []

    def on_ticker(t):
        print(t.symbol, t.trade_price, flush=True)
        seen.append(t)
        if len(seen) >= 5:
            done.set()

    await client.subscribe_ticker(["KRW-BTC", "KRW-ETH"], on_ticker)
    await asyncio.wait_for(done.wait(), 90)
    await client.cleanup()


asyncio.run(main())
"""
SECRET = "n0t-f0r-l0gs"


def run_script(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "bot.py"
    script.write_text(SCRIPT)
    environ = {k: v for k, v in os.environ.items() if not k.startswith("DANTARO_")}
    # A direct connection would fail here: whatever the script gets came through Redis.
    environ["DANTARO_UPBIT_WS_URL"] = f"ws://127.0.0.1:{free_port()}/nothing-listens"
    environ.update(env)
    return subprocess.run(
        [sys.executable, str(script)],
        env=environ,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_a_readme_script_gets_tickers_from_the_collector_named_in_the_environment(
    demo_collector: RedisServer, tmp_path: Path
) -> None:
    done = run_script(tmp_path, DANTARO_SOURCE=demo_collector.url)
    assert done.returncode == 0, done.stderr
    lines = [line.split() for line in done.stdout.splitlines()]
    assert len(lines) >= 5
    for symbol, price in lines:
        assert symbol in ("KRW-BTC", "KRW-ETH") and float(price) > 0


def test_redis_means_the_url_in_dantaro_redis_url(
    demo_collector: RedisServer, tmp_path: Path
) -> None:
    done = run_script(tmp_path, DANTARO_SOURCE="redis", DANTARO_REDIS_URL=demo_collector.url)
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) >= 5


@pytest.mark.parametrize(
    ("source", "said"),
    [
        ("http://127.0.0.1:6379", "http://127.0.0.1:6379 is not a Redis URL"),
        ("redis", "DANTARO_SOURCE=redis reads the Redis URL from DANTARO_REDIS_URL"),
        (
            f"redis://:{SECRET}@127.0.0.1:PORT/0",
            "cannot reach Redis at redis://:***@127.0.0.1:PORT/0",
        ),
    ],
)
def test_a_source_that_cannot_be_used_is_one_sentence_and_a_failed_exit(
    source: str, said: str, tmp_path: Path
) -> None:
    port = str(free_port())  # nothing listens there
    done = run_script(tmp_path, DANTARO_SOURCE=source.replace("PORT", port))
    assert done.returncode != 0
    assert done.stderr.startswith("error: DANTARO_SOURCE")
    assert said.replace("PORT", port) in done.stderr
    assert "Traceback" not in done.stderr and SECRET not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert not done.stdout
