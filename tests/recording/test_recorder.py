"""Recorder: rotation, manifest, crash safety (kill -9), full disk, unwritable folders."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import orjson
import pytest

from dantaro_tui.feed.hub import default_hub
from dantaro_tui.recording.format import (
    MANIFEST_NAME,
    Recording,
    RecordingError,
    chunk_paths,
    read_manifest,
)
from dantaro_tui.recording.recorder import Recorder, parse_duration, parse_rotate, parse_size
from tests.recording.helpers import FullDisk, feed, session, tap, upbit_frames

REPO = Path(__file__).resolve().parents[2]


def test_records_taps_with_context_and_manifest(tmp_path: Path) -> None:
    frames = upbit_frames()[:50]
    rec = Recorder(tmp_path / "rec", requested={"exchange": "upbit", "markets": ["KRW-BTC"]})
    with rec:
        assert rec.tap in default_hub().taps
        feed(rec, session(frames))
    assert rec.tap not in default_hub().taps
    records = list(Recording(tmp_path / "rec").records())
    kinds = [r.type for r in records]
    assert kinds[0] == "session" and kinds[1:3] == ["connect", "send"] and kinds[-1] == "disconnect"
    assert [r.frame for r in records if r.type == "recv"] == frames
    header = records[0].info or {}
    assert header["format"] == "dantaro-recording" and header["version"] == 1
    assert header["requested"] == {"exchange": "upbit", "markets": ["KRW-BTC"]}
    assert records[1].url and records[-1].reason == "closed"

    manifest = read_manifest(tmp_path / "rec")
    assert manifest is not None
    assert manifest.exchanges == ["upbit"]
    (chunk,) = manifest.chunks
    assert chunk.complete and chunk.frames == 50 and chunk.records == len(records)
    assert chunk.first_ts <= records[1].ts and chunk.last_ts == records[-1].ts
    (sess,) = manifest.sessions
    assert sess.closed and sess.ended_ns and not sess.error
    assert rec.stats.frames == 50 and rec.stats.connects == 1 and rec.stats.files == 1
    # the manifest is plain JSON
    assert (
        orjson.loads((tmp_path / "rec" / MANIFEST_NAME).read_bytes())["chunks"][0]["frames"] == 50
    )


def test_rotates_by_size(tmp_path: Path) -> None:
    frames = upbit_frames()
    rec = Recorder(tmp_path, rotate_bytes=2_000, flush_interval=0.05).start()
    for i in range(6):
        feed(rec, session(frames[i * 50 : (i + 1) * 50], conn=f"upbit-{i}"))
        time.sleep(0.2)
    rec.close()
    manifest = read_manifest(tmp_path)
    assert manifest is not None
    assert len(manifest.chunks) >= 3
    assert all(c.complete for c in manifest.chunks)
    assert [p.name for p in chunk_paths(tmp_path)] == [c.file for c in manifest.chunks]
    got = [r.frame for r in Recording(tmp_path).records() if r.type == "recv"]
    assert got == frames[:300]
    # every chunk starts with a header naming the connections already open
    for path in chunk_paths(tmp_path):
        first = next(iter(Recording(path).records()))
        assert first.type == "session"


def test_rotates_by_time(tmp_path: Path) -> None:
    frames = upbit_frames()
    rec = Recorder(tmp_path, rotate_seconds=0.2, flush_interval=0.05).start()
    rec.tap(tap("connect", "upbit-1"))
    for frame in frames[:80]:
        rec.tap(tap("recv", "upbit-1", frame))
        time.sleep(0.01)
    rec.close()
    manifest = read_manifest(tmp_path)
    assert manifest is not None and len(manifest.chunks) >= 3
    got = [r.frame for r in Recording(tmp_path).records() if r.type == "recv"]
    assert got == frames[:80]
    # a chunk that starts mid-connection knows the connection from its header
    later = Recording(chunk_paths(tmp_path)[-1])
    header = next(iter(later.records()))
    assert header.info is not None and "upbit-1" in header.info["open"]


def test_new_session_continues_an_existing_recording(tmp_path: Path) -> None:
    frames = upbit_frames()
    with Recorder(tmp_path) as rec:
        feed(rec, session(frames[:10]))
    with Recorder(tmp_path) as rec:
        feed(rec, session(frames[10:20]))
    manifest = read_manifest(tmp_path)
    assert manifest is not None
    assert [c.seq for c in manifest.chunks] == [1, 2] and len(manifest.sessions) == 2
    assert [r.frame for r in Recording(tmp_path).records() if r.type == "recv"] == frames[:20]


def test_unwritable_folder_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(RecordingError, match=r"cannot record to .*file"):
        Recorder(blocker / "rec").start()
    with pytest.raises(RecordingError, match="not a folder"):
        Recorder(blocker).start()
    assert not default_hub().taps


def test_full_disk_stops_cleanly_and_keeps_what_was_written(tmp_path: Path) -> None:
    frames = upbit_frames()
    errors: list[RecordingError] = []
    disks: list[FullDisk] = []

    def opener(path: Path) -> FullDisk:
        disks.append(FullDisk(path, limit=6_000))
        return disks[-1]

    rec = Recorder(tmp_path, flush_interval=0.05, opener=opener, on_error=errors.append)  # type: ignore[arg-type]
    rec.start()
    rec.tap(tap("connect", "upbit-1"))
    fed = 0
    deadline = time.monotonic() + 10
    while rec.error is None and time.monotonic() < deadline:
        rec.tap(tap("recv", "upbit-1", frames[fed % len(frames)]))
        fed += 1
        if fed % 20 == 0:
            time.sleep(0.02)
    rec.close()
    assert rec.error is not None and errors == [rec.error]
    message = str(rec.error)
    assert "disk is full" in message and "kept" in message
    assert rec.tap not in default_hub().taps  # stopped tapping
    got = [r.frame for r in Recording(tmp_path).records() if r.type == "recv"]
    assert 0 < len(got) < fed
    assert got == [frames[i % len(frames)] for i in range(len(got))]  # an intact prefix
    manifest = read_manifest(tmp_path)
    assert manifest is not None  # the last good manifest survived


def test_tap_does_not_block_on_the_disk(tmp_path: Path) -> None:
    frame = upbit_frames()[0]
    rec = Recorder(tmp_path).start()
    records = [tap("recv", "upbit-1", frame) for _ in range(50_000)]
    t0 = time.perf_counter()
    for r in records:
        rec.tap(r)
    per_frame = (time.perf_counter() - t0) / len(records)
    rec.close()
    assert per_frame < 20e-6  # a deque append, not a write
    assert rec.stats.frames == 50_000 and rec.stats.lost == 0


def test_overflow_is_counted_and_marked(tmp_path: Path) -> None:
    rec = Recorder(tmp_path, max_pending=10)
    rec.start()
    rec._wake.clear()
    for _ in range(30):  # faster than the writer wakes up
        rec.tap(tap("recv", "upbit-1", "x"))
    rec.close()
    lost = [r for r in Recording(tmp_path).records() if r.type == "lost"]
    assert rec.stats.lost == sum(r.count for r in lost) > 0
    manifest = read_manifest(tmp_path)
    assert manifest is not None and manifest.sessions[0].lost == rec.stats.lost


_CRASH_SCRIPT = textwrap.dedent(
    """
    import sys, time
    from dantaro_tui.feed.tap import TapRecord
    from dantaro_tui.recording.recorder import Recorder

    rec = Recorder(sys.argv[1]).start()
    rec.tap(TapRecord("connect", time.time_ns(), "upbit", "ws://x", "upbit-1", None))
    i = 0
    print("ready", flush=True)
    while True:
        for _ in range(20):
            rec.tap(TapRecord("recv", time.time_ns(), "upbit", "ws://x", "upbit-1",
                              b'{"seq":%d}' % i))
            i += 1
        time.sleep(0.002)
    """
)


def test_kill_9_loses_at_most_the_last_second(tmp_path: Path) -> None:
    out = tmp_path / "rec"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-c", _CRASH_SCRIPT, str(out)], stdout=subprocess.PIPE, env=env
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == b"ready"
        time.sleep(2.5)
        killed_ns = time.time_ns()
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    paths = chunk_paths(out)
    assert paths and paths[-1].name.endswith(".part")  # never closed
    recording = Recording(out)
    recv = [r for r in recording.records() if r.type == "recv"]
    seqs = [orjson.loads(r.frame)["seq"] for r in recv]  # type: ignore[arg-type]
    assert seqs == list(range(len(seqs)))  # every frame up to the crash, in order
    assert len(seqs) > 1000
    lost_window = (killed_ns - recv[-1].ts) / 1e9
    assert lost_window <= 1.0, f"lost the last {lost_window:.2f} s"


def test_parse_size_duration_rotate() -> None:
    assert parse_size("100MB") == 100 * 1024**2
    assert parse_size("1.5 GB") == int(1.5 * 1024**3)
    assert parse_size("512KiB") == 512 * 1024
    assert parse_duration("1h30m") == 5400
    assert parse_duration("90s") == 90
    assert parse_duration("500ms") == 0.5
    assert parse_duration("2.5") == 2.5
    assert parse_rotate("100MB") == (100 * 1024**2, None)
    assert parse_rotate("1h") == (None, 3600)
    assert parse_rotate("10MB,10m") == (10 * 1024**2, 600)
    for bad in ("abc", "10x", "1h5"):
        with pytest.raises(ValueError):
            parse_duration(bad)
    # float() alone would read these: a NaN deadline never comes, a negative one has passed.
    for bad in ("nan", "inf", "-5", "9" * 400 + "s"):
        with pytest.raises(ValueError):
            parse_duration(bad)
    with pytest.raises(ValueError):
        parse_size("-1MB")


def test_recording_again_after_a_crash_lists_the_torn_chunk(tmp_path: Path) -> None:
    from dantaro_tui.recording.format import ChunkWriter, frame_record

    frames = upbit_frames()
    torn = ChunkWriter(tmp_path, 1)  # a crashed recorder's open chunk: never closed
    torn.write(
        [frame_record("recv", 10 + i, "upbit", "upbit-1", f) for i, f in enumerate(frames[:5])]
    )
    torn.sync()
    with Recorder(tmp_path) as rec:
        feed(rec, session(frames[5:10]))
    manifest = read_manifest(tmp_path)
    assert manifest is not None
    first, second = manifest.chunks
    assert first.seq == 1 and first.frames == 5 and not first.complete
    assert second.seq == 2 and second.complete and second.frames == 10 - 5
    got = [r.frame for r in Recording(tmp_path).records() if r.type == "recv"]
    assert got == frames[:10]


def test_one_codec_per_connection_across_rotated_chunks(tmp_path: Path) -> None:
    from dantaro_tui.exchanges.upbit import UpbitCodec
    from dantaro_tui.recording.replay import ReplaySource

    frames = upbit_frames()
    rec = Recorder(tmp_path, rotate_bytes=1_500, flush_interval=0.05).start()
    rec.tap(tap("connect", "upbit-1"))
    for i in range(0, 200, 40):
        for frame in frames[i : i + 40]:
            rec.tap(tap("recv", "upbit-1", frame))
        time.sleep(0.12)
    rec.close()
    assert len(chunk_paths(tmp_path)) >= 3
    made: list[UpbitCodec] = []

    def factory(exchange: str) -> UpbitCodec:
        made.append(UpbitCodec())
        return made[-1]

    source = ReplaySource(tmp_path, codec_factory=factory)
    summary = source.summarize()
    assert len(made) == 1 and summary.sessions == 1 and summary.frames == 200
