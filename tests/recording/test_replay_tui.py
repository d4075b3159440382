"""``dantaro-tui replay`` in a real terminal: the cockpit opens the recorded markets (not
the ones in the trader's settings), says when the recording is over, counts no errors for
its normal end, and leaves the settings file exactly as it was."""

from __future__ import annotations

from pathlib import Path

from tests.recording.test_record_cli import Endpoints, dantaro, sim_env
from tests.terminal import needs_tmux, terminal

SETTINGS = (
    b'theme = "dantaro-light"\nlayout = "2x2"\n[charts]\n'
    b'symbols = ["KRW-DOGE", "KRW-ADA", "KRW-TRX", "KRW-LINK"]\n'
)


@needs_tmux
def test_replay_opens_the_recording_and_leaves_the_settings_alone(
    sim_process: Endpoints, tmp_path: Path
) -> None:
    rec = tmp_path / "rec"
    recorded = dantaro(
        "record", "--markets", "KRW-ETH,KRW-XRP", "--duration", "3s", "--out", str(rec),
        env=sim_env(sim_process),
    )  # fmt: skip
    assert recorded.returncode == 0, recorded.stderr
    config = tmp_path / "config.toml"
    config.write_bytes(SETTINGS)
    stamp = config.stat().st_mtime_ns

    with terminal(["replay", str(rec), "--speed", "10"], {"DANTARO_CONFIG": str(config)},
                  tmp_path) as term:  # fmt: skip
        screen = term.wait_for(lambda s: "replay finished" in s, timeout=30)
        charts = [line for line in screen.splitlines() if "· 1m" in line]  # chart titles
        assert len(charts) == 1  # 1x2: one row of two charts
        assert "KRW-ETH" in charts[0] and "KRW-XRP" in charts[0], charts
        for theirs in ("KRW-DOGE", "KRW-ADA", "KRW-TRX", "KRW-LINK"):
            assert theirs not in charts[0]
        status = screen.splitlines()[-2]
        assert "REPLAY" in status and "↻0 ⚠0" in status  # a normal end is no failure
        assert "not in the recording" not in screen and "Traceback" not in screen
        term.keys("l")  # a layout change, then a theme: nothing of it may be saved
        term.keys("t")
        term.wait_for(lambda s: "Theme:" in s)
        term.keys("q")
        assert term.exit_code() == 0
    assert config.read_bytes() == SETTINGS
    assert config.stat().st_mtime_ns == stamp
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("config")] == ["config.toml"]
