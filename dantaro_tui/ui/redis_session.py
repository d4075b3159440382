"""``dantaro-tui --source redis://...``: the cockpit on a collector's Redis streams.

Before the app starts, Redis is asked once: out of reach, the user reads one sentence and
the app does not open on feeds that cannot come, unless ``--fallback direct`` asked for the
exchanges instead. Once running, the session keeps an eye on the collectors' heartbeats so a
collector serving the simulator is never taken for a live one: the DEMO badge goes up.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from dantaro_tui.exchanges import exchanges
from dantaro_tui.feed.hub import FeedHub
from dantaro_tui.feed.redis_layout import CollectorBeat, redact, redis_url

WATCH_EVERY = 2.0  # seconds between looks at the collectors' heartbeats


def open_source(source: str, fallback: str) -> tuple[FeedHub | None, str, str]:
    """``(hub, note, error)`` for ``--source``: a hub on Redis and maybe a note for the
    user, or None and the sentence (``--fallback direct``: a direct hub and the note)."""
    from dantaro_tui.feed.redis_source import probe

    try:
        url = redis_url(None if source == "redis" else source)
    except ValueError as exc:
        return None, "", str(exc)
    problem, beats = asyncio.run(probe(url, exchanges()))
    if problem:
        if fallback == "direct":
            return FeedHub(), f"{problem}; using the exchanges directly (--fallback direct)", ""
        return None, "", f"{problem}; start it, or add --fallback direct to use the exchanges"
    note = ""
    if not beats:
        note = (
            f"no collector is publishing to {redact(url)} yet: prices stay stale until one "
            "runs (dantaro-tui collect)"
        )
    return FeedHub(source=url), note, ""


class RedisSession:
    """The TUI's session on a Redis hub: the DEMO badge and the simulator's REST follow what
    the collectors say they serve."""

    def __init__(self) -> None:
        self._watcher: asyncio.Task[None] | None = None
        self.demo = False

    async def start(self, app: Any) -> None:
        await self._look(app)
        self._watcher = asyncio.create_task(self._watch(app), name="redis-collectors")

    async def _watch(self, app: Any) -> None:
        while True:
            await asyncio.sleep(WATCH_EVERY)
            with contextlib.suppress(Exception):  # Redis trouble is the feeds' to say
                await self._look(app)

    async def _look(self, app: Any) -> None:
        from dantaro_tui.feed.redis_source import probe

        source = app.hub.source
        if source is None:
            return
        _, beats = await probe(source, exchanges())
        self._apply(app, beats)

    def _apply(self, app: Any, beats: dict[str, CollectorBeat]) -> None:
        demo = any(beat.demo for beat in beats.values())
        for exchange, beat in beats.items():
            if beat.demo and beat.rest_url:
                # The simulator's markets and history, not the real exchange's.
                app.hub.set_endpoint(exchange, rest=beat.rest_url)
        if demo and not self.demo:
            self.demo = True
            app.mode = "demo"
            app.sub_title = "DEMO (simulated prices, via Redis)"
            with contextlib.suppress(Exception):
                app.notify(
                    "The collector serves the SIMULATED exchange: prices are not real.",
                    title="Redis",
                    severity="warning",
                    timeout=15,
                )
        elif not demo and not self.demo:
            app.sub_title = "LIVE via Redis"

    async def stop(self) -> None:
        watcher, self._watcher = self._watcher, None
        if watcher is not None:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await watcher
