"""Replay: recorded frames through the same codecs again, headless or as a live transport.

Two ways to replay a recording:

* ``ReplaySource`` / ``replay_headless`` read the chunks in order (a torn last chunk left by
  a ``kill -9`` included) and feed every recorded *received* frame, exactly as stored, to a
  fresh codec instance per recorded connection, at full speed or paced by the recorded
  clock. No sockets: this is the analysis path, and the one benchmarked at 100k frames/s.
* ``ReplayServer`` is a loopback WebSocket (+ REST) server that plays the recorded frames of
  each exchange to whatever connects, at the recorded pace times ``speed``, so the unchanged
  live path (Connection -> codec -> WebSocketClient filtering -> widgets) runs on it: point
  the endpoints at ``server.endpoints`` and show ``server.clock_ns`` as the REPLAY clock.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from aiohttp import WSMsgType, web

from dantaro_tui.exchanges import codec_class, exchanges
from dantaro_tui.exchanges.base import ExchangeCodec, RestRequest
from dantaro_tui.exchanges.sanity import clean
from dantaro_tui.model import Candle, Event, OrderBook, Status, Ticker, Trade
from dantaro_tui.recording.format import (
    Record,
    Recording,
    RecordingError,
    is_clean_end,
    iter_chunk,
)

log = logging.getLogger(__name__)

CodecFactory = Callable[[str], ExchangeCodec]

_CHANNEL_OF_TYPE: dict[type, str] = {Ticker: "ticker", Trade: "trade", OrderBook: "orderbook"}


def channel_of(ev: Event) -> str:
    """``ticker``, ``trade``, ``orderbook``, ``candle.1m``, ``status.error``, ..."""
    name = _CHANNEL_OF_TYPE.get(type(ev))
    if name is not None:
        return name
    if isinstance(ev, Candle):
        return f"candle.{ev.interval}"
    if isinstance(ev, Status):
        return f"status.{ev.kind}"
    return type(ev).__name__.lower()


def record_frame(rec: Record) -> str | bytes:
    """The frame of a ``recv``/``send`` record exactly as it crossed the wire."""
    data = rec.data or ""
    if not rec.binary:
        return data
    if rec.encoding == "base64":
        return base64.b64decode(data)
    return data.encode("utf-8")


def default_codec(exchange: str) -> ExchangeCodec:
    return codec_class(exchange)()


# --------------------------------------------------------------------------- times


def recording_start(recording: Recording) -> int:
    """First timestamp of the recording (ns)."""
    if recording.manifest is not None and recording.manifest.first_ts:
        return recording.manifest.first_ts
    for rec in recording.records():
        if rec.type in ("recv", "connect", "send"):
            return rec.ts
    return 0


def parse_time(text: str, start_ns: int = 0) -> int:
    """A point of a recording in ns since the epoch.

    ``+90s`` / ``+10m`` / ``+1h30m``: that long after the recording's start;
    ``2026-11-23T09:30:00`` (local time unless it carries ``Z`` or an offset) or
    ``09:30:00`` (on the recording's first day, local time); a bare number: Unix seconds
    (or ns when it is that large).
    """
    from dantaro_tui.recording.recorder import parse_duration

    s = text.strip()
    if not s:
        raise ValueError("empty time")
    if s.startswith("+"):
        return start_ns + int(parse_duration(s[1:]) * 1e9)
    if s.isdigit() and int(s) > 10**17:
        return int(s)  # already ns
    try:
        number = float(s)
    except ValueError:
        pass
    else:
        return int(number * 1e9)
    if len(s) <= 8 and s.count(":") in (1, 2):  # a time of day on the recording's first day
        day = datetime.fromtimestamp(start_ns / 1e9) if start_ns else datetime.now()
        try:
            tod = datetime.strptime(s, "%H:%M:%S" if s.count(":") == 2 else "%H:%M")
        except ValueError:
            raise ValueError(f"{text!r} is not a time (e.g. 09:30:00)") from None
        dt = day.replace(hour=tod.hour, minute=tod.minute, second=tod.second, microsecond=0)
        return int(dt.timestamp() * 1e9)
    try:
        dt = datetime.fromisoformat(s.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"{text!r} is not a time: use +10m (after the start), 09:30:00, "
            "2026-11-23T09:30:00 or Unix seconds"
        ) from None
    return int(dt.timestamp() * 1e9)


def format_ns(ts: int, *, date: bool = True) -> str:
    if not ts:
        return "-"
    dt = datetime.fromtimestamp(ts / 1e9)
    return dt.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] if date else dt.strftime("%H:%M:%S.%f")[:-3]


# --------------------------------------------------------------------------- headless


@dataclass
class Gap:
    exchange: str
    conn: str
    start_ns: int  # disconnect
    end_ns: int  # reconnect (0 = not reconnected before the recording ended)
    reason: str

    @property
    def seconds(self) -> float:
        return (self.end_ns - self.start_ns) / 1e9 if self.end_ns else float("nan")


@dataclass
class ReplaySummary:
    frames: int = 0  # received frames replayed
    records: int = 0
    events: Counter[tuple[str, str]] = field(default_factory=Counter)  # (exchange, channel)
    # (exchange, channel) -> symbols seen
    symbols: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    errors: Counter[str] = field(default_factory=Counter)  # Status(kind="error") messages
    first_ns: int = 0
    last_ns: int = 0
    connects: int = 0
    disconnects: int = 0  # the feed's own (not the recording's end)
    ended: int = 0  # connections closed because the recording stopped (no gap, no error)
    gaps: list[Gap] = field(default_factory=list)
    sessions: int = 0
    lost: int = 0  # records the recorder reported dropping
    problems: list[str] = field(default_factory=list)  # torn chunks, unreadable data
    wall_seconds: float = 0.0

    @property
    def frames_per_second(self) -> float:
        return self.frames / self.wall_seconds if self.wall_seconds > 0 else 0.0


class _GapTracker:
    """Pairs each disconnect with the next connect to the same exchange URL."""

    def __init__(self, summary: ReplaySummary) -> None:
        self.summary = summary
        self.urls: dict[str, tuple[str, str]] = {}  # conn -> (exchange, url)
        self.open_gaps: dict[tuple[str, str], list[Gap]] = {}

    def connect(self, rec: Record) -> None:
        key = (rec.exchange, rec.url)
        self.urls[rec.conn] = key
        pending = self.open_gaps.get(key)
        if pending:
            gap = pending.pop(0)
            gap.end_ns = rec.ts

    def disconnect(self, rec: Record) -> None:
        key = self.urls.pop(rec.conn, (rec.exchange, rec.url))
        gap = Gap(rec.exchange, rec.conn, rec.ts, 0, rec.reason)
        self.summary.gaps.append(gap)
        self.open_gaps.setdefault(key, []).append(gap)

    def finish(self) -> None:
        """A disconnect at the very end (the recorder shutting the feed down) is no gap."""
        last = self.summary.last_ns
        self.summary.gaps = [
            g for g in self.summary.gaps if g.end_ns or last - g.start_ns > 1_000_000_000
        ]


class ReplaySource:
    """Recorded frames through fresh codecs, one per recorded connection.

    ``for rec, events in source`` gives every record in order with the events its frame
    decodes to (``[]`` for everything but ``recv``); ``events()`` only the events.
    """

    def __init__(
        self,
        path: str | Path | Recording,
        *,
        start_ns: int | None = None,
        end_ns: int | None = None,
        exchanges: Iterable[str] | None = None,
        codec_factory: CodecFactory | None = None,
    ) -> None:
        self.recording = path if isinstance(path, Recording) else Recording(Path(path))
        self.start_ns = start_ns
        self.end_ns = end_ns
        self.exchanges = frozenset(e.lower() for e in exchanges) if exchanges else None
        self.codec_factory = codec_factory or default_codec
        self._codecs: dict[str, ExchangeCodec] = {}

    def _codec(self, conn: str, exchange: str) -> ExchangeCodec:
        codec = self.codec_factory(exchange)
        self._codecs[conn] = codec
        return codec

    def __iter__(self) -> Iterator[tuple[Record, list[Event]]]:
        codecs = self._codecs
        start, end, wanted = self.start_ns, self.end_ns, self.exchanges
        current_session: object = None
        # A codec that keeps its book from a REST snapshot (Binance, Gate.io) asks for it;
        # the recording holds the reply the live hub fetched, on the same connection.
        asked: dict[str, list[RestRequest]] = {}
        for block in self.recording.blocks(start, end):
            for rec in block:
                kind = rec.type
                if wanted is not None and rec.exchange and rec.exchange not in wanted:
                    continue
                if kind == "recv":
                    ts = rec.ts
                    if (start is not None and ts < start) or (end is not None and ts > end):
                        continue
                    codec = codecs.get(rec.conn) or self._codec(rec.conn, rec.exchange)
                    events = codec.decode(record_frame(rec), ts)
                    more = codec.rest_requests()
                    if more:
                        asked.setdefault(rec.conn, []).extend(more)
                    yield rec, events
                    continue
                if kind == "rest" and rec.conn in codecs:
                    request = _answered(asked.get(rec.conn, []), rec.url)
                    if request is not None:
                        codec = codecs[rec.conn]
                        body = record_frame(rec)
                        raw = body if isinstance(body, bytes) else body.encode()
                        events = codec.on_rest(request, 200, raw, rec.ts)
                        asked[rec.conn].extend(codec.rest_requests())
                        yield rec, events
                        continue
                if kind == "connect":
                    self._codec(rec.conn, rec.exchange)  # a new connection: fresh state
                elif kind == "disconnect":
                    codecs.pop(rec.conn, None)
                    asked.pop(rec.conn, None)
                elif kind == "session":
                    session = (rec.info or {}).get("session")
                    if session != current_session:  # a new recording process: ids restart
                        current_session = session
                        codecs.clear()
                if end is not None and rec.ts > end and kind != "session":
                    continue
                yield rec, []

    def events(self) -> Iterator[Event]:
        for _, events in self:
            yield from events

    def summarize(
        self,
        *,
        speed: float | None = None,
        on_events: Callable[[Record, list[Event]], object] | None = None,
        progress: Callable[[ReplaySummary], object] | None = None,
    ) -> ReplaySummary:
        """Replay everything (paced by the recorded clock when ``speed`` is given) and
        count it: events per exchange and channel, time range, gaps, errors."""
        summary = ReplaySummary()
        gaps = _GapTracker(summary)
        events_count = summary.events
        symbols = summary.symbols
        t0 = time.perf_counter()
        anchor_rec = 0
        next_progress = t0 + 0.5
        sessions: set[object] = set()
        for rec, events in self:
            summary.records += 1
            kind = rec.type
            if kind == "recv":
                ts = rec.ts
                summary.frames += 1
                if not summary.first_ns:
                    summary.first_ns = ts
                    anchor_rec = ts
                summary.last_ns = max(summary.last_ns, ts)
                if speed:
                    delay = (ts - anchor_rec) / 1e9 / speed - (time.perf_counter() - t0)
                    if delay > 0.001:
                        time.sleep(delay)
                ex = rec.exchange
                for ev in events:
                    cls = type(ev)
                    channel = _CHANNEL_OF_TYPE.get(cls)
                    if channel is None:
                        channel = channel_of(ev)
                        if cls is Status:
                            if ev.kind == "error":  # type: ignore[union-attr]
                                summary.errors[ev.message] += 1  # type: ignore[union-attr]
                            events_count[ex, channel] += 1
                            continue
                    key = (ex, channel)
                    events_count[key] += 1
                    seen = symbols.get(key)
                    if seen is None:
                        seen = symbols[key] = set()
                    seen.add(ev.symbol)
                if on_events is not None:
                    on_events(rec, events)
                if progress is not None and summary.frames % 4096 == 0:
                    now = time.perf_counter()
                    if now >= next_progress:
                        summary.wall_seconds = now - t0
                        progress(summary)
                        next_progress = now + 0.5
            elif kind == "rest" and events:  # a book synced from its recorded snapshot
                for ev in events:
                    if type(ev) is not Status:
                        events_count[rec.exchange, channel_of(ev)] += 1
                if on_events is not None:
                    on_events(rec, events)
            elif kind == "connect":
                summary.connects += 1
                gaps.connect(rec)
            elif kind == "disconnect":
                if is_clean_end(rec.reason):
                    summary.ended += 1
                    gaps.urls.pop(rec.conn, None)
                else:
                    summary.disconnects += 1
                    gaps.disconnect(rec)
            elif kind == "session":
                sessions.add((rec.info or {}).get("session"))
                summary.sessions = len(sessions)
            elif kind == "lost":
                summary.lost += rec.count
        gaps.finish()
        summary.wall_seconds = time.perf_counter() - t0
        summary.problems = list(self.recording.problems)
        return summary


def replay_headless(
    path: str | Path,
    *,
    speed: float | None = None,
    start_ns: int | None = None,
    end_ns: int | None = None,
    exchanges: Iterable[str] | None = None,
    progress: Callable[[ReplaySummary], object] | None = None,
) -> ReplaySummary:
    source = ReplaySource(path, start_ns=start_ns, end_ns=end_ns, exchanges=exchanges)
    return source.summarize(speed=speed, progress=progress)


def summary_renderable(summary: ReplaySummary, title: str = "Replay") -> Any:
    """A rich renderable of the summary (tables of counts and gaps)."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    span = (summary.last_ns - summary.first_ns) / 1e9 if summary.first_ns else 0.0
    head = Text()
    head.append(f"{title}: ", style="bold")
    head.append(
        f"{format_ns(summary.first_ns)} -> {format_ns(summary.last_ns)}  ({span:,.1f} s recorded)\n"
    )
    head.append(
        f"{summary.frames:,} frames, {summary.sessions} session(s), {summary.connects} "
        f"connect(s), {summary.disconnects} disconnect(s), {len(summary.gaps)} gap(s); "
        f"replayed in {summary.wall_seconds:,.2f} s ({summary.frames_per_second:,.0f} frames/s)"
    )
    parts: list[Any] = [head]
    counts = Table(title="Events per channel", title_justify="left")
    counts.add_column("exchange")
    counts.add_column("channel")
    counts.add_column("events", justify="right")
    counts.add_column("symbols", justify="right")
    for (ex, channel), n in sorted(summary.events.items()):
        syms = summary.symbols.get((ex, channel))
        counts.add_row(ex, channel, f"{n:,}", f"{len(syms):,}" if syms else "")
    parts.append(counts)
    if summary.gaps:
        gaps = Table(title="Gaps (disconnect -> reconnect)", title_justify="left")
        gaps.add_column("exchange")
        gaps.add_column("from")
        gaps.add_column("to")
        gaps.add_column("seconds", justify="right")
        gaps.add_column("reason")
        for g in summary.gaps:
            secs = f"{g.seconds:,.2f}" if g.end_ns else "-"
            end = format_ns(g.end_ns, date=False) if g.end_ns else "not reconnected"
            # Text, not a markup string: a close reason is the server's words.
            reason = Text(clean(g.reason))
            gaps.add_row(g.exchange, format_ns(g.start_ns, date=False), end, secs, reason)
        parts.append(gaps)
    if summary.errors:
        errs = Table(title="Errors reported by the feed", title_justify="left")
        errs.add_column("count", justify="right")
        errs.add_column("message")
        for msg, n in summary.errors.most_common(10):
            errs.add_row(f"{n:,}", Text(clean(msg)))
        parts.append(errs)
    if summary.lost:
        parts.append(Text(f"the recorder dropped {summary.lost:,} records", style="bold red"))
    for problem in summary.problems:
        parts.append(Text(f"note: {problem}", style="yellow"))
    return Group(*parts)


class FrameDeduper:
    """Spots a frame another recorded connection of the same exchange already carried
    within ``window_ns`` (several clients subscribed to the same market each got it)."""

    __slots__ = ("_order", "_recent", "window_ns")

    def __init__(self, window_ns: int) -> None:
        self.window_ns = window_ns
        self._recent: dict[tuple[str, str], tuple[int, str]] = {}  # (ex, data) -> (ts, conn)
        self._order: deque[tuple[int, tuple[str, str]]] = deque()

    def is_duplicate(self, rec: Record) -> bool:
        window = self.window_ns
        if not window:
            return False
        ts = rec.ts
        order, recent = self._order, self._recent
        while order and ts - order[0][0] > window:
            old_key = order.popleft()[1]
            seen = recent.get(old_key)
            if seen is not None and ts - seen[0] > window:
                del recent[old_key]
        key = (rec.exchange, rec.data or "")
        seen = recent.get(key)
        if seen is not None and seen[1] != rec.conn and ts - seen[0] <= window:
            return True
        recent[key] = (ts, rec.conn)
        order.append((ts, key))
        return False


# --------------------------------------------------------------------------- server

# What the exchange answers to the client's keepalive text, so a quiet stretch of a
# recording does not look like a dead connection.
_KEEPALIVE_REPLIES: dict[str, str | bytes] = {"upbit": b'{"status":"UP"}', "okx": "pong"}
# An empty candle list as each exchange's REST API writes it (Upbit: a bare JSON array).
_NO_CANDLES: dict[str, bytes] = {"okx": b'{"code":"0","msg":"","data":[]}'}


class _Client:
    __slots__ = ("exchange", "subscribed", "tail", "ws")

    def __init__(self, ws: web.WebSocketResponse, exchange: str, tail: str) -> None:
        self.ws = ws
        self.exchange = exchange
        self.tail = tail
        self.subscribed = False


class ReplayServer:
    """Plays a recording over loopback WebSockets, as the exchanges would have sent it.

    Each exchange's received frames (of every recorded connection, merged in receive-time
    order, a frame that several recorded connections carried within ``dedupe_ms`` sent
    once) go to every client connected to that exchange once the first client has
    subscribed; timing follows the recorded clock times ``speed`` (None = as fast as the
    clients take them). When every recorded connection of an exchange dropped, the
    clients are disconnected too, so the gap shows as it did live. REST bodies the
    recording kept (e.g. the market list) are served on the ``rest`` endpoint.
    """

    def __init__(
        self,
        path: str | Path | Recording,
        *,
        speed: float | None = 1.0,
        start_ns: int | None = None,
        end_ns: int | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        dedupe_ms: float = 20.0,
        wait_for_subscriber: bool = True,
    ) -> None:
        self.recording = path if isinstance(path, Recording) else Recording(Path(path))
        self._speed = speed if speed and speed > 0 else None
        self.start_ns = start_ns
        self.end_ns = end_ns
        self.host = host
        self.port = port
        self.dedupe_ns = int(dedupe_ms * 1e6)
        self.wait_for_subscriber = wait_for_subscriber
        self.endpoints: dict[str, dict[str, str]] = {}
        self.finished = asyncio.Event()
        self.frames_sent = 0
        self.frames_played = 0
        self.duplicates = 0
        self._clients: dict[str, set[_Client]] = {}
        self._subscribed = asyncio.Event()
        self._resumed = asyncio.Event()
        self._resumed.set()
        self._runner: web.AppRunner | None = None
        self._task: asyncio.Task[None] | None = None
        self._rest: dict[str, list[tuple[str, Record]]] = {}  # exchange -> [(path, record)]
        self._paths: dict[str, set[str]] = {}  # exchange -> recorded WebSocket URL paths
        self._anchor_wall = 0.0
        self._anchor_rec = 0
        self._last_ts = 0
        self._first_ts = 0
        self.error: BaseException | None = None

    # -- control ---------------------------------------------------------------------
    @property
    def speed(self) -> float | None:
        return self._speed

    @speed.setter
    def speed(self, value: float | None) -> None:
        self._reanchor()
        self._speed = value if value and value > 0 else None

    @property
    def paused(self) -> bool:
        return not self._resumed.is_set()

    def pause(self) -> None:
        if not self.paused:
            self._reanchor()
            self._resumed.clear()

    def resume(self) -> None:
        if self.paused:
            self._anchor_wall = time.monotonic()
            self._resumed.set()

    @property
    def clock_ns(self) -> int:
        """The recorded time being replayed now (for the REPLAY clock); 0 before start."""
        if not self._anchor_rec:
            return self._first_ts
        if self._speed is None or self.paused or self.finished.is_set():
            return self._last_ts
        now = self._anchor_rec + int((time.monotonic() - self._anchor_wall) * 1e9 * self._speed)
        return max(self._last_ts, min(now, self.end_ns or now))

    def _reanchor(self) -> None:
        if self._anchor_rec:
            self._anchor_rec = self.clock_ns
            self._anchor_wall = time.monotonic()

    # -- lifecycle -------------------------------------------------------------------
    async def start(self) -> ReplayServer:
        # Up to 50,000 records decompressed and decoded: off the loop, which in the
        # cockpit is the UI's.
        await asyncio.to_thread(self._preload)
        app = web.Application()
        app.router.add_get("/ws/{exchange}{tail:.*}", self._ws_handler)
        app.router.add_get("/rest/{exchange}{tail:.*}", self._rest_handler)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        base = f"{self.host}:{self.port}"
        self.endpoints = {
            ex: {"ws": f"ws://{base}/ws/{ex}", "rest": f"http://{base}/rest/{ex}"}
            for ex in exchanges()
        }
        self._task = asyncio.create_task(self._play(), name="replay")
        if not self.wait_for_subscriber:
            self._subscribed.set()
        return self

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for clients in self._clients.values():
            for c in list(clients):
                with contextlib.suppress(Exception):
                    await c.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> ReplayServer:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def _preload(self) -> None:
        """REST bodies and the first timestamp, from the start of the first chunk."""
        for i, rec in enumerate(iter_chunk(self.recording.chunks[0])):
            if rec.type == "rest":
                self._add_rest(rec)
            elif rec.type == "recv" and not self._first_ts and rec.ts >= (self.start_ns or 0):
                self._first_ts = rec.ts
            if i >= 50_000 and self._first_ts:
                break
        if self.start_ns and self._first_ts < self.start_ns:
            self._first_ts = self.start_ns

    def _add_rest(self, rec: Record) -> None:
        path = urlsplit(rec.url).path.rstrip("/")
        self._rest.setdefault(rec.exchange, []).append((path, rec))

    def _recorded_reply(self, exchange: str, tail: str, query: str) -> Record | None:
        """The latest recorded answer to ``tail?query``. A reply recorded for other
        parameters (another symbol's depth snapshot) is never served in its place; one
        recorded without parameters (a market list) answers any."""
        wanted = set(parse_qsl(query))
        exact: Record | None = None
        loose: Record | None = None
        for path, rec in self._rest.get(exchange, []):
            if not (tail and path.endswith(tail)):
                continue
            got = set(parse_qsl(urlsplit(rec.url).query))
            if got == wanted:
                exact = rec
            elif (got <= wanted or wanted <= got) and not _names_a_market(got ^ wanted):
                loose = rec
        return exact or loose

    # -- handlers ------------------------------------------------------------------------
    async def _rest_handler(self, request: web.Request) -> web.StreamResponse:
        exchange = request.match_info["exchange"]
        tail = request.match_info["tail"].rstrip("/")
        best = self._recorded_reply(exchange, tail, request.query_string)
        if best is None and "candles" in tail:
            # Candle history is not recorded (the recording starts now): an empty answer,
            # and the chart builds its bars from the replayed trades.
            return web.Response(
                body=_NO_CANDLES.get(exchange, b"[]"), content_type="application/json"
            )
        if best is None:
            return web.json_response(
                {"error": {"name": 404, "message": f"not in the recording: {tail}"}}, status=404
            )
        body = record_frame(best)
        return web.Response(
            body=body if isinstance(body, bytes) else body.encode(),
            content_type="application/json",
        )

    async def _ws_handler(self, request: web.Request) -> web.StreamResponse:
        exchange = request.match_info["exchange"]
        ws = web.WebSocketResponse(autoping=True, max_msg_size=0, compress=False)
        await ws.prepare(request)
        client = _Client(ws, exchange, request.match_info["tail"].rstrip("/"))
        clients = self._clients.setdefault(exchange, set())
        clients.add(client)
        keepalive: str | bytes | None = None
        with contextlib.suppress(Exception):
            keepalive = codec_class(exchange).ping_frame
        try:
            async for msg in ws:
                if msg.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                    continue
                if keepalive is not None and msg.data == keepalive:
                    reply = _KEEPALIVE_REPLIES.get(exchange)
                    if reply is not None:
                        await self._send(ws, reply)
                    continue
                client.subscribed = True  # any other message is a subscription request
                self._subscribed.set()
        finally:
            clients.discard(client)
        return ws

    @staticmethod
    async def _send(ws: web.WebSocketResponse, frame: str | bytes) -> None:
        if isinstance(frame, bytes):
            await ws.send_bytes(frame)
        else:
            await ws.send_str(frame)

    # -- playback ------------------------------------------------------------------------
    async def _play(self) -> None:
        try:
            await self._subscribed.wait()
            await self._play_records()
        except asyncio.CancelledError:
            raise
        except (RecordingError, OSError) as exc:
            self.error = exc
            log.error("replay stopped: %s", exc)
        finally:
            self.finished.set()

    async def _play_records(self) -> None:
        start, end = self.start_ns, self.end_ns
        urls: dict[str, tuple[str, str]] = {}  # recorded conn -> (exchange, url path)
        open_conns: dict[str, set[str]] = {}  # exchange -> recorded conns up
        dedupe = FrameDeduper(self.dedupe_ns)
        match_cache: dict[tuple[str, str, str], bool] = {}
        sent_since_yield = 0
        for block in self.recording.blocks(start, end):
            for rec in block:
                kind = rec.type
                if kind == "recv":
                    ts = rec.ts
                    if (start is not None and ts < start) or (end is not None and ts > end):
                        continue
                    ex = rec.exchange
                    if rec.conn not in urls:
                        urls[rec.conn] = (ex, "")
                        open_conns.setdefault(ex, set()).add(rec.conn)
                    if dedupe.is_duplicate(rec):
                        self.duplicates += 1
                        continue
                    await self._wait_until(ts)
                    self._last_ts = ts
                    self.frames_played += 1
                    frame = record_frame(rec)
                    path = urls[rec.conn][1]
                    for client in list(self._clients.get(ex, ())):
                        if not client.subscribed or client.ws.closed:
                            continue
                        if client.tail:
                            mkey = (ex, client.tail, path)
                            ok = match_cache.get(mkey)
                            if ok is None:
                                ok = match_cache[mkey] = self._tail_matches(ex, client.tail, path)
                            if not ok:
                                continue
                        try:
                            await self._send(client.ws, frame)
                        except (ConnectionError, RuntimeError):
                            continue
                        self.frames_sent += 1
                    sent_since_yield += 1
                    if sent_since_yield >= 256:
                        sent_since_yield = 0
                        await asyncio.sleep(0)
                elif kind == "connect":
                    path = urlsplit(rec.url).path.rstrip("/")
                    urls[rec.conn] = (rec.exchange, path)
                    open_conns.setdefault(rec.exchange, set()).add(rec.conn)
                    if path not in self._paths.setdefault(rec.exchange, set()):
                        self._paths[rec.exchange].add(path)
                        match_cache.clear()
                elif kind == "disconnect":
                    if end is not None and rec.ts > end:
                        continue
                    up = open_conns.setdefault(rec.exchange, set())
                    up.discard(rec.conn)
                    if is_clean_end(rec.reason):
                        continue  # the recording stopped here, the exchange did not fail
                    if not up and (start is None or rec.ts >= start):
                        await self._wait_until(rec.ts)
                        await self._drop_clients(rec.exchange, rec.reason)
                elif kind == "session":
                    urls.clear()
                    open_conns.clear()
                    info = rec.info or {}
                    for conn, (ex, url) in dict(info.get("open") or {}).items():
                        path = urlsplit(url).path.rstrip("/")
                        urls[conn] = (ex, path)
                        open_conns.setdefault(ex, set()).add(conn)
                        self._paths.setdefault(ex, set()).add(path)
                    match_cache.clear()
                elif kind == "rest":
                    self._add_rest(rec)

    def _tail_matches(self, exchange: str, tail: str, path: str) -> bool:
        """Does a client that asked for ``tail`` (e.g. /ws/v5/business) get frames that
        were received on a connection to ``path``? When no recorded URL of the exchange
        ends with ``tail``, everything goes to it."""
        if path.endswith(tail):
            return True
        return not any(p.endswith(tail) for p in self._paths.get(exchange, ()))

    async def _wait_until(self, ts: int) -> None:
        if not self._anchor_rec:
            self._anchor_rec = ts
            self._anchor_wall = time.monotonic()
        while True:
            if not self._resumed.is_set():
                await self._resumed.wait()
                continue
            speed = self._speed
            if speed is None:
                self._anchor_rec = ts
                self._anchor_wall = time.monotonic()
                return
            due = self._anchor_wall + (ts - self._anchor_rec) / 1e9 / speed
            delay = due - time.monotonic()
            if delay <= 0.0005:
                return
            await asyncio.sleep(min(delay, 0.25))  # wake up for speed changes / pauses

    async def _drop_clients(self, exchange: str, reason: str) -> None:
        for client in list(self._clients.get(exchange, ())):
            with contextlib.suppress(Exception):
                await client.ws.close(code=1011, message=f"recorded: {reason}"[:120].encode())


__all__ = [
    "FrameDeduper",
    "Gap",
    "ReplayServer",
    "ReplaySource",
    "ReplaySummary",
    "channel_of",
    "format_ns",
    "parse_time",
    "record_frame",
    "recording_start",
    "replay_headless",
    "summary_renderable",
]


# Parameters that pick a market: a reply for another value of one of them is another
# market's data.
_MARKET_PARAMS = frozenset(("symbol", "symbols", "currency_pair", "instId", "market", "markets"))


def _names_a_market(params: set[tuple[str, str]]) -> bool:
    return any(name in _MARKET_PARAMS for name, _ in params)


def _answered(asked: list[RestRequest], url: str) -> RestRequest | None:
    """The request (taken off ``asked``) a recorded reply from ``url`` answers."""
    parts = urlsplit(url)
    params = set(parse_qsl(parts.query))
    for i, request in enumerate(asked):
        if parts.path.rstrip("/").endswith(request.path.rstrip("/")) and params == set(
            request.params
        ):
            return asked.pop(i)
    return None
