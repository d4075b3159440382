"""What a collector and its consumers agree on in Redis: key names, entries, the heartbeat.

Layout (``P`` = the prefix, ``dantaro``; ``{upbit}`` is a Redis Cluster hash tag, so every key
of one exchange lives on one slot and one XREAD can follow all of them):

* ``P:{upbit}:trade:KRW-BTC`` -- one stream per (exchange, channel, symbol): a consumer reads
  only what it subscribed to, and a busy market never delays a quiet one's reader. Each entry
  is ``e`` (a msgpack array of the model events, oldest first, each with its exchange time
  ``timestamp`` in ms and the collector's receive time ``recv_ns``), and ``ts``/``rx``: those
  two times of the entry's newest event, as plain numbers for tools without msgpack. An entry
  holds what one batch brought for that stream: one event when the feed is calm, many in a
  flood, where a Python Redis client spends more per entry than per event (measured: ~10x
  the events/s of one entry per event). ``p`` is the id of the stream's previous entry as the
  collector wrote it (absent on the first it writes after starting): a reader whose last id
  is older has missed entries (trimmed while it was away), and says so rather than showing
  the tape as continuous.
  Streams are capped with ``MAXLEN ~``: trades keep a reconnect's worth of tape, state
  channels (ticker, books, candles) only a little, as their newest entry says it all.
* ``P:{upbit}:latest`` -- a hash, field ``channel:symbol`` -> the newest event of that stream
  (ticker, book, candle and last trade): what a late joiner reads first. The collector writes
  a batch of entries and the hash in one MULTI/EXEC, so a consumer that reads the hash and
  each stream's last id in one MULTI/EXEC gets a state and the id it is exact at: following
  from there has neither a gap nor a duplicate.
* ``P:{upbit}:collector`` -- the collector's heartbeat (JSON, expires after a few beats): who
  collects, its feed's health. No key means no collector: consumers say so within seconds.
"""

from __future__ import annotations

import os
from urllib.parse import quote, unquote, urlsplit

import msgspec
import redis as sync_redis
import redis.asyncio as aredis
import redis.exceptions as rex
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.retry import Retry as SyncRetry

from dantaro_tui.exchanges.sanity import Invalid, checked
from dantaro_tui.feed.health import State
from dantaro_tui.model import Candle, MarketEvent, OrderBook, Ticker, Trade

PREFIX = "dantaro"
ENV_URL = "DANTARO_REDIS_URL"
ENV_SOURCE = "DANTARO_SOURCE"  # the default hub's source: a Redis URL, or redis (= ENV_URL)
SCHEMES = ("redis", "rediss", "unix")

# Two caps per stream, both approximate (``~`` trims whole nodes): an age, so memory is flat
# once a minute of traffic is in (measured: benchmarks/bench_redis.py --memory), and a
# length, so a flood cannot outgrow it within that minute. A consumer cut off for less than
# MAX_AGE (its link, a collector restart) resumes without losing a trade; the latest-state
# hash keeps every market's state however quiet it is. State channels need only a short
# tail: their newest entry is the state.
MAX_AGE = 60.0  # seconds
TRADE_MAXLEN = 10_000
STATE_MAXLEN = 200

BEAT_INTERVAL = 1.0  # seconds between a collector's heartbeats
BEAT_TTL_BEATS = 3  # missed beats before the key expires and consumers call the feed stale

ENTRY = b"e"
EXCHANGE_TS = b"ts"
RECEIVE_TS = b"rx"
PREV = b"p"
START = b"0-0"  # a reader's position before it has read anything of a stream

_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(Ticker | Trade | OrderBook | Candle)
_entry_decoder = msgspec.msgpack.Decoder(list[Ticker | Trade | OrderBook | Candle])


class Layout(msgspec.Struct, frozen=True):
    """Key names under one prefix (several desks may share one Redis)."""

    prefix: str = PREFIX

    def stream(self, exchange: str, channel: str, symbol: str) -> str:
        return f"{self.prefix}:{{{exchange}}}:{channel}:{symbol}"

    def latest(self, exchange: str) -> str:
        return f"{self.prefix}:{{{exchange}}}:latest"

    def beat(self, exchange: str) -> str:
        return f"{self.prefix}:{{{exchange}}}:collector"


def field(channel: str, symbol: str) -> str:
    """The latest-state hash's field for one stream."""
    return f"{channel}:{symbol}"


def encode(ev: MarketEvent) -> bytes:
    return _encoder.encode(ev)


def decode(data: bytes) -> MarketEvent:
    """A latest-state hash value's event, checked like a codec checks the wire: Redis is
    shared, and what another writer put there is not trusted. Raises ``msgspec.DecodeError``
    or ``sanity.Invalid`` (its text is the sentence a trader reads)."""
    return _trusted(_decoder.decode(data))


def _trusted(ev: MarketEvent) -> MarketEvent:
    # One branch per type: ``checked`` keeps the type it is given.
    if isinstance(ev, Ticker):
        return checked(ev, unpriced=ev.trade_price == 0)
    if isinstance(ev, Trade):
        return checked(ev)
    if isinstance(ev, OrderBook):
        return checked(ev)
    return checked(ev)


def encode_entry(events: list[MarketEvent]) -> bytes:
    return _encoder.encode(events)


def decode_entry(data: bytes) -> tuple[list[MarketEvent], list[str]]:
    """A stream entry's events that pass the checks, and a sentence for each that did not.
    Raises ``msgspec.DecodeError`` when the entry is not an array of events at all."""
    kept: list[MarketEvent] = []
    problems: list[str] = []
    for ev in _entry_decoder.decode(data):
        try:
            kept.append(_trusted(ev))
        except Invalid as exc:
            problems.append(str(exc))
    return kept, problems


class FeedBeat(msgspec.Struct, frozen=True):
    """One exchange feed of a collector, as its heartbeat tells consumers."""

    state: State
    last_error: str = ""
    latency_ms: float = -1.0
    reconnects: int = 0
    messages: int = 0


class CollectorBeat(msgspec.Struct, frozen=True):
    collector: str  # unique per collector run: a new one means the collector restarted
    host: str
    pid: int
    started: float  # wall time
    interval: float
    exchange: str
    feed: FeedBeat
    markets: int
    channels: tuple[str, ...]
    published: int
    demo: bool = False  # simulated prices: every terminal on it wears the DEMO badge
    rest_url: str = ""  # the simulator's REST, for a demo collector's terminals
    max_age: float = 0.0  # its age cap in seconds (0 = not said): how long a reader may be away


def entry_id(raw: bytes) -> tuple[int, int]:
    """A stream id as numbers, to compare (``b"1700000000000-3"`` -> ``(1700000000000, 3)``)."""
    ms, _, seq = raw.partition(b"-")
    return int(ms), int(seq or 0)


def encode_beat(beat: CollectorBeat) -> bytes:
    return msgspec.json.encode(beat)


def decode_beat(data: bytes | str) -> CollectorBeat:
    return msgspec.json.decode(data, type=CollectorBeat)


# -- URLs and what may be said of them --------------------------------------------------


def redis_url(explicit: str | None = None) -> str:
    """The Redis URL to use: ``explicit`` (a flag), else ``DANTARO_REDIS_URL``. The
    environment keeps a password off the command line (where ``ps`` shows it)."""
    url = explicit or os.environ.get(ENV_URL, "")
    if not url:
        raise ValueError(f"no Redis URL: pass one (redis://host:6379) or set {ENV_URL}")
    check_url(url)
    return url


def env_source(value: str) -> str:
    """The Redis URL that ``DANTARO_SOURCE`` (``value``) names for the default hub,
    ``redis`` meaning the one in ``DANTARO_REDIS_URL``, checked and reached once: a script
    set to read a collector that cannot be read should say so at once, not print nothing
    forever. ValueError with the sentence to show, and no secret in it."""
    if value == "redis":
        if not os.environ.get(ENV_URL):
            raise ValueError(
                f"{ENV_SOURCE}=redis reads the Redis URL from {ENV_URL}, which is not set"
            )
        url = os.environ[ENV_URL]
    else:
        url = value
    try:
        check_url(url)
    except ValueError as exc:
        raise ValueError(f"{ENV_SOURCE}: {exc}, or redis to read {ENV_URL}") from None
    problem = reachable(url)
    if problem:
        raise ValueError(f"{ENV_SOURCE}: {problem}")
    return url


def reachable(url: str, timeout: float = 2.0) -> str:
    """Whether Redis at ``url`` answers now: "" or the sentence why not. Blocking, once per
    process, before any feed exists."""
    try:
        with sync_redis.Redis.from_url(
            url,
            socket_connect_timeout=timeout,
            socket_timeout=timeout,
            retry=SyncRetry(NoBackoff(), 0),
        ) as redis:
            redis.ping()
    except Exception as exc:
        return explain(exc, url)
    return ""


def check_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES:
        raise ValueError(
            f"{redact(url)} is not a Redis URL: use redis://host:6379, rediss://host:6380 "
            "(TLS) or unix:///path/to/redis.sock"
        )
    try:
        parts.port  # noqa: B018  (urlsplit checks the port only when asked)
    except ValueError:
        raise ValueError("the Redis URL's port is not a number (redis://host:6379)") from None


def password(url: str) -> str:
    try:
        parts = urlsplit(url)
        secret = parts.password or ""
    except ValueError:
        return ""
    if not secret:  # unix:///sock?password=...
        for pair in parts.query.split("&"):
            key, _, value = pair.partition("=")
            if key == "password":
                secret = value
    return unquote(secret)


def redact(url: str) -> str:
    """``url`` fit for logs, health and status lines: the password becomes ``***``."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return "(an unreadable Redis URL)"
    netloc = parts.netloc
    if parts.password is not None:
        user = quote(unquote(parts.username or ""), safe="")
        address = f"[{host}]" if ":" in host else host
        netloc = f"{user}:***@{address}" + (f":{port}" if port else "")
    query = "&".join(
        "password=***" if pair.partition("=")[0] == "password" else pair
        for pair in parts.query.split("&")
        if pair
    )
    # Spelled out: urlunsplit drops the empty authority of unix:///path.
    return f"{parts.scheme}://{netloc}{parts.path}" + (f"?{query}" if query else "")


def scrub(text: str, url: str) -> str:
    """``text`` with the password of ``url`` taken out, wherever a library echoed it."""
    secret = password(url)
    if secret:
        text = text.replace(secret, "***")
        text = text.replace(quote(secret, safe=""), "***")
    return text


def explain(exc: BaseException, url: str) -> str:
    """A sentence on what went wrong with Redis, with no secret in it."""
    where = f"Redis at {redact(url)}"
    detail = scrub(str(exc), url).strip().rstrip(".")
    if isinstance(exc, rex.AuthenticationError) or "WRONGPASS" in detail or "NOAUTH" in detail:
        return f"{where} refused the credentials (check the user and password in the URL)"
    if isinstance(exc, rex.TimeoutError | TimeoutError):
        return f"{where} did not answer in time"
    if isinstance(exc, rex.ConnectionError | ConnectionError | OSError):
        return f"cannot reach {where}: {detail or 'connection failed'}"
    if isinstance(exc, rex.ResponseError):
        return f"{where} refused a command: {detail}"
    return f"{where}: {type(exc).__name__}: {detail}"


def client(
    url: str, *, single: bool = False, timeout: float = 5.0, name: str = "dantaro-terminal"
) -> aredis.Redis:
    """A redis-py asyncio client that fails fast: the feed's own loop retries, with words in
    health, instead of redis-py retrying silently underneath it. ``name`` tells terminals
    from the collector in ``CLIENT LIST``."""
    return aredis.Redis.from_url(
        url,
        client_name=name,
        single_connection_client=single,
        socket_connect_timeout=min(timeout, 3.0),
        socket_timeout=timeout,
        retry=Retry(NoBackoff(), 0),
        decode_responses=False,
    )
