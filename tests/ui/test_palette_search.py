"""The market search with every venue's list loaded: the index behind it finds exactly what
scoring every market finds, and the palette keeps its ways of searching (initial
consonants, venue prefixes, Korean and English names) on the real demo app."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from textual.command import CommandList, CommandPalette

from dantaro_tui.exchanges import binance_rest, gateio_rest, okx_rest, upbit_rest
from dantaro_tui.model import Market
from dantaro_tui.ui.app import DantaroApp
from dantaro_tui.ui.search_index import (
    IndexCache,
    MarketIndex,
    choseong,
    market_score,
    search_indexes,
)
from tests.recorded import load
from tests.ui.test_app import MARKETS
from tests.ui.test_app_demo import SIZE, demo_app, private_config, until  # noqa: F401


def scan(lists: Sequence[Sequence[Market]], query: str, limit: int) -> list[Market]:
    """The documented ranking applied to every market, best first (ties by code)."""
    scored = [(market_score(m, query), m) for ms in lists for m in ms]
    scored = [(s, m) for s, m in scored if s > 0]
    scored.sort(key=lambda sm: (-sm[0], sm[1].symbol))
    return [m for _, m in scored[:limit]]


def queries_from(markets: Sequence[Market], count: int) -> list[str]:
    """What traders type: starts and middles of codes, bases and names (both cases), initial
    consonants, spaced and glued spellings."""
    rng = random.Random(3)
    found: set[str] = set()
    for m in markets:
        for text in (m.symbol, m.base, m.korean_name, m.english_name, choseong(m.korean_name)):
            if text:
                n = rng.randint(1, len(text))
                start = rng.randint(0, len(text) - 1)
                found |= {text[:n], text[:n].lower(), text[start : start + n]}
        found.add(f"{m.base}/{m.quote}".lower())
        found.add(f" {m.base.lower()}{m.quote.lower()} ")
    return rng.sample(sorted(found), min(count, len(found)))


def recorded_lists() -> list[list[Market]]:
    return [
        upbit_rest.parse_markets(load("upbit_rest.txt").rest[0][2]),
        okx_rest.parse_instruments(load("okx_rest.txt").rest[0][2]),
        binance_rest.parse_exchange_info(load("binance_rest.txt").rest[0][2]),
        gateio_rest.parse_currency_pairs(load("gateio_rest.txt").rest[0][2]),
    ]


def test_the_index_finds_what_scoring_every_market_finds() -> None:
    """Over the real market lists of four venues (thousands of markets), the same markets in
    the same order, whether a query is settled by the index alone or needs every market."""
    lists = [MARKETS, *recorded_lists()]
    indexes = [MarketIndex(ms) for ms in lists]
    flat = [m for ms in lists for m in ms]
    assert len(flat) > 2000
    queries = [*queries_from(flat, 400), "ㅂㅌ", "ㅂ ㅌ", "코인", "coin", "btckrw", "x", "zzzz"]
    for query in queries:
        for limit in (1, 40):
            got = [m for _, m in search_indexes(indexes, query, limit)]
            assert got == scan(lists, query, limit), query


def test_a_reloaded_list_is_searched_as_it_is_now() -> None:
    """The app replaces a market list when it reloads it: the new one is indexed, a coin
    listed since is found, and the same list is not indexed twice."""
    cache = IndexCache()
    first = {m.symbol: m for m in MARKETS[:3]}
    assert search_indexes([cache.index(first)], "doge", 5) == []
    assert cache.index(first) is cache.index(first)
    reloaded = {m.symbol: m for m in MARKETS}
    found = [m.symbol for _, m in search_indexes([cache.index(reloaded)], "doge", 5)]
    assert found == ["KRW-DOGE"]


def prompts(app: DantaroApp) -> list[str]:
    """The market rows of the open palette (other commands left out), best first."""
    screen = app.screen
    if not isinstance(screen, CommandPalette):
        return []
    options = screen.query_one(CommandList)
    rows = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
    return [row for row in rows if "Open in the focused pane" in row]


async def search(app: DantaroApp, pilot: Any, query: str, first: str) -> list[str]:
    """Type ``query`` into a fresh market search; the results once ``first`` leads them."""
    await pilot.press("ctrl+p", *query)
    try:
        await until(lambda: prompts(app)[:1] and first in prompts(app)[0], pilot, 20)
    except AssertionError:
        raise AssertionError(f"{query!r}: {prompts(app)[:5]}") from None
    shown = prompts(app)
    await pilot.press("escape")
    await until(lambda: not isinstance(app.screen, CommandPalette), pilot)
    return shown


async def test_search_with_every_venue_loaded(private_config: Path) -> None:  # noqa: F811
    app = demo_app(private_config)
    async with app.run_test(size=SIZE) as pilot:
        await asyncio.wait_for(app.started.wait(), 20)
        await until(lambda: app.markets, pilot, 20)
        # Before another venue is loaded, its markets are not offered...
        shown = await search(app, pilot, "sol", "KRW-SOL")
        assert not any(p.startswith("OKX ") for p in shown)
        for venue in ("okx", "binance", "gateio", "bithumb", "coinone"):
            assert await asyncio.wait_for(app.load_venue_markets(venue), 20)
        # ...and once loaded they are, below the home venue's market of the same coin.
        shown = await search(app, pilot, "sol", "KRW-SOL")
        assert any(p.startswith("OKX ") and "SOL" in p for p in shown)
        # Initial consonants, a Korean name, an English name, a venue prefix.
        shown = await search(app, pilot, "ㅂㅌㅋㅇ", "KRW-BTC")
        assert "비트코인" in shown[0]
        assert all("ㅂㅌㅋㅇ" in choseong(row.split("  ")[1]) for row in shown)
        shown = await search(app, pilot, "이더리움", "KRW-ETH")
        shown = await search(app, pilot, "ethereum", "KRW-ETH")
        shown = await search(app, pilot, "binance:btc", "Binance")
        assert all(p.startswith("Binance ") for p in shown if "not in the market list" not in p)
        assert "BTC" in shown[0]
