"""``DANTARO_SOURCE`` is the default ``--source`` of ``watch`` and of the cockpit, as it is of
scripts: a desk that set it once reads its collector everywhere, and every command says so.
Real ``dantaro-tui collect --demo`` on a real redis-server; the commands in processes of
their own (the cockpit in a real terminal)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from dantaro_tui.cli_flags import ENV_SOURCE
from tests.redis.helpers import RedisServer, free_port
from tests.terminal import needs_tmux, terminal

ROOT = Path(__file__).resolve().parents[2]


def watch_start(*argv: str, env: dict[str, str]) -> tuple[int, str]:
    """Run ``dantaro-tui watch ARGV`` until it says what it watches, then stop it as Ctrl-C
    does: its exit code and everything it printed."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("DANTARO_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "dantaro_tui", "watch", "--quiet", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**environ, **env},
        cwd=ROOT,
    )
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:  # ends early if the process does
            lines.append(line)
            if "watching" in line:
                break
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            rest, _ = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            rest, _ = proc.communicate()
    return proc.returncode, "".join(lines) + rest


def test_watch_reads_the_collector_named_in_the_environment_and_says_so(
    demo_collector: RedisServer,
) -> None:
    code, text = watch_start(env={ENV_SOURCE: demo_collector.url})
    assert code == 0, text
    # DEMO: the collector's heartbeat says it serves the simulator, so it was read.
    assert f"watching DEMO upbit KRW via Redis {demo_collector.url} ({ENV_SOURCE})" in text
    assert "Traceback" not in text


def test_the_source_flag_wins_over_the_environment(demo_collector: RedisServer) -> None:
    nowhere = f"redis://127.0.0.1:{free_port()}/0"
    code, text = watch_start("--source", demo_collector.url, env={ENV_SOURCE: nowhere})
    assert code == 0, text
    assert f"via Redis {demo_collector.url} with" in text  # the flag's, not the variable's
    assert nowhere not in text and "Traceback" not in text


@needs_tmux
def test_the_cockpit_reads_the_collector_named_in_the_environment(
    demo_collector: RedisServer, tmp_path: Path
) -> None:
    env = {
        ENV_SOURCE: demo_collector.url,
        "DANTARO_CONFIG": str(tmp_path / "config.toml"),
        # A direct connection would fail: what the panes show came through Redis.
        "DANTARO_UPBIT_WS_URL": f"ws://127.0.0.1:{free_port()}/nothing-listens",
    }
    with terminal(["--no-save"], env, tmp_path) as term:
        screen = term.wait_for(lambda s: ENV_SOURCE in s and "DEMO" in s, timeout=60)
        flat = " ".join(screen.split())
        assert "feeds from the collector at" in flat, screen
        assert "Traceback" not in screen
        term.keys("q")
        assert term.exit_code(timeout=30) == 0
