"""The bank USD/KRW rate: a fixed number from the settings, or a JSON URL polled.

The kimchi premium's headline is measured against this rate (the tether rate, USDT/KRW on
each Korean venue, comes from the market feeds). Where it comes from is the trader's
choice (``[premium] bank_rate``, see ``services/premium_config.py``); the demo points it at
the simulator's ``/fx/usdkrw``.

A fetched rate is only handed out while it is recent (``max_age``, by default five polling
intervals): a source that stopped answering makes the rate ``None`` and the headline a
dash, never an old rate as if it were today's. A reply that is not a believable USD/KRW
rate is refused, counted in :attr:`BankRate.errors` and said in :attr:`BankRate.last_error`.

    bank = BankRate(url="https://example.org/usdkrw.json", field="rates.KRW")
    await bank.start()
    bank.reading()   # BankReading(rate=1380.5, source="example.org", age=3.2) | None
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import orjson

log = logging.getLogger(__name__)

# KRW per USD has stayed within 700-2,000 for decades; outside this band a number is a
# different quote (KRW per 100 JPY, USD per KRW) or a typo, not the rate.
PLAUSIBLE = (500.0, 5000.0)
# Where common FX APIs keep the rate, tried in order when no field is configured.
FIELDS = ("rate", "rates.KRW", "KRW", "usdkrw", "USDKRW", "conversion_rates.KRW")
DEFAULT_EVERY_S = 300.0


class FxError(Exception):
    """The rate could not be read: ``str(exc)`` says why in one sentence."""


def rate_problem(rate: float) -> str:
    """Empty when ``rate`` is a believable KRW-per-USD rate, else why not."""
    if not math.isfinite(rate) or rate <= 0.0:
        return f"{rate!r} is not a positive number"
    low, high = PLAUSIBLE
    if not low <= rate <= high:
        return f"{rate:g} is not a USD/KRW rate (expected {low:,.0f}-{high:,.0f} KRW per USD)"
    return ""


def _dig(doc: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(doc, dict) or part not in doc:
            return None
        doc = doc[part]
    return doc


def extract_rate(body: bytes, field: str = "") -> float:
    """The rate in a JSON reply: at ``field`` (dotted path), or a bare number, or at the
    first of :data:`FIELDS` present. FxError otherwise."""
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise FxError("the reply is not JSON") from None
    paths = (field,) if field else FIELDS
    value: Any = doc if isinstance(doc, int | float) and not field else None
    for path in paths:
        if value is not None:
            break
        value = _dig(doc, path)
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            value = float(value.replace(",", ""))
    if isinstance(value, bool) or not isinstance(value, int | float):
        where = f"field {field!r}" if field else "any of " + ", ".join(FIELDS)
        raise FxError(f"no rate at {where} in the reply")
    rate = float(value)
    problem = rate_problem(rate)
    if problem:
        raise FxError(problem)
    return rate


@dataclass(frozen=True, slots=True)
class BankReading:
    rate: float
    source: str  # "fixed", "simulator" or the URL's host
    age: float  # seconds since it was read (0 for a fixed rate)


class BankRate:
    """The bank rate of one app. With neither ``fixed`` nor ``url``, there is none."""

    def __init__(
        self,
        fixed: float | None = None,
        url: str = "",
        *,
        field: str = "",
        every: float = DEFAULT_EVERY_S,
        max_age: float | None = None,
        timeout: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.fixed = fixed
        self.url = url
        self.field = field
        self.every = max(1.0, every)
        self._max_age = max_age
        self.timeout = timeout
        self.clock = clock
        self.label = "fixed" if fixed is not None else _host(url)
        self._rate: float | None = None
        self._at = 0.0
        self.errors = 0
        self.last_error = ""
        self.fetches = 0
        self._task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None

    @property
    def max_age(self) -> float:
        return self._max_age if self._max_age is not None else 5.0 * self.every

    @property
    def configured(self) -> bool:
        return self.fixed is not None or bool(self.url)

    def describe(self) -> str:
        """Where the rate comes from, in words."""
        if self.fixed is not None:
            return "fixed in the settings"
        if self.url:
            return f"{self.label}, every {self.every:g} s"
        return "not set ([premium] bank_rate in the settings)"

    async def point_at(self, url: str, *, every: float | None = None, label: str = "") -> None:
        """Read the rate from ``url`` from now on (the demo: the simulator's)."""
        await self.close()
        self.fixed, self.url = None, url
        self.label = label or _host(url)
        if every is not None:
            self.every = max(1.0, every)
        self._rate, self._at = None, 0.0
        await self.start()

    async def start(self) -> None:
        if self.url and self._task is None:
            self._task = asyncio.create_task(self._poll(), name="bank-rate")

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    def reading(self) -> BankReading | None:
        if self.fixed is not None:
            return BankReading(self.fixed, "fixed", 0.0)
        if self._rate is None:
            return None
        age = self.clock() - self._at
        if age > self.max_age:
            return None
        return BankReading(self._rate, self.label, max(0.0, age))

    def rate(self) -> float | None:
        reading = self.reading()
        return None if reading is None else reading.rate

    async def fetch_once(self) -> float:
        """Read the URL now; the rate, or FxError (counted, and kept as ``last_error``)."""
        try:
            rate = await self._fetch()
        except FxError as exc:
            self.errors += 1
            self.last_error = f"bank rate from {self.label}: {exc}"
            log.info("%s", self.last_error)
            raise
        self._rate, self._at = rate, self.clock()
        self.fetches += 1
        self.last_error = ""
        return rate

    async def _fetch(self) -> float:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        try:
            async with self._session.get(self.url) as resp:
                if resp.status != 200:
                    raise FxError(f"HTTP {resp.status}")
                body = await resp.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise FxError(f"cannot reach it ({type(exc).__name__})") from None
        return extract_rate(body, self.field)

    async def _poll(self) -> None:
        while True:
            try:
                await self.fetch_once()
                delay = self.every
            except FxError:
                delay = min(self.every, 15.0)  # try again soon, without hammering
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the poller must outlive any one bad reply
                self.errors += 1
                self.last_error = f"bank rate from {self.label}: {type(exc).__name__}"
                log.exception("bank rate poll failed")
                delay = min(self.every, 15.0)
            await asyncio.sleep(delay)


def _host(url: str) -> str:
    if not url:
        return ""
    return urlsplit(url).hostname or url
