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


# --------------------------------------------------------------------------- crafted frames
# Upbit SIMPLE-format frames written by hand: tests that must not depend on the recorded
# fixtures beside the checkout (those skip when the folder is absent).


def upbit_trade(symbol: str, price: float, volume: float, ms: int, seq: int) -> bytes:
    side = "BID" if seq % 2 else "ASK"
    return (
        f'{{"ty":"trade","cd":"{symbol}","tms":{ms + 5},"td":"2023-11-14","ttm":"22:13:20",'
        f'"ttms":{ms},"tp":{price!r},"tv":{volume!r},"ab":"{side}","pcp":{price!r},'
        f'"c":"EVEN","cp":0.0,"sid":{ms * 1000 + seq},"st":"REALTIME"}}'
    ).encode()


def upbit_book(symbol: str, bid: float, ask: float, ms: int) -> bytes:
    return (
        f'{{"ty":"orderbook","cd":"{symbol}","tms":{ms},"tas":10.0,"tbs":12.0,'
        f'"obu":[{{"ap":{ask!r},"bp":{bid!r},"as":1.0,"bs":2.0}}],"st":"REALTIME"}}'
    ).encode()


def upbit_ticker(symbol: str, price: float, ms: int) -> bytes:
    return (
        f'{{"ty":"ticker","cd":"{symbol}","op":{price!r},"hp":{price!r},"lp":{price!r},'
        f'"tp":{price!r},"pcp":{price!r},"c":"EVEN","cp":0.0,"scp":0.0,"cr":0.0,"scr":0.0,'
        f'"tv":0.5,"atv":10.0,"atv24h":20.0,"atp":1000.0,"atp24h":2000.0,"tdt":"20231114",'
        f'"ttm":"221320","ttms":{ms},"ab":"BID","aav":1.0,"abv":2.0,"h52wp":200.0,'
        f'"h52wdt":"2023-01-01","l52wp":50.0,"l52wdt":"2023-02-01","ms":"ACTIVE","dd":null,'
        f'"tms":{ms + 1},"st":"REALTIME"}}'
    ).encode()


def crafted_session(
    frames: list[bytes], conn: str = "upbit-1", start_ns: int = 0, end: str | None = None
) -> list[TapRecord]:
    """connect, a subscription, the frames 1 ms apart, and a disconnect with ``end`` as its
    reason (None: no disconnect; the connection is still open when the recorder closes)."""
    t = start_ns or time.time_ns()
    out = [tap("connect", conn, ts=t)]
    out.append(tap("send", conn, '[{"ticket":"t"},{"type":"trade","codes":["KRW-BTC"]}]', t + 1))
    out += [tap("recv", conn, f, t + 1_000_000 * (i + 1)) for i, f in enumerate(frames)]
    if end is not None:
        out.append(tap("disconnect", conn, end, t + 1_000_000 * (len(frames) + 1)))
    return out
