"""What the public sockets of Upbit's API family share beyond the wire structs of ``upbit.py``.

Bithumb's ``/websocket/v1`` copied Upbit's: the same request array, the same key formats,
the same error frames. So one codec base serves both (the request that replaces the whole
subscription, format and option checks), and one ``Dialect`` per venue reads what the fast
path refused: the frame's JSON, error and status frames in words, and any data object
through the venue's slow-path structs into an event or a sentence. Each venue's ``Dialect``
names what it says differently; nothing here is Upbit's or Bithumb's alone.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import msgspec
import orjson

from dantaro_tui.exchanges.base import ExchangeCodec, Frame, Subscription
from dantaro_tui.exchanges.sanity import Invalid, checked, invalid_status, status
from dantaro_tui.model import Event, Status

__all__ = ["ERROR_TEXT", "Dialect", "UpbitFamilyCodec", "short"]

# Error names of the public socket -> what they mean; ``{venue}`` is the exchange's name.
ERROR_TEXT: dict[str, str] = {
    "INVALID_AUTH": "{venue} rejected the API key for the private stream",
    "WRONG_FORMAT": "{venue} rejected the subscription request: it is not in the expected format",
    "NO_TICKET": "{venue} rejected the subscription request: it carries no ticket",
    "NO_TYPE": "{venue} rejected the subscription request: a data type is missing or unknown",
    "NO_CODES": "{venue} rejected the subscription request: no market codes were given",
    "INVALID_PARAM": "{venue} rejected the subscription request: a parameter is invalid",
}

# What a venue reads of an object that has no message type before calling it malformed:
# (key format, type) to decode it as, a Status it stands for, or None.
Classifier = Callable[[dict[str, Any], int], "tuple[str, str] | Status | None"]


def short(text: object, limit: int = 160) -> str:
    s = str(text)
    return s if len(s) <= limit else s[: limit - 3] + "..."


def _nothing_more(item: dict[str, Any], recv_ns: int) -> None:
    return None


@dataclass(frozen=True, slots=True)
class Dialect:
    """How one venue of the family words its statuses and reads what the fast path refused.

    ``wire``: key format -> message type -> slow-path struct (no constraints, so
    ``sanity.checked`` can say what is wrong); ``error_names``: the error frames the venue's
    socket is documented to send (others are "reported an error"); ``classify``: what the
    venue reads of an object without ``type``/``ty``, ``error`` or ``status``;
    ``kind_limit``: how much of an unknown message type a sentence repeats (None: all).
    """

    exchange: str
    wire: Mapping[str, Mapping[str, Any]]
    error_names: frozenset[str]
    classify: Classifier = _nothing_more
    kind_limit: int | None = None

    @property
    def venue(self) -> str:
        return self.exchange.title()

    def error_status(self, name: str, server_text: str, recv_ns: int = 0) -> Status:
        """A trader-readable ``Status`` for an error frame (the exchange closes the socket
        next)."""
        venue = self.venue
        text = ERROR_TEXT[name] if name in self.error_names else "{venue} reported an error"
        said = f" {venue} said: {server_text}" if server_text else ""
        message = f"{text.format(venue=venue)} ({name}).{said}"
        return status(self.exchange, "error", name, message, recv_ns=recv_ns)

    def malformed(self, detail: str, recv_ns: int = 0, symbol: str = "") -> Status:
        message = f"Skipped a message from {self.venue} that could not be read: {detail}"
        return status(self.exchange, "error", "malformed", message, symbol, recv_ns)

    def loads(self, frame: Frame, recv_ns: int) -> Any:
        """The frame's JSON, or a malformed ``Status`` saying why there is none."""
        try:
            return orjson.loads(frame)
        except orjson.JSONDecodeError as exc:
            return self.malformed(f"not valid JSON ({short(exc)})", recv_ns)
        except TypeError:
            got = type(frame).__name__
            return self.malformed(f"a frame must be bytes or text, got {got}", recv_ns)

    def decode_object(self, item: object, recv_ns: int) -> Event:
        """One parsed JSON object (either key format) -> one event; malformed -> error Status."""
        if not isinstance(item, dict):
            return self.malformed(f"expected a JSON object, got {type(item).__name__}", recv_ns)
        if "ty" in item:
            fmt, kind = "SIMPLE", item["ty"]
        elif "type" in item:
            fmt, kind = "DEFAULT", item["type"]
        elif "error" in item:
            err = item["error"]
            if isinstance(err, dict):
                name, text = str(err.get("name", "")), str(err.get("message", ""))
                return self.error_status(name, text, recv_ns)
            return self.error_status("", str(err), recv_ns)
        elif "status" in item:
            return status(self.exchange, "status", message=item["status"], recv_ns=recv_ns)
        else:
            found = self.classify(item, recv_ns)
            if isinstance(found, Status):
                return found
            if found is None:
                text = short(orjson.dumps(item).decode())
                return self.malformed(f"no message type in {text}", recv_ns)
            fmt, kind = found
        code = item.get({"SIMPLE": "cd", "LEGACY": "market"}.get(fmt, "code"))
        symbol = code if isinstance(code, str) and code.isprintable() else ""
        cls = self.wire[fmt].get(kind) if isinstance(kind, str) else None
        if cls is None:
            said = kind if self.kind_limit is None else short(kind, self.kind_limit)
            return self.malformed(f"unknown message type {said!r}", recv_ns, symbol)
        try:
            return checked(msgspec.convert(item, cls).event(recv_ns))
        except Invalid as exc:
            return invalid_status(self.exchange, exc, recv_ns)
        except (msgspec.ValidationError, ValueError, TypeError) as exc:
            return self.malformed(f"{kind} message: {short(exc)}", recv_ns, symbol)


class UpbitFamilyCodec(ExchangeCodec):
    """The request side of a public socket of Upbit's family: one request carries the whole
    subscription (it *replaces* the connection's), with the codec's ticket, key format and
    options. A venue names its ``dialect``, its ``formats`` and how it builds a request."""

    dialect: ClassVar[Dialect]
    formats: ClassVar[tuple[str, ...]]

    def __init__(self, format: str, ticket: str | None, **options: Any) -> None:
        fmt = format.upper()
        if fmt not in self.formats:
            known = ", ".join(self.formats)
            raise ValueError(f"unknown {self.dialect.venue} format {format!r} (known: {known})")
        self.format = fmt
        self.ticket = ticket or str(uuid.uuid4())
        self.answers_subscriptions = not options.get("only_realtime")  # silence proves nothing
        self.options: dict[str, Any] = options
        self.request({})  # validate the options now

    def build_request(self, types: Mapping[str, Iterable[str]], **options: Any) -> str:
        """The venue's request builder (``upbit.build_request`` or its Bithumb twin)."""
        raise NotImplementedError

    def subscribe_frames(self, desired: Subscription, current: Subscription) -> list[Frame]:
        want = {k: frozenset(v) for k, v in desired.items() if v}
        if not want or want == {k: frozenset(v) for k, v in current.items() if v}:
            return []
        return [self.request(want)]

    def request(self, types: Mapping[str, Iterable[str]], **options: Any) -> str:
        """A full request for ``types`` with this codec's ticket, format and options
        (``options`` override the constructor's for this one request)."""
        return self.build_request(
            types, ticket=self.ticket, fmt=self.format, **{**self.options, **options}
        )
