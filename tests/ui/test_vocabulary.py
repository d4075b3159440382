"""The interval vocabulary (``dantaro_tui.intervals``) and the scanner's column layout."""

from __future__ import annotations

from dantaro_tui.config import INTERVALS as CONFIG_INTERVALS
from dantaro_tui.intervals import INTERVAL_MS, INTERVALS, step_interval, streamed_intervals
from dantaro_tui.ui.widgets.scanner import (
    COLUMNS,
    CONTENT_WIDTH,
    NAME_MAX_WIDTHS,
    columns_for,
)


def test_one_cycle_of_intervals() -> None:
    assert CONFIG_INTERVALS == INTERVALS
    assert all(iv in INTERVAL_MS for iv in INTERVALS)
    assert [step_interval(iv) for iv in INTERVALS] == [*INTERVALS[1:], INTERVALS[0]]
    assert step_interval("1m", -1) == "1d"
    assert step_interval("3m") == "1m" and step_interval("3m", -1) == "1d"  # off the cycle


def test_what_a_venue_streams_comes_from_its_codec() -> None:
    assert streamed_intervals("upbit") == {"1m", "3m", "5m", "10m", "15m", "30m", "1h", "4h"}
    assert "1d" in streamed_intervals("okx")
    assert streamed_intervals("nowhere") == frozenset()


def test_scanner_names_widen_with_the_pane() -> None:
    assert columns_for(CONTENT_WIDTH) == COLUMNS
    assert columns_for(60) == COLUMNS
    wide = {c.title: c.width for c in columns_for(220)}
    assert wide["한글명"] == NAME_MAX_WIDTHS["한글명"]
    assert wide["English"] == NAME_MAX_WIDTHS["English"]
    narrow = {c.title: c.width for c in COLUMNS}
    numbers = ("#", "Market", "Price", "Change", "Value 24h", "Spike")
    assert all(wide[t] == narrow[t] for t in numbers)
    a_bit = columns_for(CONTENT_WIDTH + 6)
    assert sum(c.width for c in a_bit) == sum(c.width for c in COLUMNS) + 6
