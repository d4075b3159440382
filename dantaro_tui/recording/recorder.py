"""Recorder: taps every connection's raw frames and writes them to chunk files.

The tap runs on the event loop and only appends the ``TapRecord`` to a deque (thread-safe,
no lock); a background thread turns them into lines, compresses a zstd frame, writes it and
fsyncs at least once per ``flush_interval`` (0.5 s by default), so the loop never waits for
the disk and a ``kill -9`` loses at most the last flush interval of frames.

Used by the headless ``record`` command and by the TUI's ``--record DIR`` alike::

    rec = Recorder("rec/", requested={"exchange": "upbit", "markets": [...]}).start()
    ...  # every Connection now reports to rec.tap
    rec.close()

A write error (full disk, folder gone) stops the recording: what was written so far stays
readable, ``rec.error`` says what happened in words and ``on_error`` is called (from the
writer thread).
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import zstandard

from dantaro_tui.feed import tap as taps
from dantaro_tui.feed.hub import FeedHub, default_hub
from dantaro_tui.recording.format import (
    FORMAT_NAME,
    FORMAT_VERSION,
    RECORDING_ENDED,
    ChunkInfo,
    ChunkWriter,
    Manifest,
    Opener,
    Record,
    RecordingError,
    SessionInfo,
    chunk_paths,
    chunk_seq,
    explain_os_error,
    frame_fields,
    read_manifest,
    scan_chunk,
    write_manifest,
)

log = logging.getLogger(__name__)

WAKE_AT = 16_384  # pending records that wake the writer before its interval is up
# Queued by close() after the last tapped record: the connections still open then are
# written as ended by the recording (RECORDING_ENDED), not as failed.
_END = object()


@dataclass
class RecorderStats:
    """Counters of what is on disk (updated by the writer thread after each flush)."""

    records: int = 0
    frames: int = 0  # received frames written
    sent: int = 0
    connects: int = 0
    disconnects: int = 0
    raw_bytes: int = 0  # JSON Lines before compression
    bytes_written: int = 0  # compressed, on disk
    files: int = 0  # chunk files of this session (including the open one)
    lost: int = 0  # records dropped because the writer could not keep up
    by_exchange: Counter[str] = field(default_factory=Counter)
    urls: set[tuple[str, str]] = field(default_factory=set)

    @property
    def reconnects(self) -> int:
        return max(0, self.connects - len(self.urls))


class Recorder:
    def __init__(
        self,
        out: str | os.PathLike[str],
        *,
        source: str = "record",
        requested: dict[str, Any] | None = None,
        exchanges: Iterable[str] | None = None,
        rotate_bytes: int | None = None,
        rotate_seconds: float | None = None,
        flush_interval: float = 0.5,
        level: int = 3,
        max_pending: int = 1_000_000,
        opener: Opener | None = None,
        on_error: Callable[[RecordingError], None] | None = None,
    ) -> None:
        if flush_interval <= 0 or flush_interval > 1.0:
            raise ValueError("flush_interval must be in (0, 1] seconds")
        self.folder = Path(out)
        self.source = source
        self.requested = dict(requested or {})
        self.exchanges = frozenset(e.lower() for e in exchanges) if exchanges else None
        self.rotate_bytes = rotate_bytes
        self.rotate_seconds = rotate_seconds
        self.flush_interval = flush_interval
        self.level = level
        self.max_pending = max_pending
        self.opener = opener
        self.on_error = on_error
        self.session = uuid.uuid4().hex[:12]
        self.stats = RecorderStats()
        self.error: RecordingError | None = None
        self._queue: deque[Any] = deque()
        self._dropped = 0
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._manifest = Manifest()
        self._session_info = SessionInfo(self.session, 0, source, self.requested)
        self._chunk: ChunkWriter | None = None
        self._compressor: zstandard.ZstdCompressor | None = None
        self._chunk_opened = 0.0
        self._next_seq = 1
        self._conns: dict[str, tuple[str, str]] = {}  # open connections: conn -> (ex, url)
        self._open_at_batch: dict[str, tuple[str, str]] = {}
        self._started = False
        self._closed = False
        self._ended = False  # the writer has handled _END: later taps are not recorded
        self._hub: FeedHub | None = None

    # -- lifecycle -------------------------------------------------------------------
    def start(self, hub: FeedHub | None = None) -> Recorder:
        """Prepare the folder and start recording every connection of ``hub`` (default:
        the process's default hub); RecordingError if the folder cannot be written."""
        if self._started:
            return self
        self._prepare_folder()
        self._started = True
        self._hub = hub or default_hub()
        self._hub.add_tap(self.tap)
        self._thread = threading.Thread(target=self._run, name="recorder", daemon=True)
        self._thread.start()
        return self

    def close(self, timeout: float = 30.0) -> None:
        """Stop tapping, write everything pending, finish the chunk and the manifest.

        Connections still open are written as ended by the recording (reason
        ``RECORDING_ENDED``): call this before closing the feed, so that a normal end is
        not recorded as the exchange dropping the connection."""
        if self._closed:
            return
        self._closed = True
        if self._hub is not None:
            self._hub.remove_tap(self.tap)
        if self._thread is not None:
            self._queue.append(_END)
            self._stop.set()
            self._wake.set()
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._started and not self._closed and self.error is None

    def __enter__(self) -> Recorder:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- input (event loop thread) ---------------------------------------------------
    def tap(self, rec: taps.TapRecord) -> None:
        """The raw-frame tap: cheap, never blocks, never raises."""
        q = self._queue
        if len(q) >= self.max_pending:
            self._dropped += 1
            return
        if self.exchanges is not None and rec.exchange not in self.exchanges:
            return
        q.append(rec)
        if len(q) == WAKE_AT:
            self._wake.set()

    def record_rest(self, exchange: str, url: str, body: str | bytes) -> None:
        """Keep a REST response (e.g. the market list) so a replay can serve it too."""
        data, binary, encoding = frame_fields(body)
        self._queue.append(
            Record(
                time.time_ns(),
                "rest",
                exchange,
                url=url,
                binary=binary,
                encoding=encoding,
                data=data,
            )
        )
        self._wake.set()

    # -- the writer thread -----------------------------------------------------------
    def _prepare_folder(self) -> None:
        folder = self.folder
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except FileExistsError as exc:
            raise RecordingError(
                f"cannot record to {folder}: it exists and is not a folder"
            ) from exc
        except OSError as exc:
            raise RecordingError(
                f"cannot record to {folder}: " + explain_os_error(exc, "creating the folder")
            ) from exc
        if not folder.is_dir():
            raise RecordingError(f"cannot record to {folder}: it exists and is not a folder")
        probe = folder / f".write-test-{self.session}"
        try:
            with open(probe, "wb") as fh:
                fh.write(b"ok")
                fh.flush()
                os.fsync(fh.fileno())
        except OSError as exc:
            raise RecordingError(
                f"cannot record to {folder}: " + explain_os_error(exc, "writing a test file")
            ) from exc
        finally:
            with contextlib.suppress(OSError):
                probe.unlink()
        # Continue an earlier recording in the same folder: keep its manifest and number
        # the new chunks after its last one (listing chunks a crash left unlisted).
        manifest = read_manifest(folder) or Manifest()
        listed = {c.file: c for c in manifest.chunks if c.complete}
        known: dict[str, ChunkInfo] = {}
        for path in chunk_paths(folder):
            self._next_seq = max(self._next_seq, (chunk_seq(path) or 0) + 1)
            name = path.name.removesuffix(".part")
            if name in listed:
                known[name] = listed[name]
                continue
            with contextlib.suppress(OSError):  # unlisted or left open by a crash: re-read
                known[name] = scan_chunk(path)
        manifest.chunks = list(known.values())
        manifest.chunks.sort(key=lambda c: c.seq)
        self._session_info.started_ns = time.time_ns()
        manifest.sessions.append(self._session_info)
        ex = self.requested.get("exchange")
        if ex and ex not in manifest.exchanges:
            manifest.exchanges.append(ex)
        self._manifest = manifest
        try:
            write_manifest(folder, manifest)
        except OSError as exc:
            raise RecordingError(
                f"cannot record to {folder}: " + explain_os_error(exc, "writing manifest.json")
            ) from exc

    def _run(self) -> None:
        interval = self.flush_interval
        last_sync = time.monotonic()
        try:
            while True:
                stopping = self._stop.is_set()
                if not stopping:
                    self._wake.wait(interval)
                    self._wake.clear()
                batch, frames, sent = self._drain()
                if batch:
                    self._write(batch, frames, sent)
                now = time.monotonic()
                chunk = self._chunk
                if chunk is not None and (stopping or now - last_sync >= interval * 0.9):
                    chunk.sync()
                    last_sync = now
                if chunk is not None and self._should_rotate(chunk, now):
                    self._finish_chunk()
                if stopping and not self._queue:
                    break
            self._finish_chunk()
            self._session_info.closed = True
            self._session_info.ended_ns = time.time_ns()
            self._write_manifest()
        except OSError as exc:
            self._fail(exc)
        except Exception as exc:  # never die silently: the recording would just stop
            log.exception("recorder failed")
            self._fail(exc)

    def _drain(self) -> tuple[list[Record], int, int]:
        """Pending taps as records: (records, received frames, sent frames)."""
        q = self._queue
        n = len(q)
        if not n and not self._dropped:
            return [], 0, 0
        popleft = q.popleft
        out: list[Record] = []
        append = out.append
        stats = self.stats
        conns = self._conns
        self._open_at_batch = dict(conns)  # for the header of a chunk opened by this batch
        frames = sent = 0
        for _ in range(n):
            rec = popleft()
            if isinstance(rec, Record):
                append(rec)
                continue
            if rec is _END:
                self._ended = True
                now = time.time_ns()
                for conn, (exchange, url) in conns.items():
                    append(
                        Record(now, "disconnect", exchange, conn, url=url, reason=RECORDING_ENDED)
                    )
                conns.clear()
                continue
            if self._ended:
                continue  # tapped while the tap was being removed: after the end
            kind = rec.kind
            data = rec.data
            if kind == "recv":
                frames += 1
                if isinstance(data, str):
                    append(Record(rec.ts_ns, "recv", rec.exchange, rec.conn_id, data=data))
                else:
                    text, binary, encoding = frame_fields(data or b"")
                    append(
                        Record(
                            rec.ts_ns,
                            "recv",
                            rec.exchange,
                            rec.conn_id,
                            binary=binary,
                            encoding=encoding,
                            data=text,
                        )
                    )
            elif kind == "send":
                sent += 1
                text, binary, encoding = frame_fields(data or "")
                append(
                    Record(
                        rec.ts_ns,
                        "send",
                        rec.exchange,
                        rec.conn_id,
                        binary=binary,
                        encoding=encoding,
                        data=text,
                    )
                )
            elif kind == "rest":
                text, binary, encoding = frame_fields(data or b"")
                append(
                    Record(
                        rec.ts_ns,
                        "rest",
                        rec.exchange,
                        rec.conn_id,
                        url=rec.url,
                        binary=binary,
                        encoding=encoding,
                        data=text,
                    )
                )
            elif kind == "connect":
                stats.connects += 1
                stats.urls.add((rec.exchange, rec.url))
                conns[rec.conn_id] = (rec.exchange, rec.url)
                append(Record(rec.ts_ns, "connect", rec.exchange, rec.conn_id, url=rec.url))
            elif kind == "disconnect":
                stats.disconnects += 1
                conns.pop(rec.conn_id, None)
                reason = data if isinstance(data, str) else ""
                append(
                    Record(
                        rec.ts_ns,
                        "disconnect",
                        rec.exchange,
                        rec.conn_id,
                        url=rec.url,
                        reason=reason or "closed",
                    )
                )
            if rec.exchange:
                stats.by_exchange[rec.exchange] += 1
        if self._dropped:
            dropped, self._dropped = self._dropped, 0
            stats.lost += dropped
            self._session_info.lost = stats.lost
            append(
                Record(
                    time.time_ns(),
                    "lost",
                    count=dropped,
                    reason="the recorder could not keep up; records were dropped",
                )
            )
        return out, frames, sent

    def _session_record(self, seq: int, first_ts: int = 0) -> Record:
        return Record(
            first_ts or time.time_ns(),  # not later than the chunk's first record
            "session",
            info={
                "format": FORMAT_NAME,
                "version": FORMAT_VERSION,
                "session": self.session,
                "chunk": seq,
                "source": self.source,
                "requested": self.requested,
                "started_ns": self._session_info.started_ns,
                # connections already open when this chunk starts: conn -> [exchange, url]
                "open": {c: [ex, url] for c, (ex, url) in self._open_at_batch.items()},
            },
        )

    def _open_chunk(self) -> ChunkWriter:
        seq = self._next_seq
        self._next_seq += 1
        if self._compressor is None:
            self._compressor = zstandard.ZstdCompressor(level=self.level, write_checksum=True)
        chunk = ChunkWriter(
            self.folder,
            seq,
            opener=self.opener,
            session=self.session,
            compressor=self._compressor,
        )
        self._chunk = chunk
        self._chunk_opened = time.monotonic()
        self.stats.files += 1
        self._manifest.chunks.append(chunk.info)
        self._write_manifest()
        return chunk

    def _write(self, batch: list[Record], frames: int, sent: int) -> None:
        chunk = self._chunk
        if chunk is None:
            chunk = self._open_chunk()
            batch.insert(0, self._session_record(chunk.info.seq, batch[0].ts))
        raw_before = chunk.info.raw_bytes
        written = chunk.write(batch)
        stats = self.stats
        stats.records += len(batch)
        stats.frames += frames
        stats.sent += sent
        stats.bytes_written += written
        stats.raw_bytes += chunk.info.raw_bytes - raw_before

    def _should_rotate(self, chunk: ChunkWriter, now: float) -> bool:
        if self.rotate_bytes and chunk.info.bytes >= self.rotate_bytes:
            return True
        return bool(self.rotate_seconds and now - self._chunk_opened >= self.rotate_seconds)

    def _finish_chunk(self) -> None:
        chunk, self._chunk = self._chunk, None
        if chunk is None:
            return
        chunk.close()
        self._write_manifest()

    def _write_manifest(self) -> None:
        write_manifest(self.folder, self._manifest)

    def _fail(self, exc: BaseException) -> None:
        if self._hub is not None:
            self._hub.remove_tap(self.tap)
        chunk, self._chunk = self._chunk, None
        if chunk is not None:
            chunk.abandon()  # keep what is on disk, under the chunk's final name
            chunk.info.truncated = True
        where = self.folder / chunk.info.file if chunk is not None else self.folder
        if isinstance(exc, OSError):
            msg = explain_os_error(exc, f"writing {where}")
        else:
            msg = f"{type(exc).__name__}: {exc} while writing {where}"
        stats = self.stats
        message = (
            f"recording stopped: {msg}. What was recorded before it is kept "
            f"({stats.frames:,} frames in {stats.files} file(s) in {self.folder})."
        )
        self.error = RecordingError(message)
        self._session_info.error = message
        self._session_info.ended_ns = time.time_ns()
        # Best effort: on a full disk the old manifest stays as it was (atomic rename).
        with contextlib.suppress(OSError):
            self._write_manifest()
        self._queue.clear()
        if self.on_error is not None:
            try:
                self.on_error(self.error)
            except Exception:
                log.exception("recorder on_error callback failed")


def parse_size(text: str) -> int:
    """``"100MB"`` -> 104857600 (B, KB, MB, GB, TB are powers of 1024; KiB etc. too)."""
    s = text.strip().upper().replace(" ", "")
    units = {
        "TIB": 1 << 40,
        "GIB": 1 << 30,
        "MIB": 1 << 20,
        "KIB": 1 << 10,
        "TB": 1 << 40,
        "GB": 1 << 30,
        "MB": 1 << 20,
        "KB": 1 << 10,
        "T": 1 << 40,
        "G": 1 << 30,
        "M": 1 << 20,
        "K": 1 << 10,
        "B": 1,
    }
    number, mult = s, 1
    for unit, factor in units.items():
        if s.endswith(unit):
            number, mult = s[: -len(unit)], factor
            break
    try:
        value = float(number)
    except ValueError:
        raise ValueError(f"{text!r} is not a size (e.g. 100MB, 1GB, 512KB)") from None
    if value <= 0:
        raise ValueError(f"{text!r}: a size must be positive")
    return int(value * mult)


_DURATION_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(text: str) -> float:
    """``"1h"``, ``"90s"``, ``"1h30m"``, ``"500ms"``, ``"2.5"`` (seconds) -> seconds."""
    s = text.strip().lower().replace(" ", "")
    if not s:
        raise ValueError("empty duration")
    with contextlib.suppress(ValueError):
        return _finite_duration(text, float(s))  # a bare number: seconds
    total = 0.0
    number = ""
    i = 0
    while i < len(s):
        c = s[i]
        if c.isdigit() or c == ".":
            number += c
            i += 1
            continue
        unit = "ms" if s.startswith("ms", i) else c
        if unit not in _DURATION_UNITS or not number:
            raise ValueError(f"{text!r} is not a duration (e.g. 90s, 10m, 1h, 1h30m)")
        total += float(number) * _DURATION_UNITS[unit]
        number = ""
        i += len(unit)
    if number:
        raise ValueError(f"{text!r}: the number {number} has no unit (s, m, h, d)")
    return _finite_duration(text, total)


def _finite_duration(text: str, seconds: float) -> float:
    # float() reads "nan", "inf" and "-5": a deadline of NaN never comes, a negative one
    # has already passed.
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"{text!r} is not a duration of 0 or more")
    return seconds


def parse_rotate(text: str) -> tuple[int | None, float | None]:
    """``"100MB"`` -> (bytes, None); ``"1h"`` -> (None, seconds); ``"100MB,1h"`` -> both."""
    size: int | None = None
    seconds: float | None = None
    hint = "give a size (100MB, 1GB) and/or an age (30m, 1h), e.g. 100MB,1h"
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        upper = part.upper()
        try:
            if upper.endswith(("B", "K", "G", "T")):
                size = parse_size(part)
            else:
                seconds = parse_duration(part)
                if seconds <= 0:
                    raise ValueError("a rotation age must be positive")
        except ValueError:
            raise ValueError(f"--rotate {text!r}: {hint}") from None
    if size is None and seconds is None:
        raise ValueError(f"--rotate {text!r}: {hint}")
    return size, seconds


__all__ = [
    "Recorder",
    "RecorderStats",
    "RecordingError",
    "parse_duration",
    "parse_rotate",
    "parse_size",
]
