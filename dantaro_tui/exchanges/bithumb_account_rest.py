"""Bithumb's account REST API, sans-I/O: Upbit's (``upbit_account_rest.py``) with what
Bithumb does differently.

The same calls, rows and parsers (``/v1/accounts``, ``/v1/orders/chance``, ``/v1/order``;
numbers as strings), signed with Bithumb's token (``bithumb_private.authorization``). What
differs:

* orders are listed by ``GET /v1/orders`` with ``state`` (one) or ``states[]`` (several, open
  and closed never mixed), ``page`` and ``limit`` up to 100, where Upbit has
  ``/v1/orders/open`` and ``/v1/orders/closed``;
* one budget of 140 private requests a second (Bithumb's quick-start guide), not Upbit's
  per-group limits; no ``Remaining-Req`` header;
* its error names: ``expired_jwt`` (the token's ``timestamp`` is too old or too new),
  ``NotAllowIP``, ``jwt_verification`` also for an unknown key, ``out_of_scope``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from dantaro_tui.exchanges import upbit_account_rest
from dantaro_tui.exchanges.base import RateLimit
from dantaro_tui.exchanges.upbit import UpbitApiError
from dantaro_tui.exchanges.upbit_account_rest import (
    ASSETS,
    ORDERS,
    Request,
    accounts_request,
    chance_request,
    is_error,
    order_listing,
    order_request,
    parse_accounts,
    parse_chance,
    parse_order,
    parse_orders,
)

__all__ = [
    "GROUPS",
    "PERMISSION_OF_PATH",
    "accounts_request",
    "chance_request",
    "closed_orders_request",
    "explain_error",
    "is_error",
    "open_orders_request",
    "order_request",
    "parse_accounts",
    "parse_chance",
    "parse_order",
    "parse_orders",
]

MAX_LIMIT = 100
PRIVATE_PER_S = 140
# One budget for every private call; the group names are Upbit's so callers need not care.
_PRIVATE = RateLimit(PRIVATE_PER_S, 1.0)
GROUPS: dict[str, RateLimit] = {"default": _PRIVATE, "order": _PRIVATE}
PERMISSION_OF_PATH = {
    "/v1/accounts": ASSETS,
    "/v1/orders/chance": ORDERS,
    "/v1/order": ORDERS,
    "/v1/orders": ORDERS,
}
# Bithumb pages its one listing: the first page, newest first with the default order_by.
_PAGE = (("page", "1"),)


def open_orders_request(
    market: str | None = None,
    states: Iterable[str] = ("wait", "watch"),
    *,
    limit: int = MAX_LIMIT,
    order_by: Literal["asc", "desc"] = "desc",
) -> Request:
    return order_listing("/v1/orders", market, states, limit, order_by, most=MAX_LIMIT, page=_PAGE)


def closed_orders_request(
    market: str | None = None,
    states: Iterable[str] = ("done", "cancel"),
    *,
    limit: int = MAX_LIMIT,
    order_by: Literal["asc", "desc"] = "desc",
) -> Request:
    return order_listing("/v1/orders", market, states, limit, order_by, most=MAX_LIMIT, page=_PAGE)


_AUTH_WORDS = {
    "jwt_verification": "Bithumb refused the token: the access key is unknown, or the secret "
    "key does not belong to it",
    "expired_jwt": "Bithumb refused the token as expired: check this computer's clock",
    "invalid_query_payload": "Bithumb refused the token's payload (its query_hash does not "
    "match the request)",
    "NotAllowIP": "this computer's IP address is not allowed for this API key",
}


def explain_error(exc: UpbitApiError, path: str) -> str:
    """One sentence for an account call's error; a missing permission is named."""
    return upbit_account_rest.explain_error(exc, path, PERMISSION_OF_PATH, _AUTH_WORDS, "Bithumb")
