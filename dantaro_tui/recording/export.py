"""Export a recording to normalized tables (pandas; pyarrow for Parquet).

The recorded frames are decoded again by the exchange codecs (as replay does), so the
tables hold the same events the live session produced. Tables (one file each, columns and
units in docs/recording-format.md):

* ``trades``      one row per trade (de-duplicated by exchange, symbol and trade id)
* ``tickers``     one row per ticker update
* ``orderbook``   one row per book update, the top ``depth`` levels as columns
* ``candles``     OHLCV resampled from the trades at ``interval``
* ``feed_candles`` the exchange's own candle updates (last update per candle), if recorded
* ``gaps``        disconnects and reconnects (always written)

Times are timezone-aware UTC (``datetime64[ns, UTC]`` in Parquet, ISO 8601 in CSV); prices
in the quote currency, sizes and volumes in the base currency. Every table has the same
column types whether it has rows or not (an empty ``trades`` still has string symbols).
A value the feed does not carry is null, never 0 (Upbit tickers carry no best bid/ask:
they are taken from the latest book of that market when the book was recorded). Floats
are written as the shortest text that reads back as the same float, and candle sums are
exact decimal sums: the volume of trades of 1.2 and 0.61057002 is 1.81057002, not
1.8105700200000001.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa  # type: ignore[import-untyped]

from dantaro_tui.model import Candle, OrderBook, Ticker, Trade
from dantaro_tui.recording.format import RecordingError
from dantaro_tui.recording.replay import FrameDeduper, ReplaySource

ExportFormat = Literal["parquet", "csv"]
CHANNELS = ("trade", "ticker", "orderbook", "candle")
DEFAULT_CHANNELS = ("trade", "ticker", "orderbook")

TRADE_COLUMNS = (
    "exchange", "symbol", "base", "quote", "time", "recv_time", "price", "volume", "side",
    "trade_id", "snapshot",
)  # fmt: skip
TICKER_COLUMNS = (
    "exchange", "symbol", "base", "quote", "time", "recv_time", "trade_price", "change_rate",
    "change_price", "opening_price", "high_price", "low_price", "prev_closing_price",
    "trade_volume", "acc_trade_volume_24h", "acc_trade_price_24h", "best_bid", "best_ask",
    "snapshot",
)  # fmt: skip
CANDLE_COLUMNS = (
    "exchange", "symbol", "base", "quote", "open_time", "open", "high", "low", "close",
    "volume", "quote_volume", "vwap", "trades", "buy_volume", "sell_volume",
)  # fmt: skip
FEED_CANDLE_COLUMNS = (
    "exchange", "symbol", "base", "quote", "interval", "open_time", "open", "high", "low",
    "close", "volume", "quote_volume", "closed", "time", "recv_time",
)  # fmt: skip
GAP_COLUMNS = ("exchange", "conn", "start", "end", "seconds", "reason")

# Column types (what a reader gets, with rows or without): anything not named is float64.
STR, TIME, BOOL, INT = "str", "datetime64[ns, UTC]", "bool", "int64"
_NAMES = dict.fromkeys(("exchange", "symbol", "base", "quote"), STR)
COLUMN_TYPES: dict[str, dict[str, str]] = {
    "trades": {**_NAMES, "time": TIME, "recv_time": TIME, "side": STR, "trade_id": STR,
               "snapshot": BOOL},
    "tickers": {**_NAMES, "time": TIME, "recv_time": TIME, "snapshot": BOOL},
    "orderbook": {**_NAMES, "time": TIME, "recv_time": TIME, "snapshot": BOOL},
    "candles": {**_NAMES, "open_time": TIME, "trades": INT},
    "feed_candles": {**_NAMES, "interval": STR, "open_time": TIME, "closed": BOOL,
                     "time": TIME, "recv_time": TIME},
    "gaps": {"exchange": STR, "conn": STR, "start": TIME, "end": TIME, "reason": STR},
}  # fmt: skip
_ARROW = {STR: pa.string(), TIME: pa.timestamp("ns", tz="UTC"), BOOL: pa.bool_(),
          INT: pa.int64(), "float64": pa.float64()}  # fmt: skip


def column_type(table: str, column: str) -> str:
    return COLUMN_TYPES.get(table, {}).get(column, "float64")


def typed(df: pd.DataFrame, table: str) -> pd.DataFrame:
    """``df`` with every column at its table's type (the same with or without rows)."""
    out = {}
    for name in df.columns:
        kind = column_type(table, name)
        col = df[name]
        if kind == TIME:
            out[name] = col if str(col.dtype) == TIME else pd.Series(col, dtype=TIME)
        elif kind == STR:
            missing = col.isna()
            out[name] = col.astype(STR) if not missing.any() else col.astype(object).where(~missing)
        else:
            out[name] = col.astype(kind)
    return pd.DataFrame(out, columns=list(df.columns), index=df.index)


def orderbook_columns(depth: int) -> tuple[str, ...]:
    cols = ["exchange", "symbol", "base", "quote", "time", "recv_time"]
    for i in range(1, depth + 1):
        cols += [f"bid_price_{i}", f"bid_size_{i}"]
    for i in range(1, depth + 1):
        cols += [f"ask_price_{i}", f"ask_size_{i}"]
    return (*cols, "total_bid_size", "total_ask_size", "snapshot")


@dataclass
class ExportResult:
    files: dict[str, Path] = field(default_factory=dict)  # table -> file
    rows: dict[str, int] = field(default_factory=dict)
    frames: int = 0
    problems: list[str] = field(default_factory=list)


def _utc(values: Iterable[int], unit: str) -> pd.Series:
    """Epoch integers -> timezone-aware UTC datetimes with ns resolution."""
    ints = pd.Series(list(values), dtype="int64")
    scale = {"ns": 1, "us": 1_000, "ms": 1_000_000, "s": 1_000_000_000}[unit]
    return pd.Series(ints * scale, dtype="int64").astype("datetime64[ns]").dt.tz_localize("UTC")


def interval_to_offset(interval: str) -> str:
    """``1s``, ``1m``, ``5m``, ``1h``, ``1d`` -> a pandas offset alias."""
    s = interval.strip().lower()
    units = {"s": "s", "m": "min", "h": "h", "d": "D"}
    number, unit = s[:-1], s[-1:]
    if unit not in units or not number.isdigit() or int(number) <= 0:
        raise ValueError(f"{interval!r} is not a candle interval (e.g. 1s, 1m, 5m, 1h, 1d)")
    return f"{int(number)}{units[unit]}"


MAX_DECIMALS = 12  # exchanges quote at most 8-10 decimals; more is not a decimal number


def _decimals(values: pd.Series) -> int | None:
    """The fewest decimals ``d`` for which every value is the float of a ``d``-decimal
    number (the exchange's own text: ``0.61057002`` -> 8), or None."""
    x = values.to_numpy(dtype="float64")
    if not np.isfinite(x).all():
        return None
    for d in range(MAX_DECIMALS + 1):
        scale = 10.0**d
        units = np.round(x * scale)
        if units.size and np.abs(units).max() >= 2.0**53:
            return None  # beyond exact integers: no exact sum this way
        if np.array_equal(units / scale, x):
            return d
    return None


def _units(values: pd.Series, d: int) -> pd.Series:
    """``values * 10**d`` as Python ints (object dtype: sums are exact and never overflow)."""
    ints = np.round(values.to_numpy(dtype="float64") * 10.0**d).astype(np.int64)
    return pd.Series([int(i) for i in ints], index=values.index, dtype=object)


def resample_trades(trades: pd.DataFrame, interval: str) -> pd.DataFrame:
    """OHLCV candles from a trades table (periods without trades are left out).

    Volumes, quote volumes and the VWAP are computed on the exact decimal values of the
    prices and sizes (when they are decimal numbers, as every exchange writes them), so
    a sum is the decimal sum, without binary float noise."""
    offset = interval_to_offset(interval)
    if trades.empty:
        return typed(pd.DataFrame({c: [] for c in CANDLE_COLUMNS}), "candles")
    df = trades.sort_values("time", kind="stable").copy()
    df["open_time"] = df["time"].dt.floor(offset)
    buy, sell = df["side"] == "buy", df["side"] == "sell"
    dp, dv = _decimals(df["price"]), _decimals(df["volume"])
    exact = dp is not None and dv is not None
    if dp is not None and dv is not None:
        v, p = _units(df["volume"], dv), _units(df["price"], dp)
        df["_v"], df["_pv"] = v, p * v
        df["_buy"], df["_sell"] = v.where(buy, 0), v.where(sell, 0)
    else:
        df["_v"], df["_pv"] = df["volume"], df["price"] * df["volume"]
        df["_buy"], df["_sell"] = df["volume"].where(buy, 0.0), df["volume"].where(sell, 0.0)
    keys = ["exchange", "symbol", "base", "quote", "open_time"]
    grouped = df.groupby(keys, sort=True, observed=True)
    out = grouped.agg(
        open=("price", "first"),
        high=("price", "max"),
        low=("price", "min"),
        close=("price", "last"),
        trades=("price", "size"),
        _v=("_v", "sum"),
        _pv=("_pv", "sum"),
        _buy=("_buy", "sum"),
        _sell=("_sell", "sum"),
    ).reset_index()
    if exact:
        assert dp is not None and dv is not None
        sv, spv, sp = 10**dv, 10 ** (dp + dv), 10**dp
        # int / int is correctly rounded: the float nearest the exact decimal result.
        out["volume"] = [n / sv for n in out["_v"]]
        out["quote_volume"] = [n / spv for n in out["_pv"]]
        out["buy_volume"] = [n / sv for n in out["_buy"]]
        out["sell_volume"] = [n / sv for n in out["_sell"]]
        out["vwap"] = [
            pv / (n * sp) if n else math.nan for pv, n in zip(out["_pv"], out["_v"], strict=True)
        ]
    else:
        out["volume"], out["quote_volume"] = out["_v"], out["_pv"]
        out["buy_volume"], out["sell_volume"] = out["_buy"], out["_sell"]
        out["vwap"] = out["_pv"] / out["_v"].where(out["_v"] > 0)
    return typed(out[list(CANDLE_COLUMNS)], "candles")


class _Tables:
    def __init__(self, channels: set[str], depth: int) -> None:
        self.channels = channels
        self.depth = depth
        self.trades: dict[str, list[Any]] = {c: [] for c in TRADE_COLUMNS}
        self.tickers: dict[str, list[Any]] = {c: [] for c in TICKER_COLUMNS}
        self.books: dict[str, list[Any]] = {c: [] for c in orderbook_columns(depth)}
        self.feed_candles: dict[tuple[str, str, str, int], Candle] = {}
        self.trade_ids: set[tuple[str, str, str]] = set()
        # (exchange, symbol) -> best bid and ask of its latest book, for tickers without
        self.tops: dict[tuple[str, str], tuple[float, float]] = {}

    def add(self, ev: Any) -> None:
        cls = type(ev)
        if cls is Trade:
            if "trade" not in self.channels:
                return
            if ev.trade_id:
                key = (ev.exchange, ev.symbol, ev.trade_id)
                if key in self.trade_ids:
                    return  # the same trade again (a snapshot after a reconnect, ...)
                self.trade_ids.add(key)
            t = self.trades
            for name in ("exchange", "symbol", "base", "quote", "price", "volume", "side"):
                t[name].append(getattr(ev, name))
            t["trade_id"].append(ev.trade_id)
            t["snapshot"].append(ev.snapshot)
            t["time"].append(ev.timestamp)
            t["recv_time"].append(ev.recv_ns)
        elif cls is Ticker:
            if "ticker" not in self.channels:
                return
            t = self.tickers
            for name in TICKER_COLUMNS:
                if name == "time":
                    t[name].append(ev.timestamp)
                elif name == "recv_time":
                    t[name].append(ev.recv_ns)
                elif name in ("best_bid", "best_ask"):
                    continue
                else:
                    t[name].append(getattr(ev, name))
            # 0.0 = the feed does not carry it: the latest book's, else null (never 0).
            bid, ask = ev.best_bid, ev.best_ask
            if not (bid and ask):
                top = self.tops.get((ev.exchange, ev.symbol), (math.nan, math.nan))
                bid, ask = bid or top[0], ask or top[1]
            t["best_bid"].append(bid)
            t["best_ask"].append(ask)
        elif cls is OrderBook:
            self.tops[ev.exchange, ev.symbol] = (
                ev.bids[0].price if ev.bids else math.nan,
                ev.asks[0].price if ev.asks else math.nan,
            )
            if "orderbook" not in self.channels:
                return
            t = self.books
            for name in ("exchange", "symbol", "base", "quote", "total_bid_size",
                         "total_ask_size", "snapshot"):  # fmt: skip
                t[name].append(getattr(ev, name))
            t["time"].append(ev.timestamp)
            t["recv_time"].append(ev.recv_ns)
            nan = math.nan
            for side, levels in (("bid", ev.bids), ("ask", ev.asks)):
                for i in range(self.depth):
                    if i < len(levels):
                        t[f"{side}_price_{i + 1}"].append(levels[i].price)
                        t[f"{side}_size_{i + 1}"].append(levels[i].size)
                    else:
                        t[f"{side}_price_{i + 1}"].append(nan)
                        t[f"{side}_size_{i + 1}"].append(nan)
        elif cls is Candle:
            if "candle" not in self.channels:
                return
            self.feed_candles[(ev.exchange, ev.symbol, ev.interval, ev.open_time)] = ev

    # -- frames --------------------------------------------------------------------------
    @staticmethod
    def _frame(cols: dict[str, list[Any]], time_cols: dict[str, str], table: str) -> pd.DataFrame:
        df = pd.DataFrame(cols, columns=list(cols))
        for name, unit in time_cols.items():
            df[name] = _utc(cols[name], unit)
        return typed(df, table)

    def trades_frame(self) -> pd.DataFrame:
        return self._frame(self.trades, {"time": "ms", "recv_time": "ns"}, "trades")

    def tickers_frame(self) -> pd.DataFrame:
        return self._frame(self.tickers, {"time": "ms", "recv_time": "ns"}, "tickers")

    def books_frame(self) -> pd.DataFrame:
        return self._frame(self.books, {"time": "ms", "recv_time": "ns"}, "orderbook")

    def feed_candles_frame(self) -> pd.DataFrame:
        cols: dict[str, list[Any]] = {c: [] for c in FEED_CANDLE_COLUMNS}
        for ev in sorted(self.feed_candles.values(), key=lambda c: (c.open_time, c.symbol)):
            for name in FEED_CANDLE_COLUMNS:
                if name == "time":
                    cols[name].append(ev.timestamp)
                elif name == "recv_time":
                    cols[name].append(ev.recv_ns)
                else:
                    cols[name].append(getattr(ev, name))
        times = {"open_time": "ms", "time": "ms", "recv_time": "ns"}
        return self._frame(cols, times, "feed_candles")


def arrow_schema(df: pd.DataFrame, table: str) -> pa.Schema:
    return pa.schema([(c, _ARROW[column_type(table, c)]) for c in df.columns])


def _write(df: pd.DataFrame, out: Path, name: str, fmt: ExportFormat) -> Path:
    if fmt == "parquet":
        import pyarrow.parquet as pq  # type: ignore[import-untyped]

        path = out / f"{name}.parquet"
        # The schema is explicit: an empty table keeps its string and time columns.
        schema = arrow_schema(df, name)
        pq.write_table(pa.Table.from_pandas(df, schema=schema, preserve_index=False), path)
    else:
        path = out / f"{name}.csv"
        # pandas writes a float as its shortest round-trip text (repr): read back with
        # pandas, every value is the same float.
        df.to_csv(path, index=False, date_format="%Y-%m-%dT%H:%M:%S.%fZ")
    return path


def export_recording(
    path: str | Path,
    out: str | Path,
    *,
    fmt: ExportFormat = "parquet",
    channels: Iterable[str] = DEFAULT_CHANNELS,
    depth: int = 5,
    interval: str = "1m",
    start_ns: int | None = None,
    end_ns: int | None = None,
    exchanges: Iterable[str] | None = None,
    dedupe_ms: float = 20.0,
    progress: Callable[[int], object] | None = None,
) -> ExportResult:
    """Decode a recording and write its tables to ``out`` (created if missing)."""
    chosen = {c.strip().lower() for c in channels if c.strip()}
    chosen = {"candle" if c.startswith("candle") else c for c in chosen}
    unknown = chosen - set(CHANNELS)
    if unknown:
        raise ValueError(
            f"unknown channel(s) {', '.join(sorted(unknown))} (known: {', '.join(CHANNELS)})"
        )
    if fmt not in ("parquet", "csv"):
        raise ValueError(f"unknown export format {fmt!r} (parquet or csv)")
    if depth < 1:
        raise ValueError("depth must be at least 1")
    interval_to_offset(interval)  # validate before the long part
    out_dir = Path(out)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except FileExistsError as exc:
        raise RecordingError(f"cannot write to {out_dir}: it exists and is not a folder") from exc
    except NotADirectoryError as exc:
        raise RecordingError(f"cannot write to {out_dir}: a part of it is a file") from exc
    except OSError as exc:
        raise RecordingError(f"cannot write to {out_dir}: {exc.strerror or exc}") from exc

    source = ReplaySource(path, start_ns=start_ns, end_ns=end_ns, exchanges=exchanges)
    tables = _Tables(chosen, depth)
    dedupe = FrameDeduper(int(dedupe_ms * 1e6))
    result = ExportResult()
    gaps: list[tuple[str, str, int, int, str]] = []

    def on_events(rec: Any, events: list[Any]) -> None:
        result.frames += 1
        if dedupe.is_duplicate(rec):
            return  # the same frame on another recorded connection
        add = tables.add
        for ev in events:
            add(ev)
        if progress is not None and result.frames % 50_000 == 0:
            progress(result.frames)

    summary = source.summarize(on_events=on_events)
    gaps = [(g.exchange, g.conn, g.start_ns, g.end_ns, g.reason) for g in summary.gaps]
    result.problems = summary.problems

    frames: dict[str, pd.DataFrame] = {}
    if "trade" in chosen:
        trades = tables.trades_frame()
        frames["trades"] = trades
        frames["candles"] = resample_trades(trades, interval)
    if "ticker" in chosen:
        frames["tickers"] = tables.tickers_frame()
    if "orderbook" in chosen:
        frames["orderbook"] = tables.books_frame()
    if "candle" in chosen:
        frames["feed_candles"] = tables.feed_candles_frame()
    gap_df = pd.DataFrame(
        {
            "exchange": [g[0] for g in gaps],
            "conn": [g[1] for g in gaps],
            "start": _utc([g[2] for g in gaps], "ns"),
            "end": pd.Series(
                [pd.Timestamp(g[3], unit="ns", tz="UTC") if g[3] else pd.NaT for g in gaps],
                dtype="datetime64[ns, UTC]",
            ),
            "seconds": pd.Series(
                [(g[3] - g[2]) / 1e9 if g[3] else math.nan for g in gaps], dtype="float64"
            ),
            "reason": [g[4] for g in gaps],
        },
        columns=list(GAP_COLUMNS),
    )
    frames["gaps"] = typed(gap_df, "gaps")
    try:
        for name, df in frames.items():
            result.files[name] = _write(df, out_dir, name, fmt)
            result.rows[name] = len(df)
    except OSError as exc:
        raise RecordingError(f"cannot write to {out_dir}: {exc.strerror or exc}") from exc
    return result


__all__ = [
    "CANDLE_COLUMNS",
    "CHANNELS",
    "FEED_CANDLE_COLUMNS",
    "GAP_COLUMNS",
    "TICKER_COLUMNS",
    "TRADE_COLUMNS",
    "ExportResult",
    "export_recording",
    "orderbook_columns",
    "resample_trades",
]
