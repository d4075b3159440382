"""A websockets client connection that hands each read's messages straight to the hub.

``websockets`` queues every message for ``recv()`` and wakes the reading coroutine once per
message: two future round trips and an assembler per frame, which is most of what separates
a market-data socket from its decoder. Here the messages parsed from one socket read are
given to a sink, as one list, right where websockets parses them; the handshake, close
codes, pings and errors stay websockets' own. Reads are at most ``READ_CHUNK`` bytes, so a
list is a bounded amount of work; the sink may still ``pause_reading`` to spread it out.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosedOK
from websockets.frames import Frame, Opcode
from websockets.http11 import Request, Response

Message = str | bytes
Sink = Callable[[list[Message]], None]
BadMessage = Callable[[str], None]

_TEXT = Opcode.TEXT
_BINARY = Opcode.BINARY
_CONT = Opcode.CONT


class SinkConnection(ClientConnection):
    """Use as ``websockets.connect(..., create_connection=SinkConnection)``, then
    ``attach`` a sink and ``await ended()`` instead of iterating over the connection."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._batch: list[Message] = []
        self._parts: list[bytes] = []  # a fragmented message so far
        self._text = False  # ... and whether it is text
        self._sink: Sink | None = None
        self._bad: BadMessage | None = None

    def attach(self, sink: Sink, bad: BadMessage) -> None:
        """Messages go to ``sink`` from now on (those that came before it, at once);
        ``bad`` hears of a text message that is not UTF-8 (skipped, the socket stays)."""
        self._sink = sink
        self._bad = bad
        if self._batch:
            batch, self._batch = self._batch, []
            sink(batch)

    async def ended(self) -> None:
        """Returns when the connection closed normally; raises websockets'
        ``ConnectionClosedError`` (with its codes) otherwise, as iterating would."""
        await self.wait_closed()
        exc = self.protocol.close_exc
        if not isinstance(exc, ConnectionClosedOK):
            # websockets 17.4 renamed the cause of a lost connection; older ones call it
            # recv_exc.
            cause = getattr(self, "connection_exc", None) or getattr(self, "recv_exc", None)
            raise exc from cause

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._batch and self._sink is not None:
            batch, self._batch = self._batch, []
            self._sink(batch)

    def process_event(self, event: Request | Response | Frame) -> None:
        if self.response is None or event.__class__ is not Frame:
            super().process_event(event)  # the handshake response
            return
        frame = event
        opcode = frame.opcode
        if opcode is _BINARY and frame.fin:  # the usual market-data frame, straight in
            self._batch.append(bytes(frame.data))
        elif opcode is _BINARY or opcode is _TEXT:
            if not frame.fin:
                self._parts = [bytes(frame.data)]
                self._text = opcode is _TEXT
                return
            self._emit(bytes(frame.data), opcode is _TEXT)
        elif opcode is _CONT:
            self._parts.append(bytes(frame.data))
            if frame.fin:
                data, self._parts = b"".join(self._parts), []
                self._emit(data, self._text)
        else:
            super().process_event(event)  # ping, pong, close: websockets' business

    def _emit(self, data: bytes, text: bool) -> None:
        if not text:
            self._batch.append(data)
            return
        try:
            self._batch.append(data.decode())
        except UnicodeDecodeError as exc:
            if self._bad is not None:
                self._bad(f"a text message that is not UTF-8 was skipped ({exc.reason})")
