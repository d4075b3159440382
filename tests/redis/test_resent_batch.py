"""A batch the collector wrote twice: it lost Redis's reply to a write that went through,
and wrote the batch again with whatever came since. A reader hands each trade over once."""

from __future__ import annotations

from typing import Any

import msgspec

from dantaro_tui.feed.client import WebSocketClient
from dantaro_tui.feed.redis_layout import (
    ENTRY,
    EXCHANGE_TS,
    PREV,
    RECEIVE_TS,
    Layout,
    decode_entry,
    encode_entry,
)
from dantaro_tui.model import Trade
from dantaro_tui.sim.server import SimServer
from tests.redis.helpers import RedisServer, start_collector, stop_collector, trade_ids, until


async def test_a_batch_written_twice_reaches_the_owner_once(
    redis_server: RedisServer, sim: SimServer
) -> None:
    collector = await start_collector(redis_server.url, sim, {"upbit": ["KRW-BTC"]})
    events: list[Any] = []
    bot = WebSocketClient("bot", source=redis_server.url)
    stream = Layout().stream("upbit", "trade", "KRW-BTC")
    try:
        await bot.subscribe_trade(["KRW-BTC"], events.append)
        await until(lambda: len(trade_ids(events, "KRW-BTC")) >= 3, what="trades via Redis")
        await stop_collector(collector)  # nothing else writes from here on
        collector = None
        with redis_server.sync() as r:
            [(last_id, fields)] = r.xrevrange(stream, count=1)
        written = [t for t in decode_entry(fields[ENTRY])[0] if isinstance(t, Trade)]
        assert written and PREV in fields, "the collector's newest entry follows another"
        await until(lambda: written[-1].trade_id in trade_ids(events, "KRW-BTC"), what="read it")
        # The same batch again, following on from the same entry, plus one trade since.
        since = msgspec.structs.replace(
            written[-1], trade_id="since-the-lost-reply", recv_ns=written[-1].recv_ns + 1
        )
        with redis_server.sync() as r:
            again = r.xadd(stream, {
                ENTRY: encode_entry([*written, since]), PREV: fields[PREV],
                EXCHANGE_TS: since.timestamp, RECEIVE_TS: since.recv_ns,
            })  # fmt: skip
            after = msgspec.structs.replace(since, trade_id="next-batch", recv_ns=since.recv_ns + 1)
            r.xadd(stream, {
                ENTRY: encode_entry([after]), PREV: again,
                EXCHANGE_TS: after.timestamp, RECEIVE_TS: after.recv_ns,
            })  # fmt: skip
        await until(lambda: "next-batch" in trade_ids(events, "KRW-BTC"), what="next batch")
        ids = trade_ids(events, "KRW-BTC")
        assert len(ids) == len(set(ids)), "a trade was handed over twice"
        assert ids[-2:] == ["since-the-lost-reply", "next-batch"]
        assert last_id != again
        assert bot.health().state == "connected"
    finally:
        await bot.cleanup()
        await bot.hub.close()
        if collector is not None:
            await stop_collector(collector)
