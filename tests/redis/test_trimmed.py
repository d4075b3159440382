"""A terminal cut off for longer than the collector keeps is told what it lost, once, and
its state panes show the present rather than a replay: real redis-server, real collector."""

from __future__ import annotations

import itertools
import time
from typing import Any

from dantaro_tui.feed.client import WebSocketClient
from dantaro_tui.feed.redis_layout import Layout, decode_entry
from dantaro_tui.feed.redis_source import RedisLink
from dantaro_tui.model import Status, Ticker, Trade
from dantaro_tui.sim.server import SimServer
from tests.redis.helpers import (
    DeskUser,
    RedisServer,
    contiguous_in,
    start_collector,
    stop_collector,
    trade_ids,
    until,
)

LAYOUT = Layout()
TRADES = LAYOUT.stream("upbit", "trade", "KRW-BTC")
TICKERS = LAYOUT.stream("upbit", "ticker", "KRW-BTC")
KEEP = 3  # entries the "cap" leaves of each stream: what a terminal can still get


def entries_after(r: Any, key: str, seen: set[str], ident: str) -> list[Any]:
    """The entries of ``key`` holding none of the events the terminal ``seen`` (by ``ident``)."""
    out = []
    for entry_id, fields in r.xrange(key):
        events, _ = decode_entry(fields[b"e"])
        if not any(getattr(ev, ident) in seen for ev in events):
            out.append((entry_id, events))
        else:
            out.clear()  # only what comes after the newest entry it saw
    return out


def link_of(client: WebSocketClient) -> RedisLink:
    links = [c for c in client.hub.connections() if isinstance(c, RedisLink)]
    assert len(links) == 1
    return links[0]


async def test_a_terminal_cut_off_past_the_caps_is_told_the_gap_once_and_shows_the_present(
    redis_server: RedisServer, sim: SimServer
) -> None:
    desk = DeskUser(redis_server)
    collector = await start_collector(redis_server.url, sim, {"upbit": ["KRW-BTC"]})
    trades: list[Trade] = []
    tickers: list[Ticker] = []
    notices: list[tuple[Status, str]] = []
    bot = WebSocketClient(
        "bot",
        source=desk.url,
        on_status=lambda s: notices.append((s, bot.health().last_error)),
    )
    r = redis_server.sync()
    try:
        await bot.subscribe_trade(["KRW-BTC"], trades.append)
        await bot.subscribe_ticker(["KRW-BTC"], tickers.append)
        await until(lambda: len(trade_ids(trades, "KRW-BTC")) >= 5, what="trades via Redis")
        await until(lambda: bot.health().state == "connected", what="connected")

        desk.lock_out()  # Redis out of reach for this terminal only
        await until(lambda: bot.health().state == "reconnecting", what="cut off")
        seen_trades = {t.trade_id for t in trades}
        seen_ticks = {t.recv_ns for t in tickers}
        # The collector writes on; then its cap trims everything but the newest few
        # entries, including some this terminal never read.
        await until(
            lambda: (
                len(entries_after(r, TRADES, seen_trades, "trade_id")) > KEEP
                and len(entries_after(r, TICKERS, seen_ticks, "recv_ns")) > KEEP
            ),
            what="entries published while the terminal is away",
        )
        lost_trades = [
            t.trade_id
            for _, events in entries_after(r, TRADES, seen_trades, "trade_id")[:-KEEP]
            for t in events
        ]
        for key in (TRADES, TICKERS):
            r.xtrim(key, minid=r.xrevrange(key, count=KEEP)[-1][0], approximate=False)
        present = max(
            ev.recv_ns for ev in decode_entry(r.xrevrange(TICKERS, count=1)[0][1][b"e"])[0]
        )
        cut_at = len(trades), len(tickers)

        desk.let_in()
        await until(lambda: len(notices) >= 2, what="the gaps said")
        await until(lambda: len(trades) > cut_at[0] + 10, what="trades after the gap")
        await until(lambda: len(tickers) > cut_at[1] + 3, what="tickers after the gap")
        await until(lambda: bot.health().state == "connected", what="connected again")

        gaps = [(s, said) for s, said in notices if s.code == "gap"]
        assert sorted(s.message.split(":")[0] for s, _ in gaps) == [
            "ticker KRW-BTC",
            "trade KRW-BTC",
        ]
        for status, health_said in gaps:
            assert (
                "was trimmed from Redis while this feed was cut off and is missing"
                in status.message
            )
            assert "trimmed from Redis" in health_said  # the owner's health says it in words
        assert link_of(bot).gaps == 2  # counted
        assert bot.health().errors >= 1

        # The tape follows on from the gap: no lost trade shows up as if it had come, and
        # what Redis still held arrives once, in order.
        after = [t.trade_id for t in trades[cut_at[0] :]]
        assert not set(after) & set(lost_trades)
        published = [t.trade_id for _, f in r.xrange(TRADES) for t in decode_entry(f[b"e"])[0]]
        assert contiguous_in(after[: len(published)], published)
        assert len(set(after)) == len(after)

        # The ticker starts again from the latest state: the present, not a replay of what
        # the cap left behind.
        first = tickers[cut_at[1]]
        assert first.snapshot and first.recv_ns >= present
        assert all(t.recv_ns >= present for t in tickers[cut_at[1] :])

        # Said once: more data, no more gap notices.
        seen = len(trades)
        await until(lambda: len(trades) > seen + 10, what="more trades")
        assert len([s for s, _ in notices if s.code == "gap"]) == 2
        assert link_of(bot).gaps == 2
    finally:
        await bot.cleanup()
        await bot.hub.close()
        await stop_collector(collector)


def holes(delivered: list[str], published: list[str]) -> list[tuple[str, str]]:
    """Where ``delivered`` skips part of ``published``: (last before, first after) each."""
    where = [published.index(t) for t in delivered if t in published]
    assert where == sorted(set(where)), "a trade delivered twice or out of order"
    return [(published[a], published[b]) for a, b in itertools.pairwise(where) if b != a + 1]


async def test_a_terminal_that_slept_with_its_link_open_is_told_the_gap_on_waking(
    demo_collector: RedisServer,
) -> None:
    trades: list[Trade] = []
    notices: list[Status] = []
    bot = WebSocketClient("bot", source=demo_collector.url, on_status=notices.append)
    r = demo_collector.sync()
    try:
        await bot.subscribe_trade(["KRW-BTC"], trades.append)
        await until(lambda: len(trade_ids(trades, "KRW-BTC")) >= 5, 60, "trades via Redis")
        await until(lambda: bot.health().state == "connected", 60, "connected")
        reconnects = bot.health().reconnects

        # Asleep: this process's event loop stands still (blocking on purpose) with its
        # Redis socket open, while the collector writes on and the cap trims.
        slept = time.monotonic()
        seen = set(trade_ids(trades, "KRW-BTC"))
        while len(entries_after(r, TRADES, seen, "trade_id")) < KEEP + 3:
            time.sleep(0.05)
            assert time.monotonic() - slept < 60, "the collector stopped publishing"
        published = [t.trade_id for _, f in r.xrange(TRADES) for t in decode_entry(f[b"e"])[0]]
        r.xtrim(TRADES, minid=r.xrevrange(TRADES, count=KEEP)[-1][0], approximate=False)
        slept = time.monotonic() - slept

        seen_n = len(trades)
        await until(lambda: any(n.code == "gap" for n in notices), 60, "the gap said")
        await until(lambda: len(trades) > seen_n + 5, 60, "trades after waking")
        gaps = [n for n in notices if n.code == "gap"]
        assert len(gaps) == 1 and gaps[0].symbol == "KRW-BTC"
        assert "trade KRW-BTC" in gaps[0].message and "is missing" in gaps[0].message
        assert link_of(bot).gaps == 1
        # The tape has exactly one hole, and it is the one that was said.
        assert len(holes(trade_ids(trades, "KRW-BTC"), published)) == 1
        if slept < 3.0:  # within the socket's timeout: the link stayed up through the nap
            assert bot.health().reconnects == reconnects
            assert "before this feed read it" in gaps[0].message

        more = len(trades)
        await until(lambda: len(trades) > more + 5, 60, "more trades")
        assert len([n for n in notices if n.code == "gap"]) == 1  # said once
    finally:
        await bot.cleanup()
        await bot.hub.close()
