"""Feed health as a trader sees it: is the data live, how busy, how late, how often broken.

Two levels. A connection (``Health``) counts frames, errors and reconnects of one socket;
an owner's ``HealthSnapshot`` (``WebSocketClient.health()``) aggregates the connections it
uses with what only it knows: which of its subscriptions the exchange has confirmed, when
its last *market* event arrived, and what it lost by falling behind. "connected" is only
ever said of an owner whose every subscription was confirmed with data and whose data is
fresh: a socket that answers pings while the market stopped is "stale", a subscription
the exchange has not answered is "waiting".

Latency is the exchange's time stamp to our receive time, so it is only as good as the two
clocks. A venue whose clock runs ahead of ours would show a negative latency; one frame
with an absurd stamp would throw the smoothed figure off for minutes. The connection keeps
the minimum of (receive - exchange time) over a sliding window of one to two minutes: a
negative minimum is the least the venue runs ahead, and latency is measured against its
clock corrected by that much at once (so it is never negative). A positive minimum is kept
in the figure: it is the network's delay, a late feed or a clock behind ours, and nothing
here can tell which, so the figure errs on the late side. A large skew either way is said
in ``note``. Stamps off by more than ``ABSURD_MS`` are counted in ``bad_timestamps`` and
left out.
"""

from __future__ import annotations

import time
from typing import Literal

import msgspec

State = Literal["idle", "connecting", "connected", "waiting", "reconnecting", "stale", "closed"]

WINDOW = 30  # seconds of message counts kept
STALE_AFTER = 10.0  # subscribed but no market data for this long
# Clock-skew window: the minimum of (receive - exchange time) is kept for the current and
# the previous window, so the estimate covers between one and two windows of traffic.
SKEW_WINDOW = 60
# A venue clock this far from ours (either way) is said in health: beyond ordinary NTP drift.
SKEW_NOTE_MS = 1000.0
# A time stamp this far from our clock is no time at all (a bug, a test frame, a placeholder
# like 0): counted, never averaged into the latency.
ABSURD_MS = 10 * 60 * 1000.0

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
    # What the state alone cannot say, in words: "nothing subscribed", a book waiting for a
    # REST ban to end (and until when), a venue clock far from ours. "" = nothing to add.
    note: str = ""
    bad_timestamps: int = 0  # events whose exchange time was absurd (left out of latency)
    # The venue clock's estimated offset, left out of latency (< 0: it runs ahead of ours).
    clock_offset_ms: float = 0.0

    @property
    def age(self) -> float:
        return time.time() - self.last_message if self.last_message else float("inf")


class Health:
    """Counters updated on the hot path; cheap enough to touch on every frame."""

    __slots__ = (
        "_buckets",
        "_clock_sec",
        "_sec",
        "bad_timestamps",
        "clock_min",
        "clock_off",
        "clock_prev",
        "errors",
        "exchange",
        "last_data_ns",
        "last_error",
        "last_message",
        "latency_ms",
        "messages",
        "name",
        "note",
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
        # The clock-skew window (see the module doc): the least (receive - exchange) in ms
        # of this window and of the previous one, and the correction they give (<= 0).
        self.clock_min = float("inf")
        self.clock_prev = float("inf")
        self.clock_off = 0.0
        self._clock_sec = 0
        self.bad_timestamps = 0
        self.note = ""  # the clock's word for the snapshot ("" = nothing to say)

    def on_frame(self, now: float, n: int = 1) -> None:
        self.messages += n
        self.last_message = now
        sec = int(now)
        if sec != self._sec:
            gap = min(sec - self._sec, WINDOW)
            for i in range(1, gap + 1):
                self._buckets[(self._sec + i) % WINDOW] = 0
            self._sec = sec
            if sec - self._clock_sec >= SKEW_WINDOW:
                self._next_clock_window(sec)
        self._buckets[sec % WINDOW] += n

    @property
    def last_data(self) -> float:
        """Wall time of the newest market event, 0.0 = never."""
        return self.last_data_ns / 1e9

    def on_latency(self, delay_ms: float) -> None:
        """One event's receive time minus its exchange time, in ms. The hub inlines the
        common case (neither a new window minimum nor absurd) and calls this for the rest."""
        if not -ABSURD_MS <= delay_ms <= ABSURD_MS:
            self.bad_timestamps += 1
            return
        if delay_ms < self.clock_min:
            self.clock_min = delay_ms
            self._set_offset()
        ms = delay_ms - self.clock_off
        # EWMA: steady enough to read, quick enough to show a lagging feed.
        self.latency_ms = ms if self.latency_ms < 0 else self.latency_ms * 0.9 + ms * 0.1

    def _next_clock_window(self, sec: int) -> None:
        self.clock_prev = self.clock_min
        self.clock_min = float("inf")
        self._clock_sec = sec
        self._set_offset()

    def _set_offset(self) -> None:
        """The venue clock's offset from the window minimum, and its word in health."""
        low = min(self.clock_min, self.clock_prev)
        # Only a clock ahead of ours is certain (nothing arrives before it was sent), so
        # only that is corrected. A steady delay may be a clock behind ours or a feed that
        # is late: it stays in the figure, a late feed must never look prompt, and is said.
        self.clock_off = low if low < 0.0 else 0.0
        if low < -SKEW_NOTE_MS:
            self.note = (
                f"{self.exchange}'s clock runs {-low / 1000:.1f} s ahead of ours: latency is "
                "measured against its clock corrected by that much"
            )
        elif low > SKEW_NOTE_MS and self.clock_prev < float("inf"):
            self.note = (
                f"data from {self.exchange} has arrived at least {low / 1000:.1f} s after its "
                "time stamps for over a minute: the feed is that late, or its clock runs "
                "behind ours"
            )
        else:
            self.note = ""

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

    def snapshot(self, rate_limit_wait: float = 0.0, note: str = "") -> HealthSnapshot:
        """This connection on its own (the health screen's per-socket rows); ``note``: what
        the connection has to say beyond its clock (a REST ban holding a book back)."""
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
            note="; ".join(n for n in (note, self.note) if n),
            bad_timestamps=self.bad_timestamps,
            clock_offset_ms=round(self.clock_off, 1),
        )
