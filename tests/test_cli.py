"""The command line answers mistakes with a sentence and an exit code, never a traceback."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dantaro_tui", *args], capture_output=True, text=True, timeout=60
    )


def test_sim_on_a_taken_port_says_so() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run("sim", "--port", str(port))
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


@pytest.mark.parametrize(
    "args",
    [
        ("replay", "{missing}", "--headless"),
        ("export", "{missing}", "--to", "csv", "--out", "{tmp}/out"),
        ("record", "--markets", "KRW BTC", "--out", "{tmp}/rec", "--duration", "1s"),
        ("--layout", "5x5"),
    ],
)
def test_mistakes_are_sentences(args: tuple[str, ...], tmp_path: Path) -> None:
    filled = [a.format(missing=tmp_path / "missing", tmp=tmp_path) for a in args]
    result = run(*filled)
    assert result.returncode in (1, 2)
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stderr.strip()  # something was said


def test_top_level_help_shows_the_cockpit_flags_and_the_commands() -> None:
    result = run("--help")
    assert result.returncode == 0
    for flag in ("--demo", "--layout", "--symbols", "--record", "--config", "--no-save"):
        assert flag in result.stdout
    for command in ("sim", "record", "replay", "export"):
        assert command in result.stdout
    assert "--version" in result.stdout


def test_version_comes_from_the_package_metadata() -> None:
    from importlib.metadata import version

    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"dantaro-tui {version('dantaro-tui')}"


def test_a_cockpit_flag_mistake_names_the_command_the_user_typed() -> None:
    result = run("--layout", "5x5")
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1].startswith("dantaro-tui: error: argument --layout")
