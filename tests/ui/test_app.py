"""Pilot tests of the cockpit: every binding, the symbol switch, the palette, settings.

The panes' feed clients run on a fake connection (no sockets) and the REST side is a fake
with deterministic markets and candles; events are pushed through each client's real
dispatch, so subscription filtering (no old-symbol rows after a switch) is the real one.
"""

from __future__ import annotations

import asyncio
import gc
import math
import os
import random
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dantaro_tui.config import INTERVALS, LAYOUTS, THEMES, Config, load_config
from dantaro_tui.feed import hub as hub_module
from dantaro_tui.feed.client import WebSocketClient
from dantaro_tui.feed.health import Health
from dantaro_tui.model import Candle, Level, Market, OrderBook, Ticker, Trade
from dantaro_tui.ui.app import DantaroApp
from dantaro_tui.ui.commands import market_score, search_markets
from dantaro_tui.ui.screens.alerts import AlertsScreen
from dantaro_tui.ui.screens.health import HealthScreen
from dantaro_tui.ui.screens.help import HelpScreen
from dantaro_tui.ui.screens.main import CockpitScreen
from dantaro_tui.ui.widgets.chart import INTERVAL_MS
from dantaro_tui.ui.widgets.status import StatusBar

SIZE = (160, 48)
T0 = 1_767_225_600_000  # 2026-01-01 00:00 UTC: every fake time stamp is fixed

MARKETS = [
    Market("upbit", "KRW-BTC", "BTC", "KRW", "비트코인", "Bitcoin"),
    Market("upbit", "KRW-ETH", "ETH", "KRW", "이더리움", "Ethereum"),
    Market("upbit", "KRW-XRP", "XRP", "KRW", "리플", "XRP"),
    Market("upbit", "KRW-SOL", "SOL", "KRW", "솔라나", "Solana"),
    Market("upbit", "KRW-DOGE", "DOGE", "KRW", "도지코인", "Dogecoin"),
    Market("upbit", "KRW-ADA", "ADA", "KRW", "에이다", "Cardano"),
    Market("upbit", "KRW-TRX", "TRX", "KRW", "트론", "TRON"),
    Market("upbit", "KRW-LINK", "LINK", "KRW", "체인링크", "Chainlink"),
    Market("upbit", "KRW-AVAX", "AVAX", "KRW", "아발란체", "Avalanche"),
    Market("upbit", "KRW-BCH", "BCH", "KRW", "비트코인캐시", "Bitcoin Cash"),
    Market("upbit", "KRW-BTT", "BTT", "KRW", "비트토렌트", "BitTorrent"),
    Market("upbit", "BTC-ETH", "ETH", "BTC", "이더리움", "Ethereum"),
    Market("upbit", "USDT-BTC", "BTC", "USDT", "비트코인", "Bitcoin"),
]
BASE_PRICE = {
    "KRW-BTC": 95_000_000.0,
    "KRW-ETH": 4_800_000.0,
    "KRW-XRP": 3_100.0,
    "KRW-SOL": 280_000.0,
    "KRW-DOGE": 480.0,
    "KRW-ADA": 1_250.0,
    "KRW-TRX": 340.0,
    "KRW-LINK": 31_000.0,
    "KRW-AVAX": 52_000.0,
    "KRW-BCH": 700_000.0,
    "KRW-BTT": 0.0021,
    "BTC-ETH": 0.05,
    "USDT-BTC": 98_000.0,
}


class RestError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class FakeRest:
    """Markets and candles, the same for every run."""

    fail_markets = 0  # fail this many markets() calls first (no network)

    def __init__(self, exchange: str = "upbit") -> None:
        self.exchange = exchange
        self.calls: list[tuple[str, str, int]] = []

    async def markets(self) -> list[Market]:
        if FakeRest.fail_markets > 0:
            FakeRest.fail_markets -= 1
            raise RestError("network error: Name or service not known")
        return list(MARKETS)

    async def candles(self, symbol: str, interval: str = "1m", count: int = 200) -> list[Candle]:
        self.calls.append((symbol, interval, count))
        if symbol not in BASE_PRICE:
            raise RestError(f"{symbol} is not a market on Upbit")
        return make_candles(symbol, interval, count)

    async def close(self) -> None:
        pass


def make_candles(symbol: str, interval: str, count: int) -> list[Candle]:
    rng = random.Random(f"{symbol}/{interval}")
    step = INTERVAL_MS[interval]
    price = BASE_PRICE[symbol]
    base, quote = symbol.split("-")[1], symbol.split("-")[0]
    out = []
    start = T0 - step * count
    for i in range(count):
        o = price
        c = o * (1 + rng.gauss(0, 0.004))
        h = max(o, c) * (1 + abs(rng.gauss(0, 0.002)))
        low = min(o, c) * (1 - abs(rng.gauss(0, 0.002)))
        v = abs(rng.gauss(5, 2)) + 0.1
        out.append(
            Candle(
                "upbit",
                symbol,
                quote,
                base,
                interval,
                start + i * step,
                o,
                h,
                low,
                c,
                v,
                closed=True,
            )
        )
        price = c
    return out


class FakeConnection:
    """Stands in for the hub's feed.connection.Connection: always connected, never dials;
    tests hand events to the clients with ``push``."""

    def __init__(self, venue: Any, endpoint: str, shard: int) -> None:
        self.venue = venue
        # Named like a real socket (one per exchange): Upbit's keeps its old name.
        prefix = "fake" if venue.exchange == "upbit" else f"fake-{venue.exchange}"
        self.health = Health(f"{prefix}#{shard}", venue.exchange)
        self.health.state = "connected"
        self.desired: dict[str, frozenset[str]] = {}
        self.clients: frozenset[Any] = frozenset()
        self.waiting: dict[Any, float] = {}
        self.rate_limit_wait = 0.0
        self._ws = None

    def update(self, desired: Any) -> None:
        self.desired = {k: frozenset(v) for k, v in desired.items() if v}

    def budget_wait(self) -> float:
        return 0.0

    def note(self, pairs: Any = None) -> str:
        return ""

    async def synced(self, timeout: float | None = None) -> bool:
        return True

    async def close(self) -> None:
        self.health.state = "closed"


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """No sockets, fixed time zone, a private config file."""
    monkeypatch.setattr(hub_module, "Connection", FakeConnection)
    monkeypatch.setenv("TZ", "UTC")
    monkeypatch.setenv("DANTARO_CONFIG", str(tmp_path / "config.toml"))
    for name in ("DANTARO_THEME", "DANTARO_LAYOUT", "DANTARO_SYMBOLS", "DANTARO_INTERVALS"):
        monkeypatch.delenv(name, raising=False)
    import time as _time

    _time.tzset()
    FakeRest.fail_markets = 0
    gc.collect()
    yield tmp_path / "config.toml"
    gc.collect()
    _time.tzset()


def make_app(
    config: Config | None = None,
    *,
    mode: str = "demo",
    persist: bool = False,
    path: Path | None = None,
) -> DantaroApp:
    # env={} keeps DANTARO_* overrides out; the file is the test's own (never the user's).
    cfg = config or load_config(path or os.environ["DANTARO_CONFIG"], env={})
    return DantaroApp(cfg, mode=mode, rest_factory=FakeRest, persist=persist)  # type: ignore[arg-type]


async def started(app: DantaroApp, pilot: Any) -> CockpitScreen:
    await asyncio.wait_for(app.started.wait(), 5)
    await pilot.pause()
    cockpit = app.cockpit
    assert cockpit is not None
    await until(lambda: all(c.bars for c in cockpit.charts), pilot)
    return cockpit


async def until(cond: Any, pilot: Any, timeout: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not cond():
        if loop.time() > end:
            raise AssertionError("condition not met in time")
        await pilot.pause(0.02)


def push(client: WebSocketClient, *events: Any) -> None:
    """Deliver events the way the hub does: into the owner's mailbox, whose task filters
    and delivers them (a pilot pause later)."""
    for ev in events:
        client._push(hub_module.event_key(ev), ev)


def ticker(symbol: str, price: float, rate: float = 0.012, t: int = T0) -> Ticker:
    base, quote = symbol.split("-")[1], symbol.split("-")[0]
    prev = price / (1 + rate)
    return Ticker(
        "upbit",
        symbol,
        base,
        quote,
        price,
        rate,
        price - prev,
        prev,
        price * 1.02,
        price * 0.97,
        prev,
        1234.5,
        1234.5 * price,
        t,
    )


def trade(
    symbol: str,
    price: float,
    volume: float = 0.5,
    t: int = T0 + 1000,
    side: str = "buy",
    seq: int = 1,
) -> Trade:
    base, quote = symbol.split("-")[1], symbol.split("-")[0]
    return Trade("upbit", symbol, base, quote, price, volume, side, f"{symbol}-{seq}", t)  # type: ignore[arg-type]


def book(symbol: str, mid: float, t: int = T0) -> OrderBook:
    base, quote = symbol.split("-")[1], symbol.split("-")[0]
    tick = 1000.0 if mid > 1e7 else 1.0 if mid > 1000 else 0.1
    asks = tuple(Level(mid + tick * (i + 1), 0.1 * (i + 1)) for i in range(15))
    bids = tuple(Level(mid - tick * i, 0.12 * (i + 1)) for i in range(15))
    return OrderBook(
        "upbit",
        symbol,
        base,
        quote,
        bids,
        asks,
        sum(b.size for b in bids),
        sum(a.size for a in asks),
        t,
    )


def feed_all(cockpit: CockpitScreen) -> None:
    """Tickers for the scanner, a book, trades and tickers for every pane."""
    scanner = cockpit.scanner
    for i, m in enumerate(MARKETS):
        if m.quote == "KRW":
            rate = math.sin(i * 1.7) * 0.06
            push(scanner.client, ticker(m.symbol, BASE_PRICE[m.symbol], rate, T0 + i))
    for chart in cockpit.charts:
        p = chart.bars[-1].c if chart.bars else BASE_PRICE.get(chart.symbol, 100.0)
        push(chart.client, ticker(chart.symbol, p), trade(chart.symbol, p))
    bookview = cockpit.query_one("#orderbook")
    tape = cockpit.query_one("#tape")
    sym = bookview.symbol
    push(bookview.client, book(sym, BASE_PRICE[sym]))
    for i in range(12):
        side = "buy" if i % 3 else "sell"
        push(
            tape.client,
            trade(sym, BASE_PRICE[sym] + i * 1000, 0.01 * (i + 1), T0 + i * 1500, side, seq=i),
        )


# -- config -------------------------------------------------------------------------------
def test_config_layers(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(
        'theme = "dantaro-light"\nlayout = "3x3"\n[charts]\nsymbols = ["KRW-ETH"]\n'
        'intervals = ["5m", "1h"]\n[scanner]\nthreshold = 7.5\n',
        encoding="utf-8",
    )
    cfg = load_config(path, env={})
    assert (cfg.theme, cfg.layout, cfg.scanner_threshold) == ("dantaro-light", "3x3", 7.5)
    assert cfg.symbols[0] == "KRW-ETH" and cfg.symbols[1] == "KRW-BTC"
    assert cfg.intervals[:3] == ["5m", "1h", "1m"]
    env = {"DANTARO_THEME": "dantaro-korea", "DANTARO_LAYOUT": "1x2"}
    cfg = load_config(path, env=env)
    assert (cfg.theme, cfg.layout) == ("dantaro-korea", "1x2")
    cfg = load_config(path, env=env, overrides={"layout": "2x2"})
    assert cfg.layout == "2x2"  # flags beat the environment
    bad = tmp_path / "bad.toml"
    bad.write_text("theme = \n", encoding="utf-8")
    cfg = load_config(bad, env={})
    assert cfg.theme == "dantaro-dark" and cfg.warnings


def test_config_roundtrip(tmp_path: Path) -> None:
    from dantaro_tui.config import save_config

    cfg = load_config(tmp_path / "x.toml", env={})
    cfg.theme, cfg.layout, cfg.vwap = "dantaro-contrast", "1x1", True
    cfg.symbols[0], cfg.intervals[0] = 'KRW-"Q"', "4h"
    save_config(cfg)
    doc = tomllib.loads((tmp_path / "x.toml").read_text(encoding="utf-8"))
    assert doc["charts"]["symbols"][0] == 'KRW-"Q"'
    again = load_config(tmp_path / "x.toml", env={})
    assert (again.theme, again.layout, again.vwap, again.intervals[0]) == (
        "dantaro-contrast",
        "1x1",
        True,
        "4h",
    )


# -- palette ranking ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("btc", "KRW-BTC"),
        ("KRW-BTC", "KRW-BTC"),
        ("krw-eth", "KRW-ETH"),
        ("비트", "KRW-BTC"),
        ("비트코인", "KRW-BTC"),
        ("ethereum", "KRW-ETH"),
        ("Bitcoin Cash", "KRW-BCH"),
        ("cash", "KRW-BCH"),
        ("bt", "KRW-BTC"),
        ("토렌트", "KRW-BTT"),
        ("usdt-btc", "USDT-BTC"),
        ("btckrw", "KRW-BTC"),
    ],
)
def test_market_search_ranking(query: str, first: str) -> None:
    found = search_markets(MARKETS, query)
    assert found and found[0].symbol == first, [m.symbol for m in found]


def test_market_search_order_exact_prefix_substring() -> None:
    found = [m.symbol for m in search_markets(MARKETS, "비트")]
    assert found[:3] == ["KRW-BTC", "KRW-BTT", "KRW-BCH"] or found[0] == "KRW-BTC"
    assert set(found) >= {"KRW-BTC", "KRW-BCH", "KRW-BTT"}
    btc = next(m for m in MARKETS if m.symbol == "KRW-BTC")
    assert market_score(btc, "KRW-BTC") > market_score(btc, "btc") > market_score(btc, "bt")
    assert market_score(btc, "zzz") == 0


# -- the app --------------------------------------------------------------------------------
async def test_startup_default_layout(offline: Path) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        cockpit = await started(app, pilot)
        charts = cockpit.charts
        assert [c.symbol for c in charts] == ["KRW-BTC", "KRW-ETH", "KRW-XRP", "KRW-SOL"]
        assert app.focused is charts[0]
        assert cockpit.query_one("#orderbook").symbol == "KRW-BTC"
        assert cockpit.query_one("#tape").symbol == "KRW-BTC"
        status = cockpit.query_one(StatusBar)
        assert "DEMO" in str(status.render())
        await until(lambda: app.markets, pilot)
        assert set(cockpit.scanner.order) >= {"KRW-BTC", "KRW-ETH"}


async def test_focus_keys_1_to_9(offline: Path) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        cockpit = await started(app, pilot)
        for n in (2, 3, 4, 1):
            await pilot.press(str(n))
            assert app.focused is cockpit.chart(n)
            assert cockpit.active_index == n
        await pilot.press("7")  # not in a 2x2 layout: a warning, focus stays
        assert app.focused is cockpit.chart(1)
        assert any("2x2" in n.message for n in app._notifications)


async def test_layout_cycle_and_3x3_focus(offline: Path) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        cockpit = await started(app, pilot)
        seen = []
        for _ in LAYOUTS:
            await pilot.press("l")
            await pilot.pause()
            seen.append((app.config.layout, len(cockpit.charts)))
        assert seen == [("3x3", 9), ("1x1", 1), ("1x2", 2), ("2x2", 4)]
        await pilot.press("L")
        await pilot.pause()
        assert (app.config.layout, len(cockpit.charts)) == ("1x2", 2)
        await pilot.press("l", "l")
        await pilot.pause()
        assert app.config.layout == "3x3"
        await pilot.press("9")
        assert app.focused is cockpit.chart(9)
        assert cockpit.chart(9).symbol == "KRW-AVAX"


async def test_interval_keys(offline: Path) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        cockpit = await started(app, pilot)
        await pilot.press("2")
        chart = cockpit.chart(2)
        assert chart.interval == "1m"
        for expected in INTERVALS[1:]:
            await pilot.press("i")
            assert chart.interval == expected
        await until(lambda: chart.bars and chart.notice == "", pilot)
        assert chart.bars[-1].t - chart.bars[-2].t == INTERVAL_MS["1d"]
        await pilot.press("i")
        assert chart.interval == "1m"
        await pilot.press("I")
        assert chart.interval == "1d"
        assert app.config.intervals[1] == "1d"
        assert cockpit.chart(1).interval == "1m"  # only the active chart changed
        subs = chart.client.subscriptions
        assert "trade" in subs and not any(k.startswith("candle.") for k in subs)  # 1d: trades
        await pilot.press("i")
        await until(lambda: "candle.1m" in chart.client.subscriptions, pilot)


async def test_overlay_keys(offline: Path) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        cockpit = await started(app, pilot)
        await pilot.press("v")
        assert app.config.vwap and all(c.vwap for c in cockpit.charts)
        await pilot.press("b")
        assert app.config.bollinger and all(c.bollinger for c in cockpit.charts)
        await pilot.pause(0.3)
        text = "\n".join(s.text for s in cockpit.chart(1)._lines)
        assert "VWAP" in text and "BB" in text
        await pilot.press("v", "b")
        assert not app.config.vwap and not app.config.bollinger


async def test_symbol_switch_no_old_rows(offline: Path) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        cockpit = await started(app, pilot)
        feed_all(cockpit)
        chart = cockpit.chart(1)
        bookview = cockpit.query_one("#orderbook")
        tape = cockpit.query_one("#tape")
        await until(lambda: tape.trades and bookview.book is not None, pilot)
        old_tape_client = tape.client
        cockpit.open_market("KRW-ETH")
        # Synchronously: every linked pane shows the new symbol and nothing of the old one.
        assert chart.symbol == bookview.symbol == tape.symbol == "KRW-ETH"
        assert not tape.trades and bookview.book is None and not chart.bars
        # Late frames of the old symbol are dropped, by the client and by the pane.
        push(old_tape_client, trade("KRW-BTC", 95_000_000.0, seq=99))
        push(bookview.client, book("KRW-BTC", 95_000_000.0))
        push(chart.client, trade("KRW-BTC", 95_000_000.0, seq=98))
        await pilot.pause()
        assert not tape.trades and bookview.book is None
        assert all(b.c < 10_000_000 for b in chart.bars)  # no BTC price in an ETH chart
        await until(lambda: "KRW-ETH" in chart.client.symbols and chart.bars, pilot)
        assert chart.client.symbols == {"KRW-ETH"} and tape.client.symbols == {"KRW-ETH"}
        push(tape.client, trade("KRW-ETH", 4_800_000.0, seq=5))
        await pilot.pause()
        assert [t.symbol for t in tape.trades] == ["KRW-ETH"]
        assert app.config.symbols[0] == "KRW-ETH"
        # A chart outside the link group keeps its market.
        assert cockpit.chart(2).symbol == "KRW-ETH" and cockpit.chart(3).symbol == "KRW-XRP"


async def test_symbol_key_palette(offline: Path) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        cockpit = await started(app, pilot)
        await until(lambda: app.markets, pilot)
        await pilot.press("3")
        await pilot.press("s")
        await pilot.pause()
        assert app.screen.has_class("--textual-command-palette")
        await pilot.press(*"솔라")
        await pilot.pause(0.6)
        await pilot.press("enter")
        await until(lambda: cockpit.chart(3).symbol == "KRW-SOL", pilot)
        assert cockpit.chart(1).symbol == "KRW-BTC"  # chart 3 is not linked
        await pilot.press("slash")
        await pilot.press(*"doge")
        await pilot.pause(0.6)
        await pilot.press("enter")
        await until(lambda: cockpit.chart(3).symbol == "KRW-DOGE", pilot)


async def test_palette_market_search_opens_linked(offline: Path) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        cockpit = await started(app, pilot)
        await until(lambda: app.markets, pilot)
        await pilot.press("ctrl+p")
        await pilot.press(*"KRW-XRP")
        await pilot.pause(0.6)
        await pilot.press("enter")
        await until(lambda: cockpit.chart(1).symbol == "KRW-XRP", pilot)
        assert cockpit.query_one("#tape").symbol == "KRW-XRP"
        assert cockpit.query_one("#orderbook").symbol == "KRW-XRP"


async def test_bad_symbol_is_a_plain_message(offline: Path) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        cockpit = await started(app, pilot)
        await pilot.press("2")
        cockpit.open_market("KRW-NOPE")
        chart = cockpit.chart(2)
        await until(lambda: "not a market" in chart.notice, pilot)
        await pilot.pause(0.3)
        assert any("not a market" in n.message for n in app._notifications)
        assert any("not a market" in a.message for a in app.alerts)
        assert app.is_running and isinstance(app.screen, CockpitScreen)


async def test_scanner_enter_opens_in_active_chart_and_book(offline: Path) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        cockpit = await started(app, pilot)
        await until(lambda: app.markets and cockpit.scanner.order, pilot)
        feed_all(cockpit)
        await pilot.pause(0.3)
        scanner = cockpit.scanner
        scanner.focus()
        await pilot.pause()
        target = scanner.order[2]
        scanner.select_market(target)
        await pilot.press("enter")
        await pilot.pause()
        assert cockpit.chart(1).symbol == target
        assert cockpit.query_one("#orderbook").symbol == target
        assert cockpit.query_one("#tape").symbol == target


async def test_scanner_sort_and_threshold_keys(offline: Path) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        cockpit = await started(app, pilot)
        scanner = cockpit.scanner
        before = scanner.sort_key
        await pilot.press("o")
        assert scanner.sort_key != before and app.config.scanner_sort == scanner.sort_key
        await pilot.press("O")
        assert scanner.sort_key == before
        desc = scanner.descending
        await pilot.press("r")
        assert scanner.descending != desc
        await pilot.press("right_square_bracket")
        assert app.config.scanner_threshold == 5.5
        assert abs(scanner.threshold - 0.055) < 1e-9
        await pilot.press("left_square_bracket", "left_square_bracket")
        assert app.config.scanner_threshold == 4.5


async def test_link_key_cycles_group(offline: Path) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        cockpit = await started(app, pilot)
        await pilot.press("2")
        chart = cockpit.chart(2)
        assert chart.link_group is None
        await pilot.press("g")
        assert chart.link_group == "red"
        cockpit.open_market("KRW-DOGE")
        assert cockpit.chart(1).symbol == "KRW-DOGE" and chart.symbol == "KRW-DOGE"
        assert cockpit.query_one("#tape").symbol == "KRW-DOGE"
        await pilot.press("g")
        assert chart.link_group == "green"


async def test_theme_key_and_persistence(offline: Path) -> None:
    app = make_app(persist=True, path=offline)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        assert app.theme == "dantaro-dark"
        seen = []
        for _ in THEMES:
            await pilot.press("t")
            seen.append(app.theme)
        assert seen == [*THEMES[1:], THEMES[0]]
        await pilot.press("t")  # light
        await pilot.press("l")  # 3x3
        await pilot.pause()
        await pilot.press("3", "i")
        app.save_now()
    doc = tomllib.loads(offline.read_text(encoding="utf-8"))
    assert doc["theme"] == "dantaro-light" and doc["layout"] == "3x3"
    assert doc["charts"]["intervals"][2] == "5m"
    again = load_config(offline, env={})
    assert (again.theme, again.layout, again.intervals[2]) == ("dantaro-light", "3x3", "5m")


async def test_korean_theme_flips_colours(offline: Path) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        app.theme = "dantaro-korea"
        await pilot.pause()
        up = app.theme_variables["price-up"].lower()
        down = app.theme_variables["price-down"].lower()
        assert up.startswith("#f0") and down.startswith("#3d")  # red up, blue down
        app.theme = "dantaro-dark"
        await pilot.pause()
        assert app.theme_variables["price-up"].lower() == "#3fb950"


async def test_screens_help_health_alerts(offline: Path) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = str(app.screen.query_one("#help-text").render())
        for needle in (
            "Interval",
            "Layout",
            "VWAP",
            "Symbol",
            "Health",
            "Alerts",
            "Theme",
            "Sort",
            "1 2 3 4 5 6 7 8 9",
            "ctrl+p",
        ):
            assert needle in text, needle
        await pilot.press("escape")
        assert isinstance(app.screen, CockpitScreen)
        await pilot.press("h")
        assert isinstance(app.screen, HealthScreen)
        table = app.screen.query_one("#health-table")
        await until(lambda: table.row_count >= 7, pilot)
        # What a socket waits for is said under the table, in the exchange's own words.
        conn = app.hub.connections()[0]
        conn.note = lambda pairs=None: "BTCUSDT waits for its order book snapshot"  # type: ignore[method-assign]
        errors = app.screen.query_one("#health-errors")
        await until(lambda: "waits for its order book snapshot" in str(errors.render()), pilot)
        await pilot.press("escape")
        assert isinstance(app.screen, CockpitScreen)
        app.add_alert("upbit feed: connection lost, reconnecting")
        await pilot.press("a")
        assert isinstance(app.screen, AlertsScreen)
        assert app.screen.query_one("#alerts-table").row_count == 1
        await pilot.press("c")
        assert app.screen.query_one("#alerts-table").row_count == 0
        await pilot.press("a")
        assert isinstance(app.screen, CockpitScreen)


async def test_no_network_says_so_and_recovers(offline: Path) -> None:
    FakeRest.fail_markets = 1
    app = make_app(mode="live")
    async with app.run_test(size=SIZE) as pilot:
        cockpit = await started(app, pilot)
        await until(lambda: any("Cannot reach" in n.message for n in app._notifications), pilot)
        note = next(n.message for n in app._notifications if "Cannot reach" in n.message)
        assert "--demo" in note
        assert "try --demo" in cockpit.status.notice
        await until(lambda: app.markets, pilot, timeout=6)
        assert cockpit.status.notice == ""


async def test_quit_key_saves(offline: Path) -> None:
    app = make_app(persist=True, path=offline)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await pilot.press("v")
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0
    assert tomllib.loads(offline.read_text(encoding="utf-8"))["charts"]["vwap"] is True


async def test_exchange_words_with_markup_or_escapes_are_shown_as_plain_text(
    offline: Path,
) -> None:
    from dantaro_tui.analytics.alerts import Alert

    hostile = "Upbit said: [/] [link=https://evil.example]click[/link] \x1b]2;pwned\x07"
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        app.notify(hostile, title="Exchange")  # a closing tag alone makes markup raise
        app.alerts.append(Alert(T0, "KRW-BTC", "connection", hostile, 0.0))
        await pilot.press("a")
        await pilot.pause(0.2)
        assert isinstance(app.screen, AlertsScreen)
        table = app.screen.query_one("#alerts-table")
        cells = [str(c) for c in table.get_row_at(0)]  # type: ignore[attr-defined]
        assert any("[/]" in c and "[link=" in c for c in cells)  # shown, not interpreted
        assert app.is_running
        toasts = list(app._notifications)
        assert any(n.message == hostile for n in toasts)
