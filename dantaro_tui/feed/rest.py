"""REST for market data (aiohttp): same endpoint rules as the WebSocket side, the exchange's
rate-limit groups shared process-wide, Upbit's ``Remaining-Req`` header respected, 429
answered with backoff, and every failure turned into a sentence a trader can read.

Exchange specifics (paths, params, body parsers) live in ``rest_<venue>`` adapters so
this module stays about HTTP.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import aiohttp

from dantaro_tui.exchanges.base import RateLimit
from dantaro_tui.feed.ratelimit import RateLimiter, shared_limiter

if TYPE_CHECKING:
    from dantaro_tui.feed.hub import FeedHub

MAX_RETRIES = 3
DEFAULT_GROUP_LIMIT = RateLimit(10, 1.0)  # Upbit: 10/s per quotation group


class RestError(Exception):
    """A REST call failed; ``message`` says why in plain words."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def parse_remaining_req(header: str) -> dict[str, str]:
    """``group=market; min=1800; sec=29`` -> {"group": "market", "min": "1800", "sec": "29"}."""
    out: dict[str, str] = {}
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key:
            out[key] = value.strip()
    return out


MAX_429_WAIT_S = 300.0  # rate windows are a minute or so; bans (418) are another matter
MAX_RETRY_WAIT_S = 10.0  # a 429's Retry-After up to this is waited out; longer is said
BAN_DEFAULT_S = 120.0  # an HTTP 418 without Retry-After: Binance's shortest ban


def _retry_after(header: str | None, default: float) -> float:
    """Seconds a ``Retry-After`` header asks for (1 s to 3 days); ``default`` when absent
    or not a number of seconds."""
    try:
        seconds = float(header) if header else default
    except ValueError:
        seconds = default
    return min(max(seconds, 1.0), 3 * 86_400.0) if seconds == seconds else default


class HttpClient:
    """GETs JSON with rate limits and retries; one aiohttp session per client."""

    def __init__(
        self,
        exchange: str,
        rest_url: str | None = None,
        *,
        group_limit: RateLimit = DEFAULT_GROUP_LIMIT,
        timeout: float = 10.0,
        hub: FeedHub | None = None,
    ) -> None:
        self.exchange = exchange.lower()
        if hub is None:
            from dantaro_tui.feed.hub import default_hub  # the hub imports this module

            hub = default_hub()
        self.base_url = hub.rest_url(self.exchange, rest_url)
        self.group_limit = group_limit
        self.timeout = timeout
        self._session: aiohttp.ClientSession | None = None
        self._paused_until: dict[str, float] = {}
        self._banned_until: dict[str, float] = {}  # group -> end of an HTTP 418 ban
        self.requests = 0
        self.retries = 0

    async def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            # No Origin header: Upbit limits requests carrying one to 1 per 10 s.
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.timeout),
                headers={"Accept": "application/json"},
            )
        return self._session

    async def get(self, group: str, path: str, params: Mapping[str, Any] | None = None) -> bytes:
        """The body of a GET (4xx bodies too: the adapter turns the exchange's error body
        into words)."""
        clean = {k: str(v) for k, v in (params or {}).items() if v is not None}
        limiter = shared_limiter((self.exchange, group), [self.group_limit])
        return (await self.request(group, f"{self.base_url}{path}", limiter, params=clean))[1]

    async def request(
        self,
        group: str,
        url: str,
        limiter: RateLimiter,
        headers: Callable[[], Mapping[str, str]] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> tuple[int, bytes]:
        """GETs ``url`` within ``limiter``'s budget: (status, body). Retries 429, 5xx and a
        lost connection with backoff; an HTTP 418 ban holds every later request of the
        group until it ends. ``headers`` is asked again for each attempt (a signed request
        needs a fresh nonce). Failures are ``RestError``, raised ``from None``: an aiohttp
        error's request information could carry an ``Authorization`` header into a
        traceback."""
        session = await self._get_session()
        for attempt in range(MAX_RETRIES + 1):
            banned = self._banned_until.get(group, 0.0) - time.monotonic()
            if banned > 0:  # asking during a ban prolongs it: not one request until it ends
                raise RestError(
                    f"{self.exchange} has temporarily blocked this IP for too many requests; "
                    f"asking again in {banned:.0f} s",
                    418,
                )
            pause = self._paused_until.get(group, 0.0) - time.monotonic()
            if pause > MAX_RETRY_WAIT_S:  # a long Retry-After: said, not slept through
                raise RestError(
                    f"{self.exchange} is rate-limiting requests; asking again in {pause:.0f} s",
                    429,
                )
            if pause > 0:
                await asyncio.sleep(pause)
            await limiter.acquire()
            self.requests += 1
            try:
                # The headers are made in the call: no local of this frame holds a token.
                async with session.get(
                    url, params=params, headers=headers() if headers is not None else None
                ) as resp:
                    body = await resp.read()
                    self._note_remaining(group, resp.headers.get("Remaining-Req"))
                    status = resp.status
                    retry_after = resp.headers.get("Retry-After")
            except TimeoutError:  # before OSError, of which it is a subclass
                wait = f"{self.timeout:.0f}s"
                raise RestError(f"{self.exchange} did not answer within {wait}") from None
            except (aiohttp.ClientError, OSError) as exc:
                if attempt < MAX_RETRIES:
                    self.retries += 1
                    await asyncio.sleep(random.uniform(0.2, 0.5) * 2**attempt)
                    continue
                raise RestError(
                    f"cannot reach {self.exchange} at {self.base_url} ({type(exc).__name__}); "
                    "check the network, or run with --demo"
                ) from None
            if status == 429:
                # Asking on after a 429 is what earns a ban (Binance: HTTP 418): the whole
                # group waits as long as the exchange said, and a long wait is not slept
                # through here but said.
                hold = _retry_after(retry_after, random.uniform(0.5, 1.0) * 2**attempt)
                hold = min(hold, MAX_429_WAIT_S)  # a rate window, never days (a bad header)
                self._paused_until[group] = time.monotonic() + hold
                if attempt < MAX_RETRIES and hold <= MAX_RETRY_WAIT_S:
                    self.retries += 1
                    continue  # the pause is slept at the top of the loop
                raise RestError(
                    f"{self.exchange} is rate-limiting requests; asking again in {hold:.0f} s",
                    429,
                )
            if status == 418:
                ban = _retry_after(retry_after, BAN_DEFAULT_S)
                self._banned_until[group] = time.monotonic() + ban
                raise RestError(
                    f"{self.exchange} has temporarily blocked this IP for too many requests; "
                    "wait a few minutes",
                    418,
                )
            if status >= 500 and attempt < MAX_RETRIES:
                self.retries += 1
                await asyncio.sleep(random.uniform(0.2, 0.5) * 2**attempt)
                continue
            return status, body
        raise RestError(f"{self.exchange}: request failed after {MAX_RETRIES} retries")

    def blocked_until(self, group: str) -> float:
        """When (monotonic) ``group`` may ask again: the end of an HTTP 418 ban or of a
        429's Retry-After; 0.0 or the past if it may now."""
        return max(self._banned_until.get(group, 0.0), self._paused_until.get(group, 0.0))

    def _note_remaining(self, group: str, header: str | None) -> None:
        if not header:
            return
        sec = parse_remaining_req(header).get("sec")
        if sec is not None and sec.isdigit() and int(sec) <= 0:
            # The group's budget for this second is spent: wait for the next one.
            self._paused_until[group] = time.monotonic() + 1.0

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
