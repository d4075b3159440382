"""Market scanner state: one row per market, sorted views, highlights, a volume-spike score.

Pure state and functions (no UI, no I/O): ``ScannerModel.apply(ticker)`` updates a row and
says whether anything visible changed; ``view(...)`` returns the markets of one quote in
the requested order. Every row carries a ``version`` that grows whenever its displayed
values change, so a view can cache rendered rows by (market, version).

Volume-spike score
------------------
Tickers carry ``acc_trade_price_24h``, a *rolling* 24 h turnover. Between two tickers it
grows by the value traded in between and shrinks by what rolled off from 24 h earlier.
Over the last ``window_s`` seconds (60 by default)::

    growth   = sum of increases (and decreases) of acc_trade_price_24h in the window
    expected = acc_trade_price_24h / 86 400 s * span     (the window's share at the 24 h pace)
    score    = max(0, 1 + growth / expected)

The roll-off is estimated at the 24 h average pace, so ``score`` reads as "the last minute
traded at N x the day's average pace": 1 = normal, 5 = five times busier. It is 0 until the
market has been watched for ``min_span_s`` seconds, 0 when no ticker (tickers are pushed
on trades) arrived within the window, and is rebuilt from scratch after a gap longer than
the window (a resubscribe or reconnect), so a jump of the 24 h total across a gap never
reads as a spike. The same definition works for every exchange whose ticker carries a
rolling 24 h quote turnover (Upbit, OKX ``volCcy24h``, Binance ``quoteVolume``).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from typing import Any, Literal

from dantaro_tui.model import Market, Ticker

QUOTES: tuple[str, ...] = ("KRW", "BTC", "USDT")
SortKey = Literal["market", "korean", "english", "price", "change", "value", "spike"]
SORT_KEYS: tuple[SortKey, ...] = (
    "market",
    "korean",
    "english",
    "price",
    "change",
    "value",
    "spike",
)
Highlight = Literal["up", "down"] | None

DAY_MS = 86_400_000


class SpikeTracker:
    """Rolling estimate of recent turnover vs the 24 h pace (see the module docstring)."""

    __slots__ = ("_last_acc", "_last_t", "_samples", "_start_t", "_sum", "min_span_ms", "window_ms")

    def __init__(self, window_s: float = 60.0, min_span_s: float = 15.0) -> None:
        self.window_ms = int(window_s * 1000)
        self.min_span_ms = int(min_span_s * 1000)
        self._samples: deque[tuple[int, float]] = deque()
        self._sum = 0.0
        self._last_acc = 0.0
        self._last_t: int | None = None
        self._start_t = 0

    def reset(self) -> None:
        self._samples.clear()
        self._sum = 0.0
        self._last_t = None

    def update(self, t_ms: int, acc_24h: float) -> None:
        last_t = self._last_t
        if last_t is None or t_ms - last_t > self.window_ms or t_ms < last_t - self.window_ms:
            self.reset()
            self._start_t = t_ms
        elif t_ms >= last_t:
            delta = acc_24h - self._last_acc
            if delta:
                self._samples.append((t_ms, delta))
                self._sum += delta
        else:  # slightly out of order: count the change, keep the newer clock
            delta = acc_24h - self._last_acc
            self._samples.append((last_t, delta))
            self._sum += delta
            t_ms = last_t
        self._last_t = t_ms
        self._last_acc = acc_24h

    def _prune(self, now_ms: int) -> None:
        cutoff = now_ms - self.window_ms
        samples = self._samples
        while samples and samples[0][0] <= cutoff:
            self._sum -= samples.popleft()[1]
        if not samples:
            self._sum = 0.0  # no float drift left behind

    def score(self, now_ms: int, acc_24h: float) -> float:
        if self._last_t is None:
            return 0.0
        self._prune(now_ms)
        if now_ms - self._last_t >= self.window_ms:
            return 0.0  # nothing traded within the window
        span = min(self.window_ms, now_ms - self._start_t)
        if span < self.min_span_ms or acc_24h <= 0.0:
            return 0.0
        expected = acc_24h * span / DAY_MS
        return max(0.0, 1.0 + self._sum / expected)


class ScannerRow:
    """The displayed state of one market. ``version`` grows when a displayed value changes."""

    __slots__ = (
        "base",
        "change_rate",
        "english",
        "has_data",
        "korean",
        "market",
        "price",
        "quote",
        "spike",
        "tracker",
        "updated_ms",
        "value_24h",
        "version",
        "warning",
    )

    def __init__(
        self,
        market: str,
        base: str,
        quote: str,
        korean: str = "",
        english: str = "",
        warning: bool = False,
        *,
        window_s: float = 60.0,
        min_span_s: float = 15.0,
    ) -> None:
        self.market = market
        self.base = base
        self.quote = quote
        self.korean = korean
        self.english = english
        self.warning = warning
        self.price = 0.0
        self.change_rate = 0.0
        self.value_24h = 0.0
        self.spike = 0.0
        self.has_data = False
        self.updated_ms = 0
        self.version = 0
        self.tracker = SpikeTracker(window_s, min_span_s)

    def __repr__(self) -> str:
        return (
            f"ScannerRow({self.market!r}, price={self.price}, change={self.change_rate:+.4f}, "
            f"value={self.value_24h:.0f}, spike={self.spike:.2f})"
        )


def highlight(row: ScannerRow, threshold: float) -> Highlight:
    """``"up"``/``"down"`` when the 24 h move is at least ``threshold`` (a fraction)."""
    if not row.has_data or threshold <= 0.0:
        return None
    if row.change_rate >= threshold:
        return "up"
    if row.change_rate <= -threshold:
        return "down"
    return None


_SORT_VALUE: dict[SortKey, Callable[[ScannerRow], Any]] = {
    "market": lambda r: r.market,
    "korean": lambda r: r.korean or "\uffff",
    "english": lambda r: r.english.casefold() or "\uffff",
    "price": lambda r: r.price,
    "change": lambda r: r.change_rate,
    "value": lambda r: r.value_24h,
    "spike": lambda r: r.spike,
}


def _split_market(symbol: str) -> tuple[str, str]:
    """(base, quote) of an exchange symbol when no Market is known: ``KRW-BTC`` style."""
    for sep in ("-", "_", "/"):
        if sep in symbol:
            a, b = symbol.split(sep, 1)
            return (b, a) if a in QUOTES and b not in QUOTES else (a, b)
    return symbol, ""


class ScannerModel:
    """Rows for every known market; views per quote, sorted by any column."""

    def __init__(
        self,
        markets: Iterable[Market] = (),
        *,
        threshold: float = 0.05,
        spike_window_s: float = 60.0,
        spike_min_span_s: float = 15.0,
    ) -> None:
        self.threshold = threshold
        self.spike_window_s = spike_window_s
        self.spike_min_span_s = spike_min_span_s
        self._rows: dict[str, ScannerRow] = {}
        self.clock_ms = 0  # newest exchange time seen: the scanner's "now"
        self.set_markets(markets)

    # -- rows ----------------------------------------------------------------------------
    def set_markets(self, markets: Iterable[Market]) -> None:
        """Add or rename markets; rows already holding data keep it."""
        for m in markets:
            row = self._rows.get(m.symbol)
            if row is None:
                self._rows[m.symbol] = self._new_row(
                    m.symbol, m.base, m.quote, m.korean_name, m.english_name, m.warning
                )
            else:
                row.korean, row.english, row.warning = m.korean_name, m.english_name, m.warning
                row.base, row.quote = m.base, m.quote
                row.version += 1

    def _new_row(
        self,
        market: str,
        base: str,
        quote: str,
        korean: str = "",
        english: str = "",
        warning: bool = False,
    ) -> ScannerRow:
        return ScannerRow(
            market,
            base,
            quote,
            korean,
            english,
            warning,
            window_s=self.spike_window_s,
            min_span_s=self.spike_min_span_s,
        )

    def get(self, market: str) -> ScannerRow | None:
        return self._rows.get(market)

    def __contains__(self, market: object) -> bool:
        return market in self._rows

    def __len__(self) -> int:
        return len(self._rows)

    def markets(self, quote: str | None = None) -> list[str]:
        """Every market symbol of ``quote`` (all when None), in symbol order."""
        rows = self._rows.values()
        return sorted(r.market for r in rows if quote is None or r.quote == quote)

    def quotes(self) -> list[str]:
        """Quotes with at least one market: the well-known ones first."""
        present = {r.quote for r in self._rows.values()}
        return [q for q in QUOTES if q in present] + sorted(present - set(QUOTES))

    # -- updates -------------------------------------------------------------------------
    def apply(self, ticker: Ticker) -> bool:
        """Store ``ticker``; True when a displayed value of its row changed."""
        row = self._rows.get(ticker.symbol)
        if row is None:
            base, quote = ticker.base, ticker.quote
            if not base or not quote:
                base, quote = _split_market(ticker.symbol)
            row = self._rows[ticker.symbol] = self._new_row(ticker.symbol, base, quote)
        now = ticker.timestamp or ticker.recv_ns // 1_000_000
        if now > self.clock_ms:
            self.clock_ms = now
        acc = ticker.acc_trade_price_24h
        row.tracker.update(now, acc)
        spike = round(row.tracker.score(now, acc), 1)
        changed = (
            not row.has_data
            or row.price != ticker.trade_price
            or row.change_rate != ticker.change_rate
            or row.value_24h != acc
            or row.spike != spike
        )
        row.updated_ms = now
        if changed:
            row.price = ticker.trade_price
            row.change_rate = ticker.change_rate
            row.value_24h = acc
            row.spike = spike
            row.has_data = True
            row.version += 1
        return changed

    def refresh_spikes(self, now_ms: int | None = None, quote: str | None = None) -> list[str]:
        """Let spike scores decay when markets go quiet; returns the markets that changed."""
        now = self.clock_ms if now_ms is None else now_ms
        changed: list[str] = []
        for row in self._rows.values():
            if not row.has_data or (quote is not None and row.quote != quote):
                continue
            spike = round(row.tracker.score(now, row.value_24h), 1)
            if spike != row.spike:
                row.spike = spike
                row.version += 1
                changed.append(row.market)
        return changed

    def highlight(self, market: str) -> Highlight:
        row = self._rows.get(market)
        return None if row is None else highlight(row, self.threshold)

    # -- views ---------------------------------------------------------------------------
    def view(
        self, sort: SortKey = "value", descending: bool = True, quote: str | None = "KRW"
    ) -> list[str]:
        """Markets of ``quote`` (all when None) sorted by ``sort``.

        Ties are broken by symbol; rows that have not received a ticker yet always come
        last (in symbol order), whichever way the sort goes.
        """
        try:
            key = _SORT_VALUE[sort]
        except KeyError:
            raise ValueError(f"unknown sort column {sort!r} (known: {SORT_KEYS})") from None
        rows = [r for r in self._rows.values() if quote is None or r.quote == quote]
        live = sorted((r for r in rows if r.has_data), key=lambda r: r.market)
        live.sort(key=key, reverse=descending)  # stable: equal keys keep symbol order
        waiting = sorted(r.market for r in rows if not r.has_data)
        return [r.market for r in live] + waiting
