"""AccountClient: the account's REST calls (balances, orders, fees), signed per request.

Every call signs a fresh JWT per attempt (new nonce; ``query_hash`` over the same ordered
pairs the URL is built from) and waits for the account's rate-limit group (30/s default;
counted per key pair, as Upbit counts per account). ``HttpClient.request`` does the HTTP:
``Remaining-Req``, retries, bans, and errors raised ``from None`` so an aiohttp error never
carries the ``Authorization`` header into a traceback. A refused key names the missing
permission.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

from dantaro_tui.credentials import Credentials
from dantaro_tui.exchanges import bithumb_account_rest, bithumb_private
from dantaro_tui.exchanges import upbit_account_rest as api
from dantaro_tui.exchanges.base import RateLimit
from dantaro_tui.exchanges.upbit import UpbitApiError
from dantaro_tui.exchanges.upbit_private import authorization, query_string
from dantaro_tui.feed.hub import FeedHub
from dantaro_tui.feed.ratelimit import RateLimiter, shared_limiter
from dantaro_tui.feed.rest import HttpClient, RestError
from dantaro_tui.model import Status


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


def _budget(credentials: Credentials, group: str, groups: dict[str, RateLimit]) -> RateLimiter:
    # Counted per key pair, as the exchange counts per account; one budget shared by
    # several groups (Bithumb) is one limiter.
    name = next(g for g, limit in groups.items() if limit is groups[group])
    return shared_limiter((credentials.exchange, credentials.key_id, name), [groups[group]])


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
        self._http = HttpClient(self.exchange, rest_url, timeout=timeout, hub=hub)
        self.base_url = self._http.base_url
        self.rejected: list[Status] = []  # rows left out of the last replies, in words

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
        await self._http.close()

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
        status, body = await self._http.request(
            group,
            url,
            _budget(self.credentials, group, self._dialect.groups),
            # A fresh token per attempt: a retried nonce is refused.
            headers=lambda: self._dialect.authorization(self.credentials, query or None),
        )
        if status >= 400:
            raise RestError(self._explain(body, path, status), status) from None
        return body

    def _explain(self, body: bytes, path: str, status: int) -> str:
        err = api.is_error(body)
        if err is None:
            if status == 429:
                return f"{self.exchange} is rate-limiting account requests; try again shortly"
            return f"{self.exchange} refused {path} (HTTP {status})"
        return self._dialect.explain_error(err, path)

    def __repr__(self) -> str:
        return f"AccountClient({self.credentials!r})"


__all__ = ["AccountClient", "RestError", "UpbitApiError"]
