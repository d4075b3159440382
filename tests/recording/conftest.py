"""``dantaro-tui sim`` as its own process, for commands run the way a user runs them."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def sim_process() -> Iterator[dict[str, dict[str, str]]]:
    """The simulator's endpoints (``{"upbit": {"ws": ..., "rest": ...}, ...}``)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "dantaro_tui", "sim", "--seed", "3", "--intensity", "0.3"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=REPO,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line, "the simulator printed no endpoints"
        yield json.loads(line)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
