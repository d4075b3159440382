"""``dantaro-tui collect`` as a user runs it, and ``--source`` of the cockpit."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dantaro_tui.cli import main
from dantaro_tui.feed.client import WebSocketClient
from dantaro_tui.feed.redis_layout import Layout, decode_beat
from tests.redis.helpers import RedisServer, free_port, until

LAYOUT = Layout()


def collect(url: str, *more: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "dantaro_tui.cli", "collect", "--demo", "--redis", url, *more],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_collect_on_the_simulator_publishes_for_its_duration_and_says_how_much(
    redis_server: RedisServer,
) -> None:
    proc = collect(redis_server.url, "--markets", "KRW-BTC,KRW-ETH", "--duration", "4s")
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert "collecting upbit 2 market(s) (ticker, trade, orderbook)" in err
    assert "published" in err and "Traceback" not in err
    r = redis_server.sync()
    for symbol in ("KRW-BTC", "KRW-ETH"):
        assert r.xlen(LAYOUT.stream("upbit", "ticker", symbol)) > 0
    assert r.get(LAYOUT.beat("upbit")) is None  # it said goodbye


async def test_a_killed_collector_makes_the_terminal_stale_within_seconds(
    redis_server: RedisServer,
) -> None:
    proc = collect(redis_server.url, "--markets", "KRW-BTC", "--quiet")
    bot = WebSocketClient("bot", source=redis_server.url)
    r = redis_server.sync()
    try:
        await until(lambda: r.get(LAYOUT.beat("upbit")) is not None, 60, "the collector's beat")
        beat = decode_beat(r.get(LAYOUT.beat("upbit")))  # type: ignore[arg-type]
        assert beat.demo  # simulated prices are said to be simulated
        await bot.subscribe_ticker(["KRW-BTC"], lambda _t: None)
        await until(lambda: bot.health().state == "connected", 60, "connected via Redis")

        proc.kill()  # no goodbye: only the heartbeat's expiry tells
        proc.wait(30)
        await until(lambda: bot.health().state == "stale", 30, "stale once the beat expires")
        assert "no collector is publishing upbit" in bot.health().last_error
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(30)
        await bot.cleanup()
        await bot.hub.close()


def test_collect_with_redis_out_of_reach_says_one_sentence(
    capsys: pytest.CaptureFixture[str],
) -> None:
    port = free_port()
    code = main(["collect", "--demo", "--redis", f"redis://127.0.0.1:{port}", "--markets", "all"])
    err = capsys.readouterr().err
    assert code == 1
    assert f"error: cannot reach Redis at redis://127.0.0.1:{port}" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("flags", "said"),
    [
        (["--exchange", "upbit,okx", "--markets", "KRW-BTC"], "name each market as exchange:CODE"),
        (["--markets", "KRW-BTC", "--channels", "nope"], "nope"),
        (["--redis", "http://127.0.0.1", "--markets", "KRW-BTC"], "is not a Redis URL"),
        (["--markets", "KRW-BTC"], "no Redis URL"),
    ],
)
def test_bad_collect_flags_are_a_usage_error_before_anything_connects(
    flags: list[str], said: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DANTARO_REDIS_URL", raising=False)
    if "--redis" not in flags and said != "no Redis URL":
        flags = ["--redis", "redis://127.0.0.1:1", *flags]
    assert main(["collect", *flags]) == 2
    err = capsys.readouterr().err
    assert said in err and "Traceback" not in err


def test_the_cockpit_with_redis_out_of_reach_says_so_and_can_fall_back_to_direct(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from dantaro_tui.ui.redis_session import open_source

    url = f"redis://127.0.0.1:{free_port()}/0"
    assert main(["--source", url]) == 1
    err = capsys.readouterr().err
    assert f"cannot reach Redis at {url}" in err and "--fallback direct" in err
    assert "Traceback" not in err

    hub, note, error = open_source(url, "direct")
    assert hub is not None and hub.source is None and not error  # the exchanges, directly
    assert "using the exchanges directly" in note


def test_the_cockpit_takes_the_redis_url_from_the_environment(
    redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from dantaro_tui.ui.redis_session import open_source

    monkeypatch.setenv("DANTARO_REDIS_URL", redis_server.url)
    hub, note, error = open_source("redis", "none")
    assert hub is not None and hub.source == redis_server.url and not error
    assert "no collector is publishing" in note  # none runs yet: said before prices go stale
