"""Panes on any venue: ``binance:BTCUSDT`` in ``--symbols`` and the palette, the venue on
every pane, a switch across venues that never shows the old market, and the scanner on a
venue's USDT markets. The real app on the real simulator."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from dantaro_tui.config import load_config
from dantaro_tui.ui.app import DantaroApp
from dantaro_tui.ui.run import DemoSession
from dantaro_tui.ui.screens.main import CockpitScreen
from dantaro_tui.ui.widgets.orderbook import OrderBookView
from dantaro_tui.ui.widgets.scanner import ScannerView
from dantaro_tui.ui.widgets.tape import TradeTape
from tests.ui.test_app_demo import SIZE, private_config, until

__all__ = ["private_config"]  # the fixture, used by name


def demo_app(path: Path, **overrides: Any) -> DantaroApp:
    cfg = load_config(path, env={}, overrides=overrides)
    return DantaroApp(cfg, mode="demo", session=DemoSession(seed=4), persist=False)


async def test_one_chart_on_each_venue_shows_that_venues_market(private_config: Path) -> None:
    symbols = "KRW-BTC,binance:BTCUSDT,gateio:eth_usdt,okx:SOL-USDT"
    app = demo_app(private_config, symbols=symbols)
    async with app.run_test(size=SIZE) as pilot:
        await asyncio.wait_for(app.started.wait(), 10)
        cockpit = app.cockpit
        assert isinstance(cockpit, CockpitScreen)
        charts = cockpit.charts
        want = [
            ("upbit", "KRW-BTC"),
            ("binance", "BTCUSDT"),
            ("gateio", "ETH_USDT"),
            ("okx", "SOL-USDT"),
        ]
        assert [(c.exchange, c.symbol) for c in charts] == want
        await until(lambda: all(c.bars and c.last_price > 0 for c in charts), pilot, 20)
        # One coin, two venues: the KRW price is the USDT price times a rate near 1,400.
        ratio = charts[0].last_price / charts[1].last_price
        assert 1_000 < ratio < 2_000
        for chart, (exchange, _) in zip(charts, want, strict=True):
            subtitle = str(chart.border_subtitle)
            assert {"upbit": "Upbit", "binance": "Binance", "gateio": "Gate.io", "okx": "OKX"}[
                exchange
            ] in subtitle
            assert chart.client.exchange == exchange
        # Each venue's own price step, from its market list, formats its prices.
        await until(lambda: charts[1].market_tick() > 0 and charts[2].market_tick() > 0, pilot)
        frame = charts[1].frame()
        assert frame.market is not None and frame.tick(frame.last_price) == charts[1].market_tick()
        assert (frame.base_currency, frame.quote_currency) == ("BTC", "USDT")
        # The saved layout keeps every chart's venue.
        assert app.config.symbols[:4] == [
            "KRW-BTC",
            "binance:BTCUSDT",
            "gateio:ETH_USDT",
            "okx:SOL-USDT",
        ]


async def test_palette_moves_a_linked_book_and_tape_to_binance_and_back(
    private_config: Path,
) -> None:
    app = demo_app(private_config)
    async with app.run_test(size=SIZE) as pilot:
        await asyncio.wait_for(app.started.wait(), 10)
        cockpit = app.cockpit
        assert isinstance(cockpit, CockpitScreen)
        book = cockpit.query_one("#orderbook", OrderBookView)
        tape = cockpit.query_one("#tape", TradeTape)
        chart = cockpit.chart(1)
        assert chart is not None and chart.link_group == book.link_group == tape.link_group
        await until(lambda: book.book is not None and tape.trades, pilot)
        assert "Upbit" in str(book.border_title)

        await pilot.press("1", "ctrl+p", *"binance:BTCUSDT")
        await pilot.pause(0.6)
        await pilot.press("enter")
        await until(lambda: chart.exchange == "binance", pilot)
        assert (book.exchange, book.symbol) == ("binance", "BTCUSDT")
        assert (tape.exchange, tape.symbol) == ("binance", "BTCUSDT")
        assert "Binance" in str(book.border_title) and "Binance" in str(tape.border_title)
        seen = False
        for _ in range(60):  # three seconds of live frames after the switch
            shown = book.book
            assert shown is None or (shown.exchange, shown.symbol) == ("binance", "BTCUSDT")
            assert shown is None or shown.best_bid < 1_000_000  # USDT, not KRW
            assert all(t.exchange == "binance" for t in tape.trades)
            seen = seen or (shown is not None and bool(tape.trades))
            await pilot.pause(0.05)
        assert seen, "Binance's book and trades did not arrive"

        # Back on the home venue by its bare code; Binance's feed is let go.
        on_binance = [book.client, tape.client, chart.client]
        assert all(c.exchange == "binance" and c.subscriptions for c in on_binance)
        await pilot.press("1", "ctrl+p", *"KRW-ETH")
        await pilot.pause(0.6)
        await pilot.press("enter")
        await until(lambda: book.exchange == "upbit" and book.book is not None, pilot)
        assert book.book is not None and book.book.symbol == "KRW-ETH"
        assert all(c.exchange == "upbit" for c in (book.client, tape.client, chart.client))
        await until(lambda: not any(c.subscriptions for c in on_binance), pilot)


async def test_scanner_lists_binance_usdt_markets_and_enter_opens_one(
    private_config: Path,
) -> None:
    app = demo_app(private_config)
    async with app.run_test(size=SIZE) as pilot:
        await asyncio.wait_for(app.started.wait(), 10)
        cockpit = app.cockpit
        assert isinstance(cockpit, CockpitScreen)
        scanner = cockpit.query_one("#scanner", ScannerView)
        await until(lambda: scanner.order, pilot)
        app.list_venue("binance")
        await until(lambda: scanner.exchange == "binance" and scanner.quote == "USDT", pilot)
        assert all(not s.startswith("KRW-") for s in scanner.order)
        assert "Binance" in str(scanner.border_title)
        await until(lambda: scanner.model.get("BTCUSDT") is not None, pilot)
        row = scanner.model.get("BTCUSDT")
        await until(lambda: row is not None and row.has_data, pilot, 15)
        scanner.focus()
        assert scanner.select_market("binance:BTCUSDT")
        await pilot.press("enter")
        chart = cockpit.active_chart
        assert chart is not None
        await until(lambda: (chart.exchange, chart.symbol) == ("binance", "BTCUSDT"), pilot)


class _Unreachable:
    """A venue's REST that never answers its market list (counted)."""

    def __init__(self) -> None:
        self.asked = 0

    async def markets(self) -> list[Any]:
        self.asked += 1
        raise OSError("connection refused")

    async def candles(self, symbol: str, interval: str = "1m", count: int = 200) -> list[Any]:
        return []

    async def close(self) -> None:
        pass


async def test_an_unreachable_venue_is_not_asked_on_every_repaint(private_config: Path) -> None:
    """A pane on a venue whose market list cannot be had asks for it on every paint; the
    app asks the venue once, says so, and waits before asking again."""
    from dantaro_tui.ui.app import _default_rest

    dead = _Unreachable()
    cfg = load_config(private_config, env={}, overrides={"symbols": "KRW-BTC,binance:BTCUSDT"})
    app = DantaroApp(cfg, mode="demo", session=DemoSession(seed=4), persist=False)
    app.rest_factory = lambda ex: dead if ex == "binance" else _default_rest(ex, app.hub)
    async with app.run_test(size=SIZE) as pilot:
        await asyncio.wait_for(app.started.wait(), 10)
        await until(lambda: dead.asked >= 1, pilot)
        await pilot.pause(2.0)  # some 30 paints of the Binance chart
        assert dead.asked == 1
        said = [a.message for a in app.alert_service.log if "Binance market list" in a.message]
        assert len(said) == 1 and "connection refused" in said[0]
