"""Where each exchange is reached: explicit argument, then process override (``--demo``
points every client at the built-in simulator), then ``DANTARO_<EXCHANGE>_WS_URL`` /
``DANTARO_<EXCHANGE>_REST_URL``, then the exchange's default."""

from __future__ import annotations

import os

from dantaro_tui.exchanges import codec_class

_OVERRIDES: dict[str, dict[str, str]] = {}


def set_override(exchange: str, *, ws: str | None = None, rest: str | None = None) -> None:
    entry = _OVERRIDES.setdefault(exchange.lower(), {})
    if ws:
        entry["ws"] = ws
    if rest:
        entry["rest"] = rest


def clear_overrides() -> None:
    _OVERRIDES.clear()


def _resolve(exchange: str, kind: str, explicit: str | None) -> str:
    if explicit:
        return explicit
    exchange = exchange.lower()
    if url := _OVERRIDES.get(exchange, {}).get(kind):
        return url
    if url := os.environ.get(f"DANTARO_{exchange.upper()}_{kind.upper()}_URL"):
        return url
    codec = codec_class(exchange)
    return codec.default_ws_url if kind == "ws" else codec.default_rest_url


def ws_url(exchange: str, explicit: str | None = None) -> str:
    return _resolve(exchange, "ws", explicit)


def rest_url(exchange: str, explicit: str | None = None) -> str:
    return _resolve(exchange, "rest", explicit).rstrip("/")
