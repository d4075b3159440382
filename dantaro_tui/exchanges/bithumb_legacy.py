"""Bithumb's legacy public API, decoded: the ``pubwss`` WebSocket and the ``/public`` REST
bodies (exchange reference 6.6), so recorded legacy sessions replay with exact values.

Legacy facts, each handled in one place:

* Codes are ``BASE_QUOTE`` (``BTC_KRW``); events carry Bithumb's current v1 code
  (``KRW-BTC``, see ``v1_code``) so a legacy session and a live v1 one name a market alike.
* Numbers are strings; ``buySellGb`` "1" is a sell (the taker sold), "2" a buy.
* Times are Korean local time written without a zone (``contDtm`` "2021-06-02
  08:43:41.416901", ticker ``date``/``time``): ``kst_ms`` reads them as UTC+9.
* ``transaction`` carries no trade id: the trade's own microsecond time stands in.
* ``ticker`` pushes one frame per ``tickType`` window; only the 24-hour one fits the model's
  24-hour volume and turnover, so the others are not turned into tickers.
* ``orderbookdepth`` sends changed levels only (size 0 = level gone), with no sequence: a
  book exists only once a full one seeded it (an ``orderbooksnapshot`` frame, or
  ``seed_book`` with the REST ``/public/orderbook`` reply), and a change that crosses it
  drops it until the next full book, with a ``resync`` Status saying so.
* REST bodies are enveloped, ``{"status": "0000", "data": ...}``; any other status is an
  error (``"5500"``), raised as ``BithumbApiError``.

``LegacyDecoder.decode`` never raises: an unreadable or impossible message becomes an error
``Status`` (values checked and text cleaned by ``sanity.py``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, TypeVar

import msgspec
import orjson

from dantaro_tui.exchanges.base import Frame
from dantaro_tui.exchanges.bithumb import BithumbApiError, book_timestamp_ms, malformed
from dantaro_tui.exchanges.books import L2Book
from dantaro_tui.exchanges.sanity import (
    Invalid,
    check_symbol,
    checked,
    clean,
    invalid_status,
    kept,
    status,
)
from dantaro_tui.exchanges.upbit_family import short
from dantaro_tui.exchanges.upbit_rest import KST
from dantaro_tui.model import Event, OrderBook, Status, Ticker, Trade

__all__ = [
    "DEPTH",
    "BithumbApiError",
    "LegacyDecoder",
    "kst_ms",
    "legacy_code",
    "parse_orderbook",
    "parse_tickers",
    "subscribe_message",
    "v1_code",
]

EXCHANGE = "bithumb"
DEPTH = 30  # levels a side an emitted book keeps (the legacy snapshot's depth)
OK = "0000"
SIDES = {"1": "sell", "2": "buy"}
M = TypeVar("M")


# --------------------------------------------------------------------------- codes, times


@functools.lru_cache(maxsize=4096)
def _split(code: str) -> tuple[str, str]:
    base, sep, quote = code.partition("_")
    if not sep or not base or not quote:
        raise Invalid(f"Ignored a Bithumb message whose market code {code!r} is not BASE_QUOTE.")
    return base, quote


def split_legacy(code: object) -> tuple[str, str]:
    """(base, quote) of ``BTC_KRW``; ``Invalid`` for what cannot be a market code."""
    check_symbol(EXCHANGE, code)
    assert isinstance(code, str)  # check_symbol refused anything else
    return _split(code)


def v1_code(code: str) -> str:
    """``BTC_KRW`` -> ``KRW-BTC``."""
    base, quote = split_legacy(code)
    return f"{quote}-{base}"


def legacy_code(code: str) -> str:
    """``KRW-BTC`` -> ``BTC_KRW`` (what a legacy subscription names)."""
    quote, sep, base = code.strip().upper().partition("-")
    if not sep or not quote or not base:
        raise ValueError(f"{code!r} is not a Bithumb market code such as KRW-BTC")
    return f"{base}_{quote}"


@functools.lru_cache(maxsize=8192)
def kst_us(text: str) -> int:
    """Epoch microseconds of a Korean local time: ``2021-06-02 08:43:41.416901``, or
    ``20200129121844`` (the ticker's ``date`` and ``time`` run together)."""
    if len(text) == 14 and text.isdigit():
        dt = datetime.strptime(text, "%Y%m%d%H%M%S")
    else:
        dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=KST)
    # Whole seconds through the float, the fraction kept as an integer: no rounding drift.
    return int(dt.replace(microsecond=0).timestamp()) * 1_000_000 + dt.microsecond


def kst_ms(text: str) -> int:
    """Epoch ms (rounded down) of a Korean local time; see ``kst_us``."""
    return kst_us(text) // 1000


def subscribe_message(kind: str, codes: Iterable[str]) -> str:
    """A legacy subscription: ``{"type": "transaction", "symbols": ["BTC_KRW"]}``; the
    ticker asks for the 24-hour window only (the one the model can show)."""
    if kind not in ("ticker", "transaction", "orderbookdepth", "orderbooksnapshot"):
        raise ValueError(f"Bithumb's legacy stream has no {kind!r} messages")
    msg: dict[str, Any] = {"type": kind, "symbols": sorted({legacy_code(c) for c in codes})}
    if kind == "ticker":
        msg["tickTypes"] = ["24H"]
    return orjson.dumps(msg).decode()


# --------------------------------------------------------------------------- wire shapes
# Strings as sent; ``float`` reads "NaN" and "1e400" too, and ``checked`` refuses them.


class _Deal(msgspec.Struct, gc=False):
    buySellGb: str
    contPrice: str
    contQty: str
    contDtm: str
    symbol: str


class _TickerContent(msgspec.Struct, gc=False):
    symbol: str
    tickType: str
    date: str
    time: str
    openPrice: str
    closePrice: str
    lowPrice: str
    highPrice: str
    value: str
    volume: str
    prevClosePrice: str
    chgRate: str
    chgAmt: str


class _DepthLevel(msgspec.Struct, gc=False):
    symbol: str
    orderType: str
    price: str
    quantity: str


class _DepthContent(msgspec.Struct, gc=False):
    levels: list[_DepthLevel] = msgspec.field(name="list")
    datetime: str | int = 0


class _SnapshotContent(msgspec.Struct, gc=False):
    symbol: str
    asks: list[list[str]]
    bids: list[list[str]]
    datetime: str | int = 0


def _trade(d: _Deal, recv_ns: int) -> Trade:
    side = SIDES.get(d.buySellGb)
    if side is None:
        raise ValueError(f"buySellGb {clean(d.buySellGb)[:10]!r} is neither 1 (sell) nor 2 (buy)")
    base, quote = split_legacy(d.symbol)
    return checked(
        Trade(
            exchange=EXCHANGE,
            symbol=f"{quote}-{base}",
            base=base,
            quote=quote,
            price=float(d.contPrice),
            volume=float(d.contQty),
            side=side,  # type: ignore[arg-type]  # one of SIDES' values
            trade_id=str(kst_us(d.contDtm)),
            timestamp=kst_ms(d.contDtm),
            recv_ns=recv_ns,
        )
    )


def _ticker(c: _TickerContent, recv_ns: int) -> Ticker:
    base, quote = split_legacy(c.symbol)
    return checked(
        Ticker(
            exchange=EXCHANGE,
            symbol=f"{quote}-{base}",
            base=base,
            quote=quote,
            trade_price=float(c.closePrice),
            change_rate=_percent(c.chgRate),
            change_price=float(c.chgAmt),
            opening_price=float(c.openPrice),
            high_price=float(c.highPrice),
            low_price=float(c.lowPrice),
            prev_closing_price=float(c.prevClosePrice),
            acc_trade_volume_24h=float(c.volume),
            acc_trade_price_24h=float(c.value),
            timestamp=kst_ms(c.date + c.time),
            recv_ns=recv_ns,
        )
    )


def _percent(text: str) -> float:
    """``"0.65"`` (percent) -> 0.0065, rounded once (``0.65 / 100`` would be 0.0065000...01)."""
    if not text or "e" in text.lower() or not text.lstrip("+-").replace(".", "", 1).isdigit():
        raise ValueError(f"chgRate {clean(text)[:20]!r} is not a percentage")
    return float(text + "e-2")


def _us_to_ms(value: str | int) -> int:
    return book_timestamp_ms(int(value))


# --------------------------------------------------------------------------- the decoder


class LegacyDecoder:
    """Frames of ``wss://pubwss.bithumb.com/pub/ws`` -> events. Keeps the books the depth
    changes apply to (one decoder per connection, like a codec)."""

    name = EXCHANGE
    default_ws_url = "wss://pubwss.bithumb.com/pub/ws"
    default_rest_url = "https://api.bithumb.com"

    def __init__(self) -> None:
        self._books: dict[str, L2Book] = {}  # legacy code -> seeded book
        self._unseeded: set[str] = set()  # codes already told they wait for a full book

    def reset(self) -> None:
        self._books.clear()
        self._unseeded.clear()

    def seed_book(self, book: OrderBook) -> None:
        """Start ``book``'s market from a full book (``parse_orderbook`` of the REST reply)."""
        lb = L2Book()
        lb.snapshot(
            [(repr(lv.price), repr(lv.size)) for lv in book.bids],
            [(repr(lv.price), repr(lv.size)) for lv in book.asks],
        )
        self._books[legacy_code(book.symbol)] = lb

    def decode(self, frame: Frame, recv_ns: int) -> list[Event]:
        try:
            obj = orjson.loads(frame)
        except orjson.JSONDecodeError as exc:
            return [malformed(f"not valid JSON ({short(exc)})", recv_ns)]
        except TypeError:
            return [
                malformed(f"a frame must be bytes or text, got {type(frame).__name__}", recv_ns)
            ]
        try:
            return self._decode_object(obj, recv_ns)
        except Exception as exc:  # decode never raises
            return [malformed(short(exc), recv_ns)]

    def _decode_object(self, obj: Any, recv_ns: int) -> list[Event]:
        if not isinstance(obj, dict):
            return [malformed(f"expected a JSON object, got {type(obj).__name__}", recv_ns)]
        kind = obj.get("type")
        if kind is None and "status" in obj:
            code = str(obj.get("status"))
            text = str(obj.get("resmsg", ""))
            if code == OK:
                return [status(EXCHANGE, "status", code, text, recv_ns=recv_ns)]
            return [
                status(
                    EXCHANGE, "error", code, f"Bithumb refused the request: {text}", recv_ns=recv_ns
                )
            ]
        content = obj.get("content")
        try:
            if kind == "transaction":
                deals = msgspec.convert(content, dict[str, list[_Deal]])["list"]
                return [self._one(_trade, d, "transaction", recv_ns) for d in deals]
            if kind == "ticker":
                c = msgspec.convert(content, _TickerContent)
                if c.tickType != "24H":
                    return []  # another window's figures: not the model's 24-hour ticker
                return [self._one(_ticker, c, "ticker", recv_ns)]
            if kind == "orderbookdepth":
                return self._depth(msgspec.convert(content, _DepthContent), recv_ns)
            if kind == "orderbooksnapshot":
                return self._snapshot(msgspec.convert(content, _SnapshotContent), recv_ns)
        except (msgspec.ValidationError, KeyError, TypeError) as exc:
            return [malformed(f"{clean(kind)} message: {short(exc)}", recv_ns)]
        return [malformed(f"unknown message type {short(kind, 40)!r}", recv_ns)]

    @staticmethod
    def _one(build: Callable[[M, int], Event], msg: M, kind: str, recv_ns: int) -> Event:
        try:
            ev = build(msg, recv_ns)
        except Invalid as exc:
            return invalid_status(EXCHANGE, exc, recv_ns)
        except ValueError as exc:
            return malformed(f"{kind} message: {short(exc)}", recv_ns)
        return ev

    def _snapshot(self, c: _SnapshotContent, recv_ns: int) -> list[Event]:
        try:
            split_legacy(c.symbol)
            lb = L2Book()
            lb.snapshot(c.bids, c.asks)
        except (Invalid, ValueError) as exc:
            return [malformed(f"orderbooksnapshot message: {short(exc)}", recv_ns)]
        try:
            book = self._emit(c.symbol, lb, _us_to_ms(c.datetime), recv_ns, snapshot=True)
        except Invalid as exc:
            return [invalid_status(EXCHANGE, exc, recv_ns)]
        self._books[c.symbol] = lb
        self._unseeded.discard(c.symbol)
        return [book]

    def _depth(self, c: _DepthContent, recv_ns: int) -> list[Event]:
        changes: dict[str, tuple[list[tuple[str, str]], list[tuple[str, str]]]] = {}
        for lv in c.levels:
            bids, asks = changes.setdefault(lv.symbol, ([], []))
            if lv.orderType == "bid":
                bids.append((lv.price, lv.quantity))
            elif lv.orderType == "ask":
                asks.append((lv.price, lv.quantity))
            else:
                return [
                    malformed(
                        f"orderType {short(lv.orderType, 20)!r} is neither bid nor ask", recv_ns
                    )
                ]
        ts = _us_to_ms(c.datetime)
        try:
            # Before any book changes, so a frame is applied whole or not at all; a seeded
            # book's code was checked when its full book came.
            for code in changes.keys() - self._books.keys():
                split_legacy(code)
        except Invalid as exc:
            return [invalid_status(EXCHANGE, exc, recv_ns)]
        out: list[Event] = []
        for code, (bids, asks) in changes.items():
            book = self._books.get(code)
            if book is None:
                if code not in self._unseeded:
                    self._unseeded.add(code)
                    out.append(
                        status(
                            EXCHANGE,
                            "notice",
                            "unseeded",
                            f"Bithumb's legacy depth stream sends changes only: the {v1_code(code)}"
                            " book waits for a full book to apply them to.",
                            v1_code(code),
                            recv_ns,
                        )
                    )
                continue
            try:
                book.update(bids, asks)
            except ValueError as exc:
                out.append(malformed(f"orderbookdepth message: {short(exc)}", recv_ns))
                continue
            try:
                out.append(self._emit(code, book, ts, recv_ns))
            except Invalid as exc:
                # No sequence numbers: a change was missed. The book is dropped, not shown.
                del self._books[code]
                message = f"{exc} The book waits for a fresh full book."
                out.append(status(EXCHANGE, "resync", "crossed", message, v1_code(code), recv_ns))
        return out

    @staticmethod
    def _emit(code: str, lb: L2Book, ts: int, recv_ns: int, snapshot: bool = False) -> OrderBook:
        base, quote = _split(code)
        bids, asks = lb.top(DEPTH)
        return checked(
            OrderBook(
                exchange=EXCHANGE,
                symbol=f"{quote}-{base}",
                base=base,
                quote=quote,
                bids=bids,
                asks=asks,
                total_bid_size=sum(lv.size for lv in bids),
                total_ask_size=sum(lv.size for lv in asks),
                timestamp=ts,
                recv_ns=recv_ns,
                snapshot=snapshot,
            )
        )


# --------------------------------------------------------------------------- REST


class _RestTicker(msgspec.Struct, gc=False):
    opening_price: str
    closing_price: str
    min_price: str
    max_price: str
    prev_closing_price: str
    units_traded_24H: str
    acc_trade_value_24H: str


def load_envelope(body: bytes | str | dict[str, Any]) -> Any:
    """The ``data`` of a legacy REST body; ``BithumbApiError`` when ``status`` is not OK."""
    obj = body
    if not isinstance(obj, dict):
        try:
            obj = orjson.loads(obj)
        except orjson.JSONDecodeError as exc:
            raise ValueError(f"Bithumb sent a response that is not JSON ({exc})") from None
    if not isinstance(obj, dict) or "status" not in obj:
        raise ValueError("Bithumb sent a response without its status envelope")
    if obj["status"] != OK:
        raise BithumbApiError(str(obj["status"]), str(obj.get("message", "")))
    return obj.get("data")


def parse_tickers(
    body: bytes | str | dict[str, Any],
    quote: str,
    recv_ns: int = 0,
    rejected: list[Status] | None = None,
) -> list[Ticker]:
    """``/public/ticker/ALL_{quote}`` (or one market's ``/public/ticker/BTC_KRW``, whose
    ``quote`` is then the market's) -> tickers.

    The change is the last price against ``prev_closing_price``, as Upbit and Bithumb's v1
    API measure it; the body's ``fluctate_*_24H`` are over a rolling 24 hours and, for
    coin-quoted markets, rounded to whole units ("-0"), so they are not used."""
    data = load_envelope(body)
    if not isinstance(data, dict):
        raise ValueError("Bithumb sent a ticker response without a data object")
    stamp = data.get("date")
    try:
        ts = int(stamp) if stamp is not None else 0
    except (TypeError, ValueError):
        raise ValueError(f"Bithumb's ticker time {short(stamp, 30)!r} is not a number") from None
    if "closing_price" in data:
        raise ValueError(
            "a single market's ticker does not name its market: ask /public/ticker/ALL_{quote}"
        )
    quote = quote.upper()
    rows = [(k, v) for k, v in data.items() if k != "date"]

    def build(row: tuple[str, Any]) -> Ticker:
        base, raw = row
        check_symbol(EXCHANGE, base)
        try:
            r = msgspec.convert(raw, _RestTicker)
            return checked(_rest_ticker(f"{quote}-{base}", base, quote, r, ts, recv_ns))
        except (msgspec.ValidationError, ValueError) as exc:
            if isinstance(exc, Invalid):
                raise
            raise Invalid(
                f"Ignored a Bithumb ticker for {quote}-{base} that could not be read:"
                f" {short(exc)}.",
                f"{quote}-{base}",
            ) from None

    return kept(EXCHANGE, rows, build, rejected)


def _rest_ticker(
    symbol: str, base: str, quote: str, r: _RestTicker, ts: int, recv_ns: int
) -> Ticker:
    last = float(r.closing_price)
    prev = float(r.prev_closing_price)
    diff = last - prev
    return Ticker(
        exchange=EXCHANGE,
        symbol=symbol,
        base=base,
        quote=quote,
        trade_price=last,
        change_rate=diff / prev if prev else 0.0,
        change_price=diff,
        opening_price=float(r.opening_price),
        high_price=float(r.max_price),
        low_price=float(r.min_price),
        prev_closing_price=prev,
        acc_trade_volume_24h=float(r.units_traded_24H),
        acc_trade_price_24h=float(r.acc_trade_value_24H),
        timestamp=ts,
        recv_ns=recv_ns,
        snapshot=True,
    )


class _RestLevel(msgspec.Struct, gc=False):
    price: str
    quantity: str


class _RestBook(msgspec.Struct, gc=False):
    timestamp: str | int
    order_currency: str
    payment_currency: str
    bids: list[_RestLevel]
    asks: list[_RestLevel]


def parse_orderbook(body: bytes | str | dict[str, Any], recv_ns: int = 0) -> OrderBook:
    """``/public/orderbook/BTC_KRW`` -> the full book (``snapshot=True``); a book that
    cannot be real raises ``Invalid`` with the sentence."""
    data = load_envelope(body)
    try:
        r = msgspec.convert(data, _RestBook)
    except msgspec.ValidationError as exc:
        raise ValueError(f"Bithumb sent an unexpected order book response: {exc}") from None
    code = f"{r.order_currency}_{r.payment_currency}"
    split_legacy(code)  # Invalid for a code no market has
    lb = L2Book()
    lb.snapshot([(x.price, x.quantity) for x in r.bids], [(x.price, x.quantity) for x in r.asks])
    return LegacyDecoder._emit(code, lb, _us_to_ms(r.timestamp), recv_ns, snapshot=True)
