"""A real terminal for end-to-end tests: a command inside a detached tmux session, its
screen read with ``capture-pane``, keys sent with ``send-keys``; its exit code lands in a
file. Tests using it skip where tmux is missing."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TMUX = shutil.which("tmux")
needs_tmux = pytest.mark.skipif(TMUX is None, reason="tmux is not installed")


class Terminal:
    def __init__(self, name: str, done: Path) -> None:
        self.name = name
        self.done = done

    def run(self, *args: str) -> str:
        assert TMUX is not None
        out = subprocess.run([TMUX, *args], capture_output=True, text=True, timeout=10, check=False)
        return out.stdout

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", self.name)

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", self.name, *keys)

    def wait_for(self, test: Callable[[str], bool], timeout: float = 20.0) -> str:
        end = time.monotonic() + timeout
        text = ""
        while time.monotonic() < end:
            text = self.screen()
            if test(text):
                return text
            time.sleep(0.2)
        raise AssertionError(f"screen never matched; last screen:\n{text}")

    def exit_code(self, timeout: float = 15.0) -> int:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.done.exists() and self.done.read_text().strip():
                return int(self.done.read_text())
            time.sleep(0.2)
        raise AssertionError(f"the command did not exit; screen:\n{self.screen()}")


@contextmanager
def terminal(
    args: list[str], env: dict[str, str], folder: Path, size: tuple[int, int] = (160, 48)
) -> Iterator[Terminal]:
    """``python -m dantaro_tui ARGS`` in a fresh tmux session (``env`` added to a clean
    environment: the user's own settings and variables never leak in)."""
    assert TMUX is not None
    name = f"dantaro-test-{uuid.uuid4().hex[:8]}"
    done = folder / f"exit-code-{name}"
    base = {"PYTHONPATH": str(ROOT), "TERM": "xterm-256color", "TZ": "UTC"}
    exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in {**base, **env}.items())
    cmd = " ".join(shlex.quote(a) for a in [sys.executable, "-m", "dantaro_tui", *args])
    script = f"cd {shlex.quote(str(ROOT))} && env -i HOME={shlex.quote(str(folder))} "
    script += f"PATH={shlex.quote(os.environ.get('PATH', ''))} {exports} {cmd}; "
    script += f"echo $? > {shlex.quote(str(done))}; sleep 30"
    subprocess.run(
        [TMUX, "new-session", "-d", "-s", name, "-x", str(size[0]), "-y", str(size[1]), script],
        check=True,
        timeout=10,
        env={**os.environ, "TMUX": ""},
    )
    term = Terminal(name, done)
    try:
        yield term
    finally:
        term.run("kill-session", "-t", name)
