"""Where each exchange is reached: explicit argument, then the hub's override (``--demo``
points every client of the app's hub at the built-in simulator), then
``DANTARO_<EXCHANGE>_WS_URL`` / ``DANTARO_<EXCHANGE>_REST_URL``, then the exchange's
default. Pure functions: the overrides belong to a ``FeedHub``, not to the process."""

from __future__ import annotations

import os
from collections.abc import Mapping

from dantaro_tui.exchanges import codec_class

Overrides = Mapping[str, Mapping[str, str]]  # exchange -> {"ws": url, "rest": url}


def resolve(exchange: str, kind: str, explicit: str | None, overrides: Overrides) -> str:
    if explicit:
        return explicit
    exchange = exchange.lower()
    if url := overrides.get(exchange, {}).get(kind):
        return url
    if url := os.environ.get(f"DANTARO_{exchange.upper()}_{kind.upper()}_URL"):
        return url
    codec = codec_class(exchange)
    return codec.default_ws_url if kind == "ws" else codec.default_rest_url


def ws_url(exchange: str, explicit: str | None = None, overrides: Overrides | None = None) -> str:
    return resolve(exchange, "ws", explicit, overrides or {})


def rest_url(exchange: str, explicit: str | None = None, overrides: Overrides | None = None) -> str:
    return resolve(exchange, "rest", explicit, overrides or {}).rstrip("/")
