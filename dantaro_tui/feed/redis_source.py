"""The hub's Redis source: the same events, through the same clients, from a collector.

A hub built with ``FeedHub(source="redis://...")`` (what ``WebSocketClient(..., source=...)``
and ``dantaro-tui --source`` use) opens no exchange socket. Each exchange's venue places every
pair on one ``RedisLink``; to the rest of the hub it is a connection like any other (the
venue's ``route`` fans its events out to the owners, ``health()`` reads its state), so the
clients, their mailboxes and every pane run unchanged. The link

1. reads, for the pairs newly wanted, the latest-state hash and each stream's last id in one
   MULTI/EXEC (the collector writes them in one too) and hands the state over first, as
   snapshots: a late joiner starts from the present;
2. follows the streams with XREAD from those ids. The ids outlive its reconnects, and a
   restarted collector appends after them: neither a gap nor a duplicate. Away longer than
   the collector's caps (Redis out of reach, a laptop asleep), the stream may have been
   trimmed past those ids: that is found on resuming (each stream's first entry against the
   saved id, in one round trip) and on every entry (``p``, its predecessor's id), said in
   words and counted (``gaps``), and a state channel starts again from the latest-state
   cache, so a gap never passes for continuous data and the screen shows the present;
3. reads the collector's heartbeat every second: no heartbeat, or a collector whose own feed
   is down, makes the link ``stale`` (or the collector's state) with a sentence, so a market
   that stopped never looks live; Redis itself gone makes it ``reconnecting``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import msgspec
import redis.asyncio as aredis

from dantaro_tui.exchanges.sanity import Invalid, clean
from dantaro_tui.feed.connection import Connection, Pair
from dantaro_tui.feed.health import Health, State
from dantaro_tui.feed.hub import Venue
from dantaro_tui.feed.redis_layout import (
    BEAT_INTERVAL,
    BEAT_TTL_BEATS,
    ENTRY,
    PREV,
    START,
    CollectorBeat,
    Layout,
    client,
    decode,
    decode_beat,
    decode_entry,
    entry_id,
    explain,
    field,
    redact,
)
from dantaro_tui.model import MarketEvent, Status

if TYPE_CHECKING:
    from dantaro_tui.feed.hub import CodecFactory, FeedHub

log = logging.getLogger(__name__)

BLOCK_MS = 1000  # XREAD's wait for news; a change of subscriptions cuts it short
READ_COUNT = 1000  # entries per stream per read
CHECK_EVERY = 1.0  # seconds between heartbeat reads
TIMEOUT = 3.0  # a Redis that does not answer within this is treated as gone
BACKOFF_START = 0.25
BACKOFF_MAX = 2.0  # a Redis that comes back is followed again within ~2 s
# Collector receive -> here: beyond this the lag is said in words (beyond STALE_AFTER the
# owners' data is stale anyway: events carry the collector's receive time).
LAG_SAY_MS = 2000.0
_GONE_STATES = ("reconnecting", "connecting", "stale", "closed")
GAP_NAMES = 3  # streams named in a gap's sentence; the rest are counted


class Gap(msgspec.Struct, frozen=True):
    """A stretch of one stream that was trimmed before this link read it."""

    key: bytes
    channel: str
    symbol: str
    after: bytes  # the last id read before it
    upto: bytes  # the last id lost (``exact``), else the first id still there
    exact: bool  # the collector named the entry before the first left: nothing is guessed

    @property
    def seconds(self) -> float:
        return max(entry_id(self.upto)[0] - entry_id(self.after)[0], 0) / 1000.0

    def span(self, exact: bool) -> str:
        """``42s of data (12:00:01 to 12:00:43) was trimmed from Redis``"""
        sec = self.seconds
        size = f"{sec:.1f}s" if sec < 10 else f"{sec:.0f}s"
        start, end = _clock(self.after), _clock(self.upto)
        when = f"{start} to {end}" if start != end else f"at {start}"
        return f"{'' if exact else 'up to '}{size} of data ({when}) was trimmed from Redis"


def _clock(stream_id: bytes) -> str:
    return time.strftime("%H:%M:%S", time.localtime(entry_id(stream_id)[0] / 1000))


def _readable_id(raw: bytes) -> bool:
    # ``p`` comes from whoever wrote the entry (Redis is shared): an unreadable one claims
    # nothing, rather than raising on every re-read of the same entry after each reconnect.
    try:
        entry_id(raw)
    except ValueError:
        return False
    return True


def _later(prev: bytes, last: bytes) -> bool:
    """Whether the entry's ``p`` is past ``last``: entries were lost between them."""
    try:
        return entry_id(prev) > entry_id(last)
    except ValueError:
        return False  # see _readable_id


def _trimmed(key: bytes, pair: Pair, last: bytes, info: dict[str, Any]) -> Gap | None:
    """The gap between ``last`` (the id read last) and what XINFO STREAM says is left."""
    first = info.get("first-entry")
    if not first:  # trimmed to nothing: lost, if anything came after ``last``
        newest = info.get("last-generated-id")
        if isinstance(newest, bytes) and entry_id(newest) > entry_id(last):
            return Gap(key, pair[0], pair[1], last, newest, exact=True)
        return None
    first_id, fields = first
    if entry_id(first_id) <= entry_id(last):
        return None  # still there: XREAD picks up right after it
    prev = fields.get(PREV) if fields else None
    if isinstance(prev, bytes) and _readable_id(prev):
        if entry_id(prev) <= entry_id(last):
            return None  # the first left follows on from ``last``: nothing between
        return Gap(key, pair[0], pair[1], last, prev, exact=True)
    # The first entry a restarted collector wrote: what came between is not known.
    return Gap(key, pair[0], pair[1], last, first_id, exact=False)


def _identity(ev: MarketEvent) -> tuple[object, ...]:
    """What tells one published event from another: a re-sent batch carries the very
    same events (same receive time, exchange time and trade id)."""
    return (
        type(ev),
        ev.symbol,
        ev.recv_ns,
        getattr(ev, "timestamp", None),
        getattr(ev, "trade_id", None),
    )


class RedisVenue(Venue):
    """One exchange read from Redis: every pair on one link (no sockets to spread)."""

    def __init__(
        self,
        hub: FeedHub,
        exchange: str,
        url: str,
        codec_factory: CodecFactory,
        keepalive: float | None,
        rest_url: str | None,
        source: str,
        layout: Layout | None = None,
    ) -> None:
        super().__init__(hub, exchange, url, codec_factory, keepalive, rest_url)
        self.source = source
        self.layout = layout or Layout()
        self.max_pairs = sys.maxsize

    def _room_for(self, endpoint: str, load: dict[Connection, int]) -> Connection:
        links = self.conns.setdefault("", [])
        if not links:
            links.append(RedisLink(self))
        return links[0]

    def spill(self, conn: Connection) -> bool:
        return False  # Redis has no per-socket message budget to spread


class RedisLink(Connection):
    """Follows one exchange's streams of a collector (see the module doc)."""

    def __init__(self, venue: RedisVenue) -> None:
        super().__init__(venue, "", 0)
        self.source = venue.source
        self.layout = venue.layout
        self.url = redact(venue.source)  # what health and logs may show
        self.health = Health(f"{self.exchange} via {self.url}", self.exchange)
        self._latest = venue.layout.latest(self.exchange).encode()
        self._beat_key = venue.layout.beat(self.exchange).encode()
        # stream key -> id of the last entry delivered; kept across reconnects
        self._ids: dict[bytes, bytes] = {}
        self._pairs: dict[bytes, Pair] = {}
        self._control: aredis.Redis | None = None
        self._reader_id = 0
        self._blocked = False  # the reader waits inside XREAD (CLIENT UNBLOCK wakes it)
        self._following = asyncio.Event()
        self._beat_read = False
        self._beat_unreadable = False  # a heartbeat key is there but does not decode
        self._collector_id = ""
        self._said = ""  # the last problem said about the collector (said once per change)
        self.collector: CollectorBeat | None = None  # its newest heartbeat, None = none
        self.lag_ms = -1.0  # collector receive -> delivered here, smoothed; -1 = unknown
        self.unreadable = 0  # entries that failed to decode or to pass the checks
        # Events of a batch the collector wrote twice (it lost Redis's reply), not handed
        # over again; and per stream, the previous id and the events of the last entry read.
        self.duplicates = 0
        self._last_entry: dict[bytes, tuple[bytes | None, bytes | None]] = {}
        self.gaps = 0  # stretches of a stream trimmed before they were read (said in words)
        self.gap_seconds = 0.0  # their length, summed

    # -- the loop ----------------------------------------------------------------------
    async def _run(self) -> None:
        backoff = BACKOFF_START
        first = True
        while not self._closing:
            if not self.desired:
                self.health.state = "idle"
                self._synced.set()
                self._changed.clear()
                await self._changed.wait()
                continue
            self.health.state = "connecting" if first else "reconnecting"
            self._let_go = False
            self._healthy = False
            try:
                await self._session()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                reason = explain(exc, self.source)
                self.health.on_error(reason)
                log.info("%s: %s", self.health.name, reason)
            if self._closing:
                break
            if not self.desired or self._let_go:
                continue
            first = False
            self.health.reconnects += 1
            self.health.state = "reconnecting"
            if self._healthy:
                backoff = BACKOFF_START  # data flowed: this outage starts afresh
            await asyncio.sleep(random.uniform(0, backoff))  # full jitter
            backoff = min(backoff * 2, BACKOFF_MAX)

    async def _session(self) -> None:
        control = client(self.source, timeout=TIMEOUT)
        reader = client(self.source, single=True, timeout=BLOCK_MS / 1000 + TIMEOUT)
        try:
            await control.ping()
            self._reader_id = int(await reader.client_id())
            await self._check_resume(control)
            self._control = control
            self._beat_read = False
            self.health.state = "waiting"
            tasks = [
                asyncio.create_task(self._apply_loop(control)),
                asyncio.create_task(self._read_loop(reader)),
                asyncio.create_task(self._watch(control)),
            ]
            try:
                done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.wait(tasks)
            for task in done:
                exc = task.exception()
                if exc is not None:
                    raise exc
        finally:
            self._control = None
            self._blocked = False
            self._synced.clear()
            for redis in (reader, control):
                try:
                    await redis.aclose()
                except Exception:  # closing a dead connection says nothing new
                    log.debug("closing a Redis client failed", exc_info=True)

    async def _apply_loop(self, control: aredis.Redis) -> None:
        """Keeps the followed streams equal to the owners' wishes."""
        while True:
            self._changed.clear()
            desired = self.desired
            if not desired:
                self._ids.clear()
                self._last_entry.clear()
                self._pairs.clear()
                self._let_go = True  # the owners let go of everything: the session ends
                return
            await self._follow(control, desired)
            if self.desired is desired:  # update() replaces the dict on every change
                self._synced.set()
            self._judge()
            await self._changed.wait()

    async def _follow(self, control: aredis.Redis, desired: dict[str, frozenset[str]]) -> None:
        layout, exchange = self.layout, self.exchange
        wanted: dict[bytes, Pair] = {
            layout.stream(exchange, key, symbol).encode(): (key, symbol)
            for key, symbols in desired.items()
            for symbol in symbols
        }
        for key in [k for k in self._ids if k not in wanted]:
            del self._ids[key]
            self._last_entry.pop(key, None)
            self._pairs.pop(key, None)
        pairs = set(wanted.values())
        for pair in [p for p in self.waiting if p not in pairs]:
            del self.waiting[pair]
        new = [k for k in wanted if k not in self._ids]
        if not new:
            return
        # One MULTI/EXEC, like the collector's writes: each state is exact at its stream's
        # last id, so following from that id neither repeats nor skips an entry.
        async with control.pipeline(transaction=True) as pipe:
            for key in new:
                pipe.xrevrange(key, count=1)
            pipe.hmget(self._latest, [field(*wanted[key]) for key in new])
            replies = await pipe.execute()
        states: list[bytes | None] = replies[-1]
        now = time.monotonic()
        events: list[Any] = []
        for key, last, raw in zip(new, replies[:-1], states, strict=True):
            self._ids[key] = last[0][0] if last else START  # none yet: all that comes
            self._pairs[key] = wanted[key]
            ev = self._decode(raw, key) if raw else None
            if ev is None:
                self.waiting[wanted[key]] = now  # confirmed by its first entry
            else:
                events.append(msgspec.structs.replace(ev, snapshot=True))
        if events:
            self.venue.route(self, events, time.time_ns(), now)
        self._following.set()
        if self._blocked:
            await control.client_unblock(self._reader_id)  # follow the new streams now

    async def _read_loop(self, reader: aredis.Redis) -> None:
        route = self.venue.route
        ids = self._ids
        time_ns = time.time_ns
        while True:
            if not ids:
                self._following.clear()
                await self._following.wait()
                continue
            streams = dict(ids)
            self._blocked = True
            try:
                reply: Any = await reader.xread(streams, count=READ_COUNT, block=BLOCK_MS)  # type: ignore[arg-type]
            finally:
                self._blocked = False
            if not reply:
                continue
            events: list[MarketEvent] = []
            gaps: list[Gap] = []
            for key, entries in reply:
                last = streams[key]
                if not entries or ids.get(key) != last:
                    continue  # let go of (or taken up afresh) while the read was out
                for new_id, fields in entries:
                    if fields:
                        prev = fields.get(PREV)
                        raw = fields.get(ENTRY)
                        resent: bytes | None = None
                        if prev is not None and prev != last and last != START:
                            if _later(prev, last):
                                # A reader that stayed connected but did not read for longer
                                # than the caps (a laptop asleep) lands here; one that
                                # reconnected was told by _check_resume, which moved its id
                                # up to the gap's end.
                                channel, symbol = self._pairs[key]
                                gaps.append(Gap(key, channel, symbol, last, prev, exact=True))
                            else:
                                resent = self._resend_of(key, prev)
                        mark = len(events)
                        self._decode_entry(raw, key, events)
                        if resent is not None:
                            self._drop_delivered(resent, events, mark)
                        self._last_entry[key] = (prev, raw)
                    else:
                        self._decode_entry(None, key, events)
                    last = new_id
                ids[key] = last
            if gaps:
                self._say_gaps(gaps, "before this feed read it")
            if not events:
                continue
            now_ns = time_ns()
            route(self, events, now_ns, time.monotonic())  # type: ignore[arg-type]
            self._healthy = True
            self.health.on_frame(now_ns / 1e9, len(events))
            lag = (now_ns - events[-1].recv_ns) / 1e6
            self.lag_ms = lag if self.lag_ms < 0 else self.lag_ms * 0.9 + lag * 0.1

    # -- trimmed while away ------------------------------------------------------------------
    async def _check_resume(self, control: aredis.Redis) -> None:
        """After a reconnect: was any stream trimmed past where this link left off? One
        round trip for every stream of the exchange (XINFO STREAM: its first entry and last
        id). A trade stream follows on from the gap; a state channel (ticker, book, candle)
        is taken up afresh from the latest-state cache: the present, not a replay."""
        held = [(key, last) for key, last in self._ids.items() if last != START]
        if not held:
            return
        async with control.pipeline(transaction=False) as pipe:
            for key, _ in held:
                pipe.xinfo_stream(key)
            replies = await pipe.execute(raise_on_error=False)
        gaps: list[Gap] = []
        for (key, last), info in zip(held, replies, strict=True):
            # Not a dict: no such stream (a Redis that lost its data); the p of the
            # collector's next entry tells whether anything is missing.
            gap = _trimmed(key, self._pairs[key], last, info) if isinstance(info, dict) else None
            if gap is not None:
                gaps.append(gap)
        if not gaps:
            return
        self._say_gaps(gaps, "while this feed was cut off")
        for gap in gaps:
            if gap.channel != "trade":
                del self._ids[gap.key]  # _follow takes it up again from the cache
                self._last_entry.pop(gap.key, None)
                del self._pairs[gap.key]
            elif gap.exact:
                # XREAD from the gap's end: what is left is delivered, and its first entry's
                # p matches instead of telling the same gap twice.
                self._ids[gap.key] = gap.upto

    def _say_gaps(self, gaps: list[Gap], when: str) -> None:
        """One sentence for the owners' health, one notice per stream for their on_status."""
        longest = max(gaps, key=lambda g: g.seconds)
        names = [f"{g.channel} {g.symbol}" for g in gaps]
        shown = ", ".join(names[:GAP_NAMES])
        if len(names) > GAP_NAMES:
            shown += f" and {len(names) - GAP_NAMES} more"
        exact = len(gaps) == 1 and longest.exact
        cap = self.collector.max_age if self.collector is not None else 0.0
        keeps = f" (the collector keeps {cap:.0f}s: see its --max-age)" if cap > 0 else ""
        self.gaps += len(gaps)
        self.gap_seconds += sum(g.seconds for g in gaps)
        self.health.on_error(f"{shown}: {longest.span(exact)} {when} and is missing{keeps}")
        now = time.monotonic()
        for gap in gaps:
            then = "; showing the latest state" if gap.channel != "trade" else ""
            message = f"{gap.channel} {gap.symbol}: {gap.span(gap.exact)} {when} and is missing"
            status = Status(
                self.exchange,
                "notice",
                code="gap",
                message=message + then,
                symbol=gap.symbol,
                recv_ns=time.time_ns(),
            )
            self.venue._status(self, status, now)

    def _resend_of(self, key: bytes, prev: bytes) -> bytes | None:
        """The entry read last on ``key`` if the one now read follows on from the same
        entry (``prev``): the collector wrote a batch, lost Redis's reply, and wrote the
        batch again with whatever came since. None if it is not that."""
        last = self._last_entry.get(key)
        if last is None or last[0] != prev or not isinstance(last[1], bytes):
            return None
        return last[1]

    def _drop_delivered(self, resent: bytes, events: list[MarketEvent], mark: int) -> None:
        """Drops from ``events[mark:]`` what the re-sent entry ``resent`` already gave."""
        try:
            seen = {_identity(ev) for ev in decode_entry(resent)[0]}
        except msgspec.DecodeError:
            return
        fresh = [ev for ev in events[mark:] if _identity(ev) not in seen]
        self.duplicates += len(events) - mark - len(fresh)
        events[mark:] = fresh

    def _decode_entry(self, raw: bytes | None, key: bytes, out: list[MarketEvent]) -> None:
        if raw is None:
            problems = ["it has no events"]
        else:
            try:
                events, problems = decode_entry(raw)
            except msgspec.DecodeError as exc:
                problems = [f"it is not an entry this version reads ({exc})"]
            else:
                out += events
        for why in problems:
            self.unreadable += 1
            self.health.on_error(
                f"ignored an entry of {key.decode(errors='replace')}: {clean(why)}"
            )

    def _decode(self, raw: bytes | None, key: bytes) -> MarketEvent | None:
        if raw is None:
            why = "it has no event"
        else:
            try:
                return decode(raw)
            except Invalid as exc:
                why = str(exc)
            except msgspec.DecodeError as exc:
                why = f"it is not an event this version reads ({exc})"
        self.unreadable += 1
        self.health.on_error(f"ignored an entry of {key.decode(errors='replace')}: {clean(why)}")
        return None

    # -- the collector's heartbeat -------------------------------------------------------
    async def _watch(self, control: aredis.Redis) -> None:
        while True:
            raw = await control.get(self._beat_key)
            self._on_beat(raw)
            self._beat_read = True
            self._judge()
            await asyncio.sleep(CHECK_EVERY)

    def _on_beat(self, raw: bytes | str | None) -> None:
        beat: CollectorBeat | None = None
        self._beat_unreadable = False
        if raw is not None:
            try:
                beat = decode_beat(raw)
            except msgspec.DecodeError:
                self._beat_unreadable = True  # stale all the same, but not "no collector"
        if beat is not None and self._collector_id and beat.collector != self._collector_id:
            self._notice(
                f"the {self.exchange} collector restarted ({clean(beat.host)}, pid {beat.pid}); "
                "following its streams from where this feed left off"
            )
        if beat is not None:
            self._collector_id = beat.collector
        self.collector = beat

    def _judge(self) -> None:
        """The link's state from the collector's heartbeat and what is still waiting."""
        if self._control is None:
            return  # Redis is gone: _run says reconnecting
        if not self._beat_read:
            self.health.state = "waiting"
            return
        beat = self.collector
        problem = ""
        state: State
        if beat is None and self._beat_unreadable:
            state = "stale"
            problem = (
                f"the {self.exchange} collector's heartbeat in Redis is not one this version "
                "reads (a collector of another version?): prices are not trusted as live"
            )
        elif beat is None:
            state = "stale"
            ttl = BEAT_INTERVAL * BEAT_TTL_BEATS
            problem = (
                f"no collector is publishing {self.exchange} to Redis (no heartbeat for "
                f"{ttl:.0f}s): prices are not updating"
            )
        elif beat.feed.state in _GONE_STATES:
            state = "stale" if beat.feed.state == "closed" else beat.feed.state
            problem = f"the collector's {self.exchange} feed is {beat.feed.state}"
            if beat.feed.last_error:
                problem += f": {clean(beat.feed.last_error)}"
        else:
            state = "waiting" if self.waiting else "connected"
            missing = sorted({key for key, _ in self.waiting if key not in beat.channels})
            if missing:  # would wait forever: say why
                problem = (
                    f"the collector does not publish {', '.join(missing)} of {self.exchange} "
                    "(see its --channels)"
                )
            elif self.lag_ms >= LAG_SAY_MS:
                problem = f"this feed runs {self.lag_ms / 1000:.1f}s behind the collector"
        self.health.state = state
        if problem and problem != self._said:
            self.health.on_error(problem)
        self._said = problem

    def _notice(self, message: str) -> None:
        status = Status(self.exchange, "notice", message=message, recv_ns=time.time_ns())
        self.venue._status(self, status, time.monotonic())

    # -- what the venue and the owners' health read -----------------------------------------
    def confirm(self, pair: Pair) -> None:
        if self.waiting.pop(pair, None) is not None:
            self._live.add(pair)
            if not self.waiting:
                self._judge()


async def probe(url: str, exchanges: Sequence[str] = ()) -> tuple[str, dict[str, CollectorBeat]]:
    """Whether Redis at ``url`` can be used now: ``("", beats)`` with the heartbeats of the
    collectors of ``exchanges`` that run, or ``(the sentence why not, {})``."""
    redis = client(url, timeout=TIMEOUT)
    beats: dict[str, CollectorBeat] = {}
    try:
        await redis.ping()
        layout = Layout()
        for exchange in exchanges:
            raw = await redis.get(layout.beat(exchange))
            if raw is not None:
                with contextlib.suppress(msgspec.DecodeError):
                    beats[exchange] = decode_beat(raw)
    except Exception as exc:
        return explain(exc, url), {}
    finally:
        with contextlib.suppress(Exception):
            await redis.aclose()
    return "", beats
