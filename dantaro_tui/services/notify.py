"""Notifier: alerts delivered away from the terminal, through Apprise URLs.

:meth:`Notifier.submit` is called on the event loop by whoever raised the alert (the watch
service, the cockpit) and returns at once: it decides (cooldown, duplicate, hourly cap), and
queues one delivery per destination. Worker tasks hand each delivery to Apprise in a thread
of the notifier's own pool, with a timeout, because Apprise's senders block on the network:
a slow or dead receiver costs a thread, never the event loop, and never delays another
destination beyond the pool's size.

A failed delivery is retried with capped, jittered exponential backoff, up to
``NotifySettings.retries`` attempts; what still fails, and what overflows the bounded queue,
is counted in :meth:`health` and said in one sentence to :attr:`on_problem` (the watch
prints it, the cockpit logs it as a feed alert). Nothing is dropped without a count.

    notifier = Notifier(settings, demo=True)
    notifier.on_problem = print
    await notifier.start()
    notifier.submit(notice, rule)        # "queued", "cooldown", "duplicate", "capped", ...
    notifier.health()                    # NotifyHealth(delivered=1, failed=0, ...)
    await notifier.close()
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal

from dantaro_tui.services.notify_text import Notice, render
from dantaro_tui.services.watch_config import (
    Language,
    NotifySettings,
    WatchRule,
    redact,
    url_problem,
)

Verdict = Literal["queued", "shown", "cooldown", "duplicate", "capped", "overflow", "off"]
HOUR = 3600.0


@dataclass(frozen=True, slots=True)
class DestinationHealth:
    target: str  # the URL with its secrets elided
    delivered: int
    failed: int  # alerts given up after every attempt
    retrying: int  # deliveries waiting for their next attempt
    last_error: str
    down: bool  # the last attempt failed


@dataclass(frozen=True, slots=True)
class NotifyHealth:
    state: Literal["idle", "ok", "retrying", "failing", "off"]
    delivered: int
    failed: int
    retries: int  # attempts that failed and were tried again
    overflow: int  # deliveries refused because the queue was full
    queued: int
    in_flight: int
    cooldown: int  # alerts held back by a rule's cooldown
    duplicate: int
    capped: int  # held back by a rule's hourly cap
    unsent_at_exit: int
    last_error: str
    destinations: tuple[DestinationHealth, ...] = ()

    def summary(self) -> str:
        """One line: ``3 sent · 1 retrying · 2 failed (Telegram: timed out)``."""
        parts = [f"{self.delivered} sent"]
        if self.queued or self.in_flight:
            parts.append(f"{self.queued + self.in_flight} sending")
        retrying = sum(d.retrying for d in self.destinations)
        if retrying:
            parts.append(f"{retrying} retrying")
        if self.failed:
            parts.append(f"{self.failed} FAILED")
        if self.overflow:
            parts.append(f"{self.overflow} lost to a full queue")
        held = self.cooldown + self.duplicate + self.capped
        if held:
            parts.append(f"{held} held back (cooldown/duplicate/cap)")
        text = " · ".join(parts)
        return f"{text} ({self.last_error})" if self.last_error and self.state != "ok" else text


@dataclass(slots=True)
class _Destination:
    url: str
    shown: str
    apprise: Any = None
    delivered: int = 0
    failed: int = 0
    retrying: int = 0
    last_error: str = ""
    down: bool = False
    said_at: float = -1e9  # when a give-up was last said (at most one sentence a minute)
    unsaid: int = 0  # give-ups since, said with the next one


@dataclass(slots=True)
class _Job:
    notice: Notice
    dest: _Destination
    title: str
    body: str
    attempt: int = 1


@dataclass(slots=True)
class _RuleState:
    sent: deque[float] = field(default_factory=deque)  # accept times within the hour
    said_cap: bool = False


class Notifier:
    def __init__(
        self,
        settings: NotifySettings | None = None,
        *,
        language: Language | None = None,
        demo: bool = False,
        queue_size: int = 256,
        concurrency: int = 4,
        backoff_base: float = 1.0,
        backoff_max: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings or NotifySettings()
        self.language: Language = language or self.settings.resolved_language()
        self.demo = demo
        self.concurrency = concurrency
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.clock = clock
        self.enabled = True
        # Called with one sentence when a destination fails, gives up or recovers.
        self.on_problem: Callable[[str], None] | None = None
        # Called for every notice with its verdict (the watch's console, the tests).
        self.on_notice: Callable[[Notice, Verdict], None] | None = None
        self._queue: asyncio.Queue[_Job] = asyncio.Queue(queue_size)
        self._dests: dict[str, _Destination] = {}
        self._rules: dict[str, _RuleState] = {}
        self._last_sent: dict[tuple[str, str], float] = {}  # (rule, market) -> accept time
        self._recent: dict[tuple[str, str, str, float], float] = {}  # dedupe key -> time
        self._down_said: set[tuple[str, str]] = set()  # feed rules whose "down" went out
        self._workers: list[asyncio.Task[None]] = []
        self._timers: set[asyncio.TimerHandle] = set()
        self._executor: ThreadPoolExecutor | None = None
        self._in_flight = 0
        self.latencies: deque[float] = deque(maxlen=2000)  # trigger -> delivered, seconds
        self.counts = {"cooldown": 0, "duplicate": 0, "capped": 0, "overflow": 0, "retries": 0}
        self._unsent_at_exit = 0
        self._last_error = ""

    # -- lifecycle ---------------------------------------------------------------------------
    async def start(self) -> None:
        if self._workers:
            return
        # Our own pool: a receiver that hangs holds these threads, not the loop's default
        # executor (which DNS lookups and file reads elsewhere need).
        self._executor = ThreadPoolExecutor(self.concurrency, thread_name_prefix="notify")
        self._workers = [asyncio.create_task(self._work()) for _ in range(self.concurrency)]

    async def close(self, drain_s: float = 5.0) -> None:
        """Deliver what is queued for up to ``drain_s`` seconds, then stop; what is left is
        counted in ``unsent_at_exit``."""
        if self._workers and drain_s > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._queue.join(), drain_s)
        for handle in self._timers:
            handle.cancel()
        left = len(self._timers) + self._queue.qsize() + self._in_flight
        self._timers.clear()
        for task in self._workers:
            task.cancel()
        for task in self._workers:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._workers = []
        while not self._queue.empty():
            self._queue.get_nowait()
        self._unsent_at_exit += left
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    # -- deciding ----------------------------------------------------------------------------
    def targets(self, rule: WatchRule) -> tuple[str, ...]:
        return rule.urls or self.settings.urls

    def submit(self, notice: Notice, rule: WatchRule) -> Verdict:
        """Decide about ``notice`` now and queue its deliveries; never blocks."""
        verdict = self._decide(notice, rule)
        if verdict == "queued":
            urls = self.targets(rule)
            if not urls:
                verdict = "shown"
            else:
                title, body = render(notice, self.language)
                for url in urls:
                    if not self._enqueue(_Job(notice, self._destination(url), title, body)):
                        verdict = "overflow"
        if self.on_notice is not None:
            self.on_notice(notice, verdict)
        return verdict

    def _decide(self, notice: Notice, rule: WatchRule) -> Verdict:
        if not self.enabled:
            return "off"
        now = self.clock()
        key = (rule.name, notice.market)
        if notice.kind == "feed_up":
            # A recovery is said exactly when its "down" was: never alone, never dropped.
            if key not in self._down_said:
                return "cooldown"
            self._down_said.discard(key)
            return "queued"
        cooldown = self.settings.cooldown_s if rule.cooldown_s is None else rule.cooldown_s
        last = self._last_sent.get(key)
        if last is not None and now - last < cooldown:
            self.counts["cooldown"] += 1
            return "cooldown"
        dedupe = notice.dedupe_key
        seen = self._recent.get(dedupe)
        if notice.kind != "feed_down" and seen is not None and now - seen < self.settings.dedupe_s:
            self.counts["duplicate"] += 1
            return "duplicate"
        cap = self.settings.max_per_hour if rule.max_per_hour is None else rule.max_per_hour
        state = self._rules.setdefault(rule.name, _RuleState())
        while state.sent and now - state.sent[0] >= HOUR:
            state.sent.popleft()
        if cap and len(state.sent) >= cap:
            self.counts["capped"] += 1
            if not state.said_cap:
                state.said_cap = True
                self._problem(
                    f"alert rule '{rule.name}' reached its cap of {cap} an hour; "
                    "more are held back (counted) until the hour rolls on"
                )
            return "capped"
        state.said_cap = False
        state.sent.append(now)
        self._last_sent[key] = now
        self._recent[dedupe] = now
        if len(self._recent) > 10_000:  # forget the oldest half: a day of a busy market
            for k in sorted(self._recent, key=self._recent.__getitem__)[:5000]:
                del self._recent[k]
        if notice.kind == "feed_down":
            self._down_said.add(key)
        return "queued"

    # -- delivering --------------------------------------------------------------------------
    def _destination(self, url: str) -> _Destination:
        dest = self._dests.get(url)
        if dest is None:
            dest = self._dests[url] = _Destination(url, redact(url))
        return dest

    def _enqueue(self, job: _Job) -> bool:
        try:
            self._queue.put_nowait(job)
        except asyncio.QueueFull:
            self.counts["overflow"] += 1
            self._problem(
                f"alert to {job.dest.shown} not sent: {self._queue.maxsize} deliveries are "
                "already waiting (counted in health)"
            )
            return False
        return True

    async def _work(self) -> None:
        while True:
            job = await self._queue.get()
            self._in_flight += 1
            try:
                await self._deliver(job)
            finally:
                self._in_flight -= 1
                self._queue.task_done()

    async def _deliver(self, job: _Job) -> None:
        dest = job.dest
        error = ""
        try:
            ok, error = await asyncio.wait_for(
                asyncio.get_running_loop().run_in_executor(self._executor, self._send, job),
                self.settings.timeout_s + 1.0,
            )
        except TimeoutError:
            ok, error = False, f"no answer within {self.settings.timeout_s:g} s"
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a sender's bug costs this attempt, not the worker
            ok, error = False, f"{type(exc).__name__}: {exc}"
        if ok:
            dest.delivered += 1
            self.latencies.append(time.monotonic() - job.notice.created)
            if dest.down:
                dest.down = False
                self._problem(f"alerts reach {dest.shown} again")
            return
        dest.last_error = error
        self._last_error = f"{dest.shown}: {error}"
        first_failure = not dest.down
        dest.down = True
        if job.attempt >= self.settings.retries:
            dest.failed += 1
            now = time.monotonic()
            if now - dest.said_at < 60.0:
                dest.unsaid += 1  # a dead receiver fails every alert: one line a minute
                return
            more = f" (and {dest.unsaid} more since the last note)" if dest.unsaid else ""
            dest.said_at, dest.unsaid = now, 0
            self._problem(
                f"alert '{job.title}' to {dest.shown} given up after {job.attempt} tries"
                f"{more}: {error}"
            )
            return
        self.counts["retries"] += 1
        delay = min(self.backoff_max, self.backoff_base * 2 ** (job.attempt - 1))
        delay *= random.uniform(0.5, 1.0)  # full jitter would retry at once half the time
        if first_failure:
            self._problem(f"alerts to {dest.shown} are failing ({error}); retrying with backoff")
        job.attempt += 1
        dest.retrying += 1
        loop = asyncio.get_running_loop()
        handle: asyncio.TimerHandle

        def again() -> None:
            self._timers.discard(handle)
            dest.retrying -= 1
            self._enqueue(job)  # a full queue counts it as overflow and says so

        handle = loop.call_later(delay, again)
        self._timers.add(handle)

    def _send(self, job: _Job) -> tuple[bool, str]:
        """In a pool thread: one Apprise delivery; (delivered, why not)."""
        dest = job.dest
        if dest.apprise is None:
            import apprise

            problem = url_problem(dest.url)  # also silences Apprise's own logging
            if problem:
                return False, problem
            obj = apprise.Apprise()
            obj.add(dest.url)
            # The senders' own socket timeouts (4 s by default) bound how long a receiver
            # that hangs holds this pool thread: no longer than our timeout.
            for sender in obj:
                for attr in ("socket_connect_timeout", "socket_read_timeout"):
                    if isinstance(getattr(sender, attr, None), int | float):
                        setattr(sender, attr, min(getattr(sender, attr), self.settings.timeout_s))
            dest.apprise = obj
        started = time.monotonic()
        result = dest.apprise.notify(body=job.body, title=job.title)
        if result:
            return True, ""
        if time.monotonic() - started >= self.settings.timeout_s * 0.9:
            # Apprise says "a connection error" for a read that timed out: say what it was.
            return False, f"no answer within {self.settings.timeout_s:g} s"
        reasons = [str(e.message) for e in result.logs() if getattr(e, "message", "")]
        return False, (reasons[-1] if reasons else "the receiver refused it")[:200]

    def _problem(self, text: str) -> None:
        if self.on_problem is not None:
            self.on_problem(text)

    # -- health ------------------------------------------------------------------------------
    def health(self) -> NotifyHealth:
        dests = tuple(
            DestinationHealth(d.shown, d.delivered, d.failed, d.retrying, d.last_error, d.down)
            for d in self._dests.values()
        )
        delivered = sum(d.delivered for d in dests)
        failed = sum(d.failed for d in dests)
        if not self.enabled:
            state: Literal["idle", "ok", "retrying", "failing", "off"] = "off"
        elif any(d.down and d.retrying for d in dests):
            state = "retrying"
        elif any(d.down for d in dests):
            state = "failing"
        elif delivered or self._queue.qsize() or self._in_flight:
            state = "ok"
        else:
            state = "idle"
        return NotifyHealth(
            state=state,
            delivered=delivered,
            failed=failed,
            retries=self.counts["retries"],
            overflow=self.counts["overflow"],
            queued=self._queue.qsize(),
            in_flight=self._in_flight,
            cooldown=self.counts["cooldown"],
            duplicate=self.counts["duplicate"],
            capped=self.counts["capped"],
            unsent_at_exit=self._unsent_at_exit,
            last_error=self._last_error,
            destinations=dests,
        )
