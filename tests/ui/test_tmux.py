"""Drive the real app in a real terminal: ``python -m dantaro_tui --demo`` inside tmux.

Starts a detached 160x48 tmux session, waits for live simulated data, reads the screen
with ``capture-pane``, presses keys with ``send-keys`` (help, a chart switch, quit) and
checks that the app exits cleanly and writes its settings. Skipped where tmux is missing.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import tomllib
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TMUX = shutil.which("tmux")

pytestmark = pytest.mark.skipif(TMUX is None, reason="tmux is not installed")

PRICE = re.compile(r"\d{1,3}(,\d{3})+")  # a KRW price as the panes print it


class Terminal:
    def __init__(self, name: str) -> None:
        self.name = name

    def run(self, *args: str) -> str:
        assert TMUX is not None
        out = subprocess.run([TMUX, *args], capture_output=True, text=True, timeout=10, check=False)
        return out.stdout

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", self.name)

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", self.name, *keys)

    def wait_for(self, test: Callable[[str], bool], timeout: float = 15.0) -> str:
        end = time.monotonic() + timeout
        text = ""
        while time.monotonic() < end:
            text = self.screen()
            if test(text):
                return text
            time.sleep(0.2)
        raise AssertionError(f"screen never matched; last screen:\n{text}")

    def alive(self) -> bool:
        assert TMUX is not None
        return (
            subprocess.run(
                [TMUX, "has-session", "-t", self.name], capture_output=True, check=False
            ).returncode
            == 0
        )


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[tuple[Terminal, Path]]:
    name = f"dantaro-test-{uuid.uuid4().hex[:8]}"
    config = tmp_path / "config.toml"
    done = tmp_path / "exit-code"
    env = {"DANTARO_CONFIG": str(config), "PYTHONPATH": str(ROOT), "TERM": "xterm-256color"}
    exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
    command = (
        f"cd {shlex.quote(str(ROOT))} && {exports} {shlex.quote(sys.executable)} "
        f"-m dantaro_tui --demo --seed 7; echo $? > {shlex.quote(str(done))}; sleep 30"
    )
    assert TMUX is not None
    subprocess.run(
        [TMUX, "new-session", "-d", "-s", name, "-x", "160", "-y", "48", command],
        check=True,
        timeout=10,
        env={**os.environ, "TMUX": ""},
    )
    term = Terminal(name)
    try:
        yield term, tmp_path
    finally:
        if term.alive():
            term.run("kill-session", "-t", name)


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
    deadline = time.monotonic() + 10
    while not (folder / "exit-code").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert (folder / "exit-code").read_text().strip() == "0"
    saved = tomllib.loads((folder / "config.toml").read_text(encoding="utf-8"))
    assert saved["charts"]["intervals"][1] == "5m"
    after = term.screen()
    assert "Traceback" not in after
