"""What the simulated sockets and REST of Upbit's API family (Upbit, Bithumb, and the paper
accounts' private streams) do alike, written once from the protocol reference.

A public socket keeps an index (type, code) -> connections that each request *replaces*;
text ``PING`` is answered with ``{"status":"UP"}``, then again every few seconds; an error
frame mutes the connection, which is closed (1000) a moment later. REST handlers share
their parameter checks (``RequestError`` carries the error name and message) and the
reading of ``to`` and of the week and month a candle falls in. What a venue does
differently (its limits, headers, depths, snapshot flags) stays in its own module.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Protocol, TypeVar, cast

import orjson
from aiohttp import web

from dantaro_tui.sim.faults import Peer, RateWindow
from dantaro_tui.sim.market import Listing
from dantaro_tui.sim.wsloop import Tasks, serve_socket

if TYPE_CHECKING:
    from dantaro_tui.sim.account import PaperExchange
    from dantaro_tui.sim.server import SimContext

STATUS_UP = b'{"status":"UP"}'
ERROR_CLOSE_DELAY = 0.15

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class RequestError(Exception):
    """A refused request: ``name`` is the WebSocket error name or the REST error number,
    ``http_status`` what a venue that answers errors with HTTP 200 sends (Bithumb)."""

    def __init__(self, name: str | int, message: str, http_status: int = 200) -> None:
        super().__init__(message)
        self.name = name
        self.message = message
        self.http_status = http_status


# ---------------------------------------------------------------------------- sockets


class SocketConn(Protocol):
    """What the ping and error handling read of a connection, public or private."""

    peer: Peer
    status: asyncio.Task[None] | None
    closing: bool


def error_frame(name: str, message: str) -> bytes:
    return orjson.dumps({"error": {"name": name, "message": message}})


def request_objects(raw: str | bytes) -> list[dict[str, Any]]:
    """The objects of a request array; RequestError for anything else."""
    try:
        req = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise RequestError("WRONG_FORMAT", "요청 형식이 올바르지 않습니다.") from None
    if not isinstance(req, list) or not req or not all(isinstance(o, dict) for o in req):
        raise RequestError("WRONG_FORMAT", "요청 형식이 올바르지 않습니다.")
    return req


def request_format(req: list[dict[str, Any]], formats: tuple[str, ...]) -> str:
    """The key format a request asks for (DEFAULT when it names none)."""
    fmt = next((o["format"] for o in req if "format" in o), "DEFAULT")
    if fmt not in formats:
        raise RequestError("WRONG_FORMAT", "Format 이 맞지 않습니다.")
    return str(fmt)


def answer_ping(conn: SocketConn, text: str, every: float) -> bool:
    """Whether ``text`` was a ``PING``: then it is answered, and ``{"status":"UP"}`` follows
    every ``every`` seconds while the connection lives."""
    if text.strip() != "PING":
        return False
    conn.peer.send_control(STATUS_UP)
    if conn.status is None:
        conn.status = asyncio.ensure_future(_status_loop(conn.peer, every))
    return True


async def _status_loop(peer: Peer, every: float) -> None:
    with contextlib.suppress(asyncio.CancelledError):
        while not peer.closed:
            await asyncio.sleep(every)
            peer.send_control(STATUS_UP)


def refuse(conn: SocketConn, frame: bytes, tasks: Tasks) -> None:
    """Sends the error ``frame``; the exchange reads nothing more and closes the socket."""
    conn.peer.send_control(frame)
    conn.closing = True
    tasks.spawn(_close_later(conn.peer))


async def _close_later(peer: Peer) -> None:
    await asyncio.sleep(ERROR_CLOSE_DELAY)
    await peer.close(1000)


def stop_status(conn: SocketConn) -> None:
    if conn.status is not None:
        conn.status.cancel()


class FamilyConn:
    """A public connection: the index keys it is under and its order book depths."""

    __slots__ = ("book_depth", "closing", "keys", "peer", "status")

    def __init__(self, peer: Peer) -> None:
        self.peer = peer
        self.keys: list[tuple[str, str]] = []  # index keys this connection is under
        self.book_depth: dict[str, int] = {}
        self.status: asyncio.Task[None] | None = None
        self.closing = False

    def send(self, frame: bytes) -> None:
        self.peer.send_data(frame)

    def reset(self) -> None:
        """Forgets the subscription (a new request replaces it whole)."""
        self.keys = []
        self.book_depth = {}


C = TypeVar("C", bound=FamilyConn)


class FamilyVenue(Generic[C]):
    """The socket side a simulated venue of the family shares: connect limit, index of
    subscriptions, snapshots on request. A venue names its connection class, its limits,
    the depth of a book asked for without ``.N`` and how it writes a snapshot."""

    conn_class: ClassVar[type[FamilyConn]]
    ws_path: ClassVar[str]
    connects_per_s: ClassVar[int]
    full_depth: ClassVar[int]
    ctx: SimContext
    listings: dict[str, Listing]
    paper: PaperExchange

    def __init__(self, ctx: SimContext) -> None:
        self.ctx = ctx
        self._subs: dict[tuple[str, str], dict[C, None]] = {}
        self._conns: set[C] = set()
        self._connects = RateWindow(self.connects_per_s, 1.0)
        self._tasks = Tasks()

    # -- what a venue says for itself
    def on_message(self, conn: C, text: str) -> None:
        raise NotImplementedError

    def split_depth(self, code: str) -> tuple[str, int]:
        """``KRW-BTC.N`` -> (code, the depth the venue serves for N)."""
        raise NotImplementedError

    def snapshot(self, lst: Listing, ty: str, depth: int, simple: bool, now: int) -> bytes | None:
        raise NotImplementedError

    def ws_remaining(self, left: int) -> str | None:
        """The ``Remaining-Req`` header of the upgrade (Upbit's), or None."""
        return None

    # -- shared
    def endpoints(self, http_root: str, ws_root: str) -> dict[str, str]:
        return {"ws": ws_root + self.ws_path, "rest": http_root}

    async def close(self) -> None:
        self._tasks.cancel()
        await self.paper.close()

    async def drop_all(self) -> None:
        for conn in list(self._conns):
            conn.peer.abort()
        await self.paper.drop_all()

    async def _ws(self, request: web.Request) -> web.StreamResponse:
        ctx = self.ctx
        left: int | None = self.connects_per_s - 1
        if ctx.rate_limits:
            left = self._connects.hit(request.remote or "", asyncio.get_running_loop().time())
        if ctx.faults.refuse_rate_limit or left is None:
            return json_response(
                {"error": {"name": "too_many_requests", "message": "Too many requests."}},
                status=429,
                remaining=self.ws_remaining(0),
            )
        remaining = self.ws_remaining(left)
        return await serve_socket(
            request,
            ctx,
            ctx.idle_timeout,
            open_conn=self._open,
            on_message=self.on_message,
            close_conn=self._forget,
            muted=_muted,
            headers={"Remaining-Req": remaining} if remaining else None,
        )

    def _open(self, peer: Peer) -> C:
        conn = cast("C", self.conn_class(peer))
        self._conns.add(conn)
        return conn

    def _forget(self, conn: C) -> None:
        self._unindex(conn)
        self._conns.discard(conn)
        stop_status(conn)

    def _unindex(self, conn: C) -> None:
        for key in conn.keys:
            conns = self._subs.get(key)
            if conns is not None:
                conns.pop(conn, None)
                if not conns:
                    del self._subs[key]
        conn.reset()

    def _take(
        self,
        conn: C,
        ty: str,
        codes: Iterable[str],
        flags: tuple[bool, bool],
        simple: bool,
        now: int,
    ) -> None:
        """Subscribes ``conn`` to ``ty`` for ``codes`` and sends their snapshots, as the
        (only snapshot, only realtime) ``flags`` ask. Unknown or lower-case codes are
        accepted silently, as the exchanges do."""
        only_snapshot, only_realtime = flags
        for raw in codes:
            code, depth = self.split_depth(raw) if ty == "orderbook" else (raw, self.full_depth)
            lst = self.listings.get(code)
            if lst is None:
                continue
            if ty == "orderbook":
                conn.book_depth[code] = depth
            if not only_snapshot:
                key = (ty, code)
                self._subs.setdefault(key, {})[conn] = None
                conn.keys.append(key)
            if not only_realtime or only_snapshot:
                frame = self.snapshot(lst, ty, depth, simple, now)
                if frame is not None:
                    conn.send(frame)

    # -- REST parameters
    def _find(self, codes: Iterable[str]) -> list[Listing]:
        found = []
        for code in codes:
            lst = self.listings.get(code.strip())
            if lst is None:
                raise RequestError(404, "Code not found")
            found.append(lst)
        return found

    def _markets_param(self, request: web.Request, name: str = "markets") -> list[Listing]:
        # A list may come comma-separated or as repeated parameters (``markets=A&markets=B``,
        # what ``requests`` makes of a Python list): Spring binds both to the same value.
        value = ",".join(request.query.getall(name, ()))
        codes = [c for c in value.split(",") if c.strip()]
        if not codes:
            raise RequestError(400, f"{name} is missing")
        return self._find(codes)

    def _market_param(self, request: web.Request) -> Listing:
        """The single ``market`` of the trade and candle endpoints."""
        value = request.query.get("market", "").strip()
        if not value:
            raise RequestError(400, "market is missing")
        return self._find([value])[0]


def _muted(conn: SocketConn) -> bool:
    """After an error frame the connection only waits for its close: requests are ignored."""
    return conn.closing


# ---------------------------------------------------------------------------- REST


def json_response(body: Any, status: int = 200, remaining: str | None = None) -> web.Response:
    resp = web.Response(
        body=orjson.dumps(body), status=status, content_type="application/json", charset="utf-8"
    )
    if remaining:
        resp.headers["Remaining-Req"] = remaining
    return resp


def int_param(value: str | None, default: int, lo: int, hi: int, name: str) -> int:
    if value is None or value == "":
        return default
    try:
        n = int(value)
    except ValueError:
        raise RequestError(400, f"{name} is invalid") from None
    if not lo <= n <= hi:
        raise RequestError(400, f"{name} must be between {lo} and {hi}")
    return n


def parse_to(value: str | None, naive_offset_s: int = 0) -> int | None:
    """ISO 8601 ``to`` -> ms, the exclusive bound of candle start times; a time without an
    offset is read ``naive_offset_s`` east of UTC (Upbit: UTC, Bithumb: Korean time)."""
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value.strip().replace(" ", "T"))
    except ValueError:
        raise RequestError(400, "to is invalid") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC) - timedelta(seconds=naive_offset_s)
    return int(dt.timestamp() * 1000)


def period_start(ms: int, period: str) -> int:
    """Start (UTC ms) of the week (Monday), month or year that contains ``ms``."""
    day = datetime.fromtimestamp(ms // 1000, UTC).replace(hour=0, minute=0, second=0)
    if period == "weeks":
        start = day - timedelta(days=day.weekday())
    elif period == "months":
        start = day.replace(day=1)
    else:
        start = day.replace(month=1, day=1)
    return int(start.timestamp()) * 1000


def round_rate(x: float) -> float:
    """A change rate as the exchanges write it: 10 decimals, never ``-0.0``."""
    return round(x, 10) + 0.0
