"""``dantaro-tui watch --demo`` as a trader runs it: a process of its own, rules from the
settings file, alerts arriving at a real HTTP receiver (Apprise's ``json://``)."""

from __future__ import annotations

import asyncio
import re
import signal
import sys
from pathlib import Path

from tests.services.receiver import Receiver
from tests.sim.helpers import upbit_markets


async def market_names() -> dict[str, str]:
    """The simulator's Korean names, as its REST market list gives them."""
    return {m.symbol: m.korean_name for m in await upbit_markets()}


async def test_watch_demo_sends_marked_korean_alerts_to_the_receiver(tmp_path: Path) -> None:
    names = await market_names()
    async with Receiver() as rx:
        config = tmp_path / "config.toml"
        config.write_text(
            f"""
[notify]
language = "ko"
urls = ["{rx.url}"]

[[watch]]
name = "빠른 움직임"
kind = "move"
markets = ["*"]
percent = 0.3
window = "10s"
""",
            encoding="utf-8",
        )
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "dantaro_tui",
            "watch",
            "--demo",
            "--quiet",
            "--config",
            str(config),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            await rx.wait_for(lambda: len(rx.payloads) >= 2, 120.0)
        finally:
            proc.send_signal(signal.SIGINT)
            out, err = await asyncio.wait_for(proc.communicate(), 60.0)
    text = out.decode() + err.decode()
    assert proc.returncode == 0, text
    assert "Traceback" not in text
    assert "watch ended" in text
    for payload in rx.payloads[:2]:
        title, body = payload["title"], payload["message"]
        assert title.startswith("[데모]")  # a simulated market never passes for a real one
        code = re.search(r"\((KRW-[A-Z0-9]+)\)", title)
        assert code, title
        assert names[code[1]] in title  # the Korean name of the market
        assert "급등" in title or "급락" in title
        assert "빠른 움직임" in body  # which rule spoke
    # The process said each alert it sent, in one line.
    assert text.count("ALERT [데모]") >= 2


async def test_watch_on_a_collectors_redis_says_demo_when_the_collector_does(
    tmp_path: Path,
) -> None:
    """``collect --demo`` publishes the simulator to a real redis-server; ``watch --source``
    reads it: the alerts come, marked DEMO because the collector says it serves the
    simulator, never passing for real prices."""
    from tests.redis.helpers import RedisServer

    server = RedisServer(tmp_path / "redis")
    server.start()
    collector = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "dantaro_tui", "collect", "--demo", "--redis", server.url,
        "--markets", "all", "--quote", "KRW", "--channels", "ticker", "--quiet",
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        async with Receiver() as rx:
            config = tmp_path / "config.toml"
            config.write_text(
                f'[notify]\nlanguage = "en"\nurls = ["{rx.url}"]\n\n'
                '[[watch]]\nkind = "move"\nmarkets = ["*"]\npercent = 0.3\nwindow = "10s"\n',
                encoding="utf-8",
            )
            watch = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "dantaro_tui", "watch", "--source", server.url,
                "--config", str(config), "--quiet",
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            )  # fmt: skip
            try:
                await rx.wait_for(lambda: rx.payloads, 120.0)
            finally:
                watch.send_signal(signal.SIGINT)
                out, err = await asyncio.wait_for(watch.communicate(), 60.0)
        text = out.decode() + err.decode()
        assert watch.returncode == 0, text
        assert "via Redis" in text and "Traceback" not in text
        assert rx.payloads[0]["title"].startswith("[DEMO] KRW-")
    finally:
        if collector.returncode is None:
            collector.send_signal(signal.SIGINT)
            await asyncio.wait_for(collector.communicate(), 60.0)
        server.stop()
