"""A terminal on a collector: the same events as a direct connection, through the same
client API, from a real redis-server fed by a real collector reading the simulator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dantaro_tui.feed.client import WebSocketClient
from dantaro_tui.feed.redis_layout import Layout, decode_entry
from dantaro_tui.model import Status
from dantaro_tui.sim.server import SimServer
from tests.redis.helpers import (
    RedisServer,
    contiguous_in,
    kill_clients,
    sim_hub,
    start_collector,
    stop_collector,
    trade_ids,
    until,
)

MARKETS = ["KRW-BTC", "KRW-ETH"]


def stream_trades(server: RedisServer, symbol: str) -> list[str]:
    """The live trades the collector published for ``symbol``, in stream order."""
    with server.sync() as r:
        entries = r.xrange(Layout().stream("upbit", "trade", symbol))
    return [t.trade_id for t in entry_events(entries) if not t.snapshot]


def entry_events(entries: list[tuple[bytes, dict[bytes, bytes]]]) -> list[Any]:
    """Every event of ``entries`` (an XRANGE), in stream order; none may be refused."""
    out: list[Any] = []
    for _, fields in entries:
        events, problems = decode_entry(fields[b"e"])
        assert not problems
        out += events
    return out


async def test_a_terminal_gets_the_direct_sequence_across_its_redis_reconnect(
    redis_server: RedisServer, sim: SimServer
) -> None:
    collector = await start_collector(redis_server.url, sim, {"upbit": MARKETS})
    direct_hub = sim_hub(sim)
    direct_events: list[object] = []
    bot_events: list[object] = []
    notices: list[Status] = []
    direct = WebSocketClient("direct", hub=direct_hub)
    bot = WebSocketClient("bot", source=redis_server.url, on_status=notices.append)
    try:
        await direct.subscribe_trade(MARKETS, direct_events.append)
        await bot.subscribe_trade(MARKETS, bot_events.append)
        await until(lambda: len(trade_ids(bot_events, "KRW-BTC")) >= 15, what="trades via Redis")

        # A network cut between this terminal and Redis (the collector keeps its own link).
        assert kill_clients(redis_server, "dantaro-terminal") >= 1
        await until(lambda: bot.health().reconnects >= 1, what="the terminal reconnects")
        seen = len(trade_ids(bot_events, "KRW-BTC"))
        await until(lambda: len(trade_ids(bot_events, "KRW-BTC")) >= seen + 15, what="more trades")
        last = trade_ids(bot_events, "KRW-BTC")[-1]
        await until(lambda: last in trade_ids(direct_events, "KRW-BTC"), what="direct caught up")

        for symbol in MARKETS:
            got = trade_ids(bot_events, symbol)
            assert contiguous_in(got, trade_ids(direct_events, symbol)), symbol
        assert bot.health().state == "connected"
        assert bot.hub.sockets() == 0  # the terminal opened no exchange socket
        assert not [n for n in notices if n.code == "gap"]  # a short cut loses nothing
    finally:
        await bot.cleanup()
        await direct.cleanup()
        await bot.hub.close()
        await direct_hub.close()
        await stop_collector(collector)


async def test_a_collector_restart_costs_the_terminal_neither_a_gap_nor_a_duplicate(
    redis_server: RedisServer, sim: SimServer
) -> None:
    collector = await start_collector(redis_server.url, sim, {"upbit": MARKETS})
    events: list[object] = []
    notices: list[Status] = []
    bot = WebSocketClient("bot", source=redis_server.url, on_status=notices.append)
    try:
        await bot.subscribe_trade(MARKETS, events.append)
        await until(lambda: len(trade_ids(events, "KRW-BTC")) >= 10, what="trades via Redis")
        await stop_collector(collector)

        # Said in words, not a market that froze while looking live.
        await until(lambda: bot.health().state == "stale", what="stale without a collector")
        assert "no collector is publishing upbit" in bot.health().last_error

        collector = await start_collector(redis_server.url, sim, {"upbit": MARKETS})
        seen = len(trade_ids(events, "KRW-BTC"))
        await until(lambda: len(trade_ids(events, "KRW-BTC")) >= seen + 10, what="trades again")
        await until(lambda: bot.health().state == "connected", what="connected again")
        assert any("collector restarted" in n.message for n in notices)
        assert not [n for n in notices if n.code == "gap"]  # nothing was trimmed

        for symbol in MARKETS:
            got = trade_ids(events, symbol)
            published = stream_trades(redis_server, symbol)
            assert len(set(got)) == len(got), f"{symbol}: a trade delivered twice"
            assert contiguous_in(got, published), f"{symbol}: a published trade was skipped"
    finally:
        await bot.cleanup()
        await bot.hub.close()
        await stop_collector(collector)


async def test_a_late_joiner_starts_from_the_latest_state_then_follows_without_a_seam(
    redis_server: RedisServer, sim: SimServer
) -> None:
    collector = await start_collector(redis_server.url, sim, {"upbit": ["KRW-BTC"]})
    late = WebSocketClient("late", source=redis_server.url)
    tickers: list[object] = []
    books: list[object] = []
    trades: list[object] = []
    try:
        with redis_server.sync() as r:
            await until(
                lambda: r.hlen(Layout().latest("upbit")) >= 3, what="the latest-state cache"
            )
        await late.subscribe_ticker(["KRW-BTC"], tickers.append)
        await late.subscribe_orderbook(["KRW-BTC"], books.append)
        await late.subscribe_trade(["KRW-BTC"], trades.append)
        await until(lambda: bool(tickers and books and trades), what="the cached state")
        # The present first, marked as a snapshot (state, not a fresh update) ...
        assert tickers[0].snapshot and books[0].snapshot and trades[0].snapshot  # type: ignore[attr-defined]
        assert books[0].bids and books[0].asks  # type: ignore[attr-defined]
        assert books[0].best_bid < books[0].best_ask  # type: ignore[attr-defined]

        # ... then exactly the trades published after the cached one.
        await until(lambda: len(trades) >= 6, what="live trades after the cache")
        with redis_server.sync() as r:
            entries = r.xrange(Layout().stream("upbit", "trade", "KRW-BTC"))
        published = [t.trade_id for t in entry_events(entries)]
        got = [t.trade_id for t in trades]  # type: ignore[attr-defined]
        assert contiguous_in(got, published)
    finally:
        await late.cleanup()
        await late.hub.close()
        await stop_collector(collector)


async def test_redis_down_at_start_is_said_and_the_terminal_recovers_when_it_comes(
    tmp_path: Path, sim: SimServer
) -> None:
    server = RedisServer(tmp_path / "late-redis")
    bot = WebSocketClient("bot", source=server.url, sync_timeout=0.5)
    events: list[object] = []
    collector = None
    try:
        await bot.subscribe_trade(["KRW-BTC"], events.append)
        await until(lambda: bool(bot.health().last_error), what="a sentence about Redis")
        health = bot.health()
        assert health.state in ("connecting", "reconnecting")
        assert health.last_error.startswith(
            f"cannot reach Redis at redis://127.0.0.1:{server.port}"
        )
        assert not events

        server.start()
        collector = await start_collector(server.url, sim, {"upbit": ["KRW-BTC"]})
        await until(lambda: len(trade_ids(events, "KRW-BTC")) >= 3, what="trades once Redis is up")
        await until(lambda: bot.health().state == "connected", what="connected")
    finally:
        await bot.cleanup()
        await bot.hub.close()
        if collector is not None:
            await stop_collector(collector)
        server.stop()


async def test_redis_gone_mid_session_says_reconnecting_then_heals(
    redis_server: RedisServer, sim: SimServer
) -> None:
    collector = await start_collector(redis_server.url, sim, {"upbit": ["KRW-BTC"]})
    events: list[object] = []
    bot = WebSocketClient("bot", source=redis_server.url)
    try:
        await bot.subscribe_ticker(["KRW-BTC"], events.append)
        await until(lambda: bot.health().state == "connected", what="connected")
        redis_server.stop()
        await until(lambda: bot.health().state == "reconnecting", what="reconnecting")
        assert "cannot reach Redis" in bot.health().last_error

        redis_server.start()  # empty: no persistence; the collector publishes afresh
        seen = len(events)
        await until(lambda: len(events) > seen + 3, what="tickers after Redis came back")
        await until(lambda: bot.health().state == "connected", what="connected again")
    finally:
        await bot.cleanup()
        await bot.hub.close()
        await stop_collector(collector)


def test_a_hub_and_another_source_are_refused() -> None:
    from dantaro_tui.feed.hub import FeedHub

    try:
        WebSocketClient("bot", hub=FeedHub(), source="redis://127.0.0.1:1/0")
    except ValueError as exc:
        assert "source" in str(exc)
    else:
        raise AssertionError("a hub on the exchanges was taken for a Redis source")
    try:
        FeedHub(source="http://example.com")
    except ValueError as exc:
        assert "is not a Redis URL" in str(exc)
    else:
        raise AssertionError("an http URL was taken for Redis")


async def test_a_channel_the_collector_does_not_publish_is_named_not_waited_on_silently(
    redis_server: RedisServer, sim: SimServer
) -> None:
    collector = await start_collector(
        redis_server.url, sim, {"upbit": ["KRW-BTC"]}, channels=("ticker",)
    )
    bot = WebSocketClient("bot", source=redis_server.url, sync_timeout=0.5)
    try:
        await bot.subscribe_ticker(["KRW-BTC"], lambda _t: None)
        await bot.subscribe_trade(["KRW-BTC"], lambda _t: None)
        await until(lambda: "does not publish" in bot.health().last_error, what="said why")
        health = bot.health()
        assert health.state == "waiting" and "trade KRW-BTC" in health.waiting
        assert "does not publish trade of upbit" in health.last_error
    finally:
        await bot.cleanup()
        await bot.hub.close()
        await stop_collector(collector)


async def test_a_garbage_entry_in_a_stream_is_counted_and_the_tape_goes_on(
    redis_server: RedisServer, sim: SimServer
) -> None:
    # Redis is shared: another writer's entry, with an unreadable previous id and events,
    # must cost that entry only, not the feed (re-reading it after a reconnect would loop).
    collector = await start_collector(redis_server.url, sim, {"upbit": ["KRW-BTC"]})
    events: list[Any] = []
    bot = WebSocketClient("bot", source=redis_server.url)
    try:
        await bot.subscribe_trade(["KRW-BTC"], events.append)
        await until(lambda: len(trade_ids(events, "KRW-BTC")) >= 3, what="trades via Redis")
        with redis_server.sync() as r:
            r.xadd(Layout().stream("upbit", "trade", "KRW-BTC"), {b"e": b"\xc1", b"p": b"x-y"})
        await until(lambda: "ignored an entry" in bot.health().last_error, what="said")
        seen = len(trade_ids(events, "KRW-BTC"))
        await until(lambda: len(trade_ids(events, "KRW-BTC")) > seen + 3, what="trades go on")
        assert bot.health().state == "connected"
    finally:
        await bot.cleanup()
        await bot.hub.close()
        await stop_collector(collector)


async def test_an_unreadable_heartbeat_is_stale_and_said_as_such(
    redis_server: RedisServer,
) -> None:
    with redis_server.sync() as r:
        r.set(Layout().beat("upbit"), b"not a heartbeat")
    bot = WebSocketClient("bot", source=redis_server.url)
    try:
        await bot.subscribe_ticker(["KRW-BTC"], lambda _t: None)
        await until(lambda: "heartbeat" in bot.health().last_error, what="said")
        assert "not one this version reads" in bot.health().last_error
        assert bot.health().state == "stale"
    finally:
        await bot.cleanup()
        await bot.hub.close()
