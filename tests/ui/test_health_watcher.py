"""The status bar's feed events: a feed told lost is told back, however the reconnect was
sampled (once a second, a real reconnect passes through "waiting" for confirming data)."""

from __future__ import annotations

from dantaro_tui.feed.health import HealthSnapshot, State
from dantaro_tui.ui.widgets.status import HealthWatcher


def snap(state: State) -> HealthSnapshot:
    return HealthSnapshot("chart-1", "upbit", state, 0, 0, 0.0, 0, 0, -1.0, "", 0.0)


def told(watcher: HealthWatcher, *states: State) -> list[str]:
    return [text for state in states for text, _ in watcher.update([snap(state)])]


def test_a_lost_feed_is_told_restored_after_waiting_for_data() -> None:
    texts = told(HealthWatcher(), "connected", "reconnecting", "waiting", "connected")
    assert texts[0] == "chart-1: connection lost, reconnecting"
    assert texts[-1] == "chart-1: connection restored"


def test_a_stale_feed_is_told_restored_and_only_once() -> None:
    texts = told(HealthWatcher(), "connected", "stale", "waiting", "connected", "connected")
    assert texts.count("chart-1: connection restored") == 1


def test_a_first_connection_is_not_called_restored() -> None:
    texts = told(HealthWatcher(), "connecting", "waiting", "connected")
    assert not any("restored" in t for t in texts)


def told_at(watcher: HealthWatcher, *steps: tuple[float, State]) -> list[str]:
    return [text for at, state in steps for text, _ in watcher.update([snap(state)], now=at)]


def test_a_feed_adding_markets_waits_quietly_unless_the_wait_lasts() -> None:
    # New markets wait for their first data: no warning for a wait of a few seconds...
    brief = told_at(HealthWatcher(), (0, "connected"), (1, "waiting"), (3, "connected"))
    assert brief == []
    # ...but a wait that lasts is told, once.
    long = told_at(
        HealthWatcher(), (0, "connected"), (1, "waiting"), (4, "waiting"), (6, "waiting"),
        (9, "waiting"),
    )  # fmt: skip
    assert long == ["chart-1: waiting for the exchange to confirm data"]
