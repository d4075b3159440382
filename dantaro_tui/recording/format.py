"""The on-disk recording format: zstd-compressed JSON Lines chunks plus a JSON manifest.

A recording is a folder::

    manifest.json                 index: chunks, time ranges, what was requested, counts
    chunk-000001.jsonl.zst        finished chunk (flushed, fsynced, renamed into place)
    chunk-000002.jsonl.zst.part   the chunk being written (or left by a crash)

Every chunk is a sequence of zstd frames holding whole lines; the writer flushes a zstd
block at least every ``flush_interval`` seconds, so everything flushed is decodable even
while the frame is still open. Concatenated zstd frames decode as one stream, so
``zstdcat chunk-*.jsonl.zst | jq .`` reads a recording with standard tools, and a process
killed mid-write leaves every flushed block intact: the reader here stops at the torn end
and reports it. The full description, with every field, is docs/recording-format.md.

One line is one ``Record``: a received or sent frame exactly as it crossed the wire (text as
a JSON string; binary as its UTF-8 text with ``"binary": true``, or base64 with
``"encoding": "base64"`` when it is not UTF-8), a connect or disconnect of a connection, a
REST body, a ``session`` header (the first line of every chunk) or a ``lost`` marker.
"""

from __future__ import annotations

import base64
import contextlib
import errno
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal, get_args

import msgspec
import orjson
import zstandard

FORMAT_NAME = "dantaro-recording"
FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
CHUNK_PREFIX = "chunk-"
CHUNK_SUFFIX = ".jsonl.zst"
PART_SUFFIX = ".part"
_CHUNK_RE = re.compile(r"^chunk-(\d{6,})\.jsonl\.zst(\.part)?$")

RecordType = Literal["session", "connect", "send", "recv", "disconnect", "rest", "lost"]
RECORD_TYPES: frozenset[str] = frozenset(get_args(RecordType))
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"

# The ``reason`` of the disconnects the recorder writes for the connections still open when
# the recording stops (--duration, Ctrl-C, quitting the app): the feed did not fail, so a
# replay counts them neither as errors nor as gaps.
RECORDING_ENDED = "recording ended"


def is_clean_end(reason: str) -> bool:
    """Was this disconnect the end of the recording, not the exchange's doing?

    Recordings made before ``RECORDING_ENDED`` existed carry what cancelling the
    connection said at shutdown (``CancelledError: ``) or ``closed by us``.
    """
    text = reason.strip()
    return text in (RECORDING_ENDED, "closed by us") or text.startswith("CancelledError")


class RecordingError(Exception):
    """Recording or reading failed; ``str(exc)`` says why in plain words."""


class Record(msgspec.Struct, omit_defaults=True, gc=False):
    """One line of a chunk. Fields at their default are left out of the line."""

    ts: int  # wall-clock time in ns since the Unix epoch (receive time for "recv")
    type: str  # one of RecordType
    exchange: str = ""
    conn: str = ""  # connection id, unique within a recording session
    url: str = ""  # "connect": the WebSocket URL; "rest": the request URL
    reason: str = ""  # "disconnect": why, in words
    binary: bool = False  # the frame was a binary WebSocket message
    encoding: str = ""  # "" = ``data`` is the text itself; "base64" = bytes not UTF-8
    count: int = 0  # "lost": how many records the recorder had to drop
    info: dict[str, Any] | None = None  # "session": header of the chunk
    data: str | None = None  # the frame / body

    @property
    def frame(self) -> str | bytes | None:
        """The frame exactly as the wire delivered it (bytes for binary messages)."""
        data = self.data
        if data is None or not self.binary:
            return data
        if self.encoding == "base64":
            return base64.b64decode(data)
        return data.encode("utf-8")


def frame_fields(frame: str | bytes | bytearray | memoryview) -> tuple[str, bool, str]:
    """``(data, binary, encoding)`` that store ``frame`` exactly."""
    if isinstance(frame, str):
        return frame, False, ""
    raw = bytes(frame)
    try:
        return raw.decode("utf-8"), True, ""  # strict: encodes back to the same bytes
    except UnicodeDecodeError:
        return base64.b64encode(raw).decode("ascii"), True, "base64"


def frame_record(kind: str, ts: int, exchange: str, conn: str, frame: str | bytes | None) -> Record:
    if frame is None:
        return Record(ts, kind, exchange, conn)
    data, binary, encoding = frame_fields(frame)
    return Record(ts, kind, exchange, conn, binary=binary, encoding=encoding, data=data)


_ENCODER = msgspec.json.Encoder()
_DECODER = msgspec.json.Decoder(Record)


def encode_lines(records: list[Record]) -> bytes:
    """JSON Lines (each line ends with ``\\n``)."""
    return _ENCODER.encode_lines(records)


def decode_lines(buf: bytes | memoryview) -> list[Record]:
    return _DECODER.decode_lines(buf)


def decode_line(line: bytes | str) -> Record:
    return _DECODER.decode(line)


# --------------------------------------------------------------------------- manifest


class ChunkInfo(msgspec.Struct, omit_defaults=True):
    file: str  # name inside the recording folder (final name, without ".part")
    seq: int
    session: str = ""
    first_ts: int = 0
    last_ts: int = 0
    records: int = 0
    frames: int = 0  # "recv" records
    bytes: int = 0  # compressed size on disk
    raw_bytes: int = 0  # size of the JSON Lines before compression
    complete: bool = False  # flushed, fsynced and renamed into place
    truncated: bool = False  # ends in a torn zstd frame (the writer was killed)


class SessionInfo(msgspec.Struct, omit_defaults=True):
    session: str
    started_ns: int
    source: str = "record"  # "record" (headless command) or "tui" (--record DIR)
    requested: dict[str, Any] = {}
    ended_ns: int = 0
    closed: bool = False  # stopped cleanly
    error: str = ""
    lost: int = 0


class Manifest(msgspec.Struct, omit_defaults=True):
    format: str = FORMAT_NAME
    version: int = FORMAT_VERSION
    exchanges: list[str] = []
    sessions: list[SessionInfo] = []
    chunks: list[ChunkInfo] = []

    @property
    def first_ts(self) -> int:
        return min((c.first_ts for c in self.chunks if c.first_ts), default=0)

    @property
    def last_ts(self) -> int:
        return max((c.last_ts for c in self.chunks), default=0)


def fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):  # not every platform / filesystem allows it
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_manifest(folder: Path, manifest: Manifest) -> None:
    """Atomically: write a temp file, fsync it, rename over ``manifest.json``, fsync the dir."""
    target = folder / MANIFEST_NAME
    tmp = folder / (MANIFEST_NAME + ".tmp")
    data = orjson.dumps(msgspec.to_builtins(manifest), option=orjson.OPT_INDENT_2) + b"\n"
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, target)
    fsync_dir(folder)


def read_manifest(folder: Path) -> Manifest | None:
    path = folder / MANIFEST_NAME
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    try:
        return msgspec.json.decode(data, type=Manifest)
    except msgspec.DecodeError as exc:
        raise RecordingError(f"{path} is not a valid recording manifest: {exc}") from exc


# --------------------------------------------------------------------------- chunks


def chunk_name(seq: int) -> str:
    return f"{CHUNK_PREFIX}{seq:06d}{CHUNK_SUFFIX}"


def chunk_seq(path: Path) -> int | None:
    m = _CHUNK_RE.match(path.name)
    return int(m[1]) if m else None


def chunk_paths(folder: Path) -> list[Path]:
    """The chunk files of a recording in order (a finished chunk wins over a stale .part)."""
    found: dict[int, Path] = {}
    for p in folder.iterdir():
        m = _CHUNK_RE.match(p.name)
        if not m:
            continue
        seq = int(m[1])
        if seq in found and not m[2]:
            found[seq] = p  # the finished name beats a leftover .part
        found.setdefault(seq, p)
    return [found[s] for s in sorted(found)]


Opener = Callable[[Path], IO[bytes]]


def _default_opener(path: Path) -> IO[bytes]:
    return open(path, "xb")  # the ChunkWriter owns and closes it


FRAME_RAW_BYTES = 16 << 20  # a zstd frame ends after this much text (then a new one starts)


class ChunkWriter:
    """Writes one chunk: zstd frames of whole lines, each write ending on a flushed block.

    Every ``write`` ends with a zstd *block flush*: everything written so far can be
    decoded from the file even though the frame is still open, while the compressor keeps
    its history across writes (a small write compresses as well as a big one). A frame is
    finished (with its content checksum) after ``frame_raw_bytes`` of text and when the
    chunk closes, so a finished chunk is a plain sequence of complete zstd frames.

    The file is ``<name>.part`` while open; ``close()`` flushes, fsyncs and renames it to
    its final name (then fsyncs the folder): only then does the chunk count as written.
    """

    def __init__(
        self,
        folder: Path,
        seq: int,
        *,
        level: int = 3,
        opener: Opener | None = None,
        session: str = "",
        frame_raw_bytes: int = FRAME_RAW_BYTES,
        compressor: zstandard.ZstdCompressor | None = None,
    ) -> None:
        self.folder = folder
        self.info = ChunkInfo(file=chunk_name(seq), seq=seq, session=session)
        self.path = folder / (self.info.file + PART_SUFFIX)
        self.frame_raw_bytes = frame_raw_bytes
        # A compressor may be shared by the chunks of one recorder (one writer thread):
        # its context is allocated once instead of once per chunk.
        self._compressor = compressor or zstandard.ZstdCompressor(level=level, write_checksum=True)
        self._cobj = self._compressor.compressobj()
        self._frame_raw = 0
        self._fh: IO[bytes] | None = (opener or _default_opener)(self.path)
        fsync_dir(folder)

    @property
    def closed(self) -> bool:
        return self._fh is None

    def write(self, records: list[Record]) -> int:
        """Append ``records`` (then flush a zstd block); returns the compressed size."""
        if not records:
            return 0
        fh = self._fh
        if fh is None:
            raise ValueError("chunk is closed")
        raw = encode_lines(records)
        cobj = self._cobj
        self._frame_raw += len(raw)
        if self._frame_raw >= self.frame_raw_bytes:
            block = cobj.compress(raw) + cobj.flush(zstandard.COMPRESSOBJ_FLUSH_FINISH)
            self._cobj = self._compressor.compressobj()
            self._frame_raw = 0
        else:
            block = cobj.compress(raw) + cobj.flush(zstandard.COMPRESSOBJ_FLUSH_BLOCK)
        fh.write(block)
        info = self.info
        if not info.first_ts:
            info.first_ts = records[0].ts
        info.last_ts = max(info.last_ts, records[-1].ts)
        info.records += len(records)
        info.frames += sum(1 for r in records if r.type == "recv")
        info.bytes += len(block)
        info.raw_bytes += len(raw)
        return len(block)

    def _finish_frame(self) -> None:
        if self._frame_raw and self._fh is not None:
            tail = self._cobj.flush(zstandard.COMPRESSOBJ_FLUSH_FINISH)
            self._fh.write(tail)
            self.info.bytes += len(tail)
            self._cobj = self._compressor.compressobj()
            self._frame_raw = 0

    def sync(self) -> None:
        if self._fh is not None:
            self._fh.flush()
            os.fsync(self._fh.fileno())

    def close(self) -> ChunkInfo:
        """Flush, fsync, close and rename into place."""
        if self._fh is None:
            return self.info
        self._finish_frame()
        fh, self._fh = self._fh, None
        try:
            fh.flush()
            os.fsync(fh.fileno())
        finally:
            fh.close()
        final = self.folder / self.info.file
        os.replace(self.path, final)
        self.path = final
        fsync_dir(self.folder)
        self.info.complete = True
        return self.info

    def abandon(self) -> None:
        """Close after a write error, keeping what is on disk (readable up to the error)."""
        fh, self._fh = self._fh, None
        if fh is None:
            return
        with contextlib.suppress(OSError):
            fh.close()
        with contextlib.suppress(OSError):
            final = self.folder / self.info.file
            os.replace(self.path, final)
            self.path = final
            fsync_dir(self.folder)


@dataclass
class ChunkReadResult:
    truncated: bool = False
    error: str = ""
    records: int = 0


READ_SIZE = 1 << 20


def iter_chunk_blocks(path: Path, result: ChunkReadResult | None = None) -> Iterator[bytes]:
    """Decompressed text of a chunk in pieces that end on a line boundary.

    Stops quietly at a torn last frame (a crash mid-write) or unreadable bytes, noting it
    in ``result``; everything before that point is returned.
    """
    result = result if result is not None else ChunkReadResult()
    dctx = zstandard.ZstdDecompressor()
    dobj = dctx.decompressobj()
    fed = False  # the current frame has received input
    tail = b""
    with open(path, "rb") as fh:
        while True:
            data = fh.read(READ_SIZE)
            if not data:
                break
            while data:
                try:
                    out = dobj.decompress(data)
                except zstandard.ZstdError as exc:
                    result.error = f"{path.name}: unreadable data ({exc}); later data skipped"
                    result.truncated = True
                    data = b""
                    break
                fed = True
                if out:
                    buf = tail + out
                    cut = buf.rfind(b"\n") + 1
                    if cut:
                        yield buf[:cut]
                    tail = buf[cut:]
                if dobj.eof:
                    data = dobj.unused_data
                    dobj = dctx.decompressobj()
                    fed = False
                else:
                    data = b""
            if result.truncated:
                break
    if fed and not result.truncated:
        result.truncated = True
        result.error = f"{path.name}: the last frame is incomplete (the writer stopped mid-write)"
    if tail and not result.error:
        result.truncated = True
        result.error = f"{path.name}: ends with an incomplete line"


def iter_chunk(path: Path, result: ChunkReadResult | None = None) -> Iterator[Record]:
    """Records of one chunk, in order, up to a torn or unreadable tail."""
    result = result if result is not None else ChunkReadResult()
    for block in iter_chunk_blocks(path, result):
        try:
            records = decode_lines(block)
        except msgspec.DecodeError:
            records = []
            for line in block.splitlines():
                try:
                    records.append(decode_line(line))
                except msgspec.DecodeError:
                    result.error = result.error or f"{path.name}: skipped a malformed line"
        result.records += len(records)
        yield from records


def scan_chunk(path: Path) -> ChunkInfo:
    """Rebuild a chunk's manifest entry by reading it (for chunks a crash left unlisted)."""
    seq = chunk_seq(path) or 0
    result = ChunkReadResult()
    info = ChunkInfo(file=chunk_name(seq), seq=seq, bytes=path.stat().st_size)
    for rec in iter_chunk(path, result):
        if not info.first_ts:
            info.first_ts = rec.ts
        info.last_ts = max(info.last_ts, rec.ts)
        info.records += 1
        if rec.type == "recv":
            info.frames += 1
        elif rec.type == "session" and rec.info:
            info.session = str(rec.info.get("session", ""))
    info.complete = not path.name.endswith(PART_SUFFIX) and not result.truncated
    info.truncated = result.truncated
    return info


def probe_chunk(path: Path) -> str:
    """``""`` when ``path`` starts like a recording chunk, else why not, in words."""
    not_one = f"{path} is not a dantaro-tui recording"
    try:
        with open(path, "rb") as fh:
            head = fh.read(64 * 1024)
    except OSError as exc:
        return f"cannot read {path}: {exc.strerror or exc}"
    if not head.startswith(ZSTD_MAGIC):
        return f"{not_one} (a recording is zstd-compressed JSON Lines: chunk-*.jsonl.zst)"
    try:
        text = zstandard.ZstdDecompressor().decompressobj().decompress(head)
    except zstandard.ZstdError:
        return f"{not_one} (its zstd data cannot be read)"
    line, newline, _ = text.partition(b"\n")
    if not newline and line.startswith(b'{"ts":'):
        return ""  # a first line longer than what was read (or torn): looks like one
    try:
        rec = decode_line(line)
    except msgspec.DecodeError:
        return f"{not_one} (its content is not recording records)"
    if rec.type not in RECORD_TYPES:
        return f"{not_one} (unknown record type {rec.type[:40]!r})"
    return ""


@dataclass
class Recording:
    """A recording on disk: a folder, its manifest (if any), its chunks in order.

    ``path`` may be the folder, its ``manifest.json`` or a single chunk file.
    """

    path: Path
    folder: Path = field(init=False)
    manifest: Manifest | None = field(init=False)
    chunks: list[Path] = field(init=False)
    problems: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        path = Path(self.path)
        if not path.exists():
            raise RecordingError(f"no recording at {path}")
        try:
            if path.is_dir():
                self.folder = path
                self.manifest = read_manifest(path)
                self.chunks = chunk_paths(path)
            elif path.name == MANIFEST_NAME:
                self.folder = path.parent
                self.manifest = read_manifest(self.folder)
                self.chunks = chunk_paths(self.folder)
            else:
                self.folder = path.parent
                self.manifest = None
                self.chunks = [path]
        except OSError as exc:
            raise RecordingError(f"cannot read {path}: {exc.strerror or exc}") from exc
        if not self.chunks:
            pattern = f"{CHUNK_PREFIX}*{CHUNK_SUFFIX}"
            raise RecordingError(
                f"{path} is not a dantaro-tui recording: it holds no recording chunks ({pattern})"
            )
        self._check_chunks(path)

    def _check_chunks(self, path: Path) -> None:
        """Refuse what is not a recording before anyone replays or exports it: the first
        chunk with data must start like one (a zstd frame whose first line is a record)."""
        for chunk in self.chunks:
            try:
                empty = chunk.stat().st_size == 0
            except OSError as exc:
                raise RecordingError(f"cannot read {chunk}: {exc.strerror or exc}") from exc
            if empty:
                continue  # just opened by a recorder: nothing flushed yet
            problem = probe_chunk(chunk)
            if problem:
                raise RecordingError(problem)
            return
        raise RecordingError(f"{path} holds no recorded data (its chunk files are empty)")

    def chunks_between(self, start_ns: int | None, end_ns: int | None) -> list[Path]:
        """Chunks that may hold records in [start_ns, end_ns] (by the manifest's ranges)."""
        if self.manifest is None or (start_ns is None and end_ns is None):
            return list(self.chunks)
        ranges = {c.file: c for c in self.manifest.chunks if c.complete and c.last_ts}
        keep: list[Path] = []
        for p in self.chunks:
            info = ranges.get(p.name)
            if info is not None:
                if start_ns is not None and info.last_ts < start_ns:
                    continue
                if end_ns is not None and info.first_ts > end_ns:
                    continue
            keep.append(p)
        return keep

    def records(self, start_ns: int | None = None, end_ns: int | None = None) -> Iterator[Record]:
        """Every record in order. ``session`` headers are always given; other records only
        within [start_ns, end_ns] (connects and disconnects before the window too, so the
        connection context is known)."""
        for path in self.chunks_between(start_ns, end_ns):
            result = ChunkReadResult()
            for rec in iter_chunk(path, result):
                ts = rec.ts
                if end_ns is not None and ts > end_ns and rec.type != "session":
                    continue
                if start_ns is not None and ts < start_ns and rec.type in ("recv", "send"):
                    continue
                yield rec
            if result.error:
                self.problems.append(result.error)

    def blocks(
        self, start_ns: int | None = None, end_ns: int | None = None
    ) -> Iterator[list[Record]]:
        """Records in decoded batches (the fast path for replay at full speed); no filtering."""
        for path in self.chunks_between(start_ns, end_ns):
            result = ChunkReadResult()
            for block in iter_chunk_blocks(path, result):
                try:
                    yield decode_lines(block)
                except msgspec.DecodeError:
                    good = []
                    for line in block.splitlines():
                        with contextlib.suppress(msgspec.DecodeError):
                            good.append(decode_line(line))
                    result.error = result.error or f"{path.name}: skipped a malformed line"
                    yield good
            if result.error:
                self.problems.append(result.error)


def is_disk_full(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)


def explain_os_error(exc: OSError, what: str) -> str:
    """A sentence for a failed write: full disk, no permission, missing folder, ..."""
    if is_disk_full(exc):
        return f"the disk is full (no space left on device) while {what}"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"no permission to write while {what} ({exc.strerror or exc})"
    if exc.errno == errno.EROFS:
        return f"the file system is read-only while {what}"
    if exc.errno == errno.ENOTDIR:
        return f"a part of the path is a file, not a folder, while {what}"
    if exc.errno == errno.ENOENT:
        return f"a part of the path does not exist while {what}"
    return f"{exc.strerror or exc} while {what}"
