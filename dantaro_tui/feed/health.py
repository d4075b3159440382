"""Connection health as a trader sees it: is it live, how busy, how late, how often broken."""

from __future__ import annotations

import time
import weakref
from typing import TYPE_CHECKING, Literal

import msgspec

if TYPE_CHECKING:
    from dantaro_tui.feed.client import WebSocketClient

State = Literal["idle", "connecting", "connected", "reconnecting", "stale", "closed"]

WINDOW = 30  # seconds of message counts kept
STALE_AFTER = 10.0  # connected but nothing received for this long


class HealthSnapshot(msgspec.Struct, frozen=True):
    name: str
    exchange: str
    state: State
    msgs_30s: int
    messages: int
    last_message: float  # wall time, 0.0 = never
    errors: int
    reconnects: int
    latency_ms: float  # exchange time -> receive time, smoothed; -1 = unknown
    last_error: str
    rate_limit_wait: float  # seconds spent queued by rate limiters

    @property
    def age(self) -> float:
        return time.time() - self.last_message if self.last_message else float("inf")


class Health:
    """Counters updated on the hot path; cheap enough to touch on every frame."""

    __slots__ = (
        "_buckets",
        "_sec",
        "errors",
        "exchange",
        "last_error",
        "last_message",
        "latency_ms",
        "messages",
        "name",
        "reconnects",
        "state",
    )

    def __init__(self, name: str, exchange: str) -> None:
        self.name = name
        self.exchange = exchange
        self.state: State = "idle"
        self.messages = 0
        self.errors = 0
        self.reconnects = 0
        self.last_message = 0.0
        self.last_error = ""
        self.latency_ms = -1.0
        self._buckets = [0] * WINDOW
        self._sec = 0

    def on_frame(self, now: float) -> None:
        self.messages += 1
        self.last_message = now
        sec = int(now)
        if sec != self._sec:
            gap = min(sec - self._sec, WINDOW)
            for i in range(1, gap + 1):
                self._buckets[(self._sec + i) % WINDOW] = 0
            self._sec = sec
        self._buckets[sec % WINDOW] += 1

    def on_latency(self, ms: float) -> None:
        # EWMA: steady enough to read, quick enough to show a lagging feed.
        self.latency_ms = ms if self.latency_ms < 0 else self.latency_ms * 0.9 + ms * 0.1

    def on_error(self, message: str) -> None:
        self.errors += 1
        self.last_error = message

    def msgs_30s(self, now: float | None = None) -> int:
        now = time.time() if now is None else now
        sec = int(now)
        if sec - self._sec >= WINDOW:
            return 0
        # Buckets newer than the last frame's second were never written for this round.
        return sum(
            self._buckets[s % WINDOW] for s in range(sec - WINDOW + 1, sec + 1) if s <= self._sec
        )

    def snapshot(self, rate_limit_wait: float = 0.0) -> HealthSnapshot:
        now = time.time()
        state = self.state
        if state == "connected" and self.last_message and now - self.last_message > STALE_AFTER:
            state = "stale"
        return HealthSnapshot(
            name=self.name,
            exchange=self.exchange,
            state=state,
            msgs_30s=self.msgs_30s(now),
            messages=self.messages,
            last_message=self.last_message,
            errors=self.errors,
            reconnects=self.reconnects,
            latency_ms=round(self.latency_ms, 1),
            last_error=self.last_error,
            rate_limit_wait=round(rate_limit_wait, 3),
        )


# Every live client in the process, for the health view; weak so a forgotten client dies.
CLIENTS: weakref.WeakSet[WebSocketClient] = weakref.WeakSet()


def all_health() -> list[HealthSnapshot]:
    return sorted((c.health() for c in list(CLIENTS)), key=lambda h: h.name)
