"""The record / replay / export subcommands: flags, exit codes, messages."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from dantaro_tui.recording.cli import (
    MAX_SPEED,
    add_record_args,
    add_replay_args,
    record_main,
    replay_main,
)
from dantaro_tui.recording.recorder import Recorder
from tests.recording.helpers import feed, session, tap, upbit_frames

T0 = 1_700_000_000_000_000_000


def _parse(add: object, argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add(parser)  # type: ignore[operator]
    return parser.parse_args(argv)


def test_record_flags() -> None:
    args = _parse(
        add_record_args,
        ["--markets", "KRW-BTC,KRW-ETH", "--out", "rec", "--duration", "1h", "--rotate", "1h"],
    )
    assert args.exchange == "upbit" and args.channels == "ticker,trade,orderbook"
    assert args.out == Path("rec") and not args.quiet and not args.all_markets
    args = _parse(add_record_args, ["--all-markets", "--quote", "KRW", "--out", "x", "--quiet"])
    assert args.all_markets and args.quote == "KRW" and args.quiet
    with pytest.raises(SystemExit):
        _parse(add_record_args, ["--markets", "A", "--all-markets", "--out", "x"])
    with pytest.raises(SystemExit):
        _parse(add_record_args, ["--out", "x"])  # which markets?


def test_record_into_an_unwritable_folder_fails_clearly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    args = _parse(add_record_args, ["--markets", "KRW-BTC", "--out", str(blocker / "rec")])
    assert record_main(args) == 1
    err = capsys.readouterr().err
    assert "cannot record to" in err and "file" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--duration", "soon"], "not a duration"),
        (["--rotate", "big"], "give a size"),
        (["--channels", "nope"], "nope"),
        (["--exchange", "mtgox"], "unknown exchange"),
    ],
)
def test_record_usage_errors_write_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    out = tmp_path / "rec"
    args = _parse(add_record_args, ["--markets", "KRW-BTC", "--out", str(out), *argv])
    assert record_main(args) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_replay_flags() -> None:
    args = _parse(add_replay_args, ["rec", "--speed", "max", "--from", "+1m", "--headless"])
    assert args.speed == MAX_SPEED and args.start == "+1m" and args.headless
    assert _parse(add_replay_args, ["rec", "--speed", "10"]).speed == 10.0
    assert _parse(add_replay_args, ["rec"]).speed is None
    with pytest.raises(SystemExit):
        _parse(add_replay_args, ["rec", "--speed", "fast"])


def test_replay_headless_prints_a_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frames = upbit_frames()
    first = session(frames[:100], start_ns=T0)
    first[-1] = tap("disconnect", "upbit-1", "the connection dropped", T0 + 200_000_000)
    with Recorder(tmp_path / "rec") as rec:
        feed(rec, first + session(frames[100:], conn="upbit-2", start_ns=T0 + 2 * 10**9))
    args = _parse(add_replay_args, [str(tmp_path / "rec"), "--headless"])
    assert replay_main(args) == 0
    out = capsys.readouterr().out
    assert "trade" in out and "orderbook" in out and "Gaps" in out
    assert f"{len(frames):,} frames" in out

    args = _parse(add_replay_args, [str(tmp_path / "rec"), "--headless", "--to", "+1s"])
    assert replay_main(args) == 0
    assert "100 frames" in capsys.readouterr().out


def test_replay_missing_recording_and_bad_window(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert replay_main(_parse(add_replay_args, [str(tmp_path / "nope"), "--headless"])) == 1
    assert "no recording at" in capsys.readouterr().err
    with Recorder(tmp_path / "rec") as rec:
        feed(rec, session(upbit_frames()[:5], start_ns=T0))
    args = _parse(add_replay_args, [str(tmp_path / "rec"), "--headless", "--from", "whenever"])
    assert replay_main(args) == 2
    args = _parse(add_replay_args, [str(tmp_path / "rec"), "--headless", "--from", "+1h"])
    assert replay_main(args) == 1  # nothing in that window
    assert "no frames" in capsys.readouterr().err


def test_status_line_shows_rate_bytes_files_reconnects_and_channels() -> None:
    from collections import Counter

    from dantaro_tui.recording.cli import _StatusLine
    from dantaro_tui.recording.recorder import RecorderStats

    class Fake:
        stats = RecorderStats(frames=12_345, bytes_written=3_200_000, files=2, connects=3)

    Fake.stats.urls.add(("upbit", "wss://x"))
    line = _StatusLine("upbit", Fake(), Counter(trade=10, ticker=5), Counter({"bad": 2}))
    text = line.__rich__().plain
    for part in ("REC", "upbit", "frames/s", "12,345 frames", "3.2 MB", "2 file(s)",
                 "2 reconnect(s)", "ticker 5", "trade 10", "2 feed error(s)"):  # fmt: skip
        assert part in text
