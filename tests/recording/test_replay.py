"""Replay: recorded frames through fresh codecs give the events the live codec gave;
summaries, gaps, time windows, pacing, and the loopback ReplayServer."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from pathlib import Path

import pytest
from rich.console import Console

from dantaro_tui.exchanges.upbit import UpbitCodec
from dantaro_tui.feed.client import WebSocketClient
from dantaro_tui.model import Event, OrderBook, Trade
from dantaro_tui.recording.format import Recording
from dantaro_tui.recording.recorder import Recorder
from dantaro_tui.recording.replay import (
    ReplayServer,
    ReplaySource,
    channel_of,
    parse_time,
    replay_headless,
    summary_renderable,
)
from tests.recording.helpers import feed, session, tap, upbit_frames

T0 = 1_700_000_000_000_000_000


def _record(folder: Path, *sessions: list) -> Path:
    with Recorder(folder) as rec:
        for taps_ in sessions:
            feed(rec, taps_)
    return folder


def _live_events(frames: list[str | bytes], start_ns: int) -> list[Event]:
    codec = UpbitCodec()
    out: list[Event] = []
    for i, frame in enumerate(frames):
        out.extend(codec.decode(frame, start_ns + 1_000_000 * (i + 1)))
    return out


def test_replay_gives_the_events_the_live_codec_gave(tmp_path: Path) -> None:
    frames = upbit_frames()
    _record(tmp_path, session(frames, start_ns=T0))
    replayed = list(ReplaySource(tmp_path).events())
    assert replayed == _live_events(frames, T0)
    assert {type(e) for e in replayed} >= {Trade, OrderBook}


def test_one_fresh_codec_per_recorded_connection(tmp_path: Path) -> None:
    frames = upbit_frames()
    _record(
        tmp_path,
        session(frames[:20], conn="upbit-1", start_ns=T0),
        session(frames[20:40], conn="upbit-2", start_ns=T0 + 10**9),
        session(frames[40:60], conn="upbit-1", start_ns=T0 + 2 * 10**9),  # a reused id
    )
    made: list[UpbitCodec] = []

    def factory(exchange: str) -> UpbitCodec:
        assert exchange == "upbit"
        made.append(UpbitCodec())
        return made[-1]

    events = list(ReplaySource(tmp_path, codec_factory=factory).events())
    assert len(made) == 3  # one per connect, none shared
    assert len(events) == len(_live_events(frames[:60], T0))


def test_headless_summary_counts_channels_gaps_and_range(tmp_path: Path) -> None:
    frames = upbit_frames()
    first = session(frames[:100], start_ns=T0)
    first[-1] = tap("disconnect", "upbit-1", "the connection dropped without a goodbye", T0 + 10**8)
    second = session(frames[100:], conn="upbit-2", start_ns=T0 + 3 * 10**9)
    _record(tmp_path, first, second)
    summary = replay_headless(tmp_path)
    live = _live_events(frames[:100], T0) + _live_events(frames[100:], T0 + 3 * 10**9)
    want: dict[tuple[str, str], int] = {}
    for ev in live:
        want[("upbit", channel_of(ev))] = want.get(("upbit", channel_of(ev)), 0) + 1
    assert dict(summary.events) == want
    assert summary.frames == len(frames)
    assert summary.connects == 2 and summary.disconnects == 2
    (gap,) = summary.gaps  # the final disconnect is the end of the recording, not a gap
    assert gap.reason == "the connection dropped without a goodbye"
    assert gap.start_ns == T0 + 10**8 and gap.end_ns == T0 + 3 * 10**9
    assert summary.first_ns == T0 + 1_000_000
    assert "KRW-LAMB" in summary.symbols["upbit", "trade"]
    console = Console(record=True, width=140)
    console.print(summary_renderable(summary))
    text = console.export_text()
    assert "Gaps" in text and "dropped without a goodbye" in text and "orderbook" in text


def test_time_window(tmp_path: Path) -> None:
    frames = upbit_frames()[:100]
    _record(tmp_path, session(frames, start_ns=T0))
    start = T0 + 20_000_000
    end = T0 + 50_000_000
    got = list(ReplaySource(tmp_path, start_ns=start, end_ns=end))
    recv = [rec for rec, _ in got if rec.type == "recv"]
    assert [r.ts for r in recv] == [T0 + 1_000_000 * i for i in range(20, 51)]
    assert got[0][0].type == "session"  # context still given


def test_paced_replay_follows_the_recorded_clock(tmp_path: Path) -> None:
    frames = upbit_frames()[:11]
    taps_ = [tap("connect", "upbit-1", ts=T0)]
    taps_ += [tap("recv", "upbit-1", f, T0 + i * 200_000_000) for i, f in enumerate(frames)]
    _record(tmp_path, taps_)  # 2 s of recorded time
    t0 = time.perf_counter()
    replay_headless(tmp_path, speed=4.0)
    # 2 s at 4x is 0.5 s; at 1x (the speed ignored) it would be 2 s.
    assert 0.45 <= time.perf_counter() - t0 < 1.9


def test_replay_at_full_speed_ignores_the_recorded_clock(tmp_path: Path) -> None:
    frames = upbit_frames()[:11]
    taps_ = [tap("connect", "upbit-1", ts=T0)]
    taps_ += [tap("recv", "upbit-1", f, T0 + i * 10 * 10**9) for i, f in enumerate(frames)]
    _record(tmp_path, taps_)  # 100 s of recorded time
    t0 = time.perf_counter()
    replay_headless(tmp_path)  # max speed
    assert time.perf_counter() - t0 < 10.0  # paced, it would take 100 s


def test_parse_time() -> None:
    assert parse_time("+90s", T0) == T0 + 90 * 10**9
    assert parse_time("+1h30m", T0) == T0 + 5400 * 10**9
    assert parse_time("1700000000", T0) == T0
    assert parse_time(str(T0 + 5), 0) == T0 + 5
    assert parse_time("2023-11-14T22:13:20Z") == T0
    local = datetime.fromtimestamp(T0 / 1e9)
    assert parse_time(local.strftime("%H:%M:%S"), T0) == T0
    with pytest.raises(ValueError):
        parse_time("yesterday", T0)


async def _collect_via_server(
    path: Path, symbols: list[str], expected: int, **kwargs: object
) -> tuple[list[Event], ReplayServer]:
    server = ReplayServer(path, speed=None, **kwargs)  # type: ignore[arg-type]
    await server.start()
    got: list[Event] = []
    done = asyncio.Event()

    def on_event(ev: Event) -> None:
        got.append(ev)
        if len(got) >= expected:
            done.set()

    client = WebSocketClient("replay-test", "upbit", url=server.endpoints["upbit"]["ws"])
    try:
        await client.subscribe_trade(symbols, on_event)
        await asyncio.wait_for(done.wait(), 10)
        await asyncio.wait_for(server.finished.wait(), 10)
    finally:
        await client.cleanup()
        await server.stop()
    return got, server


def _strip(events: list[Event]) -> list[Event]:
    import msgspec

    return [msgspec.structs.replace(e, recv_ns=0) for e in events]


async def test_replay_server_feeds_the_unchanged_client_path(tmp_path: Path) -> None:
    frames = upbit_frames()
    _record(tmp_path, session(frames, start_ns=T0))
    want = [e for e in _live_events(frames, T0) if isinstance(e, Trade) and e.symbol == "KRW-LAMB"]
    assert want
    got, server = await _collect_via_server(tmp_path, ["KRW-LAMB"], len(want))
    # the client filtered the other markets; receive times are the replay's own
    assert _strip(got) == _strip(want)
    assert server.frames_played == len(frames)
    assert server.clock_ns == T0 + 1_000_000 * len(frames)


async def test_replay_server_sends_a_frame_two_recorded_connections_carried_once(
    tmp_path: Path,
) -> None:
    frames = upbit_frames()[:60]
    a = session(frames, conn="upbit-1", start_ns=T0)
    b = session(frames, conn="upbit-2", start_ns=T0 + 2_000_000)  # the same, 2 ms later
    merged = sorted(a + b, key=lambda r: r.ts_ns)
    _record(tmp_path, merged)
    want = [e for e in _live_events(frames, T0) if isinstance(e, Trade)]
    symbols = sorted({e.symbol for e in want})
    got, server = await _collect_via_server(tmp_path, symbols, len(want))
    assert server.duplicates == len(frames)
    assert _strip(got) == _strip(want)


async def test_replay_server_serves_recorded_rest_bodies(tmp_path: Path) -> None:
    import aiohttp

    body = b'[{"market":"KRW-BTC","korean_name":"\xeb\xb9\x84","english_name":"Bitcoin"}]'
    with Recorder(tmp_path) as rec:
        rec.record_rest("upbit", "https://api.upbit.com/v1/market/all?is_details=true", body)
        feed(rec, session(upbit_frames()[:5], start_ns=T0))
    async with ReplayServer(tmp_path) as server:
        rest = server.endpoints["upbit"]["rest"]
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{rest}/v1/market/all", params={"is_details": "true"}) as r:
                assert r.status == 200 and await r.read() == body
            async with http.get(f"{rest}/v1/ticker") as r:
                assert r.status == 404
        assert server.clock_ns == T0 + 1_000_000  # before playing: the first frame's time


def test_recording_path_variants(tmp_path: Path) -> None:
    _record(tmp_path, session(upbit_frames()[:5], start_ns=T0))
    for p in (tmp_path, tmp_path / "manifest.json"):
        assert len(list(Recording(p).records())) == 9  # header, connect, send, 5, disconnect


async def test_replay_server_clock_speed_pause_and_endpoints(tmp_path: Path) -> None:
    from dantaro_tui.feed.hub import default_hub
    from dantaro_tui.recording.cli import start_replay

    frames = upbit_frames()[:41]
    taps_ = [tap("connect", "upbit-1", ts=T0)]
    taps_ += [tap("recv", "upbit-1", f, T0 + i * 50_000_000) for i, f in enumerate(frames)]
    _record(tmp_path, taps_)  # 2 s of recorded time
    server = ReplayServer(tmp_path, speed=1.0)
    await start_replay(server)
    got: list[Event] = []
    try:
        client = WebSocketClient("replay-clock", "upbit")  # endpoints point at the replay
        assert client.url == server.endpoints["upbit"]["ws"]
        await client.subscribe_trade(["KRW-LAMB"], got.append)
        await asyncio.sleep(0.5)
        clock = server.clock_ns
        assert T0 + 200_000_000 <= clock < T0 + 2_000_000_000  # about 0.5 s in, at 1x
        assert not server.finished.is_set()
        server.pause()
        frozen = server.clock_ns
        await asyncio.sleep(0.2)
        assert server.paused and server.clock_ns == frozen
        played = server.frames_played
        await asyncio.sleep(0.1)
        assert server.frames_played == played
        server.resume()
        server.speed = None  # as fast as possible from here
        await asyncio.wait_for(server.finished.wait(), 5)
        assert server.frames_played == len(frames)
        assert server.clock_ns == T0 + 40 * 50_000_000
        await client.cleanup()
    finally:
        await server.stop()
        default_hub().clear_endpoints()
