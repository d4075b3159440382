"""OKX API v5 public market data: a sans-I/O codec with synced order books.

Wire reference: ``docs/exchanges.md`` section 2 in the shared folder. Summary:

* Text JSON frames. ``/ws/v5/public`` carries tickers, trades and books; candles live on
  ``/ws/v5/business`` (``endpoint()`` tells the connection layer which socket to dial).
* Subscriptions accumulate, so ``subscribe_frames`` sends only the difference between the
  desired and the current set (``unsubscribe`` first, then ``subscribe``).
* Keepalive is the literal text ``ping``; the server answers the literal text ``pong``.
* ``books`` is a 400-level snapshot followed by deltas. When ``checksum`` is non-zero the
  merged book must match OKX's CRC32 (see ``okx_checksum``), and only the 25 levels a side
  it covers are shown. OKX has sent ``checksum: 0`` since 2026-06-23, which leaves the
  ``prevSeqId == last seqId`` chain as the only guard: an update without a checksum must
  carry both sequence fields and chain on them (the 2022 recording has no sequence fields
  but real checksums, which is fine). A broken chain or checksum, an impossible level
  (NaN, negative, infinite: see ``books.BadLevel``) or a book left crossed (best bid at or
  above best ask) drops that book, emits ``Status(kind="resync")`` and queues the channel
  for resubscription; ``frames_to_send()`` (which the connection calls after each
  ``decode``) drains the queue as unsubscribe + subscribe frames.
* Every event passes ``sanity.checked`` (finite positive prices, ordered uncrossed books,
  printable market codes): one that fails becomes ``Status(kind="error", code="invalid")``.
  All status text goes through ``sanity.status``, which strips control characters.

Ticker field choices (OKX has no "previous close"):

* ``opening_price`` and ``prev_closing_price`` are both ``open24h``, the price 24 hours ago,
  so ``change_price = last - open24h`` and ``change_rate = last / open24h - 1`` describe the
  same rolling 24-hour change that OKX shows (not the change since a midnight close).
* SPOT: ``acc_trade_volume_24h = vol24h`` (base), ``acc_trade_price_24h = volCcy24h``
  (quote). Derivatives report ``vol24h`` in contracts and ``volCcy24h`` in base currency,
  so there ``acc_trade_volume_24h = volCcy24h`` and ``acc_trade_price_24h`` is approximated
  as ``volCcy24h * last``.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable, Sequence
from typing import Any, ClassVar, TypeVar

import msgspec
import orjson

from dantaro_tui.exchanges.base import ExchangeCodec, Frame, RateLimit, Subscription
from dantaro_tui.exchanges.books import BadLevel, L2Book
from dantaro_tui.exchanges.sanity import (
    Invalid,
    check_symbol,
    checked,
    invalid_status,
    num,
    status,
)
from dantaro_tui.model import Candle, Event, Level, OrderBook, Status, StatusKind, Ticker, Trade

EXCHANGE = "okx"

PUBLIC_PATH = "/ws/v5/public"
BUSINESS_PATH = "/ws/v5/business"
_WS_PATHS = {"": PUBLIC_PATH, "public": PUBLIC_PATH, "business": BUSINESS_PATH}

# Our channel keys -> OKX channel names (candles are handled by CANDLE_BARS).
CHANNELS: dict[str, str] = {
    "ticker": "tickers",
    "trade": "trades",
    "orderbook": "books",  # 400 levels, snapshot + incremental, checksum
    "orderbook5": "books5",  # 5 levels, full snapshot every push
    "bbo": "bbo-tbt",  # best bid/offer, snapshot every push
}

# Our interval spelling -> OKX bar spelling (case-sensitive on the OKX side: 1H, 1D, 1W;
# "1M"/"3M" are months, as on OKX). OKX's plain bars of 6h and more open at UTC+8
# midnight; ours (and Upbit's) are UTC-aligned, so those intervals use the ``utc`` bars.
CANDLE_BARS: dict[str, str] = {
    "1s": "1s",
    "1m": "1m",
    "3m": "3m",
    "5m": "5m",
    "15m": "15m",
    "30m": "30m",
    "1h": "1H",
    "2h": "2H",
    "4h": "4H",
    "6h": "6Hutc",
    "12h": "12Hutc",
    "1d": "1Dutc",
    "2d": "2Dutc",
    "3d": "3Dutc",
    "5d": "5Dutc",
    "1w": "1Wutc",
    "1M": "1Mutc",
    "3M": "3Mutc",
}

_KEY_OF_CHANNEL: dict[str, str] = {v: k for k, v in CHANNELS.items()}
_KEY_OF_CHANNEL.update({f"candle{bar}": f"candle.{iv}" for iv, bar in CANDLE_BARS.items()})
_INTERVAL_OF_CHANNEL: dict[str, str] = {f"candle{bar}": iv for iv, bar in CANDLE_BARS.items()}
# The UTC+8 variants are decoded too (to the same interval), though we never ask for them.
_INTERVAL_OF_CHANNEL.update(
    {f"candle{bar.removesuffix('utc')}": iv for iv, bar in CANDLE_BARS.items()}
)

_LABELS = {
    "ticker": "ticker",
    "trade": "trades",
    "orderbook": "order book",
    "orderbook5": "5-level order book",
    "bbo": "best bid/ask",
}

# What OKX's WebSocket error codes mean, for a trader reading the status line.
ERROR_TEXT: dict[str, str] = {
    "60008": "this channel is not available on this connection",
    "60009": "login failed",
    "60011": "this channel needs a login",
    "60012": "the request was not understood",
    "60013": "the request has an invalid argument",
    "60014": "requests are being sent too often",
    "60018": "the channel or market does not exist (or was asked on the wrong connection)",
    "60019": "the request type is not supported",
    "60028": "this channel is not available on this connection",
    "64003": "this channel needs a higher VIP tier",
}


def okx_channel(key: str) -> str:
    """The OKX channel name for one of our channel keys; ValueError when unknown."""
    ch = CHANNELS.get(key)
    if ch is not None:
        return ch
    if key.startswith("candle."):
        bar = CANDLE_BARS.get(key[7:])
        if bar is not None:
            return f"candle{bar}"
    known = ", ".join([*CHANNELS, *(f"candle.{iv}" for iv in CANDLE_BARS)])
    raise ValueError(f"OKX has no channel for {key!r} (known: {known})")


def okx_bar(interval: str) -> str:
    """OKX's ``bar`` spelling for one of our intervals ("1h" -> "1H"); ValueError if unknown."""
    try:
        return CANDLE_BARS[interval]
    except KeyError:
        raise ValueError(f"OKX has no {interval!r} candles") from None


# instId -> (base, quote, is_spot). Spot ids are BASE-QUOTE; derivatives add parts
# (BTC-USDT-SWAP, BTC-USD-261225, BTC-USD-261225-50000-C) and keep BASE-QUOTE first.
_SPLITS: dict[str, tuple[str, str, bool]] = {}


def split_inst(inst_id: str) -> tuple[str, str, bool]:
    """(base, quote, is_spot) for an OKX instId, cached. Raises ``sanity.Invalid`` for an
    instId that is empty or holds anything unprintable (such ids are never cached)."""
    hit = _SPLITS.get(inst_id)
    if hit is None:
        check_symbol(EXCHANGE, inst_id)
        parts = inst_id.split("-")
        spot = len(parts) == 2
        hit = (parts[0], parts[1], spot) if len(parts) >= 2 else (inst_id, "", True)
        if len(_SPLITS) < 100_000:
            _SPLITS[inst_id] = hit
    return hit


def okx_checksum(bids: Sequence[tuple[str, str]], asks: Sequence[tuple[str, str]]) -> int:
    """OKX's book checksum over the best levels (pass at most 25 a side, best first).

    ``bid1px:bid1sz:ask1px:ask1sz:bid2px:...`` with the exact wire strings; when one side is
    shorter the other side's remaining levels follow. CRC32 as a signed 32-bit int.
    """
    parts: list[str] = []
    extend = parts.extend
    for (bp, bs), (ap, as_) in zip(bids, asks, strict=False):
        extend((bp, bs, ap, as_))
    n = min(len(bids), len(asks))
    for p, s in bids[n:]:
        extend((p, s))
    for p, s in asks[n:]:
        extend((p, s))
    crc = zlib.crc32(":".join(parts).encode())
    return crc - 0x1_0000_0000 if crc >= 0x8000_0000 else crc


def _f(value: Any) -> float:
    """Float from an OKX numeric string; "" (OKX's 'no value') -> 0.0."""
    return float(value) if value else 0.0


def ticker_from(d: dict[str, Any], recv_ns: int = 0) -> Ticker:
    """A Ticker from an OKX ticker object (WS ``tickers`` push or REST market/ticker(s)).
    Raises ``sanity.Invalid`` for values no market has (``float`` reads "NaN", "1e400")."""
    inst = d["instId"]
    base, quote, spot = split_inst(inst)
    inst_type = d.get("instType")
    if inst_type:
        spot = inst_type == "SPOT"
    raw_last = d["last"]
    last = _f(raw_last)
    priced = raw_last != ""  # "": no trade yet (then no change either, not -100 %)
    open24 = _f(d["open24h"])
    moved = priced and open24  # a change needs both ends
    vol = _f(d.get("vol24h"))
    vol_ccy = _f(d.get("volCcy24h"))
    if spot:
        volume, turnover = vol, vol_ccy
    else:
        volume, turnover = vol_ccy, vol_ccy * last
    return checked(
        Ticker(
            exchange=EXCHANGE,
            symbol=inst,
            base=base,
            quote=quote,
            trade_price=last,
            change_rate=(last / open24 - 1.0) if moved else 0.0,
            change_price=(last - open24) if moved else 0.0,
            opening_price=open24,
            high_price=_f(d.get("high24h")),
            low_price=_f(d.get("low24h")),
            prev_closing_price=open24,
            acc_trade_volume_24h=volume,
            acc_trade_price_24h=turnover,
            timestamp=int(d["ts"]),
            recv_ns=recv_ns,
            trade_volume=_f(d.get("lastSz")),
            best_bid=_f(d.get("bidPx")),
            best_ask=_f(d.get("askPx")),
        ),
        unpriced=not priced,
    )


def trade_from(d: dict[str, Any], recv_ns: int = 0, inst: str | None = None) -> Trade:
    """A Trade from an OKX trade object (WS ``trades``/``trades-all`` or REST trades).
    Raises ``sanity.Invalid`` for an impossible price or size."""
    symbol = d.get("instId") or inst
    if not symbol:
        raise ValueError("trade without instId")
    base, quote, _ = split_inst(symbol)
    side = d["side"]
    if side != "buy" and side != "sell":
        raise ValueError(f"unknown trade side {side!r}")
    return checked(
        Trade(
            exchange=EXCHANGE,
            symbol=symbol,
            base=base,
            quote=quote,
            price=float(d["px"]),
            volume=float(d["sz"]),
            side=side,
            trade_id=str(d["tradeId"]),
            timestamp=int(d["ts"]),
            recv_ns=recv_ns,
        )
    )


def candle_from(row: Sequence[str], inst: str, interval: str, recv_ns: int = 0) -> Candle:
    """A Candle from an OKX candle row ``[ts, o, h, l, c, vol, volCcy, volCcyQuote, confirm]``.

    Older rows have 6 or 7 fields. Spot: volume = vol (base), quote_volume = volCcyQuote
    (else volCcy). Derivatives: volume = volCcy (base), quote_volume = volCcyQuote (else 0).
    ``timestamp`` stays 0: OKX candles carry only their open time. Raises
    ``sanity.Invalid`` for a candle whose prices are impossible or do not bracket each other.
    """
    base, quote, spot = split_inst(inst)
    n = len(row)
    if n < 6:
        raise ValueError(f"candle row has {n} fields")
    quote_volume = _f(row[7]) if n > 7 else 0.0
    if spot:
        volume = float(row[5])
        if n == 7 or (n > 7 and not row[7]):
            quote_volume = _f(row[6])
    else:
        volume = _f(row[6]) if n > 6 else 0.0
    return checked(
        Candle(
            exchange=EXCHANGE,
            symbol=inst,
            base=base,
            quote=quote,
            interval=interval,
            open_time=int(row[0]),
            open=float(row[1]),
            high=float(row[2]),
            low=float(row[3]),
            close=float(row[4]),
            volume=volume,
            recv_ns=recv_ns,
            quote_volume=quote_volume,
            closed=n > 8 and row[8] == "1",
        )
    )


def levels_from(raw: Iterable[Sequence[str]]) -> tuple[Level, ...]:
    """Levels from OKX ``[price, size, "0", orders]`` rows, order kept."""
    return tuple(Level(float(lv[0]), float(lv[1])) for lv in raw)


def book_event(
    symbol: str,
    bids: tuple[Level, ...],
    asks: tuple[Level, ...],
    timestamp: int,
    recv_ns: int,
    snapshot: bool,
    *,
    ordered: bool = False,
) -> OrderBook:
    """An OrderBook event; totals are the sums over the levels it carries. Raises
    ``sanity.Invalid`` for a book no market has. ``ordered=True`` (levels from an
    ``L2Book`` already found uncrossed: positive, finite and sorted by construction) checks
    only the totals."""
    base, quote, _ = split_inst(symbol)
    book = OrderBook(
        exchange=EXCHANGE,
        symbol=symbol,
        base=base,
        quote=quote,
        bids=bids,
        asks=asks,
        total_bid_size=sum([lv.size for lv in bids]),
        total_ask_size=sum([lv.size for lv in asks]),
        timestamp=timestamp,
        recv_ns=recv_ns,
        snapshot=snapshot,
    )
    if ordered:
        total = book.total_bid_size + book.total_ask_size
        if total - total == 0.0:  # finite (a sum of sizes near 1e308 is not)
            return book
    return checked(book)


_Handler = Callable[[str, dict[str, Any], list[Any], int], list[Event]]


class OkxCodec(ExchangeCodec):
    """OKX v5 public market data. One instance per connection (books are per connection)."""

    name: ClassVar[str] = EXCHANGE
    default_ws_url: ClassVar[str] = "wss://ws.okx.com:8443"
    default_rest_url: ClassVar[str] = "https://www.okx.com"
    keepalive_interval: ClassVar[float] = 20.0  # OKX drops a connection silent for 30 s
    ping_frame: ClassVar[str | None] = "ping"
    ping_is_limited: ClassVar[bool] = False  # OKX counts only subscribe/unsubscribe/login
    connect_limits: ClassVar[tuple[RateLimit, ...]] = (RateLimit(3, 1.0),)
    # 480 subscribe/unsubscribe/login ops per connection per hour; the per-second cap is ours
    # (OKX answers bursts with 60014 "too frequent" but documents no number).
    message_limits: ClassVar[tuple[RateLimit, ...]] = (RateLimit(480, 3600.0), RateLimit(5, 1.0))
    # OKX: "the total length of multiple channels cannot exceed 64 KB" per request.
    max_args_bytes: ClassVar[int] = 64 * 1024
    checksum_depth: ClassVar[int] = 25

    def __init__(self, depth: int = 30) -> None:
        if depth < 1:
            raise ValueError("depth must be at least 1")
        self.depth = depth
        self._next_id = 0
        self._books: dict[str, L2Book] = {}
        self._seq: dict[str, int | None] = {}
        # Books dropped or (re)subscribed: their deltas are ignored until a snapshot arrives.
        self._awaiting: set[str] = set()
        self._pending: list[tuple[str, str]] = []
        # instIds whose "books" we asked for; None = unknown (decode-only use: replay, tests).
        self._book_subs: set[str] | None = None
        self._handlers: dict[str, _Handler] = {
            "tickers": self._on_tickers,
            "trades": self._on_trades,
            "trades-all": self._on_trades,
            "books": self._on_books,
            "books5": self._on_book_snapshot,
            "bbo-tbt": self._on_book_snapshot,
        }

    # -- connection-level facts -------------------------------------------------------

    def endpoint(self, channel: str) -> str:
        return "business" if channel.startswith("candle") else ""

    def ws_url(self, base_url: str, endpoint: str) -> str:
        base = base_url.rstrip("/")
        for suffix in (PUBLIC_PATH, BUSINESS_PATH, "/ws/v5/private"):
            if base.endswith(suffix):
                base = base[: -len(suffix)]
                break
        return base + _WS_PATHS.get(endpoint, PUBLIC_PATH)

    def reset(self) -> None:
        self._books.clear()
        self._seq.clear()
        self._awaiting.clear()
        self._pending.clear()
        self._book_subs = None

    # -- subscriptions ----------------------------------------------------------------

    def subscribe_frames(self, desired: Subscription, current: Subscription) -> list[Frame]:
        want = _pairs(desired)
        have = _pairs(current)
        removed = sorted(have - want)
        added = sorted(want - have)
        books = set(desired.get("orderbook", ()))
        for ch, inst in removed:
            if ch == "books":
                self._forget_book(inst)
        for ch, inst in added:
            if ch == "books":
                self._forget_book(inst)
                self._awaiting.add(inst)
        self._book_subs = books
        return [*self._op_frames("unsubscribe", removed), *self._op_frames("subscribe", added)]

    def validate_channel(self, channel: str) -> None:
        okx_channel(channel)  # ValueError naming the channels OKX has; no state touched

    def frames_to_send(self) -> list[Frame]:
        """Unsubscribe + subscribe frames for every book dropped since the last call."""
        if not self._pending:
            return []
        return list(self.resync_frames())

    def pending_resubscribe(self) -> list[tuple[str, str]]:
        """(channel key, symbol) pairs whose book was dropped and must be resubscribed;
        the list is cleared. Use this or ``resync_frames()``, whichever suits the caller."""
        out = self._pending
        self._pending = []
        return out

    def resync_frames(self, pairs: Iterable[tuple[str, str]] | None = None) -> list[str]:
        """Unsubscribe + subscribe frames that make OKX send fresh snapshots for ``pairs``
        (default: drain ``pending_resubscribe()``). Each resync costs two of the 480
        operations OKX allows per connection per hour."""
        if pairs is None:
            pairs = self.pending_resubscribe()
        args = sorted({(okx_channel(key), symbol) for key, symbol in pairs})
        for ch, inst in args:
            if ch == "books":
                self._awaiting.add(inst)
        return [*self._op_frames("unsubscribe", args), *self._op_frames("subscribe", args)]

    def _op_frames(self, op: str, args: Sequence[tuple[str, str]]) -> list[str]:
        frames: list[str] = []
        chunk: list[str] = []
        size = 2  # "[" + "]"
        limit = self.max_args_bytes
        for ch, inst in args:
            item = orjson.dumps({"channel": ch, "instId": inst}).decode()
            extra = len(item.encode()) + (1 if chunk else 0)
            if chunk and size + extra >= limit:
                frames.append(self._frame(op, chunk))
                chunk, size, extra = [], 2, len(item.encode())
            chunk.append(item)
            size += extra
        if chunk:
            frames.append(self._frame(op, chunk))
        return frames

    def _frame(self, op: str, items: list[str]) -> str:
        self._next_id += 1
        return f'{{"id":"{self._next_id}","op":"{op}","args":[{",".join(items)}]}}'

    # -- decoding ---------------------------------------------------------------------

    def decode(self, frame: Frame, recv_ns: int) -> list[Event]:
        if frame == "pong" or frame == b"pong":
            return []
        try:
            msg = orjson.loads(frame)
        except orjson.JSONDecodeError:
            return [self._malformed(frame, recv_ns, "it is not JSON")]
        try:
            if type(msg) is not dict:
                return [self._malformed(frame, recv_ns, "it is not a JSON object")]
            if "event" in msg:
                return self._on_event(msg, recv_ns)
            arg = msg["arg"]
            channel = arg["channel"]
            data = msg["data"]
            if type(data) is not list:
                return [self._malformed(frame, recv_ns, "its data is not a list")]
            handler = self._handlers.get(channel)
            if handler is not None:
                return handler(channel, msg, data, recv_ns)
            interval = _INTERVAL_OF_CHANNEL.get(channel)
            if interval is not None:
                inst = arg["instId"]
                return _each(lambda row: candle_from(row, inst, interval, recv_ns), data, recv_ns)
            return []  # a channel we never ask for
        except Exception as exc:  # decode never raises: any surprise is a malformed frame
            return [self._malformed(frame, recv_ns, f"{type(exc).__name__}: {exc}")]

    def _malformed(self, frame: Frame, recv_ns: int, why: str) -> Status:
        text = frame if isinstance(frame, str) else frame.decode("utf-8", "replace")
        preview = text[:80] + ("..." if len(text) > 80 else "")
        message = f"Ignored an unreadable OKX message ({why}): {preview}"
        return status(EXCHANGE, "error", "malformed", message, recv_ns=recv_ns)

    def _on_event(self, msg: dict[str, Any], recv_ns: int) -> list[Event]:
        event = msg["event"]
        arg = msg.get("arg") or {}
        inst = arg.get("instId", "") if type(arg) is dict else ""
        channel = arg.get("channel", "") if type(arg) is dict else ""
        key = _KEY_OF_CHANNEL.get(channel, channel)
        label = _LABELS.get(key) or (
            f"{key[7:]} candles" if key.startswith("candle.") else channel or "channel"
        )
        code = str(msg.get("code", ""))
        okx_msg = str(msg.get("msg", ""))
        says = f" (OKX says: {okx_msg})" if okx_msg else ""

        def reply(kind: StatusKind, status_code: str, message: str) -> list[Event]:
            # Everything but our own words came from the wire: status() cleans it.
            return [status(EXCHANGE, kind, status_code, message, inst, recv_ns)]

        if event == "subscribe":
            return reply("subscribed", key, f"Subscribed to OKX {label} for {inst}.")
        if event == "unsubscribe":
            return reply("status", "unsubscribed", f"Unsubscribed from OKX {label} for {inst}.")
        if event == "error":
            meaning = ERROR_TEXT.get(code, "the request failed")
            return reply("error", code, f"OKX refused a request: {meaning}, code {code}{says}.")
        if event == "notice":
            if code == "64008":
                text = "OKX will close this connection soon for a service upgrade; reconnecting."
            else:
                text = "Notice from OKX."
            return reply("notice", code, text + says)
        detail = f": {okx_msg}" if okx_msg else ""
        return reply("status", str(event), f"OKX event {event}{detail}")

    def _on_tickers(
        self, channel: str, msg: dict[str, Any], data: list[Any], recv_ns: int
    ) -> list[Event]:
        return _each(lambda d: ticker_from(d, recv_ns), data, recv_ns)

    def _on_trades(
        self, channel: str, msg: dict[str, Any], data: list[Any], recv_ns: int
    ) -> list[Event]:
        inst = msg["arg"].get("instId")
        return _each(lambda d: trade_from(d, recv_ns, inst), data, recv_ns)

    def _on_book_snapshot(
        self, channel: str, msg: dict[str, Any], data: list[Any], recv_ns: int
    ) -> list[Event]:
        """books5 / bbo-tbt: every push is a complete (shallow) book."""
        inst_arg = msg["arg"].get("instId", "")
        depth = self.depth
        key = _KEY_OF_CHANNEL.get(channel, "")  # "orderbook5" / "bbo": not the full book

        def build(d: dict[str, Any]) -> OrderBook:
            book = book_event(
                d.get("instId") or inst_arg,
                levels_from(d["bids"])[:depth],
                levels_from(d["asks"])[:depth],
                int(d["ts"]),
                recv_ns,
                snapshot=False,
            )
            return msgspec.structs.replace(book, channel=key)

        return _each(build, data, recv_ns)

    # -- the synced 400-level book ------------------------------------------------------

    def book(self, symbol: str) -> L2Book | None:
        """The live merged book for ``symbol`` (None while it is being (re)built)."""
        return self._books.get(symbol)

    def _forget_book(self, inst: str) -> None:
        self._books.pop(inst, None)
        self._seq.pop(inst, None)
        self._awaiting.discard(inst)
        pair = ("orderbook", inst)
        if pair in self._pending:
            self._pending.remove(pair)

    def _resync(self, inst: str, code: str, why: str, recv_ns: int) -> Status:
        self._books.pop(inst, None)
        self._seq.pop(inst, None)
        self._awaiting.add(inst)
        pair = ("orderbook", inst)
        if pair not in self._pending:
            self._pending.append(pair)
        message = f"OKX order book for {inst} {why}; it was cleared and is being reloaded."
        return status(EXCHANGE, "resync", code, message, inst, recv_ns)

    def _on_books(
        self, channel: str, msg: dict[str, Any], data: list[Any], recv_ns: int
    ) -> list[Event]:
        inst = msg["arg"]["instId"]
        try:
            check_symbol(EXCHANGE, inst, "order book message")
        except Invalid as exc:  # never keep (or ask OKX again for) a book under such a name
            return [invalid_status(EXCHANGE, exc, recv_ns)]
        subs = self._book_subs
        if subs is not None and inst not in subs:
            return []  # in flight after an unsubscribe
        action = msg.get("action")
        out: list[Event] = []
        for d in data:
            try:
                if action == "snapshot":
                    ev = self._book_snapshot(inst, d, recv_ns)
                elif action == "update":
                    ev = self._book_update(inst, d, recv_ns)
                else:
                    raise ValueError(f"unknown action {action!r}")
            except BadLevel as exc:  # NaN, negative, infinite: the book cannot be trusted
                what = "snapshot" if action == "snapshot" else "update"
                said = f"Ignored an OKX order book {what} for {inst} with {exc}."
                ev = [
                    status(EXCHANGE, "error", "invalid", said, inst, recv_ns),
                    self._resync(inst, "invalid", "received an impossible price or size", recv_ns),
                ]
            except Invalid as exc:
                ev = [
                    invalid_status(EXCHANGE, exc, recv_ns),
                    self._resync(inst, "invalid", "could not be shown as it was", recv_ns),
                ]
            except Exception as exc:  # the book can no longer be trusted
                ev = self._bad_book(inst, exc, recv_ns)
            out.extend(ev)
            if ev and ev[-1].__class__ is Status:
                break
        return out

    def _shown_depth(self, d: dict[str, Any]) -> int:
        """Levels a side to emit: a non-zero checksum vouches only for the best 25."""
        return min(self.depth, self.checksum_depth) if d.get("checksum") else self.depth

    def _book_snapshot(self, inst: str, d: dict[str, Any], recv_ns: int) -> list[Event]:
        book = self._books.get(inst)
        if book is None:
            book = L2Book()
        book.snapshot(d["bids"], d["asks"])
        ts = int(d["ts"])
        self._books[inst] = book
        self._awaiting.discard(inst)
        if not self._checksum_ok(book, d):
            return [self._resync(inst, "checksum", "failed its checksum", recv_ns)]
        if book.crossed():
            return [self._crossed(inst, book, recv_ns)]
        self._seq[inst] = d.get("seqId")
        bids, asks = book.top(self._shown_depth(d))
        return [book_event(inst, bids, asks, ts, recv_ns, snapshot=True, ordered=True)]

    def _book_update(self, inst: str, d: dict[str, Any], recv_ns: int) -> list[Event]:
        book = self._books.get(inst)
        if book is None:
            if inst in self._awaiting:
                return []  # still waiting for the snapshot
            return [
                self._resync(inst, "sequence", "received an update before its snapshot", recv_ns)
            ]
        prev = d.get("prevSeqId")
        last = self._seq.get(inst)
        # No checksum (OKX sends 0 since 2026-06-23): the chain is the only guard, so an
        # update that cannot be chained is as broken as one that breaks the chain.
        if not d.get("checksum") and (prev is None or d.get("seqId") is None or last is None):
            return [
                self._resync(
                    inst,
                    "sequence",
                    "received an update without sequence numbers or a checksum, "
                    "so a missed update could not be noticed",
                    recv_ns,
                )
            ]
        if prev is not None and last is not None and prev != last:
            return [
                self._resync(
                    inst, "sequence", f"missed updates (expected {last}, got {prev})", recv_ns
                )
            ]
        raw_bids = d["bids"]
        raw_asks = d["asks"]
        ts = int(d["ts"])
        book.update(raw_bids, raw_asks)  # atomic: raises before touching the book
        if not self._checksum_ok(book, d):
            return [self._resync(inst, "checksum", "failed its checksum", recv_ns)]
        if book.crossed():
            return [self._crossed(inst, book, recv_ns)]
        self._seq[inst] = d.get("seqId")
        if not raw_bids and not raw_asks:
            return []  # heartbeat: nothing changed
        bids, asks = book.top(self._shown_depth(d))
        return [book_event(inst, bids, asks, ts, recv_ns, snapshot=False, ordered=True)]

    def _crossed(self, inst: str, book: L2Book, recv_ns: int) -> Status:
        bid, ask = book.best_bid(), book.best_ask()
        why = f"became crossed (best bid {num(bid or 0.0)} at or above best ask {num(ask or 0.0)})"
        return self._resync(inst, "crossed", why, recv_ns)

    def _checksum_ok(self, book: L2Book, d: dict[str, Any]) -> bool:
        expected = d.get("checksum")
        if not expected:  # absent, or 0 (OKX stopped sending checksums in June 2026)
            return True
        n = self.checksum_depth
        return okx_checksum(book.bids.top_raw(n), book.asks.top_raw(n)) == expected

    def _bad_book(self, inst: str, exc: Exception, recv_ns: int) -> list[Event]:
        message = (
            f"Ignored an unreadable OKX order book message for {inst} "
            f"({type(exc).__name__}: {exc})."
        )
        return [
            status(EXCHANGE, "error", "malformed", message, inst, recv_ns),
            self._resync(inst, "malformed", "received an unreadable message", recv_ns),
        ]


T = TypeVar("T")


def _each(build: Callable[[T], Event], items: Iterable[T], recv_ns: int) -> list[Event]:
    """``build`` applied to every item of a push; an item whose values cannot be right
    becomes an ``invalid`` Status and the others are kept."""
    out: list[Event] = []
    for item in items:
        try:
            out.append(build(item))
        except Invalid as exc:
            out.append(invalid_status(EXCHANGE, exc, recv_ns))
    return out


def _pairs(sub: Subscription) -> set[tuple[str, str]]:
    out: set[tuple[str, str]] = set()
    for key, symbols in sub.items():
        if not symbols:
            continue
        ch = okx_channel(key)
        for s in symbols:
            out.add((ch, s))
    return out
