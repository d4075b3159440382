"""Feed health as a trader sees it: is the data live, how busy, how late, how often broken.

Two levels. A connection (``Health``) counts frames, errors and reconnects of one socket;
an owner's ``HealthSnapshot`` (``WebSocketClient.health()``) aggregates the connections it
uses with what only it knows: which of its subscriptions the exchange has confirmed, when
its last *market* event arrived, and what it lost by falling behind. "connected" is only
ever said of an owner whose every subscription was confirmed with data and whose data is
fresh: a socket that answers pings while the market stopped is "stale", a subscription
the exchange has not answered is "waiting".
"""

from __future__ import annotations

import time
from typing import Literal

import msgspec

State = Literal["idle", "connecting", "connected", "waiting", "reconnecting", "stale", "closed"]

WINDOW = 30  # seconds of message counts kept
STALE_AFTER = 10.0  # subscribed but no market data for this long

# Worst first: an owner's state is the worst of its connections' and its own.
_RANK: dict[str, int] = {
    "reconnecting": 0,
    "connecting": 1,
    "waiting": 2,
    "stale": 3,
    "connected": 4,
    "idle": 5,
    "closed": 6,
}


def worst(states: list[State]) -> State:
    return min(states, key=_RANK.__getitem__) if states else "idle"


class HealthSnapshot(msgspec.Struct, frozen=True):
    name: str
    exchange: str
    state: State
    msgs_30s: int
    messages: int
    last_message: float  # wall time of the newest market event, 0.0 = never
    errors: int
    reconnects: int
    latency_ms: float  # exchange time -> receive time, smoothed; -1 = unknown
    last_error: str
    rate_limit_wait: float  # seconds spent queued by rate limiters
    waiting: tuple[str, ...] = ()  # "trade KRW-BTC": asked for, not yet confirmed by data
    dropped: int = 0  # trades lost because the owner fell behind (said once in last_error)
    conflated: int = 0  # ticker/book updates replaced by a newer one before delivery
    connections: int = 0  # sockets this owner's subscriptions use

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
        "last_data_ns",
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
        self.last_message = 0.0  # wall time of the newest frame of any kind
        self.last_data_ns = 0  # receive time of the newest market event (an int: hot path)
        self.last_error = ""
        self.latency_ms = -1.0
        self._buckets = [0] * WINDOW
        self._sec = 0

    def on_frame(self, now: float, n: int = 1) -> None:
        self.messages += n
        self.last_message = now
        sec = int(now)
        if sec != self._sec:
            gap = min(sec - self._sec, WINDOW)
            for i in range(1, gap + 1):
                self._buckets[(self._sec + i) % WINDOW] = 0
            self._sec = sec
        self._buckets[sec % WINDOW] += n

    @property
    def last_data(self) -> float:
        """Wall time of the newest market event, 0.0 = never."""
        return self.last_data_ns / 1e9

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
        """This connection on its own (the health screen's per-socket rows)."""
        now = time.time()
        state = self.state
        if state == "connected" and now - (self.last_data or self.last_message) > STALE_AFTER:
            state = "stale"
        return HealthSnapshot(
            name=self.name,
            exchange=self.exchange,
            state=state,
            msgs_30s=self.msgs_30s(now),
            messages=self.messages,
            last_message=self.last_data,
            errors=self.errors,
            reconnects=self.reconnects,
            latency_ms=round(self.latency_ms, 1),
            last_error=self.last_error,
            rate_limit_wait=round(rate_limit_wait, 3),
            connections=1,
        )
