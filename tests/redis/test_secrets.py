"""A Redis password never reaches a log, an error, health or a status line."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console

from dantaro_tui.feed.client import WebSocketClient
from dantaro_tui.feed.collector_redis import CollectorError, RedisCollector
from dantaro_tui.feed.redis_layout import redact, redis_url, scrub
from dantaro_tui.recording.collect import _StatusLine
from dantaro_tui.sim.server import SimServer
from tests.redis.helpers import RedisServer, start_collector, stop_collector, until

SECRET = "s3cret-Passw0rd"


@pytest.fixture
def locked_redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "locked", password=SECRET)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (f"redis://:{SECRET}@127.0.0.1:6379/0", "redis://:***@127.0.0.1:6379/0"),
        (f"rediss://desk:{SECRET}@redis.example:6380/1", "rediss://desk:***@redis.example:6380/1"),
        (
            f"unix:///run/redis.sock?db=2&password={SECRET}",
            "unix:///run/redis.sock?db=2&password=***",
        ),
        ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"),
    ],
)
def test_urls_are_shown_without_their_password(url: str, shown: str) -> None:
    assert redact(url) == shown
    assert scrub(f"connecting to {url} failed", url).count(SECRET) == 0


def test_the_url_may_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DANTARO_REDIS_URL", f"rediss://:{SECRET}@desk-redis:6380/0")
    assert redis_url(None) == f"rediss://:{SECRET}@desk-redis:6380/0"
    assert redis_url("redis://other:6379") == "redis://other:6379"  # a flag wins


async def test_nothing_a_user_or_a_log_sees_carries_the_password(
    locked_redis: RedisServer, sim: SimServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    collector = await start_collector(locked_redis.url, sim, {"upbit": ["KRW-BTC"]})
    bot = WebSocketClient("bot", source=locked_redis.url)
    try:
        await bot.subscribe_ticker(["KRW-BTC"], lambda _t: None)
        await until(lambda: bot.health().state == "connected", what="connected with a password")
        console = Console(record=True, width=400)
        console.print(_StatusLine(collector))
        seen = [
            console.export_text(),
            repr(bot.health()),
            repr(bot.hub.connection_health()),
            collector.redacted_url,
        ]
        locked_redis.stop()  # errors now, with the URL in them
        await until(lambda: bot.health().state == "reconnecting", what="reconnecting")
        await until(lambda: collector.stats.errors > 0 or not collector.stats.redis_ok, what="err")
        seen += [repr(bot.health()), collector.stats.last_error]
        console.print(_StatusLine(collector))
        seen.append(console.export_text())
        seen += [record.getMessage() for record in caplog.records]
        assert all(SECRET not in text for text in seen)
        assert "redis://:***@127.0.0.1" in bot.health().last_error
    finally:
        await bot.cleanup()
        await bot.hub.close()
        await stop_collector(collector)


async def test_a_wrong_password_is_said_without_repeating_it(locked_redis: RedisServer) -> None:
    wrong = f"redis://:not-{SECRET}@127.0.0.1:{locked_redis.port}/0"
    bot = WebSocketClient("bot", source=wrong, sync_timeout=0.5)
    try:
        await bot.subscribe_ticker(["KRW-BTC"], lambda _t: None)
        await until(lambda: bool(bot.health().last_error), what="a sentence")
        assert "refused the credentials" in bot.health().last_error
        assert SECRET not in repr(bot.health())
    finally:
        await bot.cleanup()
        await bot.hub.close()
    with pytest.raises(CollectorError) as caught:
        await RedisCollector(wrong, {"upbit": ["KRW-BTC"]}, ["ticker"]).start()
    assert "refused the credentials" in str(caught.value) and SECRET not in str(caught.value)
