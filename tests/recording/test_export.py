"""Export: normalized tables with the documented columns, CSV and Parquet."""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd
import pytest

from dantaro_tui.model import OrderBook, Trade
from dantaro_tui.recording.cli import add_export_args, export_main
from dantaro_tui.recording.export import (
    CANDLE_COLUMNS,
    GAP_COLUMNS,
    TICKER_COLUMNS,
    TRADE_COLUMNS,
    export_recording,
    orderbook_columns,
    resample_trades,
)
from dantaro_tui.recording.recorder import Recorder
from dantaro_tui.recording.replay import ReplaySource
from tests.recording.helpers import feed, session, tap, upbit_frames

T0 = 1_700_000_000_000_000_000
TICKER = (
    b'{"ty":"ticker","cd":"KRW-BTC","op":100.0,"hp":110.0,"lp":90.0,"tp":105.0,"pcp":100.0,'
    b'"c":"RISE","cp":5.0,"scp":5.0,"cr":0.05,"scr":0.05,"tv":0.5,"atv":10.0,"atv24h":20.0,'
    b'"atp":1000.0,"atp24h":2000.0,"tdt":"20231114","ttm":"221320","ttms":1700000000000,'
    b'"ab":"BID","aav":1.0,"abv":2.0,"h52wp":200.0,"h52wdt":"2023-01-01","l52wp":50.0,'
    b'"l52wdt":"2023-02-01","ms":"ACTIVE","dd":null,"tms":1700000000001,"st":"REALTIME"}'
)


@pytest.fixture
def recording(tmp_path: Path) -> Path:
    folder = tmp_path / "rec"
    frames = [*upbit_frames(), TICKER]
    first = session(frames[:200], start_ns=T0)
    first[-1] = tap("disconnect", "upbit-1", "dropped", T0 + 300_000_000)
    again = session(frames[200:], conn="upbit-2", start_ns=T0 + 2 * 10**9)
    with Recorder(folder) as rec:
        feed(rec, first + again)
    return folder


def _events(folder: Path) -> list:
    return list(ReplaySource(folder).events())


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_export_tables_and_columns(recording: Path, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / "out"
    result = export_recording(recording, out, fmt=fmt, depth=3)  # type: ignore[arg-type]
    assert set(result.files) == {"trades", "candles", "tickers", "orderbook", "gaps"}

    def read(name: str) -> pd.DataFrame:
        path = result.files[name]
        assert path.suffix == f".{fmt}"
        return pd.read_parquet(path) if fmt == "parquet" else pd.read_csv(path)

    events = _events(recording)
    trades = read("trades")
    assert tuple(trades.columns) == TRADE_COLUMNS
    live_trades = [e for e in events if isinstance(e, Trade)]
    assert len(trades) == len({(t.symbol, t.trade_id) for t in live_trades})
    first = live_trades[0]
    row = trades.iloc[0]
    assert (row["symbol"], row["price"], row["volume"], row["side"]) == (
        first.symbol,
        first.price,
        first.volume,
        first.side,
    )
    assert set(trades["side"]) <= {"buy", "sell"}

    books = read("orderbook")
    assert tuple(books.columns) == orderbook_columns(3)
    book = next(e for e in events if isinstance(e, OrderBook))
    assert books.iloc[0]["bid_price_1"] == book.bids[0].price
    assert books.iloc[0]["ask_size_2"] == book.asks[1].size

    tickers = read("tickers")
    assert tuple(tickers.columns) == TICKER_COLUMNS
    assert len(tickers) == 1 and tickers.iloc[0]["trade_price"] == 105.0
    assert tickers.iloc[0]["change_rate"] == pytest.approx(0.05)

    candles = read("candles")
    assert tuple(candles.columns) == CANDLE_COLUMNS
    assert candles["trades"].sum() == len(trades)
    assert candles["volume"].sum() == pytest.approx(trades["volume"].sum())

    gaps = read("gaps")
    assert tuple(gaps.columns) == GAP_COLUMNS
    assert len(gaps) == 1 and gaps.iloc[0]["reason"] == "dropped"
    assert gaps.iloc[0]["seconds"] == pytest.approx(1.7)

    if fmt == "parquet":
        assert str(trades["time"].dtype) == "datetime64[ns, UTC]"
        assert str(trades["recv_time"].dtype) == "datetime64[ns, UTC]"
    else:
        assert trades["time"].iloc[0].endswith("Z") and "T" in trades["time"].iloc[0]


def test_resample_trades_ohlcv() -> None:
    ms = pd.Timestamp("2024-01-01T00:00:00Z").value // 10**6
    trades = pd.DataFrame(
        {
            "exchange": ["upbit"] * 4,
            "symbol": ["KRW-BTC"] * 4,
            "base": ["BTC"] * 4,
            "quote": ["KRW"] * 4,
            "time": pd.to_datetime(
                [ms, ms + 10_000, ms + 50_000, ms + 70_000], unit="ms", utc=True
            ),
            "price": [100.0, 110.0, 90.0, 95.0],
            "volume": [1.0, 2.0, 1.0, 4.0],
            "side": ["buy", "sell", "buy", "sell"],
        }
    )
    candles = resample_trades(trades, "1m")
    assert list(candles["open"]) == [100.0, 95.0]
    assert list(candles["high"]) == [110.0, 95.0]
    assert list(candles["low"]) == [90.0, 95.0]
    assert list(candles["close"]) == [90.0, 95.0]
    assert list(candles["volume"]) == [4.0, 4.0]
    assert list(candles["trades"]) == [3, 1]
    assert list(candles["buy_volume"]) == [2.0, 0.0]
    assert candles["vwap"].iloc[0] == pytest.approx((100 + 220 + 90) / 4)
    with pytest.raises(ValueError):
        resample_trades(trades, "1x")


def test_export_cli(recording: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser()
    add_export_args(parser)
    out = tmp_path / "csv"
    args = parser.parse_args(
        [str(recording), "--to", "csv", "--out", str(out), "--channels", "trade"]
    )
    assert export_main(args) == 0
    assert sorted(p.name for p in out.iterdir()) == ["candles.csv", "gaps.csv", "trades.csv"]
    args = parser.parse_args([str(recording), "--to", "csv", "--out", str(out), "--channels", "x"])
    assert export_main(args) == 2
    assert "unknown channel" in capsys.readouterr().err
    args = parser.parse_args([str(tmp_path / "nope"), "--to", "csv", "--out", str(out)])
    assert export_main(args) == 1
