"""The cockpit sends the watch alerts itself (key n), so a trader needs no second process:
the demo cockpit, its simulator, and a real HTTP receiver behind Apprise's ``json://``."""

from __future__ import annotations

import asyncio
from pathlib import Path

from dantaro_tui.config import load_config
from dantaro_tui.feed.hub import default_hub
from dantaro_tui.ui.app import DantaroApp
from dantaro_tui.ui.run import DemoSession
from tests.services.receiver import Receiver

SIZE = (160, 48)


async def test_n_turns_the_phone_alerts_on_and_off(tmp_path: Path) -> None:
    async with Receiver() as rx:
        path = tmp_path / "config.toml"
        path.write_text(
            f"""
[notify]
language = "en"
urls = ["{rx.url}"]

[[watch]]
name = "quick moves"
kind = "move"
markets = ["*"]
percent = 0.3
window = "10s"
""",
            encoding="utf-8",
        )
        cfg = load_config(path, env={})
        assert not cfg.notify.cockpit  # off until asked
        app = DantaroApp(cfg, mode="demo", session=DemoSession(seed=4), persist=False)
        try:
            async with app.run_test(size=SIZE) as pilot:
                await asyncio.wait_for(app.started.wait(), 30)
                await pilot.press("n")
                assert app.config.notify.cockpit and app.config.notify_table["cockpit"]
                await rx.wait_for(lambda: rx.payloads, 120.0)
                title = rx.payloads[0]["title"]
                assert title.startswith("[DEMO] KRW-")  # the demo never passes for real
                assert "quick moves" in rx.payloads[0]["message"]
                await pilot.press("n")
                assert not app.config.notify.cockpit
                watch = app.notify_away.watch
                assert watch is not None and not watch.notifier.enabled
                assert "off" in app.notify_away.status()
        finally:
            default_hub().clear_endpoints()
