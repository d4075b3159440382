"""The cockpit sends the watch alerts itself: no second process for a trader at the desk.

``[notify] cockpit = true`` turns it on at start; the ``n`` key (and the palette's "Send
alerts away") turns it on and off, and the choice is saved. It runs the same
:class:`WatchService` as ``dantaro-tui watch``, over the app's own hub, alert service and
premium service, so the phone hears what the alert log shows. Delivery problems go to the
alert log as feed alerts (toasted like the other feed problems). A replay never sends:
its prices are not today's.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import replace
from typing import TYPE_CHECKING

from dantaro_tui.services.notify import Notifier
from dantaro_tui.services.watch_config import default_rules
from dantaro_tui.services.watch_rules import WatchService

if TYPE_CHECKING:
    from dantaro_tui.ui.app import DantaroApp


class CockpitNotify:
    def __init__(self, app: DantaroApp) -> None:
        self.app = app
        self.watch: WatchService | None = None
        self._starting: asyncio.Task[None] | None = None

    @property
    def on(self) -> bool:
        return self.watch is not None and self.watch.enabled

    def start_if_configured(self) -> None:
        if self.app.config.notify.cockpit and self.app.mode != "replay":
            self._start()

    def _start(self) -> None:
        app = self.app
        cfg = app.config
        notifier = Notifier(cfg.notify, demo=app.mode == "demo")
        notifier.on_problem = lambda text: app.add_alert(f"alerts out: {text}")
        self.watch = WatchService(
            app.hub,
            cfg.watch_rules or default_rules(),
            notifier,
            alert_service=app.alert_service,
            premium=app.premium_service,
            exchange=cfg.exchange,
            demo=app.mode == "demo",
        )
        self._starting = asyncio.create_task(self._run(self.watch))

    async def _run(self, watch: WatchService) -> None:
        # The rules over every market need the market list: it comes once loaded.
        while not self.app.markets:
            await asyncio.sleep(0.5)
        try:
            await watch.start(self.app.markets.values())
        except Exception as exc:
            self.app.add_alert(f"alerts out: could not start: {exc}")

    def toggle(self) -> None:
        app = self.app
        if app.mode == "replay":
            app.notify("A replay sends no alerts: its prices are not today's.", timeout=4)
            return
        if self.watch is None:
            self._start()
        else:
            self.watch.enabled = not self.watch.enabled
            self.watch.notifier.enabled = self.watch.enabled
        on = self.on
        watch = self.watch
        assert watch is not None
        app.config.notify = replace(app.config.notify, cockpit=on)
        app.config.notify_table["cockpit"] = on
        app.save_soon()
        if not on:
            app.notify("Alerts away: off", timeout=3)
            return
        targets = {u for r in watch.engine.rules for u in watch.notifier.targets(r)}
        if targets:
            app.notify(f"Alerts away: on, to {len(targets)} destination(s)", timeout=3)
        else:
            app.notify(
                "Alerts away: on, but no [notify] urls are set: they have nowhere to go.",
                severity="warning",
                timeout=8,
            )

    def status(self) -> str:
        if self.watch is None:
            return "off"
        return ("on: " if self.on else "off: ") + self.watch.notifier.health().summary()

    async def close(self) -> None:
        if self._starting is not None:
            self._starting.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._starting
        if self.watch is not None:
            await self.watch.close(drain_s=2.0)
