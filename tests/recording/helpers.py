"""Shared helpers: synthetic tap records and real recorded Upbit frames."""

from __future__ import annotations

import errno
import time
from pathlib import Path
from typing import IO

from dantaro_tui.feed.tap import TapRecord
from dantaro_tui.recording.recorder import Recorder
from tests.recorded import load

URL = "wss://api.upbit.com/websocket/v1"


def upbit_frames() -> list[str | bytes]:
    """The real recorded Upbit frames (binary, SIMPLE format)."""
    return [frame for _, frame in load("upbit_ws.txt").received]


def tap(kind: str, conn: str, data: str | bytes | None = None, ts: int | None = None) -> TapRecord:
    return TapRecord(kind, ts or time.time_ns(), "upbit", URL, conn, data)  # type: ignore[arg-type]


def feed(recorder: Recorder, records: list[TapRecord]) -> None:
    for rec in records:
        recorder.tap(rec)


def session(frames: list[str | bytes], conn: str = "upbit-1", start_ns: int = 0) -> list[TapRecord]:
    """connect, the frames 1 ms apart, disconnect."""
    t = start_ns or time.time_ns()
    out = [tap("connect", conn, ts=t)]
    out.append(tap("send", conn, '[{"ticket":"t"},{"type":"trade","codes":["KRW-BTC"]}]', t + 1))
    for i, frame in enumerate(frames):
        out.append(tap("recv", conn, frame, t + 1_000_000 * (i + 1)))
    out.append(tap("disconnect", conn, "closed", t + 1_000_000 * (len(frames) + 1)))
    return out


class FullDisk:
    """A file object that fails with ENOSPC once ``limit`` bytes were written (a write
    that crosses the limit lands partially, as on a real full disk)."""

    def __init__(self, path: Path, limit: int) -> None:
        self._fh: IO[bytes] = open(path, "xb")  # noqa: SIM115 - closed by close()
        self.limit = limit
        self.written = 0

    def write(self, data: bytes) -> int:
        room = self.limit - self.written
        if room <= 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        if len(data) > room:
            self._fh.write(data[:room])
            self.written += room
            raise OSError(errno.ENOSPC, "No space left on device")
        self.written += len(data)
        return self._fh.write(data)

    def flush(self) -> None:
        self._fh.flush()

    def fileno(self) -> int:
        return self._fh.fileno()

    def close(self) -> None:
        self._fh.close()
