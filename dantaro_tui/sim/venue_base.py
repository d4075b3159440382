"""What the simulated WebSocket venues keep the same way: their open connections, the index
of who subscribes to what, their fire-and-forget tasks, and how a request or a query
number is read before the venue answers it in its own words.

A venue subclasses :class:`SocketVenue` with its own subscription key (a stream name, a
``(channel, symbol)`` pair) and connection class (anything with a ``peer``); how it accepts,
limits and closes a socket stays in its own module, next to the protocol it follows.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

import orjson

from dantaro_tui.sim.faults import Peer
from dantaro_tui.sim.wsloop import Tasks

if TYPE_CHECKING:
    from dantaro_tui.sim.server import SimContext


class HasPeer(Protocol):
    @property
    def peer(self) -> Peer: ...


K = TypeVar("K", bound=Hashable)
C = TypeVar("C", bound=HasPeer)


class SocketVenue(Generic[K, C]):
    """The connection bookkeeping of a venue: ``_conns`` (open connections), ``_subs``
    (key -> its subscribers, in subscription order) and ``_tasks``."""

    def __init__(self, ctx: SimContext) -> None:
        self.ctx = ctx
        self._conns: set[C] = set()
        self._subs: dict[K, dict[C, None]] = {}
        self._tasks = Tasks()

    async def drop_all(self) -> None:
        for conn in list(self._conns):
            conn.peer.abort()

    async def close(self) -> None:
        self._tasks.cancel()

    def _drop_sub(self, conn: C, key: K) -> bool:
        """Take ``conn`` off ``key``'s subscribers; True when that left nobody on it (the
        venue may then drop what it kept for the key)."""
        conns = self._subs.get(key)
        if conns is None:
            return False
        conns.pop(conn, None)
        if conns:
            return False
        del self._subs[key]
        return True


def json_object(text: str) -> dict[str, Any] | None:
    """A request frame as a JSON object; None for anything else (not JSON, a list, a
    number), which every venue refuses in its own words."""
    try:
        req = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    return req if isinstance(req, dict) else None


def query_int(value: str | None, default: int, lo: int, hi: int) -> int | None:
    """A whole-number query parameter: ``default`` when absent or empty, None when it is not
    a whole number from ``lo`` to ``hi`` (the venue answers with its own error)."""
    if value is None or value == "":
        return default
    try:
        n = int(value)
    except ValueError:
        return None
    return n if lo <= n <= hi else None
