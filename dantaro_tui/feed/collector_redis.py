"""RedisCollector: the feed hub, headless, publishing every event to Redis Streams.

One collector per desk opens the exchange sockets (one per endpoint, as the hub does for any
process); every terminal and bot then reads Redis (``feed/redis_source.py``). Key names and
the entry format are in ``feed/redis_layout.py``.

Events are batched as they come: while one batch is on its way to Redis the next one fills,
so a quiet feed is published at once and a busy one in a few large round trips. A batch is
one MULTI/EXEC of its XADDs (capped with ``MAXLEN ~``) and of the latest-state hash, which is
what lets a consumer start from the cache and follow the streams without a gap.

Redis gone mid-run: events wait (up to ``MAX_BACKLOG``, the oldest dropped beyond it and
counted) and go out when it is back; the heartbeat stops meanwhile, so consumers say the
feed is stale rather than show a market that froze.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import redis.asyncio as aredis
import redis.exceptions as rex

from dantaro_tui.feed.client import WebSocketClient
from dantaro_tui.feed.hub import FeedHub, event_key
from dantaro_tui.feed.redis_layout import (
    BEAT_INTERVAL,
    BEAT_TTL_BEATS,
    ENTRY,
    EXCHANGE_TS,
    MAX_AGE,
    PREV,
    RECEIVE_TS,
    STATE_MAXLEN,
    TRADE_MAXLEN,
    CollectorBeat,
    FeedBeat,
    Layout,
    client,
    decode_beat,
    encode,
    encode_beat,
    encode_entry,
    explain,
    field,
    redact,
)
from dantaro_tui.model import MarketEvent, Status

log = logging.getLogger(__name__)

MAX_BACKLOG = 200_000  # events kept while Redis is away (~1 min of a very busy feed)
RETRY_START = 0.25
RETRY_MAX = 2.0


class CollectorError(Exception):
    """The collector cannot run; the text is the sentence to show."""


class CollectorStats:
    __slots__ = (
        "batches",
        "errors",
        "last_error",
        "lost",
        "published",
        "redis_ms",
        "redis_ok",
    )

    def __init__(self) -> None:
        self.published = 0  # entries written to Redis
        self.batches = 0
        self.lost = 0  # events dropped while Redis was away too long
        self.errors = 0
        self.last_error = ""
        self.redis_ms = -1.0  # round trip of a batch, smoothed
        self.redis_ok = False


class RedisCollector:
    """Publishes ``channels`` of ``markets`` (exchange -> codes) from ``hub`` to Redis."""

    def __init__(
        self,
        url: str,
        markets: Mapping[str, Sequence[str]],
        channels: Sequence[str],
        *,
        hub: FeedHub | None = None,
        layout: Layout | None = None,
        trade_maxlen: int = TRADE_MAXLEN,
        state_maxlen: int = STATE_MAXLEN,
        max_age: float = MAX_AGE,
        beat_interval: float = BEAT_INTERVAL,
        demo: bool = False,
        rest_urls: Mapping[str, str] | None = None,
        name: str = "collector",
    ) -> None:
        self.url = url
        self.markets = {ex.lower(): list(codes) for ex, codes in markets.items()}
        self.channels = list(channels)
        self.hub = hub or FeedHub()
        self.layout = layout or Layout()
        self.trade_maxlen = trade_maxlen
        self.state_maxlen = state_maxlen
        self.max_age = max_age
        self.beat_interval = beat_interval
        self.demo = demo
        self.rest_urls = dict(rest_urls or {})
        self.name = name
        self.id = uuid.uuid4().hex
        self.started = time.time()
        self.stats = CollectorStats()
        self.clients: dict[str, WebSocketClient] = {}
        self.feed_errors = 0
        self._redis: aredis.Redis | None = None
        self._buffer: list[MarketEvent] = []
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._keys: dict[tuple[str, str, str], tuple[str, str, int]] = {}
        # stream -> id of the entry this run wrote last: the next one names it (PREV), so a
        # reader can tell a trimmed stretch from a continuous one
        self._last_ids: dict[str, bytes] = {}

    @property
    def redacted_url(self) -> str:
        return redact(self.url)

    @property
    def backlog(self) -> int:
        return len(self._buffer)

    # -- lifecycle -----------------------------------------------------------------------
    async def start(self, *, wait_for_previous: float | None = None) -> None:
        """Connect to Redis (``CollectorError`` with the reason when it cannot), make sure no
        other collector publishes these exchanges, then subscribe and publish."""
        redis = client(self.url, name="dantaro-collector")
        try:
            await redis.ping()
        except (rex.RedisError, OSError) as exc:
            await redis.aclose()
            raise CollectorError(explain(exc, self.url)) from None
        self._redis = redis
        self.stats.redis_ok = True
        try:
            await self._claim(wait_for_previous)
        except BaseException:
            await self._close_redis()
            raise
        self._tasks = [
            asyncio.create_task(self._flush_loop(), name=f"{self.name}:publish"),
            asyncio.create_task(self._beat_loop(), name=f"{self.name}:beat"),
            asyncio.create_task(self._trim_loop(), name=f"{self.name}:trim"),
        ]
        for exchange, codes in self.markets.items():
            if not codes:
                continue
            feed = WebSocketClient(
                f"{self.name}:{exchange}",
                exchange,
                hub=self.hub,
                on_status=self._on_status,
                sync_timeout=1.0,  # the connection keeps trying in the background anyway
            )
            self.clients[exchange] = feed
            # All channels registered before the first request goes out: one request.
            await asyncio.gather(
                *(feed.subscribe(ch, codes, self._on_event) for ch in self.channels)
            )

    async def _claim(self, wait: float | None) -> None:
        """Two collectors of one exchange on one Redis would publish everything twice: wait
        for a previous one's heartbeat to expire (a collector that just crashed), else stop."""
        assert self._redis is not None
        wait = self.beat_interval * BEAT_TTL_BEATS * 2 if wait is None else wait
        deadline = time.monotonic() + wait
        for exchange in self.markets:
            while True:
                raw = await self._redis.get(self.layout.beat(exchange))
                if raw is None:
                    break
                try:
                    other = decode_beat(raw)
                except Exception:
                    break  # unreadable: nobody we can name; ours replaces it
                if other.collector == self.id:
                    break
                if time.monotonic() >= deadline:
                    raise CollectorError(
                        f"another collector (pid {other.pid} on {other.host}) already publishes "
                        f"{exchange} to {self.redacted_url}; stop it first"
                    )
                await asyncio.sleep(min(self.beat_interval, 0.5))

    async def stop(self) -> None:
        """Unsubscribe, publish what is left, and tell consumers this collector is gone."""
        for feed in self.clients.values():
            with contextlib.suppress(Exception):
                await feed.cleanup()
        self.clients.clear()
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks)
        self._tasks = []
        redis = self._redis
        if redis is not None:
            with contextlib.suppress(rex.RedisError, OSError):
                if self._buffer:
                    batch, self._buffer = self._buffer, []
                    await self._publish(batch)
                # Gone at once rather than when the key expires: consumers say it now.
                await redis.delete(*(self.layout.beat(ex) for ex in self.markets))
        await self._close_redis()

    async def _close_redis(self) -> None:
        redis, self._redis = self._redis, None
        if redis is not None:
            with contextlib.suppress(Exception):
                await redis.aclose()

    # -- events in -----------------------------------------------------------------------
    def _on_event(self, ev: MarketEvent) -> None:
        self._buffer.append(ev)
        wake = self._wake
        if not wake.is_set():
            wake.set()

    def _on_status(self, status: Status) -> None:
        if status.kind == "error":
            self.feed_errors += 1

    # -- events out ----------------------------------------------------------------------
    async def _flush_loop(self) -> None:
        retry = RETRY_START
        while True:
            await self._wake.wait()
            self._wake.clear()
            if not self._buffer:
                continue
            batch, self._buffer = self._buffer, []
            try:
                await self._publish(batch)
            except (rex.RedisError, OSError) as exc:
                self._redis_failed(exc)
                self._buffer = batch + self._buffer  # in order, once Redis is back
                excess = len(self._buffer) - MAX_BACKLOG
                if excess > 0:
                    del self._buffer[:excess]
                    self.stats.lost += excess
                await asyncio.sleep(retry)
                retry = min(retry * 2, RETRY_MAX)
                self._wake.set()
                continue
            retry = RETRY_START
            if not self.stats.redis_ok:
                self.stats.redis_ok = True
                log.info("%s is back", self.redacted_url)

    def _key(self, ev: MarketEvent) -> tuple[str, str, int]:
        """(stream, hash field, cap) of ``ev``'s stream, memoized: formatting keys per
        event would cost more than sending them."""
        channel = event_key(ev) or ""
        memo = (ev.exchange, channel, ev.symbol)
        key = self._keys.get(memo)
        if key is None:
            cap = self.trade_maxlen if channel == "trade" else self.state_maxlen
            stream = self.layout.stream(ev.exchange, channel, ev.symbol)
            key = self._keys[memo] = (stream, field(channel, ev.symbol), cap)
        return key

    async def _publish(self, batch: list[MarketEvent]) -> None:
        redis = self._redis
        if redis is None:
            raise rex.ConnectionError("the collector is stopping")
        started = time.perf_counter()
        # One entry per stream per batch (see redis_layout), in arrival order.
        groups: dict[tuple[str, str, int], list[MarketEvent]] = {}
        key_of = self._key
        for ev in batch:
            key = key_of(ev)
            group = groups.get(key)
            if group is None:
                groups[key] = [ev]
            else:
                group.append(ev)
        latest: dict[str, dict[str, bytes]] = {}
        last_ids = self._last_ids
        pipe = redis.pipeline(transaction=True)
        for (stream, fld, cap), events in groups.items():
            newest = events[-1]
            entry: dict[bytes, bytes | int] = {
                ENTRY: encode_entry(events),
                EXCHANGE_TS: newest.timestamp,
                RECEIVE_TS: newest.recv_ns,
            }
            prev = last_ids.get(stream)
            if prev is not None:
                entry[PREV] = prev
            pipe.xadd(stream, entry, maxlen=cap, approximate=True)  # type: ignore[arg-type]
            state = latest.get(newest.exchange)
            if state is None:
                state = latest[newest.exchange] = {}
            state[fld] = encode(newest)
        for exchange, fields in latest.items():
            pipe.hset(self.layout.latest(exchange), mapping=fields)  # type: ignore[arg-type]
        replies = await pipe.execute()
        # MULTI/EXEC: the XADD ids come first, in the order of ``groups``.
        for (stream, _, _), new_id in zip(groups, replies, strict=False):
            last_ids[stream] = new_id
        ms = (time.perf_counter() - started) * 1000.0
        stats = self.stats
        stats.redis_ms = ms if stats.redis_ms < 0 else stats.redis_ms * 0.9 + ms * 0.1
        stats.published += len(batch)
        stats.batches += 1

    def _redis_failed(self, exc: BaseException) -> None:
        reason = explain(exc, self.url)
        stats = self.stats
        if stats.redis_ok or reason != stats.last_error:
            log.info("%s", reason)  # the status line says it; a bare warning would tear it
        stats.redis_ok = False
        stats.errors += 1
        stats.last_error = reason

    async def _trim_loop(self) -> None:
        """The age cap: XADD takes one cap, the length; entries older than ``max_age`` go
        here, in one round trip for every stream written to."""
        every = min(max(self.max_age / 10, 0.5), 10.0)
        while True:
            await asyncio.sleep(every)
            redis = self._redis
            if redis is None or not self._keys or not self.stats.redis_ok:
                continue
            try:
                # Stream ids are Redis's clock, not this host's: a host clock running ahead
                # by more than the cap would trim the fresh tape readers resume from.
                secs, micros = await redis.time()
                oldest = f"{int((secs + micros / 1e6 - self.max_age) * 1000)}-0"
                async with redis.pipeline(transaction=False) as pipe:
                    for stream, _, _ in self._keys.values():
                        pipe.xtrim(stream, minid=oldest, approximate=True)
                    await pipe.execute()
            except (rex.RedisError, OSError) as exc:
                self._redis_failed(exc)

    # -- the heartbeat -------------------------------------------------------------------
    def beat(self, exchange: str) -> CollectorBeat:
        feed = self.clients.get(exchange)
        if feed is None:
            fb = FeedBeat(state="idle")
        else:
            h = feed.health()
            fb = FeedBeat(h.state, h.last_error, h.latency_ms, h.reconnects, h.messages)
        return CollectorBeat(
            collector=self.id,
            host=socket.gethostname(),
            pid=os.getpid(),
            started=self.started,
            interval=self.beat_interval,
            exchange=exchange,
            feed=fb,
            markets=len(self.markets.get(exchange, ())),
            channels=tuple(self.channels),
            published=self.stats.published,
            demo=self.demo,
            rest_url=self.rest_urls.get(exchange, "") if self.demo else "",
            max_age=self.max_age,
        )

    async def _beat_loop(self) -> None:
        ttl_ms = int(self.beat_interval * BEAT_TTL_BEATS * 1000)
        while True:
            redis = self._redis
            if redis is not None:
                try:
                    async with redis.pipeline(transaction=False) as pipe:
                        for exchange in self.markets:
                            pipe.set(
                                self.layout.beat(exchange),
                                encode_beat(self.beat(exchange)),
                                px=ttl_ms,
                            )
                        await pipe.execute()
                except (rex.RedisError, OSError) as exc:
                    self._redis_failed(exc)
            await asyncio.sleep(self.beat_interval)

    def feeds(self) -> dict[str, Any]:
        """Each exchange's feed health, for status lines."""
        return {ex: feed.health() for ex, feed in self.clients.items()}
