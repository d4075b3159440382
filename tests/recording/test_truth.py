"""Replay and files tell the truth: a normal end is not a failure, a replay says when it is
over, a file that is not a recording is refused, exported tables hold what was recorded."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
import zstandard

from dantaro_tui.feed.client import WebSocketClient
from dantaro_tui.feed.hub import FeedHub
from dantaro_tui.recording.export import export_recording
from dantaro_tui.recording.format import RECORDING_ENDED, Recording, RecordingError
from dantaro_tui.recording.recorder import Recorder
from dantaro_tui.recording.replay import ReplayServer, replay_headless
from tests.recording.helpers import crafted_session, feed, upbit_book, upbit_ticker, upbit_trade

REPO = Path(__file__).resolve().parents[2]
MS = 1_700_000_000_000  # 2023-11-14 22:13:20 UTC


def _trades(n: int = 10) -> list[bytes]:
    return [upbit_trade("KRW-BTC", 50_000_000.0 + i, 0.5, MS + i, i) for i in range(n)]


def _record(folder: Path, frames: list[bytes], end: str | None) -> None:
    with Recorder(folder) as rec:
        feed(rec, crafted_session(frames, end=end))


# --------------------------------------------------------------------------- a clean end


def test_closing_the_recorder_writes_a_clean_end_for_open_connections(tmp_path: Path) -> None:
    _record(tmp_path, _trades(), end=None)  # the feed was still up when the recording stopped
    disconnects = [r for r in Recording(tmp_path).records() if r.type == "disconnect"]
    assert [(r.conn, r.reason) for r in disconnects] == [("upbit-1", RECORDING_ENDED)]
    summary = replay_headless(tmp_path)
    assert summary.frames == 10
    assert summary.gaps == [] and summary.disconnects == 0 and summary.ended == 1
    assert not summary.errors


@pytest.mark.parametrize("end", [None, "CancelledError: ", "closed by us"])
async def test_a_recording_that_simply_ended_replays_without_errors_or_reconnects(
    tmp_path: Path, end: str | None
) -> None:
    """``None``: written by this recorder (``recording ended``); the others: what recordings
    made before it carry. Live, such a replay showed five "exchange closed the connection"
    errors and as many reconnects."""
    _record(tmp_path, _trades(), end=end)
    got: list[object] = []
    server = await ReplayServer(tmp_path, speed=None).start()
    client = WebSocketClient(
        "replayed", "upbit", url=server.endpoints["upbit"]["ws"], hub=FeedHub()
    )
    try:
        await client.subscribe("trade", ["KRW-BTC"], got.append)
        await asyncio.wait_for(server.finished.wait(), 10)
        await asyncio.sleep(1.5)  # a dropped client reconnects within ~0.25 s (backoff)
        health = client.health()
    finally:
        await client.cleanup()
        await server.stop()
    assert len(got) == 10
    assert health.reconnects == 0 and health.errors == 0, health
    assert server.error is None


def test_a_dropped_connection_is_still_a_gap(tmp_path: Path) -> None:
    frames = _trades()
    with Recorder(tmp_path) as rec:
        t = time.time_ns()
        feed(rec, crafted_session(frames[:5], start_ns=t, end="the connection dropped"))
        feed(rec, crafted_session(frames[5:], conn="upbit-2", start_ns=t + 10**9))
    summary = replay_headless(tmp_path)
    assert summary.disconnects == 1 and summary.ended == 1
    assert [g.reason for g in summary.gaps] == ["the connection dropped"]


# --------------------------------------------------------------------------- not a recording


def _not_recordings(tmp_path: Path) -> dict[str, Path]:
    random_bin = tmp_path / "random.bin"
    random_bin.write_bytes(bytes(range(256)) * 20)
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "cat.jpg").write_bytes(b"\xff\xd8\xff" + b"\0" * 100)
    json_zst = tmp_path / "data.jsonl.zst"
    json_zst.write_bytes(zstandard.ZstdCompressor().compress(b'{"price": 1}\n{"price": 2}\n'))
    fake_chunks = tmp_path / "fake"
    fake_chunks.mkdir()
    (fake_chunks / "chunk-000001.jsonl.zst").write_bytes(b"not zstd at all\n")
    return {"file": random_bin, "folder": folder, "json": json_zst, "chunks": fake_chunks}


@pytest.mark.parametrize("kind", ["file", "folder", "json", "chunks"])
def test_what_is_not_a_recording_is_refused(tmp_path: Path, kind: str) -> None:
    path = _not_recordings(tmp_path)[kind]
    with pytest.raises(RecordingError, match="not a dantaro-tui recording"):
        Recording(path)


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dantaro_tui", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.parametrize("kind", ["file", "folder"])
@pytest.mark.parametrize("command", ["replay-tui", "replay-headless", "export"])
def test_commands_refuse_what_is_not_a_recording(tmp_path: Path, kind: str, command: str) -> None:
    path = str(_not_recordings(tmp_path)[kind])
    out = tmp_path / "tables"
    argv = {
        "replay-tui": ["replay", path, "--speed", "10"],
        "replay-headless": ["replay", path, "--headless"],
        "export": ["export", path, "--to", "csv", "--out", str(out)],
    }[command]
    result = _run(*argv)
    assert result.returncode == 1, result
    assert "is not a dantaro-tui recording" in result.stderr
    assert result.stderr.count("\n") == 1  # one sentence, one line
    assert "Traceback" not in result.stderr + result.stdout
    assert not out.exists()  # no empty tables


def test_replay_of_an_empty_window_is_refused_before_the_cockpit_opens(tmp_path: Path) -> None:
    _record(tmp_path / "rec", _trades(), end=None)
    result = _run("replay", str(tmp_path / "rec"), "--from", "+1h")
    assert result.returncode == 1
    assert "no frames" in result.stderr and "Traceback" not in result.stderr


# --------------------------------------------------------------------------- export


def _export_recording(folder: Path) -> None:
    frames = [
        upbit_ticker("KRW-BTC", 50_000_000.0, MS),  # before any book: no best bid/ask yet
        upbit_book("KRW-BTC", 49_990_000.0, 50_010_000.0, MS + 1),
        upbit_ticker("KRW-BTC", 50_000_000.0, MS + 2),
        upbit_trade("KRW-BTC", 50_000_000.0, 1.2, MS + 3, 1),
        upbit_trade("KRW-BTC", 50_000_000.0, 0.61057002, MS + 4, 2),
        upbit_trade("KRW-XRP", 0.1, 3.0, MS + 5, 3),
        upbit_trade("KRW-XRP", 0.2, 3.0, MS + 6, 4),
    ]
    _record(folder, frames, end=None)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_tickers_carry_the_book_not_zero_for_best_bid_and_ask(tmp_path: Path, fmt: str) -> None:
    _export_recording(tmp_path / "rec")
    result = export_recording(tmp_path / "rec", tmp_path / "out", fmt=fmt)  # type: ignore[arg-type]
    path = result.files["tickers"]
    tickers = pd.read_csv(path) if fmt == "csv" else pd.read_parquet(path)
    assert len(tickers) == 2
    first, second = tickers.iloc[0], tickers.iloc[1]
    assert pd.isna(first["best_bid"]) and pd.isna(first["best_ask"])  # not 0.0
    assert (second["best_bid"], second["best_ask"]) == (49_990_000.0, 50_010_000.0)


def test_candle_sums_are_decimal_and_csv_floats_read_back_exactly(tmp_path: Path) -> None:
    _export_recording(tmp_path / "rec")
    csv = export_recording(tmp_path / "rec", tmp_path / "csv", fmt="csv")
    parquet = export_recording(tmp_path / "rec", tmp_path / "pq", fmt="parquet")
    text = csv.files["candles"].read_text()
    assert "1.81057002," in text and "1.8105700200000001" not in text
    assert "0.30000000000000004" not in text  # 0.1 * 3 + 0.2 * 3 = 0.9 exactly
    for name in ("candles", "trades", "tickers", "orderbook"):
        from_csv = pd.read_csv(csv.files[name])
        from_parquet = pd.read_parquet(parquet.files[name])
        floats = [c for c in from_parquet.columns if from_parquet[c].dtype == "float64"]
        assert floats
        for column in floats:  # the same floats, bit for bit
            pd.testing.assert_series_equal(
                from_csv[column], from_parquet[column], check_exact=True, check_names=True
            )
    candles = pd.read_parquet(parquet.files["candles"]).set_index("symbol")
    assert candles.loc["KRW-BTC", "volume"] == 1.81057002
    assert candles.loc["KRW-BTC", "quote_volume"] == 90_528_501.0
    assert candles.loc["KRW-BTC", "vwap"] == 50_000_000.0
    assert candles.loc["KRW-XRP", "quote_volume"] == 0.9
    assert candles.loc["KRW-XRP", "buy_volume"] + candles.loc["KRW-XRP", "sell_volume"] == 6.0


def test_empty_tables_keep_their_column_types(tmp_path: Path) -> None:
    _export_recording(tmp_path / "rec")
    result = export_recording(
        tmp_path / "rec",
        tmp_path / "out",
        fmt="parquet",
        channels=["trade", "ticker", "orderbook", "candle"],
        start_ns=time.time_ns() + 3600 * 10**9,  # a window after the recording: no rows
    )
    assert all(n == 0 for n in result.rows.values())
    strings = {
        "trades": ["exchange", "symbol", "side", "trade_id"],
        "tickers": ["symbol", "quote"],
        "orderbook": ["symbol"],
        "candles": ["symbol"],
        "feed_candles": ["symbol", "interval"],
        "gaps": ["exchange", "conn", "reason"],
    }
    for name, columns in strings.items():
        schema = pq.read_schema(result.files[name])
        for column in columns:
            assert str(schema.field(column).type) == "string", (name, column)
    trades = pq.read_schema(result.files["trades"])
    assert str(trades.field("price").type) == "double"
    assert str(trades.field("time").type) == "timestamp[ns, tz=UTC]"
    assert str(trades.field("snapshot").type) == "bool"
    assert str(pq.read_schema(result.files["candles"]).field("trades").type) == "int64"
    # pandas reads them as strings too (not float64)
    assert pd.read_parquet(result.files["trades"])["symbol"].dtype != "float64"


# --------------------------------------------------------------------------- what replay opens


def test_replay_opens_what_the_recording_asked_for(tmp_path: Path) -> None:
    from dantaro_tui.recording.cli import recorded_markets, replay_layout

    requested = {"exchange": "upbit", "markets": ["KRW-ETH", "KRW-XRP", "KRW-SOL"]}
    with Recorder(tmp_path, requested=requested) as rec:
        feed(rec, crafted_session(_trades(3)))
    exchange, markets, frames = recorded_markets(Recording(tmp_path))
    assert (exchange, markets) == ("upbit", ["KRW-ETH", "KRW-XRP", "KRW-SOL"]) and frames
    assert replay_layout(len(markets)) == "2x2"


def test_without_a_request_replay_opens_the_markets_the_frames_carry(tmp_path: Path) -> None:
    """A cockpit's recording (``--record``): its scanner's tickers cover every market; the
    charts, book and tape were on the markets with trades and books."""
    from dantaro_tui.recording.cli import recorded_markets, replay_layout

    scanner = [upbit_ticker(f"KRW-C{i:02d}", 100.0, MS + i) for i in range(30)]
    charts = [upbit_book("KRW-BTC", 1.0, 2.0, MS + 40 + i) for i in range(5)]
    charts += [upbit_trade("KRW-ETH", 5.0, 1.0, MS + 50 + i, i) for i in range(3)]
    with Recorder(tmp_path, source="tui", requested={"exchange": "upbit", "demo": True}) as rec:
        feed(rec, crafted_session(scanner + charts))
    exchange, markets, _ = recorded_markets(Recording(tmp_path))
    assert (exchange, markets) == ("upbit", ["KRW-BTC", "KRW-ETH"])
    assert replay_layout(len(markets)) == "1x2"


def test_export_into_a_file_is_refused_in_words(tmp_path: Path) -> None:
    _record(tmp_path / "rec", _trades(), end=None)
    blocker = tmp_path / "tables"
    blocker.write_text("not a folder")
    result = _run("export", str(tmp_path / "rec"), "--to", "csv", "--out", str(blocker))
    assert result.returncode == 1
    assert "exists and is not a folder" in result.stderr and "Traceback" not in result.stderr
