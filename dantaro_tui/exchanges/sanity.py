"""What a codec may deliver: plausible numbers and text a terminal only displays.

Two guards at the codec boundary, shared by every exchange's WebSocket and REST code:

* **Values.** A market event reaches a trader only with finite prices above zero, sizes and
  volumes that are finite and not negative (a trade's size above zero), finite change
  figures, a candle whose low and high bracket its open and close, and a book whose bids
  fall and asks rise strictly with the best bid below the best ask (a ticker's best bid
  and ask too, when it carries both). ``checked(event)``
  returns the event or raises ``Invalid``, whose text is the sentence a trader reads
  ("Ignored an Upbit order book for KRW-BTC whose best bid 101 is at or above its best ask
  100."); a codec turns it into ``Status(kind="error", code="invalid")`` with
  ``invalid_status``. Zero stays allowed where the model uses it for "not reported"
  (``best_bid``, OKX's empty ``open24h``/``high24h``...), never for a trade's price, and
  for a ticker's last price only when the exchange said it has none (OKX writes "" for
  every price of a market that has not traded yet): ``checked(ticker, unpriced=True)``
  then also requires a zero change, so no "-100 %" is derived from the missing price.
* **Text.** Exchange-written text (error messages, market names, previews of unreadable
  frames) can carry terminal control sequences: OSC 2 retitles the tmux pane, CSI 2J
  clears the screen, OSC 52 writes the clipboard. ``clean`` replaces every C0 control
  (``\\x00``-``\\x1f``), DEL and C1 control (``\\x80``-``\\x9f``, e.g. the 8-bit CSI
  ``\\x9b``), line/paragraph separator and bidirectional override with a space and keeps
  all other Unicode (Korean names). Every ``Status`` a
  codec builds goes through ``status``, which cleans its code, message and symbol. A market
  code or trade id with anything unprintable makes its event invalid instead (a cleaned
  code could pass for another market).

The checks are cheap predicates; the explanation is only written when one fails. The
Upbit fast path leaves most of them to msgspec constraints checked in C while parsing (see
``upbit.py``), so what runs here per event is a handful of float comparisons.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from operator import attrgetter
from typing import Any, TypeVar

from dantaro_tui.model import Candle, Event, Level, OrderBook, Status, StatusKind, Ticker, Trade

INF = float("inf")

# --------------------------------------------------------------------------- text

# C0, DEL, C1; and the line/paragraph separators and bidirectional overrides, which break
# a row or reorder what a trader reads as plainly as an escape sequence would.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]+")


def has_control(text: str) -> bool:
    """True when ``text`` holds a C0 or C1 control character or DEL."""
    return not text.isprintable() and _CONTROL.search(text) is not None


def clean(text: object) -> str:
    """``text`` (made a string) with each run of control characters replaced by a space."""
    s = text if type(text) is str else str(text)
    if s.isprintable():  # C speed: almost every string takes this path
        return s
    return _CONTROL.sub(" ", s)


def status(
    exchange: str,
    kind: StatusKind,
    code: object = "",
    message: object = "",
    symbol: object = "",
    recv_ns: int = 0,
) -> Status:
    """A ``Status`` whose text fields are safe to print, whatever the exchange sent."""
    return Status(
        exchange=exchange,
        kind=kind,
        code=clean(code),
        message=clean(message),
        symbol=clean(symbol),
        recv_ns=recv_ns,
    )


# --------------------------------------------------------------------------- values


class Invalid(ValueError):
    """An event a trader could be misled by. ``str(exc)`` is the sentence for the trader;
    ``symbol`` is the market it was about ("" when the market code itself was the problem)."""

    def __init__(self, message: str, symbol: str = "") -> None:
        super().__init__(message)
        self.symbol = symbol


def invalid_status(exchange: str, exc: Invalid, recv_ns: int = 0) -> Status:
    return status(exchange, "error", "invalid", str(exc), exc.symbol, recv_ns)


_VENUES = {"upbit": "an Upbit", "okx": "an OKX", "binance": "a Binance", "gateio": "a Gate.io"}


def venue(exchange: str) -> str:
    """``"an Upbit"``: the exchange's name with its article, for sentences."""
    return _VENUES.get(exchange) or f"a {exchange.title()}"


def positive_step(value: object) -> float:
    """A price or size step as an exchange states it (``"0.01"``); 0.0 for anything that
    is not a finite positive number, so a bad value means "unknown", never a wrong step."""
    try:
        step = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0.0
    return step if math.isfinite(step) and step > 0.0 else 0.0


def num(x: float) -> str:
    """A number as a trader would write it: 101, 0.00000113, NaN, infinity."""
    if x != x:
        return "NaN"
    if x == INF or x == -INF:
        return "infinity" if x > 0 else "minus infinity"
    text = f"{x:.12g}"
    if "e" in text and 1e-12 <= abs(x) < 1.0:  # 1.13e-06 -> 0.00000113
        text = f"{x:.15f}".rstrip("0")
    return text


def quoted(value: object, limit: int = 40) -> str:
    """``repr(value)`` (escapes are shown, not obeyed), cut to about ``limit`` characters."""
    text = repr(value)
    return clean(text if len(text) <= limit else text[: limit - 3] + "...")


def symbol_problem(symbol: object) -> str | None:
    """Why ``symbol`` cannot be shown as a market code (None when it can)."""
    if type(symbol) is not str:
        return f"whose market code {quoted(symbol)} is not text"
    if not symbol:
        return "without a market code"
    if not symbol.isprintable():
        return f"whose market code {quoted(symbol)} contains unprintable characters"
    return None


def check_symbol(exchange: str, symbol: object, what: str = "message") -> None:
    """Raise ``Invalid`` unless ``symbol`` is a non-empty, printable market code."""
    why = symbol_problem(symbol)
    if why is not None:
        raise Invalid(f"Ignored {venue(exchange)} {what} {why}.")


def _number_problem(label: str, value: float, positive: bool) -> str | None:
    if not -INF < value < INF:
        return f"whose {label} {num(value)} is not a finite number"
    if positive and not value > 0.0:
        return f"whose {label} {num(value)} is not above zero"
    if not value >= 0.0:
        return f"whose {label} {num(value)} is negative"
    return None


def _explain(ev: Any, rules: Sequence[tuple[str, str, bool | None]]) -> str | None:
    """The first rule ``ev`` breaks: (attribute, label, positive?/None = any finite)."""
    for attr, label, positive in rules:
        value = getattr(ev, attr)
        if positive is None:
            if not -INF < value < INF:
                return f"whose {label} {num(value)} is not a finite number"
        else:
            why = _number_problem(label, value, positive)
            if why is not None:
                return why
    return None


_TICKER_RULES: tuple[tuple[str, str, bool | None], ...] = (
    ("trade_price", "last price", True),
    ("opening_price", "opening price", False),
    ("high_price", "high", False),
    ("low_price", "low", False),
    ("prev_closing_price", "previous close", False),
    ("acc_trade_volume_24h", "24-hour volume", False),
    ("acc_trade_price_24h", "24-hour turnover", False),
    ("trade_volume", "last trade size", False),
    ("best_bid", "best bid", False),
    ("best_ask", "best ask", False),
    ("change_rate", "change rate", None),
    ("change_price", "price change", None),
)
_TICKER_NON_NEGATIVE = attrgetter(*(a for a, _, p in _TICKER_RULES if p is False))


def ticker_problem(t: Ticker) -> str | None:
    values = _TICKER_NON_NEGATIVE(t)
    total = sum(values)  # NaN if any is NaN: then min/max would not be trustworthy
    if (
        0.0 < t.trade_price < INF
        and total == total
        and min(values) >= 0.0
        and max(values) < INF
        and -INF < t.change_rate < INF
        and -INF < t.change_price < INF
        and not 0.0 < t.best_ask <= t.best_bid
    ):
        return None
    return _explain(t, _TICKER_RULES) or _quote_problem(t)


def _quote_problem(t: Ticker) -> str:
    if 0.0 < t.best_ask <= t.best_bid:
        return f"whose best bid {num(t.best_bid)} is at or above its best ask {num(t.best_ask)}"
    return "whose numbers are out of range"


def unpriced_ticker_problem(t: Ticker) -> str | None:
    """A ticker of a market without a last price: 0.0 there, and no change derived from it."""
    if t.trade_price != 0.0 or t.change_rate != 0.0 or t.change_price != 0.0:
        return "whose last price is missing but whose change is not"
    why = _explain(t, _TICKER_RULES[1:])
    if why is None and 0.0 < t.best_ask <= t.best_bid:
        return _quote_problem(t)
    return why


def trade_problem(t: Trade) -> str | None:
    if 0.0 < t.price < INF and 0.0 < t.volume < INF:
        if t.trade_id.isprintable():
            return None
        return f"whose trade id {quoted(t.trade_id)} contains unprintable characters"
    return _explain(t, (("price", "price", True), ("volume", "size", True)))


_CANDLE_RULES: tuple[tuple[str, str, bool | None], ...] = (
    ("open", "open", True),
    ("high", "high", True),
    ("low", "low", True),
    ("close", "close", True),
    ("volume", "volume", False),
    ("quote_volume", "quote volume", False),
)


def candle_problem(c: Candle) -> str | None:
    low, high = c.low, c.high
    if (
        0.0 < low <= c.open <= high < INF
        and low <= c.close <= high
        and 0.0 <= c.volume < INF
        and 0.0 <= c.quote_volume < INF
    ):
        return None
    return _explain(c, _CANDLE_RULES) or candle_order_problem(c.open, high, low, c.close)


def candle_order_problem(open_: float, high: float, low: float, close: float) -> str | None:
    if low > open_:
        return f"whose low {num(low)} is above its open {num(open_)}"
    if low > close:
        return f"whose low {num(low)} is above its close {num(close)}"
    if high < open_:
        return f"whose high {num(high)} is below its open {num(open_)}"
    if high < close:
        return f"whose high {num(high)} is below its close {num(close)}"
    return None


def level_problem(side: str, price: float, size: float) -> str | None:
    """Why one level cannot be real: ``"a bid at -1 whose price is not above zero"``."""
    a = "an" if side[0] in "aeiou" else "a"
    if not -INF < price < INF:
        return f"{a} {side} at {num(price)} whose price is not a finite number"
    if not price > 0.0:
        return f"{a} {side} at {num(price)} whose price is not above zero"
    if not -INF < size < INF:
        return f"{a} {side} at {num(price)} whose size {num(size)} is not a finite number"
    if not size >= 0.0:
        return f"{a} {side} at {num(price)} whose size {num(size)} is negative"
    return None


def book_problem(
    bids: Sequence[Level],
    asks: Sequence[Level],
    total_bid_size: float = 0.0,
    total_ask_size: float = 0.0,
) -> str | None:
    """Why a book (best level first on each side) cannot be real, or None."""
    prev = INF
    for lv in bids:
        p = lv.price
        s = lv.size
        if not (0.0 < p < prev and 0.0 <= s < INF):
            why = level_problem("bid", p, s)
            if why is not None:
                return f"with {why}"
            return f"whose bids are not in falling price order ({num(prev)} then {num(p)})"
        prev = p
    prev = 0.0
    for lv in asks:
        p = lv.price
        s = lv.size
        if not (prev < p < INF and 0.0 <= s < INF):
            why = level_problem("ask", p, s)
            if why is not None:
                return f"with {why}"
            return f"whose asks are not in rising price order ({num(prev)} then {num(p)})"
        prev = p
    if bids and asks and bids[0].price >= asks[0].price:
        return (
            f"whose best bid {num(bids[0].price)} is at or above its best ask {num(asks[0].price)}"
        )
    for label, total in (("total bid size", total_bid_size), ("total ask size", total_ask_size)):
        why = _number_problem(label, total, positive=False)
        if why is not None:
            return why
    return None


def orderbook_problem(b: OrderBook) -> str | None:
    return book_problem(b.bids, b.asks, b.total_bid_size, b.total_ask_size)


def what(ev: Event) -> str:
    """How a sentence names the kind of event: "ticker", "order book", "1m candle"."""
    if isinstance(ev, Candle):
        return f"{ev.interval} candle" if ev.interval else "candle"
    return {Ticker: "ticker", Trade: "trade", OrderBook: "order book"}.get(type(ev), "message")


def sentence(exchange: str, what: str, symbol: str, why: str) -> str:
    return f"Ignored {venue(exchange)} {what} for {symbol} {why}."


E = TypeVar("E", Ticker, Trade, OrderBook, Candle)

_PROBLEMS: dict[type, Callable[[Any], str | None]] = {
    Ticker: ticker_problem,
    Trade: trade_problem,
    OrderBook: orderbook_problem,
    Candle: candle_problem,
}


def checked(ev: E, *, unpriced: bool = False) -> E:
    """``ev`` when a trader can trust it; raises ``Invalid`` (with the sentence) otherwise.
    ``unpriced``: a ticker the exchange sent without a last price (see the module doc)."""
    if unpriced and type(ev) is Ticker:
        why = unpriced_ticker_problem(ev)
    else:
        why = _PROBLEMS[type(ev)](ev)
    symbol = ev.symbol
    if why is None and type(symbol) is str and symbol and symbol.isprintable():
        return ev
    bad_symbol = symbol_problem(symbol)
    if bad_symbol is not None:
        raise Invalid(f"Ignored {venue(ev.exchange)} {what(ev)} {bad_symbol}.")
    raise Invalid(sentence(ev.exchange, what(ev), symbol, why or "that cannot be right"), symbol)


R = TypeVar("R")
T = TypeVar("T")


def kept(
    exchange: str, rows: Iterable[R], build: Callable[[R], T], rejected: list[Status] | None
) -> list[T]:
    """``build`` of every row that passes the checks; the others are reported in
    ``rejected`` (when given), never raised: one bad row of a REST list costs that row."""
    out: list[T] = []
    for r in rows:
        try:
            out.append(build(r))
        except Invalid as exc:
            if rejected is not None:
                rejected.append(invalid_status(exchange, exc))
    return out
