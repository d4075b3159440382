"""Against the simulator: record a live session, replay it, get the same events; gaps from
dropped connections; the record / replay / export commands end to end."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pandas as pd
import pytest

from dantaro_tui.feed.client import WebSocketClient
from dantaro_tui.model import Candle, Event, OrderBook, Status, Ticker, Trade
from dantaro_tui.recording.cli import (
    add_export_args,
    add_record_args,
    add_replay_args,
    export_main,
    record_main,
    replay_main,
)
from dantaro_tui.recording.format import RECORDING_ENDED, Recording, read_manifest
from dantaro_tui.recording.recorder import Recorder
from dantaro_tui.recording.replay import ReplayServer, ReplaySource, replay_headless
from dantaro_tui.sim.server import SimServer

REPO = Path(__file__).resolve().parents[2]
MARKETS = ["KRW-BTC", "KRW-ETH", "KRW-XRP"]
CHANNELS = ("ticker", "trade", "orderbook")
MS = 1_000_000


def _market_events(events: Iterator[Event] | list[Event]) -> list[Event]:
    """What a client subscribed to MARKETS x CHANNELS is handed (Status goes elsewhere)."""
    return [
        e
        for e in events
        if isinstance(e, Ticker | Trade | OrderBook) and e.symbol in MARKETS  # type: ignore[union-attr]
    ]


def _as_an_owner_sees(events: list[Event]) -> list[Event]:
    """The decoded stream as a client hands it over: after a reconnect Upbit re-sends the
    last trade as a snapshot, and a tape must not show it twice."""
    seen: dict[str, set[str]] = {}
    out: list[Event] = []
    for e in events:
        if isinstance(e, Trade):
            ids = seen.setdefault(e.symbol, set())
            if e.snapshot and e.trade_id in ids:
                continue
            ids.add(e.trade_id)
        out.append(e)
    return out


def _order(e: Event) -> tuple[object, ...]:
    # A client hands over pending state (tickers, books) before queued trades, so events
    # of one moment may reach it in another order than the wire's: compare in time order.
    return (e.recv_ns, type(e).__name__, getattr(e, "symbol", ""), getattr(e, "trade_id", ""))


def _assert_same_events(live: list[Event], replayed: list[Event]) -> None:
    live = sorted(live, key=_order)
    replayed = sorted(_as_an_owner_sees(replayed), key=_order)
    # The recording may end with frames that arrived while the client was letting go
    # (undelivered: the owner no longer wanted them); everything delivered is on file.
    assert len(replayed) >= len(live)
    for a, b in zip(live, replayed, strict=False):
        assert a == b  # every field, the receive time included
    tail = replayed[len(live) :]
    assert len(tail) < 30
    assert all(e.recv_ns >= live[-1].recv_ns for e in tail)  # type: ignore[union-attr]


async def _live_session(
    sim: SimServer, seconds: float, folder: Path
) -> tuple[list[Event], Recorder]:
    recorder = Recorder(folder, requested={"exchange": "upbit", "markets": MARKETS}).start()
    live: list[Event] = []
    client = WebSocketClient("live", "upbit", url=sim.endpoints["upbit"]["ws"])
    try:
        # One request for every channel: each later request would make Upbit re-send its
        # snapshots, which the client (rightly) does not hand over twice.
        await asyncio.gather(*(client.subscribe(ch, MARKETS, live.append) for ch in CHANNELS))
        await asyncio.sleep(seconds)
        # A client that fell behind gets the newest book, not every book: none here.
        assert client.health().conflated == 0
    finally:
        await client.cleanup()
        await asyncio.to_thread(recorder.close)
    return live, recorder


async def test_replay_gives_the_events_the_live_client_got(sim: SimServer, tmp_path: Path) -> None:
    live, recorder = await _live_session(sim, 2.5, tmp_path)
    assert len(live) > 50 and {type(e) for e in live} == {Ticker, Trade, OrderBook}
    assert recorder.error is None and recorder.stats.frames >= len(live) // 2
    replayed = _market_events(ReplaySource(tmp_path).events())
    _assert_same_events(live, replayed)
    # the subscription context is on file
    records = list(Recording(tmp_path).records())
    sent = [r for r in records if r.type == "send"]
    assert sent and all(m in (sent[-1].data or "") for m in MARKETS)
    assert records[0].info and records[0].info["requested"]["markets"] == MARKETS


async def test_dropped_connections_are_written_as_gaps(sim: SimServer, tmp_path: Path) -> None:
    sim.faults.drop_after = 60  # abort every connection after 60 data frames
    live, recorder = await _live_session(sim, 3.0, tmp_path)
    sim.faults.reset()
    assert recorder.stats.disconnects >= 2 and recorder.stats.reconnects >= 2
    disconnects = [r for r in Recording(tmp_path).records() if r.type == "disconnect"]
    assert len(disconnects) >= 2 and all(r.reason for r in disconnects)
    summary = replay_headless(tmp_path)
    closed = [g for g in summary.gaps if g.end_ns]
    assert len(closed) >= 1
    assert all(0 < g.seconds < 5 for g in closed)
    # every recorded connection decoded on its own codec: still the live events
    _assert_same_events(live, _market_events(ReplaySource(tmp_path).events()))


async def test_replay_server_plays_a_sim_recording_to_a_client(
    sim: SimServer, tmp_path: Path
) -> None:
    live, _ = await _live_session(sim, 1.5, tmp_path)
    want = [msgspec.structs.replace(e, recv_ns=0) for e in live if isinstance(e, Trade)]
    got: list[Event] = []
    server = await ReplayServer(tmp_path, speed=None).start()
    client = WebSocketClient("replayed", "upbit", url=server.endpoints["upbit"]["ws"])
    try:
        await client.subscribe("trade", MARKETS, got.append)
        await asyncio.wait_for(server.finished.wait(), 20)
        for _ in range(100):  # the last frames are still on the socket
            if len(got) >= len(want):
                break
            await asyncio.sleep(0.02)
    finally:
        await client.cleanup()
        await server.stop()
    replayed = [msgspec.structs.replace(e, recv_ns=0) for e in got]
    # Every trade the live owner got, in order; the recording may end with a few that
    # arrived while that owner was letting go (recorded, never delivered to it).
    assert replayed[: len(want)] == want
    assert len(replayed) - len(want) < 30


# --------------------------------------------------------------------------- commands


@pytest.fixture
def sim_thread() -> Iterator[SimServer]:
    """The simulator on its own loop in a thread, for commands that run their own loop."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    sim = SimServer(host="127.0.0.1", port=0, seed=3)
    asyncio.run_coroutine_threadsafe(sim.start(), loop).result(10)
    try:
        yield sim
    finally:
        asyncio.run_coroutine_threadsafe(sim.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def _args(add: object, argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add(parser)  # type: ignore[operator]
    return parser.parse_args(argv)


def test_record_replay_export_commands(
    sim_thread: SimServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    urls = sim_thread.endpoints["upbit"]
    out = tmp_path / "rec"
    argv = [
        "--all-markets", "--quote", "KRW", "--channels", "ticker,trade,orderbook,candle.1m",
        "--out", str(out), "--duration", "2s", "--rotate", "1s",
        "--ws-url", urls["ws"], "--rest-url", urls["rest"],
    ]  # fmt: skip
    assert record_main(_args(add_record_args, argv)) == 0
    err = capsys.readouterr().err
    assert "recorded" in err and "frames" in err

    manifest = read_manifest(out)
    assert manifest is not None
    assert len(manifest.chunks) >= 2 and all(c.complete for c in manifest.chunks)
    (session,) = manifest.sessions
    assert session.closed and session.requested["all_markets"]
    assert len(session.requested["markets"]) > 20
    assert all(m.startswith("KRW-") for m in session.requested["markets"])
    rest = [r for r in Recording(out).records() if r.type == "rest"]
    assert rest and "market/all" in rest[0].url  # the market list is kept

    assert replay_main(_args(add_replay_args, [str(out), "--headless"])) == 0
    summary = capsys.readouterr().out
    for channel in ("ticker", "trade", "orderbook", "candle.1m"):
        assert channel in summary

    tables = tmp_path / "tables"
    argv = [str(out), "--to", "parquet", "--out", str(tables), "--channels", "trade,ticker,candle"]
    assert export_main(_args(add_export_args, argv)) == 0
    trades = pd.read_parquet(tables / "trades.parquet")
    assert len(trades) > 0 and set(trades["side"]) <= {"buy", "sell"}
    candles = pd.read_parquet(tables / "candles.parquet")
    assert candles["trades"].sum() == len(trades)
    assert len(pd.read_parquet(tables / "feed_candles.parquet")) > 0


def test_record_reports_an_unreachable_exchange(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [
        "--markets", "KRW-BTC", "--out", str(tmp_path / "rec"), "--duration", "1s", "--quiet",
        "--ws-url", "ws://127.0.0.1:9/websocket/v1",
    ]  # fmt: skip
    assert record_main(_args(add_record_args, argv)) == 1
    assert "recorded nothing" in capsys.readouterr().err


def test_record_on_a_full_disk_stops_with_a_clear_error(
    sim_thread: SimServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from dantaro_tui.recording import format as fmt
    from tests.recording.helpers import FullDisk

    monkeypatch.setattr(fmt, "_default_opener", lambda path: FullDisk(path, limit=10_000))
    out = tmp_path / "rec"
    argv = [
        "--markets", ",".join(MARKETS), "--out", str(out), "--duration", "20s", "--quiet",
        "--ws-url", sim_thread.endpoints["upbit"]["ws"],
    ]  # fmt: skip
    assert record_main(_args(add_record_args, argv)) == 1
    err = capsys.readouterr().err
    assert "disk is full" in err and "kept" in err
    recv = [r for r in Recording(out).records() if r.type == "recv"]
    assert recv  # what was written before the disk filled up is readable


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_record_closes_cleanly_on_a_signal(
    sim_thread: SimServer, tmp_path: Path, sig: signal.Signals
) -> None:
    out = tmp_path / "rec"
    script = (
        "import argparse, sys\n"
        "from dantaro_tui.recording.cli import add_record_args, record_main\n"
        "p = argparse.ArgumentParser(); add_record_args(p)\n"
        "sys.exit(record_main(p.parse_args(sys.argv[1:])))\n"
    )
    argv = [
        "--markets", ",".join(MARKETS), "--out", str(out), "--quiet",
        "--ws-url", sim_thread.endpoints["upbit"]["ws"],
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-c", script, *argv], env=env)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:  # wait until frames are on disk
            manifest = read_manifest(out) if out.exists() else None
            if manifest and manifest.chunks:
                break
            time.sleep(0.1)
        time.sleep(0.5)
        proc.send_signal(sig)
        assert proc.wait(20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    manifest = read_manifest(out)
    assert manifest is not None
    (session,) = manifest.sessions
    assert session.closed and not session.error
    assert manifest.chunks and all(c.complete for c in manifest.chunks)
    assert not list(out.glob("*.part"))
    disconnects = [r for r in Recording(out).records() if r.type == "disconnect"]
    assert disconnects and all(r.reason == RECORDING_ENDED for r in disconnects)


@pytest.mark.parametrize(
    "channels", [("ticker", "trade", "orderbook"), ("ticker", "orderbook", "candle.1m")]
)
async def test_okx_replays_like_live(
    sim: SimServer, tmp_path: Path, channels: tuple[str, ...]
) -> None:
    """A stateful codec (OKX books: snapshot + deltas + checksums), candles on a second
    endpoint (business): the recording decodes to the events the live client got."""
    if "okx" not in sim.endpoints:
        pytest.skip("the simulator has no OKX venue")
    symbols = ["BTC-USDT", "ETH-USDT"]
    recorder = Recorder(tmp_path).start()
    live: list[Event] = []
    client = WebSocketClient("okx-live", "okx", url=sim.endpoints["okx"]["ws"])
    try:
        for channel in channels:
            await client.subscribe(channel, symbols, live.append)
        await asyncio.sleep(2.0)
    finally:
        # While the client closes one connection the other still receives (and the tap
        # records) frames it no longer delivers: compare up to here.
        stop_ns = time.time_ns()
        await client.cleanup()
        await asyncio.to_thread(recorder.close)
    urls = {r.url for r in Recording(tmp_path).records() if r.type == "connect"}
    assert any(u.endswith("/public") for u in urls)
    if "candle.1m" in channels:
        assert any(u.endswith("/business") for u in urls)
        assert any(isinstance(e, Candle) for e in live)
    replayed = [
        e
        for e in ReplaySource(tmp_path).events()
        if not isinstance(e, Status) and e.symbol in symbols and e.recv_ns < stop_ns  # type: ignore[union-attr]
    ]
    assert len(live) > 20 and any(isinstance(e, OrderBook) for e in live)
    _assert_same_events(live, replayed)


@pytest.mark.parametrize(
    ("exchange", "symbols"),
    [("binance", ["BTCUSDT", "ETHUSDT"]), ("gateio", ["BTC_USDT", "ETH_USDT"])],
)
async def test_books_synced_from_rest_replay_like_live(
    sim: SimServer, tmp_path: Path, exchange: str, symbols: list[str]
) -> None:
    """Binance and Gate.io books start from a REST snapshot the hub fetched: the recording
    keeps that reply on its connection, and the replay syncs the same codec from it, so
    every book the live client got comes back, level for level."""
    if exchange not in sim.endpoints:
        pytest.skip(f"the simulator has no {exchange} venue")
    recorder = Recorder(tmp_path).start()
    live: list[Event] = []
    urls = sim.endpoints[exchange]
    client = WebSocketClient(f"{exchange}-live", exchange, url=urls["ws"], rest_url=urls["rest"])
    try:
        await client.subscribe("orderbook", symbols, live.append)
        await client.subscribe("trade", symbols, live.append)
        await asyncio.sleep(2.0)
    finally:
        stop_ns = time.time_ns()
        await client.cleanup()
        await asyncio.to_thread(recorder.close)
    rests = [r for r in Recording(tmp_path).records() if r.type == "rest"]
    assert {s for r in rests for s in symbols if s in r.url} == set(symbols)
    books = [e for e in live if isinstance(e, OrderBook)]
    assert {b.symbol for b in books} == set(symbols)
    replayed = [
        e
        for e in ReplaySource(tmp_path).events()
        if isinstance(e, OrderBook | Trade) and e.symbol in symbols and e.recv_ns < stop_ns
    ]
    _assert_same_events(live, replayed)
