"""The health numbers a trader reads: messages in the last 30 s, staleness, latency."""

from __future__ import annotations

import time

from dantaro_tui.feed.health import Health


def test_msgs_30s_counts_only_the_window() -> None:
    h = Health("t", "upbit")
    base = 1_000_000.0
    for i in range(40):  # one message a second for 40 s
        h.on_frame(base + i)
    assert h.messages == 40
    assert h.msgs_30s(base + 39) == 30
    assert h.msgs_30s(base + 39 + 10) == 20  # ten quiet seconds later
    assert h.msgs_30s(base + 39 + 31) == 0


def test_connected_but_silent_reads_stale() -> None:
    h = Health("t", "upbit")
    h.state = "connected"
    h.on_frame(time.time() - 60)
    assert h.snapshot().state == "stale"
    h.on_frame(time.time())
    assert h.snapshot().state == "connected"


def test_latency_is_smoothed() -> None:
    h = Health("t", "upbit")
    h.on_latency(10.0)
    for _ in range(50):
        h.on_latency(30.0)
    assert 29.0 < h.latency_ms <= 30.0
