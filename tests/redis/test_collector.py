"""The collector on a real redis-server: what it writes, how much it keeps, who may run."""

from __future__ import annotations

import pytest

from dantaro_tui.feed.collector_redis import CollectorError
from dantaro_tui.feed.redis_layout import Layout, decode, decode_beat, decode_entry, field
from dantaro_tui.model import OrderBook, Ticker, Trade
from dantaro_tui.sim.server import SimServer
from tests.redis.helpers import RedisServer, start_collector, stop_collector, until

LAYOUT = Layout()


async def test_every_entry_carries_the_event_and_its_exchange_and_receive_times(
    redis_server: RedisServer, sim: SimServer
) -> None:
    collector = await start_collector(redis_server.url, sim, {"upbit": ["KRW-BTC", "KRW-ETH"]})
    try:
        r = redis_server.sync()
        keys = {
            kind: LAYOUT.stream("upbit", channel, "KRW-BTC")
            for kind, channel in ((Ticker, "ticker"), (Trade, "trade"), (OrderBook, "orderbook"))
        }
        await until(lambda: all(r.xlen(k) >= 3 for k in keys.values()), what="three channels")
        for kind, key in keys.items():
            for _, fields in r.xrange(key):
                events, problems = decode_entry(fields[b"e"])
                assert events and not problems
                for ev in events:
                    assert isinstance(ev, kind) and ev.symbol == "KRW-BTC"
                    assert ev.timestamp > 0 and ev.recv_ns > 0  # exchange and receive times
                # The newest's, readable without msgpack.
                assert int(fields[b"ts"]) == events[-1].timestamp
                assert int(fields[b"rx"]) == events[-1].recv_ns
        # Nothing of KRW-ETH in KRW-BTC's streams: a consumer reads only what it asked for.
        assert r.xlen(LAYOUT.stream("upbit", "trade", "KRW-ETH")) > 0
    finally:
        await stop_collector(collector)


async def test_streams_stay_capped_and_the_cache_holds_each_streams_newest_state(
    redis_server: RedisServer, sim: SimServer
) -> None:
    cap = 10
    r = redis_server.sync()
    # MAXLEN ~ trims whole nodes of the stream: at most cap + one node's entries stay,
    # however many were added. Small nodes make that visible within seconds.
    r.config_set("stream-node-max-entries", 5)
    slack = 5
    collector = await start_collector(
        redis_server.url, sim, {"upbit": ["KRW-BTC"]}, trade_maxlen=cap, state_maxlen=cap
    )
    key = LAYOUT.stream("upbit", "orderbook", "KRW-BTC")

    def added() -> int:
        info = r.xinfo_stream(key) if r.exists(key) else {"entries-added": 0}
        return int(info["entries-added"])

    try:
        await until(lambda: added() > 3 * (cap + slack), what="enough books to trim")
        assert r.xlen(key) <= cap + slack
    finally:
        await stop_collector(collector)
    # After the last batch, the cache is exactly each stream's newest entry.
    for channel in ("ticker", "orderbook", "trade"):
        stream = LAYOUT.stream("upbit", channel, "KRW-BTC")
        newest = decode_entry(r.xrevrange(stream, count=1)[0][1][b"e"])[0][-1]
        cached = r.hget(LAYOUT.latest("upbit"), field(channel, "KRW-BTC"))
        assert cached is not None and decode(cached) == newest
    # A stopped collector takes its heartbeat with it: terminals say so at once.
    assert r.get(LAYOUT.beat("upbit")) is None


async def test_the_heartbeat_tells_terminals_who_collects_and_how_its_feed_is(
    redis_server: RedisServer, sim: SimServer
) -> None:
    collector = await start_collector(redis_server.url, sim, {"upbit": ["KRW-BTC"]})
    r = redis_server.sync()
    try:
        await until(
            lambda: (
                (raw := r.get(LAYOUT.beat("upbit"))) is not None
                and decode_beat(raw).feed.state == "connected"
            ),
            what="a heartbeat of a connected feed",
        )
        beat = decode_beat(r.get(LAYOUT.beat("upbit")))  # type: ignore[arg-type]
        assert beat.collector == collector.id and beat.markets == 1
        assert set(beat.channels) == {"ticker", "trade", "orderbook"}
        assert not beat.demo
        assert 0 < r.pttl(LAYOUT.beat("upbit")) <= 3000  # gone within seconds if we die
    finally:
        await stop_collector(collector)


async def test_a_second_collector_of_the_same_exchange_is_refused_with_a_sentence(
    redis_server: RedisServer, sim: SimServer
) -> None:
    first = await start_collector(redis_server.url, sim, {"upbit": ["KRW-BTC"]})
    try:
        with pytest.raises(CollectorError, match=r"another collector .* already publishes upbit"):
            from dantaro_tui.feed.collector_redis import RedisCollector

            second = RedisCollector(redis_server.url, {"upbit": ["KRW-ETH"]}, ["ticker"])
            await second.start(wait_for_previous=0.0)
    finally:
        await stop_collector(first)


async def test_redis_out_of_reach_stops_the_collector_with_one_sentence(
    sim: SimServer, tmp_path: object
) -> None:
    from pathlib import Path

    from dantaro_tui.feed.collector_redis import RedisCollector

    nowhere = RedisServer(Path(str(tmp_path)))  # never started: nothing listens there
    collector = RedisCollector(nowhere.url, {"upbit": ["KRW-BTC"]}, ["ticker"])
    with pytest.raises(CollectorError) as caught:
        await collector.start()
    assert str(caught.value).startswith(f"cannot reach Redis at redis://127.0.0.1:{nowhere.port}")
    assert "\n" not in str(caught.value)


async def test_entries_older_than_the_age_cap_are_trimmed_but_the_state_stays(
    redis_server: RedisServer, sim: SimServer
) -> None:
    r = redis_server.sync()
    r.config_set("stream-node-max-entries", 5)  # trimming by whole nodes: small ones
    collector = await start_collector(
        redis_server.url, sim, {"upbit": ["KRW-BTC"]}, channels=("orderbook",), max_age=1.0
    )
    key = LAYOUT.stream("upbit", "orderbook", "KRW-BTC")
    try:
        await until(lambda: r.exists(key) and r.xlen(key) > 0, what="books published")
        first = r.xrange(key, count=1)[0][0]
        # The entry that was first is gone once it is older than the cap (plus a sweep).
        await until(lambda: r.xrange(key, count=1)[0][0] != first, what="old entries trimmed")
        oldest_ms = int(r.xrange(key, count=1)[0][0].split(b"-")[0])
        newest_ms = int(r.xrevrange(key, count=1)[0][0].split(b"-")[0])
        assert newest_ms - oldest_ms < 10_000  # seconds of books, not everything since start
        assert r.hexists(LAYOUT.latest("upbit"), field("orderbook", "KRW-BTC"))
    finally:
        await stop_collector(collector)
