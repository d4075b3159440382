"""The on-disk format: exact round trips, torn tails, the manifest, standard-tool reading."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import msgspec
import orjson
import pytest

from dantaro_tui.recording.format import (
    ChunkReadResult,
    ChunkWriter,
    Record,
    Recording,
    RecordingError,
    chunk_paths,
    frame_record,
    iter_chunk,
    scan_chunk,
)
from tests.recording.helpers import upbit_frames

FRAMES: list[str | bytes] = [
    '{"arg":{"channel":"tickers","instId":"BTC-USDT"},"data":[{"last":"1.5"}]}',  # text
    b'{"ty":"trade","cd":"KRW-BTC","tp":1.16539E8,"tv":0.00077720}',  # binary, UTF-8
    '한글 텍스트 \u2028 and \\ escapes "quoted"\n',  # text with non-ASCII and newlines
    b'{"korean_name":"\xeb\xb9\x84\xed\x8a\xb8\xec\xbd\x94\xec\x9d\xb8"}',  # binary UTF-8
    b"\x00\xff\xfe\x80 not utf-8 \xc3",  # binary that is not UTF-8: base64
    b"",  # empty binary frame
    "",  # empty text frame
]


def _write_chunk(folder: Path, records: list[Record], seq: int = 1) -> Path:
    writer = ChunkWriter(folder, seq)
    writer.write(records)
    writer.close()
    return writer.path


def test_frames_round_trip_exactly(tmp_path: Path) -> None:
    records = [frame_record("recv", 1_000 + i, "upbit", "c1", f) for i, f in enumerate(FRAMES)]
    path = _write_chunk(tmp_path, records)
    back = list(iter_chunk(path))
    assert [r.frame for r in back] == FRAMES
    for got, want in zip(back, FRAMES, strict=True):
        assert type(got.frame) is type(want)  # bytes stay bytes, text stays text
    assert back[4].encoding == "base64"
    assert back[1].binary and back[1].encoding == ""  # UTF-8 binary stored as readable text


def test_every_upbit_frame_round_trips(tmp_path: Path) -> None:
    frames = upbit_frames()
    records = [frame_record("recv", i + 1, "upbit", "c1", f) for i, f in enumerate(frames)]
    path = _write_chunk(tmp_path, records)
    assert [r.frame for r in iter_chunk(path)] == frames


def test_chunk_is_jsonl_zstd_readable_with_zstdcat(tmp_path: Path) -> None:
    if shutil.which("zstdcat") is None:
        pytest.skip("zstdcat is not installed")
    writer = ChunkWriter(tmp_path, 1)
    writer.write([frame_record("recv", 1, "upbit", "c1", b'{"a":1}')])
    writer.write([frame_record("recv", 2, "upbit", "c1", "two")])  # a second zstd frame
    writer.close()
    out = subprocess.run(["zstdcat", str(writer.path)], capture_output=True, check=True).stdout
    lines = [orjson.loads(line) for line in out.splitlines()]
    assert lines == [
        {"ts": 1, "type": "recv", "exchange": "upbit", "conn": "c1", "binary": True,
         "data": '{"a":1}'},
        {"ts": 2, "type": "recv", "exchange": "upbit", "conn": "c1", "data": "two"},
    ]  # fmt: skip


def test_open_chunk_is_part_until_closed(tmp_path: Path) -> None:
    writer = ChunkWriter(tmp_path, 7)
    assert writer.path.name == "chunk-000007.jsonl.zst.part"
    writer.write([frame_record("recv", 1, "upbit", "c1", "x")])
    writer.sync()
    assert chunk_paths(tmp_path) == [tmp_path / "chunk-000007.jsonl.zst.part"]
    info = writer.close()
    assert info.complete and info.frames == 1 and info.first_ts == info.last_ts == 1
    assert chunk_paths(tmp_path) == [tmp_path / "chunk-000007.jsonl.zst"]


def test_torn_last_frame_keeps_every_earlier_frame(tmp_path: Path) -> None:
    writer = ChunkWriter(tmp_path, 1)
    for i in range(5):
        writer.write([frame_record("recv", i, "upbit", "c1", f"frame {i} " * 50)])
    size_before_last = writer.info.bytes
    writer.write([frame_record("recv", 99, "upbit", "c1", "last " * 5000)])
    writer.sync()
    part = writer.path
    # a crash in the middle of the last write
    with open(part, "r+b") as fh:
        fh.truncate(size_before_last + 20)
    result = ChunkReadResult()
    back = list(iter_chunk(part, result))
    assert [r.ts for r in back] == [0, 1, 2, 3, 4]
    assert result.truncated and "incomplete" in result.error
    info = scan_chunk(part)
    assert info.truncated and not info.complete and info.frames == 5


def test_garbage_tail_is_reported_not_raised(tmp_path: Path) -> None:
    path = _write_chunk(tmp_path, [frame_record("recv", 1, "upbit", "c1", "ok")])
    with open(path, "ab") as fh:
        fh.write(b"\x00" * 64)
    rec = Recording(tmp_path)
    assert [r.data for r in rec.records()] == ["ok"]
    assert rec.problems and "chunk-000001" in rec.problems[0]


def test_recording_reads_chunks_in_order_and_filters_time(tmp_path: Path) -> None:
    _write_chunk(tmp_path, [frame_record("recv", t, "upbit", "c", str(t)) for t in (30, 40)], 2)
    _write_chunk(tmp_path, [frame_record("recv", t, "upbit", "c", str(t)) for t in (10, 20)], 1)
    rec = Recording(tmp_path)
    assert [r.ts for r in rec.records()] == [10, 20, 30, 40]
    assert [r.ts for r in rec.records(start_ns=15, end_ns=35)] == [20, 30]
    # a single chunk file is a recording too
    assert [r.ts for r in Recording(tmp_path / "chunk-000002.jsonl.zst").records()] == [30, 40]


def test_missing_or_empty_recording_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(RecordingError, match="no recording at"):
        Recording(tmp_path / "nope")
    with pytest.raises(RecordingError, match="no recording chunks"):
        Recording(tmp_path)


def test_record_lines_omit_defaults() -> None:
    line = msgspec.json.encode(Record(5, "connect", "upbit", "c1", url="ws://x"))
    assert orjson.loads(line) == {
        "ts": 5, "type": "connect", "exchange": "upbit", "conn": "c1", "url": "ws://x"
    }  # fmt: skip
