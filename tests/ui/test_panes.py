"""Scanner, order book, trade tape and link groups, mounted in a small App with Pilot.

No network: every pane gets a ``FakeClient`` that only records subscriptions, and state
is injected by calling the panes' feed callbacks with real model events. What is on
screen is read back through ``Widget.render_lines`` (the compositor's own path, including
Textual's line cache), so a line that was not refreshed would show its stale content.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest
from rich.style import Style
from textual import on
from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.geometry import Region
from textual.theme import Theme
from textual.widget import Widget

from dantaro_tui.analytics.alerts import Alert
from dantaro_tui.model import Level, Market, OrderBook, Trade
from dantaro_tui.ui.links import LinkGroups, join, members
from dantaro_tui.ui.widgets.base import PANE_THEME_DEFAULTS, SymbolChanged
from dantaro_tui.ui.widgets.orderbook import OrderBookView
from dantaro_tui.ui.widgets.scanner import ScannerView
from dantaro_tui.ui.widgets.tape import TradeTape
from tests.builders import T0, ticker


class FakeClient:
    """Stands in for WebSocketClient: records the desired set, never connects."""

    def __init__(self, name: str = "fake") -> None:
        self.name = name
        self.on_status: Any = None
        self.subs: dict[str, frozenset[str]] = {}
        self.callbacks: dict[str, Any] = {}

    @property
    def subscriptions(self) -> dict[str, frozenset[str]]:
        return dict(self.subs)

    async def _sub(self, channel: str, symbols: Iterable[str], callback: Any) -> None:
        self.subs[channel] = frozenset(symbols)
        self.callbacks[channel] = callback

    async def subscribe_ticker(self, symbols: Iterable[str], callback: Any) -> None:
        await self._sub("ticker", symbols, callback)

    async def subscribe_trade(self, symbols: Iterable[str], callback: Any) -> None:
        await self._sub("trade", symbols, callback)

    async def subscribe_orderbook(self, symbols: Iterable[str], callback: Any) -> None:
        await self._sub("orderbook", symbols, callback)

    async def resubscribe(self, symbols: Iterable[str]) -> None:
        for channel in self.subs:
            self.subs[channel] = frozenset(symbols)

    async def unsubscribe(self, channel: str, symbols: Iterable[str] | None = None) -> None:
        self.subs.pop(channel, None)

    async def cleanup(self) -> None:
        self.subs.clear()


# -- events -------------------------------------------------------------------------------
def split(symbol: str) -> tuple[str, str]:
    quote, base = symbol.split("-")
    return base, quote


def book(symbol: str, mid: float, levels: int = 15, tick: float = 1000.0) -> OrderBook:
    base, quote = split(symbol)
    bids = tuple(Level(mid - tick * (i + 1), 1.0 + i) for i in range(levels))
    asks = tuple(Level(mid + tick * (i + 1), 0.5 + i) for i in range(levels))
    return OrderBook("upbit", symbol, base, quote, bids, asks, sum(b.size for b in bids), 0.0, T0)


def trade(symbol: str, price: float, volume: float, side: str, n: int) -> Trade:
    base, quote = split(symbol)
    return Trade("upbit", symbol, base, quote, price, volume, side, str(n), T0 + n)  # type: ignore[arg-type]


def screen_lines(widget: Widget) -> list[str]:
    """The widget's lines as the compositor would paint them now."""
    strips = widget.render_lines(Region(0, 0, widget.size.width, widget.size.height))
    return [strip.text for strip in strips]


def line_styles(widget: Widget, y: int) -> list[Style]:
    return [seg.style for seg in widget.render_line(y) if seg.style is not None]


MARKETS = [
    Market("upbit", "KRW-BTC", "BTC", "KRW", "비트코인", "Bitcoin"),
    Market("upbit", "KRW-ETH", "ETH", "KRW", "이더리움", "Ethereum"),
    Market("upbit", "KRW-XRP", "XRP", "KRW", "리플", "XRP"),
    Market("upbit", "KRW-SOL", "SOL", "KRW", "솔라나", "Solana"),
    Market("upbit", "KRW-DOGE", "DOGE", "KRW", "도지코인", "Dogecoin"),
    Market("upbit", "BTC-ETH", "ETH", "BTC", "이더리움", "Ethereum"),
    Market("upbit", "BTC-XRP", "XRP", "BTC", "리플", "XRP"),
]
KRW_TICKERS = [
    ticker("KRW-BTC", 95_000_000, 0.012, 3.0e11),
    ticker("KRW-ETH", 4_500_000, -0.061, 1.0e11),
    ticker("KRW-XRP", 812, 0.074, 2.0e11),
    ticker("KRW-SOL", 210_000, 0.02, 5.0e10),
    ticker("KRW-DOGE", 150, -0.01, 4.0e10),
]


class PaneApp(App[None]):
    """Mounts the panes it is given; records the messages the panes post."""

    CSS = "Horizontal { height: 1fr; } ScannerView { height: 12; }"

    def __init__(self, *panes: Widget, horizontal: bool = False) -> None:
        super().__init__()
        self.panes = panes
        self.horizontal = horizontal
        self.links = LinkGroups(self)
        self.selected: list[ScannerView.MarketSelected] = []
        self.alerts: list[Alert] = []

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return {**super().get_theme_variable_defaults(), **PANE_THEME_DEFAULTS}

    def compose(self) -> ComposeResult:
        if self.horizontal:
            with Horizontal():
                yield from self.panes
        else:
            yield from self.panes

    @on(SymbolChanged)
    @on(ScannerView.MarketSelected)
    def _follow_link(self, message: SymbolChanged | ScannerView.MarketSelected) -> None:
        if isinstance(message, ScannerView.MarketSelected):
            self.selected.append(message)
        self.links.handle(message)


# -- scanner ------------------------------------------------------------------------------
def make_scanner(**kwargs: Any) -> tuple[ScannerView, FakeClient]:
    client = FakeClient("scanner")
    scanner = ScannerView(MARKETS, client=client, **kwargs)  # type: ignore[arg-type]
    return scanner, client


async def fed_scanner(pilot: Any, scanner: ScannerView) -> None:
    for t in KRW_TICKERS:
        scanner.on_ticker(t)
    scanner.refresh_order()
    await pilot.pause()


async def test_scanner_subscribes_the_selected_quote_and_renders_rows() -> None:
    scanner, client = make_scanner()
    app = PaneApp(scanner)
    async with app.run_test(size=(100, 20)) as pilot:
        await fed_scanner(pilot, scanner)
        assert client.subs["ticker"] == {m.symbol for m in MARKETS if m.quote == "KRW"}
        lines = screen_lines(scanner)
        assert "Market" in lines[0] and "한글명" in lines[0] and "Spike" in lines[0]
        # Default sort: 24 h traded value, descending.
        assert scanner.order == ["KRW-BTC", "KRW-XRP", "KRW-ETH", "KRW-SOL", "KRW-DOGE"]
        assert "KRW-BTC" in lines[1] and "비트코인" in lines[1] and "95,000,000" in lines[1]
        assert "+1.20%" in lines[1] and "300.0B" in lines[1]
        assert "리플" in lines[2] and "+7.40%" in lines[2]
        assert scanner.virtual_size.height == 1 + 5


async def test_scanner_sort_keys() -> None:
    scanner, _ = make_scanner()
    app = PaneApp(scanner)
    async with app.run_test(size=(100, 20)) as pilot:
        await fed_scanner(pilot, scanner)
        scanner.focus()
        await pilot.press("s")  # value -> spike
        assert scanner.sort_key == "spike"
        await pilot.press("s")  # spike -> market (wraps), text columns ascend
        assert scanner.sort_key == "market" and not scanner.descending
        assert scanner.order == ["KRW-BTC", "KRW-DOGE", "KRW-ETH", "KRW-SOL", "KRW-XRP"]
        await pilot.press("r")
        assert scanner.order == ["KRW-XRP", "KRW-SOL", "KRW-ETH", "KRW-DOGE", "KRW-BTC"]
        await pilot.press("less_than_sign", "less_than_sign")  # back to value
        await pilot.press("less_than_sign")  # change, numbers descend
        assert scanner.sort_key == "change" and scanner.descending
        assert scanner.order[0] == "KRW-XRP" and scanner.order[-1] == "KRW-ETH"
        await pilot.press("S")
        assert scanner.order[0] == "KRW-ETH"
        await pilot.pause()
        header = screen_lines(scanner)[0]
        assert "Change ▲" in header  # the sorted column: its direction, apart from its title
        assert "KRW-ETH" in screen_lines(scanner)[1]


async def test_scanner_enter_posts_market_selected() -> None:
    scanner, _ = make_scanner(link_group="red")
    app = PaneApp(scanner)
    async with app.run_test(size=(100, 20)) as pilot:
        await fed_scanner(pilot, scanner)
        scanner.focus()
        await pilot.press("down", "enter")
        await pilot.pause()
        assert [m.symbol for m in app.selected] == ["KRW-XRP"]
        assert app.selected[0].link_group == "red" and app.selected[0].scanner is scanner


async def test_scanner_cursor_is_anchored_on_the_market_across_resorts() -> None:
    scanner, _ = make_scanner()
    app = PaneApp(scanner)
    async with app.run_test(size=(100, 20)) as pilot:
        await fed_scanner(pilot, scanner)
        scanner.focus()
        await pilot.press("down", "down")
        assert scanner.cursor_market == "KRW-ETH" and scanner.cursor_row == 2
        scanner.on_ticker(ticker("KRW-ETH", 4_400_000, -0.08, 9.0e11, T0 + 1000))
        assert scanner.order[2] == "KRW-ETH"  # rows move only on the sort cadence
        scanner.refresh_order()
        assert scanner.order[0] == "KRW-ETH"
        assert scanner.cursor_market == "KRW-ETH" and scanner.cursor_row == 0
        await pilot.press("enter")
        await pilot.pause()
        assert app.selected[-1].symbol == "KRW-ETH"


async def test_scanner_highlights_moves_beyond_the_threshold() -> None:
    scanner, _ = make_scanner(threshold=0.05)
    app = PaneApp(scanner)
    async with app.run_test(size=(100, 20)) as pilot:
        await fed_scanner(pilot, scanner)
        scanner.focus()
        await pilot.press("end")  # the cursor off the rows we look at
        up_bg = scanner.get_component_rich_style("scanner--up").bgcolor
        down_bg = scanner.get_component_rich_style("scanner--down").bgcolor
        rise = scanner.get_component_rich_style("scanner--rise", partial=True).color
        fall = scanner.get_component_rich_style("scanner--fall", partial=True).color
        assert up_bg is not None and down_bg is not None and up_bg != down_bg
        rows = {m: i + 1 for i, m in enumerate(scanner.order)}
        xrp = line_styles(scanner, rows["KRW-XRP"])  # +7.4 %
        eth = line_styles(scanner, rows["KRW-ETH"])  # -6.1 %
        btc = line_styles(scanner, rows["KRW-BTC"])  # +1.2 %
        assert all(s.bgcolor == up_bg for s in xrp)
        assert all(s.bgcolor == down_bg for s in eth)
        assert not any(s.bgcolor in (up_bg, down_bg) for s in btc)
        assert rise in {s.color for s in btc} and fall in {s.color for s in eth}
        scanner.set_threshold(0.10)
        await pilot.pause()
        assert not any(s.bgcolor == up_bg for s in line_styles(scanner, rows["KRW-XRP"]))


async def test_scanner_spike_column_is_the_alert_services_score() -> None:
    """The Spike column, its highlight and the volume-spike alert are one computation
    (the AlertService's); the scanner itself raises no alerts any more."""
    from dantaro_tui.services.alerts import AlertService

    service = AlertService(client=FakeClient("alerts"))  # type: ignore[arg-type]
    scanner, _ = make_scanner(spike_source=service)
    app = PaneApp(scanner)
    async with app.run_test(size=(100, 20)) as pilot:
        await fed_scanner(pilot, scanner)
        t0 = T0 - T0 % 60_000
        acc = 2.0e11
        for s in range(660):  # XRP: ten quiet minutes, then one at 8x its own pace
            acc += 9_600_000.0 if s >= 600 else 1_200_000.0  # 72M KRW a minute, then 8x
            tick = ticker("KRW-XRP", 812, 0.02, acc, t0 + s * 1000)
            service.on_ticker(tick)
            scanner.on_ticker(tick)
        scanner.refresh_order()
        await pilot.pause()
        assert [a.kind for a in service.log] == ["volume_spike"]
        assert app.alerts == []  # nothing posted by the scanner
        row = scanner.model.get("KRW-XRP")
        assert row is not None and row.spike == round(service.spike("KRW-XRP"), 1) >= 5.0
        y = scanner.order.index("KRW-XRP") + 1
        line = screen_lines(scanner)[y]
        assert f"{row.spike:.1f}x" in line
        spike_colour = scanner.get_component_rich_style("scanner--spike", partial=True).color
        assert spike_colour in {s.color for s in line_styles(scanner, y)}  # highlighted
        # KRW-BTC had one ticker: no baseline, so its column says "-", not a number.
        btc = screen_lines(scanner)[scanner.order.index("KRW-BTC") + 1]
        assert btc.rstrip().endswith("-")


async def test_scanner_quote_filter() -> None:
    scanner, client = make_scanner()
    app = PaneApp(scanner)
    async with app.run_test(size=(100, 20)) as pilot:
        await fed_scanner(pilot, scanner)
        scanner.focus()
        await pilot.press("f")
        await pilot.pause()
        assert scanner.quote == "BTC"
        assert client.subs["ticker"] == {"BTC-ETH", "BTC-XRP"}
        assert set(scanner.order) == {"BTC-ETH", "BTC-XRP"}
        row = scanner.model.get("KRW-BTC")
        assert row is not None
        version = row.version
        scanner.on_ticker(ticker("KRW-BTC", 1.0, 0.5, 1.0, T0 + 5000))  # a late KRW tick
        assert row.version == version
        scanner.on_ticker(ticker("BTC-ETH", 0.0361, 0.01, 12.5, T0 + 5000))
        scanner.refresh_order()
        await pilot.pause()
        text = "\n".join(screen_lines(scanner))
        assert "BTC-ETH" in text and "0.0361" in text and "KRW-BTC" not in text


async def test_scanner_set_markets_later_subscribes_them() -> None:
    client = FakeClient("scanner")
    scanner = ScannerView(client=client)  # type: ignore[arg-type]
    app = PaneApp(scanner)
    async with app.run_test(size=(100, 20)) as pilot:
        await pilot.pause()
        assert "ticker" not in client.subs and scanner.order == []
        scanner.set_markets(MARKETS)
        await pilot.pause()
        assert client.subs["ticker"] == {m.symbol for m in MARKETS if m.quote == "KRW"}
        assert len(scanner.order) == 5


async def test_scanner_colours_follow_theme_variables() -> None:
    """The Korean convention (rising red, falling blue) is a theme, not code."""
    scanner, _ = make_scanner()
    app = PaneApp(scanner)
    korea = Theme(
        name="test-korea",
        primary="#3d7bf7",
        dark=True,
        variables={"price-up": "#f0524f", "price-down": "#3d8bff"},
    )
    async with app.run_test(size=(100, 20)) as pilot:
        app.register_theme(korea)
        app.theme = "test-korea"
        await pilot.pause()
        rise = scanner.get_component_rich_style("scanner--rise", partial=True).color
        fall = scanner.get_component_rich_style("scanner--fall", partial=True).color
        assert rise is not None and rise.triplet is not None
        assert fall is not None and fall.triplet is not None
        assert rise.triplet.hex == "#f0524f" and fall.triplet.hex == "#3d8bff"


# -- order book ---------------------------------------------------------------------------
async def test_book_shows_levels_spread_mid_and_imbalance() -> None:
    view = OrderBookView("KRW-BTC", client=FakeClient("book"))  # type: ignore[arg-type]
    app = PaneApp(view)
    async with app.run_test(size=(60, 40)) as pilot:
        await pilot.pause()
        view.on_orderbook(book("KRW-BTC", 95_000_000))
        view.paint()
        await pilot.pause()
        lines = screen_lines(view)
        assert view.levels_shown() == 15
        assert "KRW-BTC" in lines[0]
        assert "95,015,000" in lines[1]  # worst ask shown on top
        assert "95,001,000" in lines[15]  # best ask just above the spread
        assert "spread 2,000" in lines[16] and "mid 95,000,000" in lines[16]
        assert "94,999,000" in lines[17]  # best bid just below
        assert "imbalance" in lines[32]
        # bids 1..15 (sum 120), asks 0.5..14.5 (sum 112.5): (120 - 112.5) / 232.5
        assert view.imbalance == pytest.approx(7.5 / 232.5)
        assert "+3.2%" in lines[32]


async def test_book_fits_the_pane_and_depth_is_configurable() -> None:
    view = OrderBookView("KRW-BTC", depth=30, client=FakeClient("book"))  # type: ignore[arg-type]
    app = PaneApp(view)
    async with app.run_test(size=(60, 20)) as pilot:
        view.on_orderbook(book("KRW-BTC", 95_000_000, levels=30))
        assert view.levels_shown() == (20 - 3) // 2
        assert view.levels_shown(height=70) == 30
        await pilot.pause()
    with pytest.raises(ValueError):
        OrderBookView("KRW-BTC", depth=31, client=FakeClient())  # type: ignore[arg-type]


async def test_book_refreshes_only_changed_lines() -> None:
    view = OrderBookView("KRW-BTC", client=FakeClient("book"))  # type: ignore[arg-type]
    app = PaneApp(view)
    async with app.run_test(size=(60, 40)) as pilot:
        first = book("KRW-BTC", 95_000_000)
        view.on_orderbook(first)
        view.paint()
        await pilot.pause()
        screen_lines(view)
        refreshed: list[Region] = []
        real_refresh = view.refresh

        def spy(*regions: Region, **kwargs: Any) -> Widget:
            refreshed.extend(regions)
            return real_refresh(*regions, **kwargs)

        view.refresh = spy  # type: ignore[method-assign]
        bids = list(first.bids)
        bids[3] = Level(bids[3].price, 4.5)  # one level's size changes a little
        view.on_orderbook(OrderBook(**{**_fields(first), "bids": tuple(bids)}))
        view.paint()
        ys = sorted(r.y for r in refreshed)
        assert 17 + 3 in ys  # that level's line
        # + the deeper bid lines (their cumulative size) and the totals line; never the
        # asks, the spread or the bids above it
        assert min(ys) == 17 + 3 and max(ys) <= 32
        await pilot.pause()
        assert "4.5" in screen_lines(view)[20]


async def test_book_set_symbol_clears_old_rows_before_returning() -> None:
    client = FakeClient("book")
    view = OrderBookView("KRW-BTC", client=client)  # type: ignore[arg-type]
    app = PaneApp(view)
    async with app.run_test(size=(60, 40)) as pilot:
        view.on_orderbook(book("KRW-BTC", 95_000_000))
        view.paint()
        await pilot.pause()
        assert sum("95,0" in line for line in screen_lines(view)) >= 15
        view.set_symbol("KRW-ETH")
        lines = screen_lines(view)
        assert not any("95,0" in line or "KRW-BTC" in line for line in lines)
        assert "KRW-ETH" in lines[0]
        view.on_orderbook(book("KRW-BTC", 95_000_000))  # in flight before the resubscribe
        assert view.book is None
        await pilot.pause()
        assert client.subs == {"orderbook": {"KRW-ETH"}}


def _fields(ob: OrderBook) -> dict[str, Any]:
    return {f: getattr(ob, f) for f in ob.__struct_fields__}


# -- trade tape ---------------------------------------------------------------------------
async def test_tape_newest_first_coloured_by_side_and_deduplicated() -> None:
    tape = TradeTape("KRW-BTC", client=FakeClient("tape"))  # type: ignore[arg-type]
    app = PaneApp(tape)
    async with app.run_test(size=(60, 20)) as pilot:
        tape.on_trade(trade("KRW-BTC", 95_000_000, 0.01, "buy", 1))
        tape.on_trade(trade("KRW-BTC", 95_001_000, 0.02, "sell", 2))
        tape.on_trade(trade("KRW-BTC", 95_001_000, 0.02, "sell", 2))  # a repeat (reconnect)
        tape.paint()
        await pilot.pause()
        lines = screen_lines(tape)
        assert "Price" in lines[0]
        assert "95,001,000" in lines[1] and " S " in lines[1]
        assert "95,000,000" in lines[2] and " B " in lines[2]
        assert lines[3].strip() == ""
        buy = tape.get_component_rich_style("tape--buy").color
        sell = tape.get_component_rich_style("tape--sell").color
        assert buy != sell
        assert {s.color for s in line_styles(tape, 1)} == {sell}
        assert {s.color for s in line_styles(tape, 2)} == {buy}


async def test_tape_highlights_large_trades_and_is_bounded() -> None:
    tape = TradeTape("KRW-BTC", capacity=50, large_factor=5.0, client=FakeClient("tape"))  # type: ignore[arg-type]
    app = PaneApp(tape)
    async with app.run_test(size=(60, 20)) as pilot:
        for n in range(60):
            tape.on_trade(trade("KRW-BTC", 95_000_000, 0.01, "buy", n))
        tape.on_trade(trade("KRW-BTC", 95_000_000, 0.2, "buy", 100))  # 20x the median
        tape.on_trade(trade("KRW-BTC", 95_000_000, 0.03, "sell", 101))  # 3x: not large
        tape.paint()
        await pilot.pause()
        assert len(tape.trades) == 50 and tape.trades[0].trade_id == "101"
        assert not tape.is_large(0) and tape.is_large(1)
        large_bg = tape.get_component_rich_style("tape--buy", "tape--large").bgcolor
        assert large_bg is not None
        assert all(s.bgcolor == large_bg for s in line_styles(tape, 2))
        assert not any(s.bgcolor == large_bg for s in line_styles(tape, 1))


async def test_tape_absolute_large_notional() -> None:
    tape = TradeTape("KRW-BTC", large_notional=10_000_000, client=FakeClient("tape"))  # type: ignore[arg-type]
    app = PaneApp(tape)
    async with app.run_test(size=(60, 20)):
        tape.on_trade(trade("KRW-BTC", 95_000_000, 0.2, "sell", 1))  # 19 M KRW
        tape.on_trade(trade("KRW-BTC", 95_000_000, 0.01, "sell", 2))
        assert tape.is_large(1) and not tape.is_large(0)


# -- switching symbols and link groups ----------------------------------------------------
async def test_linked_book_and_tape_switch_together_and_never_show_old_rows() -> None:
    book_client, tape_client = FakeClient("book"), FakeClient("tape")
    view = OrderBookView("KRW-BTC", link_group="red", client=book_client)  # type: ignore[arg-type]
    tape = TradeTape("KRW-BTC", link_group="red", client=tape_client)  # type: ignore[arg-type]
    loner = TradeTape("KRW-BTC", client=FakeClient("loner"))  # type: ignore[arg-type]
    app = PaneApp(view, tape, loner, horizontal=True)
    async with app.run_test(size=(150, 40)) as pilot:
        await pilot.pause()
        assert book_client.subs == {"orderbook": {"KRW-BTC"}}
        assert tape_client.subs == {"trade": {"KRW-BTC"}}
        view.on_orderbook(book("KRW-BTC", 95_000_000))
        for n in range(5):
            tape.on_trade(trade("KRW-BTC", 95_000_000 + n * 1000, 0.01, "buy", n))
        view.paint()
        tape.paint()
        await pilot.pause()
        assert any("95,001,000" in line for line in screen_lines(view))
        assert any("95,004,000" in line for line in screen_lines(tape))
        assert members(app, "red") == [view, tape]

        tape.request_symbol("KRW-ETH")  # the user picks a market in the tape
        assert tape.symbol == "KRW-BTC"  # a linked pane waits for its group...
        await pilot.pause()
        assert (view.symbol, tape.symbol, loner.symbol) == ("KRW-ETH", "KRW-ETH", "KRW-BTC")
        # Events of the old symbol still in flight are dropped.
        view.on_orderbook(book("KRW-BTC", 95_000_000))
        tape.on_trade(trade("KRW-BTC", 95_000_000, 0.01, "buy", 99))
        await pilot.pause(0.2)  # timers run
        for line in screen_lines(view) + screen_lines(tape):
            assert "95,0" not in line and "KRW-BTC" not in line
        assert "KRW-ETH" in screen_lines(view)[0]
        assert book_client.subs == {"orderbook": {"KRW-ETH"}}
        assert tape_client.subs == {"trade": {"KRW-ETH"}}
        view.on_orderbook(book("KRW-ETH", 4_500_000, tick=500))
        view.paint()
        await pilot.pause()
        assert any("4,500,500" in line for line in screen_lines(view))

        # An unlinked pane switches alone, and its old rows are gone as soon as
        # set_symbol returns (no frame, no timer needed).
        loner.on_trade(trade("KRW-BTC", 95_000_000, 0.01, "buy", 1))
        loner.paint()
        await pilot.pause()
        assert any("95,000,000" in line for line in screen_lines(loner))
        loner.set_symbol("KRW-XRP")
        assert not any("95,000,000" in line for line in screen_lines(loner))
        assert view.symbol == tape.symbol == "KRW-ETH"


async def test_scanner_enter_switches_its_link_group_and_follows_it() -> None:
    scanner, _ = make_scanner(link_group="blue")
    view = OrderBookView("KRW-BTC", client=FakeClient("book"))  # type: ignore[arg-type]
    app = PaneApp(scanner, view)
    async with app.run_test(size=(100, 40)) as pilot:
        await fed_scanner(pilot, scanner)
        join(view, "blue")
        assert view.link_group == "blue" and view.has_class("-link-blue")
        assert "blue" in (view.border_subtitle or "")
        scanner.focus()
        await pilot.press("down", "enter")  # KRW-XRP
        await pilot.pause()
        assert view.symbol == "KRW-XRP"
        view.request_symbol("KRW-SOL")  # the group follows the book: the scanner's cursor too
        await pilot.pause()
        assert scanner.cursor_market == "KRW-SOL"
        join(view, None)
        assert view.link_group is None and not view.has_class("-link-blue")


async def test_hidden_panes_do_not_paint() -> None:
    tape = TradeTape("KRW-BTC", client=FakeClient("tape"))  # type: ignore[arg-type]
    app = PaneApp(tape)
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.pause()
        painted: list[int] = []
        real_paint = tape.paint
        tape.paint = lambda: (painted.append(1), real_paint())[1]  # type: ignore[method-assign]
        tape.display = False
        await pilot.pause()
        tape.on_trade(trade("KRW-BTC", 95_000_000, 0.01, "buy", 1))
        tape._tick()
        assert painted == []
        tape.display = True
        await pilot.pause()
        tape._tick()
        assert painted == [1]
