"""Drive the real app in a real terminal: ``python -m dantaro_tui --demo`` inside tmux.

Starts a detached tmux session, waits for live simulated data, reads the screen with
``capture-pane``, presses keys with ``send-keys`` (help, a chart switch, quit) and checks
that the app exits cleanly and writes its settings. Skipped where tmux is missing.
"""

from __future__ import annotations

import re
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.terminal import Terminal, needs_tmux
from tests.terminal import terminal as open_terminal

pytestmark = needs_tmux

PRICE = re.compile(r"\d{1,3}(,\d{3})+")  # a KRW price as the panes print it


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[tuple[Terminal, Path]]:
    env = {"DANTARO_CONFIG": str(tmp_path / "config.toml")}
    with open_terminal(["--demo", "--seed", "7"], env, tmp_path) as term:
        yield term, tmp_path


ALL_LIVE = re.compile(r"feeds (\d+)/\1 ")


def test_demo_in_tmux(terminal: tuple[Terminal, Path]) -> None:
    term, folder = terminal
    started = time.monotonic()
    screen = term.wait_for(
        # every feed owner (7 panes and the alert service) live: "feeds 8/8"
        lambda s: "DEMO" in s and "KRW-BTC" in s and "◀" in s and ALL_LIVE.search(s) is not None,
        timeout=20,
    )
    first_data = time.monotonic() - started
    assert "DEMO" in screen.splitlines()[-2]  # the badge, on the status bar
    assert "KRW-BTC" in screen.splitlines()[0]  # chart 1 opens on KRW-BTC
    assert PRICE.search(screen), screen
    assert "Traceback" not in screen
    assert first_data < 20

    term.keys("?")
    help_screen = term.wait_for(lambda s: "Keys" in s and "Interval" in s)
    assert "Layout" in help_screen and "VWAP" in help_screen
    term.keys("Escape")
    term.wait_for(lambda s: "Keys  (Esc" not in s)

    term.keys("2", "i")  # chart 2 to 5m
    term.wait_for(lambda s: "2 KRW-ETH" in s and "· 5m" in s)
    term.keys("h")
    health = term.wait_for(lambda s: "Feed health" in s and "connected" in s)
    assert "chart-1" in health and "scanner" in health
    term.keys("Escape")
    term.wait_for(lambda s: "Scanner" in s)

    term.keys("q")
    assert term.exit_code() == 0
    saved = tomllib.loads((folder / "config.toml").read_text(encoding="utf-8"))
    assert saved["charts"]["intervals"][1] == "5m"
    after = term.screen()
    assert "Traceback" not in after


@pytest.mark.parametrize("size", [(80, 24), (160, 48), (220, 60)])
def test_every_pane_shows_data_at_every_size(tmp_path: Path, size: tuple[int, int]) -> None:
    env = {"DANTARO_CONFIG": str(tmp_path / "config.toml")}
    with open_terminal(["--demo", "--seed", "7", "--no-save"], env, tmp_path, size) as term:
        screen = term.wait_for(lambda s: ALL_LIVE.search(s) is not None and "◀" in s, 25)
        lines = screen.splitlines()
        assert len(lines) == size[1] and max(len(x) for x in lines) <= size[0]
        assert "DEMO" in lines[-2] and "Traceback" not in screen
        assert "spread" in screen  # the book shows its levels around the spread
        assert PRICE.search(screen)
        term.keys("q")
        assert term.exit_code() == 0
