"""AccountClient: the account's REST calls (balances, orders, fees), signed per request.

Every call signs a fresh JWT (new nonce; ``query_hash`` over the same ordered pairs the URL is
built from), waits for the account's rate-limit group (30/s default; counted per key pair,
as Upbit counts per account), respects ``Remaining-Req`` and retries a 429 with backoff.
Failures are ``RestError`` with one sentence; a refused key names the missing permission.
Exceptions are raised ``from None``: an aiohttp error's request information would carry the
``Authorization`` header into a traceback.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

import aiohttp

from dantaro_tui.credentials import Credentials
from dantaro_tui.exchanges import bithumb_account_rest, bithumb_private
from dantaro_tui.exchanges import upbit_account_rest as api
from dantaro_tui.exchanges.base import RateLimit
from dantaro_tui.exchanges.upbit import UpbitApiError
from dantaro_tui.exchanges.upbit_private import authorization, query_string
from dantaro_tui.feed.hub import FeedHub, default_hub
from dantaro_tui.feed.ratelimit import RateLimiter
from dantaro_tui.feed.rest import MAX_RETRIES, RestError, parse_remaining_req
from dantaro_tui.model import Status

_LIMITERS: dict[tuple[str, str, int], RateLimiter] = {}


@dataclass(frozen=True)
class _Dialect:
    """What an exchange of Upbit's API family does its own way: see the modules named."""

    groups: dict[str, RateLimit]
    open_orders: Callable[..., api.Request]
    closed_orders: Callable[..., api.Request]
    explain_error: Callable[[UpbitApiError, str], str]
    authorization: Callable[[Credentials, str | None], dict[str, str]]


_DIALECTS = {
    "upbit": _Dialect(
        api.GROUPS,
        api.open_orders_request,
        api.closed_orders_request,
        api.explain_error,
        authorization,
    ),
    "bithumb": _Dialect(
        bithumb_account_rest.GROUPS,
        bithumb_account_rest.open_orders_request,
        bithumb_account_rest.closed_orders_request,
        bithumb_account_rest.explain_error,
        bithumb_private.authorization,
    ),
}


def _limiter(credentials: Credentials, group: str, groups: dict[str, RateLimit]) -> RateLimiter:
    # One budget shared by several groups (Bithumb) is one limiter.
    name = next(g for g, limit in groups.items() if limit is groups[group])
    key = (credentials.key_id, name, id(asyncio.get_running_loop()))
    limiter = _LIMITERS.get(key)
    if limiter is None:
        for old in [k for k in _LIMITERS if k[2] != key[2]]:
            del _LIMITERS[old]  # limiters of a loop that is gone
        limiter = _LIMITERS[key] = RateLimiter([groups[group]], margin=0.2)
    return limiter


class AccountClient:
    """Read-only account calls for one key pair (Upbit or Bithumb)."""

    def __init__(
        self,
        credentials: Credentials,
        *,
        rest_url: str | None = None,
        hub: FeedHub | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.credentials = credentials
        self.exchange = credentials.exchange
        if self.exchange not in _DIALECTS:
            known = ", ".join(sorted(_DIALECTS))
            raise ValueError(f"no account API for {self.exchange} (supported: {known})")
        self._dialect = _DIALECTS[self.exchange]
        self.base_url = (hub or default_hub()).rest_url(self.exchange, rest_url)
        self.timeout = timeout
        self.rejected: list[Status] = []  # rows left out of the last replies, in words
        self._session: aiohttp.ClientSession | None = None
        self._paused_until: dict[str, float] = {}

    async def accounts(self) -> list[api.Balance]:
        return api.parse_accounts(await self._get("default", api.accounts_request()), self.rejected)

    async def open_orders(self, market: str | None = None, limit: int = 100) -> list[api.OrderRow]:
        body = await self._get("default", self._dialect.open_orders(market, limit=limit))
        return api.parse_orders(body, self.rejected)

    async def closed_orders(
        self, market: str | None = None, limit: int = 100
    ) -> list[api.OrderRow]:
        body = await self._get("default", self._dialect.closed_orders(market, limit=limit))
        return api.parse_orders(body, self.rejected)

    async def order(self, uuid: str) -> api.OrderRow:
        return api.parse_order(await self._get("default", api.order_request(uuid)))

    async def chance(self, market: str) -> api.OrderChance:
        return api.parse_chance(await self._get("default", api.chance_request(market)))

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> AccountClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- HTTP ---------------------------------------------------------------------------
    async def _get(self, group: str, request: api.Request) -> bytes:
        path, params = request
        query = query_string(params)
        # The URL's query is written from the same pairs, percent-encoded; the exchange
        # decodes it back to the string that was hashed.
        url = f"{self.base_url}{path}" + (
            "?" + "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in params)
            if params
            else ""
        )
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.timeout),
                headers={"Accept": "application/json"},
            )
        session = self._session
        limiter = _limiter(self.credentials, group, self._dialect.groups)
        for attempt in range(MAX_RETRIES + 1):
            pause = self._paused_until.get(group, 0.0) - time.monotonic()
            if pause > 0:
                await asyncio.sleep(pause)
            await limiter.acquire()
            try:
                # A fresh token per attempt (a retried nonce is refused), made in the call:
                # no local of this frame holds it for a traceback to print.
                async with session.get(
                    url, headers=self._dialect.authorization(self.credentials, query or None)
                ) as resp:
                    body = await resp.read()
                    self._note_remaining(group, resp.headers.get("Remaining-Req"))
                    status = resp.status
            except TimeoutError:  # before OSError, of which it is a subclass
                wait = f"{self.timeout:.0f}s"
                raise RestError(f"{self.exchange} did not answer within {wait}") from None
            except (aiohttp.ClientError, OSError):
                if attempt < MAX_RETRIES:
                    await asyncio.sleep(random.uniform(0.2, 0.5) * 2**attempt)
                    continue
                raise RestError(
                    f"cannot reach {self.exchange} at {self.base_url}: check the network"
                ) from None
            if status == 429 and attempt < MAX_RETRIES:
                await asyncio.sleep(random.uniform(0.5, 1.0) * 2**attempt)
                continue
            if status >= 500 and attempt < MAX_RETRIES:
                await asyncio.sleep(random.uniform(0.2, 0.5) * 2**attempt)
                continue
            if status >= 400:
                raise RestError(self._explain(body, path, status), status) from None
            return body
        raise RestError(f"{self.exchange}: {path} failed after {MAX_RETRIES} retries")

    def _explain(self, body: bytes, path: str, status: int) -> str:
        err = api.is_error(body)
        if err is None:
            if status == 429:
                return f"{self.exchange} is rate-limiting account requests; try again shortly"
            return f"{self.exchange} refused {path} (HTTP {status})"
        return self._dialect.explain_error(err, path)

    def _note_remaining(self, group: str, header: str | None) -> None:
        if not header:
            return
        sec = parse_remaining_req(header).get("sec")
        if sec is not None and sec.isdigit() and int(sec) <= 0:
            self._paused_until[group] = time.monotonic() + 1.0

    def __repr__(self) -> str:
        return f"AccountClient({self.credentials!r})"


__all__ = ["AccountClient", "RestError", "UpbitApiError"]
