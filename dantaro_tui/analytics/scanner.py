"""Market scanner state: one row per market, sorted views, highlights, a volume-spike score.

Pure state and functions (no UI, no I/O): ``ScannerModel.apply(ticker)`` updates a row and
says whether anything visible changed; ``view(...)`` returns the markets of one quote in
the requested order. Every row carries a ``version`` that grows whenever its displayed
values change, so a view can cache rendered rows by (market, version).

Volume-spike score
------------------
The Spike column is the last 60 s of turnover against the market's *own* per-minute
baseline (``analytics.alerts.MarketActivity``): 1 = a usual minute, 5 = five times its
usual. A fixed "24 h pace" does not work: the busiest markets trade at 2-3x their 24 h
average all day, and a market trading 70 M KRW a day reads 80x after one trade. The score
is 0 (shown ``-``) until a market has ``min_baseline_minutes`` of history. In the app the
model reads the score from the AlertService (``spike_fn``), so the column and the
volume-spike alerts are one computation; without it each row keeps its own tracker.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Literal

from dantaro_tui.analytics.alerts import MarketActivity, trade_value
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
        self.tracker = MarketActivity()

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
        spike_min_minutes: int = 3,
        spike_fn: Callable[[str, int], float] | None = None,
    ) -> None:
        self.threshold = threshold
        self.spike_min_minutes = spike_min_minutes
        # (market, now_ms) -> score: the AlertService's, so column and alerts agree.
        self.spike_fn = spike_fn
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
        return ScannerRow(market, base, quote, korean, english, warning)

    def _spike(self, row: ScannerRow, now_ms: int) -> float:
        if self.spike_fn is not None:
            return round(self.spike_fn(row.market, now_ms), 1)
        spike = row.tracker.spike(now_ms, self.spike_min_minutes, row.value_24h)
        return round(spike.ratio, 1)

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
        if self.spike_fn is None and not ticker.snapshot:
            delta = acc - row.value_24h if row.has_data else 0.0
            row.tracker.update(
                now, ticker.trade_price, trade_value(ticker.trade_price, ticker.trade_volume, delta)
            )
        spike = self._spike(row, now)
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
            spike = self._spike(row, now)
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
